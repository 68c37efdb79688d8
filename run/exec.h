/* Running one more process in a running container (box exec, and the
 * monitor's healthchecks): it joins the container's namespaces and cgroup
 * and gets the container's confinement (capabilities, seccomp filter,
 * no_new_privs, rlimits), as Docker's exec does.
 *
 * The container's settings come from its config.json (written by the
 * CLI's run); the struct below only says what differs from them.  Every
 * pointer in it is borrowed for the call. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"

struct run_exec {
        char *const *argv; /* argv[0]: a path, or a name looked up in the container's PATH */
        char *const *env;  /* "K=V" added to the container's, replacing its own K */
        const char *user;  /* NULL: the container's */
        const char *cwd;   /* NULL: the container's working directory */
        bool interactive;  /* keep stdin (else /dev/null) */
        bool tty;          /* a pty from the container's devpts */
        bool detach;       /* return once it runs; its stdio is the container's /dev/null */
        bool privileged;   /* every capability box has (the seccomp filter stays) */
        /* NULL: box's own 0, 1, 2, through relay pipes as box run does;
         * else the three fds the process gets as they are (the caller's
         * pipes, sockets or /dev/null: never a file or a terminal of the
         * host, which the process could reopen) */
        const int *stdio;
        int timeout_ms; /* > 0: SIGKILL after that long (status 137) */
};

/* Starts X in container ID (a full id) of the store at ROOT and waits for
 * it: its status the Docker way in *RET_STATUS (0 when detached).  Fails
 * (-errno, ERR set) when the container is not running (ESRCH), paused
 * (EBUSY), or the process could not be started: err->exit_code is 126
 * when it cannot be executed (or its working directory entered), 127 when
 * it is not found, else 0 (box's own failure, 125). */
int run_exec(const char *root, const char *runroot, const char *id, const struct run_exec *x,
             int *ret_status, struct box_err *err);

/* Containers on disk: <root>/containers/<id>/ holds everything about one
 * container, so later commands (ps, logs, exec, start, rm) need nothing
 * else:
 *
 *   config.json   what it runs: id, name, image, argv, env, mounts... (the
 *                 CLI writes it; run/ only passes it through)
 *   image         the image's manifest digest (pins it against gc)
 *   state         {"status": "created|running|exited", "pid", "monitor_pid",
 *                  "exit_code", "started_at", "finished_at"}
 *   hostname, hosts, resolv.conf   bind-mounted into the container
 *   upper/, work/ the overlayfs writable layer
 *
 * The root is mounted on <root>/containers/.rootfs, one directory shared
 * by all containers: each mounts it only in its own mount namespace, and
 * on this host a directory costs milliseconds to make and remove.
 *   volumes       anonymous volume names, one per line (removed with it)
 *   volumes-used  every volume it mounts (absent: none)
 *
 * Names live in <root>/containers/.names/<name>, a symlink to the id; it
 * is made with symlinkat(2), so two containers can never take one name.
 * Directories whose name starts with '.' are not containers.
 *
 * Ownership: struct run_state is owned by its creator; run_state_free(). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

#define RUN_ID_LEN 64

struct run_state {
        char id[RUN_ID_LEN + 1];
        char *name;
        char *dir; /* absolute */
        char *root;
};

void run_state_free(struct run_state *s);

/* Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool run_name_valid(const char *name);

/* Makes a new container: a fresh id, NAME reserved (NULL: a generated
 * one), the state dir with upper/ and work/.  -EEXIST (exit 125) when
 * NAME is taken. */
int run_state_create(const char *root, const char *name, struct run_state **ret,
                     struct box_err *err);
/* Writes FILE (small, no fsync: the state dir is disposable) in the dir. */
int run_state_write_file(const struct run_state *s, const char *file, const char *data,
                         struct box_err *err);
/* Records the lifecycle: status "created", "running" (pid, monitor) or
 * "exited" (exit code). */
int run_state_set(const struct run_state *s, const char *status, pid_t pid, int exit_code,
                  struct box_err *err);

/* Finds a container by full id, name, or unique id prefix. */
int run_state_lookup(const char *root, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                     struct box_err *err);
/* Is the container's monitor (the box that runs it) alive?  Returns its
 * container pid (>0) when running, 0 when not. */
pid_t run_state_running_pid(const char *root, const char *id);
/* Removes the container: its cgroups if left over, its anonymous volumes
 * when REMOVE_VOLUMES, its name and its state dir. */
int run_state_remove(const char *root, const char *id, bool remove_volumes, struct box_err *err);
/* 64 random hex digits. */
void run_random_id(char ret[RUN_ID_LEN + 1]);

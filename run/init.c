/* --init: a tiny init built into box, in the spirit of tini.  It stays
 * pid 1 of the container, reaps every orphan, forwards the signals it gets
 * to the command and exits with the command's status (128+N when the
 * command dies of signal N).  It runs with the container's user,
 * capabilities and seccomp filter, and is not dumpable, so no process of
 * the container can open /proc/1/exe (box's binary) or its fds. */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "lib/syscall.h"
#include "run/run-internal.h"

int run_init_fork(const sigset_t *restore_mask, int close_in_init, bool tty, struct box_err *err)
{
        pid_t child = fork();
        if (child < 0)
                return box_err_errno(err, errno, "fork init");
        if (child == 0) {
                /* the command: its own process group, in the foreground */
                setpgid(0, 0);
                if (tty)
                        (void)tcsetpgrp(0, getpid()); /* SIGTTOU is still blocked */
                sigprocmask(SIG_SETMASK, restore_mask, NULL);
                return 0;
        }
        (void)close_in_init;
        /* init needs no fd but the stdio it shares with the command */
        (void)sys_close_range(3, ~0U, 0);
        prctl(PR_SET_DUMPABLE, 0);
        setpgid(child, child);

        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        if (sig != SIGTTOU && sig != SIGTTIN)
                                kill(child, sig);
                        continue;
                }
                for (;;) {
                        int st;
                        pid_t p = waitpid(-1, &st, WNOHANG);
                        if (p <= 0)
                                break;
                        if (p != child)
                                continue;
                        if (WIFSIGNALED(st))
                                _exit(128 + WTERMSIG(st));
                        _exit(WEXITSTATUS(st));
                }
        }
}

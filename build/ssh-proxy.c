/* RUN --mount=type=ssh: the step gets a socket of its own, owned and moded
 * as the mount asks, on the build's tmpfs; a child of box relays each
 * connection to the user's agent.  The agent's socket itself never enters
 * the step (it could chmod it, or hold it open past the step), and the
 * relay connects to the socket checked on the command line, by an O_PATH
 * fd, never by a name someone could swap.  The relay ends with the step
 * (build_ssh_proxy_stop), its connections with it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/syscall.h"

#define RELAY_MAX 32 /* connections at once: ssh-add, git, a few more */

struct pair {
        int a, b; /* the step's end, the agent's end */
};

static int agent_connect(int agent_path_fd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", agent_path_fd);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

/* Copies what is there from FROM to TO; false when either end is done. */
static bool relay_once(int from, int to)
{
        char buf[16384];
        ssize_t n = RETRY_EINTR(read(from, buf, sizeof(buf)));
        if (n <= 0)
                return false;
        return fs_write_full(to, buf, (size_t)n) >= 0;
}

static _noreturn_ void relay_loop(int lfd, int agent_path_fd)
{
        struct pair p[RELAY_MAX];
        size_t n = 0;
        for (;;) {
                struct pollfd pf[1 + 2 * RELAY_MAX];
                pf[0] = (struct pollfd){.fd = n < RELAY_MAX ? lfd : -1, .events = POLLIN};
                for (size_t i = 0; i < n; i++) {
                        pf[1 + 2 * i] = (struct pollfd){.fd = p[i].a, .events = POLLIN};
                        pf[2 + 2 * i] = (struct pollfd){.fd = p[i].b, .events = POLLIN};
                }
                if (poll(pf, 1 + 2 * n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                for (size_t i = n; i-- > 0;) {
                        bool ok = true;
                        if (pf[1 + 2 * i].revents)
                                ok = relay_once(p[i].a, p[i].b);
                        if (ok && pf[2 + 2 * i].revents)
                                ok = relay_once(p[i].b, p[i].a);
                        if (!ok) {
                                close(p[i].a);
                                close(p[i].b);
                                p[i] = p[--n];
                        }
                }
                if (pf[0].revents & POLLIN) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0)
                                continue;
                        int a = agent_connect(agent_path_fd);
                        if (a < 0) {
                                close(c);
                                continue;
                        }
                        p[n++] = (struct pair){c, a};
                }
        }
}

int build_ssh_proxy_start(const char *agent, dev_t dev, ino_t ino, const char *dir,
                          const char *name, uid_t uid, gid_t gid, mode_t mode, pid_t *ret_pid,
                          struct box_err *err)
{
        _cleanup_close_ int agent_fd = open(agent, O_PATH | O_CLOEXEC);
        struct stat st;
        if (agent_fd < 0 || fstat(agent_fd, &st) < 0)
                return box_err_errno(err, errno, "ssh agent '%s'", agent);
        if (st.st_dev != dev || st.st_ino != ino || !S_ISSOCK(st.st_mode))
                return box_err_set(err, ESTALE, "ssh agent '%s' replaced since it was checked",
                                   agent);
        /* bound through the directory's fd: a store's path may be longer
         * than a socket address holds */
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(err, errno, "open '%s'", dir);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
        _cleanup_close_ int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
                return box_err_errno(err, errno, "ssh agent socket '%s/%s'", dir, name);
        /* the socket's own owner and mode: what connect(2) checks */
        if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || chmod(sa.sun_path, mode) < 0)
                return box_err_errno(err, errno, "ssh agent socket: owner and mode");
        pid_t pid = fork();
        if (pid < 0)
                return box_err_errno(err, errno, "fork the ssh agent relay");
        if (pid == 0) {
                /* dies with box, whatever becomes of the stop */
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGPIPE, SIG_IGN);
                /* none of box's other fds for the step's life: a cache's
                 * lock, the store's, another step's sockets or pipes (a
                 * pipe's reader would wait for the relay's end) */
                const int keep[] = {lfd, agent_fd};
                if (fs_close_all_except(keep, ARRAY_SIZE(keep)) < 0)
                        _exit(1);
                relay_loop(lfd, agent_fd);
        }
        *ret_pid = pid;
        return 0;
}

void build_ssh_proxy_stop(pid_t pid)
{
        if (pid <= 0)
                return;
        (void)kill(pid, SIGKILL);
        int st;
        (void)RETRY_EINTR(waitpid(pid, &st, 0));
}

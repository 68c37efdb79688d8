/* Starting a container: box clones a process into new namespaces; that
 * process builds the root, drops privileges and execs the command.  Until
 * the execve it reports any failure over a CLOEXEC pipe as {code,
 * exit_code, message} and _exit()s; EOF on the pipe means the exec
 * happened.  box then forwards signals (and the pty, with -t) until the
 * container's pid 1 ends.
 *
 * Why the container cannot reach box's fds, cwd or binary (CVE-2024-21626,
 * CVE-2019-5736): the cloned process is made non-dumpable before it does
 * anything, so while it runs box's code no other process may open its
 * /proc/PID/exe, fds or cwd; it closes every fd of box but its three pipes
 * before it touches any path of the image or the user, and closes all but
 * the error pipe (CLOEXEC) before it enters the working directory, which
 * is resolved inside the root and checked with getcwd (run/enter.c, the
 * one door every process into a container goes through); the old root is
 * detached after pivot_root.  Until its execve the process's
 * /proc/self/exe is box's binary, and the kernel would run it for a
 * command, a script's "#!" or an ELF interpreter naming /proc/self/exe; a
 * Landlock domain that allows execution only beneath the container's root
 * refuses that (EACCES, exit 126) for every process of the container, for
 * its whole life.  After execve box's binary is no longer mapped in the
 * container at all.  The --init process keeps box's code, so it stays
 * non-dumpable for its whole life (like the setup phase): without
 * CAP_SYS_PTRACE no process of the container can open its /proc/1/exe.
 * Writing box's binary would also need it not to be running (ETXTBSY):
 * box runs it for as long as the container lives (PDEATHSIG, and the
 * container's pid namespace dies with its pid 1).  Where the kernel has no
 * Landlock, those two are the defence; a sealed-memfd re-exec (runc's old
 * fix) would need box to be static to run inside an arbitrary root. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/seccomp.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static double ms_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
#define PHASE(name)       log_debug("sandbox: %-12s %7.3f ms", name, ms_now() - t0)
#define CHILD_PHASE(name) log_debug("container: %-10s %7.3f ms", name, ms_now() - a->t0)

/* What the container's process sends back when it fails before exec. */
struct child_report {
        int code;
        int exit_code;
        char msg[1024];
};

struct child_args {
        double t0; /* for -vvv phase timings */
        const struct run_spec *spec;
        const char *rootfs_path;
        int sync_fd;    /* read: one byte once box put us in the cgroup */
        int err_fd;     /* write: struct child_report on failure */
        int console_fd; /* -t or userns: socket for the pty master and the root mount */
        sigset_t restore_mask;
        const struct run_bpf *bpf; /* NULL: no seccomp */
        uint64_t caps;
        struct winsize ws;
        bool have_ws;
        int stdio[3]; /* >= 0: a relay pipe's end to put on 0, 1 or 2 */
};

/* Signals box forwards to the container (Docker's sig-proxy set). */
static const int forwarded_signals[] = {
        SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM,   SIGALRM, SIGCONT,
        SIGTSTP, SIGTTIN, SIGPWR,  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
};

static int send_fd(int sock, int fd)
{
        char dummy = 'x';
        struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int recv_fd(int sock)
{
        char dummy;
        struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        ssize_t n = RETRY_EINTR(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS)
                return -EIO;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* Opens a pty in the container's devpts, hands the master to box and
 * makes the slave our controlling terminal on 0, 1 and 2. */
static int setup_tty(struct child_args *a, struct box_err *err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return box_err_errno(err, errno, "open /dev/ptmx");
        int unlock = 0, n;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
                return box_err_errno(err, errno, "unlock pty");
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return box_err_errno(err, errno, "open pty slave");
        int r = run_rootfs_console(slave, err);
        if (r < 0)
                return r;
        if (a->have_ws)
                (void)ioctl(slave, TIOCSWINSZ, &a->ws);
        r = send_fd(a->console_fd, master);
        if (r < 0)
                return box_err_errno(err, -r, "send pty to box");
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return box_err_errno(err, errno, "make the pty the controlling terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return box_err_errno(err, errno, "dup2 pty");
        return 0;
}

/* Finds the executable like execvp, but with the container's PATH. */
static char *find_executable(const char *name, char *const *env)
{
        if (strchr(name, '/'))
                return xstrdup(name);
        int i = strv_env_find(env, "PATH", 4);
        const char *path = i >= 0 && env[i][4] == '=' ? env[i] + 5 : DEFAULT_PATH;
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = xasprintf("%s/%s", *dir ? dir : ".", name);
                struct stat st;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                        return TAKE_PTR(p);
        }
        return NULL;
}

static int exec_error(struct box_err *err, const char *name, int e)
{
        int r = box_err_set(err, e, "exec: '%s': %s", name,
                            e == ENOENT ? "no such file or directory" : strerror(e));
        if (err) {
                err->exit_code = e == ENOENT ? 127 : 126;
                /* strerror is capitalised; Docker's messages are not */
                char *m = strstr(err->msg, "': ");
                if (m && m[3] >= 'A' && m[3] <= 'Z')
                        m[3] = (char)(m[3] - 'A' + 'a');
        }
        return r;
}

static int set_caps(uint64_t caps, struct box_err *err)
{
        cap_t c = cap_init();
        if (!c)
                return box_err_errno(err, errno, "cap_init");
        for (int i = 0; i < 64; i++) {
                if (!(caps & (UINT64_C(1) << i)) || !CAP_IS_SUPPORTED(i))
                        continue;
                cap_value_t v = i;
                cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
                cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
        }
        /* the inheritable set stays empty, as Docker and Podman have it: with
         * it filled, a non-root user gains any capability that a file in the
         * image marks inheritable (CVE-2022-24769); root keeps its
         * capabilities across execve through the bounding set anyway */
        int r = cap_set_proc(c);
        int e = errno;
        cap_free(c);
        if (r < 0)
                return box_err_errno(err, e, "set capabilities");
        /* ambient capabilities (if box was given some) would survive execve */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return box_err_errno(err, errno, "clear ambient capabilities");
        return 0;
}

static int load_seccomp(const struct run_bpf *bpf, struct box_err *err)
{
        struct sock_fprog prog = {.len = bpf->len, .filter = bpf->filter};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return box_err_errno(err, errno, "load seccomp filter");
        return 0;
}

/* "/proc/self/fd/N" of an O_PATH fd of PATH (leaked on purpose: the
 * container's process execs or dies soon, and every fd is CLOEXEC). */
static char *host_path_fd(const char *path, struct box_err *err)
{
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
                box_err_errno(err, errno, "open '%s'", path);
                return NULL;
        }
        return xasprintf("/proc/self/fd/%d", fd);
}

/* With a user namespace, before becoming its root: attach the root box
 * built, and turn every host path of SPEC into an fd path, in a copy. */
static int open_host_paths(const struct run_spec *spec, const char *rootfs_path, int root_mount,
                           struct run_spec *ret, struct box_err *err)
{
        *ret = *spec;
        _cleanup_close_ int target = open(rootfs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (target < 0)
                return box_err_errno(err, errno, "open '%s'", rootfs_path);
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return box_err_errno(err, errno, "make / a slave mount");
        if (syscall(SYS_move_mount, root_mount, "", target, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return box_err_errno(err, errno, "attach the container's root");
        const char **etc[] = {&ret->hostname_file, &ret->hosts_file, &ret->resolv_file};
        for (size_t i = 0; i < ARRAY_SIZE(etc); i++) {
                if (!*etc[i])
                        continue;
                if (!(*etc[i] = host_path_fd(*etc[i], err)))
                        return -err->code;
        }
        struct run_mount *m = xnew(struct run_mount, spec->n_mounts ? spec->n_mounts : 1);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                m[i] = spec->mounts[i];
                if (m[i].type != RUN_MOUNT_TMPFS && !(m[i].source = host_path_fd(m[i].source, err)))
                        return -err->code;
        }
        ret->mounts = m;
        return 0;
}

/* Reads the container's NAME (relative to ROOTFD) when it is a regular file
 * reached inside the root: a FIFO, a device or a /proc magic link there
 * reads as missing rather than blocking or escaping. */
static void read_root_file(int rootfd, const char *name, char **ret)
{
        _cleanup_close_ int fd = openat_in_root(rootfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return;
        (void)fs_read_fd(fd, 1 << 22, ret, NULL, NULL);
}

static int child_setup(struct child_args *a, struct box_err *err)
{
        const struct run_spec *spec = a->spec;
        int r;

        prctl(PR_SET_DUMPABLE, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 3; i++)
                if (a->stdio[i] >= 0 && dup2(a->stdio[i], i) < 0)
                        return box_err_errno(err, errno, "dup2 stdio");
        /* box's fds are closed before any path of the image or the user is
         * touched (run/enter.c) */
        const int keep[] = {a->sync_fd, a->err_fd, a->console_fd};
        r = run_enter_close_fds(keep, ARRAY_SIZE(keep));
        if (r < 0)
                return box_err_errno(err, -r, "close box's fds");
        umask(0);

        char go;
        if (RETRY_EINTR(read(a->sync_fd, &go, 1)) != 1)
                _exit(125); /* box is gone */
        close(a->sync_fd);
        CHILD_PHASE("go");
        _cleanup_close_ int root_mount = -EBADF;
        struct run_spec userns_spec;
        if (spec->n_uid_map > 0) {
                root_mount = recv_fd(a->console_fd);
                if (root_mount < 0)
                        return box_err_errno(err, -root_mount, "receive the root mount");
                /* as the namespace's root we may not walk into the store:
                 * open what we need from the host first */
                r = open_host_paths(spec, a->rootfs_path, root_mount, &userns_spec, err);
                if (r < 0)
                        return r;
                spec = &userns_spec;
                /* become the namespace's root: box wrote our maps before "go" */
                if (sys_setresgid(0, 0, 0) < 0 || sys_setresuid(0, 0, 0) < 0)
                        return box_err_errno(err, errno, "become root in the user namespace");
        }
        if (unshare(CLONE_NEWCGROUP) < 0)
                return box_err_errno(err, errno, "unshare cgroup namespace");
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return box_err_errno(err, errno, "sethostname");
        if (spec->network == RUN_NETWORK_NONE) {
                r = run_net_loopback_up(err);
                if (r < 0)
                        return r;
                /* unprivileged ICMP sockets, so ping works without NET_RAW (as Docker) */
                int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void)!write(fd, "0 2147483647", 12);
                        close(fd);
                }
        }

        CHILD_PHASE("ns");
        _cleanup_close_ int rootfd = -EBADF, nullfd = -EBADF;
        r = run_rootfs_prepare(spec, a->rootfs_path, root_mount, &rootfd, &nullfd, err);
        if (r < 0)
                return r;
        CHILD_PHASE("mounts");
        r = run_rootfs_pivot(rootfd, err);
        if (r < 0)
                return r;
        CHILD_PHASE("pivot");
        if (spec->tty) {
                r = setup_tty(a, err);
                if (r < 0)
                        return r;
        } else {
                /* like Docker's, a container without -t has no controlling
                 * terminal and is not in box's process group */
                (void)setsid();
        }
        if (!spec->interactive && !spec->tty) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || dup2(fd, 0) < 0)
                        return box_err_errno(err, errno, "open /dev/null");
                close(fd);
        }
        /* a missing working directory is made (by root, as Docker does)
         * before a read-only root is made read-only; it is entered after the
         * masks, so it cannot be a directory they cover */
        const char *cwd = spec->cwd && *spec->cwd ? spec->cwd : "/";
        r = run_enter_make_cwd(rootfd, cwd, err);
        if (r < 0)
                return r;
        r = run_rootfs_finish(spec, nullfd, err);
        if (r < 0)
                return r;
        CHILD_PHASE("masks");

        /* the user, through the container's own files */
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        read_root_file(rootfd, "etc/passwd", &passwd);
        read_root_file(rootfd, "etc/group", &group);
        struct run_user user;
        r = run_user_resolve(spec->user, spec->group_add, passwd, group, &user, err);
        if (r < 0)
                return r;

        /* the last step into the container, shared with every process that
         * joins it: only the error pipe survives (init closes it) */
        close(TAKE_FD(rootfd));
        close(TAKE_FD(nullfd));
        if (root_mount >= 0)
                close(TAKE_FD(root_mount));
        r = run_process_enter(&a->err_fd, 1, cwd, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < spec->n_rlimits; i++)
                if (setrlimit(spec->rlimits[i].resource, &spec->rlimits[i].lim) < 0)
                        return box_err_errno(err, errno,
                                             "set ulimit %d (the hard limit can only be lowered)",
                                             spec->rlimits[i].resource);

        char **env = strv_copy(spec->env);
        if (strv_env_find(env, "HOME", 4) < 0) {
                _cleanup_free_ char *h = xasprintf("HOME=%s", user.home);
                env = strv_env_set(env, h);
        }

        if (!spec->argv || !spec->argv[0] || !*spec->argv[0]) {
                box_err_set(err, EINVAL, "no command specified");
                err->exit_code = 127;
                return -EINVAL;
        }
        _cleanup_free_ char *exe = find_executable(spec->argv[0], env);
        if (!exe) {
                box_err_set(err, ENOENT, "exec: '%s': executable file not found in $PATH",
                            spec->argv[0]);
                err->exit_code = 127;
                return -ENOENT;
        }

        /* privileges: bounding set, seccomp (while we may still load it),
         * user, then the final capability sets */
        if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return box_err_errno(err, errno, "set no_new_privs");
        for (int c = 0; c <= CAP_LAST_CAP + 23; c++) {
                if (a->caps & (UINT64_C(1) << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break;
                        return box_err_errno(err, errno, "drop capability %d", c);
                }
        }
        if (a->bpf && !spec->no_new_privs) {
                r = load_seccomp(a->bpf, err);
                if (r < 0)
                        return r;
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return box_err_errno(err, errno, "keep capabilities");
        if (sys_setgroups(user.n_groups, user.groups) < 0)
                return box_err_errno(err, errno, "setgroups");
        if (sys_setresgid(user.gid, user.gid, user.gid) < 0)
                return box_err_errno(err, errno, "setgid %u", (unsigned)user.gid);
        if (sys_setresuid(user.uid, user.uid, user.uid) < 0)
                return box_err_errno(err, errno, "setuid %u", (unsigned)user.uid);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the credential change */
        r = set_caps(a->caps, err);
        if (r < 0)
                return r;
        if (a->bpf && spec->no_new_privs) {
                r = load_seccomp(a->bpf, err);
                if (r < 0)
                        return r;
        }

        CHILD_PHASE("exec");
        if (spec->init) {
                r = run_init_fork(&a->restore_mask, a->err_fd, spec->tty, err);
                if (r < 0)
                        return r;
        }
        umask(022);
        sigprocmask(SIG_SETMASK, &a->restore_mask, NULL);
        execve(exe, spec->argv, env);
        int e = errno;
        struct stat st;
        if (e == EACCES && stat(exe, &st) == 0 && S_ISDIR(st.st_mode))
                e = EISDIR;
        return exec_error(err, spec->argv[0], e);
}

_noreturn_ static void child_main(struct child_args *a)
{
        struct box_err err = {0};
        child_setup(a, &err);
        struct child_report rep = {.code = err.code ? err.code : EIO, .exit_code = err.exit_code};
        memcpy(rep.msg, err.msg, sizeof(rep.msg));
        (void)!write(a->err_fd, &rep, sizeof(rep));
        _exit(err.exit_code ? err.exit_code : 125);
}

/* ---- box's side ---- */

static struct termios saved_termios;
static bool termios_saved;

static void tty_raw(void)
{
        struct termios t;
        if (!isatty(0) || tcgetattr(0, &saved_termios) < 0)
                return;
        termios_saved = true;
        t = saved_termios;
        cfmakeraw(&t); /* the container's pty does the output processing */
        tcsetattr(0, TCSANOW, &t);
}

static void tty_restore(void)
{
        if (termios_saved)
                tcsetattr(0, TCSANOW, &saved_termios);
        termios_saved = false;
}

static void copy_winsize(int master)
{
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0)
                (void)ioctl(master, TIOCSWINSZ, &ws);
}

static int status_of(int st)
{
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return WEXITSTATUS(st);
}

/* Without -t, the container gets pipes, not box's own stdio, as in Docker
 * and Podman: a file, a terminal or a device handed to box could be reopened
 * through /proc/self/fd/N with another access mode (`< input` rewritten, the
 * user's terminal reopened).  A pipe or a socket box was given is passed on
 * as it is: reopening it gives nothing more.  host[i] is box's end. */
struct stdio_relay {
        int child[3];
        int host[3];
};

static void stdio_relay_close(struct stdio_relay *s)
{
        for (int i = 0; i < 3; i++) {
                if (s->child[i] >= 0)
                        close(s->child[i]);
                if (s->host[i] >= 0)
                        close(s->host[i]);
                s->child[i] = s->host[i] = -1;
        }
}

static int stdio_relay_open(const struct run_spec *spec, struct stdio_relay *s, struct box_err *err)
{
        int r = run_enter_check_stdio(err);
        if (r < 0 || spec->tty)
                return r;
        for (int i = 0; i < 3; i++) {
                struct stat st;
                if ((i == 0 && !spec->interactive) || fstat(i, &st) < 0 || S_ISFIFO(st.st_mode) ||
                    S_ISSOCK(st.st_mode))
                        continue;
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0) {
                        stdio_relay_close(s);
                        return box_err_errno(err, errno, "pipe");
                }
                s->child[i] = i == 0 ? p[0] : p[1];
                s->host[i] = i == 0 ? p[1] : p[0];
        }
        return 0;
}

/* Copies what is readable on FROM to TO; false at EOF or error. */
static bool relay_once(int from, int to)
{
        char buf[65536];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        (void)fs_write_full(to, buf, (size_t)n);
        return true;
}

/* Waits for PID, forwarding signals and, with a pty or relay pipes, its I/O. */
static int supervise(const struct run_spec *spec, pid_t pid, int sigfd, int master,
                     struct stdio_relay *rl)
{
        bool stdin_open = spec->interactive && (master >= 0 || rl->host[0] >= 0);
        int in_to = master >= 0 ? master : rl->host[0];
        int status = -1;

        if (master >= 0) {
                /* Docker makes the terminal raw only when it forwards input */
                if (spec->interactive)
                        tty_raw();
                copy_winsize(master);
        }
        for (;;) {
                struct pollfd p[5] = {
                        {.fd = sigfd, .events = POLLIN},
                        {.fd = master, .events = POLLIN},
                        {.fd = stdin_open ? 0 : -1, .events = POLLIN},
                        {.fd = rl->host[1], .events = POLLIN},
                        {.fd = rl->host[2], .events = POLLIN},
                };
                if (poll(p, 5, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGCHLD) {
                                        int st;
                                        if (waitpid(pid, &st, WNOHANG) == pid) {
                                                status = status_of(st);
                                                break;
                                        }
                                } else if (si.ssi_signo == SIGWINCH) {
                                        if (master >= 0)
                                                copy_winsize(master);
                                } else {
                                        kill(pid, (int)si.ssi_signo);
                                }
                        }
                }
                if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        char buf[8192];
                        ssize_t n = read(master, buf, sizeof(buf));
                        if (n > 0)
                                (void)fs_write_full(1, buf, (size_t)n);
                }
                for (int i = 1; i < 3; i++)
                        if (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR) &&
                            !relay_once(rl->host[i], i)) {
                                close(rl->host[i]);
                                rl->host[i] = -1;
                        }
                if (stdin_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
                        char buf[8192];
                        ssize_t n = read(0, buf, sizeof(buf));
                        if (n > 0 && fs_write_full(in_to, buf, (size_t)n) >= 0)
                                continue;
                        stdin_open = false;
                        if (master >= 0) {
                                (void)fs_write_full(master, "\x04", 1); /* EOF in canonical mode */
                        } else {
                                close(rl->host[0]);
                                rl->host[0] = -1;
                        }
                }
        }
        if (status < 0) {
                int st;
                if (RETRY_EINTR(waitpid(pid, &st, 0)) == pid)
                        status = status_of(st);
                else
                        status = 125;
        }
        if (master >= 0) {
                /* whatever the container printed last */
                fcntl(master, F_SETFL, O_NONBLOCK);
                char buf[8192];
                ssize_t n;
                while ((n = read(master, buf, sizeof(buf))) > 0)
                        (void)fs_write_full(1, buf, (size_t)n);
                tty_restore();
        }
        /* the container's processes died with its pid 1: the pipes' other
         * ends are closed, so EOF comes (a bounded wait, in case an fd was
         * passed out of the container) */
        for (int i = 1; i < 3; i++) {
                while (rl->host[i] >= 0) {
                        struct pollfd pf = {.fd = rl->host[i], .events = POLLIN};
                        if (poll(&pf, 1, 2000) <= 0 || !relay_once(rl->host[i], i)) {
                                close(rl->host[i]);
                                rl->host[i] = -1;
                        }
                }
        }
        return status;
}

static int write_map(pid_t pid, const char *file, const struct run_idmap *map, size_t n,
                     struct box_err *err)
{
        struct buf b = {0};
        for (size_t i = 0; i < n; i++)
                buf_printf(&b, "%u %u %u\n", map[i].container, map[i].host, map[i].count);
        _cleanup_free_ char *p = xasprintf("/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        int r = fd < 0 ? -errno : fs_write_full(fd, b.data, b.len);
        buf_release(&b);
        if (r < 0)
                return box_err_errno(err, -r, "write %s", file);
        return 0;
}

/* In box, once the container's process exists: its id maps, then its root
 * as a detached mount seen through them. */
static int setup_userns(const struct run_spec *spec, pid_t pid, int sock, struct box_err *err)
{
        int r = write_map(pid, "uid_map", spec->uid_map, spec->n_uid_map, err);
        if (r >= 0)
                r = write_map(pid, "gid_map", spec->gid_map, spec->n_gid_map, err);
        if (r < 0)
                return box_err_prefix(err, "user namespace");
        _cleanup_free_ char *nsp = xasprintf("/proc/%d/ns/user", (int)pid);
        _cleanup_close_ int ns = open(nsp, O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return box_err_errno(err, errno, "open '%s'", nsp);
        _cleanup_close_ int m = -EBADF;
        r = run_rootfs_detached(spec, ns, &m, err);
        if (r < 0)
                return box_err_prefix(err, "user namespace");
        r = send_fd(sock, m);
        if (r < 0)
                return box_err_errno(err, -r, "send the root mount");
        return 0;
}

/* What container root creates or owns must belong to its host id. */
static void chown_for_userns(const struct run_spec *spec)
{
        int64_t uid = run_idmap_host(spec->uid_map, spec->n_uid_map, 0);
        int64_t gid = run_idmap_host(spec->gid_map, spec->n_gid_map, 0);
        if (uid < 0 || gid < 0)
                return;
        const char *own[] = {"upper", "work"};
        for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", spec->state_dir, own[i]);
                (void)chown(p, (uid_t)uid, (gid_t)gid);
        }
        const char *files[] = {spec->hostname_file, spec->hosts_file, spec->resolv_file};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (files[i])
                        (void)chown(files[i], (uid_t)uid, (gid_t)gid);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct run_mount *m = &spec->mounts[i];
                struct stat st;
                /* a fresh volume (still root's) goes to container root */
                if (m->type == RUN_MOUNT_VOLUME && stat(m->source, &st) == 0 && st.st_uid == 0 &&
                    st.st_nlink <= 2)
                        (void)chown(m->source, (uid_t)uid, (gid_t)gid);
        }
}

static uint64_t own_permitted_caps(void)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {0};
        if (syscall(SYS_capget, &h, d) < 0)
                return ~UINT64_C(0);
        return (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
}

int run_sandbox_run(const struct run_spec *spec, int *ret_status, struct box_err *err)
{
        _cleanup_free_ char *rootfs_path = spec->mount_dir
                                                   ? xstrdup(spec->mount_dir)
                                                   : xasprintf("%s/rootfs", spec->state_dir);
        struct run_bpf bpf = {0};
        struct run_cgroup *cg = NULL;
        int sync_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, console[2] = {-1, -1};
        _cleanup_close_ int sigfd = -EBADF, master = -EBADF;
        struct stdio_relay relay = {{-1, -1, -1}, {-1, -1, -1}};
        sigset_t mask, old;
        pid_t pid = -1;
        int r;

        double t0 = ms_now();
        bool userns = spec->n_uid_map > 0;
        uint64_t caps = spec->privileged ? run_caps_all() : spec->caps;
        /* box cannot give what it does not have (e.g. no CAP_SYS_RESOURCE here) */
        caps &= own_permitted_caps();
        if (!spec->privileged && spec->seccomp != RUN_SECCOMP_UNCONFINED) {
                r = run_seccomp_compile(spec, caps, &bpf, err);
                if (r < 0)
                        return r;
        }
        PHASE("seccomp");
        if (userns)
                chown_for_userns(spec);
        if (mkdir(rootfs_path, 0755) < 0 && errno != EEXIST) {
                r = box_err_errno(err, errno, "create '%s'", rootfs_path);
                goto out;
        }
        r = run_cgroup_create(spec->cgroup_parent, spec->id, spec->resources, spec->privileged, &cg,
                              err);
        if (r < 0)
                goto out;

        PHASE("cgroup");
        r = stdio_relay_open(spec, &relay, err);
        if (r < 0)
                goto out;
        if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 ||
            ((spec->tty || userns) &&
             socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, console) < 0)) {
                r = box_err_errno(err, errno, "pipe");
                goto out;
        }

        sigemptyset(&mask);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTTOU);
        sigprocmask(SIG_BLOCK, &mask, &old);
        sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sigfd < 0) {
                r = box_err_errno(err, errno, "signalfd");
                goto out_mask;
        }
        /* a relay's reader gone (`box run ... | head -1`, a container that
         * never reads stdin) is EPIPE for box, not its death; the child
         * restores the old mask before its execve */
        sigset_t pipe_mask;
        sigemptyset(&pipe_mask);
        sigaddset(&pipe_mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &pipe_mask, NULL);

        struct child_args a = {
                .t0 = t0,
                .spec = spec,
                .rootfs_path = rootfs_path,
                .sync_fd = sync_pipe[0],
                .err_fd = err_pipe[1],
                .console_fd = console[1],
                .restore_mask = old,
                .bpf = bpf.filter ? &bpf : NULL,
                .caps = caps,
                .stdio = {relay.child[0], relay.child[1], relay.child[2]},
        };
        if (spec->tty)
                a.have_ws = ioctl(0, TIOCGWINSZ, &a.ws) == 0 || ioctl(1, TIOCGWINSZ, &a.ws) == 0;

        unsigned long flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
        if (spec->network == RUN_NETWORK_NONE)
                flags |= CLONE_NEWNET;
        if (userns)
                flags |= CLONE_NEWUSER;
        pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0) {
                r = box_err_errno(err, errno, "clone");
                goto out_mask;
        }
        if (pid == 0)
                child_main(&a);

        close(sync_pipe[0]);
        close(err_pipe[1]);
        sync_pipe[0] = err_pipe[1] = -1;
        for (int i = 0; i < 3; i++) {
                if (relay.child[i] >= 0)
                        close(relay.child[i]);
                relay.child[i] = -1;
        }
        if (console[1] >= 0) {
                close(console[1]);
                console[1] = -1;
        }

        PHASE("clone");
        if (userns) {
                r = setup_userns(spec, pid, console[0], err);
                if (r < 0) {
                        kill(pid, SIGKILL);
                        goto out_wait;
                }
        }
        r = run_cgroup_attach(cg, pid, err);
        if (r < 0) {
                kill(pid, SIGKILL);
                goto out_wait;
        }
        if (write(sync_pipe[1], "g", 1) != 1) {
                r = box_err_errno(err, errno, "start container");
                kill(pid, SIGKILL);
                goto out_wait;
        }
        close(sync_pipe[1]);
        sync_pipe[1] = -1;

        struct child_report rep;
        ssize_t n = fs_read_full(err_pipe[0], &rep, sizeof(rep));
        if (n != 0) {
                if (n == (ssize_t)sizeof(rep)) {
                        rep.msg[sizeof(rep.msg) - 1] = '\0';
                        r = box_err_set(err, rep.code, "%s", rep.msg);
                        if (err)
                                err->exit_code = rep.exit_code;
                } else {
                        r = box_err_set(err, EIO, "container setup failed");
                }
                goto out_wait;
        }
        if (spec->tty) {
                master = recv_fd(console[0]);
                if (master < 0) {
                        r = box_err_errno(err, -master, "receive the pty");
                        kill(pid, SIGKILL);
                        goto out_wait;
                }
        }
        PHASE("exec");
        if (spec->on_started)
                spec->on_started(pid, spec->userdata);
        if (spec->detach) {
                r = spec->detach(pid, master >= 0 ? -1 : relay.host[0],
                                 master >= 0 ? master : relay.host[1], relay.host[2],
                                 spec->userdata, err);
                kill(pid, SIGKILL);
                goto out_wait;
        }

        *ret_status = supervise(spec, pid, sigfd, master, &relay);
        PHASE("exit");
        pid = -1;
        r = 0;
        goto out_mask;

out_wait:
        if (pid > 0) {
                int st;
                RETRY_EINTR(waitpid(pid, &st, 0));
        }
out_mask:
        if (sigfd >= 0) {
                /* a SIGPIPE pending from the relay must not reach box */
                sigset_t pm;
                sigemptyset(&pm);
                sigaddset(&pm, SIGPIPE);
                while (sigtimedwait(&pm, NULL, &(struct timespec){0}) > 0)
                        ;
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
out:
        for (int i = 0; i < 2; i++) {
                if (sync_pipe[i] >= 0)
                        close(sync_pipe[i]);
                if (err_pipe[i] >= 0)
                        close(err_pipe[i]);
                if (console[i] >= 0)
                        close(console[i]);
        }
        stdio_relay_close(&relay);
        if (cg)
                run_cgroup_destroy(cg);
        PHASE("cgroup gone");
        free(bpf.filter);
        return r;
}

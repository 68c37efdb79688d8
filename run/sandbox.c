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
#include <stdint.h>
#include <sys/capability.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/seccomp.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/thread.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"
#include "spec/oci.h"

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
        int sync_fd;    /* read: "go", once box wrote our maps (and the cgroup is whole) */
        int err_fd;     /* write: struct child_report on failure */
        int console_fd; /* -t or userns: socket for the pty master and the root mount */
        sigset_t restore_mask;
        const struct run_bpf *bpf; /* NULL: no seccomp */
        uint64_t caps;
        struct winsize ws;
        bool have_ws;
        int stdio[3];                       /* >= 0: a relay pipe's end to put on 0, 1 or 2 */
        bool null[3];                       /* the container's /dev/null on 1 or 2 (run_relay) */
        const struct run_cgroup_join *join; /* the v1 hierarchies we join ourselves */
        const struct run_cgroup_mount *cg_mounts; /* the host's, for /sys/fs/cgroup */
        size_t n_cg_mounts;
        char *const *join_after_go; /* and those made meanwhile: their "tasks" */
        int watch_fd;               /* >= 0: inotify, to watch the root (root_gone) */
        int root_fd;                /* >= 0: the overlay box made (a detached mount) */
};

/* Signals box forwards to the container (Docker's sig-proxy set). */
static const int forwarded_signals[] = {
        SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM,   SIGALRM, SIGCONT,
        SIGTSTP, SIGTTIN, SIGPWR,  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
};

int run_fd_send(int sock, int fd)
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

int run_fd_recv(int sock)
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

int run_pty_take(int master, const struct winsize *ws, bool console, int sock, struct box_err *err)
{
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return box_err_errno(err, errno, "unlock pty");
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return box_err_errno(err, errno, "open pty slave");
        if (console) {
                int r = run_rootfs_console(slave, err);
                if (r < 0)
                        return r;
        }
        if (ws)
                (void)ioctl(slave, TIOCSWINSZ, ws);
        int r = run_fd_send(sock, master);
        if (r < 0)
                return box_err_errno(err, -r, "send pty to box");
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return box_err_errno(err, errno, "make the pty the controlling terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return box_err_errno(err, errno, "dup2 pty");
        return 0;
}

/* Opens a pty in the container's devpts (its /dev/console). */
static int setup_tty(struct child_args *a, struct box_err *err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return box_err_errno(err, errno, "open /dev/ptmx");
        return run_pty_take(master, a->have_ws ? &a->ws : NULL, true, a->console_fd, err);
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

/* The child's first steps: into its cgroup (v1: on its own, see struct
 * run_cgroup_join; v2: clone3 put it there), its stdio, none of box's
 * fds. */
static int child_start(struct child_args *a, struct box_err *err)
{
        prctl(PR_SET_DUMPABLE, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int r = run_cgroup_join_self(a->join);
        if (r < 0)
                return box_err_errno(err, -r, "join the container's cgroup");
        for (int i = 0; i < 3; i++)
                if (a->stdio[i] >= 0 && dup2(a->stdio[i], i) < 0)
                        return box_err_errno(err, errno, "dup2 stdio");
        /* box's fds are closed before any path of the image or the user is
         * touched (run/enter.c) */
        const struct run_spec *spec = a->spec;
        const int keep[] = {a->sync_fd,
                            a->err_fd,
                            a->console_fd,
                            a->watch_fd,
                            a->root_fd,
                            spec->network == RUN_NETWORK_CONTAINER ? spec->netns_fd : -1,
                            spec->join_ipc ? spec->ipcns_fd : -1};
        r = fs_close_all_except(keep, ARRAY_SIZE(keep));
        if (r < 0)
                return box_err_errno(err, -r, "close box's fds");
        /* --oom-score-adj: this process's, inherited by the container's
         * (raising it needs no capability; lowering it CAP_SYS_RESOURCE) */
        if (spec->oom_score_adj) {
                char v[16];
                int n = snprintf(v, sizeof(v), "%d", spec->oom_score_adj);
                _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, v, (size_t)n) != n)
                        return box_err_errno(err, errno, "--oom-score-adj %d (below box's own, %s)",
                                             spec->oom_score_adj, "it needs CAP_SYS_RESOURCE");
        }
        umask(0);
        return 0;
}

/* Box's "go", sent once the user namespace's maps are written and, where
 * clone3 could not put the process in the v2 hierarchy, box moved it. */
static void child_wait_go(struct child_args *a)
{
        const struct run_spec *spec = a->spec;
        char go;
        if (RETRY_EINTR(read(a->sync_fd, &go, 1)) != 1)
                _exit(125); /* box is gone */
        /* with a private network box sends a second byte once our
         * interfaces are there (child_network_wait): it makes them while we
         * build the root */
        if (!(spec->network == RUN_NETWORK_PRIVATE && spec->net_setup))
                close(a->sync_fd);
        CHILD_PHASE("go");
}

/* The new namespaces: with a user namespace (after "go": box wrote the
 * maps), the root mount box sent (*ROOT_MOUNT) and SPEC's host paths
 * opened into USERNS_SPEC (*SPEC points there after), then becoming its
 * root; another container's network namespace; the host name and,
 * without a network, the loopback.  Not the cgroup namespace: that waits
 * for the cgroup (child_setup). */
static int child_namespaces(struct child_args *a, const struct run_spec **spec,
                            struct run_spec *userns_spec, int *root_mount, struct box_err *err)
{
        int r;
        if ((*spec)->network == RUN_NETWORK_CONTAINER) {
                /* before the user namespace: the other container's network
                 * namespace belongs to box's */
                if (setns((*spec)->netns_fd, CLONE_NEWNET) < 0)
                        return box_err_errno(err, errno, "join the container's network namespace");
                close((*spec)->netns_fd);
        }
        if ((*spec)->join_ipc) {
                if (setns((*spec)->ipcns_fd, CLONE_NEWIPC) < 0)
                        return box_err_errno(err, errno, "join the container's IPC namespace");
                close((*spec)->ipcns_fd);
        }
        if ((*spec)->n_uid_map > 0) {
                *root_mount = run_fd_recv(a->console_fd);
                if (*root_mount < 0)
                        return box_err_errno(err, -*root_mount, "receive the root mount");
                /* as the namespace's root we may not walk into the store:
                 * open what we need from the host first */
                r = open_host_paths(*spec, a->rootfs_path, *root_mount, userns_spec, err);
                if (r < 0)
                        return r;
                *spec = userns_spec;
                /* become the namespace's root: box wrote our maps before "go" */
                if (sys_setresgid(0, 0, 0) < 0 || sys_setresuid(0, 0, 0) < 0)
                        return box_err_errno(err, errno, "become root in the user namespace");
        }
        const char *hostname = (*spec)->host_uts ? NULL : (*spec)->hostname;
        if (hostname && sethostname(hostname, strlen(hostname)) < 0)
                return box_err_errno(err, errno, "sethostname");
        const char *domain = (*spec)->host_uts ? NULL : (*spec)->domainname;
        if (domain && setdomainname(domain, strlen(domain)) < 0)
                return box_err_errno(err, errno, "setdomainname");
        if ((*spec)->network == RUN_NETWORK_NONE || (*spec)->network == RUN_NETWORK_PRIVATE) {
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
        return 0;
}

/* The terminal (-t), or none and a session of its own; stdin from
 * /dev/null without -i or -t. */
static int child_terminal(struct child_args *a, const struct run_spec *spec, struct box_err *err)
{
        if (spec->tty) {
                int r = setup_tty(a, err);
                if (r < 0)
                        return r;
        } else {
                /* like Docker's, a container without -t has no controlling
                 * terminal and is not in box's process group */
                (void)setsid();
        }
        bool null[3] = {!spec->interactive && !spec->tty,
                        (spec->null_stdout || a->null[1]) && !spec->tty,
                        (spec->null_stderr || a->null[2]) && !spec->tty};
        for (int i = 0; i < 3; i++) {
                if (!null[i])
                        continue;
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd < 0 || dup2(fd, i) < 0)
                        return box_err_errno(err, errno, "open /dev/null");
                close(fd);
        }
        return 0;
}

static int child_setup(struct child_args *a, struct box_err *err)
{
        const struct run_spec *spec = a->spec;
        int r = child_start(a, err);
        if (r < 0)
                return r;
        /* Without a user namespace nothing before the cgroup namespace
         * needs "go": the namespaces and the first half of the root are
         * built meanwhile.  With one, everything waits for the maps. */
        bool early = spec->n_uid_map == 0;
        if (!early)
                child_wait_go(a);
        _cleanup_close_ int root_mount = -EBADF;
        struct run_spec userns_spec;
        r = child_namespaces(a, &spec, &userns_spec, &root_mount, err);
        if (r < 0)
                return r;
        CHILD_PHASE("ns");
        /* the overlay box made meanwhile, attached as the root */
        bool attach = root_mount < 0 && a->root_fd >= 0;
        if (attach)
                root_mount = a->root_fd;
        _cleanup_(run_rootfs_release) struct run_rootfs rf = {.rootfd = -EBADF, .nullfd = -EBADF};
        r = run_rootfs_mount_base(spec, a->rootfs_path, root_mount, attach, &rf, err);
        if (r < 0)
                return r;
        CHILD_PHASE("base");
        if (early)
                child_wait_go(a);
        /* the v1 cgroups box made meanwhile, before anything else runs */
        r = run_cgroup_join_paths(a->join_after_go);
        if (r < 0)
                return box_err_errno(err, -r, "join the container's cgroup");
        /* in our cgroup now: it is the namespace's root (--cgroupns host:
         * the host's stays) */
        if (!spec->host_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return box_err_errno(err, errno, "unshare cgroup namespace");
        r = run_rootfs_mount_rest(spec, &rf, a->cg_mounts, a->n_cg_mounts, err);
        if (r < 0)
                return r;
        run_copy_sources_release(&rf.copy_src);
        _cleanup_close_ int rootfd = TAKE_FD(rf.rootfd), nullfd = TAKE_FD(rf.nullfd);
        CHILD_PHASE("mounts");
        r = run_rootfs_pivot(rootfd, err);
        if (r < 0)
                return r;
        CHILD_PHASE("pivot");
        /* box learns from this watch when the overlay's superblock is shut
         * down (IN_UNMOUNT): a watch does not keep it */
        if (a->watch_fd >= 0) {
                (void)inotify_add_watch(a->watch_fd, "/", IN_DELETE_SELF);
                close(a->watch_fd);
        }
        r = child_terminal(a, spec, err);
        if (r < 0)
                return r;
        /* a missing working directory is made (by root, as Docker does)
         * before a read-only root is made read-only; it is entered after the
         * masks, so it cannot be a directory they cover */
        const char *cwd = spec->cwd && *spec->cwd ? spec->cwd : "/";
        r = run_enter_make_cwd(rootfd, cwd, err);
        if (r < 0)
                return r;
        /* --sysctl: /proc/sys before it is made read-only; written once
         * the interfaces are there (net.ipv4.conf.eth0.*) */
        _cleanup_close_ int sys_fd = -EBADF;
        if (spec->sysctls && spec->sysctls[0]) {
                sys_fd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sys_fd < 0)
                        return box_err_errno(err, errno, "open /proc/sys");
        }
        r = run_rootfs_finish(spec, nullfd, err);
        if (r < 0)
                return r;
        CHILD_PHASE("masks");
        if (spec->network == RUN_NETWORK_PRIVATE && spec->net_setup) {
                char net;
                if (RETRY_EINTR(read(a->sync_fd, &net, 1)) != 1)
                        _exit(125); /* box failed to make our network, or is gone */
                close(a->sync_fd);
                CHILD_PHASE("network");
        }
        if (sys_fd >= 0) {
                r = run_sysctls_write(sys_fd, spec->sysctls, err);
                if (r < 0)
                        return r;
                close(TAKE_FD(sys_fd));
        }

        /* the last step into the container, shared with every process that
         * joins it: only the error pipe survives (init closes it) */
        close(TAKE_FD(rootfd));
        close(TAKE_FD(nullfd));
        if (root_mount >= 0)
                close(TAKE_FD(root_mount));
        CHILD_PHASE("exec");
        const struct run_process p = {
                .argv = spec->argv,
                .env = spec->env,
                .user = spec->user,
                .group_add = spec->group_add,
                .no_gid_in_groups = spec->no_gid_in_groups,
                .cwd = cwd,
                .caps = a->caps,
                .no_new_privs = spec->no_new_privs,
                .privileged = spec->privileged,
                .bpf = a->bpf,
                .rlimits = spec->rlimits,
                .n_rlimits = spec->n_rlimits,
                .err_fd = a->err_fd,
                .init = spec->init,
                .tty = spec->tty,
                .pdeathsig = true,
                .restore_mask = &a->restore_mask,
        };
        return run_process_exec(&p, err);
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

int run_signals_block(sigset_t *ret_old, struct box_err *err)
{
        sigset_t mask;
        sigemptyset(&mask);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTTOU);
        sigprocmask(SIG_BLOCK, &mask, ret_old);
        int fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                sigprocmask(SIG_SETMASK, ret_old, NULL);
                return box_err_errno(err, e, "signalfd");
        }
        /* a relay's reader gone (`box run ... | head -1`, a container that
         * never reads stdin) is EPIPE for box, not its death; the child
         * restores the old mask before its execve */
        sigset_t pipe_mask;
        sigemptyset(&pipe_mask);
        sigaddset(&pipe_mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &pipe_mask, NULL);
        return fd;
}

void run_signals_restore(const sigset_t *old)
{
        /* a SIGPIPE pending from the relay must not reach box */
        sigset_t pm;
        sigemptyset(&pm);
        sigaddset(&pm, SIGPIPE);
        while (sigtimedwait(&pm, NULL, &(struct timespec){0}) > 0)
                ;
        sigprocmask(SIG_SETMASK, old, NULL);
}

/* The relay's pipes: see run/run-internal.h. */
void run_relay_close(struct run_relay *s)
{
        for (int i = 0; i < 3; i++) {
                if (s->child[i] >= 0)
                        close(s->child[i]);
                if (s->host[i] >= 0)
                        close(s->host[i]);
                s->child[i] = s->host[i] = -1;
        }
}

/* Is FD a pipe or a socket of no file system's (pipefs, sockfs)?  A named
 * FIFO is an inode of the host's: passed on, the container could chmod or
 * chown it through /proc/self/fd/N, or open it again for reading. */
static bool is_anonymous_channel(int fd, const struct stat *st)
{
        struct statfs sf;
        if (S_ISSOCK(st->st_mode))
                return true;
        return S_ISFIFO(st->st_mode) && fstatfs(fd, &sf) == 0 && sf.f_type == PIPEFS_MAGIC;
}

/* Is ST the /dev/null device (the character device 1:3)? */
static bool is_dev_null(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

int run_relay_open(bool interactive, bool tty, bool own_null, struct run_relay *s,
                   struct box_err *err)
{
        int r = run_enter_check_stdio(err);
        if (r < 0 || tty)
                return r;
        for (int i = 0; i < 3; i++) {
                struct stat st;
                if ((i == 0 && !interactive) || fstat(i, &st) < 0 || is_anonymous_channel(i, &st))
                        continue;
                if (own_null && i > 0 && is_dev_null(&st)) {
                        s->null[i] = true;
                        continue;
                }
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0) {
                        run_relay_close(s);
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
int run_supervise(bool interactive, pid_t pid, int sigfd, int master, struct run_relay *rl,
                  int timeout_ms, int *ret_cancel)
{
        bool stdin_open = interactive && (master >= 0 || rl->host[0] >= 0);
        int in_to = master >= 0 ? master : rl->host[0];
        int status = -1;
        double deadline = ms_now() + timeout_ms;

        if (master >= 0) {
                /* Docker makes the terminal raw only when it forwards input */
                if (interactive)
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
                int wait_ms = -1;
                if (timeout_ms > 0) {
                        wait_ms = (int)(deadline - ms_now());
                        if (wait_ms <= 0) {
                                /* too late: killed, then reaped as usual */
                                kill(pid, SIGKILL);
                                timeout_ms = 0;
                                wait_ms = -1;
                        }
                }
                int np = poll(p, 5, wait_ms);
                if (np < 0) {
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
                                } else if (ret_cancel &&
                                           (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM ||
                                            si.ssi_signo == SIGHUP || si.ssi_signo == SIGQUIT)) {
                                        *ret_cancel = (int)si.ssi_signo;
                                        kill(pid, SIGKILL);
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
        int r = run_idmap_write(pid, file, map, n);
        if (r < 0)
                return box_err_errno(err, -r, "write %s", file);
        return 0;
}

/* In box, once the container's process exists: its id maps, then its root
 * as a detached mount seen through them. */
static int setup_userns(const struct run_spec *spec, pid_t pid, int sock, struct box_err *err)
{
        int r = 0;
        /* a joined one has its maps (the other container's, the same) */
        if (!spec->join_userns)
                r = write_map(pid, "uid_map", spec->uid_map, spec->n_uid_map, err);
        if (r >= 0 && !spec->join_userns)
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
        r = run_fd_send(sock, m);
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

/* The pipes and the socket between box and the container's process: sync
 * ("go"), err (the child's report) and console (the pty's master, the
 * user namespace's root mount).  [0] reads, [1] writes; -1 when closed. */
struct sandbox_fds {
        int sync[2], err[2], console[2];
};

static void sandbox_fds_close(struct sandbox_fds *f)
{
        int *all[] = {f->sync, f->err, f->console};
        for (size_t i = 0; i < ARRAY_SIZE(all); i++)
                for (int j = 0; j < 2; j++)
                        if (all[i][j] >= 0) {
                                close(all[i][j]);
                                all[i][j] = -1;
                        }
}

static int sandbox_fds_open(const struct run_spec *spec, struct sandbox_fds *f, struct box_err *err)
{
        if (pipe2(f->sync, O_CLOEXEC) < 0 || pipe2(f->err, O_CLOEXEC) < 0 ||
            ((spec->tty || spec->n_uid_map > 0) &&
             socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->console) < 0))
                return box_err_errno(err, errno, "pipe");
        return 0;
}

/* After the clone: box keeps only its own ends. */
static void close_child_ends(struct sandbox_fds *f, struct run_relay *relay)
{
        int *child[] = {&f->sync[0],      &f->err[1],       &f->console[1],
                        &relay->child[0], &relay->child[1], &relay->child[2]};
        for (size_t i = 0; i < ARRAY_SIZE(child); i++)
                if (*child[i] >= 0) {
                        close(*child[i]);
                        *child[i] = -1;
                }
}

/* clone3(2)'s arguments (<linux/sched.h> does not mix with <sched.h>) */
struct clone3_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
                set_tid_size, cgroup;
};
#define CLONE3_INTO_CGROUP 0x200000000ULL

/* The container's process, in its new namespaces and, with V2_DIR >= 0,
 * born in that v2 cgroup (*RET_IN_V2; clone3 with CLONE_INTO_CGROUP, else
 * plain clone and box moves it): returns its pid to box (-1 with errno),
 * never to the child, which runs child_main(). */
/* The container's process, its new namespaces owned by another
 * container's user namespace (SPEC's userns_fd): a helper joins that one
 * and clones the child as box's own (CLONE_PARENT), then reports its pid
 * and ends.  Namespaces cloned in box would belong to the host's user
 * namespace, where the joined one's root can mount nothing. */
static pid_t clone_child_in_userns(const struct run_spec *spec, struct child_args *a,
                                   unsigned long flags)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t helper = fork();
        if (helper < 0) {
                close(p[0]);
                close(p[1]);
                return -1;
        }
        if (helper == 0) {
                close(p[0]);
                pid_t pid = -1;
                /* in the other's user namespace its root may not ptrace us
                 * (we hold box's fds): only the host's could */
                prctl(PR_SET_DUMPABLE, 0);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (setns(spec->userns_fd, CLONE_NEWUSER) == 0)
                        pid = (pid_t)syscall(SYS_clone, flags | CLONE_PARENT, NULL, NULL, NULL, 0);
                if (pid == 0)
                        child_main(a);
                /* the pid, or the errno negated */
                int rep = pid < 0 ? -errno : pid;
                (void)!write(p[1], &rep, sizeof(rep));
                _exit(0);
        }
        close(p[1]);
        int rep = -EIO, st;
        if (RETRY_EINTR(read(p[0], &rep, sizeof(rep))) != (ssize_t)sizeof(rep))
                rep = -EIO;
        close(p[0]);
        RETRY_EINTR(waitpid(helper, &st, 0));
        if (rep < 0) {
                errno = -rep;
                return -1;
        }
        return rep;
}

static pid_t clone_child(const struct run_spec *spec, struct child_args *a, int v2_dir,
                         bool *ret_in_v2)
{
        unsigned long flags = CLONE_NEWNS;
        /* --uts, --ipc, --pid host: box's (the host's); container:NAME:
         * that container's */
        if (!spec->host_uts)
                flags |= CLONE_NEWUTS;
        if (!spec->host_ipc && !spec->join_ipc)
                flags |= CLONE_NEWIPC;
        if (!spec->host_pid && !spec->join_pid)
                flags |= CLONE_NEWPID;
        /* a PID namespace is entered by the children of who joins it: box
         * joins for this one child, then returns to its own */
        _cleanup_close_ int own_pidns = -EBADF;
        if (spec->join_pid) {
                own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
                if (own_pidns < 0 || setns(spec->pidns_fd, CLONE_NEWPID) < 0)
                        return -1;
        }
        if (spec->network == RUN_NETWORK_NONE || spec->network == RUN_NETWORK_PRIVATE)
                flags |= CLONE_NEWNET;
        *ret_in_v2 = false;
        if (spec->n_uid_map > 0 && spec->join_userns)
                return clone_child_in_userns(spec, a, flags | SIGCHLD);
        if (spec->n_uid_map > 0)
                flags |= CLONE_NEWUSER;
        pid_t pid = -1;
        if (v2_dir >= 0) {
                struct clone3_args ca = {.flags = flags | CLONE3_INTO_CGROUP,
                                         .exit_signal = SIGCHLD,
                                         .cgroup = (uint64_t)v2_dir};
                pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
                /* a kernel before 5.7 or a seccomp filter around box */
                *ret_in_v2 = pid >= 0;
        }
        if (pid < 0)
                pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0)
                child_main(a);
        if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0 && pid > 0) {
                /* box's later children would land in the other container */
                kill(pid, SIGKILL);
                return -1;
        }
        return pid;
}

/* The child's report over the err pipe: nothing when it reached execve. */
static int read_child_report(int fd, struct box_err *err)
{
        struct child_report rep;
        ssize_t n = fs_read_full(fd, &rep, sizeof(rep));
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof(rep))
                return box_err_set(err, EIO, "container setup failed");
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        int r = box_err_set(err, rep.code, "%s", rep.msg);
        if (err)
                err->exit_code = rep.exit_code;
        return r;
}

/* Box's side of the start: the user namespace's maps and root, the v2
 * cgroup unless the child was born there (IN_V2), "go", the child's
 * report, the pty's master (*RET_MASTER).  On a failure of box's own the
 * child is killed. */
static int start_child(const struct run_spec *spec, pid_t pid, struct sandbox_fds *f,
                       struct run_cgroup *cg, bool in_v2, int *ret_master, struct box_err *err)
{
        int r = 0;
        if (spec->n_uid_map > 0)
                r = setup_userns(spec, pid, f->console[0], err);
        /* the child joins v1 on its own; v2 at its birth, or now */
        if (r >= 0 && !in_v2)
                r = run_cgroup_attach_v2(cg, pid, err);
        if (r >= 0 && write(f->sync[1], "g", 1) != 1)
                r = box_err_errno(err, errno, "start container");
        /* the container builds its root meanwhile, and waits for this */
        if (r >= 0 && spec->network == RUN_NETWORK_PRIVATE && spec->net_setup) {
                r = spec->net_setup(pid, spec->net_userdata, err);
                if (r >= 0 && write(f->sync[1], "n", 1) != 1)
                        r = box_err_errno(err, errno, "start container");
        }
        if (r < 0) {
                /* the container's set-up may have failed on its own (it
                 * wrote its report before exiting, and box's write or its
                 * netns then failed): that report says why, not box's
                 * error.  A child still alive is killed and reports
                 * nothing. */
                kill(pid, SIGKILL);
                struct box_err child = {0};
                if (read_child_report(f->err[0], &child) < 0) {
                        if (err)
                                *err = child;
                        r = -child.code;
                }
                return r;
        }
        close(f->sync[1]);
        f->sync[1] = -1;
        if (spec->on_go)
                spec->on_go(spec->userdata);
        r = read_child_report(f->err[0], err);
        if (r < 0)
                return r;
        if (spec->tty) {
                *ret_master = run_fd_recv(f->console[0]);
                if (*ret_master < 0) {
                        kill(pid, SIGKILL);
                        return box_err_errno(err, -*ret_master, "receive the pty");
                }
        }
        return 0;
}

static void *close_main(void *arg)
{
        close((int)(intptr_t)arg);
        return NULL;
}

/* FD closed on a thread of its own, which nothing joins: the close of an
 * inotify instance waits for the kernel's reaper of the watches it had
 * (an SRCU grace period: ~0.1 ms on an idle host, 5-130 ms seen under
 * load), which nothing of box needs.  Box removes the container's record
 * meanwhile; its exit waits for the thread's close, so nothing is left
 * when the caller of `box run` goes on. */
static void close_later(int fd)
{
        pthread_t t;
        if (thread_start(&t, true, close_main, (void *)(intptr_t)fd) != 0)
                close(fd);
}

/* spec->root_gone: whether the watch the child put on its root (WATCH,
 * an inotify fd, closed here) saw its file system go */
static void root_gone_report(const struct run_spec *spec, int watch)
{
        bool gone = false;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        while (watch >= 0 && (n = read(watch, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        gone |= (ev->mask & IN_UNMOUNT) != 0;
                        p += sizeof(*ev) + ev->len;
                }
        if (spec->root_gone)
                *spec->root_gone = gone;
        if (watch >= 0)
                close_later(watch);
}

/* A terminal's size: the spec's, else box's own terminal's. */
static void child_winsize(const struct run_spec *spec, struct child_args *a)
{
        if (spec->tty && spec->tty_rows && spec->tty_cols) {
                a->ws = (struct winsize){.ws_row = spec->tty_rows, .ws_col = spec->tty_cols};
                a->have_ws = true;
        } else if (spec->tty) {
                a->have_ws = ioctl(0, TIOCGWINSZ, &a->ws) == 0 || ioctl(1, TIOCGWINSZ, &a->ws) == 0;
        }
}

/* The container's overlay, made by box as a detached mount before the
 * clone: overlayfs' mount makes its work directory and tries a temporary
 * file, a whiteout and an xattr there, ~0.2-0.3 ms that the container's
 * set-up no longer spends on its way to exec; it attaches the detached
 * mount where it would have mounted one (run_rootfs_mount_base).  Made
 * by box's main thread, first: on a thread of its own it began 0.7-2.8 ms
 * after it was started on a 2-CPU host (the other CPU woken or freed),
 * while the main thread had ~0.3 ms to do meanwhile and then waited for it
 * (docs/performance.md, sixth round).  Where fsconfig(2) cannot make it
 * (its strings stop at 255 bytes: an image of ~16 layers or more), or in
 * a user namespace, the child mounts it itself: -EBADF. */
static int root_overlay(const struct run_spec *spec)
{
        int fd;
        if (spec->rootfs || spec->n_uid_map > 0 || run_rootfs_overlay_detached(spec, &fd, NULL) < 0)
                return -EBADF;
        return fd;
}

/* The container's cgroups once it has ended (R: how the sandbox went):
 * removed now, or with spec->cgroups_later on a thread while the caller
 * removes its record. */
static void cgroups_end(const struct run_spec *spec, struct run_cgroup *cg, int r)
{
        if (spec->oom_killed)
                *spec->oom_killed = run_cgroup_oom_killed(cg);
        if (spec->cgroups_later && r >= 0) {
                *spec->cgroups_later = run_cgroup_destroy_start(cg);
                return;
        }
        if (spec->cgroups_later)
                *spec->cgroups_later = NULL;
        bool gone = run_cgroup_destroy(cg);
        if (spec->cgroups_gone)
                *spec->cgroups_gone = gone && r >= 0;
}

/* Detached: box's ends of the stdio (with -t the pty's master) go to the
 * monitor spec->detach execs; back here only on its failure, and then the
 * container is killed. */
static int detach_child(const struct run_spec *spec, pid_t pid, int master,
                        const struct run_relay *relay, struct box_err *err)
{
        int r = spec->detach(pid, master >= 0 ? -1 : relay->host[0],
                             master >= 0 ? master : relay->host[1], relay->host[2], spec->userdata,
                             err);
        kill(pid, SIGKILL);
        return r;
}

static int cancelled(int sig, struct box_err *err)
{
        int r = box_err_set(err, EINTR, "cancelled by SIG%s", sigabbrev_np(sig));
        err->exit_code = 128 + sig;
        return r;
}

int run_sandbox_run(const struct run_spec *spec, int *ret_status, struct box_err *err)
{
        _cleanup_free_ char *rootfs_path = spec->mount_dir
                                                   ? xstrdup(spec->mount_dir)
                                                   : xasprintf("%s/rootfs", spec->state_dir);
        struct run_bpf bpf = {0};
        struct run_cgroup *cg = NULL;
        struct run_cgroup_join join = {.v2_dir = -EBADF};
        _cleanup_strv_free_ char **tasks = NULL; /* v1's, joined after "go" */
        struct sandbox_fds f = {{-1, -1}, {-1, -1}, {-1, -1}};
        _cleanup_close_ int sigfd = -EBADF, master = -EBADF;
        struct run_relay relay = {.child = {-1, -1, -1}, .host = {-1, -1, -1}};
        sigset_t old;
        pid_t pid = -1;
        int r;
        int watch = -EBADF; /* root_gone_report() */

        double t0 = ms_now();
        if (spec->network == RUN_NETWORK_CONTAINER) {
                r = run_sysctl_check_netns(spec->netns_fd, spec->sysctls, err);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int root_fd = root_overlay(spec);
        uint64_t caps = spec->privileged ? run_caps_all() : spec->caps;
        /* box cannot give what it does not have (e.g. no CAP_SYS_RESOURCE here) */
        caps &= run_caps_own();
        if (!spec->privileged && spec->seccomp != RUN_SECCOMP_UNCONFINED) {
                r = run_seccomp_compile(spec, caps, &bpf, err);
                if (r < 0)
                        return r;
        }
        PHASE("seccomp");
        if (spec->n_uid_map > 0)
                chown_for_userns(spec);
        if (mkdir(rootfs_path, 0755) < 0 && errno != EEXIST) {
                r = box_err_errno(err, errno, "create '%s'", rootfs_path);
                goto out;
        }
        /* Without a user namespace the child builds the first half of its
         * root before "go": the v1 hierarchies' directories and limits are
         * made meanwhile (it joins them after "go", before anything of the
         * container's runs); the v2 one first, to be born in. */
        bool overlap = spec->n_uid_map == 0;
        r = run_cgroup_create(spec->cgroup_parent, spec->id, spec->resources, spec->privileged,
                              overlap, &cg, err);
        if (r < 0)
                goto out;
        r = run_cgroup_join_open(cg, &join, err);
        if (r < 0)
                goto out;
        if (overlap)
                tasks = run_cgroup_tasks_paths(cg);
        PHASE("cgroup");
        /* the host's /dev/null as the container's own, where box is the
         * last reader of its output (detached, the monitor logs it) */
        r = run_relay_open(spec->interactive, spec->tty, !spec->detach, &relay, err);
        if (r >= 0)
                r = sandbox_fds_open(spec, &f, err);
        if (r < 0)
                goto out;
        sigfd = run_signals_block(&old, err);
        if (sigfd < 0) {
                r = sigfd; /* the mask is back as it was */
                goto out;
        }

        if (spec->root_gone && !spec->rootfs)
                watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        struct child_args a = {
                .t0 = t0,
                .spec = spec,
                .rootfs_path = rootfs_path,
                .sync_fd = f.sync[0],
                .err_fd = f.err[1],
                .console_fd = f.console[1],
                .restore_mask = old,
                .bpf = bpf.filter ? &bpf : NULL,
                .caps = caps,
                .stdio = {relay.child[0], relay.child[1], relay.child[2]},
                .null = {false, relay.null[1], relay.null[2]},
                .join = &join,
                .join_after_go = tasks,
                .watch_fd = watch,
        };
        a.root_fd = root_fd;
        a.cg_mounts = run_cgroup_mounts(cg, &a.n_cg_mounts);
        child_winsize(spec, &a);
        bool in_v2;
        pid = clone_child(spec, &a, join.v2_dir, &in_v2);
        if (pid < 0) {
                r = box_err_errno(err, errno, "clone");
                goto out_mask;
        }
        close_child_ends(&f, &relay);
        run_cgroup_join_close(&join);
        /* the child's copy of the overlay is the one that counts: its
         * superblock must go with the container (root_gone) */
        if (root_fd >= 0)
                close(TAKE_FD(root_fd));
        if (overlap) {
                r = run_cgroup_create_rest(cg, err);
                if (r < 0) {
                        kill(pid, SIGKILL);
                        goto out_wait;
                }
        }

        PHASE("clone");
        r = start_child(spec, pid, &f, cg, in_v2, &master, err);
        if (r < 0)
                goto out_wait;
        PHASE("exec");
        if (spec->on_started)
                spec->on_started(pid, spec->userdata);
        if (spec->detach) {
                r = detach_child(spec, pid, master, &relay, err);
                goto out_wait;
        }

        int cancel = 0;
        *ret_status = run_supervise(spec->interactive, pid, sigfd, master, &relay, 0,
                                    spec->cancel_on_signal ? &cancel : NULL);
        PHASE("exit");
        pid = -1;
        r = cancel ? cancelled(cancel, err) : 0;
        goto out_mask;

out_wait:
        if (pid > 0) {
                int st;
                RETRY_EINTR(waitpid(pid, &st, 0));
        }
out_mask:
        run_signals_restore(&old);
out:
        sandbox_fds_close(&f);
        run_relay_close(&relay);
        run_cgroup_join_close(&join);
        cgroups_end(spec, cg, r);
        root_gone_report(spec, watch);
        PHASE("cgroup gone");
        free(bpf.filter);
        return r;
}

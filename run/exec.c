/* box exec: one more process in a running container.
 *
 * box (P) forks a joiner (A) that stays in the host's pid namespace: A
 * closes box's fds, joins the container's cgroup, then all its namespaces
 * at once through a pidfd of the container's pid 1 (setns(2) with a pidfd
 * is atomic, and the pidfd cannot name a reused pid), and checks that "/"
 * is now the container's root.  A then clones the process (B) with
 * CLONE_PARENT, so that B is in the container's pid namespace and box's
 * own child: box waits for it and sees its real status, signals included.
 * A tells box B's pid and exits.  B goes through run_process_exec(), the
 * one door into a container (fds closed, working directory resolved in the
 * root, Landlock, the container's capabilities, seccomp filter and ids),
 * and execs the command.
 *
 * Why the container never reaches box's binary, fds or cwd (CVE-2019-5736,
 * CVE-2024-21626): A is never visible in the container (another pid
 * namespace); B is, but it is not dumpable from its first instruction (the
 * flag comes from P through fork), so no process of the container may open
 * its /proc/PID/exe, fds or cwd while it runs box's code; it holds no fd
 * of box but its stdio and the error pipe; its cwd is the container's root
 * (setns of the mount namespace) until run_process_enter() resolves the
 * working directory inside the root; after its execve box's binary is not
 * mapped in the container at all, and Landlock refuses to execute anything
 * outside the root (/proc/self/exe as a command or an interpreter).  So no
 * copy of box's binary (runc's memfd) is needed: nothing in the container
 * can reach the binary, let alone run it.
 *
 * A frozen (paused) container is refused: joining its cgroup would freeze
 * the joiner. */
#include "run/exec.h"
#include "run/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"
#include "run/state.h"
#include "spec/json.h"

/* What the container's config.json says about its processes. */
struct exec_config {
        char **env;
        char *user, *cwd, *cgroup_parent, *seccomp_profile;
        char **group_add, **cap_add, **cap_drop;
        bool privileged, no_new_privs;
        enum run_seccomp_mode seccomp;
};

static void exec_config_release(struct exec_config *c)
{
        strv_free(c->env);
        strv_free(c->group_add);
        strv_free(c->cap_add);
        strv_free(c->cap_drop);
        free(c->user);
        free(c->cwd);
        free(c->cgroup_parent);
        free(c->seccomp_profile);
}

static char *dup_str(const struct jv *o, const char *key)
{
        const char *s = jv_get_str(o, key);
        return s ? xstrdup(s) : NULL;
}

static char **dup_strv(const struct jv *o, const char *key)
{
        const struct jv *a = jv_get(o, key);
        return jv_is_array(a) ? jv_to_strv(a) : xnew0(char *, 1);
}

static int exec_config_load(const char *root, const char *id, struct exec_config *ret,
                            struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        int r = run_state_config(root, id, &o, err);
        if (r < 0)
                return r;
        const struct jv *cfg = jv_get(o, "Config"), *hc = jv_get(o, "HostConfig");
        struct exec_config c = {.seccomp = RUN_SECCOMP_DEFAULT};
        c.env = dup_strv(cfg, "Env");
        c.user = dup_str(cfg, "User");
        c.cwd = dup_str(cfg, "WorkingDir");
        c.cgroup_parent = dup_str(hc, "CgroupParent");
        c.group_add = dup_strv(hc, "GroupAdd");
        c.cap_add = dup_strv(hc, "CapAdd");
        c.cap_drop = dup_strv(hc, "CapDrop");
        c.privileged = jv_bool_value(jv_get(hc, "Privileged"));
        _cleanup_strv_free_ char **sec = dup_strv(hc, "SecurityOpt");
        STRV_FOREACH (s, sec) {
                if (streq(*s, "no-new-privileges:true") || streq(*s, "no-new-privileges"))
                        c.no_new_privs = true;
                else if (streq(*s, "seccomp=unconfined"))
                        c.seccomp = RUN_SECCOMP_UNCONFINED;
                else if (strneq(*s, "seccomp=", 8)) {
                        c.seccomp = RUN_SECCOMP_PROFILE;
                        free(c.seccomp_profile);
                        c.seccomp_profile = xstrdup(*s + 8);
                }
        }
        *ret = c;
        return 0;
}

/* The container's capabilities (or all box has, with --privileged) and
 * its seccomp filter, compiled for the container's own capabilities as
 * Docker's is. */
static int confinement(const char *root, const struct exec_config *c, bool privileged,
                       uint64_t *ret_caps, struct run_bpf *ret_bpf, struct box_err *err)
{
        uint64_t caps = run_caps_default();
        if (c->privileged)
                caps = run_caps_all();
        else if (run_caps_apply_flags(&caps, c->cap_add, c->cap_drop, err) < 0)
                return box_err_prefix(err, "the container's capabilities");
        caps &= run_caps_own();
        *ret_bpf = (struct run_bpf){0};
        if (!c->privileged && c->seccomp != RUN_SECCOMP_UNCONFINED) {
                _cleanup_free_ char *cache = xasprintf("%s/cache/seccomp", root);
                struct run_spec s = {
                        .seccomp = c->seccomp,
                        .seccomp_profile = c->seccomp_profile,
                        .seccomp_cache_dir = cache,
                };
                int r = run_seccomp_compile(&s, caps, ret_bpf, err);
                if (r < 0)
                        return r;
        }
        *ret_caps = privileged ? run_caps_all() & run_caps_own() : caps;
        return 0;
}

/* One value of /proc/PID/limits: a number or "unlimited". */
static bool rlimit_value_parse(const char *s, rlim_t *ret)
{
        if (strncmp(s, "unlimited", 9) == 0) {
                *ret = RLIM_INFINITY;
                return true;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s)
                return false;
        *ret = (rlim_t)v;
        return true;
}

/* The resource limits of the container's pid 1, which its processes share.
 * Read from /proc/PID/limits, which anyone may read: prlimit(2) on another
 * user's process (pid 1 of a USER postgres image) needs CAP_SYS_RESOURCE,
 * and without it the exec'd process kept box's own, higher, limits.  The
 * kernel lists them in resource order, one a line after a header, the
 * values from column 26 (soft, hard, each 21 wide). */
static int container_rlimits(pid_t pid, struct run_rlimit ret[RLIM_NLIMITS], size_t *ret_n,
                             struct box_err *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/limits", (int)pid), *text = NULL;
        int r = fs_read_file_at(AT_FDCWD, path, 0, &text, NULL, err);
        if (r < 0)
                return box_err_prefix(err, "the container's resource limits");
        size_t n = 0;
        char *line = strchr(text, '\n');
        for (int i = 0; i < RLIM_NLIMITS && line && *++line; i++) {
                char *eol = strchrnul(line, '\n');
                bool last = !*eol;
                *eol = '\0';
                struct rlimit l;
                if (eol - line < 47 || !rlimit_value_parse(line + 26, &l.rlim_cur) ||
                    !rlimit_value_parse(line + 47, &l.rlim_max))
                        return box_err_set(err, EINVAL, "cannot parse line %d of '%s'", i + 2,
                                           path);
                ret[n++] = (struct run_rlimit){.resource = i, .lim = l};
                line = last ? NULL : eol;
        }
        *ret_n = n;
        return 0;
}

/* What travels from box to the joiner and the process. */
struct exec_child {
        const struct run_exec *x;
        struct run_process proc;
        struct run_cgroup *cg;
        int pidfd;      /* the container's pid 1 */
        int rootfd;     /* its root, to check the one setns gives */
        int ns_flags;   /* CLONE_NEW* to join */
        int err_fd;     /* write: struct exec_report on failure */
        int pid_fd;     /* write: the process's pid, from the joiner */
        int console_fd; /* -t: socket for the pty master */
        int stdio[3];   /* >= 0: put on 0, 1 or 2 */
};

struct exec_report {
        int code;
        int exit_code;
        char msg[1024];
};

_noreturn_ static void report_exit(const struct exec_child *c, const struct box_err *err)
{
        struct exec_report rep = {.code = err->code ? err->code : EIO, .exit_code = err->exit_code};
        memcpy(rep.msg, err->msg, sizeof(rep.msg));
        (void)!write(c->err_fd, &rep, sizeof(rep));
        _exit(err->exit_code ? err->exit_code : 125);
}

/* Opens NAME of the container (relative to "/") inside its root and checks
 * it is the character device MAJ:MIN: the container owns its /dev. */
static int open_device(const char *name, int flags, unsigned maj, unsigned min, struct box_err *err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = root < 0 ? -1 : openat_in_root(root, name, flags | O_CLOEXEC, 0);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "open the container's /%s", name);
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min)
                return box_err_set(err, EPERM, "the container's /%s is not the device %u:%u", name,
                                   maj, min);
        return TAKE_FD(fd);
}

/* -t: a pty of the container's devpts; the master goes to box, the slave
 * becomes the controlling terminal on 0, 1 and 2. */
static int setup_pty(const struct exec_child *c, struct box_err *err)
{
        _cleanup_close_ int master = open_device("dev/ptmx", O_RDWR | O_NOCTTY, 5, 2, err);
        if (master < 0)
                return master;
        struct winsize ws;
        bool have_ws = ioctl(c->stdio[0] >= 0 ? c->stdio[0] : 0, TIOCGWINSZ, &ws) == 0;
        return run_pty_take(master, have_ws ? &ws : NULL, false, c->console_fd, err);
}

/* The container's /dev/null on stdin, and with ALL on stdout and stderr. */
static int null_stdio(bool all, struct box_err *err)
{
        int null = open_device("dev/null", O_RDWR, 1, 3, err);
        if (null < 0)
                return null;
        for (int i = 0; i < (all ? 3 : 1); i++)
                if (dup2(null, i) < 0)
                        return box_err_errno(err, errno, "dup2 /dev/null");
        close(null);
        return 0;
}

/* B: in every namespace of the container, box's child. */
_noreturn_ static void process_main(struct exec_child *c)
{
        struct box_err err = {0};
        int r = 0;
        if (!c->x->detach)
                prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (c->x->tty) {
                r = setup_pty(c, &err);
        } else {
                (void)setsid();
                if (c->x->detach || !c->x->interactive)
                        r = null_stdio(c->x->detach, &err);
        }
        if (r >= 0)
                r = run_process_exec(&c->proc, &err);
        /* Docker's exit code for an exec the runtime could not start */
        if (!err.exit_code)
                err.exit_code = 126;
        report_exit(c, &err);
}

/* Joins the container's namespaces and checks that "/" became its root. */
static int join(struct exec_child *c, struct box_err *err)
{
        int r = run_cgroup_attach(c->cg, getpid(), err);
        if (r < 0)
                return r;
        if (setns(c->pidfd, c->ns_flags) < 0)
                return box_err_errno(err, errno, "join the container's namespaces");
        struct stat want, got;
        if (fstat(c->rootfd, &want) < 0 || stat("/", &got) < 0 || want.st_dev != got.st_dev ||
            want.st_ino != got.st_ino)
                return box_err_set(err, EPERM,
                                   "joined the container's mount namespace but its "
                                   "root is not the container's, refusing it");
        close(c->rootfd);
        close(c->pidfd);
        c->rootfd = c->pidfd = -1;
        return 0;
}

/* A: in the host's pid namespace, box's child. */
_noreturn_ static void joiner_main(struct exec_child *c)
{
        struct box_err err = {0};
        prctl(PR_SET_DUMPABLE, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 3; i++)
                if (c->stdio[i] >= 0 && dup2(c->stdio[i], i) < 0)
                        report_exit(c, &(struct box_err){.code = errno, .msg = "dup2 stdio"});
        /* box's fds are closed before anything of the container is touched */
        const int keep[] = {c->err_fd, c->pid_fd, c->console_fd, c->pidfd, c->rootfd};
        int r = fs_close_all_except(keep, ARRAY_SIZE(keep));
        if (r < 0) {
                box_err_errno(&err, -r, "close box's fds");
                report_exit(c, &err);
        }
        if (join(c, &err) < 0)
                report_exit(c, &err);
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, 0);
        if (pid < 0) {
                box_err_errno(&err, errno, "clone into the container");
                report_exit(c, &err);
        }
        if (pid == 0) {
                close(c->pid_fd);
                process_main(c);
        }
        (void)!write(c->pid_fd, &pid, sizeof(pid));
        _exit(0);
}

/* Which of the container's namespaces to join: all it has, but its user
 * namespace only when it has its own (joining one's own fails). */
static int ns_flags(pid_t pid)
{
        int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                    CLONE_NEWCGROUP;
        struct stat a, b;
        _cleanup_free_ char *p = xasprintf("/proc/%d/ns/user", (int)pid);
        if (stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
                flags |= CLONE_NEWUSER;
        return flags;
}

/* In box, once the joiner runs: the process's pid, then its report. */
static int collect(struct exec_child *c, pid_t joiner, int pid_fd, int err_fd, pid_t *ret_pid,
                   struct box_err *err)
{
        pid_t pid = -1;
        if (fs_read_full(pid_fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
                pid = -1;
        int st;
        RETRY_EINTR(waitpid(joiner, &st, 0));
        struct exec_report rep;
        ssize_t n = fs_read_full(err_fd, &rep, sizeof(rep));
        if (n == 0 && pid > 0) {
                *ret_pid = pid;
                return 0;
        }
        if (pid > 0)
                RETRY_EINTR(waitpid(pid, &st, 0));
        if (n != (ssize_t)sizeof(rep))
                return box_err_set(err, EIO, "exec: the process failed before it started");
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        int r = box_err_set(err, rep.code, "%s", rep.msg);
        if (err)
                err->exit_code = rep.exit_code;
        (void)c;
        return r;
}

/* The container's pid 1, its root and its cgroup, checked to be live and
 * not frozen. */
static int open_container(const char *runroot, const char *id, const struct exec_config *cfg,
                          struct exec_child *c, pid_t *ret_pid, struct box_err *err)
{
        pid_t pid = 0;
        c->pidfd = run_state_pidfd(runroot, id, &pid);
        if (c->pidfd < 0)
                return box_err_set(err, ESRCH, "container %s is not running", id);
        int r = run_cgroup_open(cfg->cgroup_parent, id, &c->cg, err);
        if (r < 0)
                return box_err_prefix(err, "container %.12s", id);
        if (run_cgroup_frozen(cfg->cgroup_parent, id))
                return box_err_set(err, EBUSY,
                                   "container %s is paused, unpause the container before exec", id);
        _cleanup_free_ char *p = xasprintf("/proc/%d/root", (int)pid);
        c->rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        c->ns_flags = ns_flags(pid);
        /* the pid named the container's pid 1 for all of that only if it
         * still lives now */
        if (c->rootfd < 0 || sys_pidfd_send_signal(c->pidfd, 0, 0) < 0)
                return box_err_set(err, ESRCH, "container %s is not running", id);
        *ret_pid = pid;
        return 0;
}

/* Docker's: the container's, TERM=xterm with -t unless it sets TERM, then
 * exec's own. */
static char **exec_env(char *const *base, char *const *add, bool tty)
{
        char **env = strv_copy(base);
        if (tty && strv_env_find(env, "TERM", 4) < 0)
                env = strv_env_set(env, "TERM=xterm");
        /* a bare K (exec -e K, K unset where box runs) removes the
         * container's K, as Docker's ReplaceOrAppendEnvValues does */
        STRV_FOREACH (e, add)
                if (strchr(*e, '='))
                        env = strv_env_set(env, *e);
                else
                        strv_env_unset(env, *e);
        return env;
}

int run_exec(const char *root, const char *runroot, const char *id, const struct run_exec *x,
             int *ret_status, struct box_err *err)
{
        _cleanup_(exec_config_release) struct exec_config cfg = {0};
        struct exec_child c = {.x = x, .pidfd = -1, .rootfd = -1, .console_fd = -1};
        struct run_relay relay = {.child = {-1, -1, -1}, .host = {-1, -1, -1}};
        struct run_rlimit rlimits[RLIM_NLIMITS];
        struct run_bpf bpf = {0};
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_close_pair_ int err_pipe[2] = {-1, -1}, pid_pipe[2] = {-1, -1},
                                 console[2] = {-1, -1};
        _cleanup_close_ int sigfd = -EBADF, master = -EBADF;
        sigset_t old;
        pid_t pid = 0, joiner;
        uint64_t caps = 0;
        int r;

        if (!run_id_valid(id))
                return box_err_set(err, EINVAL, "'%s' is not a container id", id);
        if (run_state_status(root, runroot, id) != RUN_STATUS_RUNNING)
                return box_err_set(err, ESRCH, "container %s is not running", id);
        r = exec_config_load(root, id, &cfg, err);
        if (r < 0)
                return r;
        r = confinement(root, &cfg, x->privileged, &caps, &bpf, err);
        if (r < 0)
                return r;
        r = open_container(runroot, id, &cfg, &c, &pid, err);
        if (r < 0)
                goto out;
        env = exec_env(cfg.env, x->env, x->tty);
        c.proc = (struct run_process){
                .argv = x->argv,
                .env = env,
                .user = x->user ? x->user : (cfg.user ? cfg.user : ""),
                .group_add = cfg.group_add,
                .cwd = x->cwd ? x->cwd : cfg.cwd,
                .caps = caps,
                .no_new_privs = cfg.no_new_privs,
                .privileged = cfg.privileged || x->privileged,
                .bpf = bpf.filter ? &bpf : NULL,
                .rlimits = rlimits,
                .tty = x->tty,
        };
        r = container_rlimits(pid, rlimits, &c.proc.n_rlimits, err);
        if (r < 0)
                goto out;

        if (!x->stdio && !x->detach) {
                r = run_relay_open(x->interactive, x->tty, false, &relay, err);
                if (r < 0)
                        goto out;
        }
        for (int i = 0; i < 3; i++)
                c.stdio[i] = x->stdio ? x->stdio[i] : relay.child[i];
        if (pipe2(err_pipe, O_CLOEXEC) < 0 || pipe2(pid_pipe, O_CLOEXEC) < 0 ||
            (x->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, console) < 0)) {
                r = box_err_errno(err, errno, "pipe");
                goto out;
        }
        c.err_fd = c.proc.err_fd = err_pipe[1];
        c.pid_fd = pid_pipe[1];
        c.console_fd = console[1];

        sigfd = run_signals_block(&old, err);
        if (sigfd < 0) {
                r = sigfd;
                goto out;
        }
        c.proc.restore_mask = &old;
        joiner = fork();
        if (joiner < 0) {
                r = box_err_errno(err, errno, "fork");
                goto out_mask;
        }
        if (joiner == 0)
                joiner_main(&c);
        for (int i = 0; i < 3; i++) {
                if (relay.child[i] >= 0)
                        close(relay.child[i]);
                relay.child[i] = -1;
        }
        close(TAKE_FD(err_pipe[1]));
        close(TAKE_FD(pid_pipe[1]));
        if (console[1] >= 0)
                close(TAKE_FD(console[1]));

        r = collect(&c, joiner, pid_pipe[0], err_pipe[0], &pid, err);
        if (r < 0)
                goto out_mask;
        if (x->tty) {
                master = run_fd_recv(console[0]);
                if (master < 0) {
                        r = box_err_errno(err, -master, "receive the pty");
                        kill(pid, SIGKILL);
                        RETRY_EINTR(waitpid(pid, NULL, 0));
                        goto out_mask;
                }
        }
        *ret_status = x->detach ? 0
                                : run_supervise(x->interactive, pid, sigfd, master, &relay,
                                                x->timeout_ms, NULL);
        r = 0;
out_mask:
        run_signals_restore(&old);
out:
        run_relay_close(&relay);
        if (c.pidfd >= 0)
                close(c.pidfd);
        if (c.rootfd >= 0)
                close(c.rootfd);
        run_cgroup_free(c.cg);
        free(bpf.filter);
        return r;
}

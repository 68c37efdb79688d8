/* Entering a container: the steps every process box puts into a container
 * takes, whoever starts it (see run/run-internal.h).  Why each exists:
 *
 * - fds: box's own fds are CLOEXEC, but CLOEXEC only acts at execve; until
 *   then /proc/self/fd/N of a directory of the host is a way out of the new
 *   root (CVE-2024-21626: a working directory of /proc/self/fd/N, then
 *   "cd ../../.."), and so is any other path the kernel resolves through
 *   /proc while setting up.  So they are closed, not only marked.
 * - stdio: the three fds the process keeps come from box's caller (without
 *   -t); a directory there, O_PATH or not, is as good a way out as a
 *   leaked fd ("cd -P /proc/self/fd/0/.."), so it is refused.
 * - the working directory: resolved inside the root with openat2(
 *   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), entered with fchdir, and
 *   checked with getcwd(), which names an unreachable directory instead of
 *   a path below "/" (runc's check).
 * - exec: until its execve the process runs box's binary, so /proc/self/exe
 *   (as the command, a script's interpreter or an ELF interpreter) would
 *   run box's binary inside the container, where its dumpable process lets
 *   the container open the host file.  A Landlock domain that allows
 *   execution only beneath the container's root closes that for every
 *   process of the container, for its whole life. */
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"
#include "spec/oci.h"

static int magic_link_error(const char *cwd, int e, struct box_err *err)
{
        return box_err_set(err, e,
                           "working directory '%s': refusing a path through a /proc magic link "
                           "(or a symlink loop)",
                           cwd);
}

int run_enter_make_cwd(int rootfd, const char *cwd, struct box_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = run_rootfs_open_in_root(rootfd, cwd, true, &fd, err);
        if (r == -ELOOP || r == -EXDEV)
                return magic_link_error(cwd, -r, err);
        if (r < 0)
                return box_err_prefix(err, "working directory '%s'", cwd);
        return 0;
}

static int enter_cwd(const char *cwd, struct box_err *err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return box_err_errno(err, errno, "open the container's root");
        const char *rel = cwd;
        while (*rel == '/')
                rel++;
        _cleanup_close_ int fd = *rel ? openat_in_root(root, rel, O_PATH | O_DIRECTORY, 0)
                                      : fcntl(root, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                if (errno == ELOOP || errno == EXDEV)
                        return magic_link_error(cwd, errno, err);
                return box_err_errno(err, errno, "chdir to working directory '%s'", cwd);
        }
        if (fchdir(fd) < 0)
                return box_err_errno(err, errno, "chdir to working directory '%s'", cwd);
        /* the kernel names a directory outside the root "(unreachable)/...";
         * glibc turns that into ENOENT */
        char buf[PATH_MAX];
        if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
                return box_err_set(err, EPERM,
                                   "working directory '%s' is outside the container's root, "
                                   "refusing it",
                                   cwd);
        return 0;
}

int run_enter_check_stdio(struct box_err *err)
{
        static const char *const names[] = {"stdin", "stdout", "stderr"};
        for (int fd = 0; fd < 3; fd++) {
                struct stat st;
                if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
                        return box_err_set(err, EPERM,
                                           "%s is a directory of the host, refusing to hand it to "
                                           "the container",
                                           names[fd]);
        }
        return 0;
}

/* Execution is allowed beneath "/" only.  A Landlock domain refuses every
 * rename and link between directories unless it handles and allows
 * LANDLOCK_ACCESS_FS_REFER (apt's and dpkg's renames failed with EXDEV), so
 * the domain allows that beneath "/" too; ABI 1 kernels cannot, and get no
 * domain.  Kernels without Landlock (or with it disabled or filtered) get
 * none either: the argument then rests on box's process being non-dumpable
 * and on its binary being busy while box runs. */
static int restrict_exec(struct box_err *err)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 2) {
                /* no Landlock in the kernel, disabled at boot, its system
                 * calls filtered (box itself in a container), or too old */
                if (abi >= 0 || errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM)
                        return 0;
                return box_err_errno(err, errno, "landlock: ABI version");
        }
        const __u64 access = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_REFER;
        struct landlock_ruleset_attr attr = {.handled_access_fs = access};
        _cleanup_close_ int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (rs < 0)
                return box_err_errno(err, errno, "landlock: create ruleset");
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return box_err_errno(err, errno, "open the container's root");
        struct landlock_path_beneath_attr beneath = {
                .allowed_access = access,
                .parent_fd = root,
        };
        if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
                return box_err_errno(err, errno, "landlock: allow execution in the root");
        if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
                return box_err_errno(err, errno, "landlock: restrict execution to the root");
        return 0;
}

int run_process_enter(const int *keep, size_t n_keep, const char *cwd, bool unconfined,
                      struct box_err *err)
{
        int r = fs_close_all_except(keep, n_keep);
        if (r < 0)
                return box_err_errno(err, -r, "close box's fds");
        r = run_enter_check_stdio(err);
        if (r < 0)
                return r;
        r = enter_cwd(cwd && *cwd ? cwd : "/", err);
        if (r < 0)
                return r;
        return unconfined ? 0 : restrict_exec(err);
}

/* Finds the executable like execvp, but with the container's PATH. */
static char *find_executable(const char *name, char *const *env)
{
        if (strchr(name, '/'))
                return xstrdup(name);
        int i = strv_env_find(env, "PATH", 4);
        const char *path = i >= 0 && env[i][4] == '=' ? env[i] + 5 : OCI_DEFAULT_PATH;
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

/* Every signal's default action, as a container Docker starts has them: an
 * execve keeps the signals box was started ignoring (a shell's `box run &`
 * ignores SIGINT and SIGQUIT, nohup SIGHUP), and a shell that starts with a
 * signal ignored cannot trap it; init's waitpid needs SIGCHLD's too. */
static void signals_default(void)
{
        /* the kernel's struct sigaction: glibc's sigaction() refuses the
         * signals it keeps for itself (32 and 33), which a parent may still
         * have left ignored */
        struct {
                void (*handler)(int);
                unsigned long flags;
                void (*restorer)(void);
                uint64_t mask;
        } dfl = {.handler = SIG_DFL};
        for (int sig = 1; sig <= 64; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

/* Drops what the process may not keep: the bounding set, seccomp (loaded
 * while the process may still, before no_new_privs' absence matters), the
 * user, then the final capability sets. */
static int drop_privileges(const struct run_process *p, const struct run_user *user,
                           struct box_err *err)
{
        int r;
        if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return box_err_errno(err, errno, "set no_new_privs");
        for (int c = 0; c <= CAP_LAST_CAP + 23; c++) {
                if (p->caps & (UINT64_C(1) << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break;
                        return box_err_errno(err, errno, "drop capability %d", c);
                }
        }
        if (p->bpf && !p->no_new_privs) {
                r = load_seccomp(p->bpf, err);
                if (r < 0)
                        return r;
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return box_err_errno(err, errno, "keep capabilities");
        if (sys_setgroups(user->n_groups, user->groups) < 0)
                return box_err_errno(err, errno, "setgroups");
        if (sys_setresgid(user->gid, user->gid, user->gid) < 0)
                return box_err_errno(err, errno, "setgid %u", (unsigned)user->gid);
        if (sys_setresuid(user->uid, user->uid, user->uid) < 0)
                return box_err_errno(err, errno, "setuid %u", (unsigned)user->uid);
        if (p->pdeathsig)
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the credential change */
        r = set_caps(p->caps, err);
        if (r < 0)
                return r;
        if (p->bpf && p->no_new_privs) {
                r = load_seccomp(p->bpf, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_process_exec(const struct run_process *p, struct box_err *err)
{
        int r;
        /* the user, through the container's own files */
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        {
                _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return box_err_errno(err, errno, "open the container's root");
                read_root_file(rootfd, "etc/passwd", &passwd);
                read_root_file(rootfd, "etc/group", &group);
        }
        _cleanup_(run_user_release) struct run_user user = {0};
        r = run_user_resolve(p->user, p->group_add, passwd, group, &user, err);
        if (r < 0)
                return r;
        /* Docker's daemon (and podman) list the primary gid first among the
         * supplementary groups: `id` in `run -u 1000:1000` says groups=1000 */
        if (!p->no_gid_in_groups)
                run_user_groups_prepend(&user, user.gid);

        r = run_process_enter(&p->err_fd, 1, p->cwd, p->privileged, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_rlimits; i++)
                if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].lim) < 0)
                        return box_err_errno(err, errno,
                                             "set ulimit %d (the hard limit can only be lowered)",
                                             p->rlimits[i].resource);

        _cleanup_strv_free_ char **env = strv_copy(p->env);
        /* an empty HOME counts as unset, as runc's os.Getenv("HOME") == "" */
        int home = strv_env_find(env, "HOME", 4);
        if (home < 0 || !env[home][4] || !env[home][5]) {
                _cleanup_free_ char *h = xasprintf("HOME=%s", user.home);
                env = strv_env_set(env, h);
        }

        if (!p->argv || !p->argv[0] || !*p->argv[0]) {
                box_err_set(err, EINVAL, "no command specified");
                err->exit_code = 127;
                return -EINVAL;
        }
        _cleanup_free_ char *exe = find_executable(p->argv[0], env);
        if (!exe) {
                box_err_set(err, ENOENT, "exec: '%s': executable file not found in $PATH",
                            p->argv[0]);
                err->exit_code = 127;
                return -ENOENT;
        }
        /* before the seccomp filter, which every later syscall passes */
        signals_default();
        r = drop_privileges(p, &user, err);
        if (r < 0)
                return r;
        if (p->init) {
                r = run_init_fork(p->restore_mask, p->err_fd, p->tty, err);
                if (r < 0)
                        return r;
        }
        umask(022);
        if (p->restore_mask)
                sigprocmask(SIG_SETMASK, p->restore_mask, NULL);
        execve(exe, p->argv, env);
        int e = errno;
        struct stat st;
        if (e == EACCES && stat(exe, &st) == 0 && S_ISDIR(st.st_mode))
                e = EISDIR;
        return exec_error(err, p->argv[0], e);
}

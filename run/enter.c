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
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

int run_enter_close_fds(const int *keep, size_t n_keep)
{
        /* the kept fds, ascending, without duplicates or stdio */
        int k[16];
        size_t n = 0;
        for (size_t i = 0; i < n_keep && n < ARRAY_SIZE(k); i++) {
                if (keep[i] < 3)
                        continue;
                size_t j = n;
                while (j > 0 && k[j - 1] > keep[i]) {
                        k[j] = k[j - 1];
                        j--;
                }
                if (j > 0 && k[j - 1] == keep[i]) {
                        memmove(&k[j], &k[j + 1], (n - j) * sizeof(int));
                        continue;
                }
                k[j] = keep[i];
                n++;
        }
        unsigned first = 3;
        for (size_t i = 0; i <= n; i++) {
                unsigned last = i < n ? (unsigned)k[i] - 1 : ~0U;
                if (last >= first && sys_close_range(first, last, 0) < 0) {
                        if (errno != ENOSYS)
                                return -errno;
                        /* before Linux 5.9: one by one */
                        long max = sysconf(_SC_OPEN_MAX);
                        unsigned end = i < n ? last : (max > 0 ? (unsigned)max : 65536U) - 1;
                        for (unsigned fd = first; fd <= end; fd++)
                                close((int)fd);
                }
                if (i < n)
                        first = (unsigned)k[i] + 1;
        }
        return 0;
}

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

int run_process_enter(const int *keep, size_t n_keep, const char *cwd, struct box_err *err)
{
        int r = run_enter_close_fds(keep, n_keep);
        if (r < 0)
                return box_err_errno(err, -r, "close box's fds");
        r = run_enter_check_stdio(err);
        if (r < 0)
                return r;
        r = enter_cwd(cwd && *cwd ? cwd : "/", err);
        if (r < 0)
                return r;
        return restrict_exec(err);
}

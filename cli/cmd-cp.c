/* box cp CONTAINER:SRC DEST | box cp SRC CONTAINER:DEST
 *
 * Copies files and trees between a container and the host, running or
 * stopped, as docker cp does.  Every path inside the container is resolved
 * inside its root, never through a host path made from container content
 * (CVE-2018-15664): the root is an fd (/proc/PID/root of a running
 * container after its pid 1 is checked through a pidfd; a stopped one's
 * overlay mounted in a private mount namespace of box), paths are resolved
 * under it with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and trees
 * are copied through fds that follow no symlink (run_copy_tree), so a
 * symlink the container swaps in mid-copy leads nowhere outside it.
 *
 * Differences from Docker: a tree is copied into a new directory only
 * (never merged into an existing one); owners are kept as in the source
 * (docker cp -a); "-" (a tar stream) is not supported yet. */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/image.h"

static const char help[] = "Usage: box cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH\n"
                           "       box cp [OPTIONS] SRC_PATH CONTAINER:DEST_PATH\n"
                           "\n"
                           "Copy files and directories between a container and the host.\n"
                           "\n"
                           "Options:\n"
                           "  -L, --follow-link   follow a symlink SRC_PATH\n";

#define RESOLVE_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* "NAME:PATH" names a container unless it is a plain host path (absolute,
 * or starting with "." as Docker's splitCpArg has it). */
static char *container_part(const char *arg, const char **ret_path)
{
        const char *colon = strchr(arg, ':');
        if (arg[0] == '/' || arg[0] == '.' || !colon || colon == arg)
                return NULL;
        *ret_path = colon + 1;
        return xstrndup(arg, (size_t)(colon - arg));
}

/* The root of a stopped container: its overlay, mounted privately. */
static int stopped_root(struct store *st, const char *id, int *ret_fd, struct box_err *err)
{
        const char *root = store_root(st);
        _cleanup_jv_ struct jv *cfg = NULL;
        _cleanup_free_ char *manifest = NULL, *mount_dir = NULL, *state_dir = NULL;
        _cleanup_strv_free_ char **lowerdirs = NULL;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = run_state_config(root, id, &cfg, err);
        if (r < 0)
                return r;
        struct run_spec spec = {.id = id, .base_dir = root};
        spec.rootfs = jv_get_str(cfg, "Rootfs");
        if (!spec.rootfs) {
                r = run_state_image(root, id, &manifest, err);
                if (r >= 0)
                        r = store_image_load(st, manifest, &h, err);
                if (r >= 0)
                        r = store_image_lowerdirs(st, &h, &lowerdirs, err);
                if (r < 0)
                        return r;
        }
        r = run_state_mount_dir(root, &mount_dir, err);
        if (r < 0)
                return r;
        state_dir = xasprintf("%s/containers/%s", root, id);
        spec.state_dir = state_dir;
        spec.mount_dir = mount_dir;
        spec.lowerdirs = lowerdirs;
        return run_rootfs_open_private(&spec, ret_fd, err);
}

static int container_root(struct cli_ctx *ctx, const char *name, int *ret_fd, struct box_err *err)
{
        struct store *st;
        char id[RUN_ID_LEN + 1];
        int r = cli_store(ctx, &st, err);
        if (r >= 0)
                r = run_state_lookup(store_root(st), name, id, err);
        if (r < 0)
                return r;
        if (run_state_root_open(ctx->runroot, id, ret_fd) >= 0)
                return 0;
        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r >= 0)
                r = stopped_root(st, id, ret_fd, err);
        store_unlock(st);
        return r < 0 ? box_err_prefix(err, "container %.12s", id) : 0;
}

/* Copies the regular file IN (stat ST) to a new or truncated OUT. */
static int copy_file(int in, const struct stat *st, int out, const char *what, struct box_err *err)
{
        struct stat ost;
        if (fstat(out, &ost) < 0 || !S_ISREG(ost.st_mode))
                return box_err_set(err, EINVAL, "'%s' is not a regular file", what);
        int r = fs_copy_fd(in, out, NULL);
        if (r < 0)
                return box_err_errno(err, -r, "copy to '%s'", what);
        (void)fchmod(out, st->st_mode & 07777);
        (void)futimens(out, (struct timespec[]){st->st_atim, st->st_mtim});
        return 0;
}

/* Copies what SRCFD (an O_PATH fd, stat ST) holds to NAME under DIRFD;
 * IN_ROOT: DIRFD is a directory of the container, NAME resolved inside. */
static int copy_entry(int srcfd, const struct stat *st, int dirfd, const char *name, bool in_root,
                      struct box_err *err)
{
        unsigned long long how = in_root ? RESOLVE_ROOT : 0;
        if (S_ISDIR(st->st_mode)) {
                if (mkdirat(dirfd, name, 0700) < 0)
                        return box_err_errno(err, errno, "create directory '%s'", name);
                _cleanup_close_ int src = openat(srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int dst =
                        sys_openat2(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0,
                                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                if (src < 0 || dst < 0)
                        return box_err_errno(err, errno, "open '%s'", name);
                return run_copy_tree(src, dst, err);
        }
        if (S_ISLNK(st->st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(srcfd, "", target, sizeof(target) - 1);
                if (n < 0)
                        return box_err_errno(err, errno, "read link");
                target[n] = '\0';
                if (symlinkat(target, dirfd, name) < 0)
                        return box_err_errno(err, errno, "create symlink '%s'", name);
                return 0;
        }
        if (!S_ISREG(st->st_mode))
                return box_err_set(err, EINVAL,
                                   "'%s': only files, directories and symlinks "
                                   "are copied",
                                   name);
        /* reopens the very inode SRCFD names, nothing a path would reach */
        _cleanup_free_ char *self = xasprintf("/proc/self/fd/%d", srcfd);
        _cleanup_close_ int in = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        _cleanup_close_ int out = sys_openat2(
                dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0600, how);
        if (in < 0 || out < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        return copy_file(in, st, out, name, err);
}

/* One end of the copy: DIRFD and NAME of its entry, or of the directory
 * whose contents are copied (CONTENTS: SRC ended in "/."). */
struct cp_path {
        int fd; /* the entry itself: O_PATH */
        struct stat st;
        bool contents;
};

/* Opens PATH under DIRFD (ROOT: a container's root, resolved inside it),
 * its last component followed only with FOLLOW. */
static int open_src(int dirfd, const char *path, bool in_root, bool follow, struct cp_path *ret,
                    struct box_err *err)
{
        unsigned long long how = in_root ? RESOLVE_ROOT : 0;
        size_t n = strlen(path);
        ret->contents = n >= 2 && streq(path + n - 2, "/.");
        _cleanup_free_ char *copy = xstrdup(path), *copy2 = xstrdup(path);
        const char *dir = dirname(copy), *base = basename(copy2);
        if (follow || ret->contents || streq(base, "/") || streq(base, ".") || streq(base, "..")) {
                ret->fd = sys_openat2(dirfd, path, O_PATH | O_CLOEXEC, 0, how);
        } else {
                _cleanup_close_ int parent =
                        sys_openat2(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, how);
                ret->fd = parent < 0 ? -1
                                     : sys_openat2(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                                                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        }
        if (ret->fd < 0 || fstat(ret->fd, &ret->st) < 0)
                return box_err_errno(err, errno, "'%s'", path);
        if (ret->contents && !S_ISDIR(ret->st.st_mode))
                return box_err_set(err, ENOTDIR, "'%s': not a directory", path);
        return 0;
}

/* Copies SRC to DEST under DIRFD (IN_ROOT: a container's root) the way
 * docker cp places it: into DEST when it is a directory (its contents with
 * "/."), else as DEST. */
static int copy_to(const struct cp_path *src, const char *src_path, int dirfd, const char *dest,
                   bool in_root, struct box_err *err)
{
        unsigned long long how = in_root ? RESOLVE_ROOT : 0;
        _cleanup_close_ int dfd =
                sys_openat2(dirfd, dest, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, how);
        _cleanup_free_ char *c1 = xstrdup(src_path), *c2 = xstrdup(dest), *c3 = xstrdup(dest);
        const char *name = basename(c1);
        if (dfd >= 0 && src->contents) {
                _cleanup_close_ int s = openat(src->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int d = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (s < 0 || d < 0)
                        return box_err_errno(err, errno, "open '%s'", dest);
                return run_copy_tree(s, d, err);
        }
        if (dfd < 0) {
                if (dest[0] && dest[strlen(dest) - 1] == '/')
                        return box_err_set(err, ENOENT, "destination directory '%s' does not exist",
                                           dest);
                dfd = sys_openat2(dirfd, dirname(c2), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, how);
                if (dfd < 0)
                        return box_err_errno(err, errno, "destination '%s'", dest);
                name = basename(c3);
        }
        if (streq(name, "/") || streq(name, ".") || streq(name, ".."))
                return box_err_set(err, EINVAL, "cannot copy to '%s'", dest);
        return copy_entry(src->fd, &src->st, dfd, name, in_root, err);
}

static int cp(struct cli_ctx *ctx, const char *from, const char *to, bool follow,
              struct box_err *err)
{
        const char *src_path = from, *dst_path = to;
        _cleanup_free_ char *src_ctr = container_part(from, &src_path);
        _cleanup_free_ char *dst_ctr = container_part(to, &dst_path);
        if (src_ctr && dst_ctr)
                return box_err_set(err, EINVAL, "copying between containers is not supported");
        if (!src_ctr && !dst_ctr)
                return box_err_set(err, EINVAL, "must specify at least one container source");
        if (streq(src_path, "-") || streq(dst_path, "-"))
                return box_err_set(err, ENOTSUP, "box cp: '-' (a tar stream) is not supported yet");
        _cleanup_close_ int root = -EBADF;
        int r = container_root(ctx, src_ctr ? src_ctr : dst_ctr, &root, err);
        if (r < 0)
                return r;
        struct cp_path src = {.fd = -1};
        r = open_src(src_ctr ? root : AT_FDCWD, src_path, src_ctr != NULL, follow, &src, err);
        if (r >= 0)
                r = copy_to(&src, src_path, dst_ctr ? root : AT_FDCWD, dst_path, dst_ctr != NULL,
                            err);
        if (src.fd >= 0)
                close(src.fd);
        return r;
}

int cmd_cp(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"follow-link", no_argument, NULL, 'L'},
                {"archive", no_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool follow = false;
        struct box_err err = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+Lah", opts, NULL)) != -1) {
                switch (c) {
                case 'L':
                        follow = true;
                        break;
                case 'a':
                        break; /* owners are always kept */
                case 'h':
                        return cli_help(help);
                default:
                        return cli_usage_error("cp", "unknown flag");
                }
        }
        if (argc - optind != 2)
                return cli_usage_error("cp", "'box cp' requires 2 arguments");
        if (cp(ctx, argv[optind], argv[optind + 1], follow, &err) < 0)
                return cli_fail(&err);
        return 0;
}

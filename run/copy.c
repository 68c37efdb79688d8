/* Copying an image directory into a new volume, as Docker does on a
 * volume's first use: content, modes, owners, times and symlinks.
 *
 * This runs as root on the host's side of pivot_root, where an absolute
 * symlink names a host file, and the destination is a volume that other
 * running containers may have mounted and be changing while we copy.  So
 * nothing is done through a path: every entry is made by one call on a
 * single name under a directory fd (O_EXCL, mkdirat, symlinkat, mknodat),
 * reopened without following anything, and its owner, mode and times are
 * set on that fd.  An entry someone else made first stops the copy.
 *
 * The source is the image alone: it is opened before anything is mounted
 * on the root (Docker copies from the container's layers too), so a target
 * under /proc, or one reached through another volume, is never read live.
 *
 * The depth is capped and each level holds two fds (the names are read
 * before descending), so a deep tree costs neither the stack nor every fd. */
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

#define COPY_MAX_DEPTH 256

/* HOST: the volume is a mount of its own, a bind of a host directory or a
 * device, whose files the host sees where the store's 0700 does not hide
 * them: box, as root, makes there no device node and no set-id file of the
 * image's (a hostile image's 0666 node of the host's disk, or a set-uid
 * root shell, would serve every user of the host). */
struct copy {
        bool host;
        struct box_err *err;
};

/* Opens NAME, one component, under DIRFD, following nothing; NO_XDEV:
 * and never another mount. */
static int open_entry(int dirfd, const char *name, int flags, bool no_xdev)
{
        unsigned long long resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        if (no_xdev)
                resolve |= RESOLVE_NO_XDEV;
        return sys_openat2(dirfd, name, flags | O_NOFOLLOW, 0, resolve);
}

/* Owner, then mode (a chown clears set-id bits), then times, all on FD. */
static void set_meta(int fd, const struct stat *st, bool fd_is_path)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        (void)fchownat(fd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH);
        if (!fd_is_path)
                (void)fchmod(fd, st->st_mode & 07777);
        if (fd_is_path)
                (void)utimensat(fd, "", ts, AT_EMPTY_PATH);
        else
                (void)futimens(fd, ts);
}

static int appeared(const char *name, struct box_err *err)
{
        return box_err_set(err, EEXIST,
                           "'%s' appeared in the volume while it was being filled: another "
                           "container uses it",
                           name);
}

static int copy_file(const struct copy *c, int src_dir, int dst_dir, const char *name,
                     const struct stat *st)
{
        struct box_err *err = c->err;
        _cleanup_close_ int in = open_entry(src_dir, name, O_RDONLY, false);
        struct stat ist;
        if (in < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        if (fstat(in, &ist) < 0 || !S_ISREG(ist.st_mode) || ist.st_ino != st->st_ino)
                return box_err_set(err, EIO, "'%s' changed while it was copied", name);
        _cleanup_close_ int out =
                openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return errno == EEXIST ? appeared(name, err)
                                       : box_err_errno(err, errno, "create '%s'", name);
        off_t left = ist.st_size;
        while (left > 0) {
                ssize_t n = sendfile(out, in, NULL, (size_t)left);
                if (n < 0)
                        return box_err_errno(err, errno, "copy '%s'", name);
                if (n == 0)
                        break;
                left -= n;
        }
        struct stat m = *st;
        if (c->host)
                m.st_mode &= ~(mode_t)(S_ISUID | S_ISGID);
        set_meta(out, &m, false);
        return 0;
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, const struct stat *st,
                        struct box_err *err)
{
        char target[PATH_MAX];
        ssize_t l = readlinkat(src_dir, name, target, sizeof(target));
        if (l < 0)
                return box_err_errno(err, errno, "readlink '%s'", name);
        if ((size_t)l >= sizeof(target))
                return box_err_set(err, ENAMETOOLONG, "readlink '%s': target too long", name);
        target[l] = '\0';
        if (symlinkat(target, dst_dir, name) < 0)
                return errno == EEXIST ? appeared(name, err)
                                       : box_err_errno(err, errno, "symlink '%s'", name);
        _cleanup_close_ int fd = open_entry(dst_dir, name, O_PATH, true);
        if (fd >= 0)
                set_meta(fd, st, true);
        return 0;
}

/* Devices, FIFOs and sockets: made with their final mode, never opened
 * (a FIFO would block, a device would be live); no device in C->host. */
static int copy_node(const struct copy *c, int dst_dir, const char *name, const struct stat *st)
{
        struct box_err *err = c->err;
        if (c->host && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
                return 0;
        if (mknodat(dst_dir, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) {
                if (errno == EEXIST)
                        return appeared(name, err);
                return 0; /* no CAP_MKNOD (a user namespace): skipped, as before */
        }
        _cleanup_close_ int fd = open_entry(dst_dir, name, O_PATH, true);
        if (fd >= 0)
                set_meta(fd, st, true);
        return 0;
}

/* The names in directory FD, read before anything below it is opened. */
static int read_names(int fd, char ***ret, struct box_err *err)
{
        _cleanup_closedir_ DIR *d = fs_opendir_dup(fd);
        if (!d)
                return box_err_errno(err, errno, "read directory");
        int r = fs_dir_names(d, ret);
        if (r < 0)
                return box_err_errno(err, -r, "read directory");
        return 0;
}

static int copy_dir(const struct copy *c, int src, int dst, int depth);

static int copy_subdir(const struct copy *c, int src, int dst, const char *name,
                       const struct stat *st, int depth)
{
        struct box_err *err = c->err;
        if (depth >= COPY_MAX_DEPTH)
                return box_err_set(err, ELOOP, "'%s' is nested more than %d directories deep", name,
                                   COPY_MAX_DEPTH);
        if (mkdirat(dst, name, 0700) < 0)
                return errno == EEXIST ? appeared(name, err)
                                       : box_err_errno(err, errno, "mkdir '%s'", name);
        _cleanup_close_ int s2 = open_entry(src, name, O_RDONLY | O_DIRECTORY, false);
        if (s2 < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        _cleanup_close_ int d2 = open_entry(dst, name, O_RDONLY | O_DIRECTORY, true);
        if (d2 < 0)
                return box_err_errno(err, errno, "open '%s' in the volume", name);
        int r = copy_dir(c, s2, d2, depth + 1);
        if (r < 0)
                return r;
        set_meta(d2, st, false);
        return 0;
}

static int copy_dir(const struct copy *c, int src, int dst, int depth)
{
        struct box_err *err = c->err;
        _cleanup_strv_free_ char **names = NULL;
        int r = read_names(src, &names, err);
        for (size_t i = 0; r >= 0 && names[i]; i++) {
                const char *n = names[i];
                struct stat st;
                if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = box_err_errno(err, errno, "stat '%s'", n);
                        break;
                }
                if (S_ISDIR(st.st_mode))
                        r = copy_subdir(c, src, dst, n, &st, depth);
                else if (S_ISREG(st.st_mode))
                        r = copy_file(c, src, dst, n, &st);
                else if (S_ISLNK(st.st_mode))
                        r = copy_symlink(src, dst, n, &st, err);
                else
                        r = copy_node(c, dst, n, &st);
        }
        return r;
}

static bool dir_is_empty(int fd)
{
        _cleanup_strv_free_ char **names = NULL;
        return read_names(fd, &names, NULL) >= 0 && !names[0];
}

static int copy_tree(int src_fd, int dst_fd, bool host, struct box_err *err)
{
        struct stat st;
        if (fstat(src_fd, &st) < 0)
                return box_err_errno(err, errno, "stat");
        int r = copy_dir(&(struct copy){.host = host, .err = err}, src_fd, dst_fd, 0);
        if (r < 0)
                return r;
        set_meta(dst_fd, &st, false);
        return 0;
}

int run_copy_tree(int src_fd, int dst_fd, struct box_err *err)
{
        return copy_tree(src_fd, dst_fd, false, err);
}

void run_copy_sources_release(struct run_copy_sources *s)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->fds[i] >= 0)
                        close(s->fds[i]);
        free(s->fds);
        s->fds = NULL;
        s->n = 0;
}

int run_copy_sources_open(const struct run_spec *spec, int rootfd, struct run_copy_sources *ret,
                          struct box_err *err)
{
        ret->fds = xnew(int, spec->n_mounts ? spec->n_mounts : 1);
        ret->n = spec->n_mounts;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct run_mount *m = &spec->mounts[i];
                ret->fds[i] = -EBADF;
                if (m->type != RUN_MOUNT_VOLUME || !m->copy_up)
                        continue;
                const char *t = m->target;
                while (*t == '/')
                        t++;
                if (!*t)
                        continue; /* "/" is refused before it is mounted */
                int fd = openat_in_root(rootfd, t, O_RDONLY | O_DIRECTORY, 0);
                if (fd < 0 && errno != ENOENT && errno != ENOTDIR) {
                        int e = errno;
                        run_copy_sources_release(ret);
                        return box_err_errno(err, e, "open '%s' in the image", m->target);
                }
                ret->fds[i] = fd; /* missing, or not a directory: nothing to copy */
        }
        return 0;
}

int run_copy_up(const struct run_copy_sources *s, size_t i, const struct run_mount *m,
                struct box_err *err)
{
        if (i >= s->n || s->fds[i] < 0)
                return 0;
        _cleanup_close_ int dst = open(m->source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
                return box_err_errno(err, errno, "open volume '%s'", m->source);
        /* two containers starting on one new volume: the second waits, then
         * finds it full (a running container may still race: see above) */
        if (RETRY_EINTR(flock(dst, LOCK_EX)) < 0)
                return box_err_errno(err, errno, "lock volume '%s'", m->source);
        if (!dir_is_empty(dst))
                return 0;
        int r = copy_tree(s->fds[i], dst, fs_is_mount_point_at(AT_FDCWD, m->source) > 0, err);
        if (r < 0)
                return box_err_prefix(err, "copy '%s' into its volume", m->target);
        return 0;
}

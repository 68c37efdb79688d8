#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int fs_mkdir_p_at(int dirfd, const char *path, mode_t mode, struct box_err *err)
{
        _cleanup_free_ char *p = xstrdup(path);
        size_t len = strlen(p);
        while (len > 1 && p[len - 1] == '/')
                p[--len] = '\0';
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                        return box_err_errno(err, errno, "create directory '%s'", p);
                *s = '/';
        }
        if (mkdirat(dirfd, p, mode) < 0) {
                struct stat st;
                if (errno != EEXIST)
                        return box_err_errno(err, errno, "create directory '%s'", p);
                if (fstatat(dirfd, p, &st, 0) < 0 || !S_ISDIR(st.st_mode))
                        return box_err_set(err, ENOTDIR, "create directory '%s': not a directory",
                                           p);
        }
        return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, struct box_err *err)
{
        return fs_mkdir_p_at(AT_FDCWD, path, mode, err);
}

/* rm -rf holds at most this many directories open at once.  A directory
 * deeper than that (a container can make a tree as deep as it likes) is
 * moved up into the top of the tree, by fd, and removed on a later pass:
 * neither the stack nor the fds grow with the depth. */
#define RM_RF_MAX_OPEN 64

struct rm_rf {
        int top;          /* the directory being emptied */
        dev_t dev;        /* its file system */
        const char *path; /* for messages */
        unsigned hoisted; /* directories moved up this pass */
        unsigned serial;  /* names for them */
};

/* Moves directory NAME of FD to the top of the tree, under a fresh name. */
static int rm_rf_hoist(struct rm_rf *rm, int fd, const char *name, struct box_err *err)
{
        for (int tries = 0; tries < 1000; tries++) {
                char tmp[64];
                snprintf(tmp, sizeof(tmp), ".rm-rf-%u", rm->serial++);
                if (renameat2(fd, name, rm->top, tmp, RENAME_NOREPLACE) == 0) {
                        rm->hoisted++;
                        return 0;
                }
                if (errno != EEXIST)
                        return box_err_errno(err, errno, "remove '%s/.../%s'", rm->path, name);
        }
        return box_err_set(err, EEXIST, "remove '%s/.../%s': no free name", rm->path, name);
}

static int rm_rf_children(struct rm_rf *rm, int fd, int depth, struct box_err *err)
{
        _cleanup_closedir_ DIR *d = fs_fdopendir(fd);
        if (!d)
                return box_err_errno(err, errno, "open directory '%s'", rm->path);
        FS_FOREACH_DIRENT (de, d) {
                const char *n = de->d_name;
                struct stat st;
                if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return box_err_errno(err, errno, "stat '%s/.../%s'", rm->path, n);
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (unlinkat(dirfd(d), n, 0) < 0 && errno != ENOENT)
                                return box_err_errno(err, errno, "remove '%s/.../%s'", rm->path, n);
                        continue;
                }
                /* st_dev misses bind mounts of the same file system: ask for the mount id too */
                if (st.st_dev != rm->dev || fs_is_mount_point_at(dirfd(d), n) > 0)
                        return box_err_set(err, EBUSY,
                                           "remove '%s/.../%s': a file system is mounted there",
                                           rm->path, n);
                if (depth + 1 >= RM_RF_MAX_OPEN) {
                        int r = rm_rf_hoist(rm, dirfd(d), n, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                int cfd = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0)
                        return box_err_errno(err, errno, "open '%s/.../%s'", rm->path, n);
                int r = rm_rf_children(rm, cfd, depth + 1, err);
                if (r < 0)
                        return r;
                if (unlinkat(dirfd(d), n, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return box_err_errno(err, errno, "remove '%s/.../%s'", rm->path, n);
        }
        return 0;
}

int fs_rm_rf_at(int dirfd, const char *name, struct box_err *err)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return box_err_errno(err, errno, "stat '%s'", name);
        }
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return box_err_errno(err, errno, "remove '%s'", name);
                return 0;
        }
        if (fs_is_mount_point_at(dirfd, name) > 0)
                return box_err_set(err, EBUSY, "remove '%s': a file system is mounted there", name);
        _cleanup_close_ int top =
                openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (top < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        struct rm_rf rm = {.top = top, .dev = st.st_dev, .path = name};
        do {
                rm.hoisted = 0;
                int fd = fcntl(top, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return box_err_errno(err, errno, "open '%s'", name);
                /* each pass reads the top from its start */
                (void)lseek(fd, 0, SEEK_SET);
                int r = rm_rf_children(&rm, fd, 0, err);
                if (r < 0)
                        return r;
        } while (rm.hoisted > 0);
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return box_err_errno(err, errno, "remove '%s'", name);
        return 0;
}

int fs_rm_rf(const char *path, struct box_err *err)
{
        return fs_rm_rf_at(AT_FDCWD, path, err);
}

int fs_write_full(int fd, const void *p, size_t n)
{
        const char *c = p;
        while (n > 0) {
                ssize_t w = RETRY_EINTR(write(fd, c, n));
                if (w < 0)
                        return -errno;
                c += w;
                n -= (size_t)w;
        }
        return 0;
}

ssize_t fs_read_full(int fd, void *p, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t r = RETRY_EINTR(read(fd, (char *)p + got, n - got));
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

int fs_fsync_dir_at(int dirfd, const char *name)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

static int write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                         bool durable, struct box_err *err)
{
        _cleanup_free_ char *dir = NULL;
        const char *base = strrchr(name, '/');
        if (base) {
                dir = xstrndup(name, (size_t)(base - name));
                base++;
        } else {
                dir = xstrdup(".");
                base = name;
        }
        _cleanup_free_ char *tmp =
                xasprintf("%s/.tmp-%s-%d-%lx", dir, base, getpid(), (unsigned long)random());
        _cleanup_close_ int fd =
                openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return box_err_errno(err, errno, "create '%s'", tmp);
        int r = fs_write_full(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return box_err_errno(err, -r, "write '%s'", name);
        }
        if (durable)
                (void)fs_fsync_dir_at(dirfd, dir);
        return 0;
}

int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       struct box_err *err)
{
        return write_replace(dirfd, name, data, len, mode, true, err);
}

int fs_write_cache_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      struct box_err *err)
{
        return write_replace(dirfd, name, data, len, mode, false, err);
}

int fs_output_open(struct fs_output *o, const char *path, mode_t mode, struct box_err *err)
{
        *o = (struct fs_output){.fd = -EBADF};
        struct stat st;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                if (S_ISDIR(st.st_mode))
                        return box_err_set(err, EISDIR, "create '%s': is a directory", path);
                /* a block device is a disk, never an archive's place (a
                 * link another user planted at PATH may lead to one):
                 * checked again on what was opened */
                if (!S_ISBLK(st.st_mode)) {
                        o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                        if (o->fd < 0 || fstat(o->fd, &st) < 0)
                                return box_err_errno(err, errno, "open '%s'", path);
                }
                if (S_ISBLK(st.st_mode)) {
                        if (o->fd >= 0)
                                close(TAKE_FD(o->fd));
                        return box_err_set(err, EINVAL,
                                           "create '%s': is a block device, not a file", path);
                }
                o->path = xstrdup(path);
                return 0;
        }
        _cleanup_free_ char *tmp =
                xasprintf("%s.tmp-%d-%lx", path, getpid(), (unsigned long)random());
        o->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (o->fd < 0)
                return box_err_errno(err, errno, "create '%s'", path);
        o->path = xstrdup(path);
        o->tmp = TAKE_PTR(tmp);
        return 0;
}

int fs_output_commit(struct fs_output *o, struct box_err *err)
{
        if (o->tmp && fsync(o->fd) < 0)
                return box_err_errno(err, errno, "write '%s'", o->path);
        if (close(TAKE_FD(o->fd)) < 0 && errno != EINTR)
                return box_err_errno(err, errno, "write '%s'", o->path);
        if (!o->tmp)
                return 0;
        if (rename(o->tmp, o->path) < 0)
                return box_err_errno(err, errno, "write '%s'", o->path);
        free(o->tmp);
        o->tmp = NULL;
        return 0;
}

void fs_output_release(struct fs_output *o)
{
        if (o->fd >= 0)
                close(TAKE_FD(o->fd));
        if (o->tmp)
                (void)unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        free(o->path);
        o->path = NULL;
}

int fs_output_write(const char *path, const void *data, size_t len, mode_t mode,
                    struct box_err *err)
{
        _cleanup_(fs_output_release) struct fs_output o = {.fd = -EBADF};
        int r = fs_output_open(&o, path, mode, err);
        if (r < 0)
                return r;
        r = fs_write_full(o.fd, data, len);
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", path);
        return fs_output_commit(&o, err);
}

int fs_read_fd(int fd, size_t max, char **ret, size_t *ret_len, struct box_err *err)
{
        struct buf b = {0};
        char chunk[65536];
        if (max == 0)
                max = 64u << 20;
        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, chunk, sizeof(chunk)));
                if (n < 0) {
                        buf_release(&b);
                        return box_err_errno(err, errno, "read");
                }
                if (n == 0)
                        break;
                if (b.len + (size_t)n > max) {
                        buf_release(&b);
                        return box_err_set(err, EFBIG, "file larger than %zu bytes", max);
                }
                buf_append(&b, chunk, (size_t)n);
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

int fs_read_file_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
                    struct box_err *err)
{
        /* a FIFO nobody writes to must not block the open: opened without
         * blocking, it reads as empty; with a writer (`--env-file <(...)`)
         * the reads below block as usual */
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        int r = fs_read_fd(fd, max, ret, ret_len, err);
        if (r < 0)
                return box_err_prefix(err, "'%s'", name);
        return 0;
}

int fs_read_input_at(int dirfd, const char *name, bool in_root, size_t max, char **ret,
                     size_t *ret_len, struct box_err *err)
{
        int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        _cleanup_close_ int fd =
                in_root ? openat_in_root(dirfd, name, flags, 0) : openat(dirfd, name, flags);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "stat '%s'", name);
        if (!S_ISREG(st.st_mode))
                return box_err_set(err, S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                                   "'%s' is not a regular file", name);
        int r = fs_read_fd(fd, max, ret, ret_len, err);
        if (r < 0)
                return box_err_prefix(err, "'%s'", name);
        return 0;
}

int fs_copy_fd(int in, int out, uint64_t *ret_copied)
{
        char buf[1 << 16];
        uint64_t total = 0;
        for (;;) {
                ssize_t n = RETRY_EINTR(read(in, buf, sizeof(buf)));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                int r = fs_write_full(out, buf, (size_t)n);
                if (r < 0)
                        return r;
                total += (uint64_t)n;
        }
        if (ret_copied)
                *ret_copied = total;
        return 0;
}

/* Sizes are an estimate: what lies deeper than this is not counted, so
 * that a tree a container made as deep as it likes costs no stack. */
#define TREE_SIZE_MAX_DEPTH 256

/* The mount a statx result lies on: its mount id, or its device where
 * the kernel has no mount ids (before 5.8) */
static uint64_t statx_mount(const struct statx *x)
{
        if (x->stx_mask & STATX_MNT_ID)
                return x->stx_mnt_id;
        return (uint64_t)makedev(x->stx_dev_major, x->stx_dev_minor);
}

/* What FD holds on the mount MNT: a mount below it (a device volume's
 * tmpfs, a bind of a host directory, a container's merged root) is not
 * the tree's and is not walked */
static int64_t tree_size_fd(int fd, uint64_t mnt, int depth)
{
        _cleanup_closedir_ DIR *d = fs_fdopendir(fd);
        if (!d)
                return 0;
        int64_t total = 0;
        FS_FOREACH_DIRENT (de, d) {
                struct statx x;
                if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW,
                          STATX_TYPE | STATX_SIZE | STATX_MNT_ID, &x) < 0)
                        continue;
                if (S_ISDIR(x.stx_mode)) {
                        if (depth + 1 >= TREE_SIZE_MAX_DEPTH || statx_mount(&x) != mnt)
                                continue;
                        int c = openat(dirfd(d), de->d_name,
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (c >= 0)
                                total += tree_size_fd(c, mnt, depth + 1);
                } else if (S_ISREG(x.stx_mode)) {
                        total += (int64_t)x.stx_size;
                }
        }
        return total;
}

int64_t fs_tree_size_at(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct statx x;
        if (fd < 0)
                return 0;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &x) < 0) {
                close(fd);
                return 0;
        }
        return tree_size_fd(fd, statx_mount(&x), 0);
}

int fs_is_mount_point_at(int dirfd, const char *name)
{
        struct statx a, b;
        _cleanup_free_ char *parent = xasprintf("%s/..", name);
        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &a) < 0)
                return -errno;
        if (statx(dirfd, parent, 0, STATX_MNT_ID, &b) < 0)
                return -errno;
        if ((a.stx_mask & STATX_MNT_ID) && (b.stx_mask & STATX_MNT_ID))
                return a.stx_mnt_id != b.stx_mnt_id;
        return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
}

DIR *fs_fdopendir(int fd)
{
        if (fd < 0)
                return NULL;
        DIR *d = fdopendir(fd);
        if (!d) {
                int e = errno;
                close(fd);
                errno = e;
        }
        return d;
}

DIR *fs_opendir_at(int dirfd, const char *name)
{
        return fs_fdopendir(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

DIR *fs_opendir_dup(int fd)
{
        DIR *d = fs_fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
        if (d)
                rewinddir(d);
        return d;
}

struct dirent *fs_readdir(DIR *d)
{
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de || !(streq(de->d_name, ".") || streq(de->d_name, "..")))
                        return de;
        }
}

int fs_dir_names(DIR *d, char ***ret)
{
        char **v = xnew0(char *, 1);
        size_t n = 0;
        struct dirent *de;
        while ((de = fs_readdir(d)))
                v = strv_push_at(v, n++, xstrdup(de->d_name));
        if (errno) {
                int e = errno;
                strv_free(v);
                return -e;
        }
        strv_sort(v);
        *ret = v;
        return 0;
}

void fs_dir_spread_at(int dirfd, const char *name)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int flags;
        if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
                return;
        flags |= FS_TOPDIR_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int fs_close_all_except(const int *keep, size_t n_keep)
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

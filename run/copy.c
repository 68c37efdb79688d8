/* Copying an image directory into a new volume, as Docker does on a
 * volume's first use: content, modes, owners, times and symlinks. */
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "run/run-internal.h"

static void copy_meta(int dst_dir, const char *name, const struct stat *st)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        (void)fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
        if (!S_ISLNK(st->st_mode))
                (void)fchmodat(dst_dir, name, st->st_mode & 07777, 0);
        (void)utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st,
                     struct box_err *err)
{
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return box_err_errno(err, errno, "open '%s'", name);
        _cleanup_close_ int out =
                openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return box_err_errno(err, errno, "create '%s'", name);
        off_t left = st->st_size;
        while (left > 0) {
                ssize_t n = sendfile(out, in, NULL, (size_t)left);
                if (n < 0)
                        return box_err_errno(err, errno, "copy '%s'", name);
                if (n == 0)
                        break;
                left -= n;
        }
        return 0;
}

static int copy_children(int src, int dst, struct box_err *err)
{
        int sfd = fcntl(src, F_DUPFD_CLOEXEC, 3);
        if (sfd < 0)
                return box_err_errno(err, errno, "dup");
        _cleanup_closedir_ DIR *d = fdopendir(sfd);
        if (!d) {
                close(sfd);
                return box_err_errno(err, errno, "read directory");
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *n = de->d_name;
                struct stat st;
                int r = 0;
                if (streq(n, ".") || streq(n, ".."))
                        continue;
                if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return box_err_errno(err, errno, "stat '%s'", n);
                if (S_ISDIR(st.st_mode)) {
                        if (mkdirat(dst, n, 0700) < 0 && errno != EEXIST)
                                return box_err_errno(err, errno, "mkdir '%s'", n);
                        _cleanup_close_ int s2 =
                                openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int d2 =
                                openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s2 < 0 || d2 < 0)
                                return box_err_errno(err, errno, "open '%s'", n);
                        r = copy_children(s2, d2, err);
                } else if (S_ISREG(st.st_mode)) {
                        r = copy_file(src, dst, n, &st, err);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t l = readlinkat(src, n, target, sizeof(target) - 1);
                        if (l < 0)
                                return box_err_errno(err, errno, "readlink '%s'", n);
                        target[l] = '\0';
                        if (symlinkat(target, dst, n) < 0 && errno != EEXIST)
                                return box_err_errno(err, errno, "symlink '%s'", n);
                } else if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0 && errno != EEXIST) {
                        continue; /* devices without CAP_MKNOD: skipped */
                }
                if (r < 0)
                        return box_err_prefix(err, "'%s'", n);
                copy_meta(dst, n, &st);
        }
        return 0;
}

int run_copy_tree(int src_fd, int dst_fd, struct box_err *err)
{
        struct stat st;
        if (fstat(src_fd, &st) < 0)
                return box_err_errno(err, errno, "stat");
        int r = copy_children(src_fd, dst_fd, err);
        if (r < 0)
                return r;
        (void)fchown(dst_fd, st.st_uid, st.st_gid);
        (void)fchmod(dst_fd, st.st_mode & 07777);
        return 0;
}

/* box export: see export.h. */
#include "image/export.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include "image/tar.h"
#include "lib/xalloc.h"

int image_export_tree(struct store *st, const char *upper, char *const *lowerdirs, int fd,
                      struct box_err *err)
{
        _cleanup_free_ char *mnt = xasprintf("%s/tmp/export-XXXXXX", store_root(st));
        _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_tar_writer_ struct image_tar_writer *w = NULL;
        _cleanup_buf_ struct buf opts = {0};
        _cleanup_free_ char *empty = NULL;
        int mounted = 0, r;

        if (unshare(CLONE_NEWNS) < 0)
                return box_err_errno(err, errno, "new mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return box_err_errno(err, errno, "make mounts private");
        if (!mkdtemp(mnt))
                return box_err_errno(err, errno, "create '%s'", mnt);
        /* lowerdirs relative to the store root keep the options under a page */
        size_t n = 0;
        const char *first = upper;
        if (upper)
                buf_printf(&opts, "lowerdir=%s", upper);
        for (size_t i = 0; lowerdirs && lowerdirs[i]; i++, n++) {
                buf_printf(&opts, "%s%s", opts.len ? ":" : "lowerdir=", lowerdirs[i]);
                first = first ? first : lowerdirs[i];
        }
        if (!first) {
                /* no layer at all (FROM scratch with nothing added) */
                r = image_tar_writer_new(fd, &w, err);
                if (r >= 0)
                        r = image_tar_writer_finish(w, err);
                rmdir(mnt);
                return r;
        }
        /* overlayfs wants two lowers, and never one twice (ELOOP): an
         * empty one below hides nothing */
        if (n + (upper != NULL) < 2) {
                empty = xasprintf("%s/tmp/export-empty-XXXXXX", store_root(st));
                if (!mkdtemp(empty)) {
                        r = box_err_errno(err, errno, "create '%s'", empty);
                        rmdir(mnt);
                        return r;
                }
                buf_printf(&opts, ":%s", empty);
        }
        /* by path: fds opened before unshare() point into the old namespace */
        if (chdir(store_root(st)) < 0) {
                r = box_err_errno(err, errno, "enter '%s'", store_root(st));
                goto out;
        }
        if (mount("overlay", mnt, "overlay", MS_RDONLY, opts.data) < 0) {
                r = box_err_errno(err, errno, "mount the container's file system");
                goto out;
        }
        mounted = 1;
        r = image_tar_writer_new(fd, &w, err);
        if (r >= 0)
                r = image_tar_writer_add_tree(w, mnt, err);
        if (r >= 0)
                r = image_tar_writer_finish(w, err);
out:
        if (mounted)
                umount2(mnt, MNT_DETACH);
        rmdir(mnt);
        if (empty)
                rmdir(empty);
        if (cwd >= 0)
                (void)fchdir(cwd);
        return r;
}

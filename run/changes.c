/* box diff's changes, and the mount point layer: run/changes.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/macro.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/changes.h"
#include "run/state.h"

/* box mounts over /etc/hostname, /etc/hosts, /etc/resolv.conf, /proc, /sys
 * and /dev.  When the image lacks them, making the mount points would put
 * them in the container's upper dir: a few directory operations per
 * container, and empty files and directories that `box diff` and
 * `box commit` would then show as the container's changes (Docker keeps
 * them in its "init" layer).  A shared layer holding just those mount
 * points, on top of the image's, avoids both.  It holds only what the image
 * lacks (and /etc's three files where /etc is a plain directory, in an
 * etc/ of the image's /etc's mode and owner), so it can shadow nothing but
 * what box mounts over anyway; one such layer per combination, made once
 * per store. */
enum {
        MOUNTPOINT_ETC = 1 << 0,
        MOUNTPOINT_PROC = 1 << 1,
        MOUNTPOINT_SYS = 1 << 2,
        MOUNTPOINT_DEV = 1 << 3,
};

/* The file type of PATH in the image (first layer holding it, topmost
 * first): S_IFDIR etc., 0 when no layer has it, -1 for a whiteout or what
 * cannot be read (treated as "present, leave alone"). */
static int image_path_type(int rfd, char *const *lowerdirs, const char *path, struct stat *ret_st)
{
        STRV_FOREACH (l, lowerdirs) {
                _cleanup_free_ char *p = xasprintf("%s/%s", *l, path);
                struct stat st;
                if (rfd < 0 || fstatat(rfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue; /* not in this layer: look below */
                        return -1;
                }
                if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
                        return -1; /* a whiteout: deleted above, keep it so */
                if (ret_st)
                        *ret_st = st;
                return (int)(st.st_mode & S_IFMT);
        }
        return 0;
}

/* The layer's etc/ above the image's /etc is what the container sees as
 * /etc (overlayfs takes a directory's mode and owner from the topmost
 * layer holding it): the image's own, as Docker's init layer keeps them
 * (it copies /etc up).  0755 root's when the image has no /etc. */
struct etc_attr {
        mode_t mode;
        uid_t uid;
        gid_t gid;
};

static bool etc_attr_match(int dfd, const char *etc, const struct etc_attr *a)
{
        struct stat st;
        return fstatat(dfd, etc, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
               (st.st_mode & 07777) == a->mode && st.st_uid == a->uid && st.st_gid == a->gid;
}

static int mountpoint_layer_make(int rfd, const char *name, unsigned mask,
                                 const struct etc_attr *etc)
{
        static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};
        static const char *const dirs[] = {NULL, "proc", "sys", "dev"};
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%s.tmp-%d", name, (int)getpid());
        (void)fs_rm_rf_at(rfd, tmp, NULL);
        _cleanup_close_ int dfd = -EBADF;
        if (fs_mkdir_p_at(rfd, tmp, 0755, NULL) < 0 ||
            (dfd = openat(rfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                goto fail;
        if (mask & MOUNTPOINT_ETC) {
                /* chown first: it would clear a set-group-id bit chmod set */
                if (mkdirat(dfd, "etc", 0700) < 0 ||
                    fchownat(dfd, "etc", etc->uid, etc->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                    fchmodat(dfd, "etc", etc->mode, 0) < 0)
                        goto fail;
                for (size_t i = 0; i < ARRAY_SIZE(etc_files); i++) {
                        _cleanup_free_ char *f = xasprintf("etc/%s", etc_files[i]);
                        int fd = openat(dfd, f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                        if (fd < 0)
                                goto fail;
                        close(fd);
                }
        }
        for (size_t i = 1; i < ARRAY_SIZE(dirs); i++)
                if ((mask & (1u << i)) && mkdirat(dfd, dirs[i], 0755) < 0)
                        goto fail;
        /* complete or absent: a racing run made the same layer, use it */
        if (renameat(rfd, tmp, rfd, name) < 0 && errno != EEXIST && errno != ENOTEMPTY)
                goto fail;
        (void)fs_rm_rf_at(rfd, tmp, NULL);
        return 0;
fail:
        (void)fs_rm_rf_at(rfd, tmp, NULL);
        return -1;
}

void run_mountpoint_layer_add(const char *root, char ***lowerdirs)
{
        _cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned mask = 0;
        struct stat est = {.st_mode = S_IFDIR | 0755};
        int etc = image_path_type(rfd, *lowerdirs, "etc", &est);
        if (etc == S_IFDIR || etc == 0)
                mask |= MOUNTPOINT_ETC;
        if (image_path_type(rfd, *lowerdirs, "proc", NULL) == 0)
                mask |= MOUNTPOINT_PROC;
        if (image_path_type(rfd, *lowerdirs, "sys", NULL) == 0)
                mask |= MOUNTPOINT_SYS;
        if (image_path_type(rfd, *lowerdirs, "dev", NULL) == 0)
                mask |= MOUNTPOINT_DEV;
        if (!mask || rfd < 0)
                return;
        struct etc_attr ea = {est.st_mode & 07777, est.st_uid, est.st_gid};
        bool plain = ea.mode == 0755 && ea.uid == 0 && ea.gid == 0;
        /* the /etc-only layer keeps the name stores made before; an /etc
         * of another mode or owner has a layer of its own */
        _cleanup_free_ char *base = mask == MOUNTPOINT_ETC
                                            ? xstrdup(RUN_MOUNTPOINT_LAYER)
                                            : xasprintf(RUN_MOUNTPOINT_LAYER "-%x", mask);
        _cleanup_free_ char *name = !(mask & MOUNTPOINT_ETC) || plain
                                            ? xstrdup(base)
                                            : xasprintf("%s-etc-%o-%u-%u", base, (unsigned)ea.mode,
                                                        (unsigned)ea.uid, (unsigned)ea.gid);
        if (faccessat(rfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
            (errno != ENOENT || mountpoint_layer_make(rfd, name, mask, &ea) < 0))
                return;
        /* one made by an older box (etc/ 0755 less its umask): not used */
        _cleanup_free_ char *etc_dir = xasprintf("%s/etc", name);
        if ((mask & MOUNTPOINT_ETC) && !etc_attr_match(rfd, etc_dir, &ea))
                return;
        char **v = xnew0(char *, 1);
        v = strv_append(v, name);
        STRV_FOREACH (l, *lowerdirs)
                v = strv_append(v, *l);
        strv_free(*lowerdirs);
        *lowerdirs = v;
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

static bool is_opaque(int dirfd)
{
        char v[2];
        return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* Whether REL (no leading slash) is in the image LOWERDIRS make: the
 * topmost layer that has it or hides it decides.  Each layer is looked
 * into beneath its own dir, never through a symlink. */
static bool in_lowers(int rfd, char *const *lowerdirs, const char *rel)
{
        STRV_FOREACH (l, lowerdirs) {
                _cleanup_close_ int lfd = openat(rfd, *l, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (lfd < 0)
                        continue;
                /* the parent's components, one at a time: a non-directory
                 * (a whiteout, a file, a symlink) on the way hides the
                 * layers below, an opaque directory hides what they have
                 * beneath it */
                _cleanup_free_ char *path = xstrdup(rel);
                _cleanup_close_ int dfd = fcntl(lfd, F_DUPFD_CLOEXEC, 3);
                char *s = path, *slash;
                bool hidden = false, missing = dfd < 0, last_layer = false;
                while (!missing && (slash = strchr(s, '/'))) {
                        *slash = '\0';
                        struct stat st;
                        if (fstatat(dfd, s, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                missing = true;
                                break;
                        }
                        if (!S_ISDIR(st.st_mode)) {
                                hidden = true;
                                break;
                        }
                        int next = openat(dfd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (next < 0) {
                                missing = true;
                                break;
                        }
                        close(dfd);
                        dfd = next;
                        if (is_opaque(dfd))
                                last_layer = true;
                        s = slash + 1;
                }
                if (hidden)
                        return false;
                struct stat st;
                if (!missing && fstatat(dfd, s, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return !is_whiteout(&st);
                if (last_layer)
                        return false;
        }
        return false;
}

struct walk {
        int rfd;
        int ufd; /* the upper dir */
        char *const *lowerdirs;
        struct run_change *v;
        size_t n;
};

static void add(struct walk *w, char kind, const char *path)
{
        w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
        w->v[w->n++] = (struct run_change){.kind = kind, .path = xasprintf("/%s", path)};
}

/* Back from a subdirectory of *FD's to the directory REL it was read from
 * (DEV, INO): through "..", or, when a running container moved the
 * subdirectory away meanwhile, from the upper dir down, never through a
 * symlink.  -ENOENT when REL itself is gone; *FD stays an open directory. */
static int walk_back(const struct walk *w, int *fd, const char *rel, dev_t dev, ino_t ino)
{
        struct stat st;
        int up = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (up >= 0 && fstat(up, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
                close(*fd);
                *fd = up;
                return 0;
        }
        if (up >= 0)
                close(up);
        _cleanup_free_ char *path = xstrdup(rel);
        int cur = fcntl(w->ufd, F_DUPFD_CLOEXEC, 3);
        for (char *s = path, *c; cur >= 0 && *s; s = c ? c + 1 : s + strlen(s)) {
                c = strchr(s, '/');
                if (c)
                        *c = '\0';
                int next = openat(cur, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(cur);
                cur = next;
        }
        if (cur < 0 || fstat(cur, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
                if (cur >= 0)
                        close(cur);
                return -ENOENT;
        }
        close(*fd);
        *fd = cur;
        return 0;
}

/* Lists directory *FD (owned, REL its path) into W, depth first.  Only the
 * directory being read is open: its names are read first, and the walk
 * comes back from a subdirectory through "..", so no depth the container
 * can make runs box out of file descriptors. */
static int walk_dir(struct walk *w, int *fd, const char *rel, unsigned depth, struct box_err *err)
{
        if (depth > 4096)
                return box_err_set(err, ELOOP, "upper dir: '/%s' nested too deep", rel);
        struct stat self;
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = fs_opendir_dup(*fd);
        int r = d ? fs_dir_names(d, &names) : -errno;
        if (d)
                closedir(d);
        if (r < 0 || fstat(*fd, &self) < 0)
                return box_err_errno(err, r < 0 ? -r : errno, "read upper dir '/%s'", rel);
        STRV_FOREACH (name, names) {
                _cleanup_free_ char *path = *rel ? xasprintf("%s/%s", rel, *name) : xstrdup(*name);
                struct stat st;
                if (fstatat(*fd, *name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue; /* gone while we read: a running container */
                        return box_err_errno(err, errno, "stat '/%s'", path);
                }
                bool below = in_lowers(w->rfd, w->lowerdirs, path);
                if (is_whiteout(&st)) {
                        if (below)
                                add(w, 'D', path);
                        continue;
                }
                add(w, below ? 'C' : 'A', path);
                if (!S_ISDIR(st.st_mode))
                        continue;
                int sub = openat(*fd, *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        if (errno == ENOENT)
                                continue;
                        return box_err_errno(err, errno, "open '/%s'", path);
                }
                close(*fd);
                *fd = sub;
                r = walk_dir(w, fd, path, depth + 1, err);
                if (r < 0)
                        return r;
                /* what is left of a directory moved away meanwhile is gone */
                if (walk_back(w, fd, rel, self.st_dev, self.st_ino) < 0)
                        return 0;
        }
        return 0;
}

static int change_cmp(const void *a, const void *b)
{
        return strcmp(((const struct run_change *)a)->path, ((const struct run_change *)b)->path);
}

int run_changes_list(const char *root, char *const *lowerdirs, const char *upper,
                     struct run_change **ret, size_t *ret_n, struct box_err *err)
{
        _cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return box_err_errno(err, errno, "open store '%s'", root);
        _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd < 0)
                return box_err_errno(err, errno, "open upper dir '%s'", upper);
        /* the walk moves its own fd down and up; W keeps the top */
        _cleanup_close_ int fd = fcntl(ufd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return box_err_errno(err, errno, "open upper dir '%s'", upper);
        struct walk w = {.rfd = rfd, .ufd = ufd, .lowerdirs = lowerdirs};
        int r = walk_dir(&w, &fd, "", 0, err);
        if (r < 0) {
                run_changes_free(w.v, w.n);
                return r;
        }
        if (w.n)
                qsort(w.v, w.n, sizeof(*w.v), change_cmp);
        *ret = w.v;
        *ret_n = w.n;
        return 0;
}

void run_changes_free(struct run_change *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
}

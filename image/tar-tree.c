/* A tar stream of a tree read through fds (box cp): see
 * image_tar_writer_add_fd_tree() in image/tar.h.
 *
 * The tree may be a running container's, whose processes change it while
 * it is read, and box reads it as root on the host's side.  So no path is
 * ever resolved from the tree's root: each entry is one name opened under
 * its parent's fd with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (a symlink is
 * opened as itself, O_PATH | O_NOFOLLOW), and its header comes from fstat()
 * of that fd, so a directory swapped for a symlink to "/" between readdir
 * and open is archived as the symlink it has become, never followed.
 *
 * A running container's root reaches its /proc, /sys and the like: the
 * kernel's, not files (/proc/kcore is 128 TiB), and Docker copies none of
 * them.  Their mount points are archived as empty directories. */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "image/tar.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"

#define TREE_MAX_DEPTH 256
#define TREE_BUF       (1 << 16)

struct tree_walk {
        struct image_tar_writer *w;
        struct box_err *err;
        char *buf;
        struct tree_link { /* a regular file with other names, by its first one */
                dev_t dev;
                ino_t ino;
                char *name;
        } * links;
        size_t n_links, cap_links;
};

static const char *link_seen(struct tree_walk *t, const struct stat *st, const char *name)
{
        for (size_t i = 0; i < t->n_links; i++)
                if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
                        return t->links[i].name;
        if (t->n_links == t->cap_links) {
                t->cap_links = t->cap_links ? 2 * t->cap_links : 16;
                t->links = xreallocarray(t->links, t->cap_links, sizeof(t->links[0]));
        }
        t->links[t->n_links++] = (struct tree_link){st->st_dev, st->st_ino, xstrdup(name)};
        return NULL;
}

/* The bytes of the regular file IN, exactly SIZE of them (zeros for what a
 * file that shrank meanwhile no longer has). */
static int add_data(struct tree_walk *t, int in, int64_t size, const char *name)
{
        int64_t left = size;
        bool eof = false;
        while (left > 0) {
                size_t want = left < TREE_BUF ? (size_t)left : TREE_BUF;
                ssize_t n = 0;
                if (!eof) {
                        n = RETRY_EINTR(read(in, t->buf, want));
                        if (n < 0)
                                return box_err_errno(t->err, errno, "read '%s'", name);
                        eof = n == 0;
                }
                if (eof) {
                        memset(t->buf, 0, want);
                        n = (ssize_t)want;
                }
                int r = image_tar_writer_write(t->w, t->buf, (size_t)n, t->err);
                if (r < 0)
                        return r;
                left -= n;
        }
        return 0;
}

static int add_file(struct tree_walk *t, int fd, const char *name)
{
        /* reopens the very inode FD names: nothing a path would reach */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
        _cleanup_close_ int in = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (in < 0 || fstat(in, &st) < 0)
                return box_err_errno(t->err, errno, "open '%s'", name);
        if (!S_ISREG(st.st_mode))
                return box_err_set(t->err, EIO, "'%s' changed while it was read", name);
        const char *first = st.st_nlink > 1 ? link_seen(t, &st, name) : NULL;
        int r = image_tar_writer_add_stat(t->w, name, &st, first, t->err);
        if (r < 0 || first)
                return r;
        return add_data(t, in, st.st_size, name);
}

static int add_node(struct tree_walk *t, int fd, const char *name, int depth);

bool image_tar_kernel_fs(int fd)
{
        static const long kernel[] = {
                PROC_SUPER_MAGIC,
                SYSFS_MAGIC,
                CGROUP_SUPER_MAGIC,
                CGROUP2_SUPER_MAGIC,
                DEVPTS_SUPER_MAGIC,
                DEBUGFS_MAGIC,
                TRACEFS_MAGIC,
                SECURITYFS_MAGIC,
                BPF_FS_MAGIC,
                PSTOREFS_MAGIC,
                EFIVARFS_MAGIC,
                SELINUX_MAGIC,
                SMACK_MAGIC,
                BINFMTFS_MAGIC,
                0x19800202 /* mqueue */,
                0x73636673 /* configfs */,
                0x6e736673 /* nsfs */,
        };
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(kernel); i++)
                if (sf.f_type == kernel[i])
                        return true;
        return false;
}

static int add_dir(struct tree_walk *t, int fd, const struct stat *st, const char *name, int depth)
{
        if (*name) {
                int r = image_tar_writer_add_stat(t->w, name, st, NULL, t->err);
                if (r < 0)
                        return r;
        }
        if (image_tar_kernel_fs(fd))
                return 0;
        if (depth >= TREE_MAX_DEPTH)
                return box_err_set(t->err, ELOOP, "'%s' is nested more than %d directories deep",
                                   name, TREE_MAX_DEPTH);
        _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(t->err, errno, "open '%s'", *name ? name : ".");
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = fs_opendir_dup(dfd);
        int r = d ? fs_dir_names(d, &names) : -errno;
        if (r < 0)
                return box_err_errno(t->err, -r, "read directory '%s'", *name ? name : ".");
        for (size_t i = 0; names[i]; i++) {
                _cleanup_free_ char *child =
                        *name ? xasprintf("%s/%s", name, names[i]) : xstrdup(names[i]);
                _cleanup_close_ int cfd =
                        sys_openat2(dfd, names[i], O_PATH | O_NOFOLLOW, 0,
                                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
                if (cfd < 0 && errno == ENOENT)
                        continue; /* removed since the directory was read */
                if (cfd < 0)
                        return box_err_errno(t->err, errno, "open '%s'", child);
                r = add_node(t, cfd, child, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_node(struct tree_walk *t, int fd, const char *name, int depth)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(t->err, errno, "stat '%s'", name);
        if (S_ISREG(st.st_mode))
                return add_file(t, fd, name);
        if (S_ISDIR(st.st_mode))
                return add_dir(t, fd, &st, name, depth);
        if (S_ISSOCK(st.st_mode))
                return 0; /* as Docker's archiver: a socket is skipped */
        char target[PATH_MAX];
        const char *link = NULL;
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlinkat(fd, "", target, sizeof(target));
                if (n < 0)
                        return box_err_errno(t->err, errno, "read link '%s'", name);
                if ((size_t)n >= sizeof(target))
                        return box_err_set(t->err, ENAMETOOLONG, "link '%s': target too long",
                                           name);
                target[n] = '\0';
                link = target;
        }
        return image_tar_writer_add_stat(t->w, name, &st, link, t->err);
}

int image_tar_writer_add_fd_tree(struct image_tar_writer *w, int fd, const char *name,
                                 struct box_err *err)
{
        struct tree_walk t = {.w = w, .err = err, .buf = xmalloc(TREE_BUF)};
        int r = add_node(&t, fd, name, 0);
        for (size_t i = 0; i < t.n_links; i++)
                free(t.links[i].name);
        free(t.links);
        free(t.buf);
        return r;
}

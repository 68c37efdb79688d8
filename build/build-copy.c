/* COPY and ADD: sources from the context (or a stage's root) into the
 * image, with Docker's rules for directories, wildcards and trailing
 * slashes.  Every path on both sides is resolved with RESOLVE_IN_ROOT, and
 * symlinks found in the context are copied as symlinks, never followed. */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"

static int has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* Is REL excluded by COPY --exclude (matched relative to the source being
 * copied, or by name for the source itself)? */
static int excluded_by_flag(const struct copy_src *src, const char *rel)
{
        bool ex = false;
        if (!src->exclude || !*rel)
                return 0;
        const char *r = rel;
        size_t pl = src->exclude_root ? strlen(src->exclude_root) : 0;
        if (pl && strneq(rel, src->exclude_root, pl) && rel[pl] == '/')
                r = rel + pl + 1;
        else if (pl && streq(rel, src->exclude_root))
                r = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        return build_dockerignore_matches(src->exclude, r, &ex, NULL) >= 0 && ex;
}

static int excluded(const struct copy_src *src, const char *rel)
{
        bool ex = false;
        if (excluded_by_flag(src, rel))
                return 1;
        if (!src->is_context || !src->ignore || !*rel)
                return 0;
        if (build_dockerignore_matches(src->ignore, rel, &ex, NULL) < 0)
                return 0;
        return ex;
}

/* Hard links within one COPY stay hard links (as BuildKit's copy keeps
 * them): the first copy of an inode is remembered by an O_PATH fd. */
struct copy_links {
        struct {
                dev_t dev;
                ino_t ino;
                int fd;
        } * v;
        size_t n;
};

static void copy_links_release(struct copy_links *l)
{
        for (size_t i = 0; i < l->n; i++)
                close(l->v[i].fd);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* 1: DNAME was created as a link to an earlier copy of ST's inode. */
static int copy_link_existing(struct copy_links *l, const struct stat *st, int ddfd,
                              const char *dname)
{
        if (!l || st->st_nlink < 2)
                return 0;
        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].dev != st->st_dev || l->v[i].ino != st->st_ino)
                        continue;
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", l->v[i].fd);
                return linkat(AT_FDCWD, proc, ddfd, dname, AT_SYMLINK_FOLLOW) == 0;
        }
        return 0;
}

static void copy_link_remember(struct copy_links *l, const struct stat *st, int ddfd,
                               const char *dname)
{
        if (!l || st->st_nlink < 2)
                return;
        int fd = openat(ddfd, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        l->v = xreallocarray(l->v, l->n + 1, sizeof(l->v[0]));
        l->v[l->n].dev = st->st_dev;
        l->v[l->n].ino = st->st_ino;
        l->v[l->n].fd = fd;
        l->n++;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(int dfd)
{
        char **v = xnew0(char *, 1);
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return v;
        }
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        v = strv_append(v, de->d_name);
        closedir(d);
        qsort(v, strv_length(v), sizeof(char *), name_cmp);
        return v;
}

/* Expands one source pattern to the relative paths it names ("" = root). */
static int expand_source(const struct copy_src *src, const char *pattern, char ***matches,
                         struct box_err *err)
{
        _cleanup_free_ char *clean = build_path_clean(pattern);
        const char *p = clean;
        while (*p == '/')
                p++;
        if (streq(p, ".") || !*p)
                p = "";
        if (streq(p, "..") || startswith(p, "../"))
                return box_err_set(err, EPERM, "'%s': forbidden path outside the build context",
                                   pattern);
        if (!has_glob(p)) {
                struct stat st;
                if (*p) {
                        if (excluded(src, p))
                                return box_err_set(err, ENOENT,
                                                   "'%s': not found (excluded by .dockerignore)",
                                                   pattern);
                        _cleanup_close_ int fd =
                                openat_in_root(src->rootfd, p, O_PATH | O_NOFOLLOW, 0);
                        if (fd < 0 || fstat(fd, &st) < 0)
                                return box_err_set(err, ENOENT, "'%s': no such file or directory",
                                                   pattern);
                }
                *matches = strv_append(*matches, p);
                return 0;
        }
        /* walk component by component, globbing where needed */
        _cleanup_strv_free_ char **cur = strv_append(NULL, "");
        _cleanup_free_ char *copy = xstrdup(p);
        char *save = NULL;
        for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                char **next = xnew0(char *, 1);
                STRV_FOREACH (base, cur) {
                        _cleanup_close_ int dfd = **base ? openat_in_root(src->rootfd, *base,
                                                                          O_RDONLY | O_DIRECTORY, 0)
                                                         : fcntl(src->rootfd, F_DUPFD_CLOEXEC, 3);
                        if (dfd < 0)
                                continue;
                        if (!has_glob(comp)) {
                                _cleanup_free_ char *rel =
                                        **base ? xasprintf("%s/%s", *base, comp) : xstrdup(comp);
                                if (faccessat(dfd, comp, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                                        next = strv_append(next, rel);
                                continue;
                        }
                        _cleanup_strv_free_ char **names = list_dir(dfd);
                        STRV_FOREACH (n, names) {
                                if (fnmatch(comp, *n, 0) != 0)
                                        continue;
                                _cleanup_free_ char *rel =
                                        **base ? xasprintf("%s/%s", *base, *n) : xstrdup(*n);
                                next = strv_append(next, rel);
                        }
                }
                strv_free(cur);
                cur = next;
        }
        /* a wildcard may match nothing (BuildKit's AllowEmptyWildcard) */
        STRV_FOREACH (m, cur)
                if (!excluded(src, *m))
                        *matches = strv_append(*matches, *m);
        return 0;
}

/* mkdir -p of DIR inside ROOTFD; new directories get mode 0755 and the
 * --chown owner.  Returns an fd of DIR. */
static int mkdir_in_root(int rootfd, const char *dir, const struct copy_opts *o,
                         struct box_err *err)
{
        _cleanup_free_ char *p = xstrdup(dir);
        char *s = p;
        while (*s == '/')
                s++;
        if (!*s)
                return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        for (char *c = s;; c++) {
                if (*c != '/' && *c != '\0')
                        continue;
                char saved = *c;
                *c = '\0';
                int fd = openat_in_root(rootfd, s, O_RDONLY | O_DIRECTORY, 0);
                if (fd < 0) {
                        if (errno == ENOTDIR)
                                return box_err_set(err, ENOTDIR, "'/%s' is not a directory", s);
                        char *slash = strrchr(s, '/');
                        _cleanup_close_ int pfd = -EBADF;
                        if (slash) {
                                *slash = '\0';
                                pfd = openat_in_root(rootfd, s, O_RDONLY | O_DIRECTORY, 0);
                                *slash = '/';
                        } else {
                                pfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                        }
                        const char *name = slash ? slash + 1 : s;
                        if (pfd < 0 || (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST))
                                return box_err_errno(err, errno, "create directory '/%s'", s);
                        if (o->has_chown)
                                fchownat(pfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW);
                        fd = openat_in_root(rootfd, s, O_RDONLY | O_DIRECTORY, 0);
                        if (fd < 0)
                                return box_err_errno(err, errno, "open '/%s'", s);
                }
                *c = saved;
                if (saved == '\0')
                        return fd;
                close(fd);
        }
}

int build_chmod_apply(const char *spec, mode_t mode, bool isdir, mode_t *ret)
{
        mode_t m = mode & 07777;
        const char *p = spec;
        for (;;) {
                mode_t who = 0;
                for (; *p && strchr("ugoa", *p); p++)
                        who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 00007 : 07777;
                if (!who)
                        who = 07777;
                if (!*p || !strchr("+-=", *p))
                        return -EINVAL;
                while (*p && strchr("+-=", *p)) {
                        char op = *p++;
                        mode_t bits = 0;
                        for (; *p && strchr("rwxXst", *p); p++) {
                                if (*p == 'r')
                                        bits |= 0444;
                                else if (*p == 'w')
                                        bits |= 0222;
                                else if (*p == 'x')
                                        bits |= 0111;
                                else if (*p == 'X')
                                        bits |= isdir || (m & 0111) ? 0111 : 0;
                                else if (*p == 's')
                                        bits |= 06000;
                                else
                                        bits |= 01000;
                        }
                        bits &= who;
                        if (op == '+')
                                m |= bits;
                        else if (op == '-')
                                m &= ~bits;
                        else
                                m = (m & ~who) | bits;
                }
                if (*p == ',') {
                        p++;
                        continue;
                }
                if (*p)
                        return -EINVAL;
                break;
        }
        *ret = m;
        return 0;
}

static mode_t final_mode(const struct copy_opts *o, mode_t cur, bool isdir)
{
        mode_t m = cur & 07777;
        if (o->chmod >= 0)
                return (mode_t)o->chmod;
        if (o->chmod_sym && build_chmod_apply(o->chmod_sym, cur, isdir, &m) < 0)
                m = cur & 07777;
        return m;
}

static void set_meta(int dfd, const char *name, const struct stat *st, const struct copy_opts *o,
                     bool is_link)
{
        uid_t uid = o->has_chown ? o->uid : 0;
        gid_t gid = o->has_chown ? o->gid : 0;
        fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (!is_link) {
                fchmodat(dfd, name, final_mode(o, st->st_mode, S_ISDIR(st->st_mode)), 0);
        }
        struct timespec ts[2] = {st->st_mtim, st->st_mtim};
        utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_entry(const struct copy_src *src, int sdfd, const char *sname, const char *rel,
                      int ddfd, const char *dname, const struct copy_opts *o, bool follow,
                      struct box_err *err);

static int copy_dir_contents(const struct copy_src *src, int sfd, const char *rel, int dfd,
                             const struct copy_opts *o, struct box_err *err)
{
        _cleanup_strv_free_ char **names = list_dir(sfd);
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *crel = *rel ? xasprintf("%s/%s", rel, *n) : xstrdup(*n);
                if (excluded(src, crel)) {
                        /* an excluded dir may still hold re-included files */
                        struct stat st;
                        if (fstatat(sfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                }
                int r = copy_entry(src, sfd, *n, crel, dfd, *n, o, false, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int copy_file_data(int in, int out, off_t size)
{
        off_t left = size;
        while (left > 0) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
                if (n < 0 &&
                    (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
                        return fs_copy_fd(in, out, NULL);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                left -= n;
        }
        return 0;
}

static int copy_entry(const struct copy_src *src, int sdfd, const char *sname, const char *rel,
                      int ddfd, const char *dname, const struct copy_opts *o, bool follow,
                      struct box_err *err)
{
        struct stat st, dst;
        if (fstatat(sdfd, sname, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
                return box_err_errno(err, errno, "stat '%s'", rel);
        int exists = fstatat(ddfd, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0;

        if (S_ISDIR(st.st_mode)) {
                if (exists && !S_ISDIR(dst.st_mode) && unlinkat(ddfd, dname, 0) < 0)
                        return box_err_errno(err, errno, "replace '%s'", dname);
                if ((!exists || !S_ISDIR(dst.st_mode)) && mkdirat(ddfd, dname, 0755) < 0)
                        return box_err_errno(err, errno, "create directory '%s'", dname);
                _cleanup_close_ int sfd =
                        openat(sdfd, sname,
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
                _cleanup_close_ int dfd =
                        openat(ddfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0 || dfd < 0)
                        return box_err_errno(err, errno, "open directory '%s'", rel);
                int r = copy_dir_contents(src, sfd, rel, dfd, o, err);
                if (r < 0)
                        return r;
                set_meta(ddfd, dname, &st, o, false);
                return 0;
        }
        if (excluded(src, rel))
                return 0;
        if (exists) {
                if (S_ISDIR(dst.st_mode))
                        return box_err_set(err, EISDIR, "cannot replace directory '%s' with a file",
                                           dname);
                if (unlinkat(ddfd, dname, 0) < 0)
                        return box_err_errno(err, errno, "replace '%s'", dname);
        }
        if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(sdfd, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return box_err_errno(err, errno, "readlink '%s'", rel);
                target[n] = '\0';
                if (symlinkat(target, ddfd, dname) < 0)
                        return box_err_errno(err, errno, "create symlink '%s'", dname);
                set_meta(ddfd, dname, &st, o, true);
                return 0;
        }
        if (S_ISREG(st.st_mode)) {
                if (copy_link_existing(src->links, &st, ddfd, dname) > 0)
                        return 0;
                _cleanup_close_ int in =
                        openat(sdfd, sname, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
                if (in < 0)
                        return box_err_errno(err, errno, "open '%s'", rel);
                _cleanup_close_ int out = openat(
                        ddfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0)
                        return box_err_errno(err, errno, "create '%s'", dname);
                int r = copy_file_data(in, out, st.st_size);
                if (r < 0)
                        return box_err_errno(err, -r, "copy '%s'", rel);
                set_meta(ddfd, dname, &st, o, false);
                copy_link_remember(src->links, &st, ddfd, dname);
                return 0;
        }
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                if (mknodat(ddfd, dname, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
                        return box_err_errno(err, errno, "create '%s'", dname);
                set_meta(ddfd, dname, &st, o, false);
        }
        return 0; /* sockets are skipped */
}

/* Does the file start like a tar archive, plain or compressed? */
static bool looks_like_archive(int sdfd, const char *sname)
{
        _cleanup_close_ int fd = openat(sdfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        unsigned char h[512];
        ssize_t n = fd < 0 ? -1 : pread(fd, h, sizeof(h), 0);
        if (n < 4)
                return false;
        static const unsigned char gz[] = {0x1f, 0x8b}, bz[] = {'B', 'Z', 'h'},
                                   xz[] = {0xfd, '7', 'z', 'X', 'Z', 0},
                                   zst[] = {0x28, 0xb5, 0x2f, 0xfd};
        if (!memcmp(h, gz, sizeof(gz)) || !memcmp(h, bz, sizeof(bz)) ||
            !memcmp(h, zst, sizeof(zst)) || (n >= 6 && !memcmp(h, xz, sizeof(xz))))
                return true;
        return n >= 262 && !memcmp(h + 257, "ustar", 5);
}

/* ADD of a local archive: returns 1 when extracted, 0 when SRC is no archive. */
static int try_extract(int sdfd, const char *sname, int destfd, struct box_err *err)
{
        _cleanup_close_ int in = openat(sdfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return 0;
        return store_archive_extract_fd(in, destfd, err);
}

/* COPY --parents: the part of a source pattern before "/./" is not kept. */
static char *parents_pivot(const char *pattern)
{
        const char *p = strstr(pattern, "/./");
        if (!p)
                return xstrdup("");
        _cleanup_free_ char *head = xstrndup(pattern, (size_t)(p - pattern));
        char *clean = build_path_clean(head);
        char *s = clean;
        while (*s == '/')
                s++;
        char *r = xstrdup(streq(s, ".") ? "" : s);
        free(clean);
        return r;
}

/* A source named directly that is a symlink is followed, as BuildKit
 * does, but only inside the root: returns the path it resolves to there
 * (relative), or NULL to copy the link itself (dangling, or pointing out
 * of the context). */
static char *follow_in_root(const struct copy_src *src, const char *rel)
{
        struct stat st;
        if (!*rel || !src->is_context || fstatat(src->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISLNK(st.st_mode))
                return NULL;
        /* the parent directories of REL were already resolved in the root */
        char root[4096], target[4096], link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", src->rootfd);
        ssize_t rl = readlink(link, root, sizeof(root) - 1);
        if (rl <= 0)
                return NULL;
        root[rl] = '\0';
        _cleanup_close_ int fd = openat_in_root(src->rootfd, rel, O_PATH, 0);
        if (fd < 0)
                return NULL;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t tl = readlink(link, target, sizeof(target) - 1);
        if (tl <= 0)
                return NULL;
        target[tl] = '\0';
        size_t n = (size_t)rl;
        if (strncmp(target, root, n) != 0 || (target[n] != '/' && target[n] != '\0'))
                return NULL;
        return xstrdup(target[n] == '/' ? target + n + 1 : "");
}

static int copy_one(const struct copy_src *src, const char *rel, const char *dest, bool dest_is_dir,
                    int dest_rootfd, const struct copy_opts *o, struct box_err *err)
{
        _cleanup_free_ char *followed = follow_in_root(src, rel);
        const char *link_name = NULL;
        if (followed) {
                link_name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
                rel = followed;
        }
        struct stat st;
        int r;
        char *slash = strrchr(rel, '/');
        _cleanup_free_ char *sdir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
        const char *sname = slash ? slash + 1 : (*rel ? rel : ".");
        _cleanup_close_ int sdfd =
                *sdir ? openat_in_root(src->rootfd, sdir, O_RDONLY | O_DIRECTORY, 0)
                      : fcntl(src->rootfd, F_DUPFD_CLOEXEC, 3);
        if (sdfd < 0)
                return box_err_errno(err, errno, "open '%s'", sdir);
        bool follow = !src->is_context;
        if (fstatat(sdfd, sname, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
                return box_err_errno(err, errno, "stat '%s'", *rel ? rel : ".");
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, dest, o, err);
                if (dfd < 0)
                        return dfd;
                _cleanup_close_ int sfd = openat(sdfd, sname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sfd < 0)
                        return box_err_errno(err, errno, "open '%s'", rel);
                return copy_dir_contents(src, sfd, rel, dfd, o, err);
        }
        if (excluded_by_flag(src, rel))
                return 0;
        _cleanup_free_ char *target_dir = NULL, *target_name = NULL;
        if (dest_is_dir) {
                target_dir = xstrdup(dest);
                target_name = xstrdup(link_name           ? link_name
                                      : strrchr(rel, '/') ? strrchr(rel, '/') + 1
                                                          : rel);
        } else {
                const char *ds = strrchr(dest, '/');
                target_dir = ds ? xstrndup(dest, (size_t)(ds - dest) + 1) : xstrdup("/");
                target_name = xstrdup(ds ? ds + 1 : dest);
        }
        if (o->add && src->is_context && S_ISREG(st.st_mode) && looks_like_archive(sdfd, sname)) {
                /* an archive is extracted into DEST, a directory with or
                 * without its trailing slash (as Docker does) */
                _cleanup_close_ int xfd = mkdir_in_root(dest_rootfd, dest, o, err);
                if (xfd < 0)
                        return xfd;
                r = try_extract(sdfd, sname, xfd, err);
                if (r < 0)
                        return box_err_prefix(err, "extract '%s'", rel);
                if (r > 0)
                        return 0;
        }
        _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, target_dir, o, err);
        if (dfd < 0)
                return dfd;
        return copy_entry(src, sdfd, sname, rel, dfd, target_name, o, follow, err);
}

int build_copy(const struct copy_src *src_in, char *const *srcs, const char *dest, int dest_rootfd,
               const struct copy_opts *o, struct box_err *err)
{
        struct copy_links links = {0};
        struct copy_src src = *src_in;
        src.links = &links;
        _cleanup_strv_free_ char **matches = xnew0(char *, 1);
        _cleanup_strv_free_ char **pivots = xnew0(char *, 1); /* parallel to matches */
        int r = 0;
        STRV_FOREACH (s, srcs) {
                size_t before = strv_length(matches);
                r = expand_source(&src, *s, &matches, err);
                if (r < 0)
                        goto out;
                for (size_t i = before; matches[i]; i++)
                        pivots = strv_push(pivots, o->parents ? parents_pivot(*s) : xstrdup(""));
        }
        size_t n = strv_length(matches);
        bool dest_is_dir = dest[strlen(dest) - 1] == '/' || o->parents;
        if (!dest_is_dir) {
                _cleanup_close_ int fd =
                        openat_in_root(dest_rootfd, dest, O_RDONLY | O_DIRECTORY, 0);
                dest_is_dir = fd >= 0;
        }
        if ((n > 1 || strv_length((char **)srcs) > 1) && !dest_is_dir) {
                r = box_err_set(err, EINVAL,
                                "when using COPY with more than one source file, the "
                                "destination must be a directory and end with a /");
                goto out;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *rel = matches[i];
                src.exclude_root = rel;
                if (!o->parents) {
                        r = copy_one(&src, rel, dest, dest_is_dir, dest_rootfd, o, err);
                        continue;
                }
                /* --parents: DEST/<path below the pivot> */
                const char *below = rel;
                size_t pl = strlen(pivots[i]);
                if (pl && strneq(rel, pivots[i], pl) && (rel[pl] == '/' || !rel[pl]))
                        below = rel + pl + (rel[pl] == '/');
                struct stat st;
                _cleanup_close_ int mfd = *rel ? openat_in_root(src.rootfd, rel, O_PATH, 0)
                                               : fcntl(src.rootfd, F_DUPFD_CLOEXEC, 3);
                bool isdir = mfd >= 0 && fstat(mfd, &st) == 0 && S_ISDIR(st.st_mode);
                _cleanup_free_ char *sub = NULL;
                if (isdir)
                        sub = xasprintf("%s%s%s/", dest, dest[strlen(dest) - 1] == '/' ? "" : "/",
                                        below);
                else {
                        const char *slash = strrchr(below, '/');
                        sub = xasprintf("%s%s%.*s%s", dest,
                                        dest[strlen(dest) - 1] == '/' ? "" : "/",
                                        slash ? (int)(slash - below) : 0, below, slash ? "/" : "");
                }
                r = copy_one(&src, rel, sub, true, dest_rootfd, o, err);
        }
out:
        copy_links_release(&links);
        return r < 0 ? r : 0;
}

static int hash_tree(const struct copy_src *src, int dfd, const char *name, const char *rel,
                     struct stat_cache *sc, struct buf *out, bool follow, struct box_err *err)
{
        struct stat st;
        if (fstatat(dfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
                return box_err_errno(err, errno, "stat '%s'", rel);
        if (!S_ISDIR(st.st_mode) && excluded(src, rel))
                return 0;
        buf_printf(out, "%s\t%o\t", rel, st.st_mode);
        if (S_ISREG(st.st_mode)) {
                digest_str h;
                if (!stat_cache_lookup(sc, &st, h)) {
                        _cleanup_close_ int fd =
                                openat(dfd, name, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
                        if (fd < 0)
                                return box_err_errno(err, errno, "open '%s'", rel);
                        int r = stat_cache_hash(sc, fd, h, err);
                        if (r < 0)
                                return r;
                }
                buf_printf(out, "%s\n", h);
        } else if (S_ISLNK(st.st_mode)) {
                char t[4096];
                ssize_t n = readlinkat(dfd, name, t, sizeof(t) - 1);
                t[n < 0 ? 0 : n] = '\0';
                buf_printf(out, "-> %s\n", t);
        } else if (S_ISDIR(st.st_mode)) {
                buf_puts(out, "dir\n");
                _cleanup_close_ int sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sfd < 0)
                        return box_err_errno(err, errno, "open '%s'", rel);
                _cleanup_strv_free_ char **names = list_dir(sfd);
                STRV_FOREACH (n, names) {
                        _cleanup_free_ char *crel =
                                *rel ? xasprintf("%s/%s", rel, *n) : xstrdup(*n);
                        int r = hash_tree(src, sfd, *n, crel, sc, out, false, err);
                        if (r < 0)
                                return r;
                }
        } else {
                buf_printf(out, "%lx\n", (unsigned long)st.st_rdev);
        }
        return 0;
}

int build_copy_hash(const struct copy_src *src, char *const *srcs, struct stat_cache *sc,
                    struct buf *out, struct box_err *err)
{
        _cleanup_strv_free_ char **matches = xnew0(char *, 1);
        STRV_FOREACH (s, srcs) {
                int r = expand_source(src, *s, &matches, err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (m, matches) {
                _cleanup_free_ char *followed = follow_in_root(src, *m);
                const char *rel = followed ? followed : *m;
                struct copy_src s = *src;
                s.exclude_root = rel;
                int r = hash_tree(&s, src->rootfd, *rel ? rel : ".", rel, sc, out, !src->is_context,
                                  err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Writes a new file DEST (absolute in the image) from DATA or, when DATA is
 * NULL, from FD; MODE unless --chmod says otherwise. */
static int write_new_file(const char *data, int fd, mode_t mode, const char *dest, int dest_rootfd,
                          const struct copy_opts *o, struct box_err *err)
{
        const char *ds = strrchr(dest, '/');
        _cleanup_free_ char *dir = ds ? xstrndup(dest, (size_t)(ds - dest) + 1) : xstrdup("/");
        const char *name = ds ? ds + 1 : dest;
        if (!*name)
                return box_err_set(err, EINVAL, "destination '%s' is a directory", dest);
        _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, dir, o, err);
        if (dfd < 0)
                return dfd;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(st.st_mode))
                        return box_err_set(err, EISDIR, "cannot replace directory '%s' with a file",
                                           dest);
                unlinkat(dfd, name, 0);
        }
        _cleanup_close_ int out =
                openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return box_err_errno(err, errno, "create '%s'", dest);
        int r = data ? fs_write_full(out, data, strlen(data)) : fs_copy_fd(fd, out, NULL);
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", dest);
        fchown(out, o->has_chown ? o->uid : 0, o->has_chown ? o->gid : 0);
        fchmod(out, final_mode(o, mode, false));
        return 0;
}

int build_copy_file_fd(int fd, const char *dest, int dest_rootfd, const struct copy_opts *o,
                       struct box_err *err)
{
        return write_new_file(NULL, fd, 0600, dest, dest_rootfd, o, err);
}

int build_copy_heredoc(const char *data, const char *dest, int dest_rootfd,
                       const struct copy_opts *o, struct box_err *err)
{
        return write_new_file(data, -1, 0644, dest, dest_rootfd, o, err);
}

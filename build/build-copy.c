/* COPY and ADD: sources from the context (or a stage's root, or a named
 * context) into the image, with Docker's rules for directories, wildcards
 * and trailing slashes.
 *
 * Containment: a source's root is whatever a Dockerfile's earlier steps or
 * the context's owner made it, symlinks included, and box reads it as root
 * on the host.  So every path on both sides is resolved inside its own root
 * (RESOLVE_IN_ROOT, or the user-space resolver below, whose result is then
 * opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and everything below
 * that is reached through directory fds and single-component *at() calls
 * that never follow a link.  A symlink named as a source is followed, but
 * inside its root, as BuildKit's FollowLinks does; symlinks inside a copied
 * directory are copied as links.  Trees are walked with an explicit stack
 * of bounded depth, and files are opened O_NONBLOCK and checked to be
 * regular, so neither a deep tree nor a FIFO can stop the build. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/go-match.h"
#include "lib/go-path.h"
#include "lib/strv.h"
#include "lib/syscall.h"

/* BuildKit's containsWildcards: '*', '?' or '[' that is not escaped. */
static bool has_glob(const char *s)
{
        for (; *s; s++) {
                if (*s == '\\' && s[1])
                        s++;
                else if (strchr("*?[", *s))
                        return true;
        }
        return false;
}

/* REL as COPY --exclude patterns see it: relative to the source being
 * copied, or by name for the source itself. */
static const char *flag_rel(const struct copy_src *src, const char *rel)
{
        size_t pl = src->exclude_root ? strlen(src->exclude_root) : 0;
        if (pl && strneq(rel, src->exclude_root, pl) && rel[pl] == '/')
                return rel + pl + 1;
        if (pl && streq(rel, src->exclude_root))
                return strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        return rel;
}

/* Is REL excluded by COPY --exclude? */
static int excluded_by_flag(const struct copy_src *src, const char *rel)
{
        bool ex = false;
        if (!src->exclude || !*rel)
                return 0;
        return build_dockerignore_matches(src->exclude, flag_rel(src, rel), &ex, NULL) >= 0 && ex;
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

/* Is source REL (a path the Dockerfile names) absent from the context as
 * BuildKit sends it?  An excluded directory is there when an exception may
 * take back something below it: its walk then makes only what is taken
 * back. */
static bool source_excluded(const struct copy_src *src, const char *rel)
{
        if (!excluded(src, rel))
                return false;
        if (!src->is_context || !src->ignore || !build_dockerignore_may_reinclude(src->ignore, rel))
                return true;
        struct stat st;
        _cleanup_close_ int fd = openat_in_root(src->rootfd, rel, O_PATH | O_NOFOLLOW, 0);
        return fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode);
}

/* An excluded directory is left out whole, itself included, unless an
 * exception could take back something below it (BuildKit sends no
 * excluded directory: ".dockerignore: node_modules" makes none in the
 * image).  With such an exception the walk goes in, as before. */
static bool skip_dir(const struct copy_src *src, const char *rel)
{
        if (!excluded(src, rel))
                return false;
        if (src->exclude && build_dockerignore_may_reinclude(src->exclude, flag_rel(src, rel)))
                return false;
        if (src->is_context && src->ignore && build_dockerignore_may_reinclude(src->ignore, rel))
                return false;
        return true;
}

/* Hard links within one COPY stay hard links (as BuildKit's copy keeps
 * them): the first copy of an inode is remembered by an O_PATH fd. */
struct copy_links {
        struct {
                dev_t dev;
                ino_t ino;
                int fd;
        } * v;
        size_t n, cap;
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
        if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 64;
                l->v = xreallocarray(l->v, l->cap, sizeof(l->v[0]));
        }
        l->v[l->n].dev = st->st_dev;
        l->v[l->n].ino = st->st_ino;
        l->v[l->n].fd = fd;
        l->n++;
}

/* The names in directory DFD, sorted bytewise. */
static int list_dir(int dfd, const char *rel, char ***ret, struct box_err *err)
{
        _cleanup_closedir_ DIR *d = fs_opendir_dup(dfd);
        int r = d ? fs_dir_names(d, ret) : -errno;
        if (r < 0)
                return box_err_errno(err, -r, "read directory '%s'", *rel ? rel : ".");
        return 0;
}

/* Expands one source pattern to the relative paths it names ("" = root). */
static int expand_source(const struct copy_src *src, const char *pattern, char ***matches,
                         struct box_err *err)
{
        _cleanup_free_ char *clean = go_path_clean(pattern);
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
                        if (source_excluded(src, p))
                                return box_err_set(err, ENOENT, "'%s': not found (excluded by %s)",
                                                   pattern, src->ignore_name ?: ".dockerignore");
                        _cleanup_close_ int fd =
                                openat_in_root(src->rootfd, p, O_PATH | O_NOFOLLOW, 0);
                        if (fd < 0 || fstat(fd, &st) < 0)
                                return box_err_set(err, ENOENT, "'%s': no such file or directory",
                                                   pattern);
                }
                *matches = strv_append(*matches, p);
                return 0;
        }
        /* Wildcards are Go's filepath.Match, as BuildKit matches them; a
         * malformed pattern is an error even where no file is there to
         * match (Go checks all of a pattern against any name, "" too). */
        if (go_path_match(p, "", NULL) < 0)
                return box_err_set(err, EINVAL, "syntax error in pattern '%s'", pattern);
        /* walk component by component ('*' and '?' never match '/'),
         * matching where needed; a component without wildcards or escapes
         * is looked up as it is */
        _cleanup_strv_free_ char **cur = strv_append(NULL, "");
        _cleanup_free_ char *copy = xstrdup(p);
        char *save = NULL;
        for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                char **next = xnew0(char *, 1);
                size_t nn = 0;
                STRV_FOREACH (base, cur) {
                        _cleanup_close_ int dfd = **base ? openat_in_root(src->rootfd, *base,
                                                                          O_RDONLY | O_DIRECTORY, 0)
                                                         : fcntl(src->rootfd, F_DUPFD_CLOEXEC, 3);
                        if (dfd < 0)
                                continue;
                        if (!strpbrk(comp, "*?[\\")) {
                                _cleanup_free_ char *rel =
                                        **base ? xasprintf("%s/%s", *base, comp) : xstrdup(comp);
                                if (faccessat(dfd, comp, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                                        next = strv_push_at(next, nn++, TAKE_PTR(rel));
                                continue;
                        }
                        _cleanup_strv_free_ char **names = NULL;
                        if (list_dir(dfd, *base, &names, NULL) < 0)
                                continue;
                        STRV_FOREACH (n, names) {
                                /* a component may be malformed where the
                                 * whole pattern is not ("a[/]b") */
                                if (go_path_match(comp, *n, NULL) <= 0)
                                        continue;
                                next = strv_push_at(next, nn++,
                                                    **base ? xasprintf("%s/%s", *base, *n)
                                                           : xstrdup(*n));
                        }
                }
                strv_free(cur);
                cur = next;
        }
        /* a wildcard may match nothing (BuildKit's AllowEmptyWildcard) */
        size_t nm = strv_length(*matches);
        STRV_FOREACH (m, cur)
                if (!source_excluded(src, *m))
                        *matches = strv_push_at(*matches, nm++, xstrdup(*m));
        return 0;
}

/* mkdir -p of DIR inside ROOTFD; new directories get mode 0755 and the
 * --chown owner.  Symlinks on the way are followed inside the root (a
 * dangling one makes its target, as BuildKit's MkdirAll on RootPath
 * does); the directories are then made one component at a time, never
 * through a link.  Returns an fd of DIR. */
static int mkdir_in_root(int rootfd, const char *dir, const struct copy_opts *o,
                         struct box_err *err)
{
        _cleanup_free_ char *res = NULL;
        int r = build_path_resolve_in_root(rootfd, dir, true, &res, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return box_err_errno(err, errno, "open the root");
        for (char *c = res; *c;) {
                size_t n = strcspn(c, "/");
                char saved = c[n];
                c[n] = '\0';
                int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
                                return box_err_errno(err, errno, "create directory '/%s'", res);
                        if (o->has_chown)
                                fchownat(fd, c, o->uid, o->gid, AT_SYMLINK_NOFOLLOW);
                        next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (next < 0) {
                        if (errno == ENOTDIR || errno == ELOOP)
                                return box_err_set(err, ENOTDIR, "'/%s' is not a directory", res);
                        return box_err_errno(err, errno, "open '/%s'", res);
                }
                close(fd);
                fd = next;
                c[n] = saved;
                c += n + (saved == '/');
        }
        return TAKE_FD(fd);
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

static uid_t new_uid(const struct copy_opts *o, const struct stat *st)
{
        return o->has_chown ? o->uid : o->keep_owner ? st->st_uid : 0;
}

static gid_t new_gid(const struct copy_opts *o, const struct stat *st)
{
        return o->has_chown ? o->gid : o->keep_owner ? st->st_gid : 0;
}

/* Owner, mode and times of a file just made, through its fd. */
static void set_meta_fd(int fd, const struct stat *st, const struct copy_opts *o)
{
        fchown(fd, new_uid(o, st), new_gid(o, st));
        fchmod(fd, final_mode(o, st->st_mode, S_ISDIR(st->st_mode)));
        struct timespec ts[2] = {st->st_mtim, st->st_mtim};
        futimens(fd, ts);
}

/* The same for a symlink or a device node NAME under DFD, never followed. */
static void set_meta_at(int dfd, const char *name, const struct stat *st, const struct copy_opts *o)
{
        fchownat(dfd, name, new_uid(o, st), new_gid(o, st), AT_SYMLINK_NOFOLLOW);
        if (!S_ISLNK(st->st_mode))
                fchmodat(dfd, name, final_mode(o, st->st_mode, false), AT_SYMLINK_NOFOLLOW);
        struct timespec ts[2] = {st->st_mtim, st->st_mtim};
        utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
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

/* Opens regular file NAME under DFD for reading: never through a symlink,
 * never blocking (a FIFO swapped in is refused), and only when it is still
 * the file ST describes. */
static int open_regular(int dfd, const char *name, const struct stat *st, const char *rel,
                        struct box_err *err)
{
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", rel);
        struct stat now;
        if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) ||
            (st && (now.st_dev != st->st_dev || now.st_ino != st->st_ino))) {
                close(fd);
                return box_err_set(err, EAGAIN, "'%s' changed while it was being copied", rel);
        }
        return fd;
}

/* Copies one entry that is not a directory: SNAME under SDFD (ST its
 * lstat) to DNAME under DDFD. */
static int copy_leaf(const struct copy_src *src, int sdfd, const char *sname, const struct stat *st,
                     const char *rel, int ddfd, const char *dname, const struct copy_opts *o,
                     struct box_err *err)
{
        if (excluded(src, rel))
                return 0;
        if (S_ISSOCK(st->st_mode))
                return 0; /* a socket cannot be copied (BuildKit skips them too) */
        struct stat dst;
        if (fstatat(ddfd, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(dst.st_mode))
                        return box_err_set(err, EISDIR, "cannot replace directory '%s' with a file",
                                           dname);
                if (unlinkat(ddfd, dname, 0) < 0)
                        return box_err_errno(err, errno, "replace '%s'", dname);
        }
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdfd, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return box_err_errno(err, errno, "readlink '%s'", rel);
                target[n] = '\0';
                if (symlinkat(target, ddfd, dname) < 0)
                        return box_err_errno(err, errno, "create symlink '%s'", dname);
                set_meta_at(ddfd, dname, st, o);
                return 0;
        }
        if (S_ISREG(st->st_mode)) {
                if (copy_link_existing(src->links, st, ddfd, dname) > 0)
                        return 0;
                _cleanup_close_ int in = open_regular(sdfd, sname, st, rel, err);
                if (in < 0)
                        return in;
                _cleanup_close_ int out = openat(
                        ddfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0)
                        return box_err_errno(err, errno, "create '%s'", dname);
                int r = copy_file_data(in, out, st->st_size);
                if (r < 0)
                        return box_err_errno(err, -r, "copy '%s'", rel);
                set_meta_fd(out, st, o);
                copy_link_remember(src->links, st, ddfd, dname);
                return 0;
        }
        /* FIFOs and devices are made again, never opened */
        if (mknodat(ddfd, dname, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0)
                return box_err_errno(err, errno, "create '%s'", dname);
        set_meta_at(ddfd, dname, st, o);
        return 0;
}

/* ---- walking a tree ---- */

/* How deep a tree may be: BUILD_MAX_DEPTH, or fewer when the open-file
 * limit would run out first (a walk holds two directory fds per level). */
static size_t walk_max_depth(void)
{
        struct rlimit rl;
        size_t cap = BUILD_MAX_DEPTH;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
                size_t fit = rl.rlim_cur > 256 ? (size_t)(rl.rlim_cur - 128) / 2 : 64;
                if (fit < cap)
                        cap = fit;
        }
        return cap;
}

struct walk_frame {
        int sfd; /* the source directory */
        int dfd; /* the destination directory, or -EBADF */
        struct stat st;
        char *rel;
        char **names;
        size_t i;
        char *name;   /* its name in the parent */
        bool pending; /* excluded, walked for exceptions: entered only when
                       * something below it is taken back */
};

/* What a walk does with what it finds.  ENTER returns 0 with *ret_dfd set
 * to descend into a directory; LEAVE runs once its entries are done. */
struct walk_ops {
        int (*leaf)(void *ud, int sdfd, const char *name, const struct stat *st, const char *rel,
                    int dfd, struct box_err *err);
        int (*enter)(void *ud, int sdfd, const char *name, const struct stat *st, const char *rel,
                     int dfd, int *ret_dfd, struct box_err *err);
        void (*leave)(void *ud, int dfd, const struct stat *st);
};

static void walk_frame_release(struct walk_frame *f)
{
        closep(&f->sfd);
        closep(&f->dfd);
        free(f->rel);
        free(f->name);
        strv_free(f->names);
}

/* Something below the pending frames at the top of FR (N of them in all)
 * is taken back: enter them, outermost first, as BuildKit sends an
 * excluded directory's path only for what an exception keeps. */
static int walk_enter_pending(struct walk_frame *fr, size_t n, const struct walk_ops *ops, void *ud,
                              struct box_err *err)
{
        size_t k = n;
        while (k > 1 && fr[k - 1].pending)
                k--;
        for (; k < n; k++) {
                int r = ops->enter(ud, fr[k - 1].sfd, fr[k].name, &fr[k].st, fr[k].rel,
                                   fr[k - 1].dfd, &fr[k].dfd, err);
                if (r < 0)
                        return r;
                fr[k].pending = false;
        }
        return 0;
}

/* Walks the entries below directory SFD (named REL, "" for the root) in
 * name order, depth first, with an explicit stack: SFD and DFD are the
 * caller's.  Excluded entries that are not directories are skipped (an
 * excluded directory may still hold re-included files). */
static int walk_tree(const struct copy_src *src, int sfd, const char *rel, int dfd,
                     const struct walk_ops *ops, void *ud, struct box_err *err)
{
        size_t max = walk_max_depth(), n = 0, cap = 16;
        struct walk_frame *fr = xnew0(struct walk_frame, cap);
        int r = 0;
        fr[0] = (struct walk_frame){.sfd = fcntl(sfd, F_DUPFD_CLOEXEC, 3),
                                    .dfd = dfd >= 0 ? fcntl(dfd, F_DUPFD_CLOEXEC, 3) : -EBADF,
                                    .rel = xstrdup(rel)};
        n = 1;
        if (fr[0].sfd < 0 || (dfd >= 0 && fr[0].dfd < 0))
                r = box_err_errno(err, errno, "open '%s'", *rel ? rel : ".");
        else
                r = list_dir(fr[0].sfd, rel, &fr[0].names, err);
        while (r >= 0 && n > 0) {
                struct walk_frame *f = &fr[n - 1];
                if (!f->names[f->i]) {
                        if (n > 1 && ops->leave && !f->pending)
                                ops->leave(ud, f->dfd, &f->st);
                        walk_frame_release(f);
                        n--;
                        continue;
                }
                const char *name = f->names[f->i++];
                _cleanup_free_ char *crel =
                        *f->rel ? xasprintf("%s/%s", f->rel, name) : xstrdup(name);
                struct stat st;
                if (fstatat(f->sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = box_err_errno(err, errno, "stat '%s'", crel);
                        break;
                }
                bool ex = f->pending || !S_ISDIR(st.st_mode) ? false : excluded(src, crel);
                if (f->pending && !(ex = excluded(src, crel)) &&
                    (r = walk_enter_pending(fr, n, ops, ud, err)) < 0)
                        break;
                if (!S_ISDIR(st.st_mode)) {
                        r = ops->leaf(ud, f->sfd, name, &st, crel, f->dfd, err);
                        continue;
                }
                if (ex && skip_dir(src, crel))
                        continue;
                if (n >= max) {
                        r = box_err_set(err, ELOOP,
                                        "directory tree deeper than %zu levels (the limit of a "
                                        "build): '%.64s...'",
                                        max, crel);
                        break;
                }
                struct walk_frame c = {.sfd = -EBADF,
                                       .dfd = -EBADF,
                                       .st = st,
                                       .name = xstrdup(name),
                                       .pending = ex};
                r = ex ? 0 : ops->enter(ud, f->sfd, name, &st, crel, f->dfd, &c.dfd, err);
                if (r < 0) {
                        free(c.name);
                        break;
                }
                c.sfd = openat(f->sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat now;
                if (c.sfd < 0 || fstat(c.sfd, &now) < 0 || now.st_ino != st.st_ino ||
                    now.st_dev != st.st_dev) {
                        r = c.sfd < 0 ? box_err_errno(err, errno, "open '%s'", crel)
                                      : box_err_set(err, EAGAIN,
                                                    "'%s' changed while it was being copied", crel);
                        walk_frame_release(&c);
                        break;
                }
                c.rel = TAKE_PTR(crel);
                r = list_dir(c.sfd, c.rel, &c.names, err);
                if (r < 0) {
                        walk_frame_release(&c);
                        break;
                }
                if (n == cap) {
                        fr = xreallocarray(fr, cap * 2, sizeof(*fr));
                        cap *= 2;
                }
                fr[n++] = c;
        }
        while (n > 0)
                walk_frame_release(&fr[--n]);
        free(fr);
        return r < 0 ? r : 0;
}

/* ---- COPY ---- */

struct copy_walk {
        const struct copy_src *src;
        const struct copy_opts *o;
        const char *dest; /* the directory the walk's top is copied to */
        size_t top_len;   /* of the walk's top in the REL the callbacks get */
};

static int copy_walk_leaf(void *ud, int sdfd, const char *name, const struct stat *st,
                          const char *rel, int dfd, struct box_err *err)
{
        struct copy_walk *w = ud;
        return copy_leaf(w->src, sdfd, name, st, rel, dfd, name, w->o, err);
}

static int copy_walk_enter(void *ud, int sdfd, const char *name, const struct stat *st,
                           const char *rel, int dfd, int *ret_dfd, struct box_err *err)
{
        (void)sdfd, (void)st;
        struct copy_walk *w = ud;
        struct stat dst;
        int exists = fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
        /* a directory is merged into a directory only: over a symlink (to a
         * directory or not, /lib of a merged-/usr base) or a file it is
         * BuildKit's error, where replacing the link would leave an image
         * without its /lib or /bin */
        if (exists && !S_ISDIR(dst.st_mode)) {
                size_t top = strlen(rel) < w->top_len ? strlen(rel) : w->top_len;
                const char *sub = rel + top + strspn(rel + top, "/");
                size_t n = strlen(w->dest);
                return box_err_set(err, ENOTDIR, "cannot copy to non-directory: '%s%s%s'", w->dest,
                                   n && w->dest[n - 1] == '/' ? "" : "/", sub);
        }
        if (!exists && mkdirat(dfd, name, 0755) < 0)
                return box_err_errno(err, errno, "create directory '%s'", rel);
        *ret_dfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*ret_dfd < 0)
                return box_err_errno(err, errno, "open directory '%s'", rel);
        return 0;
}

static void copy_walk_leave(void *ud, int dfd, const struct stat *st)
{
        struct copy_walk *w = ud;
        set_meta_fd(dfd, st, w->o);
}

static const struct walk_ops copy_ops = {copy_walk_leaf, copy_walk_enter, copy_walk_leave};

/* Does the regular file start like a tar archive, plain or compressed? */
static bool looks_like_archive(int fd)
{
        unsigned char h[512];
        ssize_t n = pread(fd, h, sizeof(h), 0);
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

/* COPY --parents: the part of a source pattern before "/./" is not kept. */
static char *parents_pivot(const char *pattern)
{
        const char *p = strstr(pattern, "/./");
        if (!p)
                return xstrdup("");
        _cleanup_free_ char *head = xstrndup(pattern, (size_t)(p - pattern));
        char *clean = go_path_clean(head);
        char *s = clean;
        while (*s == '/')
                s++;
        char *r = xstrdup(streq(s, ".") ? "" : s);
        free(clean);
        return r;
}

/* What of match REL stays under --parents' PIVOT: the path below it; below
 * a pivot with a wildcard ('*', '?', '['), as many leading components of REL
 * dropped as it has, as BuildKit's (a wildcard never matches a '/') */
static const char *parents_below(const char *rel, const char *pivot)
{
        size_t pl = strlen(pivot);
        if (!pl)
                return rel;
        if (!strpbrk(pivot, "*?[\\")) {
                if (strneq(rel, pivot, pl) && (rel[pl] == '/' || !rel[pl]))
                        return rel + pl + (rel[pl] == '/');
                return rel;
        }
        const char *p = rel;
        for (const char *c = pivot; c; c = strchr(c + 1, '/')) {
                const char *slash = strchr(p, '/');
                p = slash ? slash + 1 : p + strlen(p);
        }
        return p;
}

#define RESOLVE_NO_LINKS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* Resolves PATH inside ROOTFD as RESOLVE_IN_ROOT would (symlinks followed,
 * absolute ones and ".." taken from the root's point of view), the last
 * component only when FOLLOW_LAST, but in user space: the result is the
 * path, relative to the root ("" for the root itself), that .dockerignore
 * and --exclude must match (what a followed link leads to), and it contains
 * no symlink, so it can be opened with RESOLVE_NO_LINKS.  A path that leads
 * to nothing is completed lexically. */
int build_path_resolve_in_root(int rootfd, const char *path, bool follow_last, char **ret,
                               struct box_err *err)
{
        struct buf cur = {0};
        _cleanup_free_ char *todo = xstrdup(path);
        const char *rest = todo;
        int links = 0;
        buf_puts(&cur, "");
        while (*rest) {
                rest += strspn(rest, "/");
                if (!*rest)
                        break;
                size_t n = strcspn(rest, "/");
                _cleanup_free_ char *comp = xstrndup(rest, n);
                rest += n;
                bool last = !rest[strspn(rest, "/")];
                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        char *slash = strrchr(cur.data, '/');
                        cur.len = slash ? (size_t)(slash - cur.data) : 0;
                        cur.data[cur.len] = '\0';
                        continue;
                }
                size_t before = cur.len;
                if (cur.len)
                        buf_putc(&cur, '/');
                buf_puts(&cur, comp);
                if (last && !follow_last)
                        break;
                _cleanup_close_ int fd =
                        sys_openat2(rootfd, cur.data, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_LINKS);
                struct stat st;
                if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                        break; /* the rest is completed lexically below */
                if (fd < 0 || fstat(fd, &st) < 0) {
                        int e = errno;
                        buf_release(&cur);
                        return box_err_errno(err, e, "resolve '%s'", path);
                }
                if (!S_ISLNK(st.st_mode))
                        continue;
                if (++links > 40) {
                        buf_release(&cur);
                        return box_err_set(err, ELOOP, "resolve '%s': too many symbolic links",
                                           path);
                }
                char target[PATH_MAX];
                ssize_t tl = readlinkat(fd, "", target, sizeof(target) - 1);
                if (tl < 0) {
                        int e = errno;
                        buf_release(&cur);
                        return box_err_errno(err, e, "resolve '%s'", path);
                }
                target[tl] = '\0';
                cur.len = target[0] == '/' ? 0 : before;
                cur.data[cur.len] = '\0';
                char *next = xasprintf("%s/%s", target, rest);
                free(todo);
                todo = next;
                rest = todo;
        }
        /* "/" + what was resolved + what was not: Clean keeps ".." at the root */
        _cleanup_free_ char *joined = xasprintf("/%s/%s", cur.data, rest);
        buf_release(&cur);
        char *clean = go_path_clean(joined);
        memmove(clean, clean + 1, strlen(clean));
        *ret = clean;
        return 0;
}

/* A source as copying sees it: NAME under directory PFD, REL its resolved
 * path in the root, ST its lstat. */
struct source {
        int pfd;
        char *name;
        char *rel;
        struct stat st;
};

static void source_release(struct source *s)
{
        closep(&s->pfd);
        free(s->name);
        free(s->rel);
}

/* Opens source REL: a symlink named as a source is followed inside the root
 * (BuildKit's FollowLinks); one that leads nowhere there is taken as the
 * link itself. */
static int source_open(const struct copy_src *src, const char *rel, struct source *ret,
                       struct box_err *err)
{
        struct source s = {.pfd = -EBADF};
        int r = build_path_resolve_in_root(src->rootfd, rel, true, &s.rel, err);
        if (r < 0)
                return r;
        for (int pass = 0;; pass++) {
                const char *slash = strrchr(s.rel, '/');
                _cleanup_free_ char *dir =
                        slash ? xstrndup(s.rel, (size_t)(slash - s.rel)) : xstrdup(".");
                free(s.name);
                s.name = xstrdup(slash ? slash + 1 : *s.rel ? s.rel : ".");
                closep(&s.pfd);
                s.pfd = sys_openat2(src->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_LINKS);
                if (s.pfd >= 0 && fstatat(s.pfd, s.name, &s.st, AT_SYMLINK_NOFOLLOW) == 0)
                        break;
                int e = errno;
                if (pass == 0 && (e == ENOENT || e == ENOTDIR)) {
                        free(s.rel);
                        s.rel = NULL;
                        r = build_path_resolve_in_root(src->rootfd, rel, false, &s.rel, err);
                        if (r < 0) {
                                source_release(&s);
                                return r;
                        }
                        continue;
                }
                source_release(&s);
                return box_err_errno(err, e, "'%s'", *rel ? rel : ".");
        }
        *ret = s;
        return 0;
}

static int copy_one(const struct copy_src *src, const char *rel, const char *dest, bool dest_is_dir,
                    int dest_rootfd, const struct copy_opts *o, struct box_err *err)
{
        _cleanup_(source_release) struct source s = {.pfd = -EBADF};
        int r = source_open(src, rel, &s, err);
        if (r < 0)
                return r;
        if (S_ISDIR(s.st.st_mode)) {
                _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, dest, o, err);
                if (dfd < 0)
                        return dfd;
                _cleanup_close_ int sfd =
                        openat(s.pfd, s.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0)
                        return box_err_errno(err, errno, "open '%s'", rel);
                struct copy_walk w = {src, o, dest, strlen(s.rel)};
                return walk_tree(src, sfd, s.rel, dfd, &copy_ops, &w, err);
        }
        if (excluded_by_flag(src, s.rel))
                return 0;
        /* the name is the source's as written, not the one a link leads to */
        const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        _cleanup_free_ char *target_dir = NULL, *target_name = NULL;
        if (dest_is_dir) {
                target_dir = xstrdup(dest);
                target_name = xstrdup(base);
        } else {
                const char *ds = strrchr(dest, '/');
                target_dir = ds ? xstrndup(dest, (size_t)(ds - dest) + 1) : xstrdup("/");
                target_name = xstrdup(ds ? ds + 1 : dest);
        }
        if (o->add && src->is_context && S_ISREG(s.st.st_mode) && !excluded(src, s.rel)) {
                _cleanup_close_ int in = open_regular(s.pfd, s.name, &s.st, rel, err);
                if (in < 0)
                        return in;
                /* only a tar is extracted: a gzip of anything else (a
                 * .gz of one file) is copied as it is, as BuildKit does,
                 * so DEST is made a directory only once the first header
                 * has read */
                r = looks_like_archive(in) ? store_archive_is_tar(in, err) : 0;
                if (r < 0)
                        return box_err_prefix(err, "read '%s'", rel);
                if (r > 0) {
                        /* an archive is extracted into DEST, a directory with or
                         * without its trailing slash (as Docker does), with the
                         * containment of layer unpacking */
                        _cleanup_close_ int xfd = mkdir_in_root(dest_rootfd, dest, o, err);
                        if (xfd < 0)
                                return xfd;
                        /* --chown owns every extracted entry (BuildKit) */
                        struct store_extract_opts x = {.set_owner = o->has_chown,
                                                       .uid = o->uid,
                                                       .gid = o->gid,
                                                       .layer_limits = true,
                                                       .follow_dir_links = true};
                        r = store_archive_extract_fd_as(in, xfd, &x, err);
                        if (r < 0)
                                return box_err_prefix(err, "extract '%s'", rel);
                        if (r > 0)
                                return 0;
                }
        }
        _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, target_dir, o, err);
        if (dfd < 0)
                return dfd;
        return copy_leaf(src, s.pfd, s.name, &s.st, s.rel, dfd, target_name, o, err);
}

int build_copy(const struct copy_src *src_in, char *const *srcs, const char *dest, int dest_rootfd,
               const struct copy_opts *o, struct box_err *err)
{
        struct copy_links links = {0};
        struct copy_src src = *src_in;
        src.links = &links;
        _cleanup_strv_free_ char **matches = xnew0(char *, 1);
        _cleanup_strv_free_ char **pivots = xnew0(char *, 1); /* parallel to matches */
        _cleanup_free_ char *followed = NULL;
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
                /* a destination that is a symlink is followed inside the
                 * root, as BuildKit's copy does: COPY onto /etc/localtime or
                 * nginx's sites-enabled/default writes the file the link
                 * names and keeps the link */
                _cleanup_free_ char *res = NULL;
                r = build_path_resolve_in_root(dest_rootfd, dest, true, &res, err);
                if (r < 0)
                        goto out;
                followed = xasprintf("/%s", res);
                dest = followed;
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
                const char *below = parents_below(rel, pivots[i]);
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

/* ---- the cache key of a COPY ---- */

struct hash_walk {
        const struct copy_src *src;
        struct stat_cache *sc;
        struct buf *out;
};

/* One line for one entry: its path, mode and what it holds. */
static int hash_entry(struct hash_walk *w, int sdfd, const char *name, const struct stat *st,
                      const char *rel, struct box_err *err)
{
        buf_printf(w->out, "%s\t%o\t", rel, st->st_mode);
        if (S_ISREG(st->st_mode)) {
                digest_str h;
                if (!stat_cache_lookup(w->sc, st, h)) {
                        _cleanup_close_ int fd = open_regular(sdfd, name, st, rel, err);
                        if (fd < 0)
                                return fd;
                        int r = stat_cache_hash(w->sc, fd, h, err);
                        if (r < 0)
                                return r;
                }
                buf_printf(w->out, "%s\n", h);
        } else if (S_ISLNK(st->st_mode)) {
                char t[PATH_MAX];
                ssize_t n = readlinkat(sdfd, name, t, sizeof(t) - 1);
                t[n < 0 ? 0 : n] = '\0';
                buf_printf(w->out, "-> %s\n", t);
        } else if (S_ISDIR(st->st_mode)) {
                buf_puts(w->out, "dir\n");
        } else {
                buf_printf(w->out, "%lx\n", (unsigned long)st->st_rdev);
        }
        return 0;
}

static int hash_walk_leaf(void *ud, int sdfd, const char *name, const struct stat *st,
                          const char *rel, int dfd, struct box_err *err)
{
        struct hash_walk *w = ud;
        (void)dfd;
        if (excluded(w->src, rel))
                return 0;
        return hash_entry(w, sdfd, name, st, rel, err);
}

static int hash_walk_enter(void *ud, int sdfd, const char *name, const struct stat *st,
                           const char *rel, int dfd, int *ret_dfd, struct box_err *err)
{
        (void)dfd;
        *ret_dfd = -EBADF;
        return hash_entry(ud, sdfd, name, st, rel, err);
}

static const struct walk_ops hash_ops = {hash_walk_leaf, hash_walk_enter, NULL};

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
                _cleanup_(source_release) struct source s = {.pfd = -EBADF};
                int r = source_open(src, *m, &s, err);
                if (r < 0)
                        return r;
                struct copy_src cs = *src;
                cs.exclude_root = s.rel;
                struct hash_walk w = {&cs, sc, out};
                if (!S_ISDIR(s.st.st_mode)) {
                        r = hash_walk_leaf(&w, s.pfd, s.name, &s.st, s.rel, -EBADF, err);
                } else {
                        r = hash_entry(&w, s.pfd, s.name, &s.st, s.rel, err);
                        _cleanup_close_ int sfd =
                                r < 0 ? -EBADF
                                      : openat(s.pfd, s.name,
                                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (r >= 0 && sfd < 0)
                                r = box_err_errno(err, errno, "open '%s'", *m);
                        if (r >= 0)
                                r = walk_tree(&cs, sfd, s.rel, -EBADF, &hash_ops, &w, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Writes a new file DEST (absolute in the image) from DATA or, when DATA is
 * NULL, from FD; MODE unless --chmod says otherwise. */
static int write_new_file(const char *data, int fd, mode_t mode, const char *dest, int dest_rootfd,
                          bool follow, const struct copy_opts *o, struct box_err *err)
{
        const char *ds = strrchr(dest, '/');
        _cleanup_free_ char *dir = ds ? xstrndup(dest, (size_t)(ds - dest) + 1) : xstrdup("/");
        const char *name = ds ? ds + 1 : dest;
        if (!*name || streq(name, ".") || streq(name, ".."))
                return box_err_set(err, EINVAL, "destination '%s' is a directory", dest);
        _cleanup_close_ int dfd = mkdir_in_root(dest_rootfd, dir, o, err);
        if (dfd < 0)
                return dfd;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                /* a link is followed inside the root, as COPY's destination */
                if (S_ISLNK(st.st_mode) && follow) {
                        _cleanup_free_ char *res = NULL, *followed = NULL;
                        int r = build_path_resolve_in_root(dest_rootfd, dest, true, &res, err);
                        if (r < 0)
                                return r;
                        followed = xasprintf("/%s", res);
                        return write_new_file(data, fd, mode, followed, dest_rootfd, false, o, err);
                }
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
        return write_new_file(NULL, fd, 0600, dest, dest_rootfd, true, o, err);
}

int build_copy_heredoc(const char *data, const char *dest, int dest_rootfd,
                       const struct copy_opts *o, struct box_err *err)
{
        return write_new_file(data, -1, 0644, dest, dest_rootfd, true, o, err);
}

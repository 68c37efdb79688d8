/* The build context: the files under the context directory that survive
 * the ignore rules, as `box context ls` shows them and a build sends them. */
#include "build/dockerignore.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"

static int walk(int dirfd, const char *rel, char ***files, size_t *n, int depth,
                struct box_err *err)
{
        if (depth > 256)
                return box_err_set(err, ELOOP, "'%s': directory tree too deep", rel);
        int fd = sys_openat2(dirfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY, 0,
                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return box_err_errno(err, errno, "cannot open '%s'", rel[0] ? rel : ".");
        _cleanup_closedir_ DIR *d = fs_fdopendir(fd);
        if (!d)
                return box_err_errno(err, errno, "cannot read '%s'", rel);
        FS_FOREACH_DIRENT (de, d) {
                _cleanup_free_ char *path =
                        rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                struct stat st;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return box_err_errno(err, errno, "cannot stat '%s'", path);
                if (S_ISDIR(st.st_mode)) {
                        int r = walk(dirfd, path, files, n, depth + 1, err);
                        if (r < 0)
                                return r;
                } else {
                        *files = strv_push_at(*files, (*n)++, TAKE_PTR(path));
                }
        }
        return 0;
}

/* DOCKERFILE relative to DIR, or NULL when it lies outside */
static char *relative_to(const char *dir, const char *file)
{
        char rd[PATH_MAX], rf[PATH_MAX];
        if (!realpath(dir, rd) || !realpath(file, rf))
                return NULL;
        size_t n = strlen(rd);
        if (strneq(rf, rd, n) && rf[n] == '/')
                return xstrdup(rf + n + 1);
        if (streq(rd, "/") && rf[0] == '/')
                return xstrdup(rf + 1);
        return NULL;
}

int build_context_list(const char *dir, const char *dockerfile, char ***ret_files,
                       struct box_err *err)
{
        _cleanup_free_ char *df_path =
                dockerfile ? xstrdup(dockerfile) : xasprintf("%s/Dockerfile", dir);
        _cleanup_free_ char *ign_path = xasprintf("%s.dockerignore", df_path);
        _cleanup_strv_free_ char **patterns = NULL, **all = xnew0(char *, 1),
                                 **keep = xnew0(char *, 1);
        _cleanup_dockerignore_ struct dockerignore *m = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        if (stat(dir, &st) < 0)
                return box_err_errno(err, errno, "context '%s'", dir);
        if (!S_ISDIR(st.st_mode))
                return box_err_set(err, ENOTDIR, "context '%s' is not a directory", dir);
        /* the context's own files are read inside it (a symlink there
         * cannot pull in a host file), and never block (a FIFO) */
        _cleanup_close_ int ctxfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctxfd < 0)
                return box_err_errno(err, errno, "cannot open context '%s'", dir);
        if (dockerfile) {
                r = fs_read_input_at(AT_FDCWD, ign_path, false, 0, &data, &len, err);
        } else {
                r = fs_read_input_at(ctxfd, "Dockerfile.dockerignore", true, 0, &data, &len, err);
        }
        if (r == -ENOENT) {
                free(ign_path);
                ign_path = xasprintf("%s/.dockerignore", dir);
                r = fs_read_input_at(ctxfd, ".dockerignore", true, 0, &data, &len, err);
        }
        if (r < 0 && r != -ENOENT)
                return box_err_prefix(err, "reading '%s'", ign_path);
        if (r >= 0) {
                r = build_dockerignore_read(data, len, &patterns, err);
                if (r < 0)
                        return box_err_prefix(err, "'%s'", ign_path);
        }
        box_err_clear(err);
        r = build_dockerignore_new(patterns, &m, err);
        if (r < 0)
                return box_err_prefix(err, "'%s'", ign_path);

        /* the Dockerfile and the ignore file always reach the builder */
        char *rel = relative_to(dir, df_path);
        if (rel)
                keep = strv_push(keep, rel);
        rel = relative_to(dir, ign_path);
        if (rel)
                keep = strv_push(keep, rel);
        keep = strv_append(keep, ".dockerignore");

        size_t n_all = 0;
        r = walk(ctxfd, "", &all, &n_all, 0, err);
        if (r < 0)
                return r;

        char **out = xnew0(char *, 1);
        size_t n_out = 0;
        STRV_FOREACH (f, all) {
                bool excluded = false;
                if (!strv_contains(keep, *f)) {
                        r = build_dockerignore_matches(m, *f, &excluded, err);
                        if (r < 0) {
                                strv_free(out);
                                return r;
                        }
                }
                if (!excluded)
                        out = strv_push_at(out, n_out++, xstrdup(*f));
        }
        strv_sort(out);
        *ret_files = out;
        return 0;
}

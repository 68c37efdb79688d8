/* COPY and ADD as build steps: sources, destination, owner, cache key;
 * the copying itself is build/build-copy.c. */
#include <ctype.h>
#include <fcntl.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "run/run.h"

int step_resolve_owner(int rootfd, const char *spec, const char *what, struct copy_opts *o,
                       struct box_err *err)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        /* the image's files, resolved inside its root (never a FIFO) */
        fs_read_input_at(rootfd, "etc/passwd", true, 16u << 20, &pw, NULL, NULL);
        fs_read_input_at(rootfd, "etc/group", true, 16u << 20, &gr, NULL, NULL);
        struct run_user u;
        int r = run_user_resolve(spec, NULL, pw, gr, &u, err);
        if (r < 0)
                return box_err_prefix(err, "%s'%s'", what, spec);
        o->has_chown = true;
        o->uid = u.uid;
        o->gid = u.gid;
        run_user_release(&u);
        return 0;
}

static char *abs_dest(struct stage_ctx *c, const char *dest)
{
        const char *wd = c->cur.img.config.working_dir;
        size_t len = strlen(dest);
        /* "DIR/." names a directory as "DIR/" does (BuildKit keeps the
         * suffix when it cleans the path): COPY f /app/. creates /app/f */
        bool slash = !len || dest[len - 1] == '/' || streq(dest, ".") ||
                     (len >= 2 && streq(dest + len - 2, "/."));
        _cleanup_free_ char *j =
                dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", wd && *wd ? wd : "", dest);
        char *clean = go_path_clean(j);
        if (slash && !(clean[0] == '/' && clean[1] == '\0')) {
                char *t = xasprintf("%s/", clean);
                free(clean);
                return t;
        }
        return clean;
}

struct fetched {
        char **urls, **names, **digests; /* parallel: one per ADD <url> source */
        char *dir;                       /* absolute download directory */
        int dirfd;
};

static void fetched_release(struct fetched *f)
{
        strv_free(f->urls);
        strv_free(f->names);
        strv_free(f->digests);
        if (f->dirfd >= 0)
                close(f->dirfd);
        if (f->dir)
                fs_rm_rf(f->dir, NULL);
        free(f->dir);
}

static int copy_step(struct stage_ctx *c, const struct dockerfile_instr *in, bool add,
                     const struct copy_src *src, char *const *srcs, const struct fetched *dl,
                     const char *dest, const char *dest_raw, struct copy_opts *o,
                     const char *chown_s, const char *from, struct box_err *err)
{
        struct builder *b = c->b;
        int r;
        /* the cache key: the instruction as expanded and what the sources hold */
        struct buf content = {0};
        if (srcs[0]) {
                r = build_copy_hash(src, srcs, b->sc, &content, err);
                if (r < 0) {
                        buf_release(&content);
                        return r;
                }
        }
        for (size_t h = 0; h < in->n_heredocs; h++)
                buf_printf(&content, "heredoc %s\n%s\n", in->heredocs[h].name,
                           in->heredocs[h].content);
        for (size_t u = 0; dl->urls && dl->urls[u]; u++)
                buf_printf(&content, "url %s %s\n", dl->urls[u], dl->digests[u]);
        _cleanup_strv_free_ char **all = strv_concat(dl->urls, srcs);
        _cleanup_free_ char *srclist = strv_join(all, " ");
        _cleanup_free_ char *flags = strv_join(in->flags, " ");
        _cleanup_free_ char *instr = xasprintf("%s %s%s%s %s", add ? "ADD" : "COPY", flags,
                                               *flags ? " " : "", srclist, dest);
        digest_str ch;
        sha256_buf(strempty(content.data), content.len, ch);
        _cleanup_free_ char *p_inst = xasprintf("instruction: %s", instr);
        _cleanup_free_ char *p_from = xasprintf("source stage: %s%s", strempty(from),
                                                o->keep_owner ? " (owners kept)" : "");
        _cleanup_free_ char *p_content = xasprintf("files: %s", ch);
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        char *parts[] = {p_parent, p_inst, p_from, p_content, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        /* history as BuildKit writes it: only --parents, --chown and --chmod,
         * the sources and the destination as written (expanded) */
        struct buf hist = {0};
        buf_puts(&hist, add ? "ADD" : "COPY");
        if (build_dockerfile_flag_value(in, "parents") || strv_contains(in->flags, "--parents"))
                buf_puts(&hist, " --parents");
        if (chown_s) {
                _cleanup_free_ char *ce = NULL;
                if (stage_expand(c, chown_s, &ce, NULL) >= 0)
                        buf_printf(&hist, " --chown=%s", ce);
        }
        if (build_dockerfile_flag_value(in, "chmod")) {
                _cleanup_free_ char *me = NULL;
                if (stage_expand(c, build_dockerfile_flag_value(in, "chmod"), &me, NULL) >= 0)
                        buf_printf(&hist, " --chmod=%s", me);
        }
        STRV_FOREACH (a, all)
                buf_printf(&hist, " %s", *a);
        for (size_t h = 0; h < in->n_heredocs; h++)
                buf_printf(&hist, " <<%s", in->heredocs[h].name);
        buf_printf(&hist, " %s # buildkit", dest_raw);
        _cleanup_free_ char *created_by = buf_steal(&hist);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        if (step_cache_lookup(c, key, created_by, parts)) {
                builder_progress(b, "  CACHED\n");
                buf_release(&content);
                return 0;
        }
        struct step_dir sd;
        r = step_dir_new(b, &sd, err);
        if (r >= 0)
                r = step_overlay_mount(b, &c->cur, &sd, true, err);
        _cleanup_close_ int dest_root =
                r >= 0 ? open(sd.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (r >= 0 && dest_root < 0)
                r = box_err_errno(err, errno, "open build root");
        if (r >= 0 && chown_s) {
                _cleanup_free_ char *ce = NULL;
                r = stage_expand(c, chown_s, &ce, err);
                if (r >= 0)
                        r = step_resolve_owner(dest_root, ce, "--chown=", o, err);
        }
        if (r >= 0 && srcs[0])
                r = build_copy(src, srcs, dest, dest_root, o, err);
        for (size_t u = 0; r >= 0 && dl->urls && dl->urls[u]; u++) {
                bool dir = dest[strlen(dest) - 1] == '/';
                if (dir && !*dl->names[u]) {
                        r = box_err_set(err, EINVAL,
                                        "'%s': cannot determine a file name from the URL; "
                                        "name the destination file",
                                        dl->urls[u]);
                        break;
                }
                _cleanup_free_ char *target =
                        dir ? xasprintf("%s%s", dest, dl->names[u]) : xstrdup(dest);
                _cleanup_free_ char *fname = xasprintf("%zu", u);
                _cleanup_close_ int fd = openat(dl->dirfd, fname, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? box_err_errno(err, errno, "open download")
                           : build_copy_file_fd(fd, target, dest_root, o, err);
        }
        for (size_t h = 0; r >= 0 && h < in->n_heredocs; h++) {
                _cleanup_free_ char *data = NULL;
                const struct dockerfile_heredoc *hd = &in->heredocs[h];
                /* <<- strips the tabs before expansion, as BuildKit does */
                _cleanup_free_ char *raw = build_dockerfile_heredoc_data(hd);
                if (hd->expand) {
                        struct shell_env e = {stage_scope_get, c};
                        r = build_shell_expand_word(raw, b->df->escape_token, SHELL_SKIP_QUOTES, &e,
                                                    &data, NULL, NULL, err);
                } else {
                        data = TAKE_PTR(raw);
                }
                if (r < 0)
                        break;
                bool dir = dest[strlen(dest) - 1] == '/';
                _cleanup_free_ char *target =
                        dir ? xasprintf("%s%s", dest, hd->name) : xstrdup(dest);
                r = build_copy_heredoc(data, target, dest_root, o, err);
        }
        if (dest_root >= 0) {
                close(dest_root);
                dest_root = -EBADF;
        }
        if (r >= 0)
                r = step_commit(c, &sd, key, created_by, err);
        step_dir_free(&sd);
        buf_release(&content);
        return r;
}

/* --chmod: octal, or symbolic (u+x,go-w) applied per file as BuildKit. */
static int parse_chmod(const char *chmod_s, struct copy_opts *o, struct box_err *err)
{
        char *end;
        long m = strtol(chmod_s, &end, 8);
        mode_t probe;
        if (*chmod_s && !*end && m >= 0 && m <= 07777)
                o->chmod = (int)m;
        else if (!isdigit((unsigned char)*chmod_s) &&
                 build_chmod_apply(chmod_s, 0644, false, &probe) >= 0)
                o->chmod_sym = chmod_s; /* u+x,go-w: per file, as BuildKit */
        else
                return box_err_set(err, EINVAL,
                                   "invalid chmod parameter: '%s'. it should be octal "
                                   "string and between 0 and 07777",
                                   chmod_s);
        return 0;
}

/* COPY --from a --build-context directory: its root, and its ignore file
 * (BuildKit applies a named context's).  1 if FROM names one, else 0. */
static int open_named_source(struct builder *b, const char *name, struct copy_src *src,
                             struct dockerignore **ign, char **ign_name, struct box_err *err)
{
        int r = stage_open_named_dir(b, name, &src->rootfd, err);
        if (r <= 0)
                return r;
        src->is_context = true; /* symlinks copied as such, not followed */
        _cleanup_free_ char *label = xasprintf("--build-context '%s'", name);
        r = builder_dir_ignore(src->rootfd, label, ign, ign_name, err);
        if (r < 0) {
                close(src->rootfd);
                src->rootfd = -EBADF;
                return r;
        }
        src->ignore = *ign;
        src->ignore_name = *ign_name;
        return 1;
}

static int do_copy(struct stage_ctx *c, const struct dockerfile_instr *in, bool add,
                   struct box_err *err)
{
        struct builder *b = c->b;
        size_t n = strv_length(in->args);
        if (n < 2)
                return box_err_set(err, EINVAL, "requires at least two arguments");
        _cleanup_strv_free_ char **srcs = xnew0(char *, 1);
        _cleanup_strv_free_ char **heredoc_srcs = xnew0(char *, 1);
        _cleanup_strv_free_ char **urls = xnew0(char *, 1);
        int r;
        for (size_t i = 0; i + 1 < n; i++) {
                const char *a = in->args[i];
                if (startswith(a, "<<")) {
                        const char *name = a + 2 + (a[2] == '-');
                        for (size_t h = 0; h < in->n_heredocs; h++)
                                if (streq(in->heredocs[h].name, name) ||
                                    (name[0] == '"' || name[0] == '\''))
                                        heredoc_srcs =
                                                strv_append(heredoc_srcs, in->heredocs[h].name);
                        continue;
                }
                char *e = NULL;
                r = stage_expand(c, a, &e, err);
                if (r < 0)
                        return r;
                if (add && (startswith(e, "http://") || startswith(e, "https://"))) {
                        urls = strv_push(urls, e);
                        continue;
                }
                if (!add && (startswith(e, "http://") || startswith(e, "https://"))) {
                        free(e);
                        return box_err_set(err, EINVAL,
                                           "source can't be a URL for COPY: '%s' (use ADD)", a);
                }
                srcs = strv_push(srcs, e);
        }
        _cleanup_free_ char *dest_raw = NULL;
        r = stage_expand(c, in->args[n - 1], &dest_raw, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dest = abs_dest(c, dest_raw);

        struct copy_opts o = {
                .add = add, .chmod = -1, .checksum = build_dockerfile_flag_value(in, "checksum")};
        /* --chmod=${mode} is expanded, as BuildKit's CopyCommand.Expand;
         * o.chmod_sym points into chmod_s */
        _cleanup_free_ char *chmod_s = NULL;
        if (build_dockerfile_flag_value(in, "chmod")) {
                r = stage_expand(c, build_dockerfile_flag_value(in, "chmod"), &chmod_s, err);
                if (r < 0)
                        return r;
                if (parse_chmod(chmod_s, &o, err) < 0)
                        return -EINVAL;
        }
        const char *from = build_dockerfile_flag_value(in, "from");
        const char *chown_s = build_dockerfile_flag_value(in, "chown");
        const char *parents = build_dockerfile_flag_value(in, "parents");
        o.parents = strv_contains(in->flags, "--parents") || (parents && !streq(parents, "false"));
        _cleanup_strv_free_ char **excludes = xnew0(char *, 1);
        STRV_FOREACH (f, in->flags) {
                if (!startswith(*f, "--exclude="))
                        continue;
                char *e = NULL;
                r = stage_expand(c, *f + 10, &e, err);
                if (r < 0)
                        return r;
                excludes = strv_push(excludes, e);
        }
        _cleanup_dockerignore_ struct dockerignore *exclude = NULL;
        if (excludes[0]) {
                r = build_dockerignore_new(excludes, &exclude, err);
                if (r < 0)
                        return box_err_prefix(err, "--exclude");
        }

        struct step_dir src_sd = {0};
        struct copy_src src = {.rootfd = -EBADF, .exclude = exclude};
        _cleanup_dockerignore_ struct dockerignore *named_ignore = NULL;
        _cleanup_free_ char *named_ignore_name = NULL;
        if (from) {
                _cleanup_free_ char *fe = NULL;
                r = stage_expand(c, from, &fe, err);
                if (r < 0)
                        return r;
                r = open_named_source(b, fe, &src, &named_ignore, &named_ignore_name, err);
                if (r == 0) {
                        r = stage_open_from_root(c, fe, &src_sd, &src.rootfd, err);
                        o.keep_owner = true;
                }
                if (r < 0) {
                        step_dir_free(&src_sd);
                        return r;
                }
        } else if (srcs[0]) {
                if (b->context_fd < 0)
                        return box_err_set(err, EINVAL,
                                           "no build context: use a context directory "
                                           "instead of '-f -' alone");
                src.rootfd = fcntl(b->context_fd, F_DUPFD_CLOEXEC, 3);
                src.is_context = true;
                src.ignore = b->ignore;
                src.ignore_name = b->ignore_name;
        }

        struct fetched dl = {.dirfd = -EBADF};
        if (urls[0]) {
                if (strv_length(urls) + strv_length(srcs) > 1 && dest[strlen(dest) - 1] != '/') {
                        r = box_err_set(err, EINVAL,
                                        "when using ADD with more than one source, the "
                                        "destination must be a directory and end with a /");
                        goto done;
                }
                dl.dir = xasprintf("%s/tmp/fetch-%d-%lx", store_root(b->st), getpid(),
                                   (unsigned long)random());
                if (mkdir(dl.dir, 0700) < 0 ||
                    (dl.dirfd = open(dl.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        r = box_err_errno(err, errno, "create download directory");
                        goto done;
                }
                dl.urls = xnew0(char *, 1);
                dl.names = xnew0(char *, 1);
                dl.digests = xnew0(char *, 1);
                for (size_t u = 0; urls[u]; u++) {
                        char *name = NULL;
                        digest_str d;
                        _cleanup_free_ char *fname = xasprintf("%zu", u);
                        builder_progress(b, "  fetching %s\n", urls[u]);
                        r = build_fetch_url(urls[u], o.checksum, &b->o->fetch, dl.dirfd, fname,
                                            &name, d, err);
                        if (r < 0)
                                goto done;
                        dl.urls = strv_append(dl.urls, urls[u]);
                        dl.names = strv_push(dl.names, name ? name : xstrdup(""));
                        dl.digests = strv_append(dl.digests, d);
                }
        } else if (o.checksum) {
                r = box_err_set(err, EINVAL, "--checksum is only allowed with a URL source");
                goto done;
        }
        r = copy_step(c, in, add, &src, srcs, &dl, dest, dest_raw, &o, chown_s, from, err);
done:
        fetched_release(&dl);
        if (src.rootfd >= 0)
                close(src.rootfd);
        step_dir_free(&src_sd);
        return r;
}

int step_copy(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return do_copy(c, in, false, err);
}

int step_add(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return do_copy(c, in, true, err);
}

/* The build engine's orchestrator: a build's setup, its stages in order,
 * each instruction dispatched by name to its handler, and the commit. */
#include <ctype.h>
#include <sched.h>
#include <strings.h>
#include <sys/mount.h>
#include <time.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "store/image.h"

/* ---- image_state ---- */

void image_state_release(struct image_state *s)
{
        oci_image_release(&s->img);
        for (size_t i = 0; i < s->n_layers; i++)
                oci_descriptor_release(&s->layers[i]);
        free(s->layers);
        free(s->last_created);
        strv_free(s->cache_steps);
        memset(s, 0, sizeof(*s));
}

void image_state_copy(struct image_state *d, const struct image_state *s)
{
        memset(d, 0, sizeof(*d));
        char *json = oci_image_to_json(&s->img);
        oci_image_parse(json, strlen(json), &d->img, NULL);
        free(json);
        d->layers = xnew0(struct oci_descriptor, s->n_layers);
        for (size_t i = 0; i < s->n_layers; i++)
                oci_descriptor_copy(&d->layers[i], &s->layers[i]);
        d->n_layers = s->n_layers;
        memcpy(d->chain, s->chain, sizeof(d->chain));
        d->last_created = s->last_created ? xstrdup(s->last_created) : NULL;
        d->cache_steps = s->cache_steps ? strv_copy(s->cache_steps) : NULL;
        d->cmd_set = false;
}

void image_state_add_layer(struct image_state *s, const struct store_layer_info *info,
                           const char *media_type)
{
        s->layers = xreallocarray(s->layers, s->n_layers + 1, sizeof(s->layers[0]));
        struct oci_descriptor *d = &s->layers[s->n_layers++];
        memset(d, 0, sizeof(*d));
        d->media_type = xstrdup(media_type);
        d->digest = xstrdup(info->digest);
        d->size = (int64_t)info->size;
        s->img.diff_ids = strv_append(s->img.diff_ids, info->diff_id);
}

void image_state_add_history(struct image_state *s, const char *created_by, bool empty)
{
        s->img.history =
                xreallocarray(s->img.history, s->img.n_history + 1, sizeof(struct oci_history));
        struct oci_history *h = &s->img.history[s->img.n_history++];
        memset(h, 0, sizeof(*h));
        h->created = s->last_created ? xstrdup(s->last_created) : NULL;
        h->created_by = xstrdup(created_by);
        h->comment = xstrdup("buildkit.dockerfile.v0");
        h->empty_layer = empty;
}

/* ---- helpers ---- */

int64_t build_sde_clamp(void)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        return sde && *sde ? strtoll(sde, NULL, 10) : 0;
}

static char *upper_name(const char *s)
{
        char *u = xstrdup(s);
        for (char *p = u; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        return u;
}

static int fail_at(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        /* a stage built from inside this step (--from) failed: its own
         * line is the one to show, as BuildKit's */
        _cleanup_free_ char *at = xasprintf("%s:", c->b->dfname);
        if (startswith(err->msg, at))
                return -err->code;
        _cleanup_free_ char *up = upper_name(in->name);
        return box_err_prefix(err, "%s:%d: %s", c->b->dfname, in->start_line, up);
}

/* Variables in scope: the image's ENV wins over the stage's ARGs.  Looked
 * up in place, not copied into one list for every word expanded. */
bool stage_scope_get(void *userdata, const char *name, const char **ret_value)
{
        struct stage_ctx *c = userdata;
        return build_shell_env_strv_get(c->cur.img.config.env, name, ret_value) ||
               build_shell_env_strv_get(c->args, name, ret_value);
}

int stage_expand(struct stage_ctx *c, const char *word, char **ret, struct box_err *err)
{
        struct shell_env e = {stage_scope_get, c};
        return build_shell_expand_word(word, c->b->df->escape_token, 0, &e, ret, NULL, NULL, err);
}

void builder_progress(struct builder *b, const char *fmt, ...)
{
        if (!b->out)
                return;
        va_list ap;
        va_start(ap, fmt);
        vfprintf(b->out, fmt, ap);
        va_end(ap);
        fflush(b->out);
}

double build_mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dispatch(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);

static int run_triggers(struct stage_ctx *c, char **triggers, struct box_err *err)
{
        STRV_FOREACH (t, triggers) {
                struct dockerfile *df = NULL;
                int r = build_dockerfile_parse("ONBUILD", *t, strlen(*t), &df, err);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < df->n_instrs && r >= 0; i++) {
                        builder_progress(c->b, "  ONBUILD %s\n", df->instrs[i].original);
                        r = dispatch(c, &df->instrs[i], err);
                }
                build_dockerfile_free(df);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int step_from_again(struct stage_ctx *c, const struct dockerfile_instr *in,
                           struct box_err *err)
{
        return box_err_set(err, EINVAL, "unexpected FROM");
}

/* Every instruction a stage runs, by its lowercased name. */
static const struct {
        const char *name;
        step_handler handler;
} step_handlers[] = {
        {"run", step_run},
        {"copy", step_copy},
        {"add", step_add},
        {"workdir", step_workdir},
        {"env", step_env},
        {"label", step_label},
        {"arg", step_arg},
        {"healthcheck", step_healthcheck},
        {"cmd", step_cmd},
        {"entrypoint", step_entrypoint},
        {"shell", step_shell},
        {"user", step_user},
        {"stopsignal", step_stopsignal},
        {"expose", step_expose},
        {"volume", step_volume},
        {"maintainer", step_maintainer},
        {"onbuild", step_onbuild},
        {"from", step_from_again},
};

static int dispatch(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(step_handlers); i++)
                if (streq(in->name, step_handlers[i].name))
                        return step_handlers[i].handler(c, in, err);
        return box_err_set(err, EINVAL, "unknown instruction '%s'", in->cmd);
}

/* ---- stages ---- */

int build_stage(struct builder *b, struct stage *s, struct box_err *err)
{
        int r = stage_replace_by_context(b, s, err);
        if (r != 0)
                return r < 0 ? r : 0;
        struct stage_ctx c = {.b = b, .s = s, .args = xnew0(char *, 1)};
        s->building = true;
        for (size_t i = s->first; i < s->end && r >= 0; i++) {
                const struct dockerfile_instr *in = &b->df->instrs[i];
                b->step++;
                double t0 = build_mono();
                builder_progress(b, "[%d/%d] %s\n", b->step, b->n_steps, in->original);
                if (i == s->first) {
                        r = stage_from(&c, in, err);
                        if (r >= 0 && c.cur.img.config.on_build && c.cur.img.config.on_build[0]) {
                                char **triggers = c.cur.img.config.on_build;
                                c.cur.img.config.on_build = NULL;
                                r = run_triggers(&c, triggers, err);
                                strv_free(triggers);
                        }
                } else {
                        b->last_cached = false;
                        r = dispatch(&c, in, err);
                        if (r >= 0 && !b->last_cached &&
                            (streq(in->name, "run") || streq(in->name, "copy") ||
                             streq(in->name, "add")))
                                builder_progress(b, "  DONE %.2fs\n", build_mono() - t0);
                }
                if (r < 0)
                        fail_at(&c, in, err);
        }
        s->building = false;
        if (r < 0) {
                strv_free(c.args);
                strv_free(c.arg_names);
                image_state_release(&c.cur);
                return r;
        }
        s->args = c.args;
        s->arg_names = c.arg_names;
        s->res = c.cur;
        s->built = true;
        return 0;
}

/* One ignore file: 1 read, 0 absent, <0 unreadable (a FIFO, a directory:
 * refused rather than building with nothing ignored). */
static int read_ignore_at(int dirfd, const char *name, bool in_root, char **ret, size_t *ret_len,
                          struct box_err *err)
{
        int r = fs_read_input_at(dirfd, name, in_root, 16u << 20, ret, ret_len, err);
        if (r == -ENOENT) {
                box_err_clear(err);
                return 0;
        }
        return r < 0 ? r : 1;
}

/* --ignorefile, then the Dockerfile's own <Dockerfile>.dockerignore (or
 * .containerignore), then the context's .containerignore (podman) or
 * .dockerignore.  What lies in the context is read inside it: a symlink
 * there cannot pull in a host file. */
static int read_ignore_file(struct builder *b, char **ret, size_t *ret_len, struct box_err *err)
{
        const struct build_opts *o = b->o;
        int r;
        if (o->ignorefile) {
                r = fs_read_input_at(AT_FDCWD, o->ignorefile, false, 16u << 20, ret, ret_len, err);
                if (r < 0)
                        return box_err_prefix(err, "--ignorefile");
                b->ignore_name = xstrdup(o->ignorefile);
                return 0;
        }
        if (o->dockerfile_path) {
                /* a Dockerfile inside the context: its ignore file is the context's */
                size_t cl = strlen(o->context_dir);
                bool inside = strneq(o->dockerfile_path, o->context_dir, cl) &&
                              o->dockerfile_path[cl] == '/';
                const char *rel = inside ? o->dockerfile_path + cl + 1 : o->dockerfile_path;
                static const char *const suffixes[] = {".dockerignore", ".containerignore"};
                for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
                        _cleanup_free_ char *name = xasprintf("%s%s", rel, suffixes[i]);
                        r = read_ignore_at(inside ? b->context_fd : AT_FDCWD, name, inside, ret,
                                           ret_len, err);
                        if (r > 0)
                                b->ignore_name = TAKE_PTR(name);
                        if (r != 0)
                                return r < 0 ? box_err_prefix(err, "ignore file") : 0;
                }
        }
        static const char *const names[] = {".containerignore", ".dockerignore"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                r = read_ignore_at(b->context_fd, names[i], true, ret, ret_len, err);
                if (r > 0)
                        b->ignore_name = xstrdup(names[i]);
                if (r != 0)
                        return r < 0 ? box_err_prefix(err, "ignore file") : 0;
        }
        return 0;
}

int builder_dir_ignore(int dirfd, const char *label, struct dockerignore **ret, char **ret_name,
                       struct box_err *err)
{
        static const char *const names[] = {".containerignore", ".dockerignore"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                int r = read_ignore_at(dirfd, names[i], true, &data, &len, err);
                if (r == 0)
                        continue;
                _cleanup_strv_free_ char **pats = NULL;
                if (r > 0)
                        r = build_dockerignore_read(data, len, &pats, err);
                if (r >= 0)
                        r = build_dockerignore_new(pats, ret, err);
                if (r < 0)
                        return box_err_prefix(err, "%s: '%s'", label, names[i]);
                *ret_name = xasprintf("%s of %s", names[i], label);
                return 1;
        }
        return 0;
}

/* BuildKit dates an image by its newest layer or SOURCE_DATE_EPOCH: config
 * alone FROM scratch has no date, so rebuilding it, with or without the
 * cache, gives the same id. */
static char *image_created(const struct image_state *res)
{
        if (res->last_created)
                return xstrdup(res->last_created);
        return getenv("SOURCE_DATE_EPOCH") ? oci_time_created() : NULL;
}

/* The stages TARGET needs, and how many steps they make. */
static int count_steps(struct builder *b, size_t target, struct box_err *err)
{
        const struct stage *t = &b->stages[target];
        const char *tctx = t->name ? stage_named_context(b, t->name) : NULL;
        if (tctx && !startswith(tctx, "docker-image://"))
                return box_err_set(err, ENOTSUP,
                                   "--build-context '%s': a directory cannot be the image built; "
                                   "name an image (docker-image://REF)",
                                   t->name);
        stage_mark_needed(b, target);
        for (size_t i = 0; i < b->n_stages; i++) {
                const struct stage *s = &b->stages[i];
                const char *v = s->name ? stage_named_context(b, s->name) : NULL;
                /* a context for a stage: one step for an image, none for a directory */
                if (s->needed)
                        b->n_steps +=
                                v ? startswith(v, "docker-image://") : (int)(s->end - s->first);
        }
        return 0;
}

int build_image(struct store *st, const struct build_opts *o, digest_str ret_id,
                struct box_err *err)
{
        struct builder b = {.st = st, .o = o, .context_fd = -EBADF, .out = o->out};
        struct dockerfile_resolved resolved = {0};
        b.dfname = o->dockerfile_name ? o->dockerfile_name : "Dockerfile";
        b.plain = o->progress == BUILD_PROGRESS_PLAIN;
        if (o->progress == BUILD_PROGRESS_QUIET)
                b.out = NULL;
        int r;

        r = build_dockerfile_parse_ast(b.dfname, o->dockerfile_data, o->dockerfile_len, &b.df, err);
        if (r < 0)
                return r;
        b.used_args = xnew0(char *, 1);
        /* the stages and ARGs as `box dockerfile check` sees them */
        r = build_dockerfile_resolve_all(b.dfname, b.df, o->build_args, o->target,
                                         o->build_contexts, &resolved, err);
        if (r < 0)
                goto out;
        b.arch = xstrdup(oci_host_arch());
        r = builder_split_stages(&b, &resolved, err);
        if (r < 0)
                goto out;

        size_t target = b.n_stages - 1;
        if (o->target) {
                struct stage *t = NULL;
                for (size_t i = 0; i < b.n_stages; i++)
                        if (b.stages[i].name && strcasecmp(b.stages[i].name, o->target) == 0)
                                t = &b.stages[i];
                if (!t) {
                        r = box_err_set(err, ENOENT, "target stage '%s' could not be found",
                                        o->target);
                        goto out;
                }
                target = (size_t)(t - b.stages);
        }
        r = count_steps(&b, target, err);
        if (r < 0)
                goto out;

        /* every mount of this build lives and dies with this process; and
         * fds for bind mounts must be opened inside the new namespace */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                r = box_err_errno(err, errno, "create a mount namespace for the build");
                goto out;
        }
        if (o->context_dir) {
                b.context_fd = open(o->context_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (b.context_fd < 0) {
                        r = box_err_errno(err, errno, "open build context '%s'", o->context_dir);
                        goto out;
                }
                _cleanup_free_ char *ign = NULL;
                size_t ilen = 0;
                r = read_ignore_file(&b, &ign, &ilen, err);
                if (r < 0)
                        goto out;
                if (ign) {
                        _cleanup_strv_free_ char **pats = NULL;
                        r = build_dockerignore_read(ign, ilen, &pats, err);
                        if (r >= 0)
                                r = build_dockerignore_new(pats, &b.ignore, err);
                        if (r < 0) {
                                box_err_prefix(err, "%s", b.ignore_name);
                                goto out;
                        }
                }
        }
        stat_cache_open(st, &b.sc);

        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                goto out;

        /* each stage after the stages it reads: a later stage that an
         * earlier one copies from is built first, never from inside it */
        for (size_t j = 0; j < b.n_order && r >= 0; j++) {
                size_t i = b.order[j];
                if (b.stages[i].needed && !b.stages[i].built)
                        r = build_stage(&b, &b.stages[i], err);
        }
        if (r < 0)
                goto out;

        STRV_FOREACH (a, b.build_args) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *name = xstrndup(*a, eq ? (size_t)(eq - *a) : strlen(*a));
                bool proxy = startswith(name, "BUILDKIT_") || streq(name, "SOURCE_DATE_EPOCH") ||
                             build_arg_is_predefined(name);
                if (!proxy && !strv_contains(b.used_args, name) && b.out)
                        builder_progress(
                                &b, "[warning] build arg '%s' was not consumed by any ARG\n", name);
        }

        struct image_state *res = &b.stages[target].res;
        STRV_FOREACH (l, o->labels) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = xstrndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
                res->img.config.labels = oci_kv_set(res->img.config.labels, k, eq ? eq + 1 : "");
        }
        free(res->img.created);
        res->img.created = image_created(res);
        if (!res->img.os)
                res->img.os = xstrdup("linux");
        if (!res->img.architecture)
                res->img.architecture = xstrdup(b.arch);
        if (o->inline_cache) {
                free(res->img.box_cache);
                res->img.box_cache = build_cache_inline(res);
        }
        r = store_image_commit(st, &res->img, res->layers, res->n_layers, o->tags, ret_id, err);
        if (r >= 0) {
                /* the closing lines podman prints (and scripts look for) */
                builder_progress(&b, "COMMIT%s%s\n", o->tags && o->tags[0] ? " " : "",
                                 o->tags && o->tags[0] ? o->tags[0] : "");
                STRV_FOREACH (t, o->tags)
                        builder_progress(&b, "Successfully tagged %s\n", *t);
        }
out:
        build_scratch_release(&b);
        for (size_t i = 0; i < b.n_stages; i++) {
                free(b.stages[i].name);
                free(b.stages[i].deps);
                strv_free(b.stages[i].args);
                strv_free(b.stages[i].arg_names);
                image_state_release(&b.stages[i].res);
        }
        free(b.stages);
        free(b.order);
        if (b.names_ok)
                hdestroy_r(&b.names);
        strv_free(b.name_keys);
        stat_cache_close(b.sc, st);
        build_dockerignore_free(b.ignore);
        free(b.ignore_name);
        if (b.context_fd >= 0)
                close(b.context_fd);
        strv_free(b.build_args);
        strv_free(b.used_args);
        strv_free(b.global_args);
        free(b.arch);
        build_dockerfile_resolved_release(&resolved);
        build_dockerfile_free(b.df);
        return r;
}

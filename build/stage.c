/* Stages: FROM and its base, the stages a target needs, ARGs before the
 * first FROM, and the roots of --from sources and named contexts. */
#include <ctype.h>
#include <fcntl.h>
#include <strings.h>

#include "build/build-internal.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "store/image.h"

/* ---- stage resolution ---- */

struct stage *stage_find(struct builder *b, const char *name, size_t before)
{
        /* by hash of the lowercased name (the first stage of that name) */
        _cleanup_free_ char *lower = xstrdup(name);
        for (char *p = lower; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        ENTRY e = {.key = lower}, *found = NULL;
        if (b->names_ok && hsearch_r(e, FIND, &found, &b->names) && found) {
                size_t i = (uintptr_t)found->data - 1;
                if (i < before && i < b->n_stages)
                        return &b->stages[i];
        }
        char *end;
        unsigned long idx = strtoul(name, &end, 10);
        if (*name && !*end && idx < before)
                return &b->stages[idx];
        return NULL;
}

/* A stage's result, building it first if needed. */
int stage_result(struct builder *b, struct stage *s, struct box_err *err)
{
        if (s->built)
                return 0;
        /* a --from named through an ARG is a stage the resolver could not
         * see: its cycle is found here, and a chain of them is cut before
         * it exhausts the stack (BuildKit walks them in the resolver) */
        if (s->building)
                return box_err_set(err, ELOOP, "circular dependency detected on stage: %s",
                                   s->name ? s->name : "(unnamed)");
        if (b->depth >= 64)
                return box_err_set(err, ELOOP,
                                   "stages read one another more than 64 deep through build args");
        b->depth++;
        int r = build_stage(b, s, err);
        b->depth--;
        return r;
}

const char *stage_named_context(struct builder *b, const char *name)
{
        STRV_FOREACH (n, b->o->build_contexts) {
                const char *eq = strchr(*n, '=');
                if (eq && (size_t)(eq - *n) == strlen(name) &&
                    strncasecmp(*n, name, strlen(name)) == 0)
                        return eq + 1;
        }
        return NULL;
}

/* A named context that is a local directory: its fd (1), else 0. */
int stage_open_named_dir(struct builder *b, const char *name, int *ret_fd, struct box_err *err)
{
        const char *v = stage_named_context(b, name);
        if (!v || startswith(v, "docker-image://"))
                return 0;
        if (strstr(v, "://"))
                return box_err_set(err, ENOTSUP,
                                   "build context '%s': only local directories and "
                                   "docker-image:// are supported",
                                   name);
        int fd = open(v, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "build context '%s': '%s'", name, v);
        *ret_fd = fd;
        return 1;
}

/* Opens the root of a --from source (a stage or an image) read-only. */
int stage_open_from_root(struct stage_ctx *c, const char *from, struct step_dir *sd, int *ret_fd,
                         struct box_err *err)
{
        struct builder *b = c->b;
        struct image_state tmp = {0};
        const struct image_state *src;
        const char *alias = stage_named_context(b, from);
        if (alias && startswith(alias, "docker-image://"))
                from = alias + strlen("docker-image://");
        /* any stage, a later one too (BuildKit's); the resolver has
         * refused cycles before anything ran */
        struct stage *s = alias ? NULL : stage_find(b, from, b->n_stages);
        if (s) {
                int r = stage_result(b, s, err);
                if (r < 0)
                        return r;
                src = &s->res;
        } else {
                struct store_image_handle h;
                int r = store_image_resolve(b->st, from, &h, err);
                if (r < 0)
                        return box_err_prefix(err, "--from");
                oci_image_parse(h.config_json, h.config_len, &tmp.img, NULL);
                store_image_handle_release(&h);
                src = &tmp;
        }
        int r = step_dir_new(b, sd, err);
        if (r >= 0)
                r = step_overlay_mount(b, src, sd, false, err);
        image_state_release(&tmp);
        if (r < 0)
                return r;
        *ret_fd = open(sd->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_fd < 0)
                return box_err_errno(err, errno, "open '%s'", sd->merged);
        return 0;
}

/* ---- stages ---- */

/* The FROM image by --pull: missing (the default) pulls what the store
 * lacks, always pulls, newer pulls but keeps the local image when the
 * registry cannot be reached, never only looks in the store. */
static int resolve_base(struct builder *b, const char *base, struct store_image_handle *h,
                        struct box_err *err)
{
        enum build_pull mode = b->o->pull;
        int r = -ENOENT;
        if (mode != BUILD_PULL_ALWAYS)
                r = store_image_resolve(b->st, base, h, err);
        if (r >= 0 && mode != BUILD_PULL_NEWER)
                return r;
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0)
                store_image_handle_release(h);
        if (mode == BUILD_PULL_NEVER || !b->o->pull_image)
                return box_err_set(err, ENOENT,
                                   "base image '%s' is not in the store%s: get it with 'box pull', "
                                   "'box load -i FILE' or 'box import'",
                                   base, mode == BUILD_PULL_NEVER ? " (--pull=never)" : "");
        struct box_err perr = {0};
        r = b->o->pull_image(b->o->pull_userdata, base, &perr);
        if (r < 0 && mode == BUILD_PULL_NEWER && store_image_resolve(b->st, base, h, NULL) >= 0) {
                log_info("--pull=newer: %s; using the local '%s'", perr.msg, base);
                return 0;
        }
        if (r < 0 && mode == BUILD_PULL_MISSING)
                return box_err_set(err, -r,
                                   "base image '%s' is not in the store, and pulling it failed: "
                                   "%s",
                                   base, perr.msg);
        if (r < 0) {
                if (err)
                        *err = perr;
                return box_err_prefix(err, "base image '%s'", base);
        }
        return store_image_resolve(b->st, base, h, err);
}

/* IMAGE_STATE of the store's (or pulled) image BASE. */
static int load_image(struct builder *b, const char *base, struct image_state *cur,
                      struct box_err *err)
{
        struct store_image_handle h;
        int r = resolve_base(b, base, &h, err);
        if (r < 0)
                return r;
        r = oci_image_parse(h.config_json, h.config_len, &cur->img, err);
        if (r >= 0) {
                cur->layers = xnew0(struct oci_descriptor, h.m.n_layers);
                for (size_t i = 0; i < h.m.n_layers; i++)
                        oci_descriptor_copy(&cur->layers[i], &h.m.layers[i]);
                cur->n_layers = h.m.n_layers;
                memcpy(cur->chain, h.id, sizeof(digest_str));
                cur->last_created = cur->img.created ? xstrdup(cur->img.created) : NULL;
        }
        store_image_handle_release(&h);
        if (r < 0)
                return r;
        if (strv_length(cur->img.diff_ids) != cur->n_layers)
                return box_err_set(err, EINVAL,
                                   "base image '%s': config and manifest disagree on layers", base);
        return 0;
}

static void default_path(struct image_state *cur)
{
        if (!cur->img.config.env)
                cur->img.config.env = xnew0(char *, 1);
        if (strv_env_find(cur->img.config.env, "PATH", 4) < 0)
                cur->img.config.env = strv_append(cur->img.config.env, OCI_DEFAULT_PATH_ENV);
}

int stage_from(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        _cleanup_free_ char *base = NULL;
        _cleanup_strv_free_ char **env = strv_copy(b->global_args);
        struct shell_env e = SHELL_ENV_STRV(env);
        int r = build_shell_expand_word(in->args[0], b->df->escape_token, 0, &e, &base, NULL, NULL,
                                        err);
        if (r < 0)
                return r;
        if (!*base)
                return box_err_set(err, EINVAL, "base name '%s' expands to nothing", in->args[0]);
        const char *platform = build_dockerfile_flag_value(in, "platform");
        if (platform && !startswith(platform, "linux") && !startswith(platform, "$"))
                return box_err_set(err, EINVAL, "unsupported platform '%s'", platform);

        /* --build-context NAME=docker-image://REF replaces an image or stage */
        const char *alias = stage_named_context(b, base);
        if (alias && startswith(alias, "docker-image://")) {
                char *t = xstrdup(alias + strlen("docker-image://"));
                free(base);
                base = t;
        } else if (alias) {
                return box_err_set(err, ENOTSUP,
                                   "build context '%s': FROM needs a docker-image:// context",
                                   base);
        }
        struct stage *dep = alias ? NULL : stage_find(b, base, (size_t)(c->s - b->stages));
        if (dep && dep->name && strcasecmp(dep->name, base) == 0) {
                r = stage_result(b, dep, err);
                if (r < 0)
                        return r;
                image_state_copy(&c->cur, &dep->res);
                /* ONBUILD triggers of a stage neither run nor carry over (BuildKit) */
                strv_free(c->cur.img.config.on_build);
                c->cur.img.config.on_build = NULL;
                /* the stage's ARGs stay in scope (BuildKit keeps the state's env) */
                strv_free(c->args);
                c->args = strv_copy(dep->args ? dep->args : (char *[]){NULL});
                c->arg_names = strv_copy(dep->arg_names ? dep->arg_names : (char *[]){NULL});
        } else if (strcasecmp(base, "scratch") == 0) {
                c->cur.img.os = xstrdup("linux");
                c->cur.img.architecture = xstrdup(b->arch);
                c->cur.img.diff_ids = xnew0(char *, 1);
                sha256_buf("scratch", 7, c->cur.chain);
        } else {
                r = load_image(b, base, &c->cur, err);
                if (r < 0)
                        return r;
        }
        default_path(&c->cur);
        c->cur.cmd_set = false;
        return 0;
}

int stage_replace_by_context(struct builder *b, struct stage *s, struct box_err *err)
{
        const char *v = s->name ? stage_named_context(b, s->name) : NULL;
        if (!v)
                return 0;
        s->args = xnew0(char *, 1);
        s->arg_names = xnew0(char *, 1);
        s->built = true;
        /* a directory is read where it is (COPY --from, RUN --mount) and
         * the build refused it as the target: the stage needs no result */
        if (!startswith(v, "docker-image://"))
                return 1;
        const char *ref = v + strlen("docker-image://");
        b->step++;
        builder_progress(b, "[%d/%d] FROM %s (--build-context '%s')\n", b->step, b->n_steps, ref,
                         s->name);
        int r = load_image(b, ref, &s->res, err);
        if (r < 0) {
                s->built = false;
                return box_err_prefix(err, "--build-context '%s'", s->name);
        }
        default_path(&s->res);
        return 1;
}

/* Marks stage IDX and all it reads, without recursion (a Dockerfile of
 * 16 MiB may chain some 300,000 stages). */
void stage_mark_needed(struct builder *b, size_t idx)
{
        size_t n = 0, cap = 16;
        _cleanup_free_ size_t *todo = xnew0(size_t, cap);
        todo[n++] = idx;
        while (n > 0) {
                struct stage *s = &b->stages[todo[--n]];
                if (s->needed)
                        continue;
                s->needed = true;
                const size_t *deps = s->deps;
                for (size_t k = 0; k < s->n_deps; k++) {
                        if (n == cap) {
                                cap *= 2;
                                todo = xreallocarray(todo, cap, sizeof(*todo));
                        }
                        todo[n++] = deps[k];
                }
        }
}

/* The stages and the global ARG scope, from the one resolver that
 * `box dockerfile check` uses too. */
int builder_split_stages(struct builder *b, struct dockerfile_resolved *res, struct box_err *err)
{
        if (res->n_stages == 0)
                return box_err_set(err, EINVAL, "%s: no FROM instruction", b->dfname);
        b->build_args = TAKE_PTR(res->build_args);
        b->global_args = TAKE_PTR(res->global);
        /* a build arg an ARG before the first FROM declares is consumed */
        STRV_FOREACH (m, res->meta_args)
                if (strv_env_find(b->build_args, *m, strlen(*m)) >= 0 &&
                    !strv_contains(b->used_args, *m))
                        b->used_args = strv_append(b->used_args, *m);
        b->stages = xnew0(struct stage, res->n_stages);
        b->n_stages = res->n_stages;
        b->order = TAKE_PTR(res->order);
        b->n_order = res->n_stages;
        b->names_ok = hcreate_r(2 * b->n_stages + 16, &b->names) != 0;
        b->name_keys = xnew0(char *, b->n_stages + 1);
        for (size_t k = 0, n = 0; k < b->n_stages; k++) {
                struct stage *s = &b->stages[k];
                const struct dockerfile_instr *in = &b->df->instrs[res->stages[k].first];
                s->first = res->stages[k].first;
                s->end = res->stages[k].end;
                s->deps = TAKE_PTR(res->stages[k].deps);
                s->n_deps = res->stages[k].n_deps;
                if (!res->stages[k].name)
                        continue;
                /* the AS name as written, for messages and the cache's notes */
                s->name = xstrdup(in->args[2]);
                if (!b->names_ok)
                        continue;
                char *key = TAKE_PTR(res->stages[k].name); /* lowercased */
                b->name_keys[n++] = key;
                ENTRY e = {.key = key, .data = (void *)(uintptr_t)(k + 1)}, *added;
                hsearch_r(e, ENTER, &added, &b->names); /* an earlier one stays */
        }
        return 0;
}

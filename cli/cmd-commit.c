/* box commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]
 *
 * A new image from a container's changes, as docker commit makes it: the
 * container's image plus one layer, its overlay upper dir (whiteouts as
 * OCI ".wh." entries, by the store's packer), and the image config of the
 * parent with the container's Env, Cmd, User and WorkingDir, then each
 * --change applied; a history entry carries -m and -a.  A running
 * container is frozen (its cgroup freezer) while its upper dir is read,
 * unless --pause=false. */
#include <fcntl.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "build/build.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "run/run.h"
#include "run/state.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/image.h"

struct commit_opts {
        const char *author, *message;
        char **changes;
        bool pause;
};

#define T struct commit_opts
static const struct cli_option commit_flag_rows[] = {
        CLI_STRING("author", 'a', T, author, "STRING", "author (\"Jane Doe <jane@example.com>\")"),
        CLI_STRV("change", 'c', T, changes, "LINE",
                 "apply a Dockerfile instruction to the image's config"),
        CLI_STRING("message", 'm', T, message, "STRING", "commit message"),
        CLI_BOOL("pause", 'p', T, pause, "[=BOOL]",
                 "freeze the container while committing (default true)"),
        CLI_COMPAT("quiet", 'q', "print only the image ID (box prints nothing else)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options commit_options =
        CLI_OPTIONS("commit", commit_flag_rows, 18,
                    "Usage: box commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"
                    "\n"
                    "Create a new image from a container's changes.\n"
                    "\n"
                    "Options:\n",
                    .stop_at_operand = true);

/* The container's Env (without the HOSTNAME box adds at run time), its
 * User, WorkingDir and command: the command keeps the parent's ENTRYPOINT
 * when it starts with it, else replaces it.  RET_CMD: the command as one
 * line, for the history. */
static int apply_container_config(const char *root, const char *id, struct oci_container_config *c,
                                  char **ret_cmd, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        int r = run_state_config(root, id, &o, err);
        if (r < 0)
                return r;
        const struct jv *cfg = jv_get(o, "Config");
        if (jv_is_array(jv_get(cfg, "Env"))) {
                strv_free(c->env);
                c->env = xnew0(char *, 1);
                _cleanup_strv_free_ char **env = jv_to_strv(jv_get(cfg, "Env"));
                STRV_FOREACH (e, env)
                        if (!startswith(*e, "HOSTNAME="))
                                c->env = strv_append(c->env, *e);
        }
        const char *user = jv_get_str(cfg, "User"), *wd = jv_get_str(cfg, "WorkingDir");
        if (user) {
                free(c->user);
                c->user = *user ? xstrdup(user) : NULL;
        }
        if (wd) {
                free(c->working_dir);
                c->working_dir = streq(wd, "/") && !c->working_dir ? NULL : xstrdup(wd);
        }
        if (jv_is_array(jv_get(cfg, "Cmd"))) {
                _cleanup_strv_free_ char **argv = jv_to_strv(jv_get(cfg, "Cmd"));
                struct buf by = {0};
                STRV_FOREACH (a, argv)
                        buf_printf(&by, "%s%s", by.len ? " " : "", *a);
                *ret_cmd = buf_steal(&by);
                size_t ne = strv_length(c->entrypoint);
                bool keeps = ne > 0 && strv_length(argv) >= ne;
                for (size_t i = 0; keeps && i < ne; i++)
                        keeps = streq(argv[i], c->entrypoint[i]);
                if (!keeps) {
                        strv_free(c->entrypoint);
                        c->entrypoint = NULL;
                        ne = 0;
                }
                strv_free(c->cmd);
                c->cmd = strv_copy(argv + ne);
        }
        return 0;
}

/* The parent image's config with the container's, the changes, the new
 * layer and its history entry. */
static int new_config(const struct store_image_handle *h, const char *root, const char *id,
                      const struct commit_opts *o, const struct store_layer_info *info,
                      struct oci_image *img, struct box_err *err)
{
        int r = oci_image_parse(h->config_json, h->config_len, img, err);
        if (r < 0)
                return box_err_prefix(err, "image %.19s", h->id);
        _cleanup_free_ char *cmd = NULL;
        r = apply_container_config(root, id, &img->config, &cmd, err);
        if (r < 0)
                return r;
        if (o->changes) {
                r = build_config_changes_apply(&img->config, o->changes, err);
                if (r < 0)
                        return r;
        }
        free(img->created);
        img->created = oci_time_created();
        free(img->author);
        img->author = o->author ? xstrdup(o->author) : NULL;
        img->diff_ids = strv_append(img->diff_ids, info->diff_id);
        img->history = xreallocarray(img->history, img->n_history + 1, sizeof(*img->history));
        struct oci_history *hist = &img->history[img->n_history++];
        *hist = (struct oci_history){
                .created = xstrdup(img->created),
                .created_by = TAKE_PTR(cmd), /* the container's, as Docker's */
                .author = o->author ? xstrdup(o->author) : NULL,
                .comment = o->message ? xstrdup(o->message) : NULL,
        };
        return 0;
}

/* Packs the container's upper dir, frozen when PAUSE and it runs. */
static int pack_upper(struct cli_ctx *ctx, struct store *st, const char *id, bool pause,
                      struct store_layer_info *ret, struct box_err *err)
{
        bool frozen = false;
        int r;
        if (pause && run_state_status(store_root(st), ctx->runroot, id) == RUN_STATUS_RUNNING &&
            !run_cgroup_frozen(NULL, id)) {
                r = run_cgroup_freeze(NULL, id, true, err);
                if (r < 0)
                        return box_err_prefix(err, "pause container %.12s", id);
                frozen = true;
        }
        _cleanup_free_ char *upper = run_state_upper_dir(store_root(st), id);
        /* not frozen, it may write while it is read, as with Docker's --pause=false */
        struct store_layer_pack_opts po = {.keep_dir = 1, .live = !frozen};
        r = store_layer_pack_dir(st, upper, &po, ret, err);
        if (frozen)
                (void)run_cgroup_freeze(NULL, id, false, NULL);
        return r;
}

static int commit(struct cli_ctx *ctx, const struct commit_opts *o, const char *container,
                  const char *name, struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        _cleanup_oci_image_ struct oci_image img = {0};
        _cleanup_free_ char *manifest = NULL, *full = NULL;
        struct store_layer_info info;
        struct store *st;
        char id[RUN_ID_LEN + 1];

        if (name) {
                _cleanup_image_ref_ struct image_ref ref = {0};
                if (spec_ref_parse(name, &ref, err) < 0)
                        return -err->code;
                if (ref.digest)
                        return box_err_set(err, EINVAL,
                                           "refusing to create a tag with a digest reference");
                full = spec_ref_format(&ref);
        }
        int r = cli_store(ctx, &st, err);
        if (r >= 0)
                r = run_state_lookup(store_root(st), container, id, err);
        if (r >= 0)
                r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        r = run_state_image(store_root(st), id, &manifest, err);
        if (r == -ENOENT)
                return box_err_set(err, EINVAL,
                                   "container %.12s runs a --rootfs directory, not an image: "
                                   "nothing to commit onto",
                                   id);
        if (r >= 0)
                r = store_image_load(st, manifest, &h, err);
        if (r >= 0)
                r = pack_upper(ctx, st, id, o->pause, &info, err);
        if (r >= 0)
                r = new_config(&h, store_root(st), id, o, &info, &img, err);
        if (r < 0)
                return box_err_prefix(err, "commit %.12s", id);
        struct oci_descriptor *layers = xnew0(struct oci_descriptor, h.m.n_layers + 1);
        for (size_t i = 0; i < h.m.n_layers; i++)
                layers[i] = h.m.layers[i];
        layers[h.m.n_layers] = (struct oci_descriptor){
                .media_type = info.compression == STORE_COMPRESSION_GZIP ? OCI_MEDIA_LAYER_GZIP
                                                                         : OCI_MEDIA_LAYER,
                .digest = info.digest,
                .size = (int64_t)info.size,
        };
        char *names[] = {full, NULL};
        digest_str image_id;
        r = store_image_commit(st, &img, layers, h.m.n_layers + 1, names, image_id, err);
        free(layers);
        store_unlock(st);
        if (r < 0)
                return r;
        printf("%s\n", image_id);
        /* Docker's: the container's commit, with the image's id and comment */
        cli_event_container(ctx, id, "commit",
                            (char *[]){"imageID", image_id, "comment",
                                       (char *)(o->message ? o->message : ""), NULL});
        return 0;
}

int cmd_commit(struct cli_ctx *ctx, int argc, char **argv)
{
        struct commit_opts o = {.pause = true};
        struct box_err err = {0};
        int first = cli_options_parse(&commit_options, &o, argc, argv), ret = 0;
        if (first <= 0)
                ret = -first;
        else if (argc - first < 1 || argc - first > 2)
                ret = cli_usage_error("commit", "'box commit' requires 1 or 2 arguments");
        else if (commit(ctx, &o, argv[first], first + 1 < argc ? argv[first + 1] : NULL, &err) < 0)
                ret = cli_fail(&err);
        strv_free(o.changes);
        return ret;
}

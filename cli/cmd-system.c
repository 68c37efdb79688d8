/* box system df | prune | fsck, and box image prune. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "build/build.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/container.h"
#include "cli/events.h"
#include "cli/format.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/fsck.h"
#include "store/image.h"

/* system prune: stopped containers go first, so their images can follow. */
static size_t count_dir(struct store *st, const char *dir)
{
        size_t n = 0;
        _cleanup_closedir_ DIR *d = fs_opendir_at(store_root_fd(st), dir);
        if (!d)
                return 0;
        FS_FOREACH_DIRENT (de, d)
                if (de->d_name[0] != '.')
                        n++;
        return n;
}

/* Removes dangling images (ALL: every image no container uses) and
 * collects what nothing references any more. */
static int prune_images(struct cli_ctx *ctx, struct store *st, int all,
                        const struct cli_prune_filter *filter, int64_t *ret_freed,
                        struct box_err *err)
{
        struct store_image *imgs = NULL;
        size_t n = 0;
        int r = store_images_list(st, &imgs, &n, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **used = cli_container_images(st);
        _cleanup_strv_free_ char **gone = xnew0(char *, 1);
        int header = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                if ((!all && imgs[i].name) || strv_contains(used, imgs[i].manifest) ||
                    strv_contains(gone, imgs[i].manifest))
                        continue;
                _cleanup_image_handle_ struct store_image_handle h = {0};
                int loaded = store_image_load(st, imgs[i].manifest, &h, NULL) >= 0;
                /* an image the filter cannot judge (unreadable) stays */
                if ((filter->until || filter->labels || filter->not_labels) &&
                    (!loaded ||
                     !cli_prune_filter_takes(filter, h.config.created, h.config.config.labels)))
                        continue;
                gone = strv_append(gone, imgs[i].manifest);
                if (!header) {
                        printf("Deleted Images:\n");
                        header = 1;
                }
                const char *id = loaded ? h.id : imgs[i].manifest;
                r = store_image_delete(st, imgs[i].manifest, err);
                for (size_t j = 0; j < n && r >= 0; j++) {
                        if (!imgs[j].name || !streq(imgs[j].manifest, imgs[i].manifest))
                                continue;
                        _cleanup_free_ char *fam = spec_ref_familiar_of(imgs[j].name);
                        if (fam)
                                printf("untagged: %s\n", fam);
                        cli_event_image(ctx, "untag", id, fam ? fam : imgs[j].name);
                }
                if (r >= 0)
                        printf("deleted: %s\n", id);
                if (r >= 0) /* Docker's, as rmi's */
                        cli_event_image(ctx, "delete", id, id);
        }
        store_images_free(imgs, n);
        if (r < 0)
                return r;
        if (header)
                printf("\n");
        int64_t freed = store_gc(st, cli_container_images, st, err);
        if (freed < 0)
                return (int)freed;
        *ret_freed += freed;
        return 0;
}

struct prune_flags {
        bool all, force, volumes;
        struct cli_prune_filter *filter;
        const char *cmd; /* "system prune" or "image prune", for its messages */
};

static int opt_prune_filter(void *opts, const char *arg)
{
        struct prune_flags *f = opts;
        return cli_prune_filter_add(f->filter, f->cmd, CLI_PRUNE_UNTIL | CLI_PRUNE_LABEL, arg);
}

#define T struct prune_flags
#define PRUNE_ROWS(all_help_)                                                                      \
        CLI_TRUE("all", 'a', T, all, all_help_),                                                   \
                CLI_FUNC("filter", 0, CLI_ARG_REQUIRED, opt_prune_filter, "filter",                \
                         "only those matching: until=TIME, label=KEY[=VALUE],\n"                   \
                         "label!=KEY[=VALUE]"),                                                    \
                CLI_TRUE("force", 'f', T, force, "do not prompt for confirmation")
static const struct cli_option image_prune_rows[] = {
        PRUNE_ROWS("remove all images no container uses, not just dangling ones"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option system_prune_rows[] = {
        PRUNE_ROWS("remove all unused images and build cache, not just dangling ones"),
        CLI_TRUE("volumes", 0, T, volumes, "prune anonymous volumes"),
        CLI_HELP("help", 'h'),
};
#undef PRUNE_ROWS
#undef T

/* docker's system prune list: what -a and --volumes make of it */
static char *system_prune_warning(const struct prune_flags *f)
{
        return xasprintf("This will remove:\n"
                         "  - all stopped containers\n"
                         "  - all networks not used by at least one container\n%s"
                         "  - %s\n"
                         "  - %s\n"
                         "  - unreferenced store content and temporary files\n",
                         f->volumes ? "  - all anonymous volumes not used by at least one "
                                      "container\n"
                                    : "",
                         f->all ? "all images without at least one container associated to "
                                  "them"
                                : "all dangling images",
                         f->all ? "all build cache" : "unused build cache");
}

static int prune_cmd(struct cli_ctx *ctx, int argc, char **argv, bool system)
{
        const char *cmd = system ? "system prune" : "image prune";
        _cleanup_free_ char *usage = xasprintf(
                "Usage: box %s [OPTIONS]\n\n%s\n\nOptions:\n", cmd,
                system ? "Remove stopped containers, unused networks, dangling images (with -a: "
                         "all unused ones) and build cache,\nanonymous volumes with --volumes, and "
                         "temporary files of interrupted writers."
                       : "Remove dangling images (with -a: all images no container uses) and the "
                         "content only they used.");
        const struct cli_options system_spec = CLI_OPTIONS(cmd, system_prune_rows, 16, usage);
        const struct cli_options image_spec = CLI_OPTIONS(cmd, image_prune_rows, 16, usage);
        const struct cli_options *spec = system ? &system_spec : &image_spec;
        _cleanup_(cli_prune_filter_release) struct cli_prune_filter filter = {0};
        struct prune_flags f = {.filter = &filter, .cmd = cmd};
        struct box_err err = {0};
        int first = cli_options_parse(spec, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error(cmd, "'box %s' accepts no arguments", cmd);
        if (f.volumes && filter.until)
                return cli_usage_error(cmd, "the 'until' filter is not supported with '--volumes'");
        if (!f.force) {
                _cleanup_free_ char *w =
                        system ? system_prune_warning(&f)
                               : xstrdup(f.all ? "This will remove all images without at least "
                                                 "one container associated to them."
                                               : "This will remove all dangling images.");
                if (!cli_confirm(w))
                        return 0;
        }
        struct store *st;
        int64_t freed = 0;
        if (cli_store(ctx, &st, &err) < 0 ||
            (system && cli_containers_prune(ctx, &filter, &freed, &err) < 0) ||
            (system && cli_networks_prune(ctx, &filter, &err) < 0) ||
            (system && f.volumes && cli_volumes_prune(ctx, &filter, &freed, &err) < 0) ||
            prune_images(ctx, st, f.all, &filter, &freed, &err) < 0)
                return cli_fail(&err);
        /* system prune: the build cache too (dangling records; -a all), as Docker's */
        if (system) {
                size_t n;
                int64_t age = 0; /* until=: the cache's age in seconds, at least 1 */
                if (filter.until) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        age = ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - filter.until_ns) /
                              1000000000;
                        age = age < 1 ? 1 : age;
                }
                int64_t c = build_cache_prune(st, f.all, age, cli_container_images, st, &n, &err);
                if (c < 0)
                        return cli_fail(&err);
                freed += c;
        }
        char size[32];
        cli_format_size(size, sizeof(size), (double)freed);
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

int cmd_image_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        return prune_cmd(ctx, argc, argv, false);
}

static int cmd_system_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        return prune_cmd(ctx, argc, argv, true);
}

/* ---- df ---- */

struct df_row {
        size_t total, active;
        int64_t size, reclaimable;
};

struct df_flags {
        const char *format;
};

static int64_t blob_size(struct store *st, const char *digest)
{
        struct stat s;
        _cleanup_free_ char *p = store_blob_path(st, digest);
        return stat(p, &s) == 0 ? s.st_size : 0;
}

/* A row of docker system df: every field a string, as its formatter's */
static struct jv *df_row_json(const char *type, const struct df_row *r)
{
        char total[32], active[32], size[32], rec[32], recp[48];
        snprintf(total, sizeof(total), "%zu", r->total);
        snprintf(active, sizeof(active), "%zu", r->active);
        cli_format_size(size, sizeof(size), (double)r->size);
        cli_format_size(rec, sizeof(rec), (double)r->reclaimable);
        if (r->size > 0)
                snprintf(recp, sizeof(recp), "%s (%d%%)", rec,
                         (int)(100.0 * (double)r->reclaimable / (double)r->size));
        else
                snprintf(recp, sizeof(recp), "%s", rec);
        struct jv *o = jv_object();
        jv_set_str(o, "Type", type);
        jv_set_str(o, "TotalCount", total);
        jv_set_str(o, "Active", active);
        jv_set_str(o, "Size", size);
        jv_set_str(o, "Reclaimable", recp);
        return o;
}

static const struct cli_option df_flag_rows[] = {
        CLI_STRING("format", 0, struct df_flags, format, "string",
                   "'table' (default), 'table TEMPLATE', 'json' or a Go template\n"
                   "({{.Type}}, {{.TotalCount}}, {{.Active}}, {{.Size}},\n{{.Reclaimable}})"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options df_options =
        CLI_OPTIONS("system df", df_flag_rows, 16,
                    "Usage: box system df [OPTIONS]\n"
                    "\n"
                    "Show the disk space used by images, unpacked layers, containers and volumes.\n"
                    "\n"
                    "Options:\n");

static int df_print(const char *format, const struct df_row rows[5], struct box_err *err)
{
        static const char *const types[] = {"Images", "Layers", "Containers", "Local Volumes",
                                            "Build Cache"};
        static const char *const titles[] = {"Type",        "TYPE",        "TotalCount", "TOTAL",
                                             "Active",      "ACTIVE",      "Size",       "SIZE",
                                             "Reclaimable", "RECLAIMABLE", NULL};
        struct jv *v[5];
        for (size_t i = 0; i < 5; i++)
                v[i] = df_row_json(types[i], &rows[i]);
        if (!format || streq(format, "table"))
                format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
                         "{{.Reclaimable}}";
        int r = cli_format_rows(format, titles, v, 5, err);
        for (size_t i = 0; i < 5; i++)
                jv_free(v[i]);
        return r;
}

static int cmd_system_df(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct df_flags f = {0};
        int first = cli_options_parse(&df_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("system df", "'box system df' accepts no arguments");
        struct store *st;
        struct store_image *imgs = NULL;
        size_t n = 0;
        if (cli_store(ctx, &st, &err) < 0 || store_images_list(st, &imgs, &n, &err) < 0)
                return cli_fail(&err);
        _cleanup_strv_free_ char **used = cli_container_images(st);
        _cleanup_strv_free_ char **ids = xnew0(char *, 1), **active_ids = xnew0(char *, 1);
        _cleanup_strv_free_ char **blobs = xnew0(char *, 1), **active_blobs = xnew0(char *, 1);
        _cleanup_strv_free_ char **layers = xnew0(char *, 1), **active_layers = xnew0(char *, 1);
        for (size_t i = 0; i < n; i++) {
                _cleanup_image_handle_ struct store_image_handle h = {0};
                if (store_image_load(st, imgs[i].manifest, &h, NULL) < 0)
                        continue;
                int active = strv_contains(used, imgs[i].manifest);
                if (!strv_contains(ids, h.id))
                        ids = strv_append(ids, h.id);
                if (active && !strv_contains(active_ids, h.id))
                        active_ids = strv_append(active_ids, h.id);
                char *b[] = {h.manifest, h.id};
                for (size_t k = 0; k < 2 + h.m.n_layers; k++) {
                        const char *d = k < 2 ? b[k] : h.m.layers[k - 2].digest;
                        if (!strv_contains(blobs, d))
                                blobs = strv_append(blobs, d);
                        if (active && !strv_contains(active_blobs, d))
                                active_blobs = strv_append(active_blobs, d);
                }
                STRV_FOREACH (d, h.config.diff_ids) {
                        if (!strv_contains(layers, *d))
                                layers = strv_append(layers, *d);
                        if (active && !strv_contains(active_layers, *d))
                                active_layers = strv_append(active_layers, *d);
                }
        }
        store_images_free(imgs, n);

        struct df_row img = {.total = strv_length(ids), .active = strv_length(active_ids)};
        STRV_FOREACH (d, blobs) {
                int64_t s = blob_size(st, *d);
                img.size += s;
                if (!strv_contains(active_blobs, *d))
                        img.reclaimable += s;
        }
        struct df_row lay = {.total = strv_length(layers), .active = strv_length(active_layers)};
        STRV_FOREACH (d, layers) {
                _cleanup_free_ char *rel = xasprintf("layers/%s", *d + 7);
                int64_t s = fs_tree_size_at(store_root_fd(st), rel);
                lay.size += s;
                if (!strv_contains(active_layers, *d))
                        lay.reclaimable += s;
        }
        struct df_row con = {0};
        _cleanup_strv_free_ char **cids = run_state_list(store_root(st));
        STRV_FOREACH (id, cids) {
                int64_t s = run_state_disk_usage(store_root(st), *id);
                con.total++;
                con.size += s;
                if (run_state_is_live(ctx->runroot, *id))
                        con.active++;
                else
                        con.reclaimable += s;
        }
        struct df_row vol = {.total = count_dir(st, "volumes"),
                             .size = fs_tree_size_at(store_root_fd(st), "volumes")};
        vol.active = vol.total;
        /* the step records and RUN --mount=type=cache directories, all of
         * which box builder prune -a removes (their layers are the images') */
        struct df_row bc = {.total = count_dir(st, "buildcache/steps") +
                                     count_dir(st, "buildcache/mounts"),
                            .size = fs_tree_size_at(store_root_fd(st), "buildcache")};
        bc.reclaimable = bc.size;
        const struct df_row rows[5] = {img, lay, con, vol, bc};
        return df_print(f.format, rows, &err) < 0 ? cli_fail(&err) : 0;
}

/* ---- fsck ---- */

struct fsck_flags {
        bool repair;
};

static int cmd_system_fsck(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct cli_option rows[] = {
                CLI_TRUE("repair", 0, struct fsck_flags, repair,
                         "remove corrupt blobs and unreferenced leftovers, unpack missing "
                         "layers\nagain from intact blobs, and name the images that need a new "
                         "pull"),
                CLI_HELP("help", 'h'),
        };
        static const struct cli_options spec = CLI_OPTIONS(
                "system fsck", rows, 11,
                "Usage: box system fsck [OPTIONS]\n"
                "\n"
                "Check the store: re-hash every blob, check every image's manifest, config and "
                "layers\nand that each layer is unpacked.  Exits 0 when clean, 1 when problems "
                "were found.\n"
                "\n"
                "Options:\n");
        struct fsck_flags f = {0};
        struct box_err err = {0};
        int first = cli_options_parse(&spec, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("system fsck", "'box system fsck' accepts no arguments");
        bool repair = f.repair;
        struct store *st;
        struct store_fsck_report rep;
        if (cli_store(ctx, &st, &err) < 0 ||
            store_fsck(st, repair, cli_container_images, st, &rep, &err) < 0)
                return cli_fail(&err);
        STRV_FOREACH (p, rep.problems)
                printf("problem: %s\n", *p);
        STRV_FOREACH (p, rep.repairs)
                printf("repaired: %s\n", *p);
        STRV_FOREACH (p, rep.needs_repull) {
                _cleanup_free_ char *fam =
                        startswith(*p, "sha256:") ? NULL : spec_ref_familiar_of(*p);
                printf("needs a new pull or load: %s\n", fam ? fam : *p);
        }
        char size[32];
        cli_format_size(size, sizeof(size), (double)rep.leftover_bytes);
        if (rep.n_leftovers && !repair)
                printf("%zu unreferenced or temporary items (%s): 'box system prune' removes "
                       "them\n",
                       rep.n_leftovers, size);
        int problems = rep.problems[0] != NULL;
        printf("%s: %zu blobs, %zu images checked\n", problems ? "problems found" : "clean",
               rep.n_blobs, rep.n_images);
        store_fsck_report_release(&rep);
        return problems ? 1 : 0;
}

static const struct cli_command system_cmds[] = {
        {"df", "Show disk usage", cmd_system_df, 0},
        {"events", "Get real time events from box's commands", cmd_events, 0},
        {"fsck", "Check (and repair) the store", cmd_system_fsck, 0},
        {"prune", "Remove unused images and unreferenced data", cmd_system_prune, 0},
        {},
};

int cmd_system(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "system", system_cmds, argc, argv);
}

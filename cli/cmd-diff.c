/* box diff [--format json] CONTAINER: the files a container added (A),
 * changed (C) and deleted (D) against its image, as docker diff lists them;
 * --format json as podman's diff prints them (its tests read that). */
#include <stdio.h>

#include "cli/container.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/changes.h"
#include "spec/json.h"
#include "store/image.h"

struct diff_flags {
        const char *format;
};

#define T struct diff_flags
static const struct cli_option diff_flag_rows[] = {
        CLI_STRING("format", 0, T, format, "string",
                   "json: {\"added\": [...], \"changed\": [...], \"deleted\": [...]}"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options diff_options =
        CLI_OPTIONS("diff", diff_flag_rows, 16,
                    "Usage: box diff [OPTIONS] CONTAINER\n"
                    "\n"
                    "Inspect changes to files or directories on a container's filesystem.\n"
                    "\n"
                    "Options:\n");

static void print_json(const struct run_change *v, size_t n)
{
        static const struct {
                char kind;
                const char *key;
        } keys[] = {{'A', "added"}, {'C', "changed"}, {'D', "deleted"}};
        _cleanup_jv_ struct jv *o = jv_object();
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                struct jv *a = jv_array();
                for (size_t i = 0; i < n; i++)
                        if (v[i].kind == keys[k].kind)
                                jv_push(a, jv_string(v[i].path));
                jv_set(o, keys[k].key, a);
        }
        _cleanup_free_ char *s = jv_dump(o, 0);
        printf("%s\n", s);
}

static int changes(struct cli_ctx *ctx, const char *name, bool json, struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        struct store *st;
        int r = cli_container_find(ctx, name, id, err);
        if (r < 0)
                return r;
        r = cli_store(ctx, &st, err);
        if (r < 0)
                return r;
        /* gc holds it exclusive: the image's layers stay while we read */
        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *manifest = NULL;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        _cleanup_strv_free_ char **lowers = NULL;
        r = run_state_image(store_root(st), id, &manifest, err);
        if (r == -ENOENT)
                r = box_err_set(err, EINVAL,
                                "container %.12s runs a --rootfs directory: it has no image to "
                                "compare with",
                                id);
        if (r >= 0)
                r = store_image_load(st, manifest, &h, err);
        if (r >= 0)
                r = store_image_lowerdirs(st, &h, &lowers, err);
        if (r < 0) {
                store_unlock(st);
                return r;
        }
        run_mountpoint_layer_add(store_root(st), &lowers);
        _cleanup_free_ char *upper = run_state_upper_dir(store_root(st), id);
        struct run_change *v = NULL;
        size_t n = 0;
        r = run_changes_list(store_root(st), lowers, upper, &v, &n, err);
        store_unlock(st);
        if (r < 0)
                return box_err_prefix(err, "diff %.12s", id);
        if (json)
                print_json(v, n);
        else
                for (size_t i = 0; i < n; i++)
                        printf("%c %s\n", v[i].kind, v[i].path);
        run_changes_free(v, n);
        return 0;
}

int cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
        struct diff_flags f = {0};
        int first = cli_options_parse(&diff_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (f.format && !streq(f.format, "json"))
                return cli_usage_error("diff", "invalid --format '%s': only json", f.format);
        if (argc - first != 1)
                return cli_usage_error("diff", "'box diff' requires exactly 1 argument");
        struct box_err err = {0};
        if (changes(ctx, argv[first], f.format != NULL, &err) < 0)
                return cli_fail(&err);
        return 0;
}

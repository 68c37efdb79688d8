/* box diff CONTAINER: the files a container added (A), changed (C) and
 * deleted (D) against its image, as docker diff lists them. */
#include <stdio.h>

#include "cli/container.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/changes.h"
#include "store/image.h"

static const char help[] = "Usage: box diff CONTAINER\n"
                           "\n"
                           "Inspect changes to files or directories on a container's filesystem.\n";

static int changes(struct cli_ctx *ctx, const char *name, struct box_err *err)
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
        for (size_t i = 0; i < n; i++)
                printf("%c %s\n", v[i].kind, v[i].path);
        run_changes_free(v, n);
        return 0;
}

int cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
        int first = cli_options_parse_help("diff", help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("diff", "'box diff' requires exactly 1 argument");
        struct box_err err = {0};
        if (changes(ctx, argv[first], &err) < 0)
                return cli_fail(&err);
        return 0;
}

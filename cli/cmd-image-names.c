/* An image's names: box tag SOURCE TARGET [TARGET...], podman's
 * box untag IMAGE [NAME...] and box image exists IMAGE. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/ref.h"
#include "store/image.h"

#define EXIT_DAEMON_ERROR 1 /* Docker's status for "no such image" */

/* TARGET as the index names it (a digest refused) */
static int full_name(const char *cmd, const char *arg, char **ret, struct box_err *err)
{
        _cleanup_image_ref_ struct image_ref ref = {0};
        int r = spec_ref_parse(arg, &ref, err);
        if (r < 0)
                return r;
        if (ref.digest)
                return -cli_usage_error(cmd, "refusing to create a tag with a digest reference");
        *ret = spec_ref_format(&ref);
        return 0;
}

static const char tag_help[] = "Usage: box tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG] [TARGET...]\n"
                               "\n"
                               "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (podman's:\n"
                               "more than one at once).\n";

int cmd_tag(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        int first = cli_options_parse_help("tag", tag_help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first < 2)
                return cli_usage_error("tag", "'box tag' requires at least 2 arguments");
        _cleanup_strv_free_ char **names = xnew0(char *, 1);
        for (int i = first + 1; i < argc; i++) {
                char *full = NULL;
                int r = full_name("tag", argv[i], &full, &err);
                if (r < 0)
                        return err.code ? cli_fail(&err) : -r;
                names = strv_push(names, full);
        }
        struct store *st;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        if (cli_image_resolve(st, argv[first], &h, &err) < 0) {
                err.exit_code = EXIT_DAEMON_ERROR;
                return cli_fail(&err);
        }
        STRV_FOREACH (nm, names) {
                if (store_image_tag(st, *nm, h.manifest, h.manifest_size, &err) < 0)
                        return cli_fail(&err);
                _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                cli_event_image(ctx, "tag", h.id, fam ? fam : *nm);
        }
        return 0;
}

static const char untag_help[] =
        "Usage: box untag IMAGE [NAME...]\n"
        "\n"
        "Remove names from an image, every name without NAME, as podman's untag; the\n"
        "image itself stays (without a name, it is dangling until image prune).\n";

int cli_image_names(struct store *st, const char *manifest, char ***ret, struct box_err *err)
{
        _cleanup_store_images_ struct store_images l = {0};
        int r = store_images_list(st, &l.v, &l.n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].name && streq(l.v[i].manifest, manifest))
                        *ret = strv_append(*ret, l.v[i].name);
        return 0;
}

int cmd_untag(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        int first = cli_options_parse_help("untag", untag_help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first < 1)
                return cli_usage_error("untag", "'box untag' requires at least 1 argument");
        struct store *st;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        if (cli_image_resolve(st, argv[first], &h, &err) < 0)
                return cli_fail(&err);
        /* the image's names, read once; NAMEs must be among them */
        _cleanup_strv_free_ char **have = xnew0(char *, 1), **named = xnew0(char *, 1);
        if (cli_image_names(st, h.manifest, &have, &err) < 0)
                return cli_fail(&err);
        for (int i = first + 1; i < argc; i++) {
                char *full = NULL;
                int r = full_name("untag", argv[i], &full, &err);
                if (r < 0)
                        return err.code ? cli_fail(&err) : -r;
                named = strv_push(named, full);
                if (!strv_contains(have, full)) {
                        box_err_set(&err, ENOENT, "'%s': tag not known", argv[i]);
                        return cli_fail(&err);
                }
        }
        char **names = argc - first == 1 ? have : named;
        STRV_FOREACH (nm, names) {
                if (store_image_untag(st, *nm, 1, &err) < 0)
                        return cli_fail(&err);
                _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                cli_event_image(ctx, "untag", h.id, fam ? fam : *nm);
        }
        return 0;
}

static int image_lookup(struct cli_ctx *ctx, const char *name, struct box_err *err)
{
        struct store *st;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = cli_store(ctx, &st, err);
        return r < 0 ? r : cli_image_resolve(st, name, &h, err);
}

int cmd_image_exists(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_exists_main(ctx, "image exists", argc, argv, image_lookup);
}

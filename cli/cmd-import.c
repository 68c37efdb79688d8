/* box import FILE|- [NAME[:TAG]]: a rootfs tarball becomes a one-layer image. */
#include <fcntl.h>
#include <stdio.h>

#include "build/build.h"
#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/ref.h"
#include "store/image.h"

struct import_flags {
        char **changes;
        const char *message, *platform;
};

#define T struct import_flags
static const struct cli_option import_flag_rows[] = {
        CLI_STRV("change", 'c', T, changes, "list",
                 "apply a Dockerfile instruction to the image (CMD, ENTRYPOINT,\n"
                 "ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER,\n"
                 "VOLUME, WORKDIR)"),
        CLI_STRING("message", 'm', T, message, "string",
                   "set the commit message for the imported image"),
        CLI_STRING("platform", 0, T, platform, "string",
                   "set the platform (linux/ARCH) of the image"),
        CLI_COMPAT("quiet", 'q', "accepted for compatibility; only the id is printed anyway"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options import_options = CLI_OPTIONS(
        "import", import_flag_rows, 19,
        "Usage: box import [OPTIONS] FILE|- [REPOSITORY[:TAG]]\n"
        "\n"
        "Import the contents of a tarball (plain, gzip, bzip2, xz or zstd) to create an "
        "image\n"
        "with a single layer.\n"
        "\n"
        "Options:\n");

int cmd_import(struct cli_ctx *ctx, int argc, char **argv)
{
        struct import_flags f = {.changes = xnew0(char *, 1)};
        struct box_err err = {0};
        int first = cli_options_parse(&import_options, &f, argc, argv);
        _cleanup_strv_free_ char **changes = f.changes;
        if (first <= 0)
                return -first;
        const char *message = f.message, *platform = f.platform;
        if (first >= argc || argc - first > 2)
                return cli_usage_error("import", "'box import' requires 1 or 2 arguments");
        const char *file = argv[first];
        const char *name = first + 1 < argc ? argv[first + 1] : NULL;
        if (strstr(file, "://")) {
                box_err_set(&err, EPROTONOSUPPORT,
                            "importing from a URL ('%s') is not supported: download it first, "
                            "then 'box import FILE' or 'box import - < FILE'",
                            file);
                return cli_fail(&err);
        }

        _cleanup_free_ char *full = NULL;
        if (name) {
                _cleanup_image_ref_ struct image_ref ref = {0};
                if (spec_ref_parse(name, &ref, &err) < 0)
                        return cli_fail(&err);
                if (ref.digest)
                        return cli_usage_error("import",
                                               "refusing to create a tag with a digest reference");
                full = spec_ref_format(&ref);
        }

        _cleanup_oci_image_ struct oci_image img = {0};
        img.created = oci_time_created();
        img.os = xstrdup("linux");
        img.architecture = xstrdup(oci_host_arch());
        if (platform) {
                const char *slash = strchr(platform, '/');
                if (!slash || !startswith(platform, "linux/") || !slash[1])
                        return cli_usage_error("import", "invalid --platform '%s': want linux/ARCH",
                                               platform);
                free(img.architecture);
                const char *v = strchr(slash + 1, '/');
                img.architecture =
                        v ? xstrndup(slash + 1, (size_t)(v - slash - 1)) : xstrdup(slash + 1);
                if (v)
                        img.variant = xstrdup(v + 1);
        }
        if (build_config_changes_apply(&img.config, changes, &err) < 0)
                return cli_fail(&err);

        _cleanup_close_ int fd = -EBADF;
        if (streq(file, "-")) {
                fd = dup(STDIN_FILENO);
        } else {
                fd = open(file, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        box_err_errno(&err, errno, "open '%s'", file);
                        return cli_fail(&err);
                }
        }

        struct store *st;
        struct store_layer_info info;
        struct store_layer_unpack_opts uo = {.save_blob = 1, .save_uncompressed = 1};
        int r = cli_store(ctx, &st, &err);
        if (r >= 0)
                r = store_layer_unpack_fd(st, fd, &uo, &info, &err);
        if (r < 0) {
                box_err_prefix(&err, "import '%s'", file);
                return cli_fail(&err);
        }
        img.diff_ids = strv_append(NULL, info.diff_id);
        img.history = xnew0(struct oci_history, 1);
        img.n_history = 1;
        img.history[0].created = xstrdup(img.created);
        /* docker's wording: the CLI streams the file, so it reads "-" */
        img.history[0].comment = xstrdup(message ? message : "Imported from -");

        struct oci_descriptor layer = {
                .media_type = OCI_MEDIA_LAYER,
                .digest = info.digest,
                .size = (int64_t)info.size,
        };
        char *names[] = {full, NULL};
        digest_str id;
        r = store_image_commit(st, &img, &layer, 1, names, id, &err);
        if (r < 0)
                return cli_fail(&err);
        printf("%s\n", id);
        _cleanup_free_ char *fam = full ? spec_ref_familiar_of(full) : NULL;
        cli_event_image(ctx, "import", id, fam ? fam : full);
        return 0;
}

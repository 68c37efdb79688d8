/* box save [-o FILE] [--format docker-archive|oci-archive|oci-dir] IMAGE... */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "image/save.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct save_flags {
        const char *output;
        enum image_format format;
};

static int opt_format(void *opts, const char *arg)
{
        struct save_flags *f = opts;
        struct box_err err = {0};
        if (image_format_parse(arg, &f->format, &err) < 0)
                return cli_usage_error("save", "%s", err.msg);
        return 0;
}

#define T struct save_flags
static const struct cli_option save_flag_rows[] = {
        CLI_FUNC("format", 0, CLI_ARG_REQUIRED, opt_format, "string",
                 "docker-archive (default, as 'docker save' writes it),\n"
                 "oci-archive (a tar of an OCI image layout) or\n"
                 "oci-dir (an OCI image layout directory; needs -o)"),
        CLI_COMPAT("multi-image-archive", 'm',
                   "podman's: box writes every image named into one archive anyway"),
        CLI_STRING("output", 'o', T, output, "string",
                   "write to a file (or the directory for oci-dir)"),
        CLI_COMPAT("uncompressed", 0,
                   "podman's: accepted; layers are written as stored\n(uncompressed unless pulled "
                   "so)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options save_options =
        CLI_OPTIONS("save", save_flag_rows, 18,
                    "Usage: box save [OPTIONS] IMAGE [IMAGE...]\n"
                    "\n"
                    "Save one or more images to a tar archive (streamed to stdout by default).\n"
                    "\n"
                    "Options:\n");

static int save_main(struct cli_ctx *ctx, int argc, char **argv, int *ret_first)
{
        struct save_flags f = {.format = IMAGE_FORMAT_DOCKER_ARCHIVE};
        struct box_err err = {0};
        int first = cli_options_parse(&save_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        *ret_first = first;
        const char *output = f.output;
        enum image_format format = f.format;
        if (first >= argc)
                return cli_usage_error("save", "'box save' requires at least 1 argument");
        _cleanup_strv_free_ char **images = strv_copy(argv + first);

        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);

        if (format == IMAGE_FORMAT_OCI_DIR) {
                if (!output)
                        return cli_usage_error("save", "--format oci-dir needs -o DIRECTORY");
                if (image_save(st, images, format, -EBADF, output, &err) < 0) {
                        box_err_prefix(&err, "save to '%s'", output);
                        return cli_fail(&err);
                }
                return 0;
        }
        if (!output) {
                if (isatty(STDOUT_FILENO)) {
                        box_err_set(&err, ENOTTY,
                                    "refusing to write an image archive to a terminal: use -o "
                                    "FILE or redirect stdout");
                        return cli_fail(&err);
                }
                if (image_save(st, images, format, STDOUT_FILENO, NULL, &err) < 0)
                        return cli_fail(&err);
                return 0;
        }
        _cleanup_(fs_output_release) struct fs_output out = {.fd = -EBADF};
        if (fs_output_open(&out, output, 0644, &err) < 0)
                return cli_fail(&err);
        if (image_save(st, images, format, out.fd, NULL, &err) < 0 ||
            fs_output_commit(&out, &err) < 0)
                return cli_fail(&err);
        return 0;
}

int cmd_save(struct cli_ctx *ctx, int argc, char **argv)
{
        int first = argc;
        int r = save_main(ctx, argc, argv, &first);
        /* each image saved, as the user named it */
        for (int i = first; r == 0 && i < argc; i++)
                cli_event_image(ctx, "save", argv[i], argv[i]);
        return r;
}

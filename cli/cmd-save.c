/* box save [-o FILE] [--format docker-archive|oci-archive|oci-dir] IMAGE... */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "image/save.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char help[] =
        "Usage: box save [OPTIONS] IMAGE [IMAGE...]\n"
        "\n"
        "Save one or more images to a tar archive (streamed to stdout by default).\n"
        "\n"
        "Options:\n"
        "      --format string   docker-archive (default, as 'docker save' writes it),\n"
        "                        oci-archive (a tar of an OCI image layout) or\n"
        "                        oci-dir (an OCI image layout directory; needs -o)\n"
        "  -o, --output string   write to a file (or the directory for oci-dir)\n";

int cmd_save(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *output = NULL;
        enum image_format format = IMAGE_FORMAT_DOCKER_ARCHIVE;
        struct box_err err = {0};
        int c;

        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'f':
                        if (image_format_parse(optarg, &format, &err) < 0)
                                return cli_usage_error("save", "%s", err.msg);
                        break;
                case 'h':
                        return cli_help(help);
                default:
                        return cli_usage_error("save", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("save", "'box save' requires at least 1 argument");
        _cleanup_strv_free_ char **images = strv_copy(argv + optind);

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

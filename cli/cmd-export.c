/* box export [-o FILE] CONTAINER: the container's file system as a tar. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "image/export.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "run/state.h"
#include "store/image.h"

/* ID: the container's, found by NAME */
static int export_to(struct store *st, const char *name, int fd, char *id, struct box_err *err)
{
        int r = run_state_lookup(store_root(st), name, id, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *manifest = NULL;
        r = run_state_image(store_root(st), id, &manifest, err);
        if (r == -ENOENT)
                return box_err_set(err, EINVAL,
                                   "container '%s' does not run an image (--rootfs): export "
                                   "its directory with tar instead",
                                   name);
        if (r < 0)
                return box_err_prefix(err, "container '%s': its image pin", name);
        _cleanup_image_handle_ struct store_image_handle h = {0};
        r = store_image_load(st, manifest, &h, err);
        if (r < 0)
                return box_err_prefix(err, "container '%s'", name);
        _cleanup_strv_free_ char **lower = NULL;
        r = store_image_lowerdirs(st, &h, &lower, err);
        if (r < 0)
                return box_err_prefix(err, "container '%s'", name);
        _cleanup_free_ char *upper = run_state_upper_dir(store_root(st), id);
        r = image_export_tree(st, upper, lower, fd, err);
        if (r < 0)
                return box_err_prefix(err, "export '%s'", name);
        return 0;
}

struct export_flags {
        const char *output;
};

static const struct cli_option export_flag_rows[] = {
        CLI_STRING("output", 'o', struct export_flags, output, "string",
                   "write to a file instead of stdout"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options export_options =
        CLI_OPTIONS("export", export_flag_rows, 18,
                    "Usage: box export [OPTIONS] CONTAINER\n"
                    "\n"
                    "Export a container's file system as a tar archive (to stdout by default);\n"
                    "'box import' turns it back into an image.\n"
                    "\n"
                    "Options:\n");

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
        struct export_flags f = {0};
        struct box_err err = {0};
        int first = cli_options_parse(&export_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        const char *output = f.output;
        if (argc - first != 1)
                return cli_usage_error("export", "'box export' requires exactly 1 argument");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        char id[RUN_ID_LEN + 1];
        if (!output) {
                if (isatty(STDOUT_FILENO)) {
                        box_err_set(&err, ENOTTY,
                                    "refusing to write an archive to a terminal: use -o FILE "
                                    "or redirect stdout");
                        return cli_fail(&err);
                }
                if (export_to(st, argv[first], STDOUT_FILENO, id, &err) < 0)
                        return cli_fail(&err);
        } else {
                _cleanup_(fs_output_release) struct fs_output out = {.fd = -EBADF};
                if (fs_output_open(&out, output, 0644, &err) < 0 ||
                    export_to(st, argv[first], out.fd, id, &err) < 0 ||
                    fs_output_commit(&out, &err) < 0)
                        return cli_fail(&err);
        }
        cli_event_container(ctx, id, "export", NULL); /* Docker's */
        return 0;
}

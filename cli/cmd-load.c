/* box load [-i FILE|DIR|URL|-] [-q] */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "image/load.h"
#include "image/pull.h"
#include "lib/strv.h"
#include "spec/ref.h"

struct load_flags {
        const char *input;
        bool quiet;
};

#define T struct load_flags
static const struct cli_option load_flag_rows[] = {
        CLI_STRING("input", 'i', T, input, "string",
                   "read from a file, an OCI layout or dir: directory or an http(s)\n"
                   "URL, as box pull takes it ('-': stdin)"),
        CLI_TRUE("quiet", 'q', T, quiet, "suppress the load output"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options load_options = CLI_OPTIONS(
        "load", load_flag_rows, 17,
        "Usage: box load [OPTIONS]\n"
        "\n"
        "Load images from a tar archive (docker-archive or oci-archive; plain, gzip or "
        "zstd),\n"
        "an OCI image layout directory or a dir: one (podman save --format docker-dir),\n"
        "read from stdin by default.  Every blob and layer is verified; nothing is named\n"
        "unless all of it is.\n"
        "\n"
        "Options:\n");

void cli_print_loaded(const struct image_loaded *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!v[i].names || !v[i].names[0]) {
                        printf("Loaded image ID: %s\n", v[i].id);
                        continue;
                }
                STRV_FOREACH (nm, v[i].names) {
                        _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                        if (fam)
                                printf("Loaded image: %s\n", fam);
                }
        }
}

static ssize_t fd_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        ssize_t r = RETRY_EINTR(read(*(int *)ud, buf, n));
        if (r < 0)
                return box_err_errno(err, errno, "read");
        return r;
}

int cmd_load(struct cli_ctx *ctx, int argc, char **argv)
{
        struct load_flags f = {.input = "-"};
        struct box_err err = {0};
        int first = cli_options_parse(&load_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("load", "'box load' accepts no arguments");
        const char *input = f.input;

        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct image_loaded *v = NULL;
        size_t n = 0;
        int r;
        struct stat s;
        if (image_pull_is_url(input)) {
                /* podman's load -i URL: box pull's download, as it streams */
                r = image_pull(st, input, &(struct image_pull_opts){0}, &v, &n, &err);
        } else if (!streq(input, "-") && stat(input, &s) == 0 && S_ISDIR(s.st_mode)) {
                r = image_load_dir(st, input, NULL, &v, &n, &err);
        } else {
                _cleanup_close_ int fd = -EBADF;
                if (streq(input, "-")) {
                        if (isatty(STDIN_FILENO)) {
                                box_err_set(&err, ENOTTY,
                                            "refusing to read an image archive from a terminal: "
                                            "use -i FILE or redirect stdin");
                                return cli_fail(&err);
                        }
                        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
                } else {
                        fd = open(input, O_RDONLY | O_CLOEXEC);
                }
                if (fd < 0) {
                        box_err_errno(&err, errno, "open '%s'", input);
                        return cli_fail(&err);
                }
                r = image_load_archive(st, fd_read, &fd, NULL, &v, &n, &err);
        }
        if (r < 0) {
                box_err_prefix(&err, "load '%s'", input);
                return cli_fail(&err);
        }
        cli_print_loaded(v, n);
        cli_event_images(ctx, "load", v, n);
        image_loaded_free(v, n);
        return 0;
}

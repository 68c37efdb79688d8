/* box context ls: the files a build would send, after the ignore rules. */
#include <getopt.h>
#include <stdio.h>

#include "build/dockerignore.h"
#include "cli/cli.h"
#include "lib/strv.h"

static const char ls_help[] =
        "Usage: box context ls [OPTIONS] DIR\n"
        "\n"
        "List the files of build context DIR that a build sends, after the rules of\n"
        "its .dockerignore (or FILE.dockerignore beside a Dockerfile given with -f),\n"
        "one path per line, sorted.\n"
        "\n"
        "Options:\n"
        "  -f, --file FILE  the Dockerfile (default DIR/Dockerfile)\n";

static int cmd_context_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"file", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *file = NULL;
        _cleanup_strv_free_ char **files = NULL;
        struct box_err err = {0};
        int c;

        (void)ctx;
        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        file = optarg;
                        break;
                case 'h':
                        return cli_help(ls_help);
                default:
                        return cli_usage_error("context ls", "invalid option");
                }
        }
        if (argc - optind != 1)
                return cli_usage_error("context ls",
                                       "'box context ls' requires exactly one argument");
        if (build_context_list(argv[optind], file, &files, &err) < 0)
                return cli_fail(&err);
        STRV_FOREACH (f, files)
                puts(*f);
        return 0;
}

static const struct cli_command context_commands[] = {
        {"ls", "List the files a build would send", cmd_context_ls, 0},
        {},
};

int cmd_context(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "context", context_commands, argc, argv);
}

/* box context ls: the files a build would send, after the ignore rules. */
#include <stdio.h>

#include "build/dockerignore.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "lib/strv.h"

struct context_ls_flags {
        const char *file;
};

static const struct cli_option ls_flag_rows[] = {
        CLI_STRING("file", 'f', struct context_ls_flags, file, "FILE",
                   "the Dockerfile (default DIR/Dockerfile)"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options ls_options =
        CLI_OPTIONS("context ls", ls_flag_rows, 13,
                    "Usage: box context ls [OPTIONS] DIR\n"
                    "\n"
                    "List the files of build context DIR that a build sends, after the rules of\n"
                    "its .dockerignore (or FILE.dockerignore beside a Dockerfile given with -f),\n"
                    "one path per line, sorted.\n"
                    "\n"
                    "Options:\n");

static int cmd_context_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        struct context_ls_flags fl = {0};
        _cleanup_strv_free_ char **files = NULL;
        struct box_err err = {0};

        (void)ctx;
        int first = cli_options_parse(&ls_options, &fl, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("context ls",
                                       "'box context ls' requires exactly one argument");
        if (build_context_list(argv[first], fl.file, &files, &err) < 0)
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

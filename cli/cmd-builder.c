/* box builder build | prune: Docker's management command for the builder.
 * build is box build; prune empties box's build cache (build/build.h). */
#include <stdio.h>

#include "build/build.h"
#include "cli/cli.h"
#include "cli/cmd-run-life.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/xalloc.h"

struct builder_prune_flags {
        bool all, force;
        const char *until; /* --filter until=DURATION */
};

static int opt_filter(void *opts, const char *arg)
{
        struct builder_prune_flags *f = opts;
        int64_t ns;
        if (!startswith(arg, "until=") || cli_parse_duration(arg + 6, &ns) < 0 || ns < 0)
                return cli_usage_error(
                        "builder prune",
                        "invalid filter '%s' (box's build cache takes until=DURATION)", arg);
        f->until = arg + 6;
        return 0;
}

static int opt_keep_storage(void *opts, const char *arg)
{
        (void)opts;
        return cli_usage_error("builder prune",
                               "--keep-storage '%s': box's build cache is pruned whole or by age "
                               "(--filter until=DURATION), not to a size",
                               arg);
}

#define T struct builder_prune_flags
static const struct cli_option prune_rows[] = {
        CLI_TRUE("all", 'a', T, all, "remove all build cache, not just dangling records"),
        CLI_FUNC("filter", 0, CLI_ARG_REQUIRED, opt_filter, "until=DURATION",
                 "only what is older than DURATION (24h, 90m)"),
        CLI_TRUE("force", 'f', T, force, "do not prompt for confirmation"),
        CLI_FUNC("keep-storage", 0, CLI_ARG_REQUIRED, opt_keep_storage, "bytes",
                 "refused: box prunes whole or by age"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options prune_options =
        CLI_OPTIONS("builder prune", prune_rows, 24,
                    "Usage: box builder prune [OPTIONS]\n"
                    "\n"
                    "Remove build cache: the step records whose layer is gone and the RUN\n"
                    "--mount=type=cache directories (with -a: every step record, and the layers\n"
                    "and blobs only the cache reached).\n"
                    "\n"
                    "Options:\n");

static int cmd_builder_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        struct builder_prune_flags f = {0};
        int first = cli_options_parse(&prune_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("builder prune", "'box builder prune' accepts no arguments");
        if (!f.force && !cli_confirm(f.all ? "This will remove all build cache."
                                           : "This will remove all dangling build cache."))
                return 0;
        int64_t until_ns = 0;
        if (f.until)
                (void)cli_parse_duration(f.until, &until_ns);
        struct box_err err = {0};
        struct store *st;
        size_t n = 0;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        int64_t freed = build_cache_prune(st, f.all, until_ns / 1000000000, cli_container_images,
                                          st, &n, &err);
        if (freed < 0)
                return cli_fail(&err);
        char size[32];
        cli_format_size(size, sizeof(size), (double)freed);
        printf("Deleted build cache objects: %zu\nTotal reclaimed space: %s\n", n, size);
        return 0;
}

static const struct cli_command builder_commands[] = {
        {"build", "Build an image from a Dockerfile", cmd_build, 0},
        {"prune", "Remove build cache", cmd_builder_prune, 0},
        {},
};

int cmd_builder(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "builder", builder_commands, argc, argv);
}

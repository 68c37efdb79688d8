/* box: a daemonless image builder and container runner. */
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store.h"

static const char usage[] =
        "Usage: box [OPTIONS] COMMAND [ARG...]\n"
        "\n"
        "A daemonless image builder and container runner.\n"
        "\n"
        "Options:\n"
        "      --root DIR         store root (default $BOX_ROOT or /var/lib/box)\n"
        "      --runroot DIR      state of running containers, on a tmpfs a reboot empties\n"
        "                         (default $BOX_RUNROOT or /run/box)\n"
        "      --log-level LEVEL  error, warn, info or debug (default $BOX_LOG_LEVEL or warn)\n"
        "  -v, --verbose          more logging (repeatable)\n"
        "  -h, --help             print this help\n"
        "      --version          print the version\n"
        "\n"
        "Commands:\n";

static void print_usage(FILE *f)
{
        fputs(usage, f);
        for (const struct cli_command *c = cli_commands; c->name; c++)
                if (!c->hidden)
                        fprintf(f, "  %-12s %s\n", c->name, c->summary);
        fputs("\nRun 'box COMMAND --help' for more information on a command.\n", f);
}

/* The global flags, before the command.  print_usage() has their help. */
struct global_flags {
        struct cli_ctx *ctx;
        bool help, version;
};

static int opt_log_level(void *opts, const char *arg)
{
        (void)opts;
        int l = box_log_parse_level(arg);
        if (l < 0)
                return cli_usage_error(NULL, "invalid --log-level '%s'", arg);
        box_log_level = l;
        return 0;
}

static int opt_verbose(void *opts, const char *arg)
{
        (void)opts;
        (void)arg;
        if (box_log_level < BOX_LOG_DEBUG)
                box_log_level++;
        return 0;
}

static int opt_root(void *opts, const char *arg)
{
        ((struct global_flags *)opts)->ctx->root = arg;
        return 0;
}

static int opt_runroot(void *opts, const char *arg)
{
        ((struct global_flags *)opts)->ctx->runroot = arg;
        return 0;
}

#define T struct global_flags
#define R CLI_ARG_REQUIRED
static const struct cli_option global_flag_rows[] = {
        CLI_FUNC("root", 0, R, opt_root, NULL, NULL),
        CLI_FUNC("runroot", 0, R, opt_runroot, NULL, NULL),
        CLI_FUNC("log-level", 0, R, opt_log_level, NULL, NULL),
        CLI_FUNC("verbose", 'v', CLI_ARG_NONE, opt_verbose, NULL, NULL),
        CLI_TRUE("help", 'h', T, help, NULL),
        CLI_TRUE("version", 0, T, version, NULL),
};
#undef R
#undef T

/* the command name ends them (box run -d IMAGE: -d is run's) */
static const struct cli_options global_options =
        CLI_OPTIONS(NULL, global_flag_rows, 0, usage, .stop_at_operand = true);

int main(int argc, char **argv)
{
        struct cli_ctx ctx = {0};
        struct global_flags g = {.ctx = &ctx};

        box_log_init();
        /* started with SIGCHLD ignored (a parent's SIG_IGN survives execve),
         * the kernel would reap box's children itself: no exit status for
         * the container, no SIGCHLD on the signalfd */
        signal(SIGCHLD, SIG_DFL);
        ctx.root = getenv("BOX_ROOT");
        if (!ctx.root || !*ctx.root)
                ctx.root = "/var/lib/box";
        ctx.runroot = getenv("BOX_RUNROOT");
        if (!ctx.runroot || !*ctx.runroot)
                ctx.runroot = "/run/box";

        optind = 0;
        int cmd_at = cli_options_parse(&global_options, &g, argc, argv);
        if (cmd_at <= 0)
                return -cmd_at;
        if (g.help) {
                print_usage(stdout);
                return 0;
        }
        optind = 0; /* glibc: re-initialise getopt for the command's own flags */
        if (g.version)
                return cmd_version(&ctx, 1, (char *[]){"version", NULL});
        _cleanup_free_ char *abs_runroot = NULL;
        if (ctx.runroot[0] != '/') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return cli_usage_error(NULL, "--runroot '%s': cannot make it absolute",
                                               ctx.runroot);
                abs_runroot = xasprintf("%s/%s", cwd, ctx.runroot);
                ctx.runroot = abs_runroot;
        }
        if (cmd_at >= argc) {
                print_usage(stderr);
                return EXIT_BOX;
        }
        const char *name = argv[cmd_at];
        if (streq(name, "help")) {
                if (cmd_at + 1 < argc) {
                        char *hargv[] = {argv[cmd_at + 1], "--help", NULL};
                        for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++)
                                if (streq(cmd->name, hargv[0]))
                                        return cmd->run(&ctx, 2, hargv);
                }
                print_usage(stdout);
                return 0;
        }
        for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++) {
                if (streq(cmd->name, name)) {
                        int r = cmd->run(&ctx, argc - cmd_at, argv + cmd_at);
                        store_close(ctx.store);
                        fflush(stdout);
                        return r;
                }
        }
        return cli_usage_error(NULL, "unknown command '%s'", name);
}

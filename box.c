/* box: a daemonless image builder and container runner. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
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

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"root", required_argument, NULL, 'r'},
                {"runroot", required_argument, NULL, 'R'},
                {"log-level", required_argument, NULL, 'l'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct cli_ctx ctx = {0};
        int c;

        box_log_init();
        ctx.root = getenv("BOX_ROOT");
        if (!ctx.root || !*ctx.root)
                ctx.root = "/var/lib/box";
        ctx.runroot = getenv("BOX_RUNROOT");
        if (!ctx.runroot || !*ctx.runroot)
                ctx.runroot = "/run/box";

        while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        ctx.root = optarg;
                        break;
                case 'R':
                        ctx.runroot = optarg;
                        break;
                case 'l': {
                        int l = box_log_parse_level(optarg);
                        if (l < 0)
                                return cli_usage_error(NULL, "invalid --log-level '%s'", optarg);
                        box_log_level = l;
                        break;
                }
                case 'v':
                        if (box_log_level < BOX_LOG_DEBUG)
                                box_log_level++;
                        break;
                case 'h':
                        print_usage(stdout);
                        return 0;
                case 'V':
                        return cmd_version(&ctx, 1, (char *[]){"version", NULL});
                default:
                        fputs("See 'box --help'.\n", stderr);
                        return EXIT_BOX;
                }
        }
        _cleanup_free_ char *abs_runroot = NULL;
        if (ctx.runroot[0] != '/') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return cli_usage_error(NULL, "--runroot '%s': cannot make it absolute",
                                               ctx.runroot);
                abs_runroot = xasprintf("%s/%s", cwd, ctx.runroot);
                ctx.runroot = abs_runroot;
        }
        if (optind >= argc) {
                print_usage(stderr);
                return EXIT_BOX;
        }
        const char *name = argv[optind];
        if (streq(name, "help")) {
                if (optind + 1 < argc) {
                        char *hargv[] = {argv[optind + 1], "--help", NULL};
                        for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++)
                                if (streq(cmd->name, hargv[0]))
                                        return cmd->run(&ctx, 2, hargv);
                }
                print_usage(stdout);
                return 0;
        }
        int first = optind;
        for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++) {
                if (streq(cmd->name, name)) {
                        optind = 0; /* glibc: re-initialise getopt for the command's own flags */
                        int r = cmd->run(&ctx, argc - first, argv + first);
                        store_close(ctx.store);
                        fflush(stdout);
                        return r;
                }
        }
        fprintf(stderr, "box: error: unknown command '%s'\nSee 'box --help'.\n", name);
        return EXIT_BOX;
}

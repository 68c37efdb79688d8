/* box rm [-f] [-v] CONTAINER...: removes stopped containers (running ones
 * too with -f, after killing them). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "run/state.h"
#include "store/store.h"

static const char help[] = "Usage: box rm [OPTIONS] CONTAINER [CONTAINER...]\n"
                           "\n"
                           "Remove one or more containers.\n"
                           "\n"
                           "Options:\n"
                           "  -f, --force     kill and remove a running container\n"
                           "  -v, --volumes   remove the anonymous volumes of the container\n";

int cmd_rm(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"volumes", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false, volumes = false;
        struct box_err err = {0};
        struct store *st;
        int c, ret = 0;

        while ((c = getopt_long(argc, argv, "+fvh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'v':
                        volumes = true;
                        break;
                case 'h':
                        return cli_help(help);
                default:
                        return cli_usage_error("rm", "unknown flag");
                }
        }
        if (optind >= argc)
                return cli_usage_error("rm", "'box rm' requires at least 1 argument");
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        const char *root = store_root(st);
        for (int i = optind; i < argc; i++) {
                char id[RUN_ID_LEN + 1];
                box_err_clear(&err);
                if (run_state_lookup(root, argv[i], id, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                if (run_state_is_live(ctx->runroot, id)) {
                        if (!force) {
                                box_err_set(&err, EBUSY,
                                            "cannot remove container '%s': container is running: "
                                            "stop the container before removing or force remove",
                                            argv[i]);
                                ret = cli_fail(&err);
                                continue;
                        }
                        if (run_state_kill(ctx->runroot, id, &err) < 0) {
                                ret = cli_fail(&err);
                                continue;
                        }
                }
                if (run_state_remove(root, ctx->runroot, id, volumes, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return ret;
}

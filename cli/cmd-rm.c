/* box rm [-f] [-t SECONDS] [-v] CONTAINER...: removes stopped containers (running ones
 * too with -f, after killing them). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

struct rm_flags {
        bool force, volumes;
        int timeout;
};

/* podman's rm -t/--time: with -f, a running container gets its stop signal
 * and that long before SIGKILL (the podman scripts' `rm -t 0 -f`) */
static int opt_time(void *opts, const char *arg)
{
        struct rm_flags *f = opts;
        char *end;
        errno = 0;
        long t = strtol(arg, &end, 10);
        if (end == arg || *end || errno || t < -1 || t > INT_MAX)
                return cli_usage_error("rm", "invalid argument '%s' for '-t, --time'", arg);
        f->timeout = (int)t;
        return 0;
}

#define T struct rm_flags
static const struct cli_option rm_flag_rows[] = {
        CLI_TRUE("force", 'f', T, force, "kill and remove a running container"),
        CLI_FUNC("time", 't', CLI_ARG_REQUIRED, opt_time, "SECONDS",
                 "with -f, stop a running container (its stop signal, SIGKILL after\n"
                 "SECONDS) instead of killing it"),
        CLI_TRUE("volumes", 'v', T, volumes, "remove the anonymous volumes of the container"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options rm_options =
        CLI_OPTIONS("rm", rm_flag_rows, 12,
                    "Usage: box rm [OPTIONS] CONTAINER [CONTAINER...]\n"
                    "\n"
                    "Remove one or more containers.\n"
                    "\n"
                    "Options:\n");

int cmd_rm(struct cli_ctx *ctx, int argc, char **argv)
{
        struct rm_flags f = {.timeout = CLI_STOP_TIMEOUT_UNSET};
        struct box_err err = {0};
        struct store *st;
        int ret = 0;

        int first = cli_options_parse(&rm_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("rm", "'box rm' requires at least 1 argument");
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        const char *root = store_root(st);
        for (int i = first; i < argc; i++) {
                char id[RUN_ID_LEN + 1];
                box_err_clear(&err);
                if (run_state_lookup(root, argv[i], id, &err) < 0) {
                        /* Docker's: -f of a container that is not there is
                         * no failure (its message still goes to stderr) */
                        int r = cli_fail(&err);
                        if (!f.force || err.code != ENOENT)
                                ret = r;
                        continue;
                }
                if (!f.force)
                        cli_container_settle(ctx, id);
                if (run_state_is_live(ctx->runroot, id)) {
                        if (!f.force) {
                                box_err_set(&err, EBUSY,
                                            "cannot remove container '%s': container is running: "
                                            "stop the container before removing or force remove",
                                            argv[i]);
                                ret = cli_fail(&err);
                                continue;
                        }
                        /* Docker's events: kill (its signal), the monitor's die */
                        if (f.timeout == CLI_STOP_TIMEOUT_UNSET)
                                cli_event_container_signal(ctx, id, SIGKILL);
                        if (f.timeout != CLI_STOP_TIMEOUT_UNSET
                                    ? cli_container_stop(ctx, id, f.timeout, 0, &err) < 0
                                    : run_state_kill(ctx->runroot, id, &err) < 0) {
                                ret = cli_fail(&err);
                                continue;
                        }
                }
                _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
                if (run_state_remove(root, ctx->runroot, id, f.volumes, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, NULL);
                cli_event(ctx, "container", "destroy", id, attrs);
                printf("%s\n", argv[i]);
        }
        return ret;
}

/* box container COMMAND: the container commands under one name, as in
 * Docker, and the hidden ones box's monitor runs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "spec/json.h"
#include "store/store.h"

static int container_lookup(struct cli_ctx *ctx, const char *name, struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        return cli_container_find(ctx, name, id, err);
}

static int cmd_container_exists(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_exists_main(ctx, "container exists", argc, argv, container_lookup);
}

static const struct cli_command container_commands[] = {
        {"attach", "Attach to a running container's input and output", cmd_attach, 0},
        {"cleanup", "Record a container's exit and release it (run by its monitor)",
         cmd_container_cleanup, 1},
        {"commit", "Create a new image from a container's changes", cmd_commit, 0},
        {"cp", "Copy files between a container and the host", cmd_cp, 0},
        {"create", "Create a new container", cmd_create, 0},
        {"diff", "Inspect changes to files or directories on a container's filesystem", cmd_diff,
         0},
        {"exec", "Execute a command in a running container", cmd_exec, 0},
        {"export", "Export a container's file system as a tar archive", cmd_export, 0},
        {"healthcheck", "Run a container's health check once (run by its monitor)",
         cmd_container_healthcheck, 1},
        {"exists", "Exit 0 if a container exists, 1 if not", cmd_container_exists, 0},
        {"inspect", "Display detailed information on containers", cmd_container_inspect, 0},
        {"kill", "Kill one or more running containers", cmd_container_verb, 0},
        {"list", "List containers", cmd_ps, 1},
        {"logs", "Fetch the logs of a container", cmd_logs, 0},
        {"ls", "List containers", cmd_ps, 0},
        {"pause", "Pause all processes within one or more containers", cmd_container_verb, 0},
        {"port", "List a container's published ports", cmd_port, 0},
        {"prune", "Remove all stopped containers", cmd_container_prune, 0},
        {"ps", "List containers", cmd_ps, 1},
        {"rename", "Rename a container", cmd_rename, 0},
        {"restart", "Restart one or more containers", cmd_container_verb, 0},
        {"rm", "Remove one or more containers", cmd_rm, 0},
        {"run", "Create and run a new container", cmd_run, 0},
        {"start", "Start one or more stopped containers", cmd_container_verb, 0},
        {"stats", "Display a live stream of container resource usage", cmd_stats, 0},
        {"stop", "Stop one or more running containers", cmd_container_verb, 0},
        {"top", "Display the running processes of a container", cmd_top, 0},
        {"unpause", "Unpause all processes within one or more containers", cmd_container_verb, 0},
        {"update", "Update configuration of one or more containers", cmd_update, 0},
        {"wait", "Block until containers stop, then print their exit codes", cmd_wait, 0},
        {},
};

int cmd_container(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "container", container_commands, argc, argv);
}

static const char wait_help[] = "Usage: box wait CONTAINER [CONTAINER...]\n"
                                "\n"
                                "Block until one or more containers stop, then print their exit "
                                "codes.\n";

/* The exit code the last "die" event of container ID records in log file
 * PATH, -1 when none does. */
static int die_event_code(const char *path, const char *id)
{
        _cleanup_free_ char *log = NULL;
        if (fs_read_file_at(AT_FDCWD, path, 4 * RUN_EVENTS_LOG_MAX, &log, NULL, NULL) < 0)
                return -1;
        int code = -1;
        _cleanup_free_ char *want = xasprintf("\"id\":\"%s\"", id);
        for (char *l = log, *nl; l && *l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = '\0';
                if (!strstr(l, want) || !strstr(l, "\"Action\":\"die\""))
                        continue;
                _cleanup_jv_ struct jv *ev = NULL;
                if (jv_parse(l, strlen(l), &ev, NULL) < 0)
                        continue;
                const char *c = jv_get_str(jv_get(jv_get(ev, "Actor"), "Attributes"), "exitCode");
                char *end;
                long v = c ? strtol(c, &end, 10) : -1;
                if (c && !*end && v >= 0 && v <= 255)
                        code = (int)v;
        }
        return code;
}

/* A container removed while box waited for it (--rm): its exit code from
 * its die event, as Docker's wait reports it; 0 when none is found. */
static int removed_exit_code(struct cli_ctx *ctx, const char *id)
{
        for (int rotated = 0; rotated <= 1; rotated++) {
                _cleanup_free_ char *p = run_events_path(ctx->runroot, rotated);
                int code = die_event_code(p, id);
                if (code >= 0)
                        return code;
        }
        return 0;
}

int cmd_wait(struct cli_ctx *ctx, int argc, char **argv)
{
        int ret = 0;
        int first = cli_options_parse_help("wait", wait_help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("wait", "'box wait' requires at least 1 argument");
        for (int a = first; a < argc; a++) {
                struct box_err err = {0};
                char id[RUN_ID_LEN + 1];
                if (cli_container_find(ctx, argv[a], id, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                /* until it is neither running nor about to run again; its
                 * pid 1 first, then the monitor's record of the exit */
                struct run_state_info i;
                for (;;) {
                        cli_container_state(ctx, id, &i);
                        /* exited, and its monitor done with it (a restart
                         * policy may start it again until then) */
                        if ((i.status == RUN_STATUS_EXITED && !i.monitored) ||
                            i.status == RUN_STATUS_CREATED)
                                break;
                        run_state_info_release(&i);
                        if (run_state_wait_exit(ctx->runroot, id, 100) == 0)
                                (void)run_state_wait_monitor(ctx->runroot, id, 100);
                }
                /* removed meanwhile (--rm): its record went with it */
                _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
                printf("%d\n", cfg ? i.exit_code : removed_exit_code(ctx, id));
                fflush(stdout);
                run_state_info_release(&i);
        }
        return ret;
}

int cmd_rename(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct store *st;
        char id[RUN_ID_LEN + 1];
        int first = cli_options_parse_help(
                "rename", "Usage: box rename CONTAINER NEW_NAME\n\nRename a container.\n", false,
                argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 2)
                return cli_usage_error("rename", "'box rename' requires exactly 2 arguments");
        argv += first - 1;
        if (cli_store(ctx, &st, &err) < 0 || cli_container_find(ctx, argv[1], id, &err) < 0)
                return cli_fail(&err);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        _cleanup_free_ char *old = xstrdup(strempty(jv_get_str(cfg, "Name")));
        if (run_state_rename(store_root(st), id, argv[2], &err) < 0)
                return cli_fail(&err);
        cli_event_container(ctx, id, "rename", (char *[]){"oldName", old, NULL});
        return 0;
}

struct container_prune_flags {
        struct cli_prune_filter *filter;
        bool force;
};

static int opt_prune_filter(void *opts, const char *arg)
{
        struct container_prune_flags *f = opts;
        return cli_prune_filter_add(f->filter, "container prune", CLI_PRUNE_UNTIL | CLI_PRUNE_LABEL,
                                    arg);
}

static const struct cli_option prune_flag_rows[] = {
        CLI_FUNC("filter", 0, CLI_ARG_REQUIRED, opt_prune_filter, "filter",
                 "only those matching: until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]"),
        CLI_TRUE("force", 'f', struct container_prune_flags, force,
                 "do not prompt for confirmation"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options prune_options =
        CLI_OPTIONS("container prune", prune_flag_rows, 16,
                    "Usage: box container prune [OPTIONS]\n\nRemove all stopped containers.\n\n"
                    "Options:\n");

int cmd_container_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        _cleanup_(cli_prune_filter_release) struct cli_prune_filter filter = {0};
        struct container_prune_flags f = {.filter = &filter};
        int first = cli_options_parse(&prune_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("container prune",
                                       "'box container prune' accepts no arguments");
        if (!f.force && !cli_confirm("This will remove all stopped containers."))
                return 0;
        struct box_err err = {0};
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        int64_t freed = 0;
        if (cli_containers_prune(ctx, &filter, &freed, &err) < 0)
                return cli_fail(&err);
        char size[32];
        cli_format_size(size, sizeof(size), (double)freed);
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

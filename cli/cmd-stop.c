/* box start, stop, kill, restart, pause, unpause: a container's life from
 * any shell.  Each takes containers by name, id or id prefix, prints each
 * one as it was named once done, and goes on past a failure (the exit
 * status is the last failure's). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli/container.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static const char start_help[] = "Usage: box start [OPTIONS] CONTAINER [CONTAINER...]\n"
                                 "\n"
                                 "Start one or more stopped containers.\n"
                                 "\n"
                                 "Options:\n"
                                 "  -a, --attach             attach stdout/stderr and forward "
                                 "signals\n"
                                 "      --detach-keys KEYS   keys that detach (default "
                                 "ctrl-p,ctrl-q)\n"
                                 "  -i, --interactive        attach stdin\n";

static const char stop_help[] =
        "Usage: box stop [OPTIONS] CONTAINER [CONTAINER...]\n"
        "\n"
        "Stop one or more running containers: the stop signal (the image's STOPSIGNAL,\n"
        "--stop-signal, or SIGTERM), then SIGKILL after the timeout.\n"
        "\n"
        "Options:\n"
        "  -s, --signal SIG   signal to send instead of the stop signal\n"
        "  -t, --time SECS    seconds to wait before killing it (default: its\n"
        "                     --stop-timeout, or 10; -1: wait for ever)\n";

static const char restart_help[] = "Usage: box restart [OPTIONS] CONTAINER [CONTAINER...]\n"
                                   "\n"
                                   "Restart one or more containers.\n"
                                   "\n"
                                   "Options:\n"
                                   "  -t, --time SECS    seconds to wait before killing it\n";

static const char kill_help[] = "Usage: box kill [OPTIONS] CONTAINER [CONTAINER...]\n"
                                "\n"
                                "Kill one or more running containers.\n"
                                "\n"
                                "Options:\n"
                                "  -s, --signal SIG   signal to send: a name (KILL, SIGKILL) or a "
                                "number (default KILL)\n";

static const char pause_help[] = "Usage: box pause CONTAINER [CONTAINER...]\n"
                                 "\n"
                                 "Pause all processes within one or more containers (the cgroup "
                                 "freezer).\n";

static const char unpause_help[] = "Usage: box unpause CONTAINER [CONTAINER...]\n"
                                   "\n"
                                   "Unpause all processes within one or more containers.\n";

enum verb { VERB_START, VERB_STOP, VERB_RESTART, VERB_KILL, VERB_PAUSE, VERB_UNPAUSE };

struct verb_opts {
        enum verb verb;
        int timeout; /* CLI_STOP_TIMEOUT_UNSET: the container's; < 0: forever */
        int sig;     /* kill/stop -s; 0: the default */
        bool attach, interactive;
        const char *detach_keys;
};

static int do_kill(struct cli_ctx *ctx, const char *id, const char *name, int sig,
                   struct box_err *err)
{
        if (cli_container_status(ctx, id) != RUN_STATUS_RUNNING)
                return box_err_set(err, EINVAL, "cannot kill container '%s': it is not running",
                                   name);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        /* SIGKILL or its stop signal: the user stops it, no restart
         * (Docker's ExitOnNext), and a frozen container is thawed so it can
         * act on the signal */
        bool stopping = sig == SIGKILL || sig == cli_container_stop_signal(cfg);
        if (stopping)
                (void)run_state_mark(ctx->runroot, id, RUN_MARK_STOPPING);
        int r = run_state_signal(ctx->runroot, id, sig, err);
        if (r >= 0 && stopping && cli_container_paused(ctx, id))
                (void)cli_container_freeze(ctx, id, false, NULL);
        return r;
}

/* box start -a [-i]: started under its monitor, which waits for this
 * attach; one already running is attached.  Its status (0: detached). */
static int start_attach(struct cli_ctx *ctx, const struct verb_opts *o, const char *name)
{
        struct box_err err = {0};
        char id[RUN_ID_LEN + 1];
        if (cli_container_find(ctx, name, id, &err) < 0)
                return cli_fail(&err);
        enum run_status st = cli_container_status(ctx, id);
        if (cli_container_paused(ctx, id)) {
                box_err_set(&err, EINVAL,
                            "cannot start a paused container '%s', try unpause instead", name);
                return cli_fail(&err);
        }
        if (st != RUN_STATUS_RUNNING && st != RUN_STATUS_RESTARTING &&
            cli_container_start(ctx, id, true, &err) < 0)
                return cli_fail(&err);
        struct cli_attach_opts a = {.no_stdin = !o->interactive,
                                    .detach_keys = o->detach_keys,
                                    .stdin_once = true,
                                    .sig_proxy = true};
        bool detached;
        int status = cli_container_attach(ctx, id, &a, &detached, &err);
        if (status < 0)
                return cli_fail(&err);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const char *policy = jv_get_str(jv_get(jv_get(cfg, "HostConfig"), "RestartPolicy"), "Name");
        /* recorded exited (or removed) before box returns, as docker start -a */
        if (!detached && (!policy || streq(policy, "no")))
                (void)run_state_wait_monitor(ctx->runroot, id, -1);
        return status;
}

static int do_start(struct cli_ctx *ctx, const char *id, const char *name, struct box_err *err)
{
        enum run_status st = cli_container_status(ctx, id);
        if (st == RUN_STATUS_RUNNING || st == RUN_STATUS_RESTARTING) {
                if (cli_container_paused(ctx, id))
                        return box_err_set(err, EINVAL,
                                           "cannot start a paused container '%s', try unpause "
                                           "instead",
                                           name);
                return 0;
        }
        return cli_container_start(ctx, id, false, err);
}

static int do_pause(struct cli_ctx *ctx, const char *id, const char *name, bool pause,
                    struct box_err *err)
{
        if (cli_container_status(ctx, id) != RUN_STATUS_RUNNING)
                return box_err_set(err, EINVAL, "container '%s' is not running", name);
        bool paused = cli_container_paused(ctx, id);
        if (pause && paused)
                return box_err_set(err, EINVAL, "container '%s' is already paused", name);
        if (!pause && !paused)
                return box_err_set(err, EINVAL, "container '%s' is not paused", name);
        return cli_container_freeze(ctx, id, pause, err);
}

static int do_one(struct cli_ctx *ctx, const struct verb_opts *o, const char *name,
                  struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        int r = cli_container_find(ctx, name, id, err);
        if (r < 0)
                return r;
        switch (o->verb) {
        case VERB_START:
                return do_start(ctx, id, name, err);
        case VERB_STOP:
                return cli_container_stop(ctx, id, o->timeout, o->sig, err);
        case VERB_RESTART:
                r = cli_container_stop(ctx, id, o->timeout, 0, err);
                return r < 0 ? r : cli_container_start(ctx, id, false, err);
        case VERB_KILL:
                return do_kill(ctx, id, name, o->sig > 0 ? o->sig : SIGKILL, err);
        case VERB_PAUSE:
        case VERB_UNPAUSE:
                return do_pause(ctx, id, name, o->verb == VERB_PAUSE, err);
        }
        return 0;
}

static int verb_main(struct cli_ctx *ctx, int argc, char **argv, struct verb_opts *o,
                     const char *cmd, const char *help)
{
        enum { OPT_DETACH_KEYS = 1000 };
        static const struct option opts[] = {
                {"time", required_argument, NULL, 't'},
                {"timeout", required_argument, NULL, 't'},
                {"signal", required_argument, NULL, 's'},
                {"attach", no_argument, NULL, 'a'},
                {"interactive", no_argument, NULL, 'i'},
                {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool takes_t = o->verb == VERB_STOP || o->verb == VERB_RESTART;
        bool takes_s = o->verb == VERB_STOP || o->verb == VERB_KILL;
        int c, ret = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:s:aih", opts, NULL)) != -1) {
                char *end;
                if (c == 'h')
                        return cli_help(help);
                if (c == 't' && takes_t) {
                        long t = strtol(optarg, &end, 10);
                        if (end == optarg || *end)
                                return cli_usage_error(cmd, "invalid --time '%s'", optarg);
                        o->timeout = (int)t;
                } else if (c == 's' && takes_s) {
                        o->sig = cli_signal_parse(optarg);
                        if (o->sig < 0)
                                return cli_usage_error(cmd, "invalid signal: '%s'", optarg);
                } else if (c == 'a' && o->verb == VERB_START) {
                        o->attach = true;
                } else if (c == 'i' && o->verb == VERB_START) {
                        o->interactive = true;
                } else if (c == OPT_DETACH_KEYS && o->verb == VERB_START) {
                        unsigned char keys[16];
                        size_t n;
                        if (cli_detach_keys_parse(optarg, keys, &n) < 0)
                                return cli_usage_error(cmd, "invalid detach keys '%s'", optarg);
                        o->detach_keys = optarg;
                } else {
                        return cli_usage_error(cmd, "unknown flag '%s'", argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return cli_usage_error(cmd, "'box %s' requires at least 1 argument", cmd);
        if ((o->attach || o->interactive) && argc - optind > 1)
                return cli_usage_error(cmd,
                                       "you cannot start and attach multiple containers at once");
        if (o->attach || o->interactive)
                return start_attach(ctx, o, argv[optind]);
        for (int i = optind; i < argc; i++) {
                struct box_err err = {0};
                if (do_one(ctx, o, argv[i], &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("%s\n", argv[i]);
                fflush(stdout);
        }
        return ret;
}

static const struct {
        const char *cmd, *help;
} verbs[] = {
        [VERB_START] = {"start", start_help},       [VERB_STOP] = {"stop", stop_help},
        [VERB_RESTART] = {"restart", restart_help}, [VERB_KILL] = {"kill", kill_help},
        [VERB_PAUSE] = {"pause", pause_help},       [VERB_UNPAUSE] = {"unpause", unpause_help},
};

/* box start|stop|restart|kill|pause|unpause (also under box container):
 * the verb is the command's name. */
int cmd_container_verb(struct cli_ctx *ctx, int argc, char **argv)
{
        for (size_t v = 0; v < ARRAY_SIZE(verbs); v++) {
                if (streq(argv[0], verbs[v].cmd)) {
                        struct verb_opts o = {.verb = (enum verb)v,
                                              .timeout = CLI_STOP_TIMEOUT_UNSET};
                        return verb_main(ctx, argc, argv, &o, verbs[v].cmd, verbs[v].help);
                }
        }
        return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
}

/* box start, stop, kill, restart, pause, unpause: a container's life from
 * any shell.  Each takes containers by name, id or id prefix, prints each
 * one as it was named once done, and goes on past a failure (the exit
 * status is the last failure's). */
#include <signal.h>
#include <stdio.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/xalloc.h"
#include "spec/json.h"

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
        if (r >= 0)
                cli_event_container_signal(ctx, id, sig);
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
        cli_container_settle(ctx, id);
        enum run_status st = cli_container_status(ctx, id);
        if (cli_container_paused(ctx, id)) {
                box_err_set(&err, EINVAL,
                            "cannot start a paused container '%s', try unpause instead", name);
                return cli_fail(&err);
        }
        cli_event_container(ctx, id, "attach", NULL);
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
        cli_container_settle(ctx, id);
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
        int r = cli_container_freeze(ctx, id, pause, err);
        if (r >= 0)
                cli_event_container(ctx, id, pause ? "pause" : "unpause", NULL);
        return r;
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
                if (r >= 0)
                        r = cli_container_start(ctx, id, false, err);
                if (r >= 0)
                        cli_event_container(ctx, id, "restart", NULL);
                return r;
        case VERB_KILL:
                return do_kill(ctx, id, name, o->sig > 0 ? o->sig : SIGKILL, err);
        case VERB_PAUSE:
        case VERB_UNPAUSE:
                return do_pause(ctx, id, name, o->verb == VERB_PAUSE, err);
        }
        return 0;
}

static const char *const verb_names[] = {
        [VERB_START] = "start", [VERB_STOP] = "stop",   [VERB_RESTART] = "restart",
        [VERB_KILL] = "kill",   [VERB_PAUSE] = "pause", [VERB_UNPAUSE] = "unpause",
};

static int opt_time(void *opts, const char *arg)
{
        struct verb_opts *o = opts;
        char *end;
        long t = strtol(arg, &end, 10);
        if (end == arg || *end)
                return cli_usage_error(verb_names[o->verb], "invalid --time '%s'", arg);
        o->timeout = (int)t;
        return 0;
}

static int opt_signal(void *opts, const char *arg)
{
        struct verb_opts *o = opts;
        o->sig = cli_signal_parse(arg);
        if (o->sig < 0)
                return cli_usage_error(verb_names[o->verb], "invalid signal: '%s'", arg);
        return 0;
}

static int opt_detach_keys(void *opts, const char *arg)
{
        struct verb_opts *o = opts;
        unsigned char keys[16];
        size_t n;
        if (cli_detach_keys_parse(arg, keys, &n) < 0)
                return cli_usage_error(verb_names[o->verb], "invalid detach keys '%s'", arg);
        o->detach_keys = arg;
        return 0;
}

#define T                 struct verb_opts
#define R                 CLI_ARG_REQUIRED
#define SIGNAL_ROW(help_) CLI_FUNC("signal", 's', R, opt_signal, "SIG", help_)
#define TIME_ROWS(help_)                                                                           \
        CLI_FUNC("time", 't', R, opt_time, "SECS", help_),                                         \
                CLI_FUNC("timeout", 0, R, opt_time, NULL, NULL)
static const struct cli_option start_flag_rows[] = {
        CLI_TRUE("attach", 'a', T, attach, "attach stdout/stderr and forward signals"),
        CLI_FUNC("detach-keys", 0, R, opt_detach_keys, "KEYS",
                 "keys that detach (default ctrl-p,ctrl-q)"),
        CLI_TRUE("interactive", 'i', T, interactive, "attach stdin"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option stop_flag_rows[] = {
        SIGNAL_ROW("signal to send instead of the stop signal"),
        TIME_ROWS("seconds to wait before killing it (default: its\n"
                  "--stop-timeout, or 10; -1: wait for ever)"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option restart_flag_rows[] = {
        TIME_ROWS("seconds to wait before killing it"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option kill_flag_rows[] = {
        SIGNAL_ROW("signal to send: a name (KILL, SIGKILL) or a number (default KILL)"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option no_flag_rows[] = {
        CLI_HELP("help", 'h'),
};
#undef TIME_ROWS
#undef SIGNAL_ROW
#undef R
#undef T

#define VERB(verb_, name_, rows_, width_, usage_)                                                  \
        [verb_] = CLI_OPTIONS(name_, rows_, width_, usage_)
static const struct cli_options verb_options[] = {
        VERB(VERB_START, "start", start_flag_rows, 21,
             "Usage: box start [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Start one or more stopped containers.\n"
             "\n"
             "Options:\n"),
        VERB(VERB_STOP, "stop", stop_flag_rows, 15,
             "Usage: box stop [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Stop one or more running containers: the stop signal (the image's STOPSIGNAL,\n"
             "--stop-signal, or SIGTERM), then SIGKILL after the timeout.\n"
             "\n"
             "Options:\n"),
        VERB(VERB_RESTART, "restart", restart_flag_rows, 15,
             "Usage: box restart [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Restart one or more containers.\n"
             "\n"
             "Options:\n"),
        VERB(VERB_KILL, "kill", kill_flag_rows, 15,
             "Usage: box kill [OPTIONS] CONTAINER [CONTAINER...]\n"
             "\n"
             "Kill one or more running containers.\n"
             "\n"
             "Options:\n"),
        VERB(VERB_PAUSE, "pause", no_flag_rows, 0, pause_help),
        VERB(VERB_UNPAUSE, "unpause", no_flag_rows, 0, unpause_help),
};
#undef VERB

static int verb_main(struct cli_ctx *ctx, int argc, char **argv, struct verb_opts *o)
{
        const char *cmd = verb_names[o->verb];
        int ret = 0;
        int first = cli_options_parse(&verb_options[o->verb], o, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error(cmd, "'box %s' requires at least 1 argument", cmd);
        if ((o->attach || o->interactive) && argc - first > 1)
                return cli_usage_error(cmd,
                                       "you cannot start and attach multiple containers at once");
        if (o->attach || o->interactive)
                return start_attach(ctx, o, argv[first]);
        for (int i = first; i < argc; i++) {
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

/* box start|stop|restart|kill|pause|unpause (also under box container):
 * the verb is the command's name. */
int cmd_container_verb(struct cli_ctx *ctx, int argc, char **argv)
{
        for (size_t v = 0; v < ARRAY_SIZE(verb_names); v++) {
                if (streq(argv[0], verb_names[v])) {
                        struct verb_opts o = {.verb = (enum verb)v,
                                              .timeout = CLI_STOP_TIMEOUT_UNSET};
                        return verb_main(ctx, argc, argv, &o);
                }
        }
        return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
}

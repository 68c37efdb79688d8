/* box exec [OPTIONS] CONTAINER COMMAND [ARG...]
 *
 * Runs a command in a running container (run/exec.c) and exits with its
 * status, as docker exec does: 126 when it cannot be executed, 127 when it
 * is not found, 125 when box fails (the container is not running: "box:
 * error: container <id> is not running", Docker's daemon message). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "cli/cmd-run.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "run/exec.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

struct exec_opts {
        struct run_exec x;
        char **env_flags, **env_files;
};

static int opt_workdir(void *opts, const char *arg)
{
        struct exec_opts *o = opts;
        if (arg[0] != '/')
                return cli_usage_error("exec",
                                       "the working directory '%s' is invalid, it needs to be an "
                                       "absolute path",
                                       arg);
        o->x.cwd = arg;
        return 0;
}

/* Docker's exec -it detaches at these keys and its daemon keeps the
 * process and its terminal; box exec is the process's only holder (no
 * daemon, and the container's monitor does not own an exec), so it could
 * not detach without leaving the process's terminal hung up: refused
 * rather than ignored.  exec -d runs a command in the background. */
static int opt_detach_keys(void *opts, const char *arg)
{
        (void)opts;
        (void)arg;
        struct box_err err = {0};
        box_err_set(&err, ENOTSUP,
                    "exec --detach-keys is not supported: box has no daemon to keep an exec's "
                    "terminal once box exits (use exec -d for a command in the background)");
        return cli_fail(&err);
}

#define T struct exec_opts
static const struct cli_option exec_flag_rows[] = {
        CLI_TRUE("detach", 'd', T, x.detach, "run the command in the background"),
        CLI_STRV("env", 'e', T, env_flags, "K=V|K",
                 "set an environment variable (K alone: box's value)"),
        CLI_STRV("env-file", 0, T, env_files, "FILE", "read environment variables from FILE"),
        CLI_TRUE("interactive", 'i', T, x.interactive, "keep stdin attached"),
        CLI_TRUE("privileged", 0, T, x.privileged, "every capability (the seccomp filter stays)"),
        CLI_TRUE("tty", 't', T, x.tty, "allocate a pseudo-TTY"),
        CLI_STRING("user", 'u', T, x.user, "USER[:GROUP]",
                   "user and group (names from the container's files)"),
        CLI_FUNC("workdir", 'w', CLI_ARG_REQUIRED, opt_workdir, "DIR",
                 "working directory inside the container"),
        CLI_FUNC("detach-keys", 0, CLI_ARG_REQUIRED, opt_detach_keys, NULL, NULL),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options exec_options =
        CLI_OPTIONS("exec", exec_flag_rows, 22,
                    "Usage: box exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
                    "\n"
                    "Execute a command in a running container.\n"
                    "\n"
                    "Options:\n",
                    .stop_at_operand = true);

/* --env-file's entries, then -e's (K alone: box's own value, when set). */
static int exec_env(const struct exec_opts *o, char ***ret, struct box_err *err)
{
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        STRV_FOREACH (f, o->env_files) {
                _cleanup_free_ char *content = NULL;
                int r = fs_read_file_at(AT_FDCWD, *f, 1 << 24, &content, NULL, err);
                if (r < 0 || (r = cli_run_parse_env_file(content, *f, &v, err)) < 0)
                        return r;
        }
        int r = cli_env_flags_apply(&v, o->env_flags, true, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

/* Docker's exec_create, exec_start (one write) and exec_die events, with
 * an exec id of its own (box keeps no exec records). */
struct exec_events {
        const char *id;
        char exec_id[RUN_ID_LEN + 1];
        char **attrs;
};

static void exec_events_begin(struct cli_ctx *ctx, const char *id, char *const *argv,
                              struct exec_events *ev)
{
        ev->id = id;
        run_random_id(ev->exec_id);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        ev->attrs = cli_event_container_attrs(cfg, (char *[]){"execID", ev->exec_id, NULL});
        _cleanup_free_ char *cmd = strv_join(argv, " ");
        _cleanup_free_ char *created = xasprintf("exec_create: %s", cmd);
        _cleanup_free_ char *started = xasprintf("exec_start: %s", cmd);
        struct run_event evs[] = {{"container", created, id, ev->attrs, 0},
                                  {"container", started, id, ev->attrs, 0}};
        struct box_err err = {0};
        if (run_events_append(ctx->runroot, evs, 2, &err) < 0)
                log_warn("%s, ignoring", err.msg);
}

static void exec_events_end(struct cli_ctx *ctx, struct exec_events *ev, int status)
{
        char code[16];
        snprintf(code, sizeof(code), "%d", status);
        ev->attrs = strv_append(ev->attrs, "exitCode");
        ev->attrs = strv_append(ev->attrs, code);
        cli_event(ctx, "container", "exec_die", ev->id, ev->attrs);
        strv_free(ev->attrs);
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
        struct exec_opts o = {0};
        struct box_err err = {0};
        _cleanup_strv_free_ char **env = NULL;
        struct store *st;
        int status = 0, r;

        int first = cli_options_parse(&exec_options, &o, argc, argv);
        if (first <= 0 || argc - first < 2) {
                strv_free(o.env_flags);
                strv_free(o.env_files);
                if (first <= 0)
                        return -first;
                return cli_usage_error("exec", "'box exec' requires at least 2 arguments");
        }
        r = exec_env(&o, &env, &err);
        strv_free(o.env_flags);
        strv_free(o.env_files);
        if (r < 0)
                return cli_fail(&err);
        /* as run's -it: a terminal for the process needs one to relay */
        if (o.x.interactive && o.x.tty && !o.x.detach && !isatty(0))
                return cli_usage_error(NULL, "the input device is not a TTY");
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        char id[RUN_ID_LEN + 1];
        if (run_state_lookup(store_root(st), argv[first], id, &err) < 0)
                return cli_fail(&err);
        o.x.argv = argv + first + 1;
        o.x.env = env;
        struct exec_events ev;
        exec_events_begin(ctx, id, o.x.argv, &ev);
        r = run_exec(store_root(st), ctx->runroot, id, &o.x, &status, &err);
        exec_events_end(ctx, &ev, r < 0 ? (err.exit_code ? err.exit_code : EXIT_BOX) : status);
        if (r < 0)
                return cli_fail(&err);
        return status;
}

/* box generate systemd [--new] [--name] [-t SECS] [--restart-policy P] CONTAINER
 *
 * A systemd unit for a container, as `podman generate systemd` writes one,
 * on stdout: without a daemon, systemd is the supervisor.  By default the
 * unit starts and stops the existing container (box start / box stop; box's
 * monitor forks off, hence Type=forking); with --new each start runs a
 * fresh container from the command line that created this one (its
 * CreateCommand), with -d --rm --name, and each stop removes it.  The unit
 * names box by the absolute path of the running binary and carries the
 * store's BOX_ROOT and BOX_RUNROOT. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd-run.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

struct gen_opts {
        bool new, use_name;
        const char *restart;
        long stop_time;
};

static const char *const restart_policies[] = {
        "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always",
};

/* One word of a unit file line, quoted when it must be, with systemd's
 * escapes: "\\" and "\"", "%%" so no specifier is expanded, and in an
 * Exec line "$$" so no variable is.  Control bytes are escaped: systemd
 * ends a line at a CR as at a LF, so a raw one in a value (an -e or a
 * --label of the creating command) would start a directive of its own. */
static void put_word_in(struct buf *b, const char *w, bool first, bool exec)
{
        bool quote = !*w || strpbrk(w, " \t\n\"'\\;") != NULL;
        for (const char *p = w; *p && !quote; p++)
                quote = (unsigned char)*p < 0x20 || *p == 0x7f;
        if (!first)
                buf_puts(b, " ");
        if (quote)
                buf_puts(b, "\"");
        for (const char *p = w; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c == '"' || c == '\\')
                        buf_printf(b, "\\%c", c);
                else if (c == '\n')
                        buf_puts(b, "\\n");
                else if (c == '\t')
                        buf_puts(b, "\\t");
                else if (c < 0x20 || c == 0x7f)
                        buf_printf(b, "\\x%02x", c);
                else if (c == '%' || (exec && c == '$'))
                        buf_printf(b, "%c%c", c, c);
                else
                        buf_printf(b, "%c", c);
        }
        if (quote)
                buf_puts(b, "\"");
}

static void put_word(struct buf *b, const char *w, bool first)
{
        put_word_in(b, w, first, true);
}

/* Flags of `box run` --new replaces: its own -d --rm --name. */
static bool dropped(const char *a)
{
        return streq(a, "-d") || streq(a, "--detach") || streq(a, "--rm") || streq(a, "--name") ||
               startswith(a, "--name=") || startswith(a, "--detach=");
}

/* ExecStart of --new: the CreateCommand ("run", flags, IMAGE, CMD...),
 * with -d --rm --name NAME first. */
static int new_exec_start(struct buf *b, const char *box, const struct jv *cfg, const char *name,
                          struct box_err *err)
{
        _cleanup_strv_free_ char **argv = jv_is_array(jv_get(cfg, "CreateCommand"))
                                                  ? jv_to_strv(jv_get(cfg, "CreateCommand"))
                                                  : NULL;
        /* podman's rule: a container made by create is recreated by run -d */
        if (!argv || !argv[0] || (!streq(argv[0], "run") && !streq(argv[0], "create")))
                return box_err_set(err, EINVAL,
                                   "the container has no record of the command that created it "
                                   "(made by an older box): --new cannot recreate it");
        buf_puts(b, "ExecStart=");
        const char *head[] = {box, "run", "-d", "--rm", "--name", name};
        for (size_t i = 0; i < ARRAY_SIZE(head); i++)
                put_word(b, head[i], i == 0);
        /* the flags, each with its value (-e A=1, --name web): the first
         * word that is neither is IMAGE, and the rest is the command */
        size_t i = 1;
        for (int w; argv[i] && (w = cli_run_flag_words(argv[i])) > 0; i += (size_t)w) {
                if (w == 2 && !argv[i + 1])
                        break;
                if (dropped(argv[i]))
                        continue;
                put_word(b, argv[i], false);
                if (w == 2)
                        put_word(b, argv[i + 1], false);
        }
        for (; argv[i]; i++)
                put_word(b, argv[i], false);
        buf_puts(b, "\n");
        return 0;
}

static void exec_line(struct buf *b, const char *key, const char *box, const char *const *words)
{
        buf_puts(b, key);
        put_word(b, box, true);
        for (size_t i = 0; words[i]; i++)
                put_word(b, words[i], false);
        buf_puts(b, "\n");
}

/* The unit's text for container ID (named NAME, its config CFG). */
static int unit_text(const struct gen_opts *o, const char *root, const char *runroot,
                     const char *id, const char *name, const struct jv *cfg, struct buf *b,
                     struct box_err *err)
{
        char box[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", box, sizeof(box) - 1);
        if (n <= 0)
                return box_err_errno(err, errno, "find box's own binary");
        box[n] = '\0';
        const char *ref = o->use_name || o->new ? name : id;
        char t[24];
        snprintf(t, sizeof(t), "%ld", o->stop_time);
        buf_printf(b, "# container-%s.service\n# autogenerated by box\n\n", ref);
        buf_printf(b, "[Unit]\nDescription=box container-%s.service\n", ref);
        buf_puts(b, "Wants=network-online.target\nAfter=network-online.target\n");
        buf_puts(b, "RequiresMountsFor=");
        put_word_in(b, root, true, false);
        put_word_in(b, runroot, false, false);
        buf_puts(b, "\n\n[Service]\n");
        buf_puts(b, "Environment=");
        _cleanup_free_ char *er = xasprintf("BOX_ROOT=%s", root);
        _cleanup_free_ char *err_ = xasprintf("BOX_RUNROOT=%s", runroot);
        put_word_in(b, er, true, false);
        put_word_in(b, err_, false, false);
        buf_printf(b, "\nRestart=%s\nTimeoutStopSec=%ld\n", o->restart, o->stop_time + 60);
        if (o->new) {
                exec_line(b, "ExecStartPre=-", box, (const char *[]){"rm", "-f", ref, NULL});
                int r = new_exec_start(b, box, cfg, name, err);
                if (r < 0)
                        return r;
                exec_line(b, "ExecStop=", box, (const char *[]){"stop", "-t", t, ref, NULL});
                exec_line(b, "ExecStopPost=-", box, (const char *[]){"rm", "-f", ref, NULL});
        } else {
                exec_line(b, "ExecStart=", box, (const char *[]){"start", ref, NULL});
                exec_line(b, "ExecStop=", box, (const char *[]){"stop", "-t", t, ref, NULL});
                exec_line(b, "ExecStopPost=", box, (const char *[]){"stop", "-t", t, ref, NULL});
        }
        /* box's start returns once the container runs; its monitor stays */
        buf_puts(b, "Type=forking\n\n[Install]\nWantedBy=default.target\n");
        return 0;
}

static int opt_restart_policy(void *opts, const char *arg)
{
        struct gen_opts *o = opts;
        o->restart = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(restart_policies); i++)
                if (streq(arg, restart_policies[i]))
                        o->restart = restart_policies[i];
        if (!o->restart)
                return cli_usage_error("generate systemd", "invalid --restart-policy '%s'", arg);
        return 0;
}

static int opt_time(void *opts, const char *arg)
{
        struct gen_opts *o = opts;
        char *end;
        errno = 0;
        o->stop_time = strtol(arg, &end, 10);
        if (errno || *end || end == arg || o->stop_time < 0 || o->stop_time > 86400)
                return cli_usage_error("generate systemd", "invalid --time '%s'", arg);
        return 0;
}

#define T struct gen_opts
static const struct cli_option gen_flag_rows[] = {
        CLI_TRUE("name", 0, T, use_name, "name the container by its name, not its id"),
        CLI_TRUE("new", 0, T, new, "create a new container on each start, remove it on stop"),
        CLI_FUNC("restart-policy", 0, CLI_ARG_REQUIRED, opt_restart_policy, "P",
                 "the unit's Restart= (default on-failure)"),
        CLI_FUNC("time", 't', CLI_ARG_REQUIRED, opt_time, "SECS", "stop timeout (default 10)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options gen_options =
        CLI_OPTIONS("generate systemd", gen_flag_rows, 23,
                    "Usage: box generate systemd [OPTIONS] CONTAINER\n"
                    "\n"
                    "Print a systemd unit that starts and stops a container.\n"
                    "\n"
                    "Options:\n",
                    .stop_at_operand = true);

static int generate_systemd(struct cli_ctx *ctx, int argc, char **argv)
{
        struct gen_opts o = {.restart = "on-failure", .stop_time = 10};
        struct box_err err = {0};
        struct store *st;
        int first = cli_options_parse(&gen_options, &o, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("generate systemd",
                                       "'box generate systemd' requires 1 argument");
        char id[RUN_ID_LEN + 1];
        _cleanup_jv_ struct jv *cfg = NULL;
        if (cli_store(ctx, &st, &err) < 0 ||
            run_state_lookup(store_root(st), argv[first], id, &err) < 0 ||
            run_state_config(store_root(st), id, &cfg, &err) < 0)
                return cli_fail(&err);
        const char *name = jv_get_str(cfg, "Name");
        if (!name)
                name = id;
        struct buf b = {0};
        int r = unit_text(&o, store_root(st), ctx->runroot, id, name, cfg, &b, &err);
        if (r >= 0)
                fputs(b.data, stdout);
        buf_release(&b);
        return r < 0 ? cli_fail(&err) : 0;
}

static const struct cli_command generate_commands[] = {
        {"systemd", "Generate a systemd unit for a container", generate_systemd, 0},
        {},
};

int cmd_generate(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "generate", generate_commands, argc, argv);
}

/* Table-driven flags over getopt_long (see cli/options.h). */
#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* getopt_long's value for row I: its letter, else one past any letter */
#define LONG_ONLY_BASE 256

static int row_value(const struct cli_options *spec, size_t i)
{
        return spec->v[i].short_name ? spec->v[i].short_name : LONG_ONLY_BASE + (int)i;
}

static const struct cli_option *row_of(const struct cli_options *spec, int c)
{
        if (c >= LONG_ONLY_BASE)
                return (size_t)(c - LONG_ONLY_BASE) < spec->n ? &spec->v[c - LONG_ONLY_BASE] : NULL;
        for (size_t i = 0; i < spec->n; i++)
                if (spec->v[i].short_name == c)
                        return &spec->v[i];
        return NULL;
}

static int unknown_flag(const struct cli_options *spec, char **argv)
{
        if (optopt == 0)
                return cli_usage_error(spec->cmd, "unknown flag '%s'", argv[optind - 1]);
        if (optopt < LONG_ONLY_BASE)
                return cli_usage_error(spec->cmd, "unknown or incomplete flag '-%c'", optopt);
        /* a long-only flag without its argument */
        return cli_usage_error(spec->cmd, "flag '%s' needs an argument", argv[optind - 1]);
}

/* A flag without an argument, as Docker's boolean flags (pflag), also
 * takes "=true" or "=false" in its long form (--rm=true, --privileged=false):
 * scripts write them so. */
static bool takes_bool(const struct cli_option *o)
{
        return o->arg == CLI_ARG_NONE &&
               (o->kind == CLI_OPT_TRUE || o->kind == CLI_OPT_SET || o->kind == CLI_OPT_IGNORE);
}

int cli_bool_value(const char *arg, bool *ret)
{
        static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (streq(arg, yes[i]) || streq(arg, no[i])) {
                        *ret = streq(arg, yes[i]);
                        return 0;
                }
        }
        return -EINVAL;
}

int cli_options_bool(const char *cmd, const char *flag, const char *arg, bool *ret)
{
        if (!arg) {
                *ret = true;
                return 0;
        }
        if (cli_bool_value(arg, ret) == 0)
                return 0;
        return cli_usage_error(cmd, "invalid argument '%s' for '--%s': true or false", arg, flag);
}

/* Applies row O to OPTS; 0 or the exit status of a reported failure. */
static int apply(const struct cli_options *spec, const struct cli_option *o, void *opts,
                 const char *arg)
{
        char *field = (char *)opts + o->offset;
        if (takes_bool(o) && arg) {
                bool on = false;
                int r = cli_options_bool(spec->cmd, o->name, arg, &on);
                if (r != 0)
                        return r;
                /* an accepted flag whose "=false" asks what box cannot do */
                if (o->kind == CLI_OPT_IGNORE && o->value && !on) {
                        struct box_err e = {0};
                        box_err_set(&e, ENOTSUP,
                                    "--%s '%s' is not supported: box verifies no image "
                                    "signatures",
                                    o->name, arg);
                        return cli_fail(&e);
                }
                /* "=false" of a flag that sets a value leaves the default */
                if (o->kind == CLI_OPT_TRUE)
                        *(bool *)field = on;
                else if (o->kind == CLI_OPT_SET && on)
                        memcpy(field, &o->value, sizeof(int));
                return 0;
        }
        switch (o->kind) {
        case CLI_OPT_STRING:
                *(const char **)field = arg;
                return 0;
        case CLI_OPT_STRV:
                *(char ***)field = strv_append(*(char ***)field, arg);
                return 0;
        case CLI_OPT_TRUE:
                *(bool *)field = true;
                return 0;
        case CLI_OPT_SET:
                memcpy(field, &o->value, sizeof(int));
                return 0;
        case CLI_OPT_IGNORE:
                return 0;
        case CLI_OPT_FUNC:
                return o->func(opts, arg);
        case CLI_OPT_HELP:
                break;
        }
        return 0;
}

static const struct cli_option *row_named(const struct cli_options *spec, const char *name,
                                          size_t n)
{
        for (size_t i = 0; i < spec->n; i++)
                if (strlen(spec->v[i].name) == n && strneq(spec->v[i].name, name, n))
                        return &spec->v[i];
        return NULL;
}

/* The long forms written for shorthands, freed at exit (argv points at them) */
static char **rewritten;

static void __attribute__((destructor)) rewritten_free(void)
{
        strv_free(rewritten);
}

/* pflag reads "-p=8080:80" and "-a=false" as a letter, "=" and its value:
 * "--publish=8080:80", "--archive=false" (podman's tests write `cp -a=false`);
 * getopt would take "=8080:80" as the value, or "=" as a flag.  Such words
 * are rewritten in ARGV to their long form before getopt reads them, up to
 * "--" (and the first operand where flags stop there). */
static void shorthand_values(const struct cli_options *spec, int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (streq(a, "--"))
                        return;
                if (a[0] != '-' || !a[1]) {
                        if (spec->stop_at_operand)
                                return;
                        continue;
                }
                if (a[1] == '-') {
                        /* a value in the next word is no flag */
                        const struct cli_option *o = row_named(spec, a + 2, strlen(a + 2));
                        if (o && o->arg == CLI_ARG_REQUIRED)
                                i++;
                        continue;
                }
                const struct cli_option *o = row_of(spec, (unsigned char)a[1]);
                if (o && a[2] == '=') {
                        char *l = xasprintf("--%s=%s", o->name, a + 3);
                        rewritten = strv_push(rewritten, l);
                        argv[i] = l;
                        continue;
                }
                /* "-it", "-ePATH=x", "-e PATH=x": does the next word belong? */
                for (const char *p = a + 1; *p; p++) {
                        o = row_of(spec, (unsigned char)*p);
                        if (!o || o->arg != CLI_ARG_NONE) {
                                if (o && o->arg == CLI_ARG_REQUIRED && !p[1])
                                        i++;
                                break;
                        }
                }
        }
}

int cli_options_parse(const struct cli_options *spec, void *opts, int argc, char **argv)
{
        shorthand_values(spec, argc, argv);
        _cleanup_free_ struct option *longs = xnew0(struct option, spec->n + 1);
        struct buf shorts = {0};
        if (spec->stop_at_operand)
                buf_putc(&shorts, '+');
        for (size_t i = 0; i < spec->n; i++) {
                const struct cli_option *o = &spec->v[i];
                static const int has_arg[] = {
                        [CLI_ARG_NONE] = no_argument,
                        [CLI_ARG_REQUIRED] = required_argument,
                        [CLI_ARG_OPTIONAL] = optional_argument,
                };
                longs[i] = (struct option){o->name,
                                           takes_bool(o) ? optional_argument : has_arg[o->arg],
                                           NULL, row_value(spec, i)};
                if (o->short_name)
                        buf_printf(&shorts, "%c%s", o->short_name,
                                   o->arg == CLI_ARG_REQUIRED   ? ":"
                                   : o->arg == CLI_ARG_OPTIONAL ? "::"
                                                                : "");
        }
        _cleanup_free_ char *optstring = buf_steal(&shorts);
        opterr = 0;
        int c, li = -1;
        while ((c = getopt_long(argc, argv, optstring, longs, &li)) != -1) {
                const struct cli_option *o = c == '?' ? NULL : row_of(spec, c);
                if (!o)
                        return -unknown_flag(spec, argv);
                /* getopt_long takes any unambiguous prefix ("--pid" for
                 * --pids-limit); Docker's flags never do: Docker's --pid=host
                 * must not become a pids limit */
                if (li >= 0) {
                        const char *typed =
                                argv[optind - 1 - (optarg && optarg == argv[optind - 1])];
                        if (startswith(typed, "--")) {
                                size_t n = strcspn(typed + 2, "=");
                                if (n != strlen(longs[li].name) ||
                                    !strneq(typed + 2, longs[li].name, n))
                                        return -cli_usage_error(spec->cmd, "unknown flag '%.*s'",
                                                                (int)(n + 2), typed);
                        }
                        li = -1;
                }
                if (o->kind == CLI_OPT_HELP) {
                        cli_options_help(spec);
                        return 0;
                }
                int r = apply(spec, o, opts, optarg);
                if (r != 0)
                        return -r;
        }
        return optind;
}

/* "--pause[=BOOL]": an optional "[=VALUE]" follows the name */
static char *help_flag(const struct cli_option *o)
{
        return xasprintf("--%s%s%s", o->name, o->meta && !startswith(o->meta, "[=") ? " " : "",
                         strempty(o->meta));
}

void cli_options_help(const struct cli_options *spec)
{
        fputs(spec->usage, stdout);
        /* the table's width, or wider: a flag never runs into its text */
        int width = spec->help_width;
        for (size_t i = 0; i < spec->n; i++) {
                if (!spec->v[i].help)
                        continue;
                _cleanup_free_ char *flag = help_flag(&spec->v[i]);
                if ((int)strlen(flag) >= width)
                        width = (int)strlen(flag) + 1;
        }
        for (size_t i = 0; i < spec->n; i++) {
                const struct cli_option *o = &spec->v[i];
                if (!o->help)
                        continue;
                _cleanup_free_ char *flag = help_flag(o);
                if (o->short_name)
                        printf("  -%c, %-*s", o->short_name, width, flag);
                else
                        printf("      %-*s", width, flag);
                /* a help text's later lines start under its first */
                for (const char *h = o->help; *h;) {
                        size_t n = strcspn(h, "\n");
                        printf("%.*s\n", (int)n, h);
                        h += n;
                        if (*h && *++h)
                                printf("%*s", 6 + width, "");
                }
        }
}

int cli_options_parse_help(const char *cmd, const char *help, bool stop_at_operand, int argc,
                           char **argv)
{
        static const struct cli_option rows[] = {CLI_HELP("help", 'h')};
        const struct cli_options spec = {
                .cmd = cmd,
                .usage = help,
                .v = rows,
                .n = ARRAY_SIZE(rows),
                .stop_at_operand = stop_at_operand,
        };
        return cli_options_parse(&spec, NULL, argc, argv);
}

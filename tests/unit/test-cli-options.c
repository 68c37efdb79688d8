/* The table-driven flag parser (cli/options.c): each kind of row, the
 * order of operands, optional arguments, unknown flags and the help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmd-run-life.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

enum color { RED, GREEN, BLUE };

struct opts {
        const char *name;
        char **env;
        bool quiet;
        enum color color;
        int level;
        const char *level_arg;
};

static int opt_level(void *p, const char *arg)
{
        struct opts *o = p;
        o->level_arg = arg;
        if (arg && streq(arg, "bad"))
                return 42; /* an exit status the parser hands back */
        o->level = arg ? (int)strtol(arg, NULL, 10) : 1;
        return 0;
}

static const struct cli_option rows[] = {
        CLI_STRING("name", 'n', struct opts, name, "NAME", "the name"),
        CLI_STRV("env", 'e', struct opts, env, "K=V", "a variable\nrepeatable"),
        CLI_TRUE("quiet", 'q', struct opts, quiet, "say less"),
        CLI_SET("green", 0, struct opts, color, GREEN, NULL),
        CLI_SET("blue", 0, struct opts, color, BLUE, "blue"),
        CLI_FUNC("level", 0, CLI_ARG_OPTIONAL, opt_level, "N", NULL),
        CLI_IGNORE("compat", CLI_ARG_REQUIRED),
        CLI_HELP("help", 0),
};

static struct cli_options spec = {
        .cmd = "test",
        .usage = "Usage: test\n",
        .v = rows,
        .n = ARRAY_SIZE(rows),
        .help_width = 12,
};

static int parse(struct opts *o, char **argv)
{
        int argc = (int)strv_length(argv);
        optind = 0; /* as box.c does before a command */
        *o = (struct opts){0};
        return cli_options_parse(&spec, o, argc, argv);
}

static void test_kinds(void **state)
{
        struct opts o;
        char *argv[] = {"test",     "-n",       "a",         "--env",   "A=1",
                        "-eB=2",    "--name=b", "-q",        "--green", "--blue",
                        "--compat", "x",        "--level=3", "op",      NULL};
        int first = parse(&o, argv);
        assert_int_equal(first, 13);
        assert_string_equal(argv[first], "op");
        assert_string_equal(o.name, "b"); /* the last one wins */
        assert_int_equal(strv_length(o.env), 2);
        assert_string_equal(o.env[0], "A=1");
        assert_string_equal(o.env[1], "B=2");
        assert_true(o.quiet);
        assert_int_equal(o.color, BLUE);
        assert_int_equal(o.level, 3);
        strv_free(o.env);
}

static void test_optional_argument(void **state)
{
        struct opts o;
        /* an optional argument is only --flag=VALUE: "7" is an operand */
        char *argv[] = {"test", "--level", "7", NULL};
        int first = parse(&o, argv);
        assert_int_equal(first, 2);
        assert_null(o.level_arg);
        assert_int_equal(o.level, 1);
}

static void test_operands_anywhere_or_first(void **state)
{
        struct opts o;
        char *argv[] = {"test", "op", "-q", NULL};
        int first = parse(&o, argv);
        /* getopt moves the operand after the flags */
        assert_int_equal(first, 2);
        assert_true(o.quiet);

        char *argv2[] = {"test", "op", "-q", NULL};
        spec.stop_at_operand = true;
        first = parse(&o, argv2);
        spec.stop_at_operand = false;
        assert_int_equal(first, 1);
        assert_false(o.quiet);
}

static void test_failures(void **state)
{
        struct opts o;
        char *bad[] = {"test", "--level=bad", NULL};
        assert_int_equal(parse(&o, bad), -42);
        char *unknown[] = {"test", "--nope", NULL};
        assert_int_equal(parse(&o, unknown), -125);
        char *missing[] = {"test", "--name", NULL};
        assert_int_equal(parse(&o, missing), -125);
        char *letter[] = {"test", "-z", NULL};
        assert_int_equal(parse(&o, letter), -125);
        char *wrong_arg[] = {"test", "--quiet=maybe", NULL};
        assert_int_equal(parse(&o, wrong_arg), -125);
}

/* Docker's boolean flags take =true/=false in their long form (pflag):
 * --rm=true, --privileged=false; never the next word */
static void test_bool_values(void **state)
{
        struct opts o;
        char *on[] = {"test", "--quiet=true", "--blue=1", NULL};
        assert_int_equal(parse(&o, on), 3);
        assert_true(o.quiet);
        assert_int_equal(o.color, BLUE);
        char *off[] = {"test", "-q", "--quiet=false", "--blue=False", NULL};
        assert_int_equal(parse(&o, off), 4);
        assert_false(o.quiet);
        assert_int_equal(o.color, RED); /* =false of a SET row: the default stays */
        char *word[] = {"test", "--quiet", "false", NULL};
        assert_int_equal(parse(&o, word), 2); /* "false" is an operand */
        assert_true(o.quiet);
        for (const char *const *v = (const char *const[]){"T", "TRUE", "True", "t", NULL}; *v;
             v++) {
                _cleanup_free_ char *a = xasprintf("--quiet=%s", *v);
                char *argv[] = {"test", a, NULL};
                assert_int_equal(parse(&o, argv), 2);
                assert_true(o.quiet);
        }
        char *empty[] = {"test", "--quiet=", NULL};
        assert_int_equal(parse(&o, empty), -125);
}

/* getopt_long takes unambiguous prefixes; Docker's flags never do (--pid
 * must not be --pids-limit) */
static void test_no_prefixes(void **state)
{
        struct opts o;
        char *pre[] = {"test", "--nam", "x", NULL};
        assert_int_equal(parse(&o, pre), -125);
        char *pre_eq[] = {"test", "--qui=true", NULL};
        assert_int_equal(parse(&o, pre_eq), -125);
        char *exact[] = {"test", "--name", "x", "--env=A=1", "--level", "op", NULL};
        assert_int_equal(parse(&o, exact), 5);
        assert_string_equal(o.name, "x");
        strv_free(o.env);
}

/* The first line the parser prints to stderr for ARGV. */
static char *failure_line(char **argv)
{
        struct opts o;
        char *err = NULL;
        size_t len = 0;
        fflush(stderr);
        FILE *saved = stderr;
        stderr = open_memstream(&err, &len);
        int r = parse(&o, argv);
        fclose(stderr);
        stderr = saved;
        assert_int_equal(r, -125);
        err[strcspn(err, "\n")] = '\0';
        return err;
}

/* one message per kind of bad flag, for every command */
static void test_unknown_messages(void **state)
{
        char *letter[] = {"test", "-z", NULL}, *missing[] = {"test", "--name", NULL};
        char *missing_letter[] = {"test", "-n", NULL}, *unknown[] = {"test", "--nope", NULL};
        struct {
                char **argv;
                const char *want;
        } cases[] = {
                {letter, "box: error: unknown or incomplete flag '-z'"},
                {missing, "box: error: unknown or incomplete flag '-n'"},
                {missing_letter, "box: error: unknown or incomplete flag '-n'"},
                {unknown, "box: error: unknown flag '--nope'"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *line = failure_line(cases[i].argv);
                assert_string_equal(line, cases[i].want);
                free(line);
        }
}

/* stdout into a buffer between the two calls */
static FILE *saved_stdout;
static void capture_begin(char **out, size_t *len)
{
        fflush(stdout);
        saved_stdout = stdout;
        stdout = open_memstream(out, len);
}
static void capture_end(void)
{
        fclose(stdout);
        stdout = saved_stdout;
}

static void test_help(void **state)
{
        struct opts o;
        char *argv[] = {"test", "-q", "--help", "--nope", NULL};
        char *out = NULL;
        size_t len = 0;
        capture_begin(&out, &len);
        int r = parse(&o, argv);
        capture_end();
        assert_int_equal(r, 0); /* stop, exit status 0 */
        assert_string_equal(out, "Usage: test\n"
                                 "  -n, --name NAME the name\n"
                                 "  -e, --env K=V   a variable\n"
                                 "                  repeatable\n"
                                 "  -q, --quiet     say less\n"
                                 "      --blue      blue\n");
        free(out);
}

static char *help_of(const struct cli_options *sp, void *o, char **argv)
{
        char *out = NULL;
        size_t len = 0;
        optind = 0;
        capture_begin(&out, &len);
        int r = cli_options_parse(sp, o, (int)strv_length(argv), argv);
        capture_end();
        assert_int_equal(r, 0);
        return out;
}

/* a boolean's meta ("[=BOOL]" joined to the name, "bool" after a space),
 * a listed compatibility flag, and CLI_OPTIONS's extra fields */
static void test_bool_rows(void **state)
{
        static const struct cli_option b_rows[] = {
                CLI_BOOL("quiet", 'q', struct opts, quiet, "[=BOOL]", "say less"),
                CLI_BOOL("tls", 0, struct opts, quiet, "bool", "verify"),
                CLI_COMPAT("old", 'o', "accepted"),
                CLI_HELP("help", 'h'),
        };
        static const struct cli_options b_spec =
                CLI_OPTIONS("b", b_rows, 16, "Usage: b\n", .stop_at_operand = true);
        struct opts o = {0};
        char *argv[] = {"b", "--tls=false", "-o", "--old=true", "--help", NULL};
        _cleanup_free_ char *out = help_of(&b_spec, &o, argv);
        assert_string_equal(out, "Usage: b\n"
                                 "  -q, --quiet[=BOOL]  say less\n"
                                 "      --tls bool      verify\n"
                                 "  -o, --old           accepted\n");
        o = (struct opts){0};
        char *stop[] = {"b", "--quiet=t", "op", "-q", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse(&b_spec, &o, 4, stop), 2);
        assert_true(o.quiet);
        char *bad[] = {"b", "--old=maybe", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse(&b_spec, &o, 2, bad), -125);
}

/* a command without flags: --help and -h, anything else unknown */
static void test_parse_help(void **state)
{
        char *help[] = {"c", "x", "-h", NULL};
        char *out = NULL;
        size_t len = 0;
        optind = 0;
        capture_begin(&out, &len);
        int r = cli_options_parse_help("c", "Usage: c X\n", false, 3, help);
        capture_end();
        assert_int_equal(r, 0);
        assert_string_equal(out, "Usage: c X\n");
        free(out);
        char *ops[] = {"c", "x", "y", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse_help("c", "", false, 3, ops), 1);
        char *unknown[] = {"c", "x", "--nope", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse_help("c", "", false, 3, unknown), -125);
        char *letter[] = {"c", "-a", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse_help("c", "", false, 2, letter), -125);
        /* after the first operand, flags are the operands' own (top C -o pid) */
        char *top[] = {"c", "x", "-o", "pid", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse_help("c", "", true, 4, top), 1);
        char *dashes[] = {"c", "--", "-1", NULL};
        optind = 0;
        assert_int_equal(cli_options_parse_help("c", "", false, 3, dashes), 2);
}

/* Go durations and Docker's time arguments: what strtod() alone would
 * take (nan, inf, hex, exponents, signs) is refused, and so is overflow. */
static void test_durations_and_times(void **state)
{
        (void)state;
        int64_t v;
        assert_int_equal(cli_parse_duration("1m30s", &v), 0);
        assert_true(v == 90000000000LL);
        assert_int_equal(cli_parse_duration("1.5h", &v), 0);
        assert_true(v == 5400000000000LL);
        assert_int_equal(cli_parse_duration("500ms", &v), 0);
        assert_true(v == 500000000LL);
        assert_int_equal(cli_parse_duration("0", &v), 0);
        assert_true(v == 0);
        const char *bad[] = {"",        "5",   "nanh", "infs", "0x10s", "1e3s",
                             "-1s",     "+1s", " 1s",  "1.s.", "1hh",   "99999999999999999999h",
                             "3000000h"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_true(cli_parse_duration(bad[i], &v) < 0);
        assert_int_equal(cli_parse_when("1700000000.5", &v), 0);
        assert_true(v == 1700000000500000000LL);
        assert_int_equal(cli_parse_when("2023-11-14T22:13:20Z", &v), 0);
        assert_true(v == 1700000000000000000LL);
        int64_t before = v;
        assert_int_equal(cli_parse_when("10m", &v), 0);
        assert_true(v > before);
        /* exact to the nanosecond, and int64's last second (2262) */
        assert_int_equal(cli_parse_when("1700000000.123456789", &v), 0);
        assert_true(v == 1700000000123456789LL);
        assert_int_equal(cli_parse_when("9223372036.854775807", &v), 0);
        assert_true(v == INT64_MAX);
        const char *bad_when[] = {"yesterday",  "nan",          "1e9",
                                  "-5",         "0x10",         "2023-13-45",
                                  "9223372037", "9223372036.9", "17000001002.03456789",
                                  "99999999999"};
        for (size_t i = 0; i < sizeof(bad_when) / sizeof(bad_when[0]); i++)
                assert_true(cli_parse_when(bad_when[i], &v) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds),
                cmocka_unit_test(test_optional_argument),
                cmocka_unit_test(test_operands_anywhere_or_first),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_bool_values),
                cmocka_unit_test(test_no_prefixes),
                cmocka_unit_test(test_unknown_messages),
                cmocka_unit_test(test_help),
                cmocka_unit_test(test_bool_rows),
                cmocka_unit_test(test_parse_help),
                cmocka_unit_test(test_durations_and_times),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Table-driven flags: a command lists its flags as rows (long name, short
 * letter, argument, what the flag fills in the command's options struct,
 * help line), cli_options_parse() runs getopt_long over the table and
 * fills the struct, and cli_options_help() prints the help from the same
 * rows.  A new flag is a row plus a field; translating the struct into
 * what run/ or build/ take is the command's own, separate step.
 *
 * Ownership: string rows point into argv; the strvs that STRV rows append
 * to belong to the options struct (the command frees them). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum cli_opt_arg {
        CLI_ARG_NONE,
        CLI_ARG_REQUIRED,
        CLI_ARG_OPTIONAL, /* only as --flag=VALUE; NULL when absent */
};

enum cli_opt_kind {
        CLI_OPT_STRING, /* const char *: the argument (the last one wins) */
        CLI_OPT_STRV,   /* char **: the argument appended (may start NULL) */
        CLI_OPT_TRUE,   /* bool: set (--flag=false clears it, as Docker's) */
        CLI_OPT_SET,    /* an int or enum: set to the row's value (--flag=false: not) */
        CLI_OPT_IGNORE, /* accepted for compatibility; does nothing */
        CLI_OPT_FUNC,   /* the row's function parses the argument */
        CLI_OPT_HELP,   /* prints the help; the command exits 0 */
};

/* A FUNC row's parser: fills OPTS from ARG (NULL for a flag without an
 * argument); returns 0, or the exit status of a failure it has reported
 * (cli_usage_error(), cli_fail()). */
typedef int cli_opt_func(void *opts, const char *arg);

struct cli_option {
        const char *name; /* long name, without "--" */
        int short_name;   /* the letter of -X, 0 for none */
        enum cli_opt_arg arg;
        enum cli_opt_kind kind;
        size_t offset; /* of the field a non-FUNC row fills */
        int value;     /* SET: the value */
        cli_opt_func *func;
        const char *meta; /* the argument's name in the help ("N", "list") */
        const char *help; /* NULL: a flag the help does not list */
};

struct cli_options {
        const char *cmd;   /* names the command in usage errors */
        const char *usage; /* the help text above the flags' lines */
        const struct cli_option *v;
        size_t n;
        int help_width;       /* of the "--flag ARG" column */
        bool stop_at_operand; /* flags end at the first operand (box run IMAGE CMD...) */
};

/* A command's flags: ROWS, the help's flag column WIDTH wide under USAGE;
 * more fields after (.stop_at_operand = true). */
#define CLI_OPTIONS(cmd_, rows_, width_, usage_, ...)                                              \
        {                                                                                          \
                .cmd = cmd_, .usage = usage_, .v = rows_, .n = ARRAY_SIZE(rows_),                  \
                .help_width = width_, __VA_ARGS__                                                  \
        }

/* The offset of field F of struct type T, which must be of TYPE (checked at
 * compile time, so a row cannot fill a field of another type). */
#define CLI_FIELD(T, f, type)                                                                      \
        (offsetof(T, f) +                                                                          \
         0 * sizeof(struct {                                                                       \
                 _Static_assert(__builtin_types_compatible_p(__typeof__(((T *)0)->f), type),       \
                                "flag field of the wrong type");                                   \
                 int dummy;                                                                        \
         }))

/* ... of an int or an enum, which SET rows fill */
#define CLI_FIELD_INT(T, f)                                                                        \
        (offsetof(T, f) + 0 * sizeof(struct {                                                      \
                                  _Static_assert(sizeof(((T *)0)->f) == sizeof(int),               \
                                                 "not an int or an enum");                         \
                                  int dummy;                                                       \
                          }))

/* The rows, by kind (T: the options struct, f: its field). */
// clang-format off
#define CLI_STRING(name_, sh, T, f, meta_, help_) \
        {.name = name_, .short_name = sh, .arg = CLI_ARG_REQUIRED, .kind = CLI_OPT_STRING, \
         .offset = CLI_FIELD(T, f, const char *), .meta = meta_, .help = help_}
#define CLI_STRV(name_, sh, T, f, meta_, help_) \
        {.name = name_, .short_name = sh, .arg = CLI_ARG_REQUIRED, .kind = CLI_OPT_STRV, \
         .offset = CLI_FIELD(T, f, char **), .meta = meta_, .help = help_}
#define CLI_TRUE(name_, sh, T, f, help_) \
        {.name = name_, .short_name = sh, .arg = CLI_ARG_NONE, .kind = CLI_OPT_TRUE, \
         .offset = CLI_FIELD(T, f, bool), .help = help_}
/* ... a boolean flag whose help names its value (--tls-verify bool) */
#define CLI_BOOL(name_, sh, T, f, meta_, help_) \
        {.name = name_, .short_name = sh, .arg = CLI_ARG_NONE, .kind = CLI_OPT_TRUE, \
         .offset = CLI_FIELD(T, f, bool), .meta = meta_, .help = help_}
#define CLI_SET(name_, sh, T, f, value_, help_) \
        {.name = name_, .short_name = sh, .arg = CLI_ARG_NONE, .kind = CLI_OPT_SET, \
         .offset = CLI_FIELD_INT(T, f), .value = value_, .help = help_}
#define CLI_FUNC(name_, sh, arg_, func_, meta_, help_) \
        {.name = name_, .short_name = sh, .arg = arg_, .kind = CLI_OPT_FUNC, .func = func_, \
         .meta = meta_, .help = help_}
#define CLI_IGNORE(name_, arg_) {.name = name_, .arg = arg_, .kind = CLI_OPT_IGNORE}
/* ... a flag without an argument the help lists, accepted and ignored */
#define CLI_COMPAT(name_, sh, help_) \
        {.name = name_, .short_name = sh, .kind = CLI_OPT_IGNORE, .help = help_}
#define CLI_HELP(name_, sh)     {.name = name_, .short_name = sh, .kind = CLI_OPT_HELP}
/* Docker's --disable-content-trust (true by default there): box verifies no
 * image signatures, so the flag changes nothing; =false, which would turn
 * verification on, is refused (.value 1: "true" only) */
#define CLI_CONTENT_TRUST \
        {.name = "disable-content-trust", .arg = CLI_ARG_NONE, .kind = CLI_OPT_IGNORE, \
         .value = 1, .help = "accepted; box verifies no image signatures"}
// clang-format on

/* ARG of boolean flag --FLAG of CMD, in Go's strconv.ParseBool spellings
 * as Docker's flags take them (NULL: no value, true): for a FUNC row whose
 * boolean is not a field of its own.  0, or the usage error's exit status. */
int cli_options_bool(const char *cmd, const char *flag, const char *arg, bool *ret);
/* The same spellings without a message: 0, or -EINVAL for another word. */
int cli_bool_value(const char *arg, bool *ret);

/* Parses the flags of ARGV (ARGV[0] is the command) into OPTS.  Returns the
 * index of the first operand (> 0) to go on, or <= 0 to stop: the negated
 * exit status, the failure reported (0 after --help). */
int cli_options_parse(const struct cli_options *spec, void *opts, int argc, char **argv);

/* Prints the usage text and a line per listed flag to stdout. */
void cli_options_help(const struct cli_options *spec);

/* The parse of a command without flags of its own: -h and --help print
 * HELP; any other flag is an unknown one (operands such as "-1" after
 * "--").  STOP_AT_OPERAND: what follows the first operand is the
 * operands' own (box top C ps -o pid).  Returns as cli_options_parse(). */
int cli_options_parse_help(const char *cmd, const char *help, bool stop_at_operand, int argc,
                           char **argv);

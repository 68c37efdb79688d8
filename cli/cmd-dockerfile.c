/* box dockerfile parse|check: look at a Dockerfile the way a build will. */
#include <libgen.h>
#include <stdio.h>

#include "build/dockerfile.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

#include <fcntl.h>
#include <sys/stat.h>

struct dockerfile_flags {
        const char *file, *format;
        char **build_args;
        bool strict;
};

static int opt_build_arg(void *opts, const char *arg)
{
        struct dockerfile_flags *f = opts;
        if (!arg[0] || arg[0] == '=')
                return cli_usage_error("dockerfile check", "invalid --build-arg '%s'", arg);
        f->build_args = strv_append(f->build_args, arg);
        return 0;
}

#define T struct dockerfile_flags
#define FILE_ROW                                                                                   \
        CLI_STRING("file", 'f', T, file, "FILE",                                                   \
                   "the Dockerfile (default ./Dockerfile; - reads stdin)")
static const struct cli_option parse_flag_rows[] = {
        FILE_ROW,
        CLI_STRING("format", 0, T, format, "FORMAT", "'json', or the default listing"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option check_flag_rows[] = {
        FILE_ROW,
        CLI_FUNC("build-arg", 0, CLI_ARG_REQUIRED, opt_build_arg, "K=V",
                 "set a build argument (repeatable; K alone takes $K)"),
        CLI_TRUE("strict", 0, T, strict, "exit 1 when there are warnings"),
        CLI_HELP("help", 'h'),
};
#undef FILE_ROW
#undef T

static const struct cli_options parse_options = CLI_OPTIONS(
        "dockerfile parse", parse_flag_rows, 17,
        "Usage: box dockerfile parse [OPTIONS] [PATH]\n"
        "\n"
        "Parse a Dockerfile (PATH, a directory's Dockerfile, or -f FILE) and print its\n"
        "instructions, before variable expansion.\n"
        "\n"
        "Options:\n");

static const struct cli_options check_options =
        CLI_OPTIONS("dockerfile check", check_flag_rows, 19,
                    "Usage: box dockerfile check [OPTIONS] [PATH]\n"
                    "\n"
                    "Parse a Dockerfile, resolve its stages, ARG and ENV scoping and variable\n"
                    "expansion as a build would, and report errors and warnings without building.\n"
                    "Exit status: 0 clean, 1 warnings with --strict, 125 errors.\n"
                    "\n"
                    "Options:\n");

/* Reads FILE (or stdin for "-"); *ret_label is what error messages call it. */
static int read_dockerfile(const char *file, char **ret_data, size_t *ret_len, char **ret_label,
                           struct box_err *err)
{
        int r;
        if (streq(file, "-")) {
                r = fs_read_fd(STDIN_FILENO, 0, ret_data, ret_len, err);
                if (r < 0)
                        return box_err_prefix(err, "reading standard input");
                *ret_label = xstrdup("Dockerfile");
                return 0;
        }
        r = fs_read_file_at(AT_FDCWD, file, 0, ret_data, ret_len, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *copy = xstrdup(file);
        *ret_label = xstrdup(basename(copy));
        return 0;
}

/* A PATH operand: a Dockerfile, or a directory holding one. */
static const char *dockerfile_path(const char *path, char **buf)
{
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                *buf = xasprintf("%s/Dockerfile", path);
                return *buf;
        }
        return path;
}

/* CHECKED: `check` leaves unknown instructions to the checker, which
 * reports the first error in file order (BuildKit's), as a build does;
 * `parse` refuses them while reading. */
static int load(const char *file, bool checked, struct dockerfile **ret_df, char **ret_label,
                struct box_err *err)
{
        _cleanup_free_ char *data = NULL, *label = NULL;
        size_t len;
        int r = read_dockerfile(file, &data, &len, &label, err);
        if (r < 0)
                return r;
        r = checked ? build_dockerfile_parse_ast(label, data, len, ret_df, err)
                    : build_dockerfile_parse(label, data, len, ret_df, err);
        if (r < 0)
                return r;
        *ret_label = TAKE_PTR(label);
        return 0;
}

/* FILE: -f's, else PATH's Dockerfile (*BUF owns it), else ./Dockerfile;
 * 0 or the usage error's exit status. */
static int dockerfile_operand(const struct cli_options *spec, const struct dockerfile_flags *f,
                              int argc, char **argv, int first, const char **file, char **buf)
{
        if (argc - first > 1 || (argc - first == 1 && f->file))
                return cli_usage_error(spec->cmd, "'box %s' accepts one PATH or -f FILE",
                                       spec->cmd);
        *file = argc - first == 1 ? dockerfile_path(argv[first], buf)
                : f->file         ? f->file
                                  : "Dockerfile";
        return 0;
}

static int cmd_dockerfile_parse(struct cli_ctx *ctx, int argc, char **argv)
{
        struct dockerfile_flags f = {0};
        const char *file;
        _cleanup_free_ char *path_buf = NULL;
        struct box_err err = {0};
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        _cleanup_free_ char *label = NULL;

        (void)ctx;
        int r = cli_options_parse(&parse_options, &f, argc, argv);
        if (r <= 0)
                return -r;
        r = dockerfile_operand(&parse_options, &f, argc, argv, r, &file, &path_buf);
        if (r != 0)
                return r;
        if (f.format && !streq(f.format, "json"))
                return cli_usage_error("dockerfile parse", "unknown format '%s'", f.format);
        if (load(file, false, &df, &label, &err) < 0)
                return cli_fail(&err);
        /* warnings (empty continuation lines) are check's business: the
         * output here stays machine-readable even with 2>&1 */
        if (f.format) {
                _cleanup_jv_ struct jv *j = build_dockerfile_to_json(df);
                _cleanup_free_ char *s = jv_dump(j, JV_PRETTY);
                puts(s);
        } else {
                _cleanup_free_ char *s = build_dockerfile_dump(df);
                fputs(s, stdout);
        }
        return 0;
}

static int cmd_dockerfile_check(struct cli_ctx *ctx, int argc, char **argv)
{
        struct dockerfile_flags f = {.build_args = xnew0(char *, 1)};
        const char *file;
        _cleanup_free_ char *path_buf = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        _cleanup_free_ char *label = NULL;
        struct box_err err = {0};

        (void)ctx;
        int r = cli_options_parse(&check_options, &f, argc, argv);
        _cleanup_strv_free_ char **build_args = f.build_args;
        if (r <= 0)
                return -r;
        r = dockerfile_operand(&check_options, &f, argc, argv, r, &file, &path_buf);
        if (r != 0)
                return r;
        if (load(file, true, &df, &label, &err) < 0)
                return cli_fail(&err);
        if (build_dockerfile_check(label, df, build_args, &warnings, &err) < 0)
                return cli_fail(&err);
        STRV_FOREACH (w, warnings)
                fprintf(stderr, "box: warning: %s\n", *w);
        return f.strict && warnings[0] ? 1 : 0;
}

static const struct cli_command dockerfile_commands[] = {
        {"check", "Report errors and warnings in a Dockerfile", cmd_dockerfile_check, 0},
        {"parse", "Print the parsed instructions of a Dockerfile", cmd_dockerfile_parse, 0},
        {},
};

int cmd_dockerfile(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "dockerfile", dockerfile_commands, argc, argv);
}

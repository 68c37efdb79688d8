/* box dockerfile parse|check: look at a Dockerfile the way a build will. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>

#include "build/dockerfile.h"
#include "cli/cli.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

#include <fcntl.h>
#include <sys/stat.h>

static const char parse_help[] =
        "Usage: box dockerfile parse [OPTIONS] [PATH]\n"
        "\n"
        "Parse a Dockerfile (PATH, a directory's Dockerfile, or -f FILE) and print its\n"
        "instructions, before variable expansion.\n"
        "\n"
        "Options:\n"
        "  -f, --file FILE      the Dockerfile (default ./Dockerfile; - reads stdin)\n"
        "      --format FORMAT  'json', or the default listing\n";

static const char check_help[] =
        "Usage: box dockerfile check [OPTIONS] [PATH]\n"
        "\n"
        "Parse a Dockerfile, resolve its stages, ARG and ENV scoping and variable\n"
        "expansion as a build would, and report errors and warnings without building.\n"
        "Exit status: 0 clean, 1 warnings with --strict, 125 errors.\n"
        "\n"
        "Options:\n"
        "  -f, --file FILE        the Dockerfile (default ./Dockerfile; - reads stdin)\n"
        "      --build-arg K=V    set a build argument (repeatable; K alone takes $K)\n"
        "      --strict           exit 1 when there are warnings\n";

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

static int load(const char *file, struct dockerfile **ret_df, char **ret_label, struct box_err *err)
{
        _cleanup_free_ char *data = NULL, *label = NULL;
        size_t len;
        int r = read_dockerfile(file, &data, &len, &label, err);
        if (r < 0)
                return r;
        r = build_dockerfile_parse(label, data, len, ret_df, err);
        if (r < 0)
                return r;
        *ret_label = TAKE_PTR(label);
        return 0;
}

static int cmd_dockerfile_parse(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"file", required_argument, NULL, 'f'},
                {"format", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *file = "Dockerfile", *format = NULL;
        _cleanup_free_ char *path_buf = NULL;
        bool file_set = false;
        struct box_err err = {0};
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        _cleanup_free_ char *label = NULL;
        int c;

        (void)ctx;
        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        file = optarg;
                        file_set = true;
                        break;
                case 'F':
                        format = optarg;
                        break;
                case 'h':
                        return cli_help(parse_help);
                default:
                        return cli_usage_error("dockerfile parse", "invalid option");
                }
        }
        if (argc - optind > 1 || (argc - optind == 1 && file_set))
                return cli_usage_error("dockerfile parse",
                                       "'box dockerfile parse' accepts one PATH or -f FILE");
        if (argc - optind == 1)
                file = dockerfile_path(argv[optind], &path_buf);
        if (format && !streq(format, "json"))
                return cli_usage_error("dockerfile parse", "unknown format '%s'", format);
        if (load(file, &df, &label, &err) < 0)
                return cli_fail(&err);
        /* warnings (empty continuation lines) are check's business: the
         * output here stays machine-readable even with 2>&1 */
        if (format) {
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
        static const struct option opts[] = {
                {"file", required_argument, NULL, 'f'},
                {"build-arg", required_argument, NULL, 'b'},
                {"strict", no_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *file = "Dockerfile";
        _cleanup_free_ char *path_buf = NULL;
        bool file_set = false;
        _cleanup_strv_free_ char **build_args = xnew0(char *, 1), **warnings = NULL;
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        _cleanup_free_ char *label = NULL;
        struct box_err err = {0};
        bool strict = false;
        int c;

        (void)ctx;
        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        file = optarg;
                        file_set = true;
                        break;
                case 'b':
                        if (!optarg[0] || optarg[0] == '=')
                                return cli_usage_error("dockerfile check",
                                                       "invalid --build-arg '%s'", optarg);
                        build_args = strv_append(build_args, optarg);
                        break;
                case 's':
                        strict = true;
                        break;
                case 'h':
                        return cli_help(check_help);
                default:
                        return cli_usage_error("dockerfile check", "invalid option");
                }
        }
        if (argc - optind > 1 || (argc - optind == 1 && file_set))
                return cli_usage_error("dockerfile check",
                                       "'box dockerfile check' accepts one PATH or -f FILE");
        if (argc - optind == 1)
                file = dockerfile_path(argv[optind], &path_buf);
        if (load(file, &df, &label, &err) < 0)
                return cli_fail(&err);
        if (build_dockerfile_check(label, df, build_args, &warnings, &err) < 0)
                return cli_fail(&err);
        STRV_FOREACH (w, warnings)
                fprintf(stderr, "box: warning: %s\n", *w);
        return strict && warnings[0] ? 1 : 0;
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

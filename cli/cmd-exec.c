/* box exec [OPTIONS] CONTAINER COMMAND [ARG...]
 *
 * Runs a command in a running container (run/exec.c) and exits with its
 * status, as docker exec does: 126 when it cannot be executed, 127 when it
 * is not found, 125 when box fails (the container is not running: "box:
 * error: container <id> is not running", Docker's daemon message). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cmd-run.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/exec.h"
#include "run/state.h"
#include "store/store.h"

static const char help[] =
        "Usage: box exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
        "\n"
        "Execute a command in a running container.\n"
        "\n"
        "Options:\n"
        "  -d, --detach              run the command in the background\n"
        "  -e, --env K=V|K           set an environment variable (K alone: box's value)\n"
        "      --env-file FILE       read environment variables from FILE\n"
        "  -i, --interactive         keep stdin attached\n"
        "      --privileged          every capability (the seccomp filter stays)\n"
        "  -t, --tty                 allocate a pseudo-TTY\n"
        "  -u, --user USER[:GROUP]   user and group (names from the container's files)\n"
        "  -w, --workdir DIR         working directory inside the container\n";

enum { OPT_ENV_FILE = 1000, OPT_PRIVILEGED, OPT_DETACH_KEYS };

struct exec_opts {
        struct run_exec x;
        char **env_flags, **env_files;
};

static int parse_flags(struct exec_opts *o, int argc, char **argv)
{
        static const struct option opts[] = {
                {"detach", no_argument, NULL, 'd'},
                {"env", required_argument, NULL, 'e'},
                {"env-file", required_argument, NULL, OPT_ENV_FILE},
                {"interactive", no_argument, NULL, 'i'},
                {"privileged", no_argument, NULL, OPT_PRIVILEGED},
                {"tty", no_argument, NULL, 't'},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'},
                {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "+de:itu:w:h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        o->x.detach = true;
                        break;
                case 'e':
                        o->env_flags = strv_append(o->env_flags, optarg);
                        break;
                case OPT_ENV_FILE:
                        o->env_files = strv_append(o->env_files, optarg);
                        break;
                case 'i':
                        o->x.interactive = true;
                        break;
                case OPT_PRIVILEGED:
                        o->x.privileged = true;
                        break;
                case 't':
                        o->x.tty = true;
                        break;
                case 'u':
                        o->x.user = optarg;
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return -cli_usage_error("exec",
                                                        "the working directory '%s' is invalid, "
                                                        "it needs to be an absolute path",
                                                        optarg);
                        o->x.cwd = optarg;
                        break;
                case OPT_DETACH_KEYS:
                        break; /* box exec does not attach twice: nothing to detach from */
                case 'h':
                        return -1000;
                default:
                        return -cli_usage_error("exec", "unknown flag");
                }
        }
        return optind;
}

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
        int r = cli_env_flags_apply(&v, o->env_flags, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
        struct exec_opts o = {0};
        struct box_err err = {0};
        _cleanup_strv_free_ char **env = NULL;
        struct store *st;
        int status = 0, r;

        int first = parse_flags(&o, argc, argv);
        if (first < 0 || argc - first < 2) {
                strv_free(o.env_flags);
                strv_free(o.env_files);
                if (first == -1000)
                        return cli_help(help);
                if (first < 0)
                        return -first;
                return cli_usage_error("exec", "'box exec' requires at least 2 arguments");
        }
        r = exec_env(&o, &env, &err);
        strv_free(o.env_flags);
        strv_free(o.env_files);
        if (r < 0)
                return cli_fail(&err);
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        char id[RUN_ID_LEN + 1];
        if (run_state_lookup(store_root(st), argv[first], id, &err) < 0)
                return cli_fail(&err);
        o.x.argv = argv + first + 1;
        o.x.env = env;
        r = run_exec(store_root(st), ctx->runroot, id, &o.x, &status, &err);
        if (r < 0)
                return cli_fail(&err);
        return status;
}

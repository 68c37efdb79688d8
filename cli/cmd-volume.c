/* box volume create|ls|inspect|rm|prune */
#include <fcntl.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "run/volume.h"
#include "store/store.h"

static int volume_root(struct cli_ctx *ctx, const char **ret, struct box_err *err)
{
        struct store *st;
        int r = cli_store(ctx, &st, err);
        if (r < 0)
                return r;
        *ret = store_root(st);
        return 0;
}

struct volume_flags {
        char **labels; /* k, v, ... */
        const char *name;
        bool all, force, quiet;
};

static int opt_label(void *opts, const char *arg)
{
        struct volume_flags *f = opts;
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
        f->labels = strv_append(f->labels, k);
        f->labels = strv_append(f->labels, eq ? eq + 1 : "");
        return 0;
}

static int opt_driver(void *opts, const char *arg)
{
        (void)opts;
        if (!streq(arg, "local"))
                return cli_usage_error("volume create", "only the 'local' driver is supported");
        return 0;
}

#define T struct volume_flags
static const struct cli_option create_flag_rows[] = {
        CLI_FUNC("driver", 'd', CLI_ARG_REQUIRED, opt_driver, "string",
                 "volume driver (only 'local')"),
        CLI_FUNC("label", 0, CLI_ARG_REQUIRED, opt_label, "list", "set metadata on the volume"),
        CLI_STRING("name", 0, T, name, NULL, NULL),
        CLI_HELP("help", 'h'),
};
static const struct cli_option ls_flag_rows[] = {
        CLI_TRUE("quiet", 'q', T, quiet, "only display volume names"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option rm_flag_rows[] = {
        CLI_TRUE("force", 'f', T, force,
                 "no error if a volume is missing (one in use is never removed)"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option prune_flag_rows[] = {
        CLI_TRUE("all", 'a', T, all, "also unused named volumes"),
        CLI_COMPAT("force", 'f', "do not prompt (box never prompts)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options create_options =
        CLI_OPTIONS("volume create", create_flag_rows, 17,
                    "Usage: box volume create [OPTIONS] [VOLUME]\n\nCreate a volume.\n\n"
                    "Options:\n",
                    .stop_at_operand = true);
static const struct cli_options ls_options = CLI_OPTIONS(
        "volume ls", ls_flag_rows, 10,
        "Usage: box volume ls [OPTIONS]\n\nList volumes.\n\nOptions:\n", .stop_at_operand = true);
static const struct cli_options rm_options =
        CLI_OPTIONS("volume rm", rm_flag_rows, 10,
                    "Usage: box volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
                    "Remove one or more volumes.\n\nOptions:\n",
                    .stop_at_operand = true);
static const struct cli_options prune_options =
        CLI_OPTIONS("volume prune", prune_flag_rows, 10,
                    "Usage: box volume prune [OPTIONS]\n\n"
                    "Remove unused anonymous volumes (all unused with -a).\n\nOptions:\n",
                    .stop_at_operand = true);

static int cmd_volume_create(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {.labels = xnew0(char *, 1)};
        int first = cli_options_parse(&create_options, &f, argc, argv);
        _cleanup_strv_free_ char **labels = f.labels;
        if (first <= 0)
                return -first;
        const char *name = f.name, *root;
        struct box_err err = {0};
        if (first < argc) {
                if (name && !streq(name, argv[first]))
                        return cli_usage_error("volume create",
                                               "conflicting options: either specify --name or "
                                               "provide positional arg, not both");
                name = argv[first++];
        }
        if (first < argc)
                return cli_usage_error("volume create", "at most 1 argument");
        char id[RUN_ID_LEN + 1];
        if (!name) {
                run_random_id(id);
                name = id;
        }
        if (volume_root(ctx, &root, &err) < 0 ||
            run_volume_create(root, name, false, labels, NULL, NULL, &err) < 0)
                return cli_fail(&err);
        printf("%s\n", name);
        return 0;
}

static int cmd_volume_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {0};
        const char *root;
        struct box_err err = {0};
        int first = cli_options_parse(&ls_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        bool quiet = f.quiet;
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        int lock = run_volume_lock(root, true, &err);
        if (lock < 0)
                return cli_fail(&err);
        _cleanup_strv_free_ char **v = run_volume_list(root);
        struct cli_table t = {0};
        if (!quiet)
                cli_table_add(&t, "DRIVER", "VOLUME NAME", NULL);
        STRV_FOREACH (n, v) {
                if (quiet)
                        printf("%s\n", *n);
                else
                        cli_table_add(&t, "local", *n, NULL);
        }
        if (!quiet)
                cli_table_flush(&t);
        return 0;
}

static int cmd_volume_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        const char *root;
        struct box_err err = {0};
        int ret = 0;
        int first = cli_options_parse_help("volume inspect",
                                           "Usage: box volume inspect VOLUME [VOLUME...]\n\n"
                                           "Display detailed information on one or more volumes.\n",
                                           false, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("volume inspect",
                                       "'box volume inspect' requires at least 1 argument");
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        printf("[");
        int shown = 0;
        for (int i = first; i < argc; i++) {
                if (!run_volume_name_valid(argv[i]) || !run_volume_exists(root, argv[i])) {
                        fflush(stdout);
                        box_err_set(&err, ENOENT, "no such volume: '%s'", argv[i]);
                        ret = cli_fail(&err);
                        continue;
                }
                _cleanup_free_ char *j = run_volume_inspect_json(root, argv[i]);
                printf("%s\n    ", shown++ ? "," : "");
                for (const char *p = j; *p; p++) {
                        putchar(*p);
                        if (*p == '\n')
                                fputs("    ", stdout);
                }
        }
        printf("%s]\n", shown ? "\n" : "");
        return ret;
}

static int cmd_volume_rm(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {0};
        const char *root;
        struct box_err err = {0};
        int ret = 0;
        int first = cli_options_parse(&rm_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("volume rm", "'box volume rm' requires at least 1 argument");
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        int lock = run_volume_lock(root, true, &err);
        if (lock < 0)
                return cli_fail(&err);
        for (int i = first; i < argc; i++) {
                box_err_clear(&err);
                /* as Docker: --force forgives a missing volume, never one in use */
                int r = run_volume_remove(root, argv[i], &err);
                if (r == -ENOENT && f.force)
                        continue;
                if (r < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        run_volume_unlock(lock);
        return ret;
}

static int cmd_volume_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {0};
        const char *root;
        struct box_err err = {0};
        int first = cli_options_parse(&prune_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        bool all = f.all;
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        int lock = run_volume_lock(root, true, &err);
        if (lock < 0)
                return cli_fail(&err);
        _cleanup_strv_free_ char **v = run_volume_list(root);
        int64_t freed = 0;
        bool header = false;
        STRV_FOREACH (n, v) {
                _cleanup_free_ char *users = run_volume_users(root, *n);
                if (users || (!all && !run_volume_is_anonymous(root, *n)))
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", root, *n);
                int64_t size = fs_tree_size_at(AT_FDCWD, dir);
                if (run_volume_remove(root, *n, NULL) < 0)
                        continue;
                if (!header)
                        printf("Deleted Volumes:\n");
                header = true;
                printf("%s\n", *n);
                freed += size;
        }
        run_volume_unlock(lock);
        char sz[32];
        cli_format_size(sz, sizeof(sz), (double)freed);
        printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", sz);
        return 0;
}

static const struct cli_command volume_commands[] = {
        {"create", "Create a volume", cmd_volume_create, 0},
        {"inspect", "Display detailed information on one or more volumes", cmd_volume_inspect, 0},
        {"ls", "List volumes", cmd_volume_ls, 0},
        {"prune", "Remove unused volumes", cmd_volume_prune, 0},
        {"rm", "Remove one or more volumes", cmd_volume_rm, 0},
        {},
};

int cmd_volume(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "volume", volume_commands, argc, argv);
}

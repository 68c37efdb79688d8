/* box volume create|ls|inspect|rm|prune */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
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

static int cmd_volume_create(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"label", required_argument, NULL, 'l'},
                {"name", required_argument, NULL, 'n'},
                {"driver", required_argument, NULL, 'd'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_strv_free_ char **labels = xnew0(char *, 1);
        const char *name = NULL, *root;
        struct box_err err = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
                switch (c) {
                case 'l': {
                        const char *eq = strchr(optarg, '=');
                        _cleanup_free_ char *k =
                                eq ? xstrndup(optarg, (size_t)(eq - optarg)) : xstrdup(optarg);
                        labels = strv_append(labels, k);
                        labels = strv_append(labels, eq ? eq + 1 : "");
                        break;
                }
                case 'n':
                        name = optarg;
                        break;
                case 'd':
                        if (!streq(optarg, "local"))
                                return cli_usage_error("volume create",
                                                       "only the 'local' driver is supported");
                        break;
                case 'h':
                        return cli_help("Usage: box volume create [OPTIONS] [VOLUME]\n\n"
                                        "Create a volume.\n\nOptions:\n"
                                        "  -d, --driver string  volume driver (only 'local')\n"
                                        "      --label list     set metadata on the volume\n");
                default:
                        return cli_usage_error("volume create", "unknown flag");
                }
        }
        if (optind < argc) {
                if (name && !streq(name, argv[optind]))
                        return cli_usage_error("volume create",
                                               "conflicting options: either specify --name or "
                                               "provide positional arg, not both");
                name = argv[optind++];
        }
        if (optind < argc)
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
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool quiet = false;
        const char *root;
        struct box_err err = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'h')
                        return cli_help("Usage: box volume ls [OPTIONS]\n\nList volumes.\n\n"
                                        "Options:\n  -q, --quiet   only display volume names\n");
                else
                        return cli_usage_error("volume ls", "unknown flag");
        }
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
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box volume inspect VOLUME [VOLUME...]\n\n"
                                "Display detailed information on one or more volumes.\n");
        if (argc < 2)
                return cli_usage_error("volume inspect",
                                       "'box volume inspect' requires at least 1 argument");
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        printf("[");
        int shown = 0;
        for (int i = 1; i < argc; i++) {
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
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        const char *root;
        struct box_err err = {0};
        int c, ret = 0;
        while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
                if (c == 'f')
                        force = true;
                else if (c == 'h')
                        return cli_help(
                                "Usage: box volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
                                "Remove one or more volumes.\n\nOptions:\n"
                                "  -f, --force   no error if a volume is missing (one in use is "
                                "never removed)\n");
                else
                        return cli_usage_error("volume rm", "unknown flag");
        }
        if (optind >= argc)
                return cli_usage_error("volume rm", "'box volume rm' requires at least 1 argument");
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        int lock = run_volume_lock(root, true, &err);
        if (lock < 0)
                return cli_fail(&err);
        for (int i = optind; i < argc; i++) {
                box_err_clear(&err);
                /* as Docker: --force forgives a missing volume, never one in use */
                int r = run_volume_remove(root, argv[i], &err);
                if (r == -ENOENT && force)
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
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool all = false;
        const char *root;
        struct box_err err = {0};
        int c;
        while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'f')
                        ;
                else if (c == 'h')
                        return cli_help("Usage: box volume prune [OPTIONS]\n\n"
                                        "Remove unused anonymous volumes (all unused with -a).\n\n"
                                        "Options:\n  -a, --all     also unused named volumes\n"
                                        "  -f, --force   do not prompt (box never prompts)\n");
                else
                        return cli_usage_error("volume prune", "unknown flag");
        }
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

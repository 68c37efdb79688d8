/* box volume create|ls|inspect|rm|prune */
#include <fcntl.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "run/volume.h"
#include "spec/json.h"
#include "store/store.h"

/* Docker's volume events: its name, driver=local */
static void volume_event(struct cli_ctx *ctx, const char *action, const char *name)
{
        cli_event(ctx, "volume", action, name, (char *[]){"driver", "local", NULL});
}

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
        char **opts;   /* -o: k, v, ... */
        const char *name, *format;
        bool all, force, quiet;
        /* ls --filter: dangling= ("true"/"false"), name=, driver=, label= */
        char **dangling, **names, **drivers, **label_filters;
        struct cli_prune_filter *prune; /* prune --filter */
};

static int opt_prune_filter(void *opts, const char *arg)
{
        struct volume_flags *f = opts;
        return cli_prune_filter_add(f->prune, "volume prune", CLI_PRUNE_LABEL | CLI_PRUNE_ALL, arg);
}

static int opt_filter(void *opts, const char *arg)
{
        struct volume_flags *f = opts;
        const char *eq = strchr(arg, '=');
        static const char *const keys[] = {"dangling", "name", "driver", "label"};
        char ***slots[] = {&f->dangling, &f->names, &f->drivers, &f->label_filters};
        for (size_t i = 0; eq && i < ARRAY_SIZE(keys); i++) {
                if ((size_t)(eq - arg) != strlen(keys[i]) || !strneq(arg, keys[i], strlen(keys[i])))
                        continue;
                bool b;
                if (i == 0 && cli_bool_value(eq + 1, &b) < 0)
                        break;
                *slots[i] = strv_append(*slots[i], eq + 1);
                return 0;
        }
        return cli_usage_error("volume ls", "invalid filter '%s'", arg);
}

static int opt_label(void *opts, const char *arg)
{
        struct volume_flags *f = opts;
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
        f->labels = strv_append(f->labels, k);
        f->labels = strv_append(f->labels, eq ? eq + 1 : "");
        return 0;
}

static int opt_opt(void *opts, const char *arg)
{
        struct volume_flags *f = opts;
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg)
                return cli_usage_error("volume create", "invalid option '%s': not KEY=VALUE", arg);
        _cleanup_free_ char *k = xstrndup(arg, (size_t)(eq - arg));
        f->opts = strv_append(f->opts, k);
        f->opts = strv_append(f->opts, eq + 1);
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
        CLI_FUNC("opt", 'o', CLI_ARG_REQUIRED, opt_opt, "map",
                 "the local driver's options: type=, device=, o= (mount(8)'s)"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option ls_flag_rows[] = {
        CLI_FUNC("filter", 'f', CLI_ARG_REQUIRED, opt_filter, "K=V",
                 "dangling=true|false, name=, driver=, label=K[=V]"),
        CLI_STRING("format", 0, T, format, "string",
                   "'table', 'table TEMPLATE', 'json' or a Go template"),
        CLI_TRUE("quiet", 'q', T, quiet, "only display volume names"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option inspect_flag_rows[] = {
        CLI_STRING("format", 'f', T, format, "string", "format the output using a Go template"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option rm_flag_rows[] = {
        CLI_TRUE("force", 'f', T, force,
                 "no error if a volume is missing (one in use is never removed)"),
        CLI_HELP("help", 'h'),
};
static const struct cli_option prune_flag_rows[] = {
        CLI_TRUE("all", 'a', T, all, "also unused named volumes"),
        CLI_FUNC("filter", 0, CLI_ARG_REQUIRED, opt_prune_filter, "filter",
                 "only those matching: label=KEY[=VALUE], label!=KEY[=VALUE], all=BOOL"),
        CLI_TRUE("force", 'f', T, force, "do not prompt for confirmation"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options create_options =
        CLI_OPTIONS("volume create", create_flag_rows, 17,
                    "Usage: box volume create [OPTIONS] [VOLUME]\n\nCreate a volume.\n\n"
                    "Options:\n");
static const struct cli_options ls_options =
        CLI_OPTIONS("volume ls", ls_flag_rows, 16,
                    "Usage: box volume ls [OPTIONS]\n\nList volumes.\n\nOptions:\n");
static const struct cli_options inspect_options =
        CLI_OPTIONS("volume inspect", inspect_flag_rows, 16,
                    "Usage: box volume inspect [OPTIONS] VOLUME [VOLUME...]\n\n"
                    "Display detailed information on one or more volumes.\n\nOptions:\n");
static const struct cli_options rm_options =
        CLI_OPTIONS("volume rm", rm_flag_rows, 10,
                    "Usage: box volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
                    "Remove one or more volumes.\n\nOptions:\n");
static const struct cli_options prune_options =
        CLI_OPTIONS("volume prune", prune_flag_rows, 10,
                    "Usage: box volume prune [OPTIONS]\n\n"
                    "Remove unused anonymous volumes (all unused with -a).\n\nOptions:\n");

static int cmd_volume_create(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {.labels = xnew0(char *, 1)};
        int first = cli_options_parse(&create_options, &f, argc, argv);
        _cleanup_strv_free_ char **labels = f.labels, **vopts = f.opts;
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
            run_volume_create(root, name, false, labels, vopts, NULL, NULL, &err) < 0)
                return cli_fail(&err);
        printf("%s\n", name);
        volume_event(ctx, "create", name);
        return 0;
}

static void volume_flags_release(struct volume_flags *f)
{
        strv_free(f->dangling);
        strv_free(f->names);
        strv_free(f->drivers);
        strv_free(f->label_filters);
}

/* Does volume O (inspect's object) pass F's filters?  name= is a
 * substring, as Docker's; dangling=true: no container uses it. */
static bool volume_match(const char *root, const struct jv *o, const struct volume_flags *f)
{
        const char *name = jv_get_str(o, "Name");
        bool ok = !f->names;
        STRV_FOREACH (n, f->names)
                ok = ok || (name && strstr(name, *n));
        STRV_FOREACH (d, f->drivers)
                ok = ok && streq(*d, "local");
        ok = ok && cli_labels_match_json(f->label_filters, jv_get(o, "Labels"));
        STRV_FOREACH (d, f->dangling) {
                bool want;
                _cleanup_free_ char *users = ok ? run_volume_users(root, name) : NULL;
                if (ok && cli_bool_value(*d, &want) == 0)
                        ok = want == !(users && *users);
        }
        return ok;
}

/* docker volume ls's row of inspect's object O */
static struct jv *volume_row(const struct jv *o)
{
        struct jv *r = jv_object();
        jv_set_str(r, "Name", strempty(jv_get_str(o, "Name")));
        jv_set_str(r, "Driver", "local");
        jv_set_str(r, "Scope", "local");
        jv_set_str(r, "Mountpoint", strempty(jv_get_str(o, "Mountpoint")));
        jv_set_str(r, "CreatedAt", strempty(jv_get_str(o, "CreatedAt")));
        _cleanup_free_ char *ls = cli_labels_text(jv_get(o, "Labels"));
        jv_set_str(r, "Labels", ls);
        static const char *const na[] = {"Availability", "Group", "Links", "Size", "Status"};
        for (size_t i = 0; i < ARRAY_SIZE(na); i++)
                jv_set_str(r, na[i], "N/A");
        return r;
}

static const char *const volume_titles[] = {
        "Name",       "VOLUME NAME", "Driver", "DRIVER",    "Scope",   "SCOPE", "Mountpoint",
        "MOUNTPOINT", "Labels",      "LABELS", "CreatedAt", "CREATED", NULL,
};

static int volume_inspect_obj(const char *root, const char *name, struct jv **ret)
{
        _cleanup_free_ char *j = run_volume_inspect_json(root, name);
        return j ? jv_parse(j, strlen(j), ret, NULL) : -ENOENT;
}

static int cmd_volume_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        struct volume_flags f = {0};
        const char *root;
        struct box_err err = {0};
        int first = cli_options_parse(&ls_options, &f, argc, argv);
        if (first <= 0) {
                volume_flags_release(&f);
                return -first;
        }
        int ret = 0;
        if (volume_root(ctx, &root, &err) < 0 || run_volume_lock(root, true, &err) < 0) {
                volume_flags_release(&f);
                return cli_fail(&err);
        }
        _cleanup_strv_free_ char **v = run_volume_list(root);
        struct jv **rows = xnew0(struct jv *, strv_length(v) + 1);
        size_t n = 0;
        STRV_FOREACH (name, v) {
                _cleanup_jv_ struct jv *o = NULL;
                if (volume_inspect_obj(root, *name, &o) < 0 || !volume_match(root, o, &f))
                        continue;
                rows[n++] = volume_row(o);
        }
        if (f.quiet && !f.format) {
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", jv_get_str(rows[i], "Name"));
        } else {
                const char *format = !f.format || streq(f.format, "table")
                                             ? "table {{.Driver}}\t{{.Name}}"
                                             : f.format;
                if (cli_format_rows(format, volume_titles, rows, n, &err) < 0)
                        ret = cli_fail(&err);
        }
        for (size_t i = 0; i < n; i++)
                jv_free(rows[i]);
        free(rows);
        volume_flags_release(&f);
        return ret;
}

static int cmd_volume_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        const char *root;
        struct box_err err = {0};
        struct volume_flags f = {0};
        int ret = 0;
        int first = cli_options_parse(&inspect_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("volume inspect",
                                       "'box volume inspect' requires at least 1 argument");
        if (volume_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        struct jv *arr = jv_array();
        for (int i = first; i < argc; i++) {
                struct jv *o = NULL;
                if (!run_volume_name_valid(argv[i]) || !run_volume_exists(root, argv[i]) ||
                    volume_inspect_obj(root, argv[i], &o) < 0) {
                        box_err_set(&err, ENOENT, "no such volume: '%s'", argv[i]);
                        ret = cli_fail(&err);
                        continue;
                }
                if (cli_inspect_add(f.format, arr, o, &err) < 0) {
                        jv_free(arr);
                        return cli_fail(&err);
                }
        }
        cli_inspect_finish(f.format, arr);
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
                volume_event(ctx, "destroy", argv[i]);
        }
        run_volume_unlock(lock);
        return ret;
}

int cli_volumes_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter, int64_t *freed,
                      struct box_err *err)
{
        const char *root;
        if (volume_root(ctx, &root, err) < 0)
                return -err->code;
        int lock = run_volume_lock(root, true, err);
        if (lock < 0)
                return lock;
        _cleanup_strv_free_ char **v = run_volume_list(root);
        bool header = false;
        STRV_FOREACH (n, v) {
                _cleanup_free_ char *users = run_volume_users(root, *n);
                if (users || (!filter->all && !run_volume_is_anonymous(root, *n)))
                        continue;
                _cleanup_free_ char *json = run_volume_inspect_json(root, *n);
                _cleanup_jv_ struct jv *o = NULL;
                if (json)
                        (void)jv_parse(json, strlen(json), &o, NULL);
                if (!cli_prune_filter_takes_json(filter, jv_get_str(o, "CreatedAt"),
                                                 jv_get(o, "Labels")))
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", root, *n);
                int64_t size = fs_tree_size_at(AT_FDCWD, dir);
                if (run_volume_remove(root, *n, NULL) < 0)
                        continue;
                if (!header)
                        printf("Deleted Volumes:\n");
                header = true;
                printf("%s\n", *n);
                volume_event(ctx, "destroy", *n);
                *freed += size;
        }
        run_volume_unlock(lock);
        if (header)
                printf("\n");
        return 0;
}

static int cmd_volume_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        _cleanup_(cli_prune_filter_release) struct cli_prune_filter filter = {0};
        struct volume_flags f = {.prune = &filter};
        struct box_err err = {0};
        int first = cli_options_parse(&prune_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("volume prune", "'box volume prune' accepts no arguments");
        filter.all = filter.all || f.all;
        if (!f.force &&
            !cli_confirm(filter.all ? "This will remove all local volumes not used by at least "
                                      "one container."
                                    : "This will remove anonymous local volumes not used by at "
                                      "least one container."))
                return 0;
        int64_t freed = 0;
        if (cli_volumes_prune(ctx, &filter, &freed, &err) < 0)
                return cli_fail(&err);
        char sz[32];
        cli_format_size(sz, sizeof(sz), (double)freed);
        printf("Total reclaimed space: %s\n", sz);
        return 0;
}

static int volume_lookup(struct cli_ctx *ctx, const char *name, struct box_err *err)
{
        const char *root;
        int r = volume_root(ctx, &root, err);
        if (r < 0)
                return r;
        return run_volume_name_valid(name) && run_volume_exists(root, name) ? 0 : -ENOENT;
}

static int cmd_volume_exists(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_exists_main(ctx, "volume exists", argc, argv, volume_lookup);
}

static const struct cli_command volume_commands[] = {
        {"create", "Create a volume", cmd_volume_create, 0},
        {"exists", "Exit 0 if a volume exists, 1 if not", cmd_volume_exists, 0},
        {"inspect", "Display detailed information on one or more volumes", cmd_volume_inspect, 0},
        {"list", "List volumes", cmd_volume_ls, 1},
        {"ls", "List volumes", cmd_volume_ls, 0},
        {"prune", "Remove unused volumes", cmd_volume_prune, 0},
        {"rm", "Remove one or more volumes", cmd_volume_rm, 0},
        {},
};

int cmd_volume(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "volume", volume_commands, argc, argv);
}

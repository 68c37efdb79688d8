/* box inspect CONTAINER|IMAGE and box container inspect: Docker's JSON for
 * a container (Id, Created, Path, Args, State, Image, Name, RestartCount,
 * LogPath, HostConfig, Mounts, Config, NetworkSettings), from its
 * config.json and its live state; an image when no container has the name. */
#include <stdio.h>

#include "cli/container.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "store/store.h"

struct inspect_flags {
        const char *format, *type;
};

#define T struct inspect_flags
static const struct cli_option inspect_flag_rows[] = {
        CLI_STRING("format", 'f', T, format, "string",
                   "format the output with a Go-style template"),
        CLI_STRING("type", 0, T, type, "TYPE", "container or image only"),
        CLI_COMPAT("size", 's', NULL),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options inspect_options =
        CLI_OPTIONS("inspect", inspect_flag_rows, 18,
                    "Usage: box inspect [OPTIONS] NAME|ID [NAME|ID...]\n"
                    "\n"
                    "Return low-level information on containers or images.\n"
                    "\n"
                    "Options:\n");

static const char *or_zero_time(const char *t)
{
        return t && *t ? t : "0001-01-01T00:00:00Z";
}

static struct jv *state_json(struct cli_ctx *ctx, const char *id, const struct run_state_info *i)
{
        struct jv *st = jv_object();
        bool paused;
        jv_set_str(st, "Status", cli_container_state_word(ctx, id, i, &paused));
        jv_set(st, "Running", jv_bool(i->status == RUN_STATUS_RUNNING));
        jv_set(st, "Paused", jv_bool(paused));
        jv_set(st, "Restarting", jv_bool(i->status == RUN_STATUS_RESTARTING));
        jv_set(st, "OOMKilled", jv_bool(i->oom_killed));
        jv_set(st, "Dead", jv_bool(false));
        jv_set(st, "Pid", jv_int(i->status == RUN_STATUS_RUNNING ? i->pid : 0));
        jv_set(st, "ExitCode", jv_int(i->exit_code));
        jv_set_str(st, "Error", i->error);
        jv_set_str(st, "StartedAt", or_zero_time(i->started_at));
        jv_set_str(st, "FinishedAt", or_zero_time(i->finished_at));
        struct jv *health = cli_container_health_json(ctx, id, i);
        if (health)
                jv_set(st, "Health", health);
        return st;
}

static struct jv *container_json(struct cli_ctx *ctx, const char *id)
{
        cli_container_settle(ctx, id);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        struct run_state_info i;
        cli_container_state(ctx, id, &i);
        struct jv *o = jv_object();
        jv_set_str(o, "Id", id);
        jv_set_str(o, "Created", or_zero_time(i.created_at));
        jv_set_str(o, "Path", jv_get_str(cfg, "Path"));
        struct jv *args = jv_get(cfg, "Args");
        jv_set(o, "Args", args ? jv_ref(args) : jv_array());
        jv_set(o, "State", state_json(ctx, id, &i));
        jv_set_str(o, "Image", jv_get_str(cfg, "Image") ? jv_get_str(cfg, "Image") : "");
        struct store *st;
        if (cli_store(ctx, &st, NULL) == 0) {
                const char *files[][2] = {{"ResolvConfPath", "resolv.conf"},
                                          {"HostnamePath", "hostname"},
                                          {"HostsPath", "hosts"}};
                for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
                        _cleanup_free_ char *p =
                                xasprintf("%s/containers/%s/%s", store_root(st), id, files[k][1]);
                        jv_set_str(o, files[k][0], p);
                }
        }
        _cleanup_free_ char *log = cli_container_log_path(ctx, id);
        jv_set_str(o, "LogPath", log);
        _cleanup_free_ char *name = xasprintf("/%s", jv_get_str(cfg, "Name") ?: "");
        jv_set_str(o, "Name", name);
        jv_set(o, "RestartCount", jv_int(i.restart_count));
        jv_set_str(o, "Driver", "overlay");
        jv_set_str(o, "Platform", "linux");
        const char *keys[] = {"HostConfig", "Mounts", "Config"};
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
                if (jv_get(cfg, keys[k]))
                        jv_set(o, keys[k], jv_ref(jv_get(cfg, keys[k])));
        jv_set(o, "NetworkSettings", cli_container_network_settings(ctx, id));
        run_state_info_release(&i);
        return o;
}

static int inspect_main(struct cli_ctx *ctx, int argc, char **argv, const char *type)
{
        struct inspect_flags f = {.type = type};
        int ret = 0;
        int first = cli_options_parse(&inspect_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("inspect", "'box inspect' requires at least 1 argument");
        const char *format = f.format;
        type = f.type;
        if (type && !streq(type, "container") && !streq(type, "image"))
                return cli_usage_error("inspect", "'%s' is not a valid value for --type", type);
        /* --type image asks for the image even when a container has the name */
        char id[RUN_ID_LEN + 1];
        struct box_err err = {0};
        if (type && streq(type, "image")) {
                /* image inspect's own flags: only --format */
                _cleanup_strv_free_ char **iv = strv_append(NULL, "inspect");
                if (format) {
                        iv = strv_append(iv, "--format");
                        iv = strv_append(iv, format);
                }
                iv = strv_append(iv, "--");
                for (int a = first; a < argc; a++)
                        iv = strv_append(iv, argv[a]);
                optind = 0;
                return cmd_image_inspect(ctx, (int)strv_length(iv), iv);
        }
        /* each argument on its own, as docker inspect: a container, else
         * (no --type) an image, else no such object (Docker's status 1) */
        struct jv *arr = jv_array();
        for (int a = first; a < argc; a++) {
                box_err_clear(&err);
                struct jv *o = NULL;
                if (cli_container_find(ctx, argv[a], id, &err) >= 0) {
                        o = container_json(ctx, id);
                } else if (!type) {
                        struct box_err ierr = {0};
                        o = cli_image_inspect_json(ctx, argv[a], &ierr);
                        if (!o && ierr.code != ENOENT)
                                err = ierr;
                        else if (!o)
                                box_err_set(&err, ENOENT, "no such object: '%s'", argv[a]);
                        if (!o)
                                err.exit_code = 1;
                }
                if (!o) {
                        ret = cli_fail(&err);
                        continue;
                }
                if (cli_inspect_add(format, arr, o, &err) < 0)
                        ret = cli_fail(&err);
        }
        cli_inspect_finish(format, arr);
        return ret;
}

int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        return inspect_main(ctx, argc, argv, NULL);
}

int cmd_container_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        return inspect_main(ctx, argc, argv, "container");
}

/* box network create|ls|inspect|rm|prune|connect|disconnect, and box port */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/go-regexp.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"
#include "run/network.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

/* Docker's network events: the network's id, name and driver ("type");
 * connect and disconnect name the container. */
static void net_event_emit(struct cli_ctx *ctx, const char *action, const char *id,
                           const char *name, const char *driver, const char *container)
{
        char *attrs[] = {"name",      (char *)name,      "type", (char *)strempty(driver),
                         "container", (char *)container, NULL};
        if (!container)
                attrs[4] = NULL;
        cli_event(ctx, "network", action, id ? id : name, attrs);
}

static void net_event(struct cli_ctx *ctx, const char *root, const char *action, const char *name,
                      const char *container)
{
        _cleanup_free_ char *id = NULL, *driver = NULL;
        (void)run_net_summary(root, name, &id, &driver, NULL);
        net_event_emit(ctx, action, id, name, driver, container);
}

static int net_root(struct cli_ctx *ctx, const char **ret, struct box_err *err)
{
        struct store *st;
        int r = cli_store(ctx, &st, err);
        if (r < 0)
                return r;
        *ret = store_root(st);
        return 0;
}

/* ---- box network create ---- */

struct create_flags {
        struct run_net_create_opts o;
        const char *driver;
        bool internal, ipv6;
        char **labels; /* k, v, ... */
};

/* Docker's: one --subnet (--gateway) per family */
static int family_slot(struct create_flags *f, const char *flag, const char *arg)
{
        bool v6 = strchr(arg, ':') != NULL;
        bool subnet = streq(flag, "subnet");
        const char **slot = subnet ? (v6 ? &f->o.subnet6 : &f->o.subnet)
                                   : (v6 ? &f->o.gateway6 : &f->o.gateway);
        if (*slot)
                return cli_usage_error("network create", "--%s given twice for IPv%d", flag,
                                       v6 ? 6 : 4);
        *slot = arg;
        return 0;
}

static int create_subnet(void *opts, const char *arg)
{
        return family_slot(opts, "subnet", arg);
}

static int create_gateway(void *opts, const char *arg)
{
        return family_slot(opts, "gateway", arg);
}

/* --label K[=V], as volume create's and run's */
static int create_label(void *opts, const char *arg)
{
        struct create_flags *f = opts;
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
        f->labels = oci_kv_set(f->labels, k, eq ? eq + 1 : "");
        return 0;
}

static int create_opt(void *opts, const char *arg)
{
        struct create_flags *f = opts;
        if (!startswith(arg, "parent="))
                return cli_usage_error("network create", "invalid -o '%s': only parent=LINK", arg);
        f->o.parent = arg + 7;
        return 0;
}

#define T struct create_flags
static const struct cli_option create_rows[] = {
        CLI_STRING("driver", 'd', T, driver, "string", "bridge (default) or macvlan"),
        CLI_FUNC("gateway", 0, CLI_ARG_REQUIRED, create_gateway, "IP",
                 "the subnet's gateway (default: its first address)"),
        CLI_TRUE("internal", 0, T, internal, "no traffic leaves the network"),
        CLI_TRUE("ipv6", 0, T, ipv6, "dual-stack: an IPv6 subnet as well"),
        CLI_FUNC("label", 0, CLI_ARG_REQUIRED, create_label, "KEY[=VALUE]",
                 "set metadata on the network"),
        CLI_FUNC("opt", 'o', CLI_ARG_REQUIRED, create_opt, "parent=LINK",
                 "macvlan: the parent link"),
        CLI_FUNC("subnet", 0, CLI_ARG_REQUIRED, create_subnet, "CIDR",
                 "an IPv4 subnet (default: a free /24 of 10.78.0.0/16), or\n"
                 "with --ipv6 an IPv6 one (default: a random fdXX:.../64);\n"
                 "--subnet and --gateway may be given once per family"),
        CLI_HELP("help", 'h'),
};
#undef T

/* Flags anywhere among the operands (pflag's), and every bad flag is
 * "unknown flag". */
#define NETWORK_OPTIONS(cmd_, usage_, rows_, width_)                                               \
        {                                                                                          \
                .cmd = cmd_, .usage = usage_, .v = rows_, .n = ARRAY_SIZE(rows_),                  \
                .help_width = width_                                                               \
        }

static const struct cli_options create_options =
        NETWORK_OPTIONS("network create",
                        "Usage: box network create [OPTIONS] NETWORK\n\n"
                        "Create a network.\n\nOptions:\n",
                        create_rows, 19);

static int cmd_network_create(struct cli_ctx *ctx, int argc, char **argv)
{
        struct create_flags f = {0};
        struct box_err err = {0};
        const char *root;
        int i = cli_options_parse(&create_options, &f, argc, argv);
        _cleanup_strv_free_ char **labels = f.labels;
        if (i <= 0)
                return -i;
        if (i != argc - 1)
                return cli_usage_error("network create",
                                       "'box network create' requires 1 argument");
        f.o.driver = f.driver;
        f.o.internal = f.internal;
        f.o.ipv6 = f.ipv6;
        f.o.labels = labels;
        _cleanup_free_ char *id = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_net_create(root, argv[i], &f.o, &id, &err) < 0)
                return cli_fail(&err);
        printf("%s\n", id);
        net_event(ctx, root, "create", argv[i], NULL);
        return 0;
}

/* ---- ls, inspect, rm, prune ---- */

struct ls_flags {
        bool quiet, no_trunc;
        const char *format;
        /* --filter: name= and id= (Go regular expressions, as Docker's
         * filters.Args.Match), driver=, type=custom|builtin, label= */
        char **names, **ids, **drivers, **types, **labels;
};

static int opt_ls_filter(void *opts, const char *arg)
{
        struct ls_flags *f = opts;
        const char *eq = strchr(arg, '=');
        static const char *const keys[] = {"name", "id", "driver", "type", "label"};
        char ***slots[] = {&f->names, &f->ids, &f->drivers, &f->types, &f->labels};
        for (size_t i = 0; eq && i < ARRAY_SIZE(keys); i++) {
                if ((size_t)(eq - arg) != strlen(keys[i]) || !strneq(arg, keys[i], strlen(keys[i])))
                        continue;
                struct go_regexp *re = NULL;
                if (i < 2 && go_regexp_compile(eq + 1, &re, NULL) < 0)
                        break;
                go_regexp_free(re);
                if (i == 3 && !streq(eq + 1, "custom") && !streq(eq + 1, "builtin"))
                        break;
                *slots[i] = strv_append(*slots[i], eq + 1);
                return 0;
        }
        return cli_usage_error("network ls", "invalid filter '%s'", arg);
}

static const struct cli_option ls_rows[] = {
        CLI_FUNC("filter", 'f', CLI_ARG_REQUIRED, opt_ls_filter, "K=V",
                 "name=, id=, driver=, type=custom|builtin, label="),
        CLI_STRING("format", 0, struct ls_flags, format, "string",
                   "'table', 'table TEMPLATE', 'json' or a Go template"),
        CLI_TRUE("no-trunc", 0, struct ls_flags, no_trunc, "do not truncate the ids"),
        CLI_TRUE("quiet", 'q', struct ls_flags, quiet, "only display network ids"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options ls_options = NETWORK_OPTIONS(
        "network ls", "Usage: box network ls [OPTIONS]\n\nList networks.\n\nOptions:\n", ls_rows,
        16);

static void ls_flags_release(struct ls_flags *f)
{
        strv_free(f->names);
        strv_free(f->ids);
        strv_free(f->drivers);
        strv_free(f->types);
        strv_free(f->labels);
}

/* docker network ls's row; NULL when F's filters leave it out */
static struct jv *network_row(const struct jv *o, bool builtin, const struct ls_flags *f)
{
        const char *name = strempty(jv_get_str(o, "Name")), *id = strempty(jv_get_str(o, "Id"));
        const char *driver = strempty(jv_get_str(o, "Driver"));
        bool any_driver = !f->drivers, any_type = !f->types;
        STRV_FOREACH (d, f->drivers)
                any_driver = any_driver || streq(*d, driver);
        STRV_FOREACH (t, f->types)
                any_type = any_type || streq(*t, builtin ? "builtin" : "custom");
        if (!go_regexp_match_any(f->names, &name, 1) || !go_regexp_match_any(f->ids, &id, 1) ||
            !any_driver || !any_type || !cli_labels_match_json(f->labels, jv_get(o, "Labels")))
                return NULL;
        struct jv *r = jv_object();
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        jv_set_str(r, "ID", f->no_trunc ? id : short_id);
        jv_set_str(r, "Name", name);
        jv_set_str(r, "Driver", driver);
        jv_set_str(r, "Scope", "local");
        jv_set_str(r, "IPv6", jv_bool_value(jv_get(o, "EnableIPv6")) ? "true" : "false");
        jv_set_str(r, "Internal", jv_bool_value(jv_get(o, "Internal")) ? "true" : "false");
        _cleanup_free_ char *ls = cli_labels_text(jv_get(o, "Labels"));
        jv_set_str(r, "Labels", ls);
        jv_set_str(r, "CreatedAt", strempty(jv_get_str(o, "Created")));
        return r;
}

static const char *const network_titles[] = {
        "ID",     "NETWORK ID", "Name",      "NAME",    "Driver",   "DRIVER",
        "Scope",  "SCOPE",      "IPv6",      "IPV6",    "Internal", "INTERNAL",
        "Labels", "LABELS",     "CreatedAt", "CREATED", NULL,
};

static int cmd_network_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct ls_flags f = {0};
        const char *root;
        int i = cli_options_parse(&ls_options, &f, argc, argv);
        if (i <= 0) {
                ls_flags_release(&f);
                return -i;
        }
        if (net_root(ctx, &root, &err) < 0) {
                ls_flags_release(&f);
                return cli_fail(&err);
        }
        _cleanup_strv_free_ char **names = run_net_list(root);
        struct jv **rows = xnew0(struct jv *, strv_length(names) + 3);
        size_t n = 0;
        int ret = 0;
        STRV_FOREACH (nm, names) {
                _cleanup_free_ char *json = NULL;
                _cleanup_jv_ struct jv *o = NULL;
                if (run_net_inspect_json(root, ctx->runroot, *nm, &json, &err) < 0 ||
                    jv_parse(json, strlen(json), &o, &err) < 0) {
                        ret = cli_fail(&err);
                        goto out;
                }
                struct jv *r = network_row(o, streq(*nm, "bridge"), &f);
                if (r)
                        rows[n++] = r;
        }
        /* Docker's two modes that are not networks of the store: listed with
         * their ids, as Docker lists them */
        static const char *const modes[][2] = {{"host", "host"}, {"none", "null"}};
        for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
                _cleanup_jv_ struct jv *o = jv_object();
                _cleanup_free_ char *mid = run_net_mode_id(root, modes[m][0]);
                jv_set_str(o, "Name", modes[m][0]);
                jv_set_str(o, "Id", mid);
                jv_set_str(o, "Driver", modes[m][1]);
                struct jv *r = network_row(o, true, &f);
                if (r)
                        rows[n++] = r;
        }
        if (f.quiet && !f.format) {
                for (size_t k = 0; k < n; k++)
                        printf("%s\n", jv_get_str(rows[k], "ID"));
        } else {
                const char *format = !f.format || streq(f.format, "table")
                                             ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
                                             : f.format;
                if (cli_format_rows(format, network_titles, rows, n, &err) < 0)
                        ret = cli_fail(&err);
        }
out:
        for (size_t k = 0; k < n; k++)
                jv_free(rows[k]);
        free(rows);
        ls_flags_release(&f);
        return ret;
}

/* A flag-less command's rows: only --help (no struct to fill). */
static const struct cli_option help_rows[] = {
        CLI_HELP("help", 'h'),
};

struct inspect_flags {
        const char *format;
};

static const struct cli_option inspect_rows[] = {
        CLI_STRING("format", 'f', struct inspect_flags, format, "string",
                   "format the output using a Go template"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options inspect_options =
        NETWORK_OPTIONS("network inspect",
                        "Usage: box network inspect [OPTIONS] NETWORK...\n\nDisplay detailed "
                        "information on one or more networks.\n\nOptions:\n",
                        inspect_rows, 16);

static int cmd_network_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct inspect_flags f = {0};
        const char *root;
        int ret = 0;
        int first = cli_options_parse(&inspect_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("network inspect", "requires at least 1 argument");
        if (net_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        struct jv *arr = jv_array();
        for (int i = first; i < argc; i++) {
                _cleanup_free_ char *json = NULL, *name = NULL;
                struct jv *o = NULL;
                if (run_net_resolve(root, argv[i], &name, &err) < 0 ||
                    run_net_inspect_json(root, ctx->runroot, name, &json, &err) < 0 ||
                    jv_parse(json, strlen(json), &o, &err) < 0) {
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

static const struct cli_options rm_options =
        NETWORK_OPTIONS("network rm", "Usage: box network rm NETWORK...\n", help_rows, 0);

static int cmd_network_rm(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        int ret = 0;
        int first = cli_options_parse(&rm_options, NULL, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("network rm", "requires at least 1 argument");
        if (net_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        for (int i = first; i < argc; i++) {
                _cleanup_free_ char *name = NULL, *id = NULL, *driver = NULL;
                if (run_net_resolve(root, argv[i], &name, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                (void)run_net_summary(root, name, &id, &driver, NULL);
                if (run_net_remove(root, ctx->runroot, name, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("%s\n", argv[i]);
                net_event_emit(ctx, "destroy", id, name, driver, NULL);
        }
        return ret;
}

struct network_prune_flags {
        struct cli_prune_filter *filter;
        bool force;
};

static int opt_prune_filter(void *opts, const char *arg)
{
        struct network_prune_flags *f = opts;
        return cli_prune_filter_add(f->filter, "network prune", CLI_PRUNE_UNTIL | CLI_PRUNE_LABEL,
                                    arg);
}

static const struct cli_option prune_rows[] = {
        CLI_FUNC("filter", 0, CLI_ARG_REQUIRED, opt_prune_filter, "filter",
                 "only those matching: until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]"),
        CLI_TRUE("force", 'f', struct network_prune_flags, force, "do not prompt for confirmation"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options prune_options =
        NETWORK_OPTIONS("network prune",
                        "Usage: box network prune [OPTIONS]\n\nRemove all unused networks, and "
                        "box's links and rules when nothing uses them.\n\nOptions:\n",
                        prune_rows, 16);

static bool prune_takes(const char *created, const struct jv *labels, void *userdata)
{
        return cli_prune_filter_takes_json(userdata, created, labels);
}

int cli_networks_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter,
                       struct box_err *err)
{
        const char *root;
        _cleanup_strv_free_ char **removed = NULL;
        if (net_root(ctx, &root, err) < 0 ||
            run_net_prune(root, ctx->runroot, prune_takes, (void *)filter, &removed, err) < 0)
                return -err->code;
        if (removed[0]) {
                printf("Deleted Networks:\n");
                STRV_FOREACH (n, removed) {
                        printf("%s\n", *n);
                        net_event_emit(ctx, "destroy", NULL, *n, NULL, NULL);
                }
                printf("\n");
        }
        return 0;
}

static int cmd_network_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        _cleanup_(cli_prune_filter_release) struct cli_prune_filter filter = {0};
        struct network_prune_flags f = {.filter = &filter};
        struct box_err err = {0};
        int i = cli_options_parse(&prune_options, &f, argc, argv);
        if (i <= 0)
                return -i;
        if (i < argc)
                return cli_usage_error("network prune", "'box network prune' accepts no arguments");
        if (!f.force && !cli_confirm("This will remove all custom networks not used by at least "
                                     "one container."))
                return 0;
        if (cli_networks_prune(ctx, &filter, &err) < 0)
                return cli_fail(&err);
        return 0;
}

/* ---- connect, disconnect ---- */

/* The container's --network, as connect and disconnect name it. */
static const char *primary_network(const struct jv *cfg)
{
        const char *mode = jv_get_str(jv_get(cfg, "HostConfig"), "NetworkMode");
        return !mode || streq(mode, "default") ? RUN_NET_DEFAULT : mode;
}

/* Did box network disconnect take it off its --network? */
static bool mode_left(const struct jv *cfg)
{
        return jv_bool_value(jv_get(jv_get(cfg, "HostConfig"), RUN_NET_MODE_LEFT));
}

/* The index of NETWORK in the container's BoxNetworks (box network
 * connect's), or -1. */
static ssize_t connected_index(const struct jv *cfg, const char *network)
{
        const struct jv *more = jv_get(jv_get(cfg, "HostConfig"), "BoxNetworks");
        for (size_t i = 0; i < jv_len(more); i++) {
                const char *n = jv_get_str(jv_at(more, i), "Name");
                if (n && streq(n, network))
                        return (ssize_t)i;
        }
        return -1;
}

/* The network namespace of container ID when it runs (checked against
 * its pidfd: never another process's), else -1. */
static int running_netns(struct cli_ctx *ctx, const char *root, const char *id)
{
        int fd = -EBADF;
        if (run_state_status(root, ctx->runroot, id) != RUN_STATUS_RUNNING ||
            run_state_open_netns(ctx->runroot, id, &fd, NULL) < 0)
                return -EBADF;
        return fd;
}

struct connect_flags {
        const char *ip, *ip6;
        char **aliases;
};

#define T struct connect_flags
static const struct cli_option connect_rows[] = {
        CLI_STRV("alias", 0, T, aliases, "NAME", "a further name the container has on the network"),
        CLI_STRING("ip", 0, T, ip, "IP", "its IPv4 address on the network (default: a free one)"),
        CLI_STRING("ip6", 0, T, ip6, "IP",
                   "its IPv6 address on a network with IPv6 (default: a free one)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options connect_options = NETWORK_OPTIONS(
        "network connect",
        "Usage: box network connect [OPTIONS] NETWORK CONTAINER\n\n"
        "Connect a container to a network: a running one gets a new interface now,\n"
        "a created or stopped one when it starts.\n\nOptions:\n",
        connect_rows, 15);

/* Records the connect in CFG: back on its --network (it starts there
 * again, its ports with it), or a further network. */
static void connect_record(struct jv *cfg, const char *network, const char *ip, const char *ip6,
                           char *const *aliases)
{
        struct jv *hc = jv_get(cfg, "HostConfig");
        if (streq(primary_network(cfg), network)) {
                jv_set(hc, RUN_NET_MODE_LEFT, jv_bool(false));
                return;
        }
        struct jv *more = jv_get(hc, "BoxNetworks");
        if (!jv_is_array(more)) {
                more = jv_array();
                jv_set(hc, "BoxNetworks", more);
        }
        struct jv *e = jv_object();
        jv_set_str(e, "Name", network);
        jv_set_str(e, "IPAddress", ip);
        jv_set_str(e, "IP6Address", ip6);
        jv_set(e, "Aliases", jv_strv(aliases));
        jv_push(more, e);
}

static int cmd_network_connect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct connect_flags f = {0};
        struct box_err err = {0};
        const char *root;
        int i = cli_options_parse(&connect_options, &f, argc, argv);
        _cleanup_strv_free_ char **aliases = f.aliases;
        if (i <= 0)
                return -i;
        if (i != argc - 2)
                return cli_usage_error("network connect",
                                       "'box network connect' requires 2 arguments");
        const char *network = argv[i], *who = argv[i + 1], *ip = f.ip;
        char id[RUN_ID_LEN + 1];
        _cleanup_jv_ struct jv *cfg = NULL;
        /* locked from the record read to the record written: a start
         * either joins what we record or runs before we look */
        _cleanup_close_ int lock = -EBADF;
        _cleanup_free_ char *resolved = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_state_lookup(root, who, id, &err) < 0 ||
            (lock = run_net_lock(root, id, &err)) < 0 ||
            run_state_config(root, id, &cfg, &err) < 0 ||
            run_net_resolve(root, network, &resolved, &err) < 0)
                return cli_fail(&err);
        network = resolved;
        if (streq(network, "default"))
                network = RUN_NET_DEFAULT;
        const char *mode = primary_network(cfg);
        if (streq(mode, "host") || streq(network, "host"))
                box_err_set(&err, EINVAL,
                            "container cannot be disconnected from host network or "
                            "connected to host network");
        else if (streq(mode, "none") || streq(network, "none"))
                box_err_set(&err, EINVAL,
                            "container cannot be connected to multiple networks "
                            "with one of the networks in private (none) mode");
        else if (startswith(mode, "container:") || startswith(network, "container:"))
                box_err_set(&err, EINVAL,
                            "conflicting options: container type network can't be "
                            "used with other networks");
        else if ((streq(mode, network) && !mode_left(cfg)) || connected_index(cfg, network) >= 0)
                box_err_set(&err, EEXIST, "endpoint with name '%s' already exists in network '%s'",
                            strempty(jv_get_str(cfg, "Name")), network);
        if (err.code)
                return cli_fail(&err);
        struct run_net_endpoint ep = {.network = (char *)network,
                                      .ip = (char *)ip,
                                      .ip6 = (char *)f.ip6,
                                      .aliases = aliases};
        if (run_net_endpoint_check(root, &ep, &err) < 0)
                return cli_fail(&err);
        _cleanup_close_ int ns = running_netns(ctx, root, id);
        if (ns >= 0 &&
            run_net_connect(root, ctx->runroot, id, jv_get_str(cfg, "Name"), ns, &ep, &err) < 0)
                return cli_fail(&err);
        /* recorded: a restart, or the first start, joins it again */
        connect_record(cfg, network, ip, f.ip6, aliases);
        if (run_state_config_write(root, id, cfg, &err) < 0) {
                if (ns >= 0)
                        (void)run_net_disconnect(root, ctx->runroot, id, ns, network, NULL);
                return cli_fail(&err);
        }
        net_event(ctx, root, "connect", network, id);
        return 0;
}

struct disconnect_flags {
        bool force;
};

static const struct cli_option disconnect_rows[] = {
        CLI_TRUE("force", 'f', struct disconnect_flags, force,
                 "also when the network no longer exists"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options disconnect_options =
        NETWORK_OPTIONS("network disconnect",
                        "Usage: box network disconnect [-f] NETWORK CONTAINER\n\n"
                        "Disconnect a container from a network: its --network or one that box\n"
                        "network connect gave it.\n\nOptions:\n",
                        disconnect_rows, 10);

static int cmd_network_disconnect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct disconnect_flags f = {0};
        struct box_err err = {0};
        const char *root;
        int i = cli_options_parse(&disconnect_options, &f, argc, argv);
        if (i <= 0)
                return -i;
        if (argc - i != 2)
                return cli_usage_error("network disconnect",
                                       "'box network disconnect' requires 2 arguments");
        const char *network = argv[i], *who = argv[i + 1];
        char id[RUN_ID_LEN + 1];
        _cleanup_jv_ struct jv *cfg = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_free_ char *resolved = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_state_lookup(root, who, id, &err) < 0 ||
            (lock = run_net_lock(root, id, &err)) < 0 ||
            run_state_config(root, id, &cfg, &err) < 0 ||
            run_net_resolve(root, network, &resolved, &err) < 0)
                return cli_fail(&err);
        network = resolved;
        if (streq(network, "default"))
                network = RUN_NET_DEFAULT;
        _cleanup_free_ char *nid = NULL, *driver = NULL;
        if (!f.force && !run_net_is_mode(network) &&
            run_net_summary(root, network, &nid, &driver, &err) < 0)
                return cli_fail(&err);
        const char *mode = primary_network(cfg);
        ssize_t at = connected_index(cfg, network);
        bool own = streq(mode, network) && !mode_left(cfg);
        if (streq(mode, "host") || streq(network, "host"))
                box_err_set(&err, EINVAL,
                            "container cannot be disconnected from host network or "
                            "connected to host network");
        else if (!own && at < 0)
                box_err_set(&err, ENOENT, "container %s is not connected to network %s", who,
                            network);
        if (err.code)
                return cli_fail(&err);
        _cleanup_close_ int ns = running_netns(ctx, root, id);
        int r = run_net_disconnect(root, ctx->runroot, id, ns, network, &err);
        if (r < 0 && r != -ENOENT)
                return cli_fail(&err);
        /* as Docker: it leaves the network for good, its next start included */
        struct jv *hc = jv_get(cfg, "HostConfig");
        if (own) {
                jv_set(hc, RUN_NET_MODE_LEFT, jv_bool(true));
        } else {
                const struct jv *more = jv_get(hc, "BoxNetworks");
                struct jv *keep = jv_array();
                for (size_t k = 0; k < jv_len(more); k++)
                        if ((ssize_t)k != at)
                                jv_push(keep, jv_ref(jv_at(more, k)));
                jv_set(hc, "BoxNetworks", keep);
        }
        if (run_state_config_write(root, id, cfg, &err) < 0)
                return cli_fail(&err);
        net_event(ctx, root, "disconnect", network, id);
        return 0;
}

static int network_lookup(struct cli_ctx *ctx, const char *name, struct box_err *err)
{
        const char *root;
        _cleanup_free_ char *full = NULL, *json = NULL;
        int r = net_root(ctx, &root, err);
        if (r >= 0)
                r = run_net_resolve(root, name, &full, err);
        return r < 0 ? r : run_net_inspect_json(root, ctx->runroot, full, &json, err);
}

static int cmd_network_exists(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_exists_main(ctx, "network exists", argc, argv, network_lookup);
}

static const struct cli_command network_commands[] = {
        {"connect", "Connect a container to a network", cmd_network_connect, 0},
        {"create", "Create a network", cmd_network_create, 0},
        {"disconnect", "Disconnect a container from a network", cmd_network_disconnect, 0},
        {"exists", "Exit 0 if a network exists, 1 if not", cmd_network_exists, 0},
        {"inspect", "Display detailed information on networks", cmd_network_inspect, 0},
        {"list", "List networks", cmd_network_ls, 1},
        {"ls", "List networks", cmd_network_ls, 0},
        {"prune", "Remove all unused networks", cmd_network_prune, 0},
        {"rm", "Remove one or more networks", cmd_network_rm, 0},
        {},
};

int cmd_network(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "network", network_commands, argc, argv);
}

/* box port CONTAINER [PORT[/PROTO]] */
int cmd_port(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        char id[RUN_ID_LEN + 1];
        int first = cli_options_parse_help("port",
                                           "Usage: box port CONTAINER [PORT[/PROTO]]\n\n"
                                           "List the container's published ports.\n",
                                           false, argc, argv);
        if (first <= 0)
                return -first;
        /* the operands from here on, as before: argv[1] the container */
        argc -= first - 1;
        argv += first - 1;
        if (argc < 2 || argc > 3)
                return cli_usage_error("port", "'box port' requires 1 or 2 arguments");
        if (net_root(ctx, &root, &err) < 0 || run_state_lookup(root, argv[1], id, &err) < 0)
                return cli_fail(&err);
        struct run_port *ports = NULL;
        size_t n = 0;
        if (run_state_is_live(ctx->runroot, id) && run_net_ports(root, id, &ports, &n, &err) < 0)
                return cli_fail(&err);
        unsigned want = 0;
        char proto[8] = "tcp";
        if (argc == 3) {
                char *end;
                unsigned long v = strtoul(argv[2], &end, 10);
                if (end == argv[2] || v == 0 || v > 65535 ||
                    (*end && !streq(end, "/tcp") && !streq(end, "/udp"))) {
                        free(ports);
                        return cli_usage_error("port", "invalid port '%s'", argv[2]);
                }
                want = (unsigned)v;
                if (*end)
                        snprintf(proto, sizeof(proto), "%s", end + 1);
        }
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
                if (want && (ports[i].container_port != want || !streq(ports[i].proto, proto)))
                        continue;
                _cleanup_free_ char *line = run_port_format(&ports[i]);
                /* with a port given, Docker prints only the host side */
                printf("%s\n", want ? strstr(line, "-> ") + 3 : line);
                shown++;
        }
        free(ports);
        if (want && !shown) {
                box_err_set(&err, ENOENT, "no public port '%u/%s' published for '%s'", want, proto,
                            argv[1]);
                return cli_fail(&err);
        }
        return 0;
}

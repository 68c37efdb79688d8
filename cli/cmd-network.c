/* box network create|ls|inspect|rm|prune|connect|disconnect, and box port */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/network.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

static int net_root(struct cli_ctx *ctx, const char **ret, struct box_err *err)
{
        struct store *st;
        int r = cli_store(ctx, &st, err);
        if (r < 0)
                return r;
        *ret = store_root(st);
        return 0;
}

static const char create_help[] =
        "Usage: box network create [OPTIONS] NETWORK\n\n"
        "Create a network.\n\nOptions:\n"
        "  -d, --driver string    bridge (default) or macvlan\n"
        "      --gateway IP       the subnet's gateway (default: its first address)\n"
        "      --internal         no traffic leaves the network\n"
        "      --ipv6             dual-stack: an IPv6 subnet as well\n"
        "  -o, --opt parent=LINK  macvlan: the parent link\n"
        "      --subnet CIDR      an IPv4 subnet (default: a free /24 of 10.78.0.0/16), or\n"
        "                         with --ipv6 an IPv6 one (default: a random fdXX:.../64);\n"
        "                         --subnet and --gateway may be given once per family\n";

static int cmd_network_create(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"driver", required_argument, NULL, 'd'},  {"subnet", required_argument, NULL, 's'},
                {"gateway", required_argument, NULL, 'g'}, {"opt", required_argument, NULL, 'o'},
                {"internal", no_argument, NULL, 'i'},      {"ipv6", no_argument, NULL, '6'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        struct run_net_create_opts o = {0};
        struct box_err err = {0};
        const char *root;
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+d:o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        o.driver = optarg;
                        break;
                case 's':
                case 'g': {
                        /* Docker's: one --subnet (--gateway) per family */
                        bool v6 = strchr(optarg, ':') != NULL;
                        const char **slot = c == 's' ? (v6 ? &o.subnet6 : &o.subnet)
                                                     : (v6 ? &o.gateway6 : &o.gateway);
                        if (*slot)
                                return cli_usage_error("network create",
                                                       "--%s given twice for IPv%d",
                                                       c == 's' ? "subnet" : "gateway", v6 ? 6 : 4);
                        *slot = optarg;
                        break;
                }
                case '6':
                        o.ipv6 = true;
                        break;
                case 'o':
                        if (!startswith(optarg, "parent="))
                                return cli_usage_error("network create",
                                                       "invalid -o '%s': only parent=LINK", optarg);
                        o.parent = optarg + 7;
                        break;
                case 'i':
                        o.internal = true;
                        break;
                case 'h':
                        return cli_help(create_help);
                default:
                        return cli_usage_error("network create", "unknown flag '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind != argc - 1)
                return cli_usage_error("network create",
                                       "'box network create' requires 1 argument");
        _cleanup_free_ char *id = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_net_create(root, argv[optind], &o, &id, &err) < 0)
                return cli_fail(&err);
        printf("%s\n", id);
        return 0;
}

static int cmd_network_ls(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        bool quiet = argc > 1 && (streq(argv[1], "-q") || streq(argv[1], "--quiet"));
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box network ls [-q]\n\nList networks.\n");
        if (net_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        _cleanup_strv_free_ char **names = run_net_list(root);
        struct cli_table t = {0};
        if (!quiet)
                cli_table_add(&t, "NETWORK ID", "NAME", "DRIVER", "SCOPE", NULL);
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *id = NULL, *driver = NULL;
                if (run_net_summary(root, *n, &id, &driver, &err) < 0)
                        return cli_fail(&err);
                char short_id[13];
                snprintf(short_id, sizeof(short_id), "%.12s", id);
                if (quiet)
                        printf("%s\n", short_id);
                else
                        cli_table_add(&t, short_id, *n, driver, "local", NULL);
        }
        if (!quiet) {
                /* Docker's two modes that are not networks of the store */
                cli_table_add(&t, "host", "host", "host", "local", NULL);
                cli_table_add(&t, "none", "none", "null", "local", NULL);
                cli_table_flush(&t);
        }
        return 0;
}

static int cmd_network_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box network inspect NETWORK...\n");
        if (argc < 2)
                return cli_usage_error("network inspect", "requires at least 1 argument");
        if (net_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        printf("[");
        for (int i = 1; i < argc; i++) {
                _cleanup_free_ char *json = NULL;
                if (run_net_inspect_json(root, ctx->runroot, argv[i], &json, &err) < 0) {
                        printf("]\n");
                        return cli_fail(&err);
                }
                printf("%s%s", i > 1 ? ",\n" : "\n", json);
        }
        printf("\n]\n");
        return 0;
}

static int cmd_network_rm(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        int ret = 0;
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box network rm NETWORK...\n");
        if (argc < 2)
                return cli_usage_error("network rm", "requires at least 1 argument");
        if (net_root(ctx, &root, &err) < 0)
                return cli_fail(&err);
        for (int i = 1; i < argc; i++) {
                if (run_net_remove(root, ctx->runroot, argv[i], &err) < 0)
                        ret = cli_fail(&err);
                else
                        printf("%s\n", argv[i]);
        }
        return ret;
}

static int cmd_network_prune(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box network prune [-f]\n\nRemove unused networks, and "
                                "box's links and rules when nothing uses them.\n");
        _cleanup_strv_free_ char **removed = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_net_prune(root, ctx->runroot, &removed, &err) < 0)
                return cli_fail(&err);
        if (removed[0]) {
                printf("Deleted Networks:\n");
                STRV_FOREACH (n, removed)
                        printf("%s\n", *n);
        }
        return 0;
}

/* The container's --network, as connect and disconnect name it. */
static const char *primary_network(const struct jv *cfg)
{
        const char *mode = jv_get_str(jv_get(cfg, "HostConfig"), "NetworkMode");
        return !mode || streq(mode, "default") ? RUN_NET_DEFAULT : mode;
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

static const char connect_help[] =
        "Usage: box network connect [OPTIONS] NETWORK CONTAINER\n\n"
        "Connect a container to a network: a running one gets a new interface now,\n"
        "a created or stopped one when it starts.\n\nOptions:\n"
        "      --alias NAME   a further name the container has on the network\n"
        "      --ip IP        its IPv4 address on the network (default: a free one)\n"
        "      --ip6 IP       its IPv6 address on a network with IPv6 (default: a free one)\n";

static int cmd_network_connect(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"ip", required_argument, NULL, 'i'},
                {"ip6", required_argument, NULL, '6'},
                {"alias", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct box_err err = {0};
        _cleanup_strv_free_ char **aliases = NULL;
        const char *ip = NULL, *ip6 = NULL, *root;
        int c;
        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        ip = optarg;
                        break;
                case '6':
                        ip6 = optarg;
                        break;
                case 'a':
                        aliases = strv_append(aliases, optarg);
                        break;
                case 'h':
                        return cli_help(connect_help);
                default:
                        return cli_usage_error("network connect", "unknown flag '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind != argc - 2)
                return cli_usage_error("network connect",
                                       "'box network connect' requires 2 arguments");
        const char *network = argv[optind], *who = argv[optind + 1];
        char id[RUN_ID_LEN + 1];
        _cleanup_jv_ struct jv *cfg = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_state_lookup(root, who, id, &err) < 0 ||
            run_state_config(root, id, &cfg, &err) < 0)
                return cli_fail(&err);
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
        else if (streq(mode, network) || connected_index(cfg, network) >= 0)
                box_err_set(&err, EEXIST, "endpoint with name '%s' already exists in network '%s'",
                            strempty(jv_get_str(cfg, "Name")), network);
        if (err.code)
                return cli_fail(&err);
        struct run_net_endpoint ep = {.network = (char *)network,
                                      .ip = (char *)ip,
                                      .ip6 = (char *)ip6,
                                      .aliases = aliases};
        if (run_net_endpoint_check(root, &ep, &err) < 0)
                return cli_fail(&err);
        _cleanup_close_ int ns = running_netns(ctx, root, id);
        if (ns >= 0 &&
            run_net_connect(root, ctx->runroot, id, jv_get_str(cfg, "Name"), ns, &ep, &err) < 0)
                return cli_fail(&err);
        /* recorded: a restart, or the first start, joins it again */
        struct jv *hc = jv_get(cfg, "HostConfig");
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
        if (run_state_config_write(root, id, cfg, &err) < 0) {
                if (ns >= 0)
                        (void)run_net_disconnect(root, ctx->runroot, id, ns, network, NULL);
                return cli_fail(&err);
        }
        return 0;
}

static int cmd_network_disconnect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        const char *root;
        bool force = false;
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box network disconnect [-f] NETWORK CONTAINER\n\n"
                                "Disconnect a container from a network that box network connect "
                                "gave it.\n\nOptions:\n"
                                "  -f, --force   also when the network no longer exists\n");
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (streq(argv[i], "-f") || streq(argv[i], "--force"))
                        force = true;
                else
                        return cli_usage_error("network disconnect", "unknown flag '%s'", argv[i]);
        }
        if (argc - i != 2)
                return cli_usage_error("network disconnect",
                                       "'box network disconnect' requires 2 arguments");
        const char *network = argv[i], *who = argv[i + 1];
        char id[RUN_ID_LEN + 1];
        _cleanup_jv_ struct jv *cfg = NULL;
        if (net_root(ctx, &root, &err) < 0 || run_state_lookup(root, who, id, &err) < 0 ||
            run_state_config(root, id, &cfg, &err) < 0)
                return cli_fail(&err);
        if (streq(network, "default"))
                network = RUN_NET_DEFAULT;
        _cleanup_free_ char *nid = NULL, *driver = NULL;
        if (!force && !streq(network, "host") && !streq(network, "none") &&
            run_net_summary(root, network, &nid, &driver, &err) < 0)
                return cli_fail(&err);
        const char *mode = primary_network(cfg);
        ssize_t at = connected_index(cfg, network);
        if (streq(mode, "host") || streq(network, "host"))
                box_err_set(&err, EINVAL,
                            "container cannot be disconnected from host network or "
                            "connected to host network");
        else if (streq(mode, network))
                box_err_set(&err, ENOTSUP,
                            "container %s: '%s' is its --network; box disconnects only the "
                            "networks box network connect added",
                            who, network);
        else if (at < 0)
                box_err_set(&err, ENOENT, "container %s is not connected to network %s", who,
                            network);
        if (err.code)
                return cli_fail(&err);
        _cleanup_close_ int ns = running_netns(ctx, root, id);
        int r = run_net_disconnect(root, ctx->runroot, id, ns, network, &err);
        if (r < 0 && r != -ENOENT)
                return cli_fail(&err);
        struct jv *hc = jv_get(cfg, "HostConfig");
        const struct jv *more = jv_get(hc, "BoxNetworks");
        struct jv *keep = jv_array();
        for (size_t k = 0; k < jv_len(more); k++)
                if ((ssize_t)k != at)
                        jv_push(keep, jv_ref(jv_at(more, k)));
        jv_set(hc, "BoxNetworks", keep);
        if (run_state_config_write(root, id, cfg, &err) < 0)
                return cli_fail(&err);
        return 0;
}

static const struct cli_command network_commands[] = {
        {"connect", "Connect a container to a network", cmd_network_connect, 0},
        {"create", "Create a network", cmd_network_create, 0},
        {"disconnect", "Disconnect a container from a network", cmd_network_disconnect, 0},
        {"inspect", "Display detailed information on networks", cmd_network_inspect, 0},
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
        if (cli_wants_help(argc, argv))
                return cli_help("Usage: box port CONTAINER [PORT[/PROTO]]\n\n"
                                "List the container's published ports.\n");
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

/* The network of a container box runs: what `box run`/`box create` record
 * in config.json (HostConfig.NetworkMode, BoxPublish, PortBindings, BoxAliases,
 * BoxIPAddress, BoxIP6Address) and, when it starts (in the foreground, or in its
 * monitor-to-be), its attachment and its /etc/hosts and resolv.conf. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cli/container.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/network.h"
#include "run/state.h"
#include "spec/json.h"

/* Docker's HostConfig.PortBindings of the -p values PUBLISH:
 * {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}; -P's ports are not
 * bindings there (PublishAllPorts says it), as Docker records them. */
static struct jv *port_bindings(char *const *publish)
{
        struct jv *o = jv_object();
        STRV_FOREACH (s, publish) {
                _cleanup_free_ struct run_port *v = NULL;
                size_t n = 0;
                if (run_port_parse(*s, &v, &n, NULL) < 0)
                        continue; /* checked when the container was made */
                for (size_t i = 0; i < n; i++) {
                        char key[32], port[32] = "";
                        snprintf(key, sizeof(key), "%u/%s", v[i].container_port, v[i].proto);
                        if (v[i].host_port_end > v[i].host_port)
                                snprintf(port, sizeof(port), "%u-%u", v[i].host_port,
                                         v[i].host_port_end);
                        else if (v[i].host_port)
                                snprintf(port, sizeof(port), "%u", v[i].host_port);
                        const char *ip = *v[i].host_ip             ? v[i].host_ip
                                         : v[i].family == AF_INET  ? "0.0.0.0"
                                         : v[i].family == AF_INET6 ? "::"
                                                                   : "";
                        struct jv *b = jv_object();
                        jv_set_str(b, "HostIp", ip);
                        jv_set_str(b, "HostPort", port);
                        struct jv *a = jv_get(o, key);
                        if (!a) {
                                a = jv_array();
                                jv_set(o, key, a);
                        }
                        jv_push(a, b);
                }
        }
        return o;
}

void cli_run_network_record(struct jv *hc, const char *mode, char *const *publish,
                            char *const *exposed, bool publish_all, char *const *aliases,
                            const char *ip, const char *ip6)
{
        jv_set_str(hc, "NetworkMode", mode);
        struct jv *p = jv_array();
        STRV_FOREACH (s, publish)
                jv_push(p, jv_string(*s));
        /* -P: each EXPOSEd port to a free one, as "-p PORT/PROTO" does */
        if (publish_all)
                STRV_FOREACH (e, exposed)
                        jv_push(p, jv_string(*e));
        jv_set(hc, "BoxPublish", p);
        jv_set(hc, "PortBindings", port_bindings(publish));
        jv_set(hc, "PublishAllPorts", jv_bool(publish_all));
        jv_set(hc, "BoxAliases", jv_strv(aliases));
        jv_set_str(hc, "BoxIPAddress", ip);
        jv_set_str(hc, "BoxIP6Address", ip6);
}

int cli_run_network_check(const char *root, const char *network, const char *ip, const char *ip6,
                          char *const *aliases, struct box_err *err)
{
        struct run_net_endpoint ep = {
                .network = (char *)network,
                .ip = (char *)ip,
                .ip6 = (char *)ip6,
                .aliases = (char **)aliases,
        };
        return run_net_endpoint_check(root, &ep, err);
}

static int ports_of(const struct jv *publish, struct run_port **ret, size_t *ret_n,
                    struct box_err *err)
{
        struct run_port *v = NULL;
        size_t n = 0;
        for (size_t i = 0; i < jv_len(publish); i++) {
                const char *s = jv_str(jv_at(publish, i));
                if (!s)
                        continue;
                /* an EXPOSEd "80/tcp" and a -p "80/tcp" mean the same */
                int r = run_port_parse(s, &v, &n, err);
                if (r < 0) {
                        free(v);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

char *cli_run_etc_hosts_extra(const struct jv *hc, const char *gateway)
{
        _cleanup_strv_free_ char **h = jv_to_strv(jv_get(hc, "ExtraHosts"));
        return run_net_hosts_extra(h, gateway);
}

char *cli_run_etc_resolv(const struct jv *hc, const char *rc)
{
        _cleanup_strv_free_ char **servers = jv_to_strv(jv_get(hc, "Dns")),
                                 **search = jv_to_strv(jv_get(hc, "DnsSearch")),
                                 **options = jv_to_strv(jv_get(hc, "DnsOptions"));
        struct run_dns d = {.servers = servers, .search = search, .options = options};
        return run_net_resolv_apply(rc, &d);
}

int cli_run_network_attach(const char *root, const char *runroot, struct run_state *s,
                           const struct jv *cfg, const int *port_fds, size_t n_port_fds,
                           struct run_net_attachment **ret, struct box_err *err)
{
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const char *mode = jv_get_str(hc, "NetworkMode");
        /* box network disconnect took it off its --network: the first
         * network box network connect added comes first, with no ports */
        bool left = jv_bool_value(jv_get(hc, RUN_NET_MODE_LEFT));
        _cleanup_free_ struct run_port *ports = NULL;
        size_t n_ports = 0;
        int r = left ? 0 : ports_of(jv_get(hc, "BoxPublish"), &ports, &n_ports, err);
        if (r < 0)
                return r;
        const char *hostname = jv_get_str(jv_get(cfg, "Config"), "Hostname");
        /* box network connect's: names borrowed from CFG, aliases ours
         * (run_net_attach copies them all) */
        const struct jv *bn = jv_get(hc, "BoxNetworks");
        size_t n_more = jv_len(bn);
        _cleanup_free_ struct run_net_endpoint *more = xnew0(struct run_net_endpoint, n_more + 1);
        for (size_t i = 0; i < n_more; i++) {
                const struct jv *e = jv_at(bn, i);
                more[i].network = (char *)jv_get_str(e, "Name");
                more[i].ip = (char *)jv_get_str(e, "IPAddress");
                more[i].ip6 = (char *)jv_get_str(e, "IP6Address");
                more[i].aliases = jv_to_strv(jv_get(e, "Aliases"));
                if (!more[i].network)
                        more[i].network = (char *)"";
        }
        if (left && !n_more) {
                /* on no network: only lo, as --network none */
                *ret = NULL;
                _cleanup_free_ char *extra = cli_run_etc_hosts_extra(hc, NULL);
                _cleanup_free_ char *hosts = run_net_hosts_none(hostname ? hostname : s->id, extra);
                return run_state_write_file(s, RUN_FILE_HOSTS, hosts, err);
        }
        _cleanup_strv_free_ char **aliases =
                left ? more[0].aliases : jv_to_strv(jv_get(hc, "BoxAliases"));
        /* --mac-address, as Docker records it */
        uint8_t mac[6];
        const char *ms = jv_get_str(jv_get(cfg, "Config"), "MacAddress");
        bool have_mac = ms && *ms && cli_mac_parse(ms, mac) == 0;
        struct run_net_attach_opts o = {
                .mac = have_mac ? mac : NULL,
                .network = left ? more[0].network
                           : mode && !streq(mode, "bridge") && !streq(mode, "default") ? mode
                                                                                       : NULL,
                .ip = left ? more[0].ip : jv_get_str(hc, "BoxIPAddress"),
                .ip6 = left ? more[0].ip6 : jv_get_str(hc, "BoxIP6Address"),
                .aliases = aliases,
                .name = s->name,
                .hostname = hostname,
                .ports = ports,
                .n_ports = n_ports,
                .state_dir = s->dir,
                .runroot = runroot,
                .port_fds = port_fds,
                .n_port_fds = n_port_fds,
                .more = left ? more + 1 : more,
                .n_more = left ? n_more - 1 : n_more,
        };
        struct run_net_attachment *a = NULL;
        r = run_net_attach(root, s->id, &o, &a, err);
        for (size_t i = left ? 1 : 0; i < n_more; i++)
                strv_free(more[i].aliases);
        if (r < 0)
                return r;
        char gw[64];
        _cleanup_free_ char *extra = cli_run_etc_hosts_extra(hc, run_net_gateway(a, gw));
        _cleanup_free_ char *hosts = run_net_hosts(a, hostname ? hostname : s->id, extra);
        _cleanup_free_ char *rc = run_net_resolv_conf(a);
        _cleanup_free_ char *resolv = cli_run_etc_resolv(hc, rc);
        /* in place: a running container's bind mount must see the change */
        const struct {
                enum run_state_file f;
                const char *data;
        } files[] = {{RUN_FILE_HOSTS, hosts}, {RUN_FILE_RESOLV_CONF, resolv}};
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(files); i++)
                r = run_state_write_file(s, files[i].f, files[i].data, err);
        if (r < 0) {
                run_net_detach(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* network.json of container ID while it holds a network (NULL otherwise). */
static struct jv *attachment_of(struct cli_ctx *ctx, const char *id)
{
        return run_state_read_json(cli_container_root(ctx), id, "network.json");
}

static const char *port_host_ip(const struct jv *p)
{
        const char *ip = jv_get_str(p, "HostIp");
        return ip && *ip ? ip : "0.0.0.0";
}

int cli_mac_parse(const char *s, uint8_t ret[6])
{
        unsigned b[6];
        char sep[5], end;
        if (strlen(s) != 17 ||
            sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &b[0], &sep[0], &b[1], &sep[1], &b[2],
                   &sep[2], &b[3], &sep[3], &b[4], &sep[4], &b[5], &end) != 11)
                return -EINVAL;
        for (int i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != s[2] || (s[i] != ':' && s[i] != '-')
                               : !isxdigit((unsigned char)s[i]))
                        return -EINVAL;
        for (int i = 0; i < 6; i++)
                ret[i] = (uint8_t)b[i];
        if ((ret[0] & 1) || !(ret[0] | ret[1] | ret[2] | ret[3] | ret[4] | ret[5]))
                return -EINVAL;
        return 0;
}

/* Its --network and what box network connect added, as config.json has them. */
static char **networks_of(const struct jv *cfg)
{
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const char *mode = jv_get_str(hc, "NetworkMode");
        char **v = xnew0(char *, 1);
        if (mode && !startswith(mode, "container:") &&
            !jv_bool_value(jv_get(hc, RUN_NET_MODE_LEFT)))
                v = strv_append(v, streq(mode, "default") ? "bridge" : mode);
        const struct jv *more = jv_get(hc, "BoxNetworks");
        for (size_t i = 0; i < jv_len(more); i++)
                if (jv_get_str(jv_at(more, i), "Name"))
                        v = strv_append(v, jv_get_str(jv_at(more, i), "Name"));
        return v;
}

char *cli_container_networks_text(const struct jv *cfg)
{
        _cleanup_strv_free_ char **v = networks_of(cfg);
        return strv_join(v, ",");
}

char *cli_container_ports_text(struct cli_ctx *ctx, const char *id)
{
        _cleanup_jv_ struct jv *a = attachment_of(ctx, id);
        const struct jv *ports = jv_get(a, "Ports");
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        for (size_t i = 0; i < jv_len(ports); i++) {
                const struct jv *p = jv_at(ports, i);
                const char *ip = port_host_ip(p);
                /* docker ps: "0.0.0.0:40123->3306/tcp", an IPv6 host in brackets */
                bool v6 = strchr(ip, ':') != NULL;
                v = strv_push(v, xasprintf("%s%s%s:%lld->%lld/%s", v6 ? "[" : "", ip, v6 ? "]" : "",
                                           (long long)jv_int_value(jv_get(p, "HostPort")),
                                           (long long)jv_int_value(jv_get(p, "ContainerPort")),
                                           jv_get_str(p, "Proto") ?: "tcp"));
        }
        return strv_join(v, ", ");
}

/* Docker's IPAMConfig of network NAME in NETS: the addresses the user
 * asked for (--ip, --ip6; network connect's), when any. */
static void ipam_config(struct jv *nets, const char *name, const char *ip, const char *ip6)
{
        struct jv *e = name ? jv_get(nets, name) : NULL;
        if (!e || (!ip && !ip6))
                return;
        struct jv *o = jv_object();
        if (ip)
                jv_set_str(o, "IPv4Address", ip);
        if (ip6)
                jv_set_str(o, "IPv6Address", ip6);
        jv_set(e, "IPAMConfig", o);
}

struct jv *cli_container_network_settings(struct cli_ctx *ctx, const char *id)
{
        _cleanup_jv_ struct jv *a = attachment_of(ctx, id);
        struct jv *ns = jv_object(), *ports = jv_object(), *nets = jv_object();
        /* Docker's, on no network (or not yet started): empty */
        jv_set_str(ns, "IPAddress", "");
        jv_set(ns, "IPPrefixLen", jv_int(0));
        jv_set_str(ns, "Gateway", "");
        jv_set_str(ns, "MacAddress", "");
        const struct jv *pv = jv_get(a, "Ports");
        for (size_t i = 0; i < jv_len(pv); i++) {
                const struct jv *p = jv_at(pv, i);
                _cleanup_free_ char *key =
                        xasprintf("%lld/%s", (long long)jv_int_value(jv_get(p, "ContainerPort")),
                                  jv_get_str(p, "Proto") ?: "tcp");
                _cleanup_free_ char *hp =
                        xasprintf("%lld", (long long)jv_int_value(jv_get(p, "HostPort")));
                struct jv *b = jv_object();
                jv_set_str(b, "HostIp", port_host_ip(p));
                jv_set_str(b, "HostPort", hp);
                struct jv *list = jv_get(ports, key);
                if (!list) {
                        list = jv_array();
                        jv_set(ports, key, list);
                }
                jv_push(list, b);
        }
        const struct jv *nv = jv_get(a, "Networks");
        for (size_t i = 0; i < jv_len(nv); i++) {
                const struct jv *n = jv_at(nv, i);
                struct jv *e = jv_object();
                jv_set_str(e, "IPAddress", jv_get_str(n, "IP") ?: "");
                jv_set(e, "IPPrefixLen", jv_int(jv_int_value(jv_get(n, "PrefixLen"))));
                jv_set_str(e, "Gateway", jv_get_str(n, "Gateway") ?: "");
                jv_set_str(e, "MacAddress", jv_get_str(n, "MacAddress") ?: "");
                /* Docker's names; "" on a network without IPv6 */
                jv_set_str(e, "GlobalIPv6Address", jv_get_str(n, "GlobalIPv6Address") ?: "");
                jv_set(e, "GlobalIPv6PrefixLen",
                       jv_int(jv_int_value(jv_get(n, "GlobalIPv6PrefixLen"))));
                jv_set_str(e, "IPv6Gateway", jv_get_str(n, "IPv6Gateway") ?: "");
                if (jv_get(n, "Aliases"))
                        jv_set(e, "Aliases", jv_ref(jv_get(n, "Aliases")));
                if (i == 0 && !jv_bool_value(jv_get(a, RUN_NET_MODE_LEFT))) {
                        /* the first network's, at the top level, as Docker's default bridge */
                        const char *keys[] = {"IPAddress",         "IPPrefixLen",
                                              "Gateway",           "MacAddress",
                                              "GlobalIPv6Address", "GlobalIPv6PrefixLen",
                                              "IPv6Gateway"};
                        for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
                                jv_set(ns, keys[k], jv_ref(jv_get(e, keys[k])));
                }
                jv_set(nets, jv_get_str(n, "Name") ?: "", e);
        }
        /* the networks it is to join (created, stopped, or not yet plugged) */
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        _cleanup_strv_free_ char **names = cfg ? networks_of(cfg) : NULL;
        STRV_FOREACH (n, names) {
                if (jv_get(nets, *n))
                        continue;
                struct jv *e = jv_object();
                jv_set_str(e, "IPAddress", "");
                jv_set(e, "IPPrefixLen", jv_int(0));
                jv_set_str(e, "Gateway", "");
                jv_set_str(e, "MacAddress", "");
                jv_set(nets, *n, e);
        }
        const struct jv *hc = jv_get(cfg, "HostConfig");
        ipam_config(nets, jv_get_str(hc, "NetworkMode"), jv_get_str(hc, "BoxIPAddress"),
                    jv_get_str(hc, "BoxIP6Address"));
        const struct jv *more = jv_get(hc, "BoxNetworks");
        for (size_t i = 0; i < jv_len(more); i++) {
                const struct jv *m = jv_at(more, i);
                ipam_config(nets, jv_get_str(m, "Name"), jv_get_str(m, "IPAddress"),
                            jv_get_str(m, "IP6Address"));
        }
        jv_set(ns, "Ports", ports);
        jv_set(ns, "Networks", nets);
        return ns;
}

/* Networks of the store (see run/network.h): their configs, the default
 * one made on first use, their links made on first use, and prune. */
#include "run/network.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "run/net-internal.h"
#include "run/netlink.h"
#include "run/nft.h"
#include "run/state.h"
#include "spec/json.h"

#define DEFAULT_SUBNET "10.77.0.0/16"
/* user networks without --subnet: the first free /24 from here up */
#define AUTO_SUBNET_BASE 0x0a4e0000u /* 10.78.0.0 */

void net_free(struct run_net *n)
{
        if (!n)
                return;
        free(n->name);
        free(n->id);
        free(n->driver);
        free(n->created);
        free(n->bridge);
        free(n->parent);
        free(n->dir);
        free(n);
}
DEFINE_POINTER_CLEANUP(struct run_net, net_free)

const char *net_prefix(void)
{
        const char *p = getenv("BOX_NETWORK_PREFIX");
        if (!p || !*p || strlen(p) > 6 ||
            strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(p))
                return "box";
        return p;
}

bool net_is_bridge(const struct run_net *n)
{
        return streq(n->driver, "bridge");
}

int net_parse_cidr(const char *s, struct in_addr *ret_net, int *ret_len)
{
        const char *slash = strchr(s, '/');
        if (!slash || slash - s >= INET_ADDRSTRLEN)
                return -EINVAL;
        char a[INET_ADDRSTRLEN];
        memcpy(a, s, (size_t)(slash - s));
        a[slash - s] = '\0';
        struct in_addr net;
        if (inet_pton(AF_INET, a, &net) != 1)
                return -EINVAL;
        char *end;
        errno = 0;
        long len = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || len < 8 || len > 30)
                return -EINVAL;
        uint32_t mask = 0xffffffffu << (32 - len);
        if (ntohl(net.s_addr) & ~mask)
                return -EINVAL; /* host bits set */
        *ret_net = net;
        *ret_len = (int)len;
        return 0;
}

char *net_cidr_str(struct in_addr net, int len)
{
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &net, a, sizeof(a));
        return xasprintf("%s/%d", a, len);
}

bool run_net_name_valid(const char *name)
{
        static const char *const reserved[] = {"bridge", "host", "none", "default"};
        if (strlen(name) > 64 || !run_name_valid(name))
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
                if (streq(name, reserved[i]))
                        return false;
        return true;
}

static char *now_rfc3339(void)
{
        time_t t = time(NULL);
        struct tm tm;
        char buf[64];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

static char *random_id(void)
{
        char id[RUN_ID_LEN + 1];
        run_random_id(id);
        return xstrdup(id);
}

static char *config_json(const struct run_net *n)
{
        _cleanup_jv_ struct jv *o = jv_object();
        _cleanup_free_ char *subnet = net_cidr_str(n->subnet, n->prefixlen);
        char gw[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
        jv_set_str(o, "Name", n->name);
        jv_set_str(o, "Id", n->id);
        jv_set_str(o, "Driver", n->driver);
        jv_set_str(o, "Subnet", subnet);
        jv_set_str(o, "Gateway", gw);
        jv_set(o, "Internal", jv_bool(n->internal));
        jv_set_str(o, "Parent", n->parent);
        jv_set_str(o, "Bridge", n->bridge);
        jv_set_str(o, "Created", n->created);
        return jv_dump(o, JV_PRETTY);
}

/* Reads a config back: every field is checked, since links and rules are
 * named after them. */
static int config_parse(const char *root, const char *name, const char *json, struct run_net **ret,
                        struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        _cleanup_(net_freep) struct run_net *n = xnew0(struct run_net, 1);
        if (jv_parse(json, strlen(json), &o, NULL) < 0 || !jv_is_object(o))
                return box_err_set(err, EINVAL, "network '%s': bad config.json", name);
        const char *driver = jv_get_str(o, "Driver"), *subnet = jv_get_str(o, "Subnet");
        const char *gw = jv_get_str(o, "Gateway"), *bridge = jv_get_str(o, "Bridge");
        const char *parent = jv_get_str(o, "Parent"), *id = jv_get_str(o, "Id");
        bool is_bridge = driver && streq(driver, "bridge");
        if (!driver || (!is_bridge && !streq(driver, "macvlan")) || !subnet ||
            net_parse_cidr(subnet, &n->subnet, &n->prefixlen) < 0 || !gw ||
            inet_pton(AF_INET, gw, &n->gateway) != 1 || !id || !run_id_valid(id) ||
            (is_bridge && (!bridge || strlen(bridge) >= IF_NAMESIZE || strchr(bridge, '"') ||
                           strchr(bridge, '/'))) ||
            (!is_bridge && (!parent || strlen(parent) >= IF_NAMESIZE || strchr(parent, '/'))))
                return box_err_set(err, EINVAL, "network '%s': bad config.json", name);
        n->name = xstrdup(name);
        n->id = xstrdup(id);
        n->driver = xstrdup(driver);
        n->bridge = is_bridge ? xstrdup(bridge) : NULL;
        n->parent = is_bridge ? NULL : xstrdup(parent);
        n->internal = jv_bool_value(jv_get(o, "Internal"));
        n->created = xstrdup(strempty(jv_get_str(o, "Created")));
        n->dir = xasprintf("%s/networks/%s", root, name);
        *ret = TAKE_PTR(n);
        return 0;
}

/* Writes N's config.json unless one is there: -EEXIST then. */
static int config_publish(const struct run_net *n, struct box_err *err)
{
        int r = fs_mkdir_p(n->dir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *json = config_json(n);
        _cleanup_free_ char *tmp = xasprintf("%s/.config.%d.tmp", n->dir, (int)getpid());
        _cleanup_free_ char *p = xasprintf("%s/config.json", n->dir);
        r = fs_write_atomic_at(AT_FDCWD, tmp, json, strlen(json), 0644, err);
        if (r < 0)
                return r;
        /* link(2) never replaces: of two boxes making it, one wins */
        r = link(tmp, p) < 0 ? -errno : 0;
        unlink(tmp);
        if (r < 0 && r != -EEXIST)
                return box_err_errno(err, -r, "create '%s'", p);
        return r;
}

static int default_network(const char *root, struct run_net **ret, struct box_err *err)
{
        _cleanup_(net_freep) struct run_net *n = xnew0(struct run_net, 1);
        const char *subnet = getenv("BOX_BRIDGE_SUBNET");
        if (!subnet || !*subnet)
                subnet = DEFAULT_SUBNET;
        if (net_parse_cidr(subnet, &n->subnet, &n->prefixlen) < 0)
                return box_err_set(err, EINVAL,
                                   "invalid BOX_BRIDGE_SUBNET '%s': want an IPv4 CIDR from /8 to "
                                   "/30 with no host bits",
                                   subnet);
        n->gateway.s_addr = htonl(ntohl(n->subnet.s_addr) + 1);
        n->name = xstrdup(RUN_NET_DEFAULT);
        n->id = random_id();
        n->driver = xstrdup("bridge");
        n->bridge = xasprintf("%s0", net_prefix());
        n->created = now_rfc3339();
        n->dir = xasprintf("%s/networks/%s", root, RUN_NET_DEFAULT);
        int r = config_publish(n, err);
        if (r < 0 && r != -EEXIST)
                return r;
        return net_load(root, RUN_NET_DEFAULT, ret, err);
}

int net_load(const char *root, const char *name, struct run_net **ret, struct box_err *err)
{
        if (!streq(name, RUN_NET_DEFAULT) && !run_net_name_valid(name))
                return box_err_set(err, EINVAL, "invalid network name '%s'", name);
        _cleanup_free_ char *p = xasprintf("%s/networks/%s/config.json", root, name);
        _cleanup_free_ char *json = NULL;
        int r = fs_read_file_at(AT_FDCWD, p, 1 << 16, &json, NULL, NULL);
        if (r == -ENOENT && streq(name, RUN_NET_DEFAULT))
                return default_network(root, ret, err);
        if (r == -ENOENT)
                return box_err_set(err, ENOENT, "network '%s' not found", name);
        if (r < 0)
                return box_err_errno(err, -r, "read '%s'", p);
        return config_parse(root, name, json, ret, err);
}

int net_lock(const struct run_net *n, struct box_err *err)
{
        int r = fs_mkdir_p(n->dir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *p = xasprintf("%s/lock", n->dir);
        int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
                close(fd);
                return box_err_errno(err, errno, "lock '%s'", p);
        }
        return fd;
}

char *net_host_loopback_resolver(void)
{
        const char *path = getenv("BOX_RESOLV_CONF");
        _cleanup_free_ char *rc = NULL;
        if (fs_read_file_at(AT_FDCWD, path && *path ? path : "/etc/resolv.conf", 1 << 20, &rc, NULL,
                            NULL) < 0)
                return NULL;
        for (char *l = rc, *nl; l && *l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = '\0';
                char a[INET_ADDRSTRLEN + 1];
                struct in_addr ia;
                if (sscanf(l, " nameserver %16s", a) == 1 && inet_pton(AF_INET, a, &ia) == 1 &&
                    (ntohl(ia.s_addr) >> 24) == 127)
                        return xstrdup(a);
        }
        return NULL;
}

/* The first time a bridge is used: check its subnet is free, make it, give
 * it the gateway's address, let it route 127.0.0.1 (DNAT from the host's
 * loopback), turn on forwarding, and make box's table. */
static int bridge_make(const struct run_net *n, int nl, struct box_err *err)
{
        char route[128];
        int r = run_nl_route_overlap(nl, n->subnet, n->prefixlen, 0, route, sizeof(route), err);
        if (r < 0)
                return r;
        if (r > 0) {
                _cleanup_free_ char *s = net_cidr_str(n->subnet, n->prefixlen);
                return box_err_set(err, EADDRINUSE,
                                   "network '%s': subnet '%s' overlaps the host's route '%s'; "
                                   "choose another (%s)",
                                   n->name, s, route,
                                   streq(n->name, RUN_NET_DEFAULT) ? "BOX_BRIDGE_SUBNET"
                                                                   : "box network create --subnet");
        }
        r = run_nl_bridge_create(nl, n->bridge, err);
        if (r < 0 && r != -EEXIST)
                return r;
        int idx = run_nl_link_index(nl, n->bridge);
        if (idx < 0)
                return box_err_errno(err, -idx, "bridge '%s'", n->bridge);
        r = run_nl_addr_add(nl, idx, n->gateway, n->prefixlen, err);
        _cleanup_free_ char *rl = xasprintf("ipv4/conf/%s/route_localnet", n->bridge);
        if (r >= 0)
                r = run_sysctl_net(rl, "1", err);
        if (r >= 0 && !n->internal)
                r = run_sysctl_net("ipv4/ip_forward", "1", err);
        if (r >= 0)
                r = run_nl_link_up(nl, idx, err);
        struct buf b = {0};
        _cleanup_free_ char *dns = net_host_loopback_resolver();
        _cleanup_free_ char *subnet = net_cidr_str(n->subnet, n->prefixlen);
        run_nft_table_script(&b, net_prefix(), dns);
        run_nft_bridge_script(&b, net_prefix(), true, n->bridge, subnet, n->internal);
        if (r >= 0)
                r = run_nft_apply(b.data, err);
        buf_release(&b);
        if (r < 0) {
                (void)run_nl_link_delete(nl, n->bridge, NULL);
                return box_err_prefix(err, "network '%s'", n->name);
        }
        return idx;
}

int net_link_ensure(const struct run_net *n, int nl, struct box_err *err)
{
        if (!net_is_bridge(n)) {
                int idx = run_nl_link_index(nl, n->parent);
                if (idx < 0)
                        return box_err_errno(err, -idx, "network '%s': parent link '%s'", n->name,
                                             n->parent);
                return idx;
        }
        int idx = run_nl_link_index(nl, n->bridge);
        if (idx > 0)
                return idx;
        return bridge_make(n, nl, err);
}

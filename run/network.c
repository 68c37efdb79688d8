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
#include "lib/sha256.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "run/net-internal.h"
#include "run/netlink.h"
#include "run/nft.h"
#include "run/state.h"
#include "spec/json.h"

#define DEFAULT_SUBNET "10.77.0.0/16"
/* user networks without --subnet: the first free /24 of this pool
 * ($BOX_SUBNET_POOL: then the default network's too) */
#define AUTO_SUBNET_POOL "10.78.0.0/16"
/* Host-wide, whatever the store: held while a bridge's subnet is checked
 * free on the host and the bridge takes it, so that two boxes never both
 * find one subnet free and both take it. */
#define HOST_SUBNET_LOCK "/run/box-subnets.lock"

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
        jv_free(n->labels);
        free(n);
}
DEFINE_POINTER_CLEANUP(struct run_net, net_free)

/* How much of S prints on one line (an error quotes no more). */
static int printable(const char *s)
{
        int n = 0;
        while (s[n] && isprint((unsigned char)s[n]) && n < 128)
                n++;
        return n;
}

static bool prefix_valid(const char *p)
{
        return *p && strlen(p) <= 6 &&
               strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(p);
}

const char *net_prefix(void)
{
        const char *p = getenv("BOX_NETWORK_PREFIX");
        /* an invalid one never gets here: net_prefix_check() refused it */
        return p && prefix_valid(p) ? p : "box";
}

/* A prefix that would name links of 16 bytes or a table of another name
 * than asked is refused, never replaced by the default (which someone
 * else may use). */
static int net_prefix_check(struct box_err *err)
{
        const char *p = getenv("BOX_NETWORK_PREFIX");
        if (p && !prefix_valid(p))
                return box_err_set(err, EINVAL,
                                   "invalid BOX_NETWORK_PREFIX '%.*s': want 1 to 6 of [a-z0-9]",
                                   printable(p), p);
        /* the test suite's: the default's link and table are the host's */
        if (!p && getenv("BOX_TEST_NO_DEFAULT_NET"))
                return box_err_set(err, EPERM,
                                   "BOX_NETWORK_PREFIX is unset under BOX_TEST_NO_DEFAULT_NET: "
                                   "the default 'box' is not a test's");
        return 0;
}

bool net_is_bridge(const struct run_net *n)
{
        return streq(n->driver, "bridge");
}

/* "ADDR/LEN" of FAMILY with MIN <= LEN <= MAX and no host bits: the
 * address (network byte order) in RET_NET, of SIZE bytes. */
static int cidr_parse(const char *s, int family, long min, long max, uint8_t *ret_net, size_t size,
                      int *ret_len)
{
        const char *slash = strchr(s, '/');
        if (!slash || slash - s >= INET6_ADDRSTRLEN)
                return -EINVAL;
        char a[INET6_ADDRSTRLEN];
        memcpy(a, s, (size_t)(slash - s));
        a[slash - s] = '\0';
        uint8_t net[16];
        if (inet_pton(family, a, net) != 1)
                return -EINVAL;
        char *end;
        errno = 0;
        long len = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || len < min || len > max)
                return -EINVAL;
        for (size_t bit = (size_t)len; bit < 8 * size; bit++)
                if (net[bit / 8] & (0x80 >> (bit % 8)))
                        return -EINVAL; /* host bits set */
        memcpy(ret_net, net, size);
        *ret_len = (int)len;
        return 0;
}

int net_parse_cidr(const char *s, struct in_addr *ret_net, int *ret_len)
{
        return cidr_parse(s, AF_INET, 8, 30, (uint8_t *)ret_net, sizeof(*ret_net), ret_len);
}

char *net_cidr_str(struct in_addr net, int len)
{
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &net, a, sizeof(a));
        return xasprintf("%s/%d", a, len);
}

int net_parse_cidr6(const char *s, struct in6_addr *ret_net, int *ret_len)
{
        return cidr_parse(s, AF_INET6, 16, 124, ret_net->s6_addr, sizeof(*ret_net), ret_len);
}

char *net_cidr6_str(const struct in6_addr *net, int len)
{
        char a[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, net, a, sizeof(a));
        return xasprintf("%s/%d", a, len);
}

/* The subnet's ::1, Docker's default IPv6 gateway. */
static struct in6_addr first6(const struct in6_addr *net)
{
        struct in6_addr g = *net;
        g.s6_addr[15] |= 1;
        return g;
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
        if (n->subnet_auto)
                jv_set(o, "BoxSubnetAuto", jv_bool(true));
        if (n->ipv6) {
                _cleanup_free_ char *subnet6 = net_cidr6_str(&n->subnet6, n->prefixlen6);
                char gw6[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, &n->gateway6, gw6, sizeof(gw6));
                jv_set(o, "IPv6", jv_bool(true));
                jv_set_str(o, "Subnet6", subnet6);
                jv_set_str(o, "Gateway6", gw6);
        }
        jv_set_str(o, "Parent", n->parent);
        jv_set_str(o, "Bridge", n->bridge);
        jv_set_str(o, "Created", n->created);
        jv_set(o, "Labels", n->labels ? jv_ref(n->labels) : jv_object());
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
        n->ipv6 = jv_bool_value(jv_get(o, "IPv6"));
        const char *subnet6 = jv_get_str(o, "Subnet6"), *gw6 = jv_get_str(o, "Gateway6");
        if (n->ipv6 && (!subnet6 || net_parse_cidr6(subnet6, &n->subnet6, &n->prefixlen6) < 0 ||
                        !gw6 || inet_pton(AF_INET6, gw6, &n->gateway6) != 1))
                return box_err_set(err, EINVAL, "network '%s': bad config.json", name);
        n->name = xstrdup(name);
        n->id = xstrdup(id);
        n->driver = xstrdup(driver);
        n->bridge = is_bridge ? xstrdup(bridge) : NULL;
        n->parent = is_bridge ? NULL : xstrdup(parent);
        n->internal = jv_bool_value(jv_get(o, "Internal"));
        n->subnet_auto = jv_bool_value(jv_get(o, "BoxSubnetAuto"));
        n->created = xstrdup(strempty(jv_get_str(o, "Created")));
        n->dir = xasprintf("%s/networks/%s", root, name);
        /* labels are only shown and matched: any object of strings */
        struct jv *labels = jv_get(o, "Labels");
        n->labels = jv_object();
        struct jv_iter it;
        const char *k;
        struct jv *val;
        jv_iter_init(&it, labels);
        while (jv_is_object(labels) && jv_iter_next(&it, &k, &val))
                if (jv_str(val))
                        jv_set_str(n->labels, k, jv_str(val));
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

static int pick_subnet(const char *root, const char *name, struct run_net *n, struct box_err *err);
static int subnet_check(const char *root, const char *name, int family, const void *net, int len,
                        struct box_err *err);

static int default_network(const char *root, struct run_net **ret, struct box_err *err)
{
        _cleanup_(net_freep) struct run_net *n = xnew0(struct run_net, 1);
        const char *subnet = getenv("BOX_BRIDGE_SUBNET");
        const char *pool = getenv("BOX_SUBNET_POOL");
        int r;
        if (subnet && *subnet) {
                if (net_parse_cidr(subnet, &n->subnet, &n->prefixlen) < 0)
                        return box_err_set(err, EINVAL,
                                           "invalid BOX_BRIDGE_SUBNET '%s': want an IPv4 CIDR "
                                           "from /8 to /30 with no host bits",
                                           subnet);
        } else {
                /* 10.77.0.0/16 unless the host has it (another store's
                 * bridge, a route, an address) or a pool is given: then
                 * the pool's first free /24 */
                n->subnet_auto = true;
                (void)net_parse_cidr(DEFAULT_SUBNET, &n->subnet, &n->prefixlen);
                if ((pool && *pool) || subnet_check(root, RUN_NET_DEFAULT, AF_INET, &n->subnet,
                                                    n->prefixlen, NULL) < 0) {
                        r = pick_subnet(root, RUN_NET_DEFAULT, n, err);
                        if (r < 0)
                                return r;
                }
        }
        n->gateway.s_addr = htonl(ntohl(n->subnet.s_addr) + 1);
        /* IPv4 only unless asked, as Docker's default bridge (docs/networking.md) */
        const char *subnet6 = getenv("BOX_BRIDGE_SUBNET6");
        if (subnet6 && *subnet6) {
                if (net_parse_cidr6(subnet6, &n->subnet6, &n->prefixlen6) < 0)
                        return box_err_set(err, EINVAL,
                                           "invalid BOX_BRIDGE_SUBNET6 '%.*s': want an IPv6 CIDR "
                                           "from /16 to /124 with no host bits",
                                           printable(subnet6), subnet6);
                n->ipv6 = true;
                n->gateway6 = first6(&n->subnet6);
        }
        n->name = xstrdup(RUN_NET_DEFAULT);
        n->id = random_id();
        n->driver = xstrdup("bridge");
        n->bridge = xasprintf("%s0", net_prefix());
        n->created = now_rfc3339();
        n->dir = xasprintf("%s/networks/%s", root, RUN_NET_DEFAULT);
        r = config_publish(n, err);
        if (r < 0 && r != -EEXIST)
                return r;
        return net_load(root, RUN_NET_DEFAULT, ret, err);
}

int net_load(const char *root, const char *name, struct run_net **ret, struct box_err *err)
{
        int pr = net_prefix_check(err);
        if (pr < 0)
                return pr;
        if (!streq(name, RUN_NET_DEFAULT) && !run_net_name_valid(name))
                return box_err_set(err, EINVAL, "invalid network name '%.*s'", printable(name),
                                   name);
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
        /* never made again here: a network removed while we waited is gone */
        _cleanup_free_ char *p = xasprintf("%s/lock", n->dir);
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", n->dir);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == ENOENT)
                return box_err_set(err, ENOENT, "network '%s' not found", n->name);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0)
                return box_err_errno(err, errno, "lock '%s'", p);
        /* removed (rm, prune) while we waited for the lock: the lock we hold
         * is a deleted file's, and the network is no more */
        struct stat a, b;
        if (fstat(fd, &a) < 0 || stat(p, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev ||
            access(cfg, F_OK) < 0)
                return box_err_set(err, ENOENT, "network '%s' not found", n->name);
        return TAKE_FD(fd);
}

int net_lock_all(const char *root, bool exclusive, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/networks", root);
        int r = fs_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        /* a dot: no network has this name */
        _cleanup_free_ char *p = xasprintf("%s/.lock", dir);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (RETRY_EINTR(flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0)
                return box_err_errno(err, errno, "lock '%s'", p);
        return TAKE_FD(fd);
}

/* Does container record CFG name network NAME (its --network, or one
 * box network connect added)? */
static bool record_names(const struct jv *cfg, const char *name)
{
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const char *mode = jv_get_str(hc, "NetworkMode");
        bool dflt = streq(name, RUN_NET_DEFAULT);
        /* box network disconnect took it off its own network */
        if (jv_bool_value(jv_get(hc, RUN_NET_MODE_LEFT)))
                mode = NULL;
        if (mode && (streq(mode, name) || (dflt && streq(mode, "default"))))
                return true;
        const struct jv *more = jv_get(hc, "BoxNetworks");
        for (size_t i = 0; i < jv_len(more); i++) {
                const char *m = jv_get_str(jv_at(more, i), "Name");
                if (m && streq(m, name))
                        return true;
        }
        return false;
}

static void first_member(const char *ip, const char *ip6, const char *id, const char *names,
                         void *userdata)
{
        char **who = userdata;
        if (!*who)
                *who = xasprintf("name:'%.*s' id:'%.12s'", (int)strcspn(names, " "), names, id);
}

/* With N's lock: who uses N?  A live lease, or a container that is to
 * start on it (created or restarting, not yet holding its lease: its
 * record names N), so that prune never takes a network from under a
 * container that is starting.  NULL when none; else "name:'c' id:'..'". */
char *net_user(const char *root, const char *runroot, const struct run_net *n)
{
        char *who = NULL;
        if (ipam_in_use(n, runroot)) {
                ipam_members(n, runroot, NULL, first_member, &who);
                return who ? who : xstrdup("a container");
        }
        _cleanup_strv_free_ char **ids = run_state_list(root);
        STRV_FOREACH (id, ids) {
                if (run_state_status(root, runroot, *id) == RUN_STATUS_EXITED)
                        continue;
                _cleanup_jv_ struct jv *cfg = run_state_read_json(root, *id, "config.json");
                if (cfg && record_names(cfg, n->name))
                        return xasprintf("name:'%s' id:'%.12s'", strempty(jv_get_str(cfg, "Name")),
                                         *id);
        }
        return NULL;
}

char *net_host_loopback_resolver(void)
{
        _cleanup_free_ char *rc = run_net_host_resolv_conf();
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

/* A dual-stack bridge's IPv6 side: the gateway's address (the link is
 * box's own, so its disable_ipv6 is ours to clear), and forwarding.  All
 * of IPv6 forwarding is one switch: with it on, a host interface whose
 * accept_ra is 1 stops taking router advertisements (docs/networking.md). */
static int bridge_make6(const struct run_net *n, int idx, int nl, struct box_err *err)
{
        _cleanup_free_ char *dis = xasprintf("ipv6/conf/%s/disable_ipv6", n->bridge);
        _cleanup_free_ char *ra = xasprintf("ipv6/conf/%s/accept_ra", n->bridge);
        int r = run_sysctl_net(dis, "0", err);
        if (r >= 0)
                r = run_sysctl_net(ra, "0", err);
        if (r >= 0)
                r = run_nl_addr6_add(nl, idx, &n->gateway6, n->prefixlen6, err);
        if (r >= 0 && !n->internal)
                r = run_sysctl_net("ipv6/conf/all/forwarding", "1", err);
        return r;
}

static int host_subnet_lock(struct box_err *err)
{
        _cleanup_close_ int fd =
                open(HOST_SUBNET_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", HOST_SUBNET_LOCK);
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0)
                return box_err_errno(err, errno, "lock '%s'", HOST_SUBNET_LOCK);
        return TAKE_FD(fd);
}

/* N's automatic subnet was taken on the host since it was picked: another
 * one, recorded in its config (the caller holds N's lock, and every box
 * that takes a lease reads the config again under it). */
static int subnet_repick(struct run_net *n, struct box_err *err)
{
        const char *sep = strstr(n->dir, "/networks/");
        _cleanup_free_ char *root = xstrndup(n->dir, (size_t)(sep - n->dir));
        _cleanup_free_ char *old = net_cidr_str(n->subnet, n->prefixlen);
        int r = pick_subnet(root, n->name, n, err);
        if (r < 0)
                return box_err_prefix(err, "its subnet '%s' is taken on the host", old);
        n->gateway.s_addr = htonl(ntohl(n->subnet.s_addr) + 1);
        _cleanup_free_ char *json = config_json(n);
        _cleanup_free_ char *p = xasprintf("%s/config.json", n->dir);
        return fs_write_atomic_at(AT_FDCWD, p, json, strlen(json), 0644, err);
}

/* The first time a bridge is used: check its subnet is free (another if it
 * was picked automatically and is not any more), make it, give it the
 * gateway's address, let it route 127.0.0.1 (DNAT from the host's
 * loopback), turn on forwarding, and make box's table.  All of the
 * checking and taking under the host-wide lock. */
static int bridge_make(struct run_net *n, int nl, struct box_err *err)
{
        _cleanup_close_ int host = host_subnet_lock(err);
        if (host < 0)
                return host;
        char route[160];
        int r = run_nl_route_overlap(nl, n->subnet, n->prefixlen, 0, route, sizeof(route), err);
        if (r > 0 && n->subnet_auto) {
                /* pick_subnet checks the host as well */
                r = subnet_repick(n, err);
                if (r < 0)
                        return box_err_prefix(err, "network '%s'", n->name);
                r = 0;
        }
        if (r == 0 && n->ipv6)
                r = run_nl_route6_overlap(nl, &n->subnet6, n->prefixlen6, 0, route, sizeof(route),
                                          err);
        if (r < 0)
                return r;
        if (r > 0) {
                _cleanup_free_ char *s = strchr(route, ':')
                                                 ? net_cidr6_str(&n->subnet6, n->prefixlen6)
                                                 : net_cidr_str(n->subnet, n->prefixlen);
                return box_err_set(err, EADDRINUSE,
                                   "network '%s': subnet '%s' overlaps the host's %s; "
                                   "choose another (%s)",
                                   n->name, s, route,
                                   !streq(n->name, RUN_NET_DEFAULT) ? "box network create --subnet"
                                   : strchr(route, ':')             ? "BOX_BRIDGE_SUBNET6"
                                                                    : "BOX_BRIDGE_SUBNET");
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
        if (r >= 0 && n->ipv6)
                r = bridge_make6(n, idx, nl, err);
        if (r >= 0)
                r = run_nl_link_up(nl, idx, err);
        struct buf b = {0};
        _cleanup_free_ char *dns = net_host_loopback_resolver();
        _cleanup_free_ char *subnet = net_cidr_str(n->subnet, n->prefixlen);
        run_nft_table_script(&b, net_prefix(), dns);
        run_nft_bridge_script(&b, net_prefix(), true, n->bridge, subnet, n->internal);
        if (n->ipv6) {
                /* box's ip6 table, made with the first dual-stack bridge */
                _cleanup_free_ char *subnet6 = net_cidr6_str(&n->subnet6, n->prefixlen6);
                run_nft_table6_script(&b, net_prefix());
                run_nft_bridge_script(&b, net_prefix(), true, n->bridge, subnet6, n->internal);
        }
        if (r >= 0)
                r = run_nft_apply(b.data, err);
        buf_release(&b);
        if (r < 0) {
                (void)run_nl_link_delete(nl, n->bridge, NULL);
                return box_err_prefix(err, "network '%s'", n->name);
        }
        return idx;
}

int net_link_ensure(struct run_net *n, int nl, struct box_err *err)
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

/* ---- box network create/ls/inspect/rm/prune ---- */

char **run_net_list(const char *root)
{
        char **v = xnew0(char *, 1);
        v = strv_append(v, RUN_NET_DEFAULT);
        _cleanup_free_ char *dir = xasprintf("%s/networks", root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_strv_free_ char **names = NULL;
        if (d && fs_dir_names(d, &names) >= 0)
                STRV_FOREACH (n, names)
                        if (run_net_name_valid(*n))
                                v = strv_append(v, *n);
        return v;
}

int run_net_resolve(const char *root, const char *arg, char **ret_name, struct box_err *err)
{
        _cleanup_strv_free_ char **names = run_net_list(root);
        names = strv_append(strv_append(names, "host"), "none");
        size_t hex = strspn(arg, "0123456789abcdef");
        bool id_like = hex > 0 && !arg[hex] && hex <= RUN_ID_LEN;
        const char *prefix_of = NULL;
        size_t matches = 0;
        /* Docker's order: a full id, then a name, then an id prefix */
        for (int pass = 0; pass < 2; pass++) {
                STRV_FOREACH (n, names) {
                        if (pass == 1 && streq(*n, arg)) {
                                *ret_name = xstrdup(*n);
                                return 0;
                        }
                        if (pass == 1 || !id_like)
                                continue;
                        _cleanup_free_ char *id = NULL, *driver = NULL;
                        if (run_net_is_mode(*n))
                                id = run_net_mode_id(root, *n);
                        else if (run_net_summary(root, *n, &id, &driver, NULL) < 0)
                                continue;
                        if (!startswith(id, arg))
                                continue;
                        if (hex == strlen(id)) {
                                *ret_name = xstrdup(*n);
                                return 0;
                        }
                        if (matches++ == 0)
                                prefix_of = *n;
                }
        }
        if (matches == 1) {
                *ret_name = xstrdup(prefix_of);
                return 0;
        }
        if (matches > 1)
                return box_err_set(err, EINVAL,
                                   "network %s is ambiguous (%zu matches found based on ID "
                                   "prefix)",
                                   arg, matches);
        /* no such network: the callers name it in their own errors */
        *ret_name = xstrdup(arg);
        return 0;
}

static bool overlap6(const struct in6_addr *a, const struct in6_addr *b, int len)
{
        for (int bit = 0; bit < len; bit++) {
                uint8_t m = (uint8_t)(0x80 >> (bit % 8));
                if ((a->s6_addr[bit / 8] & m) != (b->s6_addr[bit / 8] & m))
                        return false;
        }
        return true;
}

/* Does NET/LEN (an in_addr, or an in6_addr for FAMILY AF_INET6) overlap
 * a subnet of that family of a network of the store? */
static const char *overlapping_network(const char *root, int family, const void *net, int len)
{
        static char found[80];
        _cleanup_strv_free_ char **all = run_net_list(root);
        STRV_FOREACH (name, all) {
                _cleanup_(net_freep) struct run_net *n = NULL;
                _cleanup_free_ char *p = xasprintf("%s/networks/%s/config.json", root, *name);
                if (access(p, F_OK) < 0 || net_load(root, *name, &n, NULL) < 0)
                        continue;
                bool hit;
                if (family == AF_INET6) {
                        hit = n->ipv6 &&
                              overlap6(net, &n->subnet6, len < n->prefixlen6 ? len : n->prefixlen6);
                } else {
                        struct in_addr a;
                        memcpy(&a, net, sizeof(a));
                        int l = len < n->prefixlen ? len : n->prefixlen;
                        uint32_t mask = 0xffffffffu << (32 - l);
                        hit = (ntohl(a.s_addr) & mask) == (ntohl(n->subnet.s_addr) & mask);
                }
                if (hit) {
                        snprintf(found, sizeof(found), "%s", *name);
                        return found;
                }
        }
        return NULL;
}

/* NET/LEN of FAMILY (as overlapping_network()) is free: no network of the
 * store, no route of the host. */
static int subnet_check(const char *root, const char *name, int family, const void *net, int len,
                        struct box_err *err)
{
        struct in_addr a4;
        memcpy(&a4, net, sizeof(a4));
        _cleanup_free_ char *s =
                family == AF_INET6 ? net_cidr6_str(net, len) : net_cidr_str(a4, len);
        const char *other = overlapping_network(root, family, net, len);
        if (other)
                return box_err_set(err, EADDRINUSE,
                                   "network '%s': subnet '%s' overlaps network '%s'", name, s,
                                   other);
        _cleanup_close_ int nl = -EBADF;
        char route[128];
        int r = run_nl_open(-1, &nl, err);
        if (r >= 0 && family == AF_INET6)
                r = run_nl_route6_overlap(nl, net, len, 0, route, sizeof(route), err);
        else if (r >= 0)
                r = run_nl_route_overlap(nl, a4, len, 0, route, sizeof(route), err);
        if (r > 0)
                return box_err_set(err, EADDRINUSE,
                                   "network '%s': subnet '%s' overlaps the host's %s", name, s,
                                   route);
        return r;
}

/* The IPv6 side of a dual-stack network: --subnet (or a random unique
 * local /64, as Docker picks: fd00::/8 and 56 random bits), --gateway (or
 * its ::1). */
static int create_fill6(const char *root, const char *name, const struct run_net_create_opts *o,
                        bool macvlan, struct run_net *n, struct box_err *err)
{
        if (o->subnet6 && net_parse_cidr6(o->subnet6, &n->subnet6, &n->prefixlen6) < 0)
                return box_err_set(err, EINVAL,
                                   "invalid --subnet '%s': want an IPv6 CIDR from /16 to /124 "
                                   "with no host bits",
                                   o->subnet6);
        if (o->gateway6 && !o->subnet6)
                return box_err_set(err, EINVAL, "--gateway '%s' needs an IPv6 --subnet",
                                   o->gateway6);
        int r = -EADDRINUSE;
        for (int i = 0; !o->subnet6 && i < 16 && r == -EADDRINUSE; i++) {
                struct in6_addr a = {0};
                a.s6_addr[0] = 0xfd;
                if (getrandom(a.s6_addr + 1, 7, 0) != 7)
                        return box_err_errno(err, errno, "getrandom");
                n->subnet6 = a;
                n->prefixlen6 = 64;
                r = subnet_check(root, name, AF_INET6, &n->subnet6, 64, i < 15 ? NULL : err);
        }
        /* a macvlan's subnet is the parent's LAN, as for IPv4 */
        if (o->subnet6 && !macvlan)
                r = subnet_check(root, name, AF_INET6, &n->subnet6, n->prefixlen6, err);
        else if (o->subnet6)
                r = 0;
        if (r < 0)
                return r;
        n->gateway6 = first6(&n->subnet6);
        if (o->gateway6 && (inet_pton(AF_INET6, o->gateway6, &n->gateway6) != 1 ||
                            !overlap6(&n->gateway6, &n->subnet6, n->prefixlen6) ||
                            IN6_ARE_ADDR_EQUAL(&n->gateway6, &n->subnet6)))
                return box_err_set(err, EINVAL, "invalid --gateway '%s': not an address of '%s'",
                                   o->gateway6, o->subnet6);
        n->ipv6 = true;
        return 0;
}

/* The first /24 of the pool that no network of the store and no route or
 * address of the host overlaps. */
static int pick_subnet(const char *root, const char *name, struct run_net *n, struct box_err *err)
{
        const char *pool = getenv("BOX_SUBNET_POOL");
        struct in_addr base;
        int len;
        if (!pool || !*pool)
                pool = AUTO_SUBNET_POOL;
        if (net_parse_cidr(pool, &base, &len) < 0 || len > 24)
                return box_err_set(err, EINVAL,
                                   "invalid BOX_SUBNET_POOL '%.*s': want an IPv4 CIDR from /8 to "
                                   "/24 with no host bits",
                                   printable(pool), pool);
        for (uint32_t i = 0; i < (1u << (24 - len)); i++) {
                n->subnet.s_addr = htonl(ntohl(base.s_addr) + (i << 8));
                n->prefixlen = 24;
                if (subnet_check(root, name, AF_INET, &n->subnet, 24, NULL) == 0)
                        return 0;
        }
        return box_err_set(err, ENOSPC, "network '%s': no free subnet left in '%s'", name, pool);
}

static int create_fill(const char *root, const char *name, const struct run_net_create_opts *o,
                       struct run_net *n, struct box_err *err)
{
        const char *driver = o->driver ? o->driver : "bridge";
        if (!streq(driver, "bridge") && !streq(driver, "macvlan"))
                return box_err_set(err, EINVAL, "invalid driver '%s': want bridge or macvlan",
                                   driver);
        bool macvlan = streq(driver, "macvlan");
        if (!macvlan && o->parent)
                return box_err_set(err, EINVAL, "-o parent is a macvlan option");
        if (macvlan && (!o->parent || !*o->parent))
                return box_err_set(err, EINVAL, "a macvlan network needs -o parent=LINK");
        if (macvlan && (strlen(o->parent) >= IF_NAMESIZE || if_nametoindex(o->parent) == 0))
                return box_err_set(err, ENODEV, "invalid -o parent '%s': no such link", o->parent);
        if (o->subnet6 && !o->ipv6)
                return box_err_set(err, EINVAL, "--subnet '%s' is IPv6: it needs --ipv6",
                                   o->subnet6);
        if (o->subnet && net_parse_cidr(o->subnet, &n->subnet, &n->prefixlen) < 0)
                return box_err_set(err, EINVAL,
                                   "invalid --subnet '%s': want an IPv4 CIDR from /8 to /30 with "
                                   "no host bits",
                                   o->subnet);
        if (o->gateway && !o->subnet)
                return box_err_set(err, EINVAL, "--gateway needs a --subnet");
        int r = o->subnet ? 0 : pick_subnet(root, name, n, err);
        if (r < 0)
                return r;
        n->subnet_auto = !o->subnet && !macvlan;
        /* a macvlan subnet is the parent's LAN: it overlaps its route by design */
        if (o->subnet && !macvlan &&
            (r = subnet_check(root, name, AF_INET, &n->subnet, n->prefixlen, err)) < 0)
                return r;
        uint32_t net = ntohl(n->subnet.s_addr), size = 1u << (32 - n->prefixlen);
        n->gateway.s_addr = htonl(net + 1);
        if (o->gateway) {
                uint32_t g;
                if (inet_pton(AF_INET, o->gateway, &n->gateway) != 1 ||
                    (g = ntohl(n->gateway.s_addr)) - net >= size || g == net || g == net + size - 1)
                        return box_err_set(err, EINVAL,
                                           "invalid --gateway '%s': not an address of '%s'",
                                           o->gateway, o->subnet);
        }
        if (o->ipv6 && (r = create_fill6(root, name, o, macvlan, n, err)) < 0)
                return r;
        n->driver = xstrdup(driver);
        n->parent = macvlan ? xstrdup(o->parent) : NULL;
        n->bridge = macvlan ? NULL : xasprintf("%s-%.8s", net_prefix(), n->id);
        n->internal = o->internal;
        return 0;
}

int run_net_create(const char *root, const char *name, const struct run_net_create_opts *o,
                   char **ret_id, struct box_err *err)
{
        if (!run_net_name_valid(name))
                return box_err_set(err, EINVAL,
                                   "invalid network name '%.*s': want [a-zA-Z0-9][a-zA-Z0-9_.-]* "
                                   "up to 64 characters, and not bridge, host, none or default",
                                   printable(name), name);
        int r = net_prefix_check(err);
        if (r < 0)
                return r;
        _cleanup_(net_freep) struct run_net *n = xnew0(struct run_net, 1);
        n->name = xstrdup(name);
        n->id = random_id();
        n->created = now_rfc3339();
        n->dir = xasprintf("%s/networks/%s", root, name);
        n->labels = jv_object();
        for (size_t i = 0; o->labels && o->labels[i] && o->labels[i + 1]; i += 2)
                jv_set_str(n->labels, o->labels[i], o->labels[i + 1]);
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", n->dir);
        if (access(cfg, F_OK) == 0)
                return box_err_set(err, EEXIST, "network with name '%s' already exists", name);
        r = create_fill(root, name, o, n, err);
        if (r < 0)
                return r;
        r = config_publish(n, err);
        if (r == -EEXIST)
                return box_err_set(err, EEXIST, "network with name '%s' already exists", name);
        if (r < 0)
                return r;
        *ret_id = xstrdup(n->id);
        return 0;
}

int run_net_summary(const char *root, const char *name, char **ret_id, char **ret_driver,
                    struct box_err *err)
{
        _cleanup_(net_freep) struct run_net *n = NULL;
        int r = net_load(root, name, &n, err);
        if (r < 0)
                return r;
        *ret_id = xstrdup(n->id);
        *ret_driver = xstrdup(n->driver);
        return 0;
}

struct inspect_ctx {
        const struct run_net *net;
        struct jv *containers;
};

static void inspect_member(const char *ip, const char *ip6, const char *id, const char *names,
                           void *userdata)
{
        struct inspect_ctx *c = userdata;
        struct jv *o = jv_object();
        size_t nl = strcspn(names, " ");
        _cleanup_free_ char *name = xstrndup(names, nl);
        /* Docker's: "172.18.0.2/16", "fd12::2/64" ("" without IPv6) */
        _cleanup_free_ char *cidr = xasprintf("%s/%d", ip, c->net->prefixlen);
        _cleanup_free_ char *cidr6 = ip6 ? xasprintf("%s/%d", ip6, c->net->prefixlen6) : NULL;
        jv_set_str(o, "Name", name);
        jv_set_str(o, "IPv4Address", cidr);
        jv_set_str(o, "IPv6Address", strempty(cidr6));
        jv_set(c->containers, id, o);
}

bool run_net_is_mode(const char *name)
{
        return streq(name, "host") || streq(name, "none");
}

char *run_net_mode_id(const char *root, const char *name)
{
        /* the store's own, the same every time: Docker's daemon makes one
         * at its first start and keeps it */
        _cleanup_free_ char *seed = xasprintf("box network mode %s of %s", name, root);
        char d[SHA256_DIGEST_STR_LEN + 1];
        sha256_buf(seed, strlen(seed), d);
        return xstrdup(d + strlen("sha256:"));
}

/* Docker's inspect object of the host or none mode, its live containers. */
static char *mode_inspect_json(const char *root, const char *runroot, const char *name)
{
        _cleanup_jv_ struct jv *o = jv_object();
        _cleanup_free_ char *id = run_net_mode_id(root, name);
        jv_set_str(o, "Name", name);
        jv_set_str(o, "Id", id);
        jv_set_str(o, "Created", "0001-01-01T00:00:00Z");
        jv_set_str(o, "Scope", "local");
        jv_set_str(o, "Driver", streq(name, "host") ? "host" : "null");
        jv_set(o, "EnableIPv6", jv_bool(false));
        struct jv *ipam = jv_object();
        jv_set_str(ipam, "Driver", "default");
        jv_set(ipam, "Config", jv_array());
        jv_set(o, "IPAM", ipam);
        jv_set(o, "Internal", jv_bool(false));
        struct jv *members = jv_object();
        _cleanup_strv_free_ char **ids = run_state_list(root);
        STRV_FOREACH (cid, ids) {
                if (!run_state_is_live(runroot, *cid))
                        continue;
                _cleanup_jv_ struct jv *cfg = run_state_read_json(root, *cid, "config.json");
                const char *mode = jv_get_str(jv_get(cfg, "HostConfig"), "NetworkMode");
                if (!mode || !streq(mode, name))
                        continue;
                struct jv *e = jv_object();
                const char *cname = jv_get_str(cfg, "Name");
                jv_set_str(e, "Name", cname && cname[0] == '/' ? cname + 1 : strempty(cname));
                jv_set_str(e, "EndpointID", "");
                jv_set_str(e, "MacAddress", "");
                jv_set_str(e, "IPv4Address", "");
                jv_set_str(e, "IPv6Address", "");
                jv_set(members, *cid, e);
        }
        jv_set(o, "Containers", members);
        jv_set(o, "Options", jv_object());
        jv_set(o, "Labels", jv_object());
        return jv_dump(o, JV_PRETTY);
}

int run_net_inspect_json(const char *root, const char *runroot, const char *name, char **ret,
                         struct box_err *err)
{
        if (run_net_is_mode(name)) {
                *ret = mode_inspect_json(root, runroot, name);
                return 0;
        }
        _cleanup_(net_freep) struct run_net *n = NULL;
        int r = net_load(root, name, &n, err);
        if (r < 0)
                return r;
        _cleanup_jv_ struct jv *o = jv_object();
        _cleanup_free_ char *subnet = net_cidr_str(n->subnet, n->prefixlen);
        char gw[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
        jv_set_str(o, "Name", n->name);
        jv_set_str(o, "Id", n->id);
        jv_set_str(o, "Created", n->created);
        jv_set_str(o, "Scope", "local");
        jv_set(o, "Labels", n->labels ? jv_ref(n->labels) : jv_object());
        jv_set_str(o, "Driver", n->driver);
        jv_set(o, "EnableIPv6", jv_bool(n->ipv6));
        struct jv *ipam = jv_object(), *cfgs = jv_array(), *cfg = jv_object();
        jv_set_str(ipam, "Driver", "default");
        jv_set_str(cfg, "Subnet", subnet);
        jv_set_str(cfg, "Gateway", gw);
        jv_push(cfgs, cfg);
        if (n->ipv6) {
                struct jv *cfg6 = jv_object();
                _cleanup_free_ char *subnet6 = net_cidr6_str(&n->subnet6, n->prefixlen6);
                char gw6[INET6_ADDRSTRLEN];
                jv_set_str(cfg6, "Subnet", subnet6);
                jv_set_str(cfg6, "Gateway", inet_ntop(AF_INET6, &n->gateway6, gw6, sizeof(gw6)));
                jv_push(cfgs, cfg6);
        }
        jv_set(ipam, "Config", cfgs);
        jv_set(o, "IPAM", ipam);
        jv_set(o, "Internal", jv_bool(n->internal));
        struct inspect_ctx ic = {.net = n, .containers = jv_object()};
        ipam_members(n, runroot, NULL, inspect_member, &ic);
        jv_set(o, "Containers", ic.containers);
        struct jv *opts = jv_object();
        if (n->bridge)
                jv_set_str(opts, "com.docker.network.bridge.name", n->bridge);
        if (n->parent)
                jv_set_str(opts, "parent", n->parent);
        jv_set(o, "Options", opts);
        *ret = jv_dump(o, JV_PRETTY);
        return 0;
}

/* With N's lock and no live member: its link, its table elements, its dir. */
static int net_destroy(const struct run_net *n, bool keep_config, struct box_err *err)
{
        if (net_is_bridge(n)) {
                _cleanup_close_ int nl = -EBADF;
                int r = run_nl_open(-1, &nl, err);
                if (r < 0)
                        return r;
                if (run_nl_link_index(nl, n->bridge) > 0) {
                        struct buf b = {0};
                        _cleanup_free_ char *s = net_cidr_str(n->subnet, n->prefixlen);
                        run_nft_bridge_script(&b, net_prefix(), false, n->bridge, s, n->internal);
                        (void)run_nft_apply(b.data, NULL);
                        buf_release(&b);
                        if (n->ipv6) {
                                /* a transaction of its own: the ip6 table may be gone */
                                _cleanup_free_ char *s6 = net_cidr6_str(&n->subnet6, n->prefixlen6);
                                run_nft_bridge_script(&b, net_prefix(), false, n->bridge, s6,
                                                      n->internal);
                                (void)run_nft_apply(b.data, NULL);
                                buf_release(&b);
                        }
                        r = run_nl_link_delete(nl, n->bridge, err);
                        if (r < 0)
                                return r;
                }
        }
        if (keep_config)
                return 0;
        return fs_rm_rf(n->dir, err);
}

int run_net_remove(const char *root, const char *runroot, const char *name, struct box_err *err)
{
        if (streq(name, RUN_NET_DEFAULT) || run_net_is_mode(name))
                return box_err_set(err, EPERM,
                                   "'%s' is a pre-defined network and cannot be removed", name);
        _cleanup_(net_freep) struct run_net *n = NULL;
        int r = net_load(root, name, &n, err);
        if (r < 0)
                return r;
        _cleanup_close_ int all = net_lock_all(root, true, err);
        if (all < 0)
                return all;
        _cleanup_close_ int lock = net_lock(n, err);
        if (lock < 0)
                return lock;
        _cleanup_free_ char *who = net_user(root, runroot, n);
        if (who)
                return box_err_set(err, EBUSY, "network '%s' has active endpoints (%s)", name, who);
        return net_destroy(n, false, err);
}

int run_net_prune(const char *root, const char *runroot, run_net_prune_fn *takes, void *userdata,
                  char ***ret_removed, struct box_err *err)
{
        int pr = net_prefix_check(err);
        if (pr < 0)
                return pr;
        /* exclusive: no container takes a lease (run_net_attach holds this
         * lock shared) while we decide what is unused and remove it */
        _cleanup_close_ int all = net_lock_all(root, true, err);
        if (all < 0)
                return all;
        /* first what crashed containers left behind */
        _cleanup_strv_free_ char **ids = run_state_list(root);
        STRV_FOREACH (id, ids)
                if (!run_state_is_live(runroot, *id))
                        (void)run_net_cleanup(root, runroot, *id, NULL);
        char **removed = xnew0(char *, 1);
        bool any_used = false;
        _cleanup_strv_free_ char **names = run_net_list(root);
        int r = 0;
        STRV_FOREACH (name, names) {
                _cleanup_(net_freep) struct run_net *n = NULL;
                _cleanup_free_ char *p = xasprintf("%s/networks/%s/config.json", root, *name);
                if (access(p, F_OK) < 0 || net_load(root, *name, &n, NULL) < 0)
                        continue;
                _cleanup_close_ int lock = net_lock(n, NULL);
                if (lock < 0)
                        continue;
                bool is_default = streq(*name, RUN_NET_DEFAULT);
                /* one the filter leaves: counted as in use, its table stays */
                if (!is_default && takes && !takes(n->created, n->labels, userdata)) {
                        any_used = true;
                        continue;
                }
                /* the default network is only in use with a lease: a container
                 * that starts on it later makes its link again */
                _cleanup_free_ char *who = is_default ? NULL : net_user(root, runroot, n);
                if (who || ipam_in_use(n, runroot)) {
                        any_used = true;
                        continue;
                }
                /* the default network stays, its link goes with the table
                 * below (only when no network is in use) */
                if (!is_default && (r = net_destroy(n, false, err)) < 0)
                        break;
                if (!is_default)
                        removed = strv_append(removed, *name);
        }
        if (r >= 0 && !any_used) {
                _cleanup_(net_freep) struct run_net *d = NULL;
                _cleanup_free_ char *p =
                        xasprintf("%s/networks/%s/config.json", root, RUN_NET_DEFAULT);
                if (access(p, F_OK) == 0 && net_load(root, RUN_NET_DEFAULT, &d, NULL) >= 0) {
                        /* its lock: a lease given back meanwhile is done with
                         * it.  Its link goes (no daemon keeps it up) but not
                         * the network: Docker's predefined "bridge" is never
                         * pruned, so its id and subnet stay */
                        _cleanup_close_ int lock = net_lock(d, NULL);
                        r = net_destroy(d, true, err);
                }
                struct buf b = {0};
                run_nft_table_delete_script(&b, net_prefix());
                if (r >= 0)
                        r = run_nft_apply(b.data, err);
                buf_release(&b);
        }
        if (r < 0) {
                strv_free(removed);
                return r;
        }
        *ret_removed = removed;
        return 0;
}

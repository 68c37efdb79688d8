/* A container's network: what run_net_attach() gives it before it starts,
 * what run_net_attach_netns() puts in its namespace, the further networks
 * of box network connect (hot-plugged by run_net_connect(), taken off by
 * run_net_disconnect()), and what run_net_detach() (or, after a crash,
 * run_net_cleanup()) gives back.
 * See run/network.h for the files.  Name resolution on user networks is
 * /etc/hosts: each member's file lists the others, and the network lock
 * orders every change to them. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "run/net-internal.h"
#include "run/netlink.h"
#include "run/network.h"
#include "run/nft.h"
#include "run/state.h"
#include "spec/json.h"

struct net_if {
        struct run_net *net;
        struct in_addr ip;
        struct in6_addr ip6; /* on a dual-stack network (has_ip6) */
        bool has_ip6;
        int lease6_fd;
        uint8_t mac[6];
        char ifname[IF_NAMESIZE]; /* in the container: eth0 */
        char link[IF_NAMESIZE];   /* on the host: the veth's end ("" for macvlan) */
        int lease_fd;
        char *names; /* "name alias..." as others resolve it */
};

struct run_net_attachment {
        char *root, *runroot, *state_dir;
        char id[RUN_ID_LEN + 1];
        struct net_if nif;
        struct run_port *ports;
        size_t n_ports;
        int *port_fds;
        char *member_hosts;            /* lines for the other members of a user network */
        char *name;                    /* the container's, for the networks it joins at start */
        struct run_net_endpoint *more; /* box network connect's, joined at start */
        size_t n_more;
};

static const char hosts_base[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

static bool word_ok(const char *s)
{
        return *s && strlen(s) <= 253 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                       strlen(s);
}

static const char *ip_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6_str(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
        return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The container's address that a port of FAMILY forwards to. */
static const char *port_target(const struct net_if *nif, int family, char buf[INET6_ADDRSTRLEN])
{
        return family == AF_INET6 ? ip6_str(&nif->ip6, buf) : ip_str(nif->ip, buf);
}

/* ---- other members' /etc/hosts ---- */

/* Rewrites the hosts file of container ID in place (it is bind-mounted:
 * a rename would not reach the container): drops the lines of addresses
 * DROP and DROP6 (either may be NULL), then appends ADD (may be NULL). */
static void member_hosts_edit(const char *root, const char *id, const char *drop, const char *drop6,
                              const char *add)
{
        if (!run_id_valid(id))
                return;
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/hosts", root, id), *old = NULL;
        _cleanup_close_ int fd = open(p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
            fs_read_fd(fd, 1 << 20, &old, NULL, NULL) < 0)
                return;
        struct buf b = {0};
        _cleanup_free_ char *prefix = drop ? xasprintf("%s\t", drop) : NULL;
        _cleanup_free_ char *prefix6 = drop6 ? xasprintf("%s\t", drop6) : NULL;
        for (char *l = old, *nl; l && *l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = '\0';
                if ((!prefix || !startswith(l, prefix)) && (!prefix6 || !startswith(l, prefix6)))
                        buf_printf(&b, "%s\n", l);
        }
        if (add)
                buf_puts(&b, add);
        if (b.len && pwrite(fd, b.data, b.len, 0) == (ssize_t)b.len)
                (void)!ftruncate(fd, (off_t)b.len);
        else if (!b.len)
                (void)!ftruncate(fd, 0);
        buf_release(&b);
}

struct members_ctx {
        const char *root;
        const char *line; /* ours, to add to each member (NULL: drop ours) */
        const char *ip, *ip6;
        struct buf *collect; /* the members' own lines, for our file */
        const char *self;    /* disconnect: our id, whose file forgets the members */
};

static void member_visit(const char *ip, const char *ip6, const char *id, const char *names,
                         void *userdata)
{
        struct members_ctx *c = userdata;
        member_hosts_edit(c->root, id, c->ip, c->ip6, c->line);
        if (c->self)
                member_hosts_edit(c->root, c->self, ip, ip6, NULL);
        if (c->collect && *names)
                buf_printf(c->collect, "%s\t%s\n", ip, names);
        /* the IPv6 line after the IPv4 one, as a container's own */
        if (c->collect && *names && ip6)
                buf_printf(c->collect, "%s\t%s\n", ip6, names);
}

/* NIF's lines in the other members' /etc/hosts: its IPv4 address, and on
 * a dual-stack network its IPv6 one, with its names; NULL without names. */
static char *member_line(const struct net_if *nif)
{
        char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
        if (!*nif->names)
                return NULL;
        if (!nif->has_ip6)
                return xasprintf("%s\t%s\n", ip_str(nif->ip, ip), nif->names);
        return xasprintf("%s\t%s\n%s\t%s\n", ip_str(nif->ip, ip), nif->names,
                         ip6_str(&nif->ip6, ip6), nif->names);
}

/* ---- published ports ---- */

/* Is FD (a socket a restarted container's monitor kept) bound as P asks,
 * in P's family?  Then P takes its port. */
static bool port_fd_matches(struct run_port *p, int fd)
{
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } u = {0};
        socklen_t len = sizeof(u);
        int type = 0;
        socklen_t tlen = sizeof(type);
        bool v6 = p->family == AF_INET6;
        if (fd < 0 || getsockname(fd, &u.sa, &len) < 0 ||
            u.sa.sa_family != (v6 ? AF_INET6 : AF_INET) ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
            type != (streq(p->proto, "udp") ? SOCK_DGRAM : SOCK_STREAM))
                return false;
        unsigned port;
        if (v6) {
                struct in6_addr want = IN6ADDR_ANY_INIT;
                if ((p->host_ip[0] && inet_pton(AF_INET6, p->host_ip, &want) != 1) ||
                    memcmp(&u.in6.sin6_addr, &want, sizeof(want)) != 0)
                        return false;
                port = ntohs(u.in6.sin6_port);
        } else {
                struct in_addr want = {.s_addr = htonl(INADDR_ANY)};
                if ((p->host_ip[0] && inet_pton(AF_INET, p->host_ip, &want) != 1) ||
                    u.in.sin_addr.s_addr != want.s_addr)
                        return false;
                port = ntohs(u.in.sin_port);
        }
        unsigned last = p->host_port_end ? p->host_port_end : p->host_port;
        if (p->host_port && (port < p->host_port || port > last))
                return false;
        p->host_port = port;
        p->host_port_end = 0;
        return true;
}

/* Binds PORT of P's family and address (an IPv6 socket only for IPv6, so
 * that [::]:H and 0.0.0.0:H are two reservations): an fd, or -errno. */
static int bind_one(const struct run_port *p, unsigned port, unsigned *ret_port)
{
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } u = {0};
        socklen_t len;
        bool v6 = p->family == AF_INET6;
        if (v6) {
                u.in6.sin6_family = AF_INET6;
                u.in6.sin6_port = htons((uint16_t)port);
                len = sizeof(u.in6);
                if (p->host_ip[0] && inet_pton(AF_INET6, p->host_ip, &u.in6.sin6_addr) != 1)
                        return -EINVAL;
        } else {
                u.in.sin_family = AF_INET;
                u.in.sin_port = htons((uint16_t)port);
                len = sizeof(u.in);
                if (p->host_ip[0] && inet_pton(AF_INET, p->host_ip, &u.in.sin_addr) != 1)
                        return -EINVAL;
        }
        bool udp = streq(p->proto, "udp");
        _cleanup_close_ int fd =
                socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0 || (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
            bind(fd, &u.sa, len) < 0 || getsockname(fd, &u.sa, &len) < 0)
                return -errno;
        *ret_port = ntohs(v6 ? u.in6.sin6_port : u.in.sin_port);
        return TAKE_FD(fd);
}

/* "0.0.0.0:8080/tcp", "[::]:8080/tcp", "port 8080/tcp" (every address of
 * a network with one family) */
static char *port_where(const struct run_port *p, unsigned port)
{
        if (p->family == AF_INET6)
                return xasprintf("[%s]:%u/%s", p->host_ip[0] ? p->host_ip : "::", port, p->proto);
        return xasprintf("%s%s%u/%s", p->host_ip, p->host_ip[0] ? ":" : "port ", port, p->proto);
}

/* Reserves P's host port, and when TWIN (P's other family, from one -p
 * with no address) is given, the same port of TWIN's family: a random
 * port or a range tries the next candidate when either is taken. */
static int port_bind(struct run_port *p, struct run_port *twin, int *ret_fd, int *ret_twin_fd,
                     struct box_err *err)
{
        unsigned first = p->host_port, last = p->host_port_end ? p->host_port_end : p->host_port;
        unsigned tries = first ? last - first + 1 : 64, got = 0;
        const struct run_port *failed = p;
        int r = 0;
        for (unsigned i = 0; i < tries; i++) {
                unsigned want = first ? first + i : 0;
                failed = p;
                r = bind_one(p, want, &got);
                if (r >= 0 && twin) {
                        unsigned twin_got;
                        _cleanup_close_ int fd = r;
                        failed = twin;
                        r = bind_one(twin, got, &twin_got);
                        if (r >= 0) {
                                *ret_twin_fd = r;
                                twin->host_port = got;
                                twin->host_port_end = 0;
                                r = TAKE_FD(fd);
                        }
                }
                if (r >= 0) {
                        p->host_port = got;
                        p->host_port_end = 0;
                        *ret_fd = r;
                        return 0;
                }
                if (r != -EADDRINUSE)
                        break;
        }
        _cleanup_free_ char *where = port_where(failed, failed == twin ? got : first);
        if (r == -EADDRINUSE)
                return box_err_set(err, EADDRINUSE, "cannot publish %s: address already in use",
                                   where);
        return box_err_errno(err, -r, "cannot publish %s", where);
}

static void ports_script(const struct run_net_attachment *a, struct buf *b, bool add)
{
        char ip[INET6_ADDRSTRLEN];
        for (size_t i = 0; i < a->n_ports; i++) {
                const struct run_port *p = &a->ports[i];
                run_nft_port_script(b, net_prefix(), add, p->proto, p->host_ip, p->host_port,
                                    port_target(&a->nif, p->family, ip), p->container_port);
        }
}

/* The DNAT elements of our ports.  An element for one of our host ports
 * can only be a crashed container's (we hold the port): replaced. */
static int ports_publish(const struct run_net_attachment *a, struct box_err *err)
{
        if (!a->n_ports)
                return 0;
        struct buf b = {0};
        ports_script(a, &b, true);
        int r = run_nft_apply(b.data, err);
        buf_release(&b);
        if (r != -EEXIST)
                return r;
        for (size_t i = 0; i < a->n_ports; i++) {
                struct buf f = {0};
                const struct run_port *p = &a->ports[i];
                run_nft_port_forget_script(&f, net_prefix(), p->family == AF_INET6, p->proto,
                                           p->host_ip, p->host_port);
                (void)run_nft_apply(f.data, NULL);
                buf_release(&f);
        }
        ports_script(a, &b, true);
        r = run_nft_apply(b.data, err);
        buf_release(&b);
        return r;
}

static void ports_unpublish(const struct run_net_attachment *a)
{
        if (!a->n_ports)
                return;
        struct buf b = {0};
        ports_script(a, &b, false);
        if (run_nft_apply(b.data, NULL) < 0) {
                /* one element is someone else's now: take back the others */
                for (size_t i = 0; i < a->n_ports; i++) {
                        struct buf one = {0};
                        char ip[INET6_ADDRSTRLEN];
                        const struct run_port *p = &a->ports[i];
                        run_nft_port_script(&one, net_prefix(), false, p->proto, p->host_ip,
                                            p->host_port, port_target(&a->nif, p->family, ip),
                                            p->container_port);
                        (void)run_nft_apply(one.data, NULL);
                        buf_release(&one);
                }
        }
        buf_release(&b);
}

/* ---- network.json ---- */

static struct jv *ports_json(const struct run_port *ports, size_t n)
{
        struct jv *arr = jv_array();
        for (size_t i = 0; i < n; i++) {
                struct jv *o = jv_object();
                jv_set_str(o, "Proto", ports[i].proto);
                /* "" is every IPv4 address (what box wrote before IPv6) */
                jv_set_str(o, "HostIp",
                           ports[i].family == AF_INET6 && !ports[i].host_ip[0] ? "::"
                                                                               : ports[i].host_ip);
                jv_set(o, "HostPort", jv_int(ports[i].host_port));
                jv_set(o, "ContainerPort", jv_int(ports[i].container_port));
                jv_push(arr, o);
        }
        return arr;
}

static struct jv *if_json(const struct net_if *nif)
{
        char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], mac[18];
        struct jv *o = jv_object();
        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nif->mac[0], nif->mac[1],
                 nif->mac[2], nif->mac[3], nif->mac[4], nif->mac[5]);
        jv_set_str(o, "Name", nif->net->name);
        jv_set_str(o, "NetworkID", nif->net->id);
        jv_set_str(o, "Driver", nif->net->driver);
        jv_set_str(o, "IP", ip_str(nif->ip, ip));
        jv_set(o, "PrefixLen", jv_int(nif->net->prefixlen));
        jv_set_str(o, "Gateway", ip_str(nif->net->gateway, gw));
        jv_set_str(o, "MacAddress", mac);
        jv_set_str(o, "Link", nif->link);
        jv_set_str(o, "Ifname", nif->ifname);
        jv_set_str(o, "Names", nif->names);
        if (nif->has_ip6) {
                char ip6[INET6_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
                jv_set_str(o, "GlobalIPv6Address", ip6_str(&nif->ip6, ip6));
                jv_set(o, "GlobalIPv6PrefixLen", jv_int(nif->net->prefixlen6));
                jv_set_str(o, "IPv6Gateway", ip6_str(&nif->net->gateway6, gw6));
        }
        return o;
}

static int state_write(const struct run_net_attachment *a, struct box_err *err)
{
        if (!a->state_dir)
                return 0;
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set_str(o, "Table", net_prefix());
        struct jv *nets = jv_array();
        jv_push(nets, if_json(&a->nif));
        jv_set(o, "Networks", nets);
        jv_set(o, "Ports", ports_json(a->ports, a->n_ports));
        _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
        _cleanup_free_ char *p = xasprintf("%s/network.json", a->state_dir);
        /* no fsync: like the rest of the state dir it does not outlive a reboot's use */
        _cleanup_close_ int fd =
                open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        int r = fd < 0 ? -errno : fs_write_full(fd, json, strlen(json));
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", p);
        return 0;
}

/* ---- attach ---- */

static int state_dir_lock(const char *root, const char *id, struct box_err *err);

static void attachment_free(struct run_net_attachment *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_ports; i++)
                if (a->port_fds[i] >= 0)
                        close(a->port_fds[i]);
        if (a->nif.lease_fd >= 0)
                close(a->nif.lease_fd);
        if (a->nif.lease6_fd >= 0)
                close(a->nif.lease6_fd);
        net_free(a->nif.net);
        free(a->nif.names);
        free(a->ports);
        free(a->port_fds);
        free(a->member_hosts);
        free(a->name);
        for (size_t i = 0; i < a->n_more; i++) {
                free(a->more[i].network);
                free(a->more[i].ip);
                free(a->more[i].ip6);
                strv_free(a->more[i].aliases);
        }
        free(a->more);
        free(a->root);
        free(a->runroot);
        free(a->state_dir);
        free(a);
}

static int check_opts(const struct run_net *n, const struct run_net_attach_opts *o,
                      struct box_err *err)
{
        if (o->n_ports && (!net_is_bridge(n) || n->internal))
                return box_err_set(err, EINVAL,
                                   "network '%s': ports can be published only on a bridge network "
                                   "that is not internal",
                                   n->name);
        if (o->name && !word_ok(o->name))
                return box_err_set(err, EINVAL, "invalid container name '%s'", o->name);
        STRV_FOREACH (al, o->aliases)
                if (!word_ok(*al))
                        return box_err_set(err, EINVAL,
                                           "invalid --network-alias '%s': a host name has only "
                                           "letters, digits, '-', '_' and '.'",
                                           *al);
        if (o->aliases && o->aliases[0] && streq(n->name, RUN_NET_DEFAULT))
                return box_err_set(err, EINVAL,
                                   "--network-alias works only on user networks, not on '%s'",
                                   n->name);
        if (o->ip && streq(n->name, RUN_NET_DEFAULT))
                return box_err_set(err, EINVAL,
                                   "--ip works only on user networks with a subnet, not on '%s'",
                                   n->name);
        if (o->ip6 && streq(n->name, RUN_NET_DEFAULT))
                return box_err_set(err, EINVAL,
                                   "--ip6 works only on user networks with IPv6, not on '%s'",
                                   n->name);
        /* in the subnet, not the gateway; whether it is taken, the lease finds */
        if (o->ip && ipam_check(n, o->ip, NULL, err) < 0)
                return -EINVAL;
        if (o->ip6 && ipam_check6(n, o->ip6, NULL, err) < 0)
                return -EINVAL;
        return 0;
}

/* A restart: the sockets its monitor kept for A's ports K.. K+N-1 (bound
 * in this order before), when each still is what the port asks; then
 * the ports take them and stay the same. */
static bool ports_kept(struct run_net_attachment *a, const struct run_net_attach_opts *o, size_t k,
                       size_t n)
{
        struct run_port tmp[2];
        if (k + n > o->n_port_fds || n > ARRAY_SIZE(tmp))
                return false;
        for (size_t j = 0; j < n; j++) {
                tmp[j] = a->ports[k + j];
                if (!port_fd_matches(&tmp[j], o->port_fds[k + j]) ||
                    tmp[j].host_port != tmp[0].host_port)
                        return false;
        }
        for (size_t j = 0; j < n; j++) {
                a->port_fds[k + j] = fcntl(o->port_fds[k + j], F_DUPFD_CLOEXEC, 3);
                if (a->port_fds[k + j] < 0) {
                        for (size_t i = 0; i < j; i++) {
                                close(a->port_fds[k + i]);
                                a->port_fds[k + i] = -EBADF;
                        }
                        a->port_fds[k + j] = -EBADF;
                        return false;
                }
        }
        for (size_t j = 0; j < n; j++)
                a->ports[k + j] = tmp[j];
        return true;
}

/* O's ports, one per family (a port with no address: on each family of
 * the network, as Docker publishes on 0.0.0.0 and [::]), each bound. */
static int ports_reserve(struct run_net_attachment *a, const struct run_net_attach_opts *o,
                         struct box_err *err)
{
        const struct run_net *n = a->nif.net;
        size_t max = 2 * o->n_ports + 1;
        a->ports = xnew0(struct run_port, max);
        a->port_fds = xnew(int, max);
        for (size_t i = 0; i < max; i++)
                a->port_fds[i] = -EBADF;
        for (size_t i = 0; i < o->n_ports; i++) {
                const struct run_port *p = &o->ports[i];
                if (p->family == AF_INET6 && !n->ipv6)
                        return box_err_set(err, EAFNOSUPPORT,
                                           "invalid -p '%s': network '%s' has no IPv6 (box "
                                           "network create --ipv6)",
                                           p->spec[0] ? p->spec : p->host_ip, n->name);
                size_t k = a->n_ports;
                a->ports[k] = *p;
                bool both = !p->family && n->ipv6;
                if (!p->family)
                        a->ports[k].family = AF_INET;
                if (both) {
                        a->ports[k + 1] = *p;
                        a->ports[k + 1].family = AF_INET6;
                }
                /* counted first: a failure closes what was bound */
                a->n_ports += both ? 2 : 1;
                if (ports_kept(a, o, k, both ? 2 : 1))
                        continue;
                int r = port_bind(&a->ports[k], both ? &a->ports[k + 1] : NULL, &a->port_fds[k],
                                  both ? &a->port_fds[k + 1] : NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *names_of(const struct run_net_attach_opts *o)
{
        struct buf b = {0};
        if (o->name)
                buf_puts(&b, o->name);
        STRV_FOREACH (al, o->aliases)
                buf_printf(&b, "%s%s", b.len ? " " : "", *al);
        return b.len ? buf_steal(&b) : xstrdup("");
}

/* The locks to take a lease under: networks/.lock shared (in *RET_ALL),
 * then NIF's network's (returned).  The default network, which a prune
 * removed while we waited, is made again: its config anew. */
static int lock_for_lease(const char *root, struct net_if *nif, int *ret_all, struct box_err *err)
{
        _cleanup_close_ int all = net_lock_all(root, false, err);
        if (all < 0)
                return all;
        bool dflt = streq(nif->net->name, RUN_NET_DEFAULT);
        int lock = net_lock(nif->net, dflt ? NULL : err);
        if (lock == -ENOENT && dflt) {
                /* no prune runs while we hold networks/.lock */
                net_free(TAKE_PTR(nif->net));
                int r = net_load(root, RUN_NET_DEFAULT, &nif->net, err);
                if (r < 0)
                        return r;
                lock = net_lock(nif->net, err);
        } else if (lock < 0 && dflt) {
                lock = net_lock(nif->net, err);
        }
        if (lock < 0)
                return lock;
        /* read again under its lock: the box that made its bridge meanwhile
         * may have given it another subnet (net_link_ensure) */
        struct run_net *fresh = NULL;
        if (net_load(root, nif->net->name, &fresh, NULL) >= 0) {
                net_free(nif->net);
                nif->net = fresh;
        }
        *ret_all = TAKE_FD(all);
        return lock;
}

/* With the network lock: the link, a lease, and the members' hosts. */
static int attach_locked(struct run_net_attachment *a, const struct run_net_attach_opts *o,
                         struct box_err *err)
{
        struct net_if *nif = &a->nif;
        _cleanup_close_ int nl = -EBADF;
        int r = run_nl_open(-1, &nl, err);
        if (r < 0)
                return r;
        r = net_link_ensure(nif->net, nl, err);
        if (r < 0)
                return r;
        r = ipam_lease(nif->net, a->runroot, a->id, nif->names, o->ip, &nif->ip, &nif->lease_fd,
                       err);
        if (r >= 0 && nif->net->ipv6) {
                r = ipam_lease6(nif->net, a->runroot, a->id, nif->names, o->ip6, &nif->ip6,
                                &nif->lease6_fd, err);
                if (r < 0) {
                        ipam_release(nif->net, nif->ip, a->id, TAKE_FD(nif->lease_fd));
                        nif->ip.s_addr = 0;
                }
                nif->has_ip6 = r >= 0;
        }
        if (r < 0)
                return box_err_prefix(err, "network '%s'", nif->net->name);
        /* the default network resolves no names, as Docker's */
        if (streq(nif->net->name, RUN_NET_DEFAULT) || !a->state_dir)
                return 0;
        char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
        struct buf collect = {0};
        _cleanup_free_ char *line = member_line(nif);
        struct members_ctx c = {.root = a->root,
                                .line = line,
                                .ip = ip_str(nif->ip, ip),
                                .ip6 = nif->has_ip6 ? ip6_str(&nif->ip6, ip6) : NULL,
                                .collect = &collect};
        ipam_members(nif->net, a->runroot, a->id, member_visit, &c);
        a->member_hosts = buf_steal(&collect);
        return 0;
}

int run_net_attach(const char *root, const char *id, const struct run_net_attach_opts *o,
                   struct run_net_attachment **ret, struct box_err *err)
{
        struct run_net_attachment *a = xnew0(struct run_net_attachment, 1);
        int r;
        a->nif.lease_fd = -EBADF;
        a->nif.lease6_fd = -EBADF;
        a->root = xstrdup(root);
        a->runroot = o->runroot ? xstrdup(o->runroot) : NULL;
        a->state_dir = o->state_dir ? xstrdup(o->state_dir) : NULL;
        snprintf(a->id, sizeof(a->id), "%s", id);
        snprintf(a->nif.ifname, sizeof(a->nif.ifname), "eth0");
        a->nif.names = names_of(o);
        a->name = o->name ? xstrdup(o->name) : NULL;
        a->more = xnew0(struct run_net_endpoint, o->n_more + 1);
        for (size_t i = 0; i < o->n_more; i++, a->n_more++) {
                a->more[i].network = xstrdup(o->more[i].network);
                a->more[i].ip = o->more[i].ip ? xstrdup(o->more[i].ip) : NULL;
                a->more[i].ip6 = o->more[i].ip6 ? xstrdup(o->more[i].ip6) : NULL;
                a->more[i].aliases = strv_copy(o->more[i].aliases);
        }
        r = net_load(root, o->network ? o->network : RUN_NET_DEFAULT, &a->nif.net, err);
        if (r >= 0)
                r = check_opts(a->nif.net, o, err);
        if (r < 0)
                goto fail;
        if (net_is_bridge(a->nif.net))
                snprintf(a->nif.link, sizeof(a->nif.link), "%s%.8s0", net_prefix(), id);
        /* the host ports first, before anything is set up: a port in use
         * fails here with nothing to undo */
        r = ports_reserve(a, o, err);
        if (r < 0)
                goto fail;
        /* shared: prune and rm wait until our lease is there to see */
        int all = -EBADF, lock = lock_for_lease(root, &a->nif, &all, err);
        if (lock < 0) {
                r = lock;
                goto fail;
        }
        r = attach_locked(a, o, err);
        close(lock);
        close(all);
        if (r < 0)
                goto fail;
        uint32_t h = ntohl(a->nif.ip.s_addr);
        uint8_t mac[6] = {0x02, 0x42, h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff};
        memcpy(a->nif.mac, o->mac ? o->mac : mac, 6);
        r = state_write(a, err);
        if (r >= 0)
                r = ports_publish(a, err);
        if (r < 0) {
                run_net_detach(a);
                return r;
        }
        *ret = a;
        return 0;
fail:
        attachment_free(a);
        return r;
}

/* NIF's interface in network namespace NS: made, addressed, up, with the
 * default route via its gateway when ROUTE; its bridge port in hairpin mode
 * when HAIRPIN (the container publishes ports: it may reach them itself). */
static int if_plug(const struct net_if *nif, int ns, bool route, bool hairpin, struct box_err *err)
{
        struct run_net *n = nif->net;
        _cleanup_close_ int nl = -EBADF, cnl = -EBADF;
        int r = run_nl_open(-1, &nl, err);
        if (r < 0)
                return r;
        int idx = net_link_ensure(n, nl, err);
        if (idx < 0)
                return idx;
        if (net_is_bridge(n))
                r = run_nl_veth_create(nl, nif->link, idx, ns, nif->ifname, nif->mac, err);
        else
                r = run_nl_macvlan_create(nl, idx, ns, nif->ifname, nif->mac, err);
        if (r >= 0 && hairpin && net_is_bridge(n))
                r = run_nl_bridge_port_hairpin(nl, nif->link, err);
        if (r >= 0)
                r = run_nl_open(ns, &cnl, err);
        if (r < 0)
                return box_err_prefix(err, "network '%s'", n->name);
        int cidx = run_nl_link_index(cnl, nif->ifname);
        if (cidx < 0)
                return box_err_errno(err, -cidx, "the container's '%s'", nif->ifname);
        r = run_nl_addr_add(cnl, cidx, nif->ip, n->prefixlen, err);
        if (r >= 0 && net_is_bridge(n))
                r = run_nl_link_up(cnl, cidx, err);
        if (r >= 0 && route && !n->internal)
                r = run_nl_route_default(cnl, cidx, n->gateway, err);
        if (r >= 0 && nif->has_ip6)
                r = run_nl_addr6_add(cnl, cidx, &nif->ip6, n->prefixlen6, err);
        if (r >= 0 && nif->has_ip6 && route && !n->internal)
                r = run_nl_route6_default(cnl, cidx, &n->gateway6, err);
        if (r < 0)
                return box_err_prefix(err, "network '%s'", n->name);
        return 0;
}

int run_net_attach_netns(struct run_net_attachment *a, int pid, struct box_err *err)
{
        /* our child, not reaped yet: the pid is its */
        _cleanup_free_ char *p = xasprintf("/proc/%d/ns/net", pid);
        _cleanup_close_ int ns = open(p, O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        int r = if_plug(&a->nif, ns, true, a->n_ports > 0, err);
        if (r < 0 || !a->n_more)
                return r;
        /* the networks box network connect added while it was stopped */
        _cleanup_close_ int lock = state_dir_lock(a->root, a->id, err);
        if (lock < 0)
                return lock;
        for (size_t i = 0; r >= 0 && i < a->n_more; i++)
                r = run_net_connect(a->root, a->runroot, a->id, a->name, ns, &a->more[i], err);
        return r;
}

int run_net_attach_late(const char *root, const char *runroot, const char *id, const char *name,
                        int pid)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/ns/net", pid);
        _cleanup_close_ int ns = open(p, O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return -errno;
        _cleanup_close_ int lock = state_dir_lock(root, id, NULL);
        if (lock < 0)
                return lock;
        _cleanup_jv_ struct jv *cfg = run_state_read_json(root, id, "config.json");
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const struct jv *more = jv_get(hc, "BoxNetworks");
        /* its own network too, when a connect gave it back after a
         * disconnect while it started without it */
        const char *mode = jv_get_str(hc, "NetworkMode");
        bool own = mode && !jv_bool_value(jv_get(hc, RUN_NET_MODE_LEFT)) && !streq(mode, "host") &&
                   !streq(mode, "none") && !startswith(mode, "container:");
        int ret = 0;
        for (size_t i = 0; i < jv_len(more) + own; i++) {
                const struct jv *e = i < jv_len(more) ? jv_at(more, i) : NULL;
                _cleanup_strv_free_ char **aliases = jv_to_strv(jv_get(e, "Aliases"));
                struct run_net_endpoint ep = {.network = (char *)jv_get_str(e, "Name"),
                                              .ip = (char *)jv_get_str(e, "IPAddress"),
                                              .aliases = aliases};
                if (!e)
                        ep.network = (char *)(streq(mode, "default") ? RUN_NET_DEFAULT : mode);
                if (!ep.network)
                        continue;
                /* joined already (at the start, or by that connect itself) */
                int r = run_net_connect(root, runroot, id, name, ns, &ep, NULL);
                if (r < 0 && r != -EEXIST && ret == 0)
                        ret = r;
        }
        return ret;
}

int run_net_attach_keep_ports(struct run_net_attachment *a, int **ret_fds, size_t *ret_n,
                              struct box_err *err)
{
        _cleanup_free_ int *fds = xnew(int, a->n_ports + 1);
        for (size_t i = 0; i < a->n_ports; i++) {
                if (fcntl(a->port_fds[i], F_SETFD, 0) < 0)
                        return box_err_errno(err, errno, "keep host port %u",
                                             a->ports[i].host_port);
                /* the monitor holds it now: run_net_detach() must not close it */
                fds[i] = TAKE_FD(a->port_fds[i]);
        }
        *ret_n = a->n_ports;
        *ret_fds = TAKE_PTR(fds);
        return 0;
}

/* ---- the container's /etc files ---- */

char *run_net_hosts(const struct run_net_attachment *a, const char *hostname, const char *extra)
{
        char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
        const char *names = a->nif.names, *sep = *names ? " " : "";
        /* Docker's: the container's IPv6 address after its IPv4 one */
        _cleanup_free_ char *line6 =
                a->nif.has_ip6
                        ? xasprintf("%s\t%s%s%s\n", ip6_str(&a->nif.ip6, ip6), hostname, sep, names)
                        : NULL;
        return xasprintf("%s%s%s\t%s%s%s\n%s%s", hosts_base, strempty(extra), ip_str(a->nif.ip, ip),
                         hostname, sep, names, strempty(line6), strempty(a->member_hosts));
}

char *run_net_hosts_none(const char *hostname, const char *extra)
{
        return xasprintf("%s%s127.0.0.1\t%s\n", hosts_base, strempty(extra), hostname);
}

char *run_net_hosts_extra(char *const *add_hosts, const char *gateway)
{
        struct buf b = {0};
        buf_puts(&b, "");
        STRV_FOREACH (h, add_hosts) {
                const char *colon = strchr(*h, ':');
                if (!colon)
                        continue;
                const char *ip = colon + 1;
                if (streq(ip, "host-gateway"))
                        ip = gateway ? gateway : "127.0.0.1";
                buf_printf(&b, "%s\t%.*s\n", ip, (int)(colon - *h), *h);
        }
        return buf_steal(&b);
}

const char *run_net_gateway(const struct run_net_attachment *a, char buf[64])
{
        if (!a || !net_is_bridge(a->nif.net))
                return NULL;
        return ip_str(a->nif.net->gateway, buf);
}

char *run_net_resolv_apply(const char *rc, const struct run_dns *dns)
{
        bool servers = dns->servers && dns->servers[0], search = dns->search && dns->search[0],
             options = dns->options && dns->options[0];
        _cleanup_free_ char *copy = xstrdup(rc ? rc : "");
        struct buf b = {0};
        buf_puts(&b, "");
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if ((servers && startswith(l, "nameserver")) ||
                    (search && (startswith(l, "search") || startswith(l, "domain"))) ||
                    (options && startswith(l, "options")))
                        continue;
                buf_printf(&b, "%s\n", l);
        }
        /* Docker's order: nameservers, search, options */
        STRV_FOREACH (d, servers ? dns->servers : NULL)
                buf_printf(&b, "nameserver %s\n", *d);
        /* "." alone: no search domain at all */
        if (search && !(streq(dns->search[0], ".") && !dns->search[1])) {
                _cleanup_free_ char *j = strv_join(dns->search, " ");
                buf_printf(&b, "search %s\n", j);
        }
        if (options) {
                _cleanup_free_ char *j = strv_join(dns->options, " ");
                buf_printf(&b, "options %s\n", j);
        }
        return buf_steal(&b);
}

char *run_net_host_resolv_conf(void)
{
        const char *path = getenv("BOX_RESOLV_CONF");
        char *rc = NULL;
        if (fs_read_file_at(AT_FDCWD, path && *path ? path : "/etc/resolv.conf", 1 << 20, &rc, NULL,
                            NULL) < 0)
                return xstrdup("");
        return rc;
}

char *run_net_resolv_rewrite(const struct run_net_attachment *a, const char *host_rc)
{
        _cleanup_free_ char *rc = xstrdup(host_rc);
        /* a resolver on the host's loopback is out of the container's reach:
         * on a bridge its gateway stands in (box's table forwards port 53
         * there to the host's resolver); elsewhere it goes */
        struct buf b = {0};
        bool replaced = false;
        char gw[INET_ADDRSTRLEN];
        for (char *l = rc, *nl; l && *l; l = nl) {
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = '\0';
                char addr[64];
                if (sscanf(l, " nameserver %63s", addr) == 1 &&
                    (startswith(addr, "127.") || streq(addr, "::1"))) {
                        if (!replaced && net_is_bridge(a->nif.net) && startswith(addr, "127."))
                                buf_printf(&b, "nameserver %s\n", ip_str(a->nif.net->gateway, gw));
                        else
                                log_warn("the host's resolver %s is on its loopback: network "
                                         "'%s' cannot reach it",
                                         addr, a->nif.net->name);
                        replaced = true;
                        continue;
                }
                buf_printf(&b, "%s\n", l);
        }
        return b.len ? buf_steal(&b) : xstrdup("");
}

char *run_net_resolv_conf(const struct run_net_attachment *a)
{
        _cleanup_free_ char *rc = run_net_host_resolv_conf();
        return run_net_resolv_rewrite(a, rc);
}

/* ---- giving back ---- */

/* A's rules, lease and the members' hosts lines of A's network, and with
 * CRASHED its host link; with FORGET its network.json too.  SELF_TOO:
 * our own hosts file forgets the members (a disconnect, while we run). */
static void give_back(struct run_net_attachment *a, bool crashed, bool forget, bool self_too)
{
        struct net_if *nif = &a->nif;
        ports_unpublish(a);
        if (crashed && nif->link[0]) {
                _cleanup_close_ int nl = -EBADF;
                if (run_nl_open(-1, &nl, NULL) >= 0)
                        (void)run_nl_link_delete(nl, nif->link, NULL);
        }
        if (nif->ip.s_addr) {
                int lock = net_lock(nif->net, NULL);
                char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
                if (!streq(nif->net->name, RUN_NET_DEFAULT) && a->state_dir) {
                        struct members_ctx c = {.root = a->root,
                                                .ip = ip_str(nif->ip, ip),
                                                .ip6 = nif->has_ip6 ? ip6_str(&nif->ip6, ip6)
                                                                    : NULL,
                                                .self = self_too ? a->id : NULL};
                        ipam_members(nif->net, a->runroot, a->id, member_visit, &c);
                }
                ipam_release(nif->net, nif->ip, a->id, TAKE_FD(nif->lease_fd));
                if (nif->has_ip6)
                        ipam_release6(nif->net, &nif->ip6, a->id, TAKE_FD(nif->lease6_fd));
                if (lock >= 0)
                        close(lock);
        }
        if (a->state_dir && forget) {
                _cleanup_free_ char *p = xasprintf("%s/network.json", a->state_dir);
                unlink(p);
        }
}

static int state_read(const char *root, const char *id, struct jv **ret, struct box_err *err);
static void entry_give_back(const char *root, const char *runroot, const char *id,
                            const struct jv *ni, const struct jv *ports, bool self_too);

/* The networks after the first one (box network connect's), from
 * network.json: given back. */
static void give_back_more(const char *root, const char *runroot, const char *id)
{
        _cleanup_jv_ struct jv *o = NULL;
        if (state_read(root, id, &o, NULL) < 0)
                return;
        const struct jv *nets = jv_get(o, "Networks");
        bool left = jv_bool_value(jv_get(o, RUN_NET_MODE_LEFT));
        for (size_t i = left ? 0 : 1; i < jv_len(nets); i++)
                entry_give_back(root, runroot, id, jv_at(nets, i), NULL, false);
}

/* Did box network disconnect give back A's first network (and its
 * ports) already?  Then its lease file may be another container's now. */
static bool mode_left(const struct run_net_attachment *a)
{
        _cleanup_jv_ struct jv *o = NULL;
        return a->state_dir && state_read(a->root, a->id, &o, NULL) >= 0 &&
               jv_bool_value(jv_get(o, RUN_NET_MODE_LEFT));
}

void run_net_detach(struct run_net_attachment *a)
{
        if (!a)
                return;
        bool left = mode_left(a);
        if (a->state_dir)
                give_back_more(a->root, a->runroot, a->id);
        if (!left) {
                give_back(a, false, true, false);
        } else if (a->state_dir) {
                _cleanup_free_ char *p = xasprintf("%s/network.json", a->state_dir);
                unlink(p);
        }
        attachment_free(a);
}

static int parse_ports(const struct jv *arr, struct run_port **ret, size_t *ret_n)
{
        size_t n = jv_len(arr);
        struct run_port *v = xnew0(struct run_port, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
                const struct jv *o = jv_at(arr, i);
                const char *proto = jv_get_str(o, "Proto"), *hip = jv_get_str(o, "HostIp");
                int64_t hp = jv_int_value(jv_get(o, "HostPort"));
                int64_t cp = jv_int_value(jv_get(o, "ContainerPort"));
                unsigned char tmp[16];
                /* "" or "0.0.0.0": every IPv4 address; "::" every IPv6 one */
                v[i].family = hip && strchr(hip, ':') ? AF_INET6 : AF_INET;
                if (!proto || (!streq(proto, "tcp") && !streq(proto, "udp")) || !hip ||
                    (*hip && inet_pton(v[i].family, hip, tmp) != 1) || hp < 1 || hp > 65535 ||
                    cp < 1 || cp > 65535) {
                        free(v);
                        return -EINVAL;
                }
                snprintf(v[i].proto, sizeof(v[i].proto), "%s", proto);
                if (!streq(hip, "::") && !streq(hip, "0.0.0.0"))
                        snprintf(v[i].host_ip, sizeof(v[i].host_ip), "%s", hip);
                v[i].host_port = (unsigned)hp;
                v[i].container_port = (unsigned)cp;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int state_read(const char *root, const char *id, struct jv **ret, struct box_err *err)
{
        if (!run_id_valid(id))
                return box_err_set(err, EINVAL, "'%s' is not a container id", id);
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/network.json", root, id), *buf = NULL;
        int r = fs_read_file_at(AT_FDCWD, p, 1 << 20, &buf, NULL, NULL);
        if (r < 0)
                return r == -ENOENT ? -ENOENT : box_err_errno(err, -r, "read '%s'", p);
        if (jv_parse(buf, strlen(buf), ret, NULL) < 0 || !jv_is_object(*ret))
                return box_err_set(err, EINVAL, "'%s': bad JSON", p);
        return 0;
}

int run_net_ports(const char *root, const char *id, struct run_port **ret, size_t *ret_n,
                  struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        int r = state_read(root, id, &o, err);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;
        if (parse_ports(jv_get(o, "Ports"), ret, ret_n) < 0)
                return box_err_set(err, EINVAL, "container %.12s: bad ports in network.json", id);
        return 0;
}

/* One network of network.json (NI; PORTS: the first one's published
 * ports, or NULL), as a crashed container left it: given back. */
static void entry_give_back(const char *root, const char *runroot, const char *id,
                            const struct jv *ni, const struct jv *ports, bool self_too)
{
        const char *name = jv_get_str(ni, "Name"), *ip = jv_get_str(ni, "IP");
        const char *link = jv_get_str(ni, "Link");
        const char *ip6 = jv_get_str(ni, "GlobalIPv6Address");
        struct run_net_attachment a = {.nif.lease_fd = -EBADF, .nif.lease6_fd = -EBADF};
        if (!name || !ip || inet_pton(AF_INET, ip, &a.nif.ip) != 1 ||
            net_load(root, name, &a.nif.net, NULL) < 0)
                return;
        a.nif.has_ip6 = ip6 && a.nif.net->ipv6 && inet_pton(AF_INET6, ip6, &a.nif.ip6) == 1;
        a.root = (char *)root;
        a.runroot = (char *)runroot;
        snprintf(a.id, sizeof(a.id), "%s", id);
        /* our own links only: named with our prefix and this id */
        _cleanup_free_ char *mine = xasprintf("%s%.8s", net_prefix(), id);
        if (link && startswith(link, mine) && strlen(link) < IF_NAMESIZE)
                snprintf(a.nif.link, sizeof(a.nif.link), "%s", link);
        if (ports && parse_ports(ports, &a.ports, &a.n_ports) < 0)
                a.n_ports = 0;
        a.state_dir = xasprintf("%s/containers/%s", root, id);
        give_back(&a, true, false, self_too);
        free(a.state_dir);
        free(a.ports);
        net_free(a.nif.net);
}

int run_net_cleanup(const char *root, const char *runroot, const char *id, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        int r = state_read(root, id, &o, err);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        const struct jv *nets = jv_get(o, "Networks");
        for (size_t i = 0; i < jv_len(nets); i++)
                entry_give_back(root, runroot, id, jv_at(nets, i),
                                i == 0 ? jv_get(o, "Ports") : NULL, false);
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/network.json", root, id);
        unlink(p);
        return 0;
}

/* ---- box network connect and disconnect ---- */

/* The container's state dir, locked (flock): connect and disconnect
 * change its network.json one at a time. */
static int state_dir_lock(const char *root, const char *id, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", dir);
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0)
                return box_err_errno(err, errno, "lock '%s'", dir);
        return TAKE_FD(fd);
}

static int state_replace(const char *root, const char *id, const struct jv *o, struct box_err *err)
{
        _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/network.json", root, id);
        return fs_write_atomic_at(AT_FDCWD, p, json, strlen(json), 0644, err);
}

int run_net_endpoint_check(const char *root, const struct run_net_endpoint *ep, struct box_err *err)
{
        struct run_net *n = NULL;
        int r = net_load(root, ep->network, &n, err);
        if (r < 0)
                return r;
        struct run_net_attach_opts o = {.aliases = ep->aliases, .ip = ep->ip, .ip6 = ep->ip6};
        r = check_opts(n, &o, err);
        net_free(n);
        return r;
}

int run_net_lock(const char *root, const char *id, struct box_err *err)
{
        if (!run_id_valid(id))
                return box_err_set(err, EINVAL, "'%s' is not a container id", id);
        return state_dir_lock(root, id, err);
}

int run_net_connect(const char *root, const char *runroot, const char *id, const char *name,
                    int netns_fd, const struct run_net_endpoint *ep, struct box_err *err)
{
        _cleanup_jv_ struct jv *st = NULL;
        int r = state_read(root, id, &st, err);
        if (r == -ENOENT) {
                /* box network disconnect left it on no network: this one
                 * is its first again (it runs: NETNS_FD is its namespace) */
                st = jv_object();
                jv_set_str(st, "Table", net_prefix());
                jv_set(st, "Networks", jv_array());
                jv_set(st, "Ports", jv_array());
                jv_set(st, RUN_NET_MODE_LEFT, jv_bool(true));
        } else if (r < 0) {
                return r;
        }
        struct jv *nets = jv_get(st, "Networks");
        bool used[10] = {true};
        for (size_t i = 0; i < jv_len(nets); i++) {
                const struct jv *ni = jv_at(nets, i);
                const char *nn = jv_get_str(ni, "Name"), *ifn = jv_get_str(ni, "Ifname");
                if (nn && streq(nn, ep->network))
                        return box_err_set(err, EEXIST,
                                           "endpoint with name '%s' already exists in network '%s'",
                                           strempty(name), ep->network);
                if (ifn && startswith(ifn, "eth") && ifn[3] >= '0' && ifn[3] <= '9' && !ifn[4])
                        used[ifn[3] - '0'] = true;
        }
        int slot = 1;
        while (slot < 10 && used[slot])
                slot++;
        if (slot == 10)
                return box_err_set(err, ENOSPC, "container %.12s: at most 10 networks", id);
        struct run_net_attach_opts o = {
                .name = name, .aliases = ep->aliases, .ip = ep->ip, .ip6 = ep->ip6};
        struct run_net_attachment a = {.nif.lease_fd = -EBADF, .nif.lease6_fd = -EBADF};
        a.root = (char *)root;
        a.runroot = (char *)runroot;
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        a.state_dir = dir;
        snprintf(a.id, sizeof(a.id), "%s", id);
        snprintf(a.nif.ifname, sizeof(a.nif.ifname), "eth%d", slot);
        _cleanup_free_ char *names = names_of(&o);
        a.nif.names = names;
        r = net_load(root, ep->network, &a.nif.net, err);
        if (r >= 0)
                r = check_opts(a.nif.net, &o, err);
        if (r < 0)
                goto out;
        if (net_is_bridge(a.nif.net))
                snprintf(a.nif.link, sizeof(a.nif.link), "%s%.8s%d", net_prefix(), id, slot);
        int all = -EBADF, lock = lock_for_lease(root, &a.nif, &all, err);
        if (lock < 0) {
                r = lock;
                goto out;
        }
        r = attach_locked(&a, &o, err);
        close(lock);
        close(all);
        if (r < 0)
                goto out;
        uint32_t h = ntohl(a.nif.ip.s_addr);
        uint8_t mac[6] = {0x02, 0x42, h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff};
        memcpy(a.nif.mac, mac, 6);
        r = if_plug(&a.nif, netns_fd, false, false, err);
        if (r >= 0) {
                jv_push(nets, if_json(&a.nif));
                r = state_replace(root, id, st, err);
        }
        if (r < 0) {
                give_back(&a, true, false, true);
                goto out;
        }
        /* the leases live with the container's monitor from now on */
        close(TAKE_FD(a.nif.lease_fd));
        if (a.nif.lease6_fd >= 0)
                close(TAKE_FD(a.nif.lease6_fd));
        if (a.member_hosts && *a.member_hosts)
                member_hosts_edit(root, id, NULL, NULL, a.member_hosts);
out:
        if (a.nif.lease_fd >= 0)
                close(a.nif.lease_fd);
        if (a.nif.lease6_fd >= 0)
                close(a.nif.lease6_fd);
        free(a.member_hosts);
        net_free(a.nif.net);
        return r;
}

int run_net_disconnect(const char *root, const char *runroot, const char *id, int netns_fd,
                       const char *network, struct box_err *err)
{
        _cleanup_jv_ struct jv *st = NULL;
        int r = state_read(root, id, &st, err);
        if (r < 0)
                return r;
        const struct jv *nets = jv_get(st, "Networks");
        bool left = jv_bool_value(jv_get(st, RUN_NET_MODE_LEFT));
        struct jv *keep = jv_array();
        const struct jv *gone = NULL;
        size_t at = 0;
        for (size_t i = 0; i < jv_len(nets); i++) {
                struct jv *ni = jv_at(nets, i);
                const char *nn = jv_get_str(ni, "Name");
                if (!gone && nn && streq(nn, network)) {
                        gone = ni;
                        at = i;
                } else {
                        jv_push(keep, jv_ref(ni));
                }
        }
        if (!gone) {
                jv_free(keep);
                return -ENOENT;
        }
        /* the first network (the one it started on) takes its ports along */
        bool first = at == 0 && !left;
        /* the interface goes with its host end (a veth), or in the
         * container's namespace (a macvlan) */
        const char *ifn = jv_get_str(gone, "Ifname");
        _cleanup_close_ int cnl = -EBADF;
        if (netns_fd >= 0 && ifn && run_nl_open(netns_fd, &cnl, NULL) >= 0)
                (void)run_nl_link_delete(cnl, ifn, NULL);
        entry_give_back(root, runroot, id, gone, first ? jv_get(st, "Ports") : NULL, true);
        const char *ip = jv_get_str(gone, "IP"), *ip6 = jv_get_str(gone, "GlobalIPv6Address");
        struct run_net *n = NULL;
        if (first && net_load(root, network, &n, NULL) >= 0) {
                /* its monitor holds these leases locked: given back here,
                 * and the monitor leaves them alone (mode_left()) */
                int lock = net_lock(n, NULL);
                if (ip)
                        ipam_forget(n, ip, id);
                if (ip6)
                        ipam_forget(n, ip6, id);
                if (lock >= 0)
                        close(lock);
                net_free(n);
        }
        /* its own lines of those addresses */
        if (ip || ip6)
                member_hosts_edit(root, id, ip, ip6, NULL);
        _cleanup_jv_ struct jv *o = jv_ref(st);
        jv_set(o, "Networks", keep);
        if (first) {
                jv_set(o, "Ports", jv_array());
                jv_set(o, RUN_NET_MODE_LEFT, jv_bool(true));
        }
        return state_replace(root, id, o, err);
}

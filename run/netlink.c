/* rtnetlink requests (see run/netlink.h): one request at a time, each
 * acknowledged, on a blocking socket.  Messages are built in a fixed
 * buffer: the largest (a veth with its peer) takes under 200 bytes. */
#include "run/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "lib/fs.h"
#include "lib/xalloc.h"

struct nl_msg {
        union {
                struct nlmsghdr h;
                char buf[1024];
        };
};

static void *nl_tail(struct nl_msg *m)
{
        return m->buf + NLMSG_ALIGN(m->h.nlmsg_len);
}

static void nl_init(struct nl_msg *m, int type, int flags, const void *hdr, size_t hdr_len)
{
        memset(m, 0, sizeof(*m));
        m->h.nlmsg_type = (uint16_t)type;
        m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
        m->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr_len);
        memcpy(NLMSG_DATA(&m->h), hdr, hdr_len);
}

static struct rtattr *nl_put(struct nl_msg *m, int type, const void *data, size_t len)
{
        struct rtattr *a = nl_tail(m);
        a->rta_type = (uint16_t)type;
        a->rta_len = (uint16_t)RTA_LENGTH(len);
        if (len)
                memcpy(RTA_DATA(a), data, len);
        m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
        return a;
}

static void nl_put_str(struct nl_msg *m, int type, const char *s)
{
        nl_put(m, type, s, strlen(s) + 1);
}

static void nl_put_u32(struct nl_msg *m, int type, uint32_t v)
{
        nl_put(m, type, &v, sizeof(v));
}

static struct rtattr *nl_nest(struct nl_msg *m, int type)
{
        return nl_put(m, type, NULL, 0);
}

static void nl_nest_end(struct nl_msg *m, struct rtattr *a)
{
        a->rta_len = (uint16_t)((char *)nl_tail(m) - (char *)a);
}

/* Sends M and reads its acknowledgement: 0 or the kernel's -errno. */
static int nl_talk(int nl, struct nl_msg *m)
{
        static uint32_t seq;
        m->h.nlmsg_seq = ++seq;
        if (send(nl, m->buf, m->h.nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                char buf[8192];
                ssize_t n = RETRY_EINTR(recv(nl, buf, sizeof(buf), 0));
                if (n < 0)
                        return -errno;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
                     h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != m->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
                                continue;
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        return e->error;
                }
        }
}

int run_nl_open(int netns_fd, int *ret_fd, struct box_err *err)
{
        _cleanup_close_ int own = -EBADF;
        if (netns_fd >= 0) {
                own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        return box_err_errno(err, errno, "open /proc/self/ns/net");
                if (setns(netns_fd, CLONE_NEWNET) < 0)
                        return box_err_errno(err, errno, "enter the container's network namespace");
        }
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        int e = errno;
        /* the socket stays in the namespace it was made in */
        if (own >= 0 && setns(own, CLONE_NEWNET) < 0) {
                if (fd >= 0)
                        close(fd);
                return box_err_errno(err, errno, "return to box's network namespace");
        }
        if (fd < 0)
                return box_err_errno(err, e, "netlink socket");
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                e = errno;
                close(fd);
                return box_err_errno(err, e, "netlink connect");
        }
        *ret_fd = fd;
        return 0;
}

int run_nl_link_index(int nl, const char *name)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        nl_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
        m.h.nlmsg_flags &= (uint16_t)~NLM_F_ACK;
        nl_put_str(&m, IFLA_IFNAME, name);
        static uint32_t seq = 1u << 30;
        m.h.nlmsg_seq = ++seq;
        if (send(nl, m.buf, m.h.nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                char buf[16384];
                ssize_t n = RETRY_EINTR(recv(nl, buf, sizeof(buf), 0));
                if (n < 0)
                        return -errno;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
                     h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                int e = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
                                return e == -ENODEV || e == 0 ? -ENODEV : e;
                        }
                        if (h->nlmsg_type == RTM_NEWLINK)
                                return ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
                }
        }
}

int run_nl_bridge_create(int nl, const char *name, struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
        nl_put_str(&m, IFLA_IFNAME, name);
        struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
        nl_put_str(&m, IFLA_INFO_KIND, "bridge");
        nl_nest_end(&m, li);
        int r = nl_talk(nl, &m);
        if (r < 0 && r != -EEXIST)
                return box_err_errno(err, -r, "create bridge '%s'", name);
        return r;
}

int run_nl_link_up(int nl, int ifindex, struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {
                .ifi_family = AF_UNSPEC,
                .ifi_index = ifindex,
                .ifi_flags = IFF_UP,
                .ifi_change = IFF_UP,
        };
        nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        int r = nl_talk(nl, &m);
        if (r < 0)
                return box_err_errno(err, -r, "set link %d up", ifindex);
        return 0;
}

int run_nl_link_delete(int nl, const char *name, struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        nl_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
        nl_put_str(&m, IFLA_IFNAME, name);
        int r = nl_talk(nl, &m);
        if (r < 0 && r != -ENODEV)
                return box_err_errno(err, -r, "delete link '%s'", name);
        return 0;
}

/* ADDR (LEN bytes of FAMILY) added to IFINDEX: an IPv4 one with its
 * broadcast, an IPv6 one with no duplicate address detection (box hands
 * each address out once; DAD would keep it tentative for a second). */
static int addr_add(int nl, int family, int ifindex, const void *addr, size_t len, int prefixlen,
                    struct box_err *err)
{
        struct nl_msg m;
        struct ifaddrmsg ifa = {
                .ifa_family = (unsigned char)family,
                .ifa_prefixlen = (unsigned char)prefixlen,
                .ifa_index = (unsigned)ifindex,
        };
        nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
        nl_put(&m, IFA_LOCAL, addr, len);
        nl_put(&m, IFA_ADDRESS, addr, len);
        if (family == AF_INET) {
                struct in_addr brd;
                memcpy(&brd, addr, sizeof(brd));
                if (prefixlen < 31)
                        brd.s_addr |= htonl(prefixlen ? 0xffffffffu >> prefixlen : 0xffffffffu);
                nl_put(&m, IFA_BROADCAST, &brd, sizeof(brd));
        } else {
                nl_put_u32(&m, IFA_FLAGS, IFA_F_NODAD);
        }
        int r = nl_talk(nl, &m);
        if (r < 0 && r != -EEXIST) {
                char a[INET6_ADDRSTRLEN];
                inet_ntop(family, addr, a, sizeof(a));
                return box_err_errno(err, -r, "add address %s/%d", a, prefixlen);
        }
        return 0;
}

int run_nl_addr_add(int nl, int ifindex, struct in_addr addr, int prefixlen, struct box_err *err)
{
        return addr_add(nl, AF_INET, ifindex, &addr, sizeof(addr), prefixlen, err);
}

int run_nl_addr6_add(int nl, int ifindex, const struct in6_addr *addr, int prefixlen,
                     struct box_err *err)
{
        return addr_add(nl, AF_INET6, ifindex, addr, sizeof(*addr), prefixlen, err);
}

static int route_default(int nl, int family, int ifindex, const void *gw, size_t len,
                         struct box_err *err)
{
        struct nl_msg m;
        struct rtmsg rt = {
                .rtm_family = (unsigned char)family,
                .rtm_table = RT_TABLE_MAIN,
                .rtm_protocol = RTPROT_BOOT,
                .rtm_scope = RT_SCOPE_UNIVERSE,
                .rtm_type = RTN_UNICAST,
        };
        nl_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
        nl_put(&m, RTA_GATEWAY, gw, len);
        nl_put_u32(&m, RTA_OIF, (uint32_t)ifindex);
        int r = nl_talk(nl, &m);
        if (r < 0 && r != -EEXIST)
                return box_err_errno(err, -r, "add the default %sroute",
                                     family == AF_INET6 ? "IPv6 " : "");
        return 0;
}

int run_nl_route_default(int nl, int ifindex, struct in_addr gw, struct box_err *err)
{
        return route_default(nl, AF_INET, ifindex, &gw, sizeof(gw), err);
}

int run_nl_route6_default(int nl, int ifindex, const struct in6_addr *gw, struct box_err *err)
{
        return route_default(nl, AF_INET6, ifindex, gw, sizeof(*gw), err);
}

int run_nl_veth_create(int nl, const char *host_name, int master, int peer_netns_fd,
                       const char *peer_name, const uint8_t mac[6], struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
        nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
        nl_put_str(&m, IFLA_IFNAME, host_name);
        nl_put_u32(&m, IFLA_MASTER, (uint32_t)master);
        struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
        nl_put_str(&m, IFLA_INFO_KIND, "veth");
        struct rtattr *data = nl_nest(&m, IFLA_INFO_DATA);
        struct rtattr *peer = nl_nest(&m, VETH_INFO_PEER);
        /* the peer's attributes follow its own ifinfomsg */
        struct ifinfomsg *pifi = nl_tail(&m);
        memset(pifi, 0, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        m.h.nlmsg_len += (uint32_t)NLMSG_ALIGN(sizeof(*pifi));
        nl_put_str(&m, IFLA_IFNAME, peer_name);
        nl_put(&m, IFLA_ADDRESS, mac, 6);
        nl_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
        nl_nest_end(&m, peer);
        nl_nest_end(&m, data);
        nl_nest_end(&m, li);
        int r = nl_talk(nl, &m);
        if (r < 0)
                return box_err_errno(err, -r, "create veth '%s'", host_name);
        return 0;
}

int run_nl_bridge_port_hairpin(int nl, const char *name, struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        /* the bridge's own port options (`ip link set NAME type
         * bridge_slave hairpin on`): not part of the veth's creation, which
         * the kernel gives no port options */
        nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        nl_put_str(&m, IFLA_IFNAME, name);
        struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
        nl_put_str(&m, IFLA_INFO_SLAVE_KIND, "bridge");
        struct rtattr *data = nl_nest(&m, IFLA_INFO_SLAVE_DATA);
        uint8_t on = 1;
        nl_put(&m, IFLA_BRPORT_MODE, &on, sizeof(on));
        nl_nest_end(&m, data);
        nl_nest_end(&m, li);
        int r = nl_talk(nl, &m);
        if (r < 0)
                return box_err_errno(err, -r, "hairpin mode on '%s'", name);
        return 0;
}

int run_nl_macvlan_create(int nl, int parent, int netns_fd, const char *name, const uint8_t mac[6],
                          struct box_err *err)
{
        struct nl_msg m;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
        nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
        nl_put_str(&m, IFLA_IFNAME, name);
        nl_put_u32(&m, IFLA_LINK, (uint32_t)parent);
        nl_put(&m, IFLA_ADDRESS, mac, 6);
        nl_put_u32(&m, IFLA_NET_NS_FD, (uint32_t)netns_fd);
        struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
        nl_put_str(&m, IFLA_INFO_KIND, "macvlan");
        struct rtattr *data = nl_nest(&m, IFLA_INFO_DATA);
        nl_put_u32(&m, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
        nl_nest_end(&m, data);
        nl_nest_end(&m, li);
        int r = nl_talk(nl, &m);
        if (r < 0)
                return box_err_errno(err, -r, "create macvlan on link %d", parent);
        return 0;
}

/* Do the first min(ALEN, BLEN) bits of A and B (16 bytes, or 4) agree? */
static bool prefixes_overlap(const uint8_t *a, int alen, const uint8_t *b, int blen)
{
        int len = alen < blen ? alen : blen;
        int bytes = len / 8, bits = len % 8;
        if (memcmp(a, b, (size_t)bytes) != 0)
                return false;
        uint8_t mask = (uint8_t)(0xff00u >> bits);
        return !bits || (a[bytes] & mask) == (b[bytes] & mask);
}

/* One route of a dump: does it overlap NET/LEN (of the dump's family), and
 * if so, describe it. */
static bool route_overlaps(const struct nlmsghdr *h, int family, const uint8_t *net, int len,
                           int except, char *ret, size_t size)
{
        const struct rtmsg *rt = NLMSG_DATA(h);
        if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_family != family ||
            rt->rtm_table != RT_TABLE_MAIN || rt->rtm_dst_len == 0 || rt->rtm_type != RTN_UNICAST)
                return false;
        size_t alen_addr = family == AF_INET6 ? 16 : 4;
        uint8_t dst[16] = {0};
        int oif = 0;
        int alen = (int)RTM_PAYLOAD(h);
        for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == alen_addr)
                        memcpy(dst, RTA_DATA(a), alen_addr);
                else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4)
                        memcpy(&oif, RTA_DATA(a), 4);
        }
        if ((except && oif == except) || !prefixes_overlap(dst, rt->rtm_dst_len, net, len))
                return false;
        char a[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
        inet_ntop(family, dst, a, sizeof(a));
        if (oif)
                (void)if_indextoname((unsigned)oif, dev);
        snprintf(ret, size, "route '%s/%d dev %s'", a, rt->rtm_dst_len, dev);
        return true;
}

/* One address of a dump: is it inside NET/LEN, or NET/LEN inside its
 * prefix?  An address needs no route of the main table (a /32 on a dummy
 * link, a peer address) and is still the host's. */
static bool addr_overlaps(const struct nlmsghdr *h, int family, const uint8_t *net, int len,
                          int except, char *ret, size_t size)
{
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != family ||
            (except && (int)ifa->ifa_index == except))
                return false;
        size_t alen_addr = family == AF_INET6 ? 16 : 4;
        uint8_t addr[16] = {0};
        bool got = false;
        int alen = (int)IFA_PAYLOAD(h);
        for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                /* IFA_LOCAL is the address itself on a point-to-point link */
                if ((a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !got)) &&
                    RTA_PAYLOAD(a) == alen_addr) {
                        memcpy(addr, RTA_DATA(a), alen_addr);
                        got = true;
                }
        }
        if (!got || !prefixes_overlap(addr, ifa->ifa_prefixlen, net, len))
                return false;
        char a[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
        inet_ntop(family, addr, a, sizeof(a));
        (void)if_indextoname(ifa->ifa_index, dev);
        snprintf(ret, size, "address '%s/%d dev %s'", a, ifa->ifa_prefixlen, dev);
        return true;
}

/* Dumps TYPE (RTM_GETROUTE or RTM_GETADDR) of FAMILY: 1 when MATCH held
 * for one answer (the dump is read to its end all the same), 0 none. */
static int dump_overlap(int nl, int type, int family, const void *net, int prefixlen, int except,
                        bool (*match)(const struct nlmsghdr *, int, const uint8_t *, int, int,
                                      char *, size_t),
                        char *ret, size_t size, struct box_err *err)
{
        struct nl_msg m;
        const char *what = type == RTM_GETADDR ? "list addresses" : "list routes";
        if (type == RTM_GETADDR) {
                struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family};
                nl_init(&m, type, NLM_F_DUMP, &ifa, sizeof(ifa));
        } else {
                struct rtmsg rt = {.rtm_family = (unsigned char)family};
                nl_init(&m, type, NLM_F_DUMP, &rt, sizeof(rt));
        }
        m.h.nlmsg_flags &= (uint16_t)~NLM_F_ACK;
        static uint32_t seq = 1u << 29;
        m.h.nlmsg_seq = ++seq;
        if (send(nl, m.buf, m.h.nlmsg_len, 0) < 0)
                return box_err_errno(err, errno, "%s", what);
        int found = 0;
        for (;;) {
                char buf[32768];
                ssize_t n = RETRY_EINTR(recv(nl, buf, sizeof(buf), 0));
                if (n < 0)
                        return box_err_errno(err, errno, "%s", what);
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
                     h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return found;
                        if (h->nlmsg_type == NLMSG_ERROR)
                                return box_err_errno(err, EIO, "%s", what);
                        if (!found && match(h, family, net, prefixlen, except, ret, size))
                                found = 1;
                }
        }
}

static int route_overlap(int nl, int family, const void *net, int prefixlen, int except,
                         char *ret_route, size_t route_size, struct box_err *err)
{
        int r = dump_overlap(nl, RTM_GETROUTE, family, net, prefixlen, except, route_overlaps,
                             ret_route, route_size, err);
        if (r != 0)
                return r;
        return dump_overlap(nl, RTM_GETADDR, family, net, prefixlen, except, addr_overlaps,
                            ret_route, route_size, err);
}

int run_nl_route_overlap(int nl, struct in_addr net, int prefixlen, int except, char *ret_route,
                         size_t route_size, struct box_err *err)
{
        return route_overlap(nl, AF_INET, &net, prefixlen, except, ret_route, route_size, err);
}

int run_nl_route6_overlap(int nl, const struct in6_addr *net, int prefixlen, int except,
                          char *ret_route, size_t route_size, struct box_err *err)
{
        return route_overlap(nl, AF_INET6, net, prefixlen, except, ret_route, route_size, err);
}

int run_sysctl_net(const char *path, const char *value, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("/proc/sys/net/%s", path);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        int r = fs_write_full(fd, value, strlen(value));
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", p);
        return 0;
}

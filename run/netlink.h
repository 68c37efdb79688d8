/* Private to run/: the few rtnetlink requests box's networks need, over a
 * plain NETLINK_ROUTE socket (no library, no `ip`).  A socket belongs to
 * the network namespace it was made in: run_nl_open() can make one in a
 * container's namespace, so box configures the container's side from
 * outside it.
 *
 * Every function returns 0 or -errno with ERR set (ERR may be NULL);
 * addresses are in network byte order; the *6 functions are the IPv6
 * twins of the IPv4 ones. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

/* A NETLINK_ROUTE socket in the namespace of NETNS_FD (< 0: ours). */
int run_nl_open(int netns_fd, int *ret_fd, struct box_err *err);
/* The index of link NAME, or -ENODEV. */
int run_nl_link_index(int nl, const char *name);
/* Creates bridge NAME (-EEXIST when it is there). */
int run_nl_bridge_create(int nl, const char *name, struct box_err *err);
/* Sets link IFINDEX up. */
int run_nl_link_up(int nl, int ifindex, struct box_err *err);
/* Deletes link NAME (0 when it is gone already). */
int run_nl_link_delete(int nl, const char *name, struct box_err *err);
/* Adds ADDR/PREFIXLEN to IFINDEX (0 when it is there already). */
int run_nl_addr_add(int nl, int ifindex, struct in_addr addr, int prefixlen, struct box_err *err);
/* The same for IPv6, with no duplicate address detection (box hands each
 * address out once), so the address is usable at once. */
int run_nl_addr6_add(int nl, int ifindex, const struct in6_addr *addr, int prefixlen,
                     struct box_err *err);
/* Adds a default route via GW on IFINDEX. */
int run_nl_route_default(int nl, int ifindex, struct in_addr gw, struct box_err *err);
int run_nl_route6_default(int nl, int ifindex, const struct in6_addr *gw, struct box_err *err);
/* A veth pair: HOST_NAME here, up, enslaved to MASTER (an ifindex); its
 * peer PEER_NAME with MAC, up, made directly in the namespace PEER_NETNS_FD. */
int run_nl_veth_create(int nl, const char *host_name, int master, int peer_netns_fd,
                       const char *peer_name, const uint8_t mac[6], struct box_err *err);
/* Turns on hairpin mode of bridge port NAME: the bridge may send a frame
 * back out of the port it came in by.  Where br_netfilter is loaded, a
 * container's packet to its own published port is DNATed in the bridge's
 * path and bridged back to its own port, which the bridge drops otherwise
 * (Docker without the userland proxy, podman and CNI turn it on too). */
int run_nl_bridge_port_hairpin(int nl, const char *name, struct box_err *err);
/* A macvlan (bridge mode) of PARENT (an ifindex here) named NAME with MAC,
 * up, made directly in the namespace NETNS_FD. */
int run_nl_macvlan_create(int nl, int parent, int netns_fd, const char *name, const uint8_t mac[6],
                          struct box_err *err);
/* Does NET/PREFIXLEN overlap a route of the main table, or an address of
 * any link, on a link other than EXCEPT (an ifindex, 0: none)?  1 with
 * what it overlaps in RET_ROUTE ("route '10.0.0.0/8 dev eth0'", "address
 * '10.78.0.5/32 dev dummy0'"), 0 no, -errno. */
int run_nl_route_overlap(int nl, struct in_addr net, int prefixlen, int except, char *ret_route,
                         size_t route_size, struct box_err *err);
/* The same for IPv6 ("route 'fd00::/64 dev eth0'"); the default route
 * never counts. */
int run_nl_route6_overlap(int nl, const struct in6_addr *net, int prefixlen, int except,
                          char *ret_route, size_t route_size, struct box_err *err);
/* Writes VALUE to /proc/sys/net/PATH (e.g. "ipv4/ip_forward"). */
int run_sysctl_net(const char *path, const char *value, struct box_err *err);

/* Private to the network files of run/ (network.c, ipam.c, net-attach.c):
 * a loaded network, its lock, leases and bridge. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

struct run_net {
        char *name, *id, *driver, *created;
        char *bridge;                   /* bridge: its link ("box0", "box-1a2b3c4d") */
        char *parent;                   /* macvlan: the parent link */
        struct in_addr subnet, gateway; /* network byte order */
        int prefixlen;
        bool ipv6;                         /* dual-stack: an IPv6 subnet as well */
        struct in6_addr subnet6, gateway6; /* when ipv6 */
        int prefixlen6;
        bool internal;
        /* its IPv4 subnet was picked by box (no --subnet, no
         * BOX_BRIDGE_SUBNET): when its bridge is made and the subnet has
         * been taken on the host meanwhile (another store's bridge), box
         * picks another, as Docker picks from its pools */
        bool subnet_auto;
        char *dir;         /* <root>/networks/<name> */
        struct jv *labels; /* its --label's: an object of strings, never NULL once loaded */
};

void net_free(struct run_net *n);
/* Loads NAME; the default network is made on first use. */
int net_load(const char *root, const char *name, struct run_net **ret, struct box_err *err);
bool net_is_bridge(const struct run_net *n);
/* The prefix of links and the table ($BOX_NETWORK_PREFIX, "box"). */
const char *net_prefix(void);
/* "10.77.0.0/16" -> network, length (host bits must be zero). */
int net_parse_cidr(const char *s, struct in_addr *ret_net, int *ret_len);
char *net_cidr_str(struct in_addr net, int len);
/* Lock order: the store's networks/.lock (net_lock_all), then one
 * network's lock (net_lock), then a lease file's.  A container takes
 * its leases holding networks/.lock shared; rm and prune hold it
 * exclusive while they decide a network is unused and remove it, so a
 * start never loses its network to them half-way. */
int net_lock_all(const char *root, bool exclusive, struct box_err *err);
/* "fd12:3456:789a::/64" -> network, length (/16 to /124, no host bits). */
int net_parse_cidr6(const char *s, struct in6_addr *ret_net, int *ret_len);
char *net_cidr6_str(const struct in6_addr *net, int len);
/* The network's lock (flock, exclusive): an fd to close; "network 'N'
 * not found" (-ENOENT) when it was removed, before or while we waited. */
int net_lock(const struct run_net *n, struct box_err *err);
/* With N's lock: who uses N (a live lease, or a container record that
 * names it and has not exited), as "name:'c' id:'...'"; NULL: nobody. */
char *net_user(const char *root, const char *runroot, const struct run_net *n);
/* With the lock: the bridge, its address, sysctls and box's table when
 * missing (or, for macvlan, the parent's index).  Returns the ifindex.  An
 * automatic subnet taken on the host meanwhile is picked again: N and its
 * config change then. */
int net_link_ensure(struct run_net *n, int nl, struct box_err *err);
/* The host's resolver when it is on loopback ("127.0.0.53"), or NULL. */
char *net_host_loopback_resolver(void);

/* ---- leases (ipam.c), all with the network lock held ---- */

/* A lease for ID: WANT (NULL: the lowest free address) in N's subnet; the
 * lease file stays write-locked through *RET_FD while the caller lives. */
int ipam_lease(const struct run_net *n, const char *runroot, const char *id, const char *names,
               const char *want, struct in_addr *ret_ip, int *ret_fd, struct box_err *err);
/* Can WANT (--ip) be a container's address on N: in its subnet, neither
 * the network's, the broadcast nor the gateway's address?  Taken or not
 * is for ipam_lease() to find. */
int ipam_check(const struct run_net *n, const char *want, struct in_addr *ret_ip,
               struct box_err *err);
/* Gives the lease of IP back if ID still holds it (FD: its lock, or -1). */
void ipam_release(const struct run_net *n, struct in_addr ip, const char *id, int fd);
/* Gives back lease IP (either family, as text) when ID holds it, even while
 * ID's monitor keeps it locked: box network disconnect of the network the
 * container started on (the monitor then leaves it alone, see
 * RUN_NET_MODE_LEFT). */
void ipam_forget(const struct run_net *n, const char *ip, const char *id);
/* The same for N's IPv6 subnet (N->ipv6): WANT (--ip6; NULL: the lowest
 * free address); the lease file is named by the address's canonical text. */
int ipam_lease6(const struct run_net *n, const char *runroot, const char *id, const char *names,
                const char *want, struct in6_addr *ret_ip, int *ret_fd, struct box_err *err);
void ipam_release6(const struct run_net *n, const struct in6_addr *ip, const char *id, int fd);
/* Can WANT be a container's IPv6 address on N (N has IPv6, WANT is in its
 * subnet, neither the subnet's router anycast address nor the gateway)?
 * Taken or not is for ipam_lease6() to find. */
int ipam_check6(const struct run_net *n, const char *want, struct in6_addr *ret_ip,
                struct box_err *err);
/* The live members of N other than EXCEPT_ID: calls FN for each, with its
 * IPv4 address and, on a dual-stack network, its IPv6 one (else NULL). */
typedef void (*ipam_member_fn)(const char *ip, const char *ip6, const char *id, const char *names,
                               void *userdata);
void ipam_members(const struct run_net *n, const char *runroot, const char *except_id,
                  ipam_member_fn fn, void *userdata);
/* Does any live lease of N remain?  Stale ones are removed on the way. */
bool ipam_in_use(const struct run_net *n, const char *runroot);

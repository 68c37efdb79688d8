/* Container networks: named networks of the store, a container's
 * attachment to them, and published ports.
 *
 * On disk, under the store root:
 *   networks/.lock               flock: shared while a container takes its
 *                                leases, exclusive while prune or rm decide
 *                                a network is unused and remove it (taken
 *                                before any network's lock)
 *   networks/<name>/config.json  {"Name", "Id", "Driver": "bridge"|"macvlan",
 *                                 "Subnet": "10.77.0.0/16", "Gateway", "Internal",
 *                                 dual-stack: "IPv6": true, "Subnet6", "Gateway6",
 *                                 "Parent" (macvlan), "Bridge" (bridge: its link),
 *                                 "Created", "BoxSubnetAuto": true when box
 *                                 picked the IPv4 subnet (then picked again
 *                                 when its bridge is made and the host has
 *                                 taken it meanwhile)}
 *   networks/<name>/lock         flock: taken exclusive to hand out or take back
 *                                a lease, to set up the bridge, and to change the
 *                                members' /etc/hosts
 *   networks/<name>/leases/<IP>  (IPv4, or IPv6 in its canonical text)
 *                                "<container id>\n<name> <aliases...>\n": the
 *                                address is the container's while its holder
 *                                (the box that runs it, a build) holds an OFD
 *                                write lock on the file or the container's
 *                                monitor lives (box network connect); a lease
 *                                neither is stale and may be handed out again.
 *                                Never two live leases of one address: each is
 *                                made O_EXCL, or taken over only when stale,
 *                                under the network lock.
 *   containers/<id>/network.json what the container was given, written before it
 *                                starts and removed once everything is given
 *                                back (so after a crash `box rm` and `box network
 *                                prune` know what to take back):
 *                                {"Table", "Networks": [{"Name", "Driver", "IP",
 *                                "PrefixLen", "Gateway", "MacAddress", "Link"
 *                                (host veth, bridge only), "Ifname", "Names",
 *                                dual-stack: "GlobalIPv6Address",
 *                                "GlobalIPv6PrefixLen", "IPv6Gateway"}]:
 *                                the first network, then box network
 *                                connect's (eth1..eth9),
 *                                "Ports": [{"Proto", "HostIp" ("" every IPv4
 *                                address, "::" every IPv6 one), "HostPort",
 *                                "ContainerPort"}]}
 *
 * The default network "bridge" (link <prefix>0, subnet $BOX_BRIDGE_SUBNET, or
 * automatic: 10.77.0.0/16 when the host has no route or address in it and
 * no $BOX_SUBNET_POOL is set, else the pool's first free /24; IPv4 only, as
 * Docker's, unless $BOX_BRIDGE_SUBNET6 gives it an IPv6 subnet then) exists
 * implicitly and is never removed (Docker's predefined "bridge": prune
 * takes only its link); user networks are made with run_net_create(), an
 * automatic subnet the first free /24 of $BOX_SUBNET_POOL (10.78.0.0/16).
 * Links and the nftables table are made on first use and named by the
 * prefix ($BOX_NETWORK_PREFIX, default "box": at most 6 of [a-z0-9]), so two
 * stores on one host can be kept apart; a bridge's subnet is checked free
 * on the host and taken under a host-wide lock (/run/box-subnets.lock), so
 * two stores never make bridges of one subnet.
 *
 * Ownership: strings and arrays returned are the caller's to free. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define RUN_NET_DEFAULT "bridge"

/* config.json's HostConfig key, true once box network disconnect took the
 * container off its own network (NetworkMode, kept as Docker keeps it):
 * it starts on the networks box network connect added, or with only lo.
 * network.json's key of the same name: its first entry is not the network
 * the container started on (that one is given back already). */
#define RUN_NET_MODE_LEFT "BoxNetworkModeLeft"

/* ---- published ports (run/port-map.c) ---- */

struct run_port {
        char proto[4];          /* "tcp" or "udp" */
        char host_ip[46];       /* "" for every address (of FAMILY) */
        int family;             /* AF_INET, AF_INET6, or 0: each family the network has */
        unsigned host_port;     /* 0: a free one from the ephemeral range */
        unsigned host_port_end; /* > host_port: any free one of host_port..host_port_end */
        unsigned container_port;
        char spec[80]; /* the -p value it came from, for errors ("" for -P) */
};

/* Parses one -p in Docker's forms (C, H:C, IP:H:C, IP::C, ranges
 * H1-H2:C1-C2, [IPv6]:H:C, /tcp or /udp) and appends a run_port per port.
 * 0.0.0.0 and [::] are every address of one family; no address, every
 * address of each family the network has.  [::1] is refused: IPv6 has no
 * route_localnet, so DNAT cannot bring the replies back to it. */
int run_port_parse(const char *spec, struct run_port **v, size_t *n, struct box_err *err);
/* Appends an EXPOSEd port ("80", "80/udp", "8000-8002/tcp") with a random
 * host port (-P). */
int run_port_parse_exposed(const char *exposed, struct run_port **v, size_t *n,
                           struct box_err *err);
/* "3306/tcp -> 0.0.0.0:40123", "3306/tcp -> [::]:40123" */
char *run_port_format(const struct run_port *p);

/* ---- networks (run/network.c) ---- */

struct run_net_create_opts {
        const char *driver;   /* "bridge" (NULL) or "macvlan" */
        const char *subnet;   /* CIDR; NULL: a free /24 of $BOX_SUBNET_POOL (10.78.0.0/16) */
        const char *gateway;  /* NULL: the subnet's first address */
        const char *parent;   /* macvlan: the parent link */
        bool internal;        /* no outbound traffic, no published ports */
        bool ipv6;            /* dual-stack (bridge or macvlan) */
        const char *subnet6;  /* IPv6 CIDR; NULL: a random ULA /64 (fdXX:XXXX:XXXX:XXXX::/64) */
        const char *gateway6; /* NULL: the IPv6 subnet's ::1 */
        char *const *labels;  /* k, v, ...: --label */
};

/* Network names: [a-zA-Z0-9][a-zA-Z0-9_.-]* up to 64 bytes; none of the
 * mode names (bridge, host, none, default, container:...). */
bool run_net_name_valid(const char *name);
int run_net_create(const char *root, const char *name, const struct run_net_create_opts *o,
                   char **ret_id, struct box_err *err);
/* Names of all networks, "bridge" first (a strv). */
char **run_net_list(const char *root);
/* Docker's `network inspect` object (JSON), host and none too; -ENOENT
 * when there is none. */
int run_net_inspect_json(const char *root, const char *runroot, const char *name, char **ret,
                         struct box_err *err);
/* "host" and "none": Docker's two modes, listed and inspected as networks
 * (never created or removed); their ids are the store's own and stable. */
bool run_net_is_mode(const char *name);
char *run_net_mode_id(const char *root, const char *name);
/* The network ARG names, as Docker finds it: a full id, a name, or a
 * unique id prefix; ARG itself when none matches (*RET_NAME always set on
 * success); -EINVAL when a prefix is ambiguous. */
int run_net_resolve(const char *root, const char *arg, char **ret_name, struct box_err *err);
/* "NAME ID DRIVER" of one network (for ls). */
int run_net_summary(const char *root, const char *name, char **ret_id, char **ret_driver,
                    struct box_err *err);
/* Removes a user network; EBUSY while a live container is attached. */
int run_net_remove(const char *root, const char *runroot, const char *name, struct box_err *err);
/* Whether prune may take a network CREATED (RFC 3339) with LABELS (a JSON
 * object of strings). */
struct jv;
typedef bool run_net_prune_fn(const char *created, const struct jv *labels, void *userdata);
/* Takes back what crashed containers left (leases, rules, links), removes
 * every user network no live container uses and TAKES (NULL: all) lets
 * go, and, when no container is attached anywhere and none was left, the
 * bridges and the nftables table.  *RET_REMOVED lists the networks
 * removed. */
int run_net_prune(const char *root, const char *runroot, run_net_prune_fn *takes, void *userdata,
                  char ***ret_removed, struct box_err *err);

/* ---- a container's attachment (run/net-attach.c) ---- */

/* A further network of a container (box network connect): its name, --ip
 * and --alias's. */
struct run_net_endpoint {
        char *network;
        char *ip;       /* NULL: from the pool */
        char *ip6;      /* --ip6 (NULL: from the IPv6 pool, on a dual-stack network) */
        char **aliases; /* a strv, may be NULL */
};

struct run_net_attach_opts {
        const char *network;  /* the first network: a name */
        const char *ip;       /* --ip: its address (NULL: from the pool) */
        const char *ip6;      /* --ip6: its IPv6 address on a dual-stack network (NULL: pool) */
        char *const *aliases; /* --network-alias */
        const char *name;     /* the container's name (resolvable on user networks) */
        const char *hostname;
        const struct run_port *ports;
        size_t n_ports;
        const char *state_dir; /* <root>/containers/<id> (network.json goes there); NULL: build */
        const char *runroot;   /* a lease is live while its container's monitor is */
        /* a restart: the sockets its monitor kept, bound to the host ports
         * of PORTS in that order (borrowed: one that matches is dup'ed, so
         * the port is never free between two runs) */
        const int *port_fds;
        size_t n_port_fds;
        /* the networks box network connect added (eth1, ...), joined by
         * run_net_attach_netns() after the first */
        const struct run_net_endpoint *more;
        size_t n_more;
        const uint8_t *mac; /* --mac-address of the first network (NULL: from its address) */
};

struct run_net_attachment;

/* Gives container ID (whose monitor lock is held) its first network: a
 * lease, its host ports (bound, so they stay reserved; "address already
 * in use" when taken), the bridge and the table when missing, the DNAT
 * elements; records it all in network.json.  Nothing is left behind on
 * failure. */
int run_net_attach(const char *root, const char *id, const struct run_net_attach_opts *o,
                   struct run_net_attachment **ret, struct box_err *err);
/* In box, between the container's clone and its start: its interface
 * (eth0: a veth on the bridge, or a macvlan) in the network namespace of
 * PID, addressed, up, with lo and the default route. */
int run_net_attach_netns(struct run_net_attachment *a, int pid, struct box_err *err);
/* Lets the host ports' sockets survive an exec (into a container's
 * monitor, which keeps them bound for the container's life): their fds,
 * in the order of the ports, in *RET_FDS (the caller's to free, not to
 * close). */
int run_net_attach_keep_ports(struct run_net_attachment *a, int **ret_fds, size_t *ret_n,
                              struct box_err *err);
/* The container's /etc/hosts and /etc/resolv.conf contents.  EXTRA: the
 * lines of --add-host (run_net_hosts_extra()), after localhost's and
 * before the container's own, as Docker's; may be NULL. */
char *run_net_hosts(const struct run_net_attachment *a, const char *hostname, const char *extra);
/* /etc/hosts of a container on no network (--network none): localhost,
 * EXTRA, and HOSTNAME on 127.0.0.1. */
char *run_net_hosts_none(const char *hostname, const char *extra);
char *run_net_resolv_conf(const struct run_net_attachment *a);
/* --add-host's "NAME:IP" entries as /etc/hosts lines; the IP
 * "host-gateway" becomes GATEWAY (Docker's name for the host as the
 * container reaches it).  "" when there are none. */
char *run_net_hosts_extra(char *const *add_hosts, const char *gateway);
/* A's gateway address (the bridge's), or NULL on a network without one. */
const char *run_net_gateway(const struct run_net_attachment *a, char buf[64]);
/* --dns, --dns-search, --dns-option: each list given replaces the lines
 * of its kind in a resolv.conf (a search of "." alone: none, Docker's). */
struct run_dns {
        char *const *servers, *const *search, *const *options;
};
char *run_net_resolv_apply(const char *rc, const struct run_dns *dns);
/* The host's resolv.conf as box reads it: $BOX_RESOLV_CONF, else
 * /etc/resolv.conf ("" when unreadable). */
char *run_net_host_resolv_conf(void);
/* HOST_RC for a container on A's network: a resolver on the host's
 * loopback (systemd-resolved's 127.0.0.53) becomes the bridge's gateway,
 * which box's table forwards to it; on a macvlan it is dropped, with a
 * warning.  What `box run` and RUN steps both use. */
char *run_net_resolv_rewrite(const struct run_net_attachment *a, const char *host_rc);
/* Gives everything back (host link, rules, leases, other members' hosts
 * lines, network.json) and frees A (NULL is fine). */
void run_net_detach(struct run_net_attachment *a);
/* What a container that ended without its box (a crash) still holds, from
 * its network.json: given back; no-op when there is none. */
int run_net_cleanup(const char *root, const char *runroot, const char *id, struct box_err *err);
/* The published ports of container ID (while it runs). */
int run_net_ports(const char *root, const char *id, struct run_port **ret, size_t *ret_n,
                  struct box_err *err);
/* Can EP be joined (the network exists; its --ip and --alias's fit it)? */
int run_net_endpoint_check(const char *root, const struct run_net_endpoint *ep,
                           struct box_err *err);
/* The lock box network connect and disconnect hold (the caller, from
 * reading the container's records to writing them) while they change its
 * networks; a start holds it while it joins them.  An fd to close. */
int run_net_lock(const char *root, const char *id, struct box_err *err);
/* Once container ID (named NAME) runs on a network namespace of its own
 * (PID, its pid 1, recorded as running): the networks a box network
 * connect recorded while it was starting, too late for
 * run_net_attach_netns(), joined now.  Under run_net_lock(), so a connect
 * either sees the container running or is seen here. */
int run_net_attach_late(const char *root, const char *runroot, const char *id, const char *name,
                        int pid);
/* box network connect (under run_net_lock()): running container ID (named NAME, NETNS_FD: its
 * network namespace, already attached to its first network) gets EP's
 * network hot-plugged:
 * a lease (live while its monitor lives), an interface eth1..eth9 with no
 * default route, its names in the other members' /etc/hosts and theirs in
 * its own; recorded in network.json.  "endpoint with name ... already
 * exists" when it is on that network. */
int run_net_connect(const char *root, const char *runroot, const char *id, const char *name,
                    int netns_fd, const struct run_net_endpoint *ep, struct box_err *err);
/* box network disconnect (under run_net_lock()): NETWORK's interface of container ID (NETNS_FD:
 * its network namespace, or -1 when it does not run) removed, its lease, hosts lines and
 * record given back; the network it started on too, with its published
 * ports (as Docker's endpoint takes its port map with it).  -ENOENT (ERR
 * untouched) when it is not on NETWORK. */
int run_net_disconnect(const char *root, const char *runroot, const char *id, int netns_fd,
                       const char *network, struct box_err *err);

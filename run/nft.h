/* Private to run/: box's nftables rules, in box's own tables (named by the
 * network prefix, "box" by default; family ip, and family ip6 once a
 * dual-stack network has a bridge).  run/nft.c is the only file
 * that calls libnftables; nothing here names an nftables type.  Every change
 * is one transaction, and only ever names box's table: box never lists,
 * flushes or edits anyone else's tables or chains.
 *
 * The table (see run_nft_table_script() for the rules): maps from a host
 * port (and address) to a container's address and port, which DNAT in
 * prerouting and output (so 127.0.0.1 works too, with route_localnet on
 * the bridge and a masquerade for the hairpin), sets of box's bridges and
 * subnets (outbound masquerade, isolation between networks, --internal).
 * A container adds and removes elements only, keyed by what its state
 * records, so cleanup after a crash needs nothing but that state. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "lib/xalloc.h"

/* Runs SCRIPT (nft commands, one per line) as one transaction. */
int run_nft_apply(const char *script, struct box_err *err);

/* Appends the commands that make TABLE with its sets, maps and chains
 * (idempotent: the chains are flushed and refilled, set elements stay).
 * DNS_TO: a loopback resolver of the host ("127.0.0.53") that containers
 * reach through their gateway's port 53, or NULL. */
void run_nft_table_script(struct buf *b, const char *table, const char *dns_to);
/* Appends the commands that make the ip6 TABLE: the same sets, maps and
 * chains for IPv6 (no DNS forward, no 127.0.0.1 rules), and no DNAT of
 * ::1 (see run_nft_table6_script() in run/nft.c). */
void run_nft_table6_script(struct buf *b, const char *table);
/* Appends the deletion of TABLE, ip and ip6 (a missing one is not an error). */
void run_nft_table_delete_script(struct buf *b, const char *table);

/* Elements: ADD or remove (removal is "add then delete" in the same
 * transaction, so removing a missing element is no error, and an element
 * someone else now owns with another value fails rather than goes).  The
 * table's family follows the address: SUBNET's, or the container's IP's
 * (an IPv6 one: the ip6 table). */
void run_nft_bridge_script(struct buf *b, const char *table, bool add, const char *bridge,
                           const char *subnet, bool internal);
/* PROTO "tcp"/"udp"; HOST_IP NULL or "" for every local address. */
void run_nft_port_script(struct buf *b, const char *table, bool add, const char *proto,
                         const char *host_ip, unsigned host_port, const char *ip,
                         unsigned container_port);
/* Appends the plain deletion of a port's element, whatever its value. */
void run_nft_port_forget_script(struct buf *b, const char *table, bool ipv6, const char *proto,
                                const char *host_ip, unsigned host_port);

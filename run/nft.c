/* The one file that calls libnftables (see run/nft.h).  Scripts are built
 * from values box validated (interface names of its own making, addresses
 * and ports it parsed), never from user text as it came.
 *
 * libnftables (with libnftnl, libmnl, libxtables and libgmp behind it) is
 * dlopen()ed when the first rule is applied (lib/dl.h): `--network none`,
 * `box version` and a cached build do not pay for loading it, and a host
 * without it runs everything but bridge networks and -p. */
#include "run/nft.h"

#include <nftables/libnftables.h>
#include <stdio.h>

#include "lib/dl.h"
#include "lib/log.h"

static struct dl_lib libnftables = DL_LIB("libnftables.so.1", NULL);

/* FN of libnftables, after dl_lib_load() succeeded */
#define NFT(fn) DL_FN(&libnftables, fn)

int run_nft_apply(const char *script, struct box_err *err)
{
        int r = dl_lib_load(&libnftables, err);
        if (r < 0)
                return box_err_prefix(err, "nftables");
        struct nft_ctx *ctx = NFT(nft_ctx_new)(NFT_CTX_DEFAULT);
        if (!ctx)
                return box_err_set(err, ENOMEM, "nftables: cannot make a context");
        NFT(nft_ctx_buffer_output)(ctx);
        NFT(nft_ctx_buffer_error)(ctx);
        r = NFT(nft_run_cmd_from_buffer)(ctx, script);
        if (r != 0) {
                const char *e = NFT(nft_ctx_get_error_buffer)(ctx);
                /* the first line says why ("Error: Could not process rule: ...") */
                size_t n = e ? strcspn(e, "\n") : 0;
                if (e && startswith(e, "Error: "))
                        e += 7, n -= 7;
                int code = e && strstr(e, "File exists")                 ? EEXIST
                           : e && strstr(e, "No such file or directory") ? ENOENT
                           : e && strstr(e, "Operation not permitted")   ? EPERM
                                                                         : EIO;
                if (code == EIO)
                        log_debug("nft: %s\n%s", e ? e : "", script);
                box_err_set(err, code, "nftables: %.*s", (int)n, e ? e : "failed");
                NFT(nft_ctx_free)(ctx);
                return -code;
        }
        NFT(nft_ctx_free)(ctx);
        return 0;
}

/* "add table FAMILY TABLE", its DECLS ("set NAME {...}" -> "add set
 * FAMILY TABLE NAME {...}"), and its CHAINS flushed (refilled after). */
static void table_emit(struct buf *b, const char *family, const char *table,
                       const char *const *decls, size_t n_decls, const char *const *chains,
                       size_t n_chains)
{
        buf_printf(b, "add table %s %s\n", family, table);
        for (size_t i = 0; i < n_decls; i++) {
                int kind = (int)strcspn(decls[i], " ");
                buf_printf(b, "add %.*s %s %s %s\n", kind, decls[i], family, table,
                           decls[i] + kind + 1);
        }
        for (size_t i = 0; i < n_chains; i++)
                buf_printf(b, "flush chain %s %s %s\n", family, table, chains[i]);
}

void run_nft_table_script(struct buf *b, const char *table, const char *dns_to)
{
        static const char *const decls[] = {
                "set bridges { type ifname; }",
                "set internal { type ifname; }",
                "set same { type ifname . ifname; }",
                "set masq { type ipv4_addr; flags interval; }",
                "map pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; }",
                "map pub_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . "
                "inet_service; }",
                "chain publish",
                "chain dns",
                "chain prerouting { type nat hook prerouting priority dstnat; policy accept; }",
                "chain output { type nat hook output priority -100; policy accept; }",
                "chain postrouting { type nat hook postrouting priority srcnat; policy accept; }",
                "chain forward { type filter hook forward priority filter; policy accept; }",
                "chain input { type filter hook input priority filter; policy accept; }",
        };
        static const char *const chains[] = {"publish", "dns",     "prerouting", "postrouting",
                                             "output",  "forward", "input"};
        static const char *const rules[] = {
                "publish dnat to ip daddr . meta l4proto . th dport map @pub_addr",
                "publish dnat to meta l4proto . th dport map @pub_any",
                "prerouting jump dns",
                "prerouting fib daddr type local jump publish",
                "output fib daddr type local jump publish",
                /* from the host's loopback to a published port: the reply
                 * must come back through the host */
                "postrouting ct status dnat oifname @bridges ip saddr 127.0.0.0/8 masquerade",
                /* hairpin: a container to a published port of its own network */
                "postrouting ct status dnat oifname @bridges ip saddr @masq masquerade",
                "postrouting ip saddr @masq oifname != @bridges masquerade",
                "forward iifname . oifname @same accept",
                "forward iifname @bridges oifname @bridges drop",
                "forward iifname @internal drop",
                "forward oifname @internal drop",
                /* route_localnet lets 127.0.0.1 through the bridge for DNAT: a
                 * container must not reach the host's loopback services by
                 * addressing them directly (CVE-2020-8558).  The address
                 * first: every packet the host receives passes here, and a
                 * compare rules out nearly all of them before a set lookup */
                "input ip daddr 127.0.0.0/8 iifname @bridges ct status dnat accept",
                "input ip daddr 127.0.0.0/8 iifname @bridges drop",
        };
        table_emit(b, "ip", table, decls, ARRAY_SIZE(decls), chains, ARRAY_SIZE(chains));
        if (dns_to)
                buf_printf(b,
                           "add rule ip %s dns iifname @bridges fib daddr type local meta l4proto "
                           "{ tcp, udp } th dport 53 dnat to %s\n",
                           table, dns_to);
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
                buf_printf(b, "add rule ip %s %s\n", table, rules[i]);
}

void run_nft_table6_script(struct buf *b, const char *table)
{
        static const char *const decls[] = {
                "set bridges { type ifname; }",
                "set internal { type ifname; }",
                "set same { type ifname . ifname; }",
                "set masq { type ipv6_addr; flags interval; }",
                "map pub_any { type inet_proto . inet_service : ipv6_addr . inet_service; }",
                "map pub_addr { type ipv6_addr . inet_proto . inet_service : ipv6_addr . "
                "inet_service; }",
                "chain publish",
                "chain prerouting { type nat hook prerouting priority dstnat; policy accept; }",
                "chain output { type nat hook output priority -100; policy accept; }",
                "chain postrouting { type nat hook postrouting priority srcnat; policy accept; }",
                "chain forward { type filter hook forward priority filter; policy accept; }",
        };
        static const char *const chains[] = {"publish", "prerouting", "postrouting", "output",
                                             "forward"};
        static const char *const rules[] = {
                "publish dnat to ip6 daddr . meta l4proto . th dport map @pub_addr",
                "publish dnat to meta l4proto . th dport map @pub_any",
                "prerouting fib daddr type local jump publish",
                /* not ::1: the replies would come back to ::1 through the
                 * bridge, and IPv6 has no route_localnet to let them in (a
                 * connection there is refused, rather than left to hang) */
                "output ip6 daddr != ::1 fib daddr type local jump publish",
                /* hairpin: a container to a published port of its own network */
                "postrouting ct status dnat oifname @bridges ip6 saddr @masq masquerade",
                "postrouting ip6 saddr @masq oifname != @bridges masquerade",
                "forward iifname . oifname @same accept",
                "forward iifname @bridges oifname @bridges drop",
                "forward iifname @internal drop",
                "forward oifname @internal drop",
        };
        table_emit(b, "ip6", table, decls, ARRAY_SIZE(decls), chains, ARRAY_SIZE(chains));
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
                buf_printf(b, "add rule ip6 %s %s\n", table, rules[i]);
}

void run_nft_table_delete_script(struct buf *b, const char *table)
{
        /* "add" first: deleting a missing table is an error in nft 1.0.6 */
        buf_printf(b, "add table ip %s\ndelete table ip %s\n", table, table);
        buf_printf(b, "add table ip6 %s\ndelete table ip6 %s\n", table, table);
}

/* FAMILY "ip" or "ip6": the table of that name */
static void element(struct buf *b, const char *family, const char *table, bool add, const char *set,
                    const char *key, const char *value)
{
        const char *sep = value ? " : " : "";
        buf_printf(b, "add element %s %s %s { %s%s%s }\n", family, table, set, key, sep,
                   strempty(value));
        if (!add)
                buf_printf(b, "delete element %s %s %s { %s }\n", family, table, set, key);
}

static const char *family_of(const char *addr)
{
        return strchr(addr, ':') ? "ip6" : "ip";
}

void run_nft_bridge_script(struct buf *b, const char *table, bool add, const char *bridge,
                           const char *subnet, bool internal)
{
        _cleanup_free_ char *name = xasprintf("\"%s\"", bridge);
        _cleanup_free_ char *pair = xasprintf("\"%s\" . \"%s\"", bridge, bridge);
        const char *f = family_of(subnet);
        element(b, f, table, add, "bridges", name, NULL);
        element(b, f, table, add, "same", pair, NULL);
        element(b, f, table, add, internal ? "internal" : "masq", internal ? name : subnet, NULL);
}

static char *port_key(const char *proto, const char *host_ip, unsigned host_port)
{
        return host_ip && *host_ip ? xasprintf("%s . %s . %u", host_ip, proto, host_port)
                                   : xasprintf("%s . %u", proto, host_port);
}

void run_nft_port_script(struct buf *b, const char *table, bool add, const char *proto,
                         const char *host_ip, unsigned host_port, const char *ip,
                         unsigned container_port)
{
        _cleanup_free_ char *key = port_key(proto, host_ip, host_port);
        _cleanup_free_ char *value = xasprintf("%s . %u", ip, container_port);
        element(b, family_of(ip), table, add, host_ip && *host_ip ? "pub_addr" : "pub_any", key,
                value);
}

void run_nft_port_forget_script(struct buf *b, const char *table, bool ipv6, const char *proto,
                                const char *host_ip, unsigned host_port)
{
        _cleanup_free_ char *key = port_key(proto, host_ip, host_port);
        buf_printf(b, "delete element %s %s %s { %s }\n", ipv6 ? "ip6" : "ip", table,
                   host_ip && *host_ip ? "pub_addr" : "pub_any", key);
}

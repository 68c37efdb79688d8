/* Published ports: Docker's -p forms, parsed into one run_port per port
 * (pure, unit-tested).  Reserving them (binding) is run/net-attach.c's. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>

#include "lib/xalloc.h"
#include "run/network.h"

static int bad(const char *spec, const char *why, struct box_err *err)
{
        /* quoted up to its first unprintable byte: the message stays one line */
        int n = 0;
        while (spec[n] && isprint((unsigned char)spec[n]) && n < 128)
                n++;
        return box_err_set(err, EINVAL, "invalid port specification: '%.*s%s'%s%s", n, spec,
                           spec[n] ? "..." : "", why ? ": " : "", strempty(why));
}

/* "N" or "N-M" (1..65535); *ret_end == *ret when no range. */
static int parse_range(const char *s, unsigned *ret, unsigned *ret_end)
{
        char *end;
        if (!*s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long a = strtoul(s, &end, 10), b = a;
        if (errno || a == 0 || a > 65535)
                return -EINVAL;
        if (*end == '-') {
                const char *t = end + 1;
                if (*t < '0' || *t > '9')
                        return -EINVAL;
                b = strtoul(t, &end, 10);
                if (errno || b < a || b > 65535)
                        return -EINVAL;
        }
        if (*end)
                return -EINVAL;
        *ret = (unsigned)a;
        *ret_end = (unsigned)b;
        return 0;
}

/* Splits "IP:H:C", "H:C", "C" (an IPv6 IP in brackets) into its parts. */
static int split_spec(char *s, char **ip, char **host, char **ctr)
{
        *ip = *host = NULL;
        if (*s == '[') {
                char *close = strchr(s, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                *close = '\0';
                *ip = s + 1;
                s = close + 2;
                char *colon = strchr(s, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                *host = s;
                *ctr = colon + 1;
                return 0;
        }
        char *last = strrchr(s, ':');
        if (!last) {
                *ctr = s;
                return 0;
        }
        *last = '\0';
        *ctr = last + 1;
        char *prev = strrchr(s, ':');
        if (!prev) {
                *host = s;
                return 0;
        }
        *prev = '\0';
        *host = prev + 1;
        *ip = s;
        return strchr(s, ':') ? -EINVAL : 0; /* an IPv6 address needs brackets */
}

/* IP in its canonical form in P (the unspecified address as ""), and
 * its family; why not, for an address no DNAT can serve. */
static int check_ip(const char *ip, struct run_port *p, const char **ret_why)
{
        struct in6_addr a;
        *ret_why = "not an IP address";
        if (inet_pton(AF_INET, ip, &a) == 1)
                p->family = AF_INET;
        else if (inet_pton(AF_INET6, ip, &a) == 1)
                p->family = AF_INET6;
        else
                return -EINVAL;
        if (p->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a)) {
                /* the replies' destination would be ::1 on the bridge, which
                 * the kernel drops (there is no route_localnet for IPv6) */
                *ret_why = "IPv6 has no route_localnet, so DNAT cannot reach a container from "
                           "[::1]; publish on [::] or 127.0.0.1";
                return -EINVAL;
        }
        if (p->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a)) {
                *ret_why = "an IPv4-mapped address: write the IPv4 address";
                return -EINVAL;
        }
        inet_ntop(p->family, &a, p->host_ip, sizeof(p->host_ip));
        if (streq(p->host_ip, "0.0.0.0") || streq(p->host_ip, "::"))
                p->host_ip[0] = '\0';
        return 0;
}

/* Room for COUNT more ports at once: one realloc per range, not per port
 * (4096 single reallocs copied the vector 4096 times) */
static struct run_port *reserve(struct run_port **v, size_t n, size_t count)
{
        *v = xreallocarray(*v, n + count, sizeof(**v));
        return *v + n;
}

int run_port_parse(const char *spec, struct run_port **v, size_t *n, struct box_err *err)
{
        _cleanup_free_ char *s = xstrdup(spec);
        struct run_port p = {.proto = "tcp"};
        char *slash = strrchr(s, '/');
        if (slash) {
                *slash = '\0';
                if (!streq(slash + 1, "tcp") && !streq(slash + 1, "udp"))
                        return bad(spec, "the protocol must be tcp or udp", err);
                snprintf(p.proto, sizeof(p.proto), "%s", slash + 1);
        }
        char *ip, *host, *ctr;
        const char *why;
        if (split_spec(s, &ip, &host, &ctr) < 0)
                return bad(spec, NULL, err);
        if (ip && *ip && check_ip(ip, &p, &why) < 0)
                return bad(spec, why, err);
        unsigned c1, c2, h1 = 0, h2 = 0;
        if (parse_range(ctr, &c1, &c2) < 0)
                return bad(spec, "the container port must be 1-65535 or a range of them", err);
        if (host && *host && parse_range(host, &h1, &h2) < 0)
                return bad(spec, "the host port must be 1-65535 or a range of them", err);
        if (h1 && h2 - h1 != c2 - c1 && c1 != c2)
                return bad(spec, "the host and container port ranges differ in length", err);
        if (c2 - c1 >= 4096)
                return bad(spec, "more than 4096 ports", err);
        /* a valid one always fits (an IPv6 address, two ranges, a protocol) */
        snprintf(p.spec, sizeof(p.spec), "%s", spec);
        struct run_port *out = reserve(v, *n, c2 - c1 + 1);
        for (unsigned c = c1; c <= c2; c++) {
                p.container_port = c;
                if (h1 && c1 == c2 && h2 > h1) {
                        /* one container port, a host range: any free one of it */
                        p.host_port = h1;
                        p.host_port_end = h2;
                } else {
                        p.host_port = h1 ? h1 + (c - c1) : 0;
                }
                out[c - c1] = p;
        }
        *n += c2 - c1 + 1;
        return 0;
}

int run_port_parse_exposed(const char *exposed, struct run_port **v, size_t *n, struct box_err *err)
{
        _cleanup_free_ char *s = xstrdup(exposed);
        struct run_port p = {.proto = "tcp"};
        char *slash = strchr(s, '/');
        if (slash) {
                *slash = '\0';
                if (!streq(slash + 1, "tcp") && !streq(slash + 1, "udp"))
                        return 0; /* sctp and others: nothing box can publish */
                snprintf(p.proto, sizeof(p.proto), "%s", slash + 1);
        }
        unsigned c1, c2;
        if (parse_range(s, &c1, &c2) < 0 || c2 - c1 >= 4096)
                return box_err_set(err, EINVAL, "invalid EXPOSEd port '%s' in the image", exposed);
        struct run_port *out = reserve(v, *n, c2 - c1 + 1);
        for (unsigned c = c1; c <= c2; c++) {
                p.container_port = c;
                out[c - c1] = p;
        }
        *n += c2 - c1 + 1;
        return 0;
}

char *run_port_format(const struct run_port *p)
{
        bool v6 = p->family == AF_INET6;
        const char *any = v6 ? "::" : "0.0.0.0";
        return xasprintf("%u/%s -> %s%s%s:%u", p->container_port, p->proto, v6 ? "[" : "",
                         p->host_ip[0] ? p->host_ip : any, v6 ? "]" : "", p->host_port);
}

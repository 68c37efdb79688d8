/* run_port_parse(): Docker's -p forms, and the bad ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "run/net-internal.h"
#include "run/network.h"

static void test_forms(void **state)
{
        (void)state;
        static const struct {
                const char *spec;
                size_t n;
                const char *proto, *ip;
                unsigned host, host_end, ctr; /* of the first port */
                int family;                   /* 0: each family the network has */
        } ok[] = {
                {"80", 1, "tcp", "", 0, 0, 80, 0},
                {"8080:80", 1, "tcp", "", 8080, 0, 80, 0},
                {"127.0.0.1:8080:80/udp", 1, "udp", "127.0.0.1", 8080, 0, 80, AF_INET},
                {"127.0.0.1::80", 1, "tcp", "127.0.0.1", 0, 0, 80, AF_INET},
                {"0.0.0.0:81:80", 1, "tcp", "", 81, 0, 80, AF_INET},
                {"[::]:8080:80", 1, "tcp", "", 8080, 0, 80, AF_INET6},
                {"[::]::80/udp", 1, "udp", "", 0, 0, 80, AF_INET6},
                {"[2001:db8::1]:8080:80", 1, "tcp", "2001:db8::1", 8080, 0, 80, AF_INET6},
                /* canonical, as nftables and box port print it */
                {"[2001:DB8:0:0::0001]:8080:80", 1, "tcp", "2001:db8::1", 8080, 0, 80, AF_INET6},
                {"[fd00::5]:8000-8001:80-81/udp", 2, "udp", "fd00::5", 8000, 0, 80, AF_INET6},
                {"8000-8002:9000-9002", 3, "tcp", "", 8000, 0, 9000, 0},
                {"8000-8009:80", 1, "tcp", "", 8000, 8009, 80, 0},
                {"9000-9001", 2, "tcp", "", 0, 0, 9000, 0},
                {":80", 1, "tcp", "", 0, 0, 80, 0}, /* Docker takes it: a free host port */
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                struct run_port *v = NULL;
                size_t n = 0;
                assert_int_equal(run_port_parse(ok[i].spec, &v, &n, NULL), 0);
                assert_int_equal(n, ok[i].n);
                assert_string_equal(v[0].proto, ok[i].proto);
                assert_string_equal(v[0].host_ip, ok[i].ip);
                assert_int_equal(v[0].host_port, ok[i].host);
                assert_int_equal(v[0].host_port_end, ok[i].host_end);
                assert_int_equal(v[0].container_port, ok[i].ctr);
                assert_int_equal(v[0].family, ok[i].family);
                assert_int_equal(v[n - 1].family, ok[i].family);
                /* errors at start name the -p value */
                assert_string_equal(v[0].spec, ok[i].spec);
                if (n == 3)
                        assert_true(v[2].host_port == 8002 && v[2].container_port == 9002);
                free(v);
        }
}

static void test_bad(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "",
                "0",
                "70000",
                "abc",
                "80/sctp",
                "0:80",
                "80:0",
                "1.2.3:80:80",
                "::1:80:80",
                "[::1]80",
                "[::1:80:80",
                "90-80",
                "8000-8001:90-92",
                "1-5000",
                "80:",
                "a:80:80",
                "80\n81",
                "-1",
                "[::1]:8080:80", /* no route_localnet for IPv6: DNAT cannot serve ::1 */
                "[0:0::1]::80",
                "[::ffff:127.0.0.1]:80:80",
                "[::]80:80",
                "[fd00::1]",
                "[fd00::1]:80",
                "[2001:db8::g]:80:80",
                "2001:db8::1:80:80",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct run_port *v = NULL;
                size_t n = 0;
                struct box_err err = {0};
                assert_int_equal(run_port_parse(bad[i], &v, &n, &err), -EINVAL);
                assert_int_equal(n, 0);
                assert_null(strchr(err.msg, '\n'));
                free(v);
        }
}

static void test_format(void **state)
{
        (void)state;
        struct run_port p = {.proto = "tcp", .host_port = 40123, .container_port = 3306};
        char *s = run_port_format(&p);
        assert_string_equal(s, "3306/tcp -> 0.0.0.0:40123");
        free(s);
        /* Docker's second line for a port published on both families */
        p.family = AF_INET6;
        s = run_port_format(&p);
        assert_string_equal(s, "3306/tcp -> [::]:40123");
        free(s);
        snprintf(p.host_ip, sizeof(p.host_ip), "2001:db8::1");
        s = run_port_format(&p);
        assert_string_equal(s, "3306/tcp -> [2001:db8::1]:40123");
        free(s);
        p.family = AF_INET;
        snprintf(p.host_ip, sizeof(p.host_ip), "127.0.0.1");
        s = run_port_format(&p);
        assert_string_equal(s, "3306/tcp -> 127.0.0.1:40123");
        free(s);
}

/* [::1]'s error says why, on one line */
static void test_loopback6(void **state)
{
        (void)state;
        struct run_port *v = NULL;
        size_t n = 0;
        struct box_err err = {0};
        assert_int_equal(run_port_parse("[::1]:8080:80", &v, &n, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid port specification: '[::1]:8080:80': IPv6 has no "
                                     "route_localnet, so DNAT cannot reach a container from "
                                     "[::1]; publish on [::] or 127.0.0.1");
        free(v);
}

/* --subnet and BOX_BRIDGE_SUBNET6: IPv6 CIDRs, canonical when printed */
static void test_cidr6(void **state)
{
        (void)state;
        struct in6_addr net;
        int len;
        assert_int_equal(net_parse_cidr6("fd12:3456:789a:1::/64", &net, &len), 0);
        assert_int_equal(len, 64);
        char *s = net_cidr6_str(&net, len);
        assert_string_equal(s, "fd12:3456:789a:1::/64");
        free(s);
        assert_int_equal(net_parse_cidr6("FD00:0:0:0::/16", &net, &len), 0);
        s = net_cidr6_str(&net, len);
        assert_string_equal(s, "fd00::/16");
        free(s);
        assert_int_equal(net_parse_cidr6("2001:db8::/124", &net, &len), 0);
        static const char *const bad[] = {
                "fd00::1/64", /* host bits */
                "fd00::/8",   /* too large */
                "fd00::/125", /* too small to hand out */
                "fd00::/",    "fd00::",     "fd00::/64x", "fd00::/-64",
                "10.0.0.0/8", "fd00::g/64", "/64",        "fd00:0:0:0:0:0:0:0:0/64",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(net_parse_cidr6(bad[i], &net, &len), -EINVAL);
        /* the IPv4 parser is unchanged by it */
        struct in_addr net4;
        assert_int_equal(net_parse_cidr("10.77.0.0/16", &net4, &len), 0);
        assert_int_equal(len, 16);
        assert_int_equal(net_parse_cidr("10.77.0.1/16", &net4, &len), -EINVAL);
        assert_int_equal(net_parse_cidr("fd00::/64", &net4, &len), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forms),  cmocka_unit_test(test_bad),
                cmocka_unit_test(test_format), cmocka_unit_test(test_loopback6),
                cmocka_unit_test(test_cidr6),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

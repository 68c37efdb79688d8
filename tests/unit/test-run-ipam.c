/* ipam_check(), ipam_check6(): which --ip and --ip6 a network can give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "run/net-internal.h"

static struct run_net net(const char *subnet, const char *gw, const char *subnet6, const char *gw6)
{
        struct run_net n = {.name = (char *)"n6"};
        assert_int_equal(net_parse_cidr(subnet, &n.subnet, &n.prefixlen), 0);
        assert_int_equal(inet_pton(AF_INET, gw, &n.gateway), 1);
        if (subnet6) {
                n.ipv6 = true;
                assert_int_equal(net_parse_cidr6(subnet6, &n.subnet6, &n.prefixlen6), 0);
                assert_int_equal(inet_pton(AF_INET6, gw6, &n.gateway6), 1);
        }
        return n;
}

static void test_check6(void **state)
{
        (void)state;
        struct run_net n = net("10.9.0.0/24", "10.9.0.1", "fd00:1:2:3::/64", "fd00:1:2:3::fe");
        struct box_err err = {0};
        struct in6_addr a, want;
        static const char *const ok[] = {
                "fd00:1:2:3::1",                                   /* not the gateway here */
                "fd00:1:2:3::2", "fd00:1:2:3:ffff:ffff:ffff:ffff", /* no broadcast in IPv6 */
                "FD00:1:2:3:0:0:0:9",                              /* any spelling */
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                assert_int_equal(ipam_check6(&n, ok[i], &a, &err), 0);
                assert_int_equal(inet_pton(AF_INET6, ok[i], &want), 1);
                assert_memory_equal(&a, &want, sizeof(a));
        }
        static const struct {
                const char *ip, *msg;
        } bad[] = {
                {"fd00:1:2:3::fe", "--ip6 'fd00:1:2:3::fe' is the gateway of network 'n6'"},
                {"fd00:1:2:3::", "--ip6 'fd00:1:2:3::' is the subnet-router anycast address of "
                                 "network 'n6'"},
                {"fd00:1:2:4::5",
                 "--ip6 'fd00:1:2:4::5' is not in the subnet 'fd00:1:2:3::/64' of network 'n6'"},
                {"fd00:1:2:2:ffff:ffff:ffff:ffff",
                 "--ip6 'fd00:1:2:2:ffff:ffff:ffff:ffff' is not in the subnet 'fd00:1:2:3::/64' "
                 "of network 'n6'"},
                {"10.9.0.5", "invalid --ip6 '10.9.0.5'"},
                {"fd00::1::2", "invalid --ip6 'fd00::1::2'"},
                {"", "invalid --ip6 ''"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&err, 0, sizeof(err));
                assert_int_equal(ipam_check6(&n, bad[i].ip, &a, &err), -EINVAL);
                assert_string_equal(err.msg, bad[i].msg);
        }
        /* a /124: sixteen addresses, a bit boundary inside the last byte */
        struct run_net s = net("10.9.0.0/24", "10.9.0.1", "fd00::10/124", "fd00::11");
        assert_int_equal(ipam_check6(&s, "fd00::1f", NULL, &err), 0);
        assert_int_equal(ipam_check6(&s, "fd00::20", NULL, &err), -EINVAL);
        assert_int_equal(ipam_check6(&s, "fd00::f", NULL, &err), -EINVAL);
        /* a network with no IPv6 */
        struct run_net v4 = net("10.9.0.0/24", "10.9.0.1", NULL, NULL);
        memset(&err, 0, sizeof(err));
        assert_int_equal(ipam_check6(&v4, "fd00::5", NULL, &err), -EINVAL);
        assert_string_equal(err.msg, "--ip6 'fd00::5': network 'n6' has no IPv6 (box network "
                                     "create --ipv6)");
}

static void test_check(void **state)
{
        (void)state;
        struct run_net n = net("10.9.0.0/24", "10.9.0.1", NULL, NULL);
        struct box_err err = {0};
        struct in_addr a;
        assert_int_equal(ipam_check(&n, "10.9.0.2", &a, &err), 0);
        assert_int_equal(ntohl(a.s_addr), 0x0a090002u);
        assert_int_equal(ipam_check(&n, "10.9.0.254", NULL, &err), 0);
        static const char *const bad[] = {"10.9.0.0",     "10.9.0.1", "10.9.0.255", "10.9.1.2",
                                          "10.8.255.255", "fd00::1",  "10.9.0",     ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(ipam_check(&n, bad[i], NULL, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check6),
                cmocka_unit_test(test_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* run_sysctl_check(): runc's namespaced sysctls, by the container's
 * network and IPC modes, and keys that are not words refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "run/run.h"

static void test_sysctl_allowed(void **state)
{
        (void)state;
        static const char *const ok[] = {
                "kernel.shmmax=1",
                "kernel.shm_rmid_forced=1",
                "kernel.msgmnb=5",
                "kernel.sem=250 32000 32 128",
                "fs.mqueue.msg_max=20",
                "net.ipv4.ip_forward=1",
                "net/ipv4/conf/eth0/rp_filter=2",
                "net.core.somaxconn=",
                "kernel/msgmax=9",
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                assert_int_equal(run_sysctl_check(ok[i], RUN_NETWORK_PRIVATE, false, NULL), 0);
        /* another container's network namespace is not the host's */
        assert_int_equal(
                run_sysctl_check("net.ipv4.ip_forward=1", RUN_NETWORK_CONTAINER, false, NULL), 0);
        assert_int_equal(run_sysctl_check("kernel.shmmax=1", RUN_NETWORK_HOST, false, NULL), 0);
}

static void test_sysctl_refused(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "vm.swappiness=1",
                "kernel.hostname=x",
                "kernel.shmmaxx=1",
                "kernel.msg=1",
                "fs.file-max=1",
                "noequals",
                "=1",
                "net..ipv4=1",
                ".net.ipv4=1",
                "net.ipv4.=1",
                "net/../kernel/core_pattern=x",
                "net.ipv4 x=1",
                "net.a\nb=1",
                "net.core.somaxconn=1\nx",
                "net.*=1",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct box_err err = {0};
                assert_int_equal(run_sysctl_check(bad[i], RUN_NETWORK_PRIVATE, false, &err),
                                 -EINVAL);
                assert_non_null(strstr(err.msg, "--sysctl"));
                assert_null(strchr(err.msg, '\n'));
        }
        struct box_err err = {0};
        assert_int_equal(run_sysctl_check("net.ipv4.ip_forward=1", RUN_NETWORK_HOST, false, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "'net.ipv4.ip_forward'"));
        assert_int_equal(run_sysctl_check("fs.mqueue.msg_max=1", RUN_NETWORK_NONE, true, &err),
                         -EINVAL);
        assert_int_equal(run_sysctl_check("kernel.sem=1", RUN_NETWORK_NONE, true, NULL), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sysctl_allowed),
                cmocka_unit_test(test_sysctl_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

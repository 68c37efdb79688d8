/* The attach flags' parsers (cli/cmd-attach.c, cli/options.c): Docker's
 * --detach-keys syntax and its boolean flags (--sig-proxy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "cli/container.h"
#include "cli/options.h"

static void test_detach_keys(void **state)
{
        (void)state;
        unsigned char k[16];
        size_t n = 99;
        assert_int_equal(cli_detach_keys_parse("ctrl-p,ctrl-q", k, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(k[0], 0x10);
        assert_int_equal(k[1], 0x11);
        assert_int_equal(cli_detach_keys_parse("CTRL-X,y", k, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(k[0], 0x18);
        assert_int_equal(k[1], 'y');
        /* ctrl-@ is NUL, ctrl-[ ESC, ctrl-_ 0x1f */
        assert_int_equal(cli_detach_keys_parse("ctrl-@,ctrl-[,ctrl-_", k, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(k[0], 0);
        assert_int_equal(k[1], 0x1b);
        assert_int_equal(k[2], 0x1f);
        /* "" turns detaching off */
        assert_int_equal(cli_detach_keys_parse("", k, &n), 0);
        assert_int_equal(n, 0);
}

static void test_detach_keys_invalid(void **state)
{
        (void)state;
        unsigned char k[16];
        size_t n = 99;
        const char *bad[] = {"ctrl-1", "ab", "ctrl-", "ctrl-pq", ",", "a,,b", "shift-a"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(cli_detach_keys_parse(bad[i], k, &n), -EINVAL);
        /* at most 16 keys */
        assert_int_equal(cli_detach_keys_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", k, &n), 0);
        assert_int_equal(n, 16);
        assert_int_equal(cli_detach_keys_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", k, &n),
                         -EINVAL);
        assert_int_equal(n, 16); /* untouched on failure */
}

static void test_bool(void **state)
{
        (void)state;
        bool v = false;
        assert_int_equal(cli_options_bool("t", "b", NULL, &v), 0);
        assert_true(v);
        assert_int_equal(cli_options_bool("t", "b", "false", &v), 0);
        assert_false(v);
        assert_int_equal(cli_options_bool("t", "b", "1", &v), 0);
        assert_true(v);
        assert_int_equal(cli_options_bool("t", "b", "0", &v), 0);
        assert_false(v);
        assert_int_equal(cli_options_bool("t", "b", "T", &v), 0);
        assert_true(v);
        assert_int_equal(cli_options_bool("t", "b", "False", &v), 0);
        assert_false(v);
        /* a usage error: 125, the value untouched */
        assert_int_equal(cli_options_bool("t", "b", "maybe", &v), 125);
        assert_false(v);
        assert_int_equal(cli_options_bool("t", "b", "", &v), 125);
        assert_int_equal(cli_options_bool("t", "b", "yes", &v), 125);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detach_keys),
                cmocka_unit_test(test_detach_keys_invalid),
                cmocka_unit_test(test_bool),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

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
        /* pflag's spellings (Go's strconv.ParseBool); no value is true */
        static const struct {
                const char *arg;
                int ret;
                bool v;
        } cases[] = {
                {NULL, 0, true},   {"false", 0, false}, {"1", 0, true},    {"0", 0, false},
                {"T", 0, true},    {"False", 0, false}, {"TRUE", 0, true}, {"f", 0, false},
                {"maybe", 125, 0}, {"", 125, 0},        {"yes", 125, 0},   {"on", 125, 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                bool v = !cases[i].v;
                assert_int_equal(cli_options_bool("t", "b", cases[i].arg, &v), cases[i].ret);
                /* a usage error leaves the value as it was */
                assert_true(v == (cases[i].ret ? !cases[i].v : cases[i].v));
        }
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

/* fs_close_all_except(): every fd above stdio closes but the ones kept. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/fs.h"
#include "lib/macro.h"

static bool is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static void test_close_fds(void **state)
{
        (void)state;
        int fds[8];
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                fds[i] = open("/dev/null", O_RDONLY); /* not CLOEXEC: closing must not rely on it */
                assert_true(fds[i] > 2);
        }
        int high = fcntl(fds[0], F_DUPFD, 200);
        assert_true(high >= 200);
        /* unsorted, with a duplicate, a negative one and stdio */
        const int keep[] = {fds[5], -1, fds[2], fds[5], 1};
        assert_int_equal(fs_close_all_except(keep, ARRAY_SIZE(keep)), 0);
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                assert_int_equal(is_open(fds[i]), i == 2 || i == 5);
        assert_false(is_open(high));
        assert_true(is_open(0) && is_open(1) && is_open(2));
        close(fds[2]);
        close(fds[5]);
}

static void test_close_fds_none_kept(void **state)
{
        (void)state;
        int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
        assert_int_equal(fs_close_all_except(NULL, 0), 0);
        assert_false(is_open(a));
        assert_false(is_open(b));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_close_fds),
                cmocka_unit_test(test_close_fds_none_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

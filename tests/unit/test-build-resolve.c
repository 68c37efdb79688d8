/* The builder's containment helpers: a path resolved inside a root the way
 * RESOLVE_IN_ROOT would, an input file that never blocks or leaves its root,
 * and string lists that grow in linear time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char dir[] = "/tmp/box-unit-resolve-XXXXXX";
static int rootfd = -EBADF;

static void resolves_to(const char *path, bool follow_last, const char *want)
{
        struct box_err err = {0};
        char *got = NULL;
        assert_int_equal(build_path_resolve_in_root(rootfd, path, follow_last, &got, &err), 0);
        assert_string_equal(got, want);
        free(got);
}

static void test_resolve_in_root(void **state)
{
        (void)state;
        /* root/etc/shadow, root/d/x; links absolute, relative, climbing, chained */
        assert_int_equal(mkdirat(rootfd, "etc", 0755), 0);
        assert_int_equal(mkdirat(rootfd, "d", 0755), 0);
        close(openat(rootfd, "etc/shadow", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        assert_int_equal(symlinkat("/etc/shadow", rootfd, "abs"), 0);
        assert_int_equal(symlinkat("../../../../../../etc/shadow", rootfd, "d/climb"), 0);
        assert_int_equal(symlinkat("/etc", rootfd, "e"), 0);
        assert_int_equal(symlinkat("abs", rootfd, "chain"), 0);
        assert_int_equal(symlinkat("loop2", rootfd, "loop1"), 0);
        assert_int_equal(symlinkat("loop1", rootfd, "loop2"), 0);

        resolves_to("abs", true, "etc/shadow");
        resolves_to("/abs", false, "abs");
        resolves_to("d/climb", true, "etc/shadow");
        resolves_to("e/shadow", true, "etc/shadow");
        resolves_to("e/../d", true, "d"); /* ".." after a link: the link's parent */
        resolves_to("chain", true, "etc/shadow");
        resolves_to("../../x/y", true, "x/y"); /* ".." stops at the root */
        resolves_to("e/missing/../more", true, "etc/more");
        resolves_to("", true, "");
        resolves_to("/", true, "");

        struct box_err err = {0};
        char *got = NULL;
        assert_int_equal(build_path_resolve_in_root(rootfd, "loop1", true, &got, &err), -ELOOP);
}

static void test_read_input(void **state)
{
        (void)state;
        struct box_err err = {0};
        char *buf = NULL;
        size_t len = 0;
        assert_int_equal(mkfifoat(rootfd, "fifo", 0600), 0);
        /* a FIFO with no writer would block a plain open() forever */
        assert_int_equal(fs_read_input_at(rootfd, "fifo", true, 0, &buf, &len, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "'fifo' is not a regular file"));
        /* in the root, "/etc/shadow" is the root's own file, not the host's */
        int fd = openat(rootfd, "etc/shadow", O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(write(fd, "mine", 4) == 4);
        close(fd);
        assert_int_equal(fs_read_input_at(rootfd, "abs", true, 0, &buf, &len, &err), 0);
        assert_string_equal(buf, "mine");
        free(buf);
        assert_int_equal(symlinkat("/nonexistent-on-purpose", rootfd, "out"), 0);
        assert_int_equal(fs_read_input_at(rootfd, "out", true, 0, &buf, &len, &err), -ENOENT);
}

static void test_strv_push_at(void **state)
{
        (void)state;
        char **v = xnew0(char *, 1);
        for (size_t i = 0; i < 100000; i++)
                v = strv_push_at(v, i, xasprintf("%zu", i));
        assert_int_equal(strv_length(v), 100000);
        assert_string_equal(v[99999], "99999");
        v = strv_push(v, xstrdup("last"));
        assert_string_equal(v[100000], "last");
        assert_null(v[100001]);
        char **c = strv_concat(v, v);
        assert_int_equal(strv_length(c), 200002);
        strv_free(c);
        strv_free(v);
}

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(dir))
                return -1;
        rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        (void)state;
        close(rootfd);
        return fs_rm_rf(dir, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolve_in_root),
                cmocka_unit_test(test_read_input),
                cmocka_unit_test(test_strv_push_at),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

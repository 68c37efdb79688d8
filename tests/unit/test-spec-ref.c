#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/xalloc.h"
#include "spec/ref.h"

static void check(const char *in, const char *full, const char *familiar)
{
        struct image_ref r;
        struct box_err err = {0};
        int rc = spec_ref_parse(in, &r, &err);
        if (rc < 0)
                fail_msg("'%s': %s", in, err.msg);
        char *f = spec_ref_format(&r);
        char *fam = spec_ref_familiar(&r);
        assert_string_equal(f, full);
        assert_string_equal(fam, familiar);
        free(f);
        free(fam);
        spec_ref_release(&r);
}

static void bad(const char *in)
{
        struct image_ref r;
        struct box_err err = {0};
        if (spec_ref_parse(in, &r, &err) >= 0)
                fail_msg("'%s' accepted", in);
        assert_true(err.msg[0] != '\0');
}

static void test_normalise(void **state)
{
        (void)state;
        check("mysql", "docker.io/library/mysql:latest", "mysql:latest");
        check("mysql:8", "docker.io/library/mysql:8", "mysql:8");
        check("user/app", "docker.io/user/app:latest", "user/app:latest");
        check("docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1");
        check("index.docker.io/x", "docker.io/library/x:latest", "x:latest");
        check("localhost/x", "localhost/x:latest", "localhost/x:latest");
        check("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t");
        check("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest");
        check("quay.io/a/b-c_d.e__f:v1.2-3", "quay.io/a/b-c_d.e__f:v1.2-3",
              "quay.io/a/b-c_d.e__f:v1.2-3");
        check("Foo/bar", "Foo/bar:latest", "Foo/bar:latest");
        check("a--b", "docker.io/library/a--b:latest", "a--b:latest");
        check("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest");
}

static void test_digest(void **state)
{
        (void)state;
        const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char in[200], want[200];
        snprintf(in, sizeof in, "busybox@%s", d);
        snprintf(want, sizeof want, "docker.io/library/busybox@%s", d);
        check(in, want, in);
        snprintf(in, sizeof in, "busybox:1@%s", d);
        snprintf(want, sizeof want, "docker.io/library/busybox:1@%s", d);
        check(in, want, in);
}

static void test_invalid(void **state)
{
        (void)state;
        bad("");
        bad("UPPER");
        bad("a/UPPER");
        bad("a:");
        bad(":tag");
        bad("a:-tag");
        bad("-a");
        bad("a_");
        bad("a..b");
        bad("a___b");
        bad("a//b");
        bad("a/");
        bad("a@sha256:123");
        bad("a@md5:0123");
        bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        bad("host:/x");
        bad("-host.com/x");
        char long_name[300];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        bad(long_name);
        char long_tag[140] = "a:";
        memset(long_tag + 2, 't', 129);
        long_tag[131] = '\0';
        bad(long_tag);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalise),
                cmocka_unit_test(test_digest),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

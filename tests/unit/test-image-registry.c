/* registries.yaml and auth.json: what the files say, what a malformed one
 * reports (file:line:column), and credentials that round-trip without a
 * world-readable file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "image/registry.h"
#include "lib/fs.h"
#include "lib/xalloc.h"

static char dir[] = "/tmp/box-unit-registry-XXXXXX";

static void write_file(const char *name, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(dir))
                return -1;
        _cleanup_free_ char *box = xasprintf("%s/box", dir);
        mkdir(box, 0700);
        _cleanup_free_ char *sys = xasprintf("%s/system.yaml", dir);
        setenv("XDG_CONFIG_HOME", dir, 1);
        setenv("BOX_REGISTRIES_CONF", sys, 1);
        setenv("DOCKER_CONFIG", dir, 1);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return fs_rm_rf(dir, NULL);
}

static void test_conf_layers(void **state)
{
        (void)state;
        write_file("system.yaml", "unqualified-registry: sys.local:1\n"
                                  "registries:\n"
                                  "  a.local:\n"
                                  "    insecure: true\n"
                                  "  b.local:\n"
                                  "    mirrors: [m1.local, \"m2.local:5000\"]\n");
        write_file("box/registries.yaml", "unqualified-registry: user.local:2\n"
                                          "registries:\n"
                                          "  a.local:\n"
                                          "    location: c.local:443\n"
                                          "  user.local:2:\n"
                                          "    insecure: yes\n"
                                          "    ca: /etc/ca.pem\n");
        struct image_registry_conf c;
        struct box_err err = {0};
        /* the user's entry replaces the system's whole */
        assert_int_equal(image_registry_conf_get("a.local", &c, &err), 0);
        assert_string_equal(c.location, "c.local:443");
        assert_int_equal(c.insecure, 0);
        image_registry_conf_release(&c);
        assert_int_equal(image_registry_conf_get("b.local", &c, &err), 0);
        assert_string_equal(c.location, "b.local");
        assert_string_equal(c.mirrors[0], "m1.local");
        assert_string_equal(c.mirrors[1], "m2.local:5000");
        assert_null(c.mirrors[2]);
        image_registry_conf_release(&c);
        /* docker.io names go to the unqualified registry, as its entry says */
        assert_int_equal(image_registry_conf_get("docker.io", &c, &err), 0);
        assert_string_equal(c.location, "user.local:2");
        assert_int_equal(c.insecure, 1);
        assert_string_equal(c.ca_file, "/etc/ca.pem");
        image_registry_conf_release(&c);
}

static void expect_error(const char *yaml, const char *msg)
{
        write_file("system.yaml", "");
        write_file("box/registries.yaml", yaml);
        struct image_registry_conf c;
        struct box_err err = {0};
        assert_int_equal(image_registry_conf_get("x.local", &c, &err), -EINVAL);
        _cleanup_free_ char *want = xasprintf("'%s/box/registries.yaml':%s", dir, msg);
        assert_string_equal(err.msg, want);
}

static void test_conf_errors(void **state)
{
        (void)state;
        expect_error("registries: [\n", "2:1: did not find expected node content");
        expect_error("registries:\n  a:\n    insecure: 1\n", "3:15: want true or false");
        expect_error("registries:\n  a:\n    mirrors: x\n", "3:14: mirrors: want a list of hosts");
        expect_error("registries:\n  a:\n    ca: rel/ca.pem\n", "3:9: ca: want an absolute path");
        expect_error("registries:\n  a:\n    color: red\n",
                     "3:5: unknown key (want insecure, location, mirrors or ca)");
        expect_error("unqualified-registry: \"a b\"\n", "1:23: not a registry host[:port]");
        expect_error("- a\n", "1:1: want a mapping (unqualified-registry, registries)");
        expect_error("registries:\n  \"x/../y\": {}\n",
                     "2:3: registries: not a registry host[:port]");
}

static void test_auth_roundtrip(void **state)
{
        (void)state;
        struct box_err err = {0};
        char *u = NULL, *p = NULL;
        assert_int_equal(image_registry_auth_get("r.local:5000", &u, &p, &err), 0);
        assert_null(u);
        assert_int_equal(image_registry_auth_set("r.local:5000", "me", "pa:ss w\xc3\xb6rd", &err),
                         0);
        _cleanup_free_ char *path = image_registry_auth_path();
        struct stat s;
        assert_int_equal(stat(path, &s), 0);
        assert_int_equal(s.st_mode & 0777, 0600);
        assert_int_equal(image_registry_auth_get("r.local:5000", &u, &p, &err), 0);
        assert_string_equal(u, "me");
        assert_string_equal(p, "pa:ss w\xc3\xb6rd");
        free(u);
        free(p);
        assert_int_equal(image_registry_auth_set("r.local:5000", "a:b", "x", &err), -EINVAL);
        assert_int_equal(image_registry_auth_remove("r.local:5000", &err), 1);
        assert_int_equal(image_registry_auth_remove("r.local:5000", &err), 0);
        /* Docker's file is read when box's has nothing; a bad entry is an error */
        write_file("config.json", "{\"auths\":{\"d.local\":{\"auth\":\"dTpw\"}}}");
        assert_int_equal(image_registry_auth_get("d.local", &u, &p, &err), 0);
        assert_string_equal(u, "u");
        assert_string_equal(p, "p");
        free(u);
        free(p);
        write_file("config.json", "{\"auths\":{\"d.local\":{\"auth\":\"bm9jb2xvbg==\"}}}");
        assert_int_equal(image_registry_auth_get("d.local", &u, &p, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conf_layers),
                cmocka_unit_test(test_conf_errors),
                cmocka_unit_test(test_auth_roundtrip),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

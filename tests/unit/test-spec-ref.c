/* Image references.  The cases follow the test tables of
 * github.com/distribution/reference (reference_test.go, normalize_test.go,
 * regexp_test.go), restated for box's API:
 *   Parse                -> spec_ref_parse_raw()
 *   ParseNormalizedNamed -> spec_ref_parse_name()
 *   ParseDockerRef       -> spec_ref_parse()
 *   ParseAnyReference    -> spec_ref_parse_any()
 *   String() / Name()    -> spec_ref_format() / spec_ref_repository()
 *   FamiliarString/Name  -> spec_ref_familiar() / spec_ref_familiar_repository()
 *   FamiliarMatch        -> spec_ref_familiar_match() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>

#include "lib/xalloc.h"
#include "spec/ref.h"

#define FFFF   "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define SHA_F  "sha256:" FFFF
#define SHA_BE "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"
#define SHA_DB "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define BAD(in, msg)                                                                               \
        {                                                                                          \
                in, msg, NULL, NULL, NULL, NULL                                                    \
        }
#define SHA_E6 "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

typedef int (*parse_fn)(const char *, struct image_ref *, struct box_err *);

static char *repeat(const char *s, int n, const char *tail)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (int i = 0; i < n; i++)
                buf_puts(&b, s);
        buf_puts(&b, tail);
        return buf_steal(&b);
}

static void must_fail(parse_fn fn, const char *in, const char *msg_part)
{
        struct image_ref r;
        struct box_err err = {0};
        if (fn(in, &r, &err) >= 0) {
                _cleanup_free_ char *f = spec_ref_format(&r);
                spec_ref_release(&r);
                fail_msg("'%s' accepted as '%s'", in, f);
        }
        assert_int_equal(err.code, EINVAL);
        assert_true(err.msg[0] != '\0');
        if (msg_part && !strstr(err.msg, msg_part))
                fail_msg("'%s': error '%s' lacks '%s'", in, err.msg, msg_part);
}

static void must_parse(parse_fn fn, const char *in, struct image_ref *ret)
{
        struct box_err err = {0};
        if (fn(in, ret, &err) < 0)
                fail_msg("'%s' refused: %s", in, err.msg);
}

static void assert_str_or_null(const char *what, const char *in, const char *got, const char *want)
{
        if (!want || !*want) {
                if (got && *got)
                        fail_msg("'%s': %s is '%s', want none", in, what, got);
                return;
        }
        if (!got || !streq(got, want))
                fail_msg("'%s': %s is '%s', want '%s'", in, what, got ? got : "(null)", want);
}

/* ---- reference_test.go: TestReferenceParse (Parse, no normalisation) ---- */

struct parse_case {
        const char *input;
        const char *err; /* a part of the expected message, or NULL: must parse */
        const char *repository, *domain, *tag, *digest;
};

static void check_raw(const struct parse_case *c)
{
        if (c->err) {
                must_fail(spec_ref_parse_raw, c->input, c->err);
                return;
        }
        struct image_ref r;
        must_parse(spec_ref_parse_raw, c->input, &r);
        _cleanup_free_ char *s = spec_ref_format(&r), *name = spec_ref_repository(&r);
        assert_str_or_null("String()", c->input, s, c->input);
        assert_str_or_null("Name()", c->input, name, c->repository);
        assert_str_or_null("domain", c->input, r.domain, c->domain);
        assert_str_or_null("tag", c->input, r.tag, c->tag);
        assert_str_or_null("digest", c->input, r.digest, c->digest);
        spec_ref_release(&r);
}

static void test_reference_parse(void **state)
{
        (void)state;
        const char *inv = "invalid reference format";
        const struct parse_case cases[] = {
                {"test_com", NULL, "test_com", "", NULL, NULL},
                {"test.com:tag", NULL, "test.com", "", "tag", NULL},
                {"test.com:5000", NULL, "test.com", "", "5000", NULL},
                {"test.com/repo:tag", NULL, "test.com/repo", "test.com", "tag", NULL},
                {"test:5000/repo", NULL, "test:5000/repo", "test:5000", NULL, NULL},
                {"test:5000/repo:tag", NULL, "test:5000/repo", "test:5000", "tag", NULL},
                {"test:5000/repo@" SHA_F, NULL, "test:5000/repo", "test:5000", NULL, SHA_F},
                {"test:5000/repo:tag@" SHA_F, NULL, "test:5000/repo", "test:5000", "tag", SHA_F},
                BAD("", "at least one component"),
                BAD(":justtag", inv),
                BAD("@" SHA_F, inv),
                BAD("repo@sha256:ffffffffffffffffffffffffffffffffff", "64 hex digits"),
                BAD("validname@invaliddigest:" FFFF, "unsupported digest algorithm"),
                BAD("validname@sha512:" FFFF FFFF, "unsupported digest algorithm 'sha512'"),
                BAD("Uppercase:tag", "must be lowercase"),
                BAD("test:5000/Uppercase/lowercase:tag", "must be lowercase"),
                {"lowercase:Uppercase", NULL, "lowercase", "", "Uppercase", NULL},
                BAD("aa/asdf$$^/aa", inv),
                {"sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com/bar/baz/quux",
                 "sub-dom1.foo.com", NULL, NULL},
                {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL,
                 "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "some-long-tag", NULL},
                {"b.gcr.io/test.example.com/my-app:test.example.com", NULL,
                 "b.gcr.io/test.example.com/my-app", "b.gcr.io", "test.example.com", NULL},
                {"xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com/myimage", "xn--n3h.com",
                 "xn--n3h.com", NULL},
                {"xn--7o8h.com/myimage:xn--7o8h.com@" SHA_F, NULL, "xn--7o8h.com/myimage",
                 "xn--7o8h.com", "xn--7o8h.com", SHA_F},
                {"foo_bar.com:8080", NULL, "foo_bar.com", "", "8080", NULL},
                {"foo/foo_bar.com:8080", NULL, "foo/foo_bar.com", "foo", "8080", NULL},
                {"192.168.1.1", NULL, "192.168.1.1", "", NULL, NULL},
                {"192.168.1.1:tag", NULL, "192.168.1.1", "", "tag", NULL},
                {"192.168.1.1:5000", NULL, "192.168.1.1", "", "5000", NULL},
                {"192.168.1.1/repo", NULL, "192.168.1.1/repo", "192.168.1.1", NULL, NULL},
                {"192.168.1.1:5000/repo", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", NULL,
                 NULL},
                {"192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000",
                 "5050", NULL},
                BAD("[2001:db8::1]", inv),
                BAD("[2001:db8::1]:5000", inv),
                BAD("[2001:db8::1]:tag", inv),
                {"[2001:db8::1]/repo", NULL, "[2001:db8::1]/repo", "[2001:db8::1]", NULL, NULL},
                {"[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]/repo",
                 "[2001:db8:1:2:3:4:5:6]", "tag", NULL},
                {"[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000",
                 NULL, NULL},
                {"[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000/repo",
                 "[2001:db8::1]:5000", "tag", NULL},
                {"[2001:db8::1]:5000/repo@" SHA_F, NULL, "[2001:db8::1]:5000/repo",
                 "[2001:db8::1]:5000", NULL, SHA_F},
                {"[2001:db8::1]:5000/repo:tag@" SHA_F, NULL, "[2001:db8::1]:5000/repo",
                 "[2001:db8::1]:5000", "tag", SHA_F},
                {"[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000/repo", "[2001:db8::]:5000",
                 NULL, NULL},
                {"[::1]:5000/repo", NULL, "[::1]:5000/repo", "[::1]:5000", NULL, NULL},
                BAD("[fe80::1%eth0]:5000/repo", inv),
                BAD("[fe80::1%@invalidzone]:5000/repo", inv),
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                check_raw(&cases[i]);

        /* the 255-character limit counts the path, not the domain */
        _cleanup_free_ char *too_long = repeat("a", 256, ":tag");
        _cleanup_free_ char *too_long_in = xasprintf("domain/%s", too_long);
        must_fail(spec_ref_parse_raw, too_long_in, "not be more than 255 characters");

        _cleanup_free_ char *many = repeat("a/", 127, "a:tag-puts-this-over-max");
        _cleanup_free_ char *many_repo = repeat("a/", 127, "a");
        struct parse_case m = {many, NULL, many_repo, "a", "tag-puts-this-over-max", NULL};
        check_raw(&m);

        _cleanup_free_ char *a255 = repeat("a", 255, "");
        _cleanup_free_ char *ex_in = xasprintf("example.com/%s:tag", a255);
        _cleanup_free_ char *ex_repo = xasprintf("example.com/%s", a255);
        struct parse_case ex = {ex_in, NULL, ex_repo, "example.com", "tag", NULL};
        check_raw(&ex);
}

/* TestWithNameFailure: none of these is a bare name. */
static void test_with_name_failure(void **state)
{
        (void)state;
        const char *names[] = {"",
                               ":justtag",
                               "@" SHA_F,
                               "validname@invaliddigest:" FFFF,
                               "example.com/repo:tag",
                               "aa/asdf$$^/aa"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct image_ref r;
                if (spec_ref_parse_raw(names[i], &r, NULL) >= 0) {
                        bool bare = !r.tag && !r.digest;
                        spec_ref_release(&r);
                        if (bare)
                                fail_msg("'%s' read as a bare name", names[i]);
                }
        }
        _cleanup_free_ char *a256 = repeat("a", 256, "");
        _cleanup_free_ char *in = xasprintf("example.com/%s", a256);
        must_fail(spec_ref_parse_raw, in, "255");
}

/* TestDomainAndPath and TestSerialization */
static void test_domain_and_path(void **state)
{
        (void)state;
        const struct {
                const char *input, *domain, *path;
        } cases[] = {
                {"test.com/foo", "test.com", "foo"},
                {"test_com/foo", "", "test_com/foo"},
                {"test:8080/foo", "test:8080", "foo"},
                {"test.com:8080/foo", "test.com:8080", "foo"},
                {"test-com:8080/foo", "test-com:8080", "foo"},
                {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_raw, cases[i].input, &r);
                assert_str_or_null("domain", cases[i].input, r.domain, cases[i].domain);
                assert_str_or_null("path", cases[i].input, r.path, cases[i].path);
                spec_ref_release(&r);
        }

        const struct parse_case ser[] = {
                BAD("", "at least one component"),
                {"example.com:8000/named", NULL, "example.com:8000/named", "example.com:8000", NULL,
                 NULL},
                {"example.com:8000/named:tagged", NULL, "example.com:8000/named",
                 "example.com:8000", "tagged", NULL},
                {"other.com/named@sha256:"
                 "1234567890098765432112345667890098765432112345667890098765432112",
                 NULL, "other.com/named", "other.com", NULL,
                 "sha256:1234567890098765432112345667890098765432112345667890098765432112"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(ser); i++)
                check_raw(&ser[i]);
}

/* TestWithTag, TestWithDigest: how a name, a tag and a digest print. */
static void test_with_tag_and_digest(void **state)
{
        (void)state;
        const char *d = "sha256:1234567890098765432112345667890098765";
        const struct {
                const char *name, *tag, *digest, *combined;
        } cases[] = {
                {"test.com/foo", "tag", NULL, "test.com/foo:tag"},
                {"foo", "tag2", NULL, "foo:tag2"},
                {"test.com:8000/foo", "tag4", NULL, "test.com:8000/foo:tag4"},
                {"test.com:8000/foo", "TAG5", NULL, "test.com:8000/foo:TAG5"},
                {"test.com:8000/foo", "TAG5", d, "test.com:8000/foo:TAG5@" /* d */},
                {"test.com/foo", NULL, d, "test.com/foo@"},
                {"foo", NULL, d, "foo@"},
                {"test.com:8000/foo", NULL, d, "test.com:8000/foo@"},
                {"test.com:8000/foo", "latest", d, "test.com:8000/foo:latest@"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_raw, cases[i].name, &r);
                assert_null(r.tag);
                r.tag = cases[i].tag ? xstrdup(cases[i].tag) : NULL;
                r.digest = cases[i].digest ? xstrdup(cases[i].digest) : NULL;
                _cleanup_free_ char *s = spec_ref_format(&r);
                _cleanup_free_ char *want =
                        xasprintf("%s%s", cases[i].combined, cases[i].digest ? d : "");
                assert_string_equal(s, want);
                spec_ref_release(&r);
        }
}

/* TestParseNamed: ParseNormalizedNamed whose String() is the input. */
static void test_parse_named(void **state)
{
        (void)state;
        const struct {
                const char *input, *domain, *path;
        } cases[] = {
                {"test.com/foo", "test.com", "foo"},
                {"test:8080/foo", "test:8080", "foo"},
                {"test_com/foo", NULL, NULL},
                {"test.com", NULL, NULL},
                {"foo", NULL, NULL},
                {"library/foo", NULL, NULL},
                {"docker.io/library/foo", "docker.io", "library/foo"},
                {"docker.io/foo", NULL, NULL},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_name, cases[i].input, &r);
                _cleanup_free_ char *s = spec_ref_format(&r);
                bool canonical = streq(s, cases[i].input);
                if (canonical != (cases[i].domain != NULL))
                        fail_msg("'%s' read as '%s'", cases[i].input, s);
                if (canonical) {
                        assert_string_equal(r.domain, cases[i].domain);
                        assert_string_equal(r.path, cases[i].path);
                }
                spec_ref_release(&r);
        }
}

/* ---- normalize_test.go ---- */

static void test_validate_reference_name(void **state)
{
        (void)state;
        const char *valid[] = {
                "docker/docker",
                "library/debian",
                "debian",
                "localhost/library/debian",
                "localhost/debian",
                "LOCALDOMAIN/library/debian",
                "LOCALDOMAIN/debian",
                "docker.io/docker/docker",
                "docker.io/library/debian",
                "docker.io/debian",
                "index.docker.io/docker/docker",
                "index.docker.io/library/debian",
                "index.docker.io/debian",
                "127.0.0.1:5000/docker/docker",
                "127.0.0.1:5000/library/debian",
                "127.0.0.1:5000/debian",
                "192.168.0.1",
                "192.168.0.1:80",
                "192.168.0.1:8/debian",
                "192.168.0.2:25000/debian",
                "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
                "[fc00::1]:5000/docker",
                "[fc00::1]:5000/docker/docker",
                "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
                "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                "Docker/docker",
                "DOCKER/docker",
        };
        const char *invalid[] = {
                "https://github.com/docker/docker",
                "docker/Docker",
                "-docker",
                "-docker/docker",
                "-docker.io/docker/docker",
                "docker///docker",
                "docker.io/docker/Docker",
                "docker.io/docker///docker",
                "[fc00::1]",
                "[fc00::1]:5000",
                "fc00::1:5000/debian",
                "[fe80::1%eth0]:5000/debian",
                "[2001:db8:3:4::192.0.2.33]:5000/debian",
                "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        };
        for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_name, valid[i], &r);
                spec_ref_release(&r);
        }
        for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
                must_fail(spec_ref_parse_name, invalid[i], NULL);
        must_fail(spec_ref_parse_name,
                  "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                  "cannot specify 64-byte hexadecimal strings");
        must_fail(spec_ref_parse_name, "docker/Docker", "must be lowercase");
}

static void test_validate_remote_name(void **state)
{
        (void)state;
        const char *valid[] = {
                "docker/docker",
                "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
                "docker-rules/docker",
                "docker---rules/docker",
                "doc/docker",
                "d/docker",
                "jess/t",
                "dock__er/docker",
        };
        const char *invalid[] = {
                "docker/Docker",
                "docker///docker",
                "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                "-docker/docker",
                "docker-/docker",
                "-docker-/docker",
                "____/____",
                "_docker/_docker",
                "dock..er/docker",
                "dock_.er/docker",
                "dock-.er/docker",
                "docker/",
                "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_"
                "a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
                "namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
                "because_its_lenth_is_greater_than_255/docker",
        };
        for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_name, valid[i], &r);
                spec_ref_release(&r);
        }
        for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
                must_fail(spec_ref_parse_name, invalid[i], NULL);
}

static void test_parse_repository_info(void **state)
{
        (void)state;
        const struct {
                const char *remote, *familiar, *full, *ambiguous, *domain;
        } cases[] = {
                {"fooo", "localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost"},
                {"fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar",
                 "localhost"},
                {"fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN"},
                {"fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar",
                 "LOCALDOMAIN"},
                {"fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar",
                 "docker.io"},
                {"library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu",
                 "docker.io"},
                {"nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", NULL,
                 "docker.io"},
                {"other/library", "other/library", "docker.io/other/library", NULL, "docker.io"},
                {"private/moonbase", "127.0.0.1:8000/private/moonbase",
                 "127.0.0.1:8000/private/moonbase", NULL, "127.0.0.1:8000"},
                {"privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", NULL,
                 "127.0.0.1:8000"},
                {"private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase",
                 NULL, "example.com"},
                {"privatebase", "example.com/privatebase", "example.com/privatebase", NULL,
                 "example.com"},
                {"private/moonbase", "example.com:8000/private/moonbase",
                 "example.com:8000/private/moonbase", NULL, "example.com:8000"},
                {"privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee",
                 NULL, "example.com:8000"},
                {"library/ubuntu-12.04-base", "ubuntu-12.04-base",
                 "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base",
                 "docker.io"},
                {"library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"},
                {"library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", NULL,
                 "docker.io"},
                {"store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", NULL, "docker.io"},
                {"bar", "Foo/bar", "Foo/bar", NULL, "Foo"},
                {"bar", "FOO/bar", "FOO/bar", NULL, "FOO"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *inputs[] = {cases[i].familiar, cases[i].full, cases[i].ambiguous};
                for (size_t j = 0; j < ARRAY_SIZE(inputs) && inputs[j]; j++) {
                        struct image_ref r;
                        must_parse(spec_ref_parse_name, inputs[j], &r);
                        _cleanup_free_ char *fam = spec_ref_familiar_repository(&r);
                        _cleanup_free_ char *full = spec_ref_format(&r);
                        assert_str_or_null("FamiliarName", inputs[j], fam, cases[i].familiar);
                        assert_str_or_null("String()", inputs[j], full, cases[i].full);
                        assert_str_or_null("Domain", inputs[j], r.domain, cases[i].domain);
                        assert_str_or_null("Path", inputs[j], r.path, cases[i].remote);
                        assert_null(r.tag);
                        spec_ref_release(&r);
                }
        }
}

static void test_parse_reference_with_tag_and_digest(void **state)
{
        (void)state;
        const char *in = "busybox:latest@sha256:"
                         "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        struct image_ref r;
        must_parse(spec_ref_parse_name, in, &r);
        _cleanup_free_ char *full = spec_ref_format(&r), *fam = spec_ref_familiar(&r);
        _cleanup_free_ char *want = xasprintf("docker.io/library/%s", in);
        assert_string_equal(full, want);
        assert_string_equal(fam, in);
        assert_string_equal(r.tag, "latest");
        assert_non_null(r.digest);
        spec_ref_release(&r);
}

static void test_invalid_reference_components(void **state)
{
        (void)state;
        must_fail(spec_ref_parse_name, "-foo", NULL);
        must_fail(spec_ref_parse_name, "busybox:-foo", NULL);
        must_fail(spec_ref_parse_name, "busybox@foo", NULL);
}

static void test_parse_any_reference(void **state)
{
        (void)state;
        const struct {
                const char *ref, *equivalent;
                bool digest_only;
        } cases[] = {
                {"redis", "docker.io/library/redis", false},
                {"redis:latest", "docker.io/library/redis:latest", false},
                {"docker.io/library/redis:latest", "docker.io/library/redis:latest", false},
                {"redis@" SHA_DB, "docker.io/library/redis@" SHA_DB, false},
                {"docker.io/library/redis@" SHA_DB, "docker.io/library/redis@" SHA_DB, false},
                {"dmcgowan/myapp", "docker.io/dmcgowan/myapp", false},
                {"dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest", false},
                {"docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest", false},
                {"dmcgowan/myapp@" SHA_DB, "docker.io/dmcgowan/myapp@" SHA_DB, false},
                {"docker.io/dmcgowan/myapp@" SHA_DB, "docker.io/dmcgowan/myapp@" SHA_DB, false},
                {SHA_DB + 7, SHA_DB, true},
                {SHA_DB, SHA_DB, true},
                {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
                 "docker.io/library/"
                 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
                 false},
                {"dbcc1", "docker.io/library/dbcc1", false},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r, e;
                must_parse(spec_ref_parse_any, cases[i].ref, &r);
                _cleanup_free_ char *s = spec_ref_format(&r);
                assert_string_equal(s, cases[i].equivalent);
                if (cases[i].digest_only) {
                        assert_string_equal(r.path, "");
                        assert_string_equal(r.digest, SHA_DB);
                } else {
                        /* the same reference as Parse(equivalent) */
                        must_parse(spec_ref_parse_raw, cases[i].equivalent, &e);
                        assert_string_equal(r.domain, e.domain);
                        assert_string_equal(r.path, e.path);
                        assert_str_or_null("tag", cases[i].ref, r.tag, e.tag);
                        assert_str_or_null("digest", cases[i].ref, r.digest, e.digest);
                        spec_ref_release(&e);
                }
                spec_ref_release(&r);
        }
}

static void test_normalized_split_hostname(void **state)
{
        (void)state;
        const struct {
                const char *input, *domain, *path;
        } cases[] = {
                {"test.com/foo", "test.com", "foo"},
                {"test_com/foo", "docker.io", "test_com/foo"},
                {"docker/migrator", "docker.io", "docker/migrator"},
                {"test.com:8080/foo", "test.com:8080", "foo"},
                {"test-com:8080/foo", "test-com:8080", "foo"},
                {"foo", "docker.io", "library/foo"},
                {"xn--n3h.com/foo", "xn--n3h.com", "foo"},
                {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"},
                {"docker.io/foo", "docker.io", "library/foo"},
                {"docker.io/library/foo", "docker.io", "library/foo"},
                {"docker.io/library/foo/bar", "docker.io", "library/foo/bar"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                must_parse(spec_ref_parse_name, cases[i].input, &r);
                assert_str_or_null("domain", cases[i].input, r.domain, cases[i].domain);
                assert_str_or_null("path", cases[i].input, r.path, cases[i].path);
                spec_ref_release(&r);
        }
}

static void test_match(void **state)
{
        (void)state;
        const struct {
                const char *reference, *pattern;
                int expected;
        } cases[] = {
                {"foo", "foo/**/ba[rz]", 0},
                {"foo/any/bat", "foo/**/ba[rz]", 0},
                {"foo/a/bar", "foo/**/ba[rz]", 1},
                {"foo/b/baz", "foo/**/ba[rz]", 1},
                {"foo/c/baz:tag", "foo/**/ba[rz]", 1},
                {"foo/c/baz:tag", "foo/*/baz:tag", 1},
                {"foo/c/baz:tag", "foo/c/baz:tag", 1},
                {"example.com/foo/c/baz:tag", "*/foo/c/baz", 1},
                {"example.com/foo/c/baz:tag", "example.com/foo/c/baz", 1},
                /* more that `box images --filter reference=` relies on */
                {"busybox:latest", "busy*", 1},
                {"busybox:latest", "busybox:l*", 1},
                {"busybox:latest", "busybox:1*", 0},
                {"localhost/x:1", "*", 0},
                {"localhost/x:1", "*/*", 1},
                {"docker.io/library/busybox", "busybox", 1},
                {"docker.io/library/busybox", "library/busybox", 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                struct box_err err = {0};
                must_parse(spec_ref_parse_any, cases[i].reference, &r);
                int m = spec_ref_familiar_match(cases[i].pattern, &r, &err);
                if (m != cases[i].expected)
                        fail_msg("'%s' ~ '%s': %d, want %d (%s)", cases[i].reference,
                                 cases[i].pattern, m, cases[i].expected, err.msg);
                spec_ref_release(&r);
        }

        /* TestMatchError */
        struct image_ref r;
        struct box_err err = {0};
        must_parse(spec_ref_parse_any, "foo", &r);
        assert_int_equal(spec_ref_familiar_match("[-x]", &r, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "'[-x]'"));
        spec_ref_release(&r);
}

static void test_parse_docker_ref(void **state)
{
        (void)state;
        const struct {
                const char *input, *expected;
        } cases[] = {
                {"busybox", "docker.io/library/busybox:latest"},
                {"busybox:latest", "docker.io/library/busybox:latest"},
                {"busybox@" SHA_E6, "docker.io/library/busybox@" SHA_E6},
                {"library/busybox", "docker.io/library/busybox:latest"},
                {"docker.io/busybox", "docker.io/library/busybox:latest"},
                {"docker.io/library/busybox", "docker.io/library/busybox:latest"},
                {"docker.io/busybox:latest", "docker.io/library/busybox:latest"},
                {"library/busybox:latest", "docker.io/library/busybox:latest"},
                {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
                {"gcr.io/library/busybox", "gcr.io/library/busybox:latest"},
                {"gcr.io/library/busybox:latest@" SHA_E6, "gcr.io/library/busybox@" SHA_E6},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r, again;
                must_parse(spec_ref_parse, cases[i].input, &r);
                _cleanup_free_ char *s = spec_ref_format(&r);
                assert_string_equal(s, cases[i].expected);
                must_parse(spec_ref_parse_raw, s, &again);
                spec_ref_release(&again);
                spec_ref_release(&r);
        }
}

/* ---- regexp_test.go ---- */

/* TestDomainRegexp: DOMAIN is a domain iff DOMAIN/x splits off as one. */
static void test_domain_grammar(void **state)
{
        (void)state;
        const struct {
                const char *input;
                bool match;
        } cases[] = {
                {"test.com", true},
                {"test.com:10304", true},
                {"test.com:http", false},
                {"localhost", true},
                {"localhost:8080", true},
                {"a", true},
                {"a.b", true},
                {"ab.cd.com", true},
                {"a-b.com", true},
                {"-ab.com", false},
                {"ab-.com", false},
                {"ab.c-om", true},
                {"ab.-com", false},
                {"ab.com-", false},
                {"0101.com", true},
                {"001a.com", true},
                {"b.gbc.io:443", true},
                {"b.gbc.io", true},
                {"xn--n3h.com", true},
                {"Asdf.com", true},
                {"192.168.1.1:75050", true},
                {"192.168.1.1:750050", true},
                {"[fd00:1:2::3]:75050", true},
                {"[fd00:1:2::3]75050", false},
                {"[fd00:1:2::3]::75050", false},
                {"[fd00:1:2::3%eth0]:75050", false},
                {"[fd00123123123]:75050", true},
                {"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true},
                {"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true},
                {"fd00:1:2::3:75050", false},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *in = xasprintf("%s/x", cases[i].input);
                struct image_ref r;
                bool is_domain = false;
                if (spec_ref_parse_raw(in, &r, NULL) >= 0) {
                        is_domain = streq(r.domain, cases[i].input);
                        spec_ref_release(&r);
                }
                if (is_domain != cases[i].match)
                        fail_msg("'%s': domain %d, want %d", cases[i].input, is_domain,
                                 cases[i].match);
        }
}

/* TestFullNameRegexp: a bare name (no tag, no digest) and how it splits. */
static void test_name_grammar(void **state)
{
        (void)state;
        const struct {
                const char *input;
                bool match;
                const char *domain, *path;
        } cases[] = {
                {"", false, NULL, NULL},
                {"short", true, "", "short"},
                {"simple/name", true, "simple", "name"},
                {"library/ubuntu", true, "library", "ubuntu"},
                {"docker/stevvooe/app", true, "docker", "stevvooe/app"},
                {"aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", true, "aa",
                 "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb"},
                {"aa/aa/bb/bb/bb", true, "aa", "aa/bb/bb/bb"},
                {"a/a/a/a", true, "a", "a/a/a"},
                {"a/a/a/a/", false, NULL, NULL},
                {"a//a/a", false, NULL, NULL},
                {"a", true, "", "a"},
                {"a/aa", true, "a", "aa"},
                {"a/aa/a", true, "a", "aa/a"},
                {"foo.com", true, "", "foo.com"},
                {"foo.com/", false, NULL, NULL},
                {"foo.com:8080/bar", true, "foo.com:8080", "bar"},
                {"foo.com:http/bar", false, NULL, NULL},
                {"foo.com/bar", true, "foo.com", "bar"},
                {"foo.com/bar/baz", true, "foo.com", "bar/baz"},
                {"localhost:8080/bar", true, "localhost:8080", "bar"},
                {"sub-dom1.foo.com/bar/baz/quux", true, "sub-dom1.foo.com", "bar/baz/quux"},
                {"blog.foo.com/bar/baz", true, "blog.foo.com", "bar/baz"},
                {"a^a", false, NULL, NULL},
                {"aa/asdf$$^/aa", false, NULL, NULL},
                {"asdf$$^/aa", false, NULL, NULL},
                {"aa-a/a", true, "aa-a", "a"},
                {"a-/a/a/a", false, NULL, NULL},
                {"foo.com/a-/a/a", false, NULL, NULL},
                {"-foo/bar", false, NULL, NULL},
                {"foo/bar-", false, NULL, NULL},
                {"foo-/bar", false, NULL, NULL},
                {"foo/-bar", false, NULL, NULL},
                {"_foo/bar", false, NULL, NULL},
                {"foo_bar", true, "", "foo_bar"},
                {"foo_bar.com", true, "", "foo_bar.com"},
                {"foo_bar.com:8080", false, NULL, NULL},
                {"foo_bar.com:8080/app", false, NULL, NULL},
                {"foo.com/foo_bar", true, "foo.com", "foo_bar"},
                {"____/____", false, NULL, NULL},
                {"_docker/_docker", false, NULL, NULL},
                {"docker_/docker_", false, NULL, NULL},
                {"b.gcr.io/test.example.com/my-app", true, "b.gcr.io", "test.example.com/my-app"},
                {"xn--n3h.com/myimage", true, "xn--n3h.com", "myimage"},
                {"xn--7o8h.com/myimage", true, "xn--7o8h.com", "myimage"},
                {"example.com/xn--7o8h.com/myimage", true, "example.com", "xn--7o8h.com/myimage"},
                {"example.com/some_separator__underscore/myimage", true, "example.com",
                 "some_separator__underscore/myimage"},
                {"example.com/__underscore/myimage", false, NULL, NULL},
                {"example.com/..dots/myimage", false, NULL, NULL},
                {"example.com/.dots/myimage", false, NULL, NULL},
                {"example.com/nodouble..dots/myimage", false, NULL, NULL},
                {"docker./docker", false, NULL, NULL},
                {".docker/docker", false, NULL, NULL},
                {"docker-/docker", false, NULL, NULL},
                {"-docker/docker", false, NULL, NULL},
                {"do..cker/docker", false, NULL, NULL},
                {"do__cker:8080/docker", false, NULL, NULL},
                {"do__cker/docker", true, "", "do__cker/docker"},
                {"registry.io/foo/project--id.module--name.ver---sion--name", true, "registry.io",
                 "foo/project--id.module--name.ver---sion--name"},
                {"Asdf.com/foo/bar", true, "Asdf.com", "foo/bar"},
                {"Foo/FarB", false, NULL, NULL},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct image_ref r;
                bool bare = false;
                if (spec_ref_parse_raw(cases[i].input, &r, NULL) >= 0) {
                        bare = !r.tag && !r.digest;
                        if (bare && cases[i].match) {
                                assert_str_or_null("domain", cases[i].input, r.domain,
                                                   cases[i].domain);
                                assert_str_or_null("path", cases[i].input, r.path, cases[i].path);
                        }
                        spec_ref_release(&r);
                }
                if (bare != cases[i].match)
                        fail_msg("'%s': name %d, want %d", cases[i].input, bare, cases[i].match);
        }
        _cleanup_free_ char *long_in = repeat("a/", 128, "a");
        _cleanup_free_ char *long_path = repeat("a/", 127, "a");
        struct image_ref r;
        must_parse(spec_ref_parse_raw, long_in, &r);
        assert_string_equal(r.domain, "a");
        assert_string_equal(r.path, long_path);
        spec_ref_release(&r);
}

/* TestReferenceRegexp */
static void test_reference_grammar(void **state)
{
        (void)state;
        const struct parse_case cases[] = {
                {"registry.com:8080/myapp:tag", NULL, "registry.com:8080/myapp",
                 "registry.com:8080", "tag", NULL},
                {"registry.com:8080/myapp@" SHA_BE, NULL, "registry.com:8080/myapp",
                 "registry.com:8080", NULL, SHA_BE},
                {"registry.com:8080/myapp:tag2@" SHA_BE, NULL, "registry.com:8080/myapp",
                 "registry.com:8080", "tag2", SHA_BE},
                BAD("registry.com:8080/myapp@sha256:badbadbadbad", "invalid reference format"),
                BAD("registry.com:8080/myapp:invalid~tag", "invalid reference format"),
                BAD("bad_hostname.com:8080/myapp:tag", "invalid reference format"),
                {"localhost:8080@" SHA_BE, NULL, "localhost", "", "8080", SHA_BE},
                {"localhost:8080/name@" SHA_BE, NULL, "localhost:8080/name", "localhost:8080", NULL,
                 SHA_BE},
                BAD("localhost:http/name@" SHA_BE, "invalid reference format"),
                {"localhost@" SHA_BE, NULL, "localhost", "", NULL, SHA_BE},
                BAD("registry.com:8080/myapp@bad", "invalid reference format"),
                BAD("registry.com:8080/myapp@2bad", "invalid reference format"),
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                check_raw(&cases[i]);
}

/* TestIdentifierRegexp */
static void test_identifier(void **state)
{
        (void)state;
        assert_true(
                spec_is_hex64("da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821"));
        assert_false(
                spec_is_hex64("7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C"));
        assert_false(spec_is_hex64("da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf"));
        assert_false(spec_is_hex64(
                "sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821"));
        assert_false(spec_is_hex64(
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482"));
}

/* ---- OCI digests (image-spec descriptor.md) ---- */

static void test_digest_validate(void **state)
{
        (void)state;
        const struct {
                const char *digest, *err; /* err: NULL when valid */
        } cases[] = {
                {SHA_BE, NULL},
                {"sha256:" FFFF, NULL},
                {"", "want 'algorithm:encoded'"},
                {"sha256", "want 'algorithm:encoded'"},
                {"sha256:", "want 'algorithm:encoded'"},
                {":" FFFF, "want 'algorithm:encoded'"},
                {"SHA256:" FFFF, "bad algorithm 'SHA256'"},
                {"sha-:abc", "bad algorithm"},
                {"-sha:abc", "bad algorithm"},
                {"sha++256:abc", "bad algorithm"},
                {"sha256:" FFFF "!", "bad character"},
                {"sha256:ab cd", "bad character"},
                {"sha512:" FFFF FFFF, "unsupported digest algorithm 'sha512'"},
                {"sha384:abc", "unsupported digest algorithm 'sha384'"},
                {"blake3:" FFFF, "unsupported digest algorithm 'blake3'"},
                {"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
                 "unsupported digest algorithm 'multihash+base58'"},
                {"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
                 "unsupported digest algorithm 'sha256+b64u'"},
                {"sha256:abc", "64 hex digits, not 3"},
                {"sha256:" FFFF "ff", "64 hex digits, not 66"},
                {"sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                 "lowercase hex"},
                {"sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
                 "lowercase hex"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct box_err err = {0};
                int r = spec_digest_validate(cases[i].digest, &err);
                if (!cases[i].err) {
                        if (r < 0)
                                fail_msg("'%s' refused: %s", cases[i].digest, err.msg);
                        continue;
                }
                if (r >= 0)
                        fail_msg("'%s' accepted", cases[i].digest);
                assert_int_equal(r, -EINVAL);
                if (!strstr(err.msg, cases[i].err))
                        fail_msg("'%s': '%s' lacks '%s'", cases[i].digest, err.msg, cases[i].err);
        }
        assert_int_equal(spec_digest_validate("nope", NULL), -EINVAL);
}

/* ---- box's own: normalised forms and familiar strings ---- */

static void check(const char *in, const char *full, const char *familiar)
{
        struct image_ref r;
        must_parse(spec_ref_parse, in, &r);
        _cleanup_free_ char *f = spec_ref_format(&r), *fam = spec_ref_familiar(&r);
        assert_string_equal(f, full);
        assert_string_equal(fam, familiar);
        spec_ref_release(&r);
}

static void test_normalise(void **state)
{
        (void)state;
        check("mysql", "docker.io/library/mysql:latest", "mysql:latest");
        check("mysql:8", "docker.io/library/mysql:8", "mysql:8");
        check("user/app", "docker.io/user/app:latest", "user/app:latest");
        check("docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1");
        check("index.docker.io/x", "docker.io/library/x:latest", "x:latest");
        check("index.docker.io/library/x:1", "docker.io/library/x:1", "x:1");
        check("localhost/x", "localhost/x:latest", "localhost/x:latest");
        check("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t");
        check("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest");
        check("quay.io/a/b-c_d.e__f:v1.2-3", "quay.io/a/b-c_d.e__f:v1.2-3",
              "quay.io/a/b-c_d.e__f:v1.2-3");
        check("Foo/bar", "Foo/bar:latest", "Foo/bar:latest");
        check("a--b", "docker.io/library/a--b:latest", "a--b:latest");
        check("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest");
        check("localhost", "docker.io/library/localhost:latest", "localhost:latest");
        check("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000");
        check("docker.io/library/foo/bar", "docker.io/library/foo/bar:latest",
              "library/foo/bar:latest");
        /* a familiar form must name the same image: Docker Hub paths whose
         * first component would read as a registry keep "docker.io/"
         * (found by fuzz-ref, tests/fuzz/regress-ref/familiar-domain-path) */
        check("index.docker.io/bx.docker.io/boxuser/app",
              "docker.io/bx.docker.io/boxuser/app:latest",
              "docker.io/bx.docker.io/boxuser/app:latest");
        check("docker.io/localhost/x", "docker.io/localhost/x:latest",
              "docker.io/localhost/x:latest");
        check("docker.io/foo_bar.com/x:1", "docker.io/foo_bar.com/x:1",
              "docker.io/foo_bar.com/x:1");
        check("docker.io/localhostx/y", "docker.io/localhostx/y:latest", "localhostx/y:latest");
        /* a first component with a '.' that is no host stays in the path,
         * with no domain (as distribution does) */
        check("foo_bar.com/x", "foo_bar.com/x:latest", "foo_bar.com/x:latest");
        /* the 255 limit counts the path: "library/" is in it */
        _cleanup_free_ char *a247 = repeat("a", 247, ""), *a248 = repeat("a", 248, "");
        _cleanup_free_ char *ok_full = xasprintf("docker.io/library/%s:latest", a247);
        _cleanup_free_ char *ok_fam = xasprintf("%s:latest", a247);
        check(a247, ok_full, ok_fam);
        must_fail(spec_ref_parse, a248, "255");
        _cleanup_free_ char *a255 = repeat("a", 255, "");
        _cleanup_free_ char *host_in = xasprintf("registry.example.com:5000/%s", a255);
        _cleanup_free_ char *host_full = xasprintf("%s:latest", host_in);
        check(host_in, host_full, host_full);
}

static void test_digest(void **state)
{
        (void)state;
        const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char in[200], want[200];
        snprintf(in, sizeof in, "busybox@%s", d);
        snprintf(want, sizeof want, "docker.io/library/busybox@%s", d);
        check(in, want, in);
        /* ParseDockerRef drops a tag given with a digest ... */
        snprintf(in, sizeof in, "busybox:1@%s", d);
        check(in, want, want + strlen("docker.io/library/"));
        /* ... ParseNormalizedNamed keeps it */
        struct image_ref r;
        must_parse(spec_ref_parse_name, in, &r);
        _cleanup_free_ char *f = spec_ref_format(&r);
        snprintf(want, sizeof want, "docker.io/library/busybox:1@%s", d);
        assert_string_equal(f, want);
        spec_ref_release(&r);
        must_parse(spec_ref_parse_name, "busybox", &r);
        assert_null(r.tag);
        spec_ref_release(&r);
}

static void test_invalid(void **state)
{
        (void)state;
        must_fail(spec_ref_parse, "", "invalid reference format");
        must_fail(spec_ref_parse, "UPPER", "repository name 'library/UPPER' must be lowercase");
        must_fail(spec_ref_parse, "a/UPPER", "must be lowercase");
        must_fail(spec_ref_parse, "a:", NULL);
        must_fail(spec_ref_parse, ":tag", NULL);
        must_fail(spec_ref_parse, "a:-tag", NULL);
        must_fail(spec_ref_parse, "-a", NULL);
        must_fail(spec_ref_parse, "a_", NULL);
        must_fail(spec_ref_parse, "a..b", NULL);
        must_fail(spec_ref_parse, "a___b", NULL);
        must_fail(spec_ref_parse, "a//b", NULL);
        must_fail(spec_ref_parse, "a/", NULL);
        must_fail(spec_ref_parse, "a@sha256:123", NULL);
        must_fail(spec_ref_parse, "a@md5:0123", NULL);
        must_fail(spec_ref_parse, "a@sha512:" FFFF FFFF, "unsupported digest algorithm");
        must_fail(spec_ref_parse, "a@sha256:" FFFF "ff", "64 hex digits");
        must_fail(spec_ref_parse, "a@" SHA_F "@" SHA_F, NULL);
        must_fail(spec_ref_parse,
                  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  "64-byte hexadecimal");
        must_fail(spec_ref_parse, "host:/x", NULL);
        must_fail(spec_ref_parse, "-host.com/x", NULL);
        must_fail(spec_ref_parse, "[::1]/x:tag:tag", NULL);
        must_fail(spec_ref_parse, "x y", NULL);
        must_fail(spec_ref_parse, "x\n", NULL);
        char long_name[300];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        must_fail(spec_ref_parse, long_name, "255");
        char long_tag[140] = "a:";
        memset(long_tag + 2, 't', 129);
        long_tag[131] = '\0';
        must_fail(spec_ref_parse, long_tag, NULL);
        long_tag[130] = '\0'; /* 128 characters: the most a tag may have */
        struct image_ref r;
        must_parse(spec_ref_parse, long_tag, &r);
        assert_int_equal(strlen(r.tag), 128);
        spec_ref_release(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reference_parse),
                cmocka_unit_test(test_with_name_failure),
                cmocka_unit_test(test_domain_and_path),
                cmocka_unit_test(test_with_tag_and_digest),
                cmocka_unit_test(test_parse_named),
                cmocka_unit_test(test_validate_reference_name),
                cmocka_unit_test(test_validate_remote_name),
                cmocka_unit_test(test_parse_repository_info),
                cmocka_unit_test(test_parse_reference_with_tag_and_digest),
                cmocka_unit_test(test_invalid_reference_components),
                cmocka_unit_test(test_parse_any_reference),
                cmocka_unit_test(test_normalized_split_hostname),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_parse_docker_ref),
                cmocka_unit_test(test_domain_grammar),
                cmocka_unit_test(test_name_grammar),
                cmocka_unit_test(test_reference_grammar),
                cmocka_unit_test(test_identifier),
                cmocka_unit_test(test_digest_validate),
                cmocka_unit_test(test_normalise),
                cmocka_unit_test(test_digest),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

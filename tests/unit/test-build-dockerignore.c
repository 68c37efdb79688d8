#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build/dockerignore.h"
#include "lib/go-path.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* PATTERNS is a NULL-terminated list; checks whether PATH is excluded. */
static void expect_v(bool want, const char *path, char **patterns)
{
        struct dockerignore *m = NULL;
        struct box_err err = {0};
        bool got;
        if (build_dockerignore_new(patterns, &m, &err) < 0)
                fail_msg("patterns rejected: %s", err.msg);
        if (build_dockerignore_matches(m, path, &got, &err) < 0)
                fail_msg("'%s': %s", path, err.msg);
        if (got != want)
                fail_msg("'%s' against '%s'...: got %d, want %d", path, patterns[0], got, want);
        build_dockerignore_free(m);
}

#define EXPECT(want, path, ...) expect_v(want, path, (char *[]){__VA_ARGS__, NULL})

static void test_single_patterns(void **state)
{
        (void)state;
        EXPECT(true, "main.c", "*");
        EXPECT(true, "main.c", "*.c");
        EXPECT(false, "src/main.c", "*.c");
        EXPECT(true, "x", "**");
        EXPECT(true, "a/b/c", "**");
        EXPECT(true, "a/b", "**/");
        EXPECT(true, "a/b", "**/**");
        EXPECT(true, "lib/x.o", "lib/**");
        EXPECT(true, "lib/sub/x.o", "lib/**");
        EXPECT(false, "lib", "lib/**");
        EXPECT(true, "cache", "**/cache");
        EXPECT(true, "a/b/cache", "**/cache");
        EXPECT(true, "a/b/cache/file", "**/cache");
        EXPECT(true, "a/sub/f", "**/sub/*");
        EXPECT(true, "a/sub/x/f", "**/sub/**");
        EXPECT(true, "notes", "**notes");
        EXPECT(true, "d/notes", "**notes");
        EXPECT(true, "d/e/notes.md", "**/notes*");
        EXPECT(true, "d/e/notes.md", "**/notes*.md");
        EXPECT(false, "d/e/notes.md", "**/**/*.md5");
        EXPECT(true, "notes.md", "**/*.md");
        EXPECT(true, "p/q.txt", "p**/*.txt");
        EXPECT(true, "p/r/s/q.txt", "p**/*.txt");
        EXPECT(false, "p/r/q.txt", "p/*.txt");
        EXPECT(true, "p/q.txt", "p/*.txt**");
        EXPECT(false, "xz", "x[a-c]z");
        EXPECT(true, "xbz", "x[a-c]z");
        EXPECT(false, "xdz", "x[a-c]z");
        EXPECT(true, "xdz", "x[^a-c]z");
        EXPECT(true, ".env", ".*");
        EXPECT(false, "env", ".*");
        EXPECT(false, "readmeXmd", "readme.md");
        EXPECT(true, "readme.md", "readme.md");
        EXPECT(true, "abcXdef", "abc?def");
        EXPECT(false, "abcdef", "abc?def");
        EXPECT(true, "x\\", "x\\\\");
        EXPECT(true, "x*y", "x\\*y");
        EXPECT(true, "dir/sub/leaf", "**/sub/leaf");
        EXPECT(true, "sub/leaf", "**/sub/leaf");
        EXPECT(true, ".git", "**/.git");
        EXPECT(false, "x.git", "**/.git");
        EXPECT(true, "f(1)g/h", "f(1)g/h");
        EXPECT(false, "f(1)g/i", "f(1)g/h");
        EXPECT(true, "q.|)$(}+{r", "q.|)$(}+{r");
        EXPECT(true, "dist/app-1.0+local-py3.whl", "dist/*.whl");
}

/* patternmatcher leaves '|', '{' and '}' unescaped: Go's regexp reads them */
static void test_regexp_quirks(void **state)
{
        (void)state;
        /* only patterns with wildcards become expressions */
        EXPECT(true, "x|", "x|");
        EXPECT(false, "anything", "x|");
        EXPECT(true, "anything/at/all", "x*|");
        EXPECT(true, "zz", "x?|zz");
        EXPECT(true, "abb", "a?{2}");
        EXPECT(false, "ab", "a?{2}");
        EXPECT(true, "{x}", "{x}");
        EXPECT(true, "f1", "f[[:digit:]]");
        EXPECT(false, "fx", "f[[:digit:]]");
}

static void test_exceptions(void **state)
{
        (void)state;
        EXPECT(true, "main.go", "!main.go", "*.go");
        EXPECT(false, "main.go", "*.go", "!main.go");
        EXPECT(false, "docs/README.md", "docs", "!docs/README.md");
        EXPECT(false, "docs/README.md", "docs/", "!docs/README.md");
        EXPECT(false, "docs/README.md", "docs/*", "!docs/README.md");
        EXPECT(true, "docs/other.md", "docs", "!docs/README.md");
        EXPECT(false, "web/static/x", "**", "!web/static");
        EXPECT(true, "web/static/x", "**", "!web/static", "web/static/x");
        EXPECT(false, "dist/a-1.whl", "**", "!dist/*.whl");
        /* leading slash and ./ are cleaned away */
        EXPECT(true, "build/out", "./build");
        EXPECT(true, "tmp/x", "tmp/../tmp");
}

/* Whether a walk may skip an excluded directory whole: only when no
 * exception could take back something below it. */
static void reinclude(bool want, const char *dir, char **patterns)
{
        struct dockerignore *m = NULL;
        struct box_err err = {0};
        if (build_dockerignore_new(patterns, &m, &err) < 0)
                fail_msg("patterns rejected: %s", err.msg);
        if (build_dockerignore_may_reinclude(m, dir) != want)
                fail_msg("'%s' against '%s'...: want %d", dir, patterns[0], want);
        build_dockerignore_free(m);
}

#define REINCLUDE(want, dir, ...) reinclude(want, dir, (char *[]){__VA_ARGS__, NULL})

static void test_may_reinclude(void **state)
{
        (void)state;
        REINCLUDE(false, "node_modules", "node_modules");
        REINCLUDE(false, "node_modules", "node_modules", "!src/keep.log");
        REINCLUDE(false, "node_modules", "node_modules", "!node_modules_extra/x");
        REINCLUDE(true, "node_modules", "node_modules", "!node_modules/.bin/tool");
        REINCLUDE(true, "a/b", "a", "!a/b/c");
        REINCLUDE(true, "a", "a", "!**/keep");
        REINCLUDE(true, "a", "a", "!a/*.md");
        REINCLUDE(false, "a", "a", "!b/c");
        assert_false(build_dockerignore_may_reinclude(NULL, "x"));
}

static void test_errors(void **state)
{
        (void)state;
        struct dockerignore *m = NULL;
        struct box_err err = {0};
        assert_true(build_dockerignore_new((char *[]){"!", NULL}, &m, &err) < 0);
        assert_true(build_dockerignore_new((char *[]){"[", NULL}, &m, &err) < 0);
        assert_true(build_dockerignore_new((char *[]){"a[", NULL}, &m, &err) < 0);
        assert_true(build_dockerignore_new((char *[]){"[]", NULL}, &m, &err) < 0);
        assert_true(build_dockerignore_new((char *[]){"x\\", NULL}, &m, &err) < 0);
        assert_int_equal(build_dockerignore_new((char *[]){"", "  ", NULL}, &m, &err), 0);
        bool got = true;
        assert_int_equal(build_dockerignore_matches(m, "any/path", &got, &err), 0);
        assert_false(got);
        build_dockerignore_free(m);
}

static void test_read(void **state)
{
        (void)state;
        const char file[] = "\xEF\xBB\xBF# comment\n"
                            "node_modules\n"
                            "   \n"
                            "/abs/path/\n"
                            "  ./rel//x/  \r\n"
                            "! keep.txt\n"
                            "!/also\n"
                            " # not a comment\n";
        char **p = NULL;
        struct box_err err = {0};
        assert_int_equal(build_dockerignore_read(file, sizeof(file) - 1, &p, &err), 0);
        assert_int_equal(strv_length(p), 6);
        assert_string_equal(p[0], "node_modules");
        assert_string_equal(p[1], "abs/path");
        assert_string_equal(p[2], "rel/x");
        assert_string_equal(p[3], "!keep.txt");
        assert_string_equal(p[4], "!also");
        assert_string_equal(p[5], "# not a comment");
        strv_free(p);
}

static void test_clean(void **state)
{
        (void)state;
        static const char *cases[][2] = {
                {"", "."},       {".", "."},       {"a/b/", "a/b"}, {"a//b", "a/b"},
                {"./a", "a"},    {"a/./b", "a/b"}, {"a/../b", "b"}, {"../a", "../a"},
                {"/../a", "/a"}, {"a/..", "."},    {"/", "/"},      {"a/b/../../..", ".."},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *c = go_path_clean(cases[i][0]);
                assert_string_equal(c, cases[i][1]);
                free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_single_patterns), cmocka_unit_test(test_regexp_quirks),
                cmocka_unit_test(test_exceptions),      cmocka_unit_test(test_may_reinclude),
                cmocka_unit_test(test_errors),          cmocka_unit_test(test_read),
                cmocka_unit_test(test_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lib/go-match: Go's path.Match.  The first table is Go's own
 * (src/path/match_test.go), written down from knowledge of Go's sources (no
 * network here); the second holds the cases where glibc's fnmatch, which
 * COPY wildcards used before, answers differently, and edge cases of
 * malformed patterns and bytes that are not UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "lib/go-match.h"
#include "lib/macro.h"

struct match_case {
        const char *pattern, *s;
        int want; /* 1, 0 or -EINVAL */
};

static void run_cases(const struct match_case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int m = go_path_match(cases[i].pattern, cases[i].s, NULL);
                if (m != cases[i].want)
                        fail_msg("'%s' ~ '%s': %d, want %d", cases[i].s, cases[i].pattern, m,
                                 cases[i].want);
        }
}

/* Go's test table for Match (TestMatch), which holds the examples of its
 * documentation too ("abc", "a*" and "a*" "/b" against "abc" and "a/c/b"). */
static void test_go_table(void **state)
{
        (void)state;
        static const struct match_case cases[] = {
                {"abc", "abc", 1},
                {"*", "abc", 1},
                {"*c", "abc", 1},
                {"a*", "a", 1},
                {"a*", "abc", 1},
                {"a*", "ab/c", 0},
                {"a*/b", "abc/b", 1},
                {"a*/b", "a/c/b", 0},
                {"a*b*c*d*e*/f", "axbxcxdxe/f", 1},
                {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1},
                {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0},
                {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0},
                {"a*b?c*x", "abxbbxdbxebxczzx", 1},
                {"a*b?c*x", "abxbbxdbxebxczzy", 0},
                {"ab[c]", "abc", 1},
                {"ab[b-d]", "abc", 1},
                {"ab[e-g]", "abc", 0},
                {"ab[^c]", "abc", 0},
                {"ab[^b-d]", "abc", 0},
                {"ab[^e-g]", "abc", 1},
                {"a\\*b", "a*b", 1},
                {"a\\*b", "ab", 0},
                {"a?b", "a☺b", 1},
                {"a[^a]b", "a☺b", 1},
                {"a???b", "a☺b", 0},
                {"a[^a][^a][^a]b", "a☺b", 0},
                {"[a-ζ]*", "α", 1},
                {"*[a-ζ]", "A", 0},
                {"a?b", "a/b", 0},
                {"a*b", "a/b", 0},
                {"[\\]a]", "]", 1},
                {"[\\-]", "-", 1},
                {"[x\\-]", "x", 1},
                {"[x\\-]", "-", 1},
                {"[x\\-]", "z", 0},
                {"[\\-x]", "x", 1},
                {"[\\-x]", "-", 1},
                {"[\\-x]", "a", 0},
                {"[]a]", "]", -EINVAL},
                {"[-]", "-", -EINVAL},
                {"[x-]", "x", -EINVAL},
                {"[x-]", "-", -EINVAL},
                {"[x-]", "z", -EINVAL},
                {"[-x]", "x", -EINVAL},
                {"[-x]", "-", -EINVAL},
                {"[-x]", "a", -EINVAL},
                {"\\", "a", -EINVAL},
                {"[a-b-c]", "a", -EINVAL},
                {"[", "a", -EINVAL},
                {"[^", "a", -EINVAL},
                {"[^bc", "a", -EINVAL},
                {"a[", "a", -EINVAL},
                {"a[", "ab", -EINVAL},
                {"a[", "x", -EINVAL},
                {"a/b[", "x", -EINVAL},
                {"*x", "xxx", 1},
        };
        run_cases(cases, ARRAY_SIZE(cases));
}

static void test_not_fnmatch(void **state)
{
        (void)state;
        static const struct match_case cases[] = {
                /* '!' is an ordinary character in a class; '^' negates */
                {"[!a]", "!", 1},
                {"[!a]", "a", 1},
                {"[!a]", "b", 0},
                {"[^a]", "b", 1},
                {"[^a]", "a", 0},
                /* no special leading dot, no FNM_PATHNAME-only rules */
                {"*", ".hidden", 1},
                {"?hidden", ".hidden", 1},
                {"[.]x", ".x", 1},
                /* '*' and '?' never match '/', a class may */
                {"*", "a/b", 0},
                {"*/b", "a/b", 1},
                {"a?b", "a/b", 0},
                {"a[/]b", "a/b", 1},
                /* fnmatch takes an unclosed '[' literally: Go refuses it */
                {"[", "[", -EINVAL},
                {"a[b", "a[b", -EINVAL},
                {"[]", "]", -EINVAL},
                {"[a-", "a", -EINVAL},
                {"[\\", "\\", -EINVAL},
                {"a\\", "a\\", -EINVAL},
                {"[z-a]", "m", 0}, /* an empty range is not an error in Go */
                /* errors after the part that decides a mismatch */
                {"abc[", "abd", -EINVAL},
                {"x*[", "yyy", -EINVAL},
                {"a*b[", "acd", -EINVAL},
                {"*[", "", -EINVAL},
                /* escapes */
                {"\\*", "*", 1},
                {"\\*", "x", 0},
                {"\\?", "?", 1},
                {"\\a", "a", 1},
                {"[\\^a]", "^", 1},
                {"[\\]]", "]", 1},
                /* empty pattern and name */
                {"", "", 1},
                {"", "a", 0},
                {"*", "", 1},
                {"?", "", 0},
                /* runes, and bytes that are not UTF-8 */
                {"[α-ω]", "β", 1},
                {"[α-ω]", "a", 0},
                {"a?", "a\xc3\xa9", 1},
                {"a??", "a\xc3\xa9", 0},
                {"?", "\xff", 1},
                {"[^a]", "\xff", 1},
                {"[\xff]", "\xff", -EINVAL},
                {"\xff", "\xff", 1},
                /* stars and backtracking */
                {"**", "abc", 1},
                {"*a*", "bab", 1},
                {"*.txt", "a.txt.bak", 0},
                {"*.*", "a.b.c", 1},
                {"a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
        };
        run_cases(cases, ARRAY_SIZE(cases));
}

static void test_error_names_pattern(void **state)
{
        (void)state;
        struct box_err err = {0};
        assert_int_equal(go_path_match("src/[a-", "src/a", &err), -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_string_equal(err.msg, "syntax error in pattern 'src/[a-'");
        /* no error leaves ERR alone */
        struct box_err clean = {0};
        assert_int_equal(go_path_match("src/*", "src/a", &clean), 1);
        assert_int_equal(clean.code, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_go_table),
                cmocka_unit_test(test_not_fnmatch),
                cmocka_unit_test(test_error_names_pattern),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

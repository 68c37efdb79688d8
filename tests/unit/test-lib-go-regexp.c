/* lib/go-regexp: the subset of Go's regexp that moby/patternmatcher
 * produces.  Expected answers follow Go's regexp/syntax documentation and
 * RE2's rules (written from knowledge, no network here): MatchString finds
 * a match anywhere; "{" that does not start a valid repeat is a literal;
 * a repeat of a repeat, a missing argument, an unbalanced parenthesis or
 * bracket, a reversed range and counts over 1000 are errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "lib/go-regexp.h"

static void test_match(void **state)
{
        (void)state;
        static const struct {
                const char *re, *s;
                bool want;
        } cases[] = {
                /* what patternmatcher writes for "a*", "**" "/b", "a?c" */
                {"^a[^/]*$", "abc", true},
                {"^a[^/]*$", "a/b", false},
                {"^(.*/)?b$", "a/c/b", true},
                {"^(.*/)?b$", "b", true},
                {"^(.*/)?b$", "ab", false},
                {"^a[^/]c$", "abc", true},
                {"^a[^/]c$", "a/c", false},
                {"^a\\.b$", "a.b", true},
                {"^a\\.b$", "axb", false},
                /* search anywhere, anchors */
                {"b", "abc", true},
                {"^b", "abc", false},
                {"c$", "abc", true},
                {"\\Aab\\z", "ab", true},
                {"\\Aab\\z", "abc", false},
                /* alternation and repetition ("|", "{", "}" reach Go unescaped) */
                {"^(a|b)$", "b", true},
                {"^a|b$", "xb", true},
                {"^x{2}$", "xx", true},
                {"^x{2}$", "xxx", false},
                {"^x{2,}$", "xxxx", true},
                {"^x{1,2}$", "xxx", false},
                {"^x{,2}$", "x{,2}", true}, /* not a repeat: literal */
                {"^a{$", "a{", true},
                {"^a+?$", "aaa", true},
                {"^(ab)*$", "ababab", true},
                {"^(ab)*$", "aba", false},
                /* classes */
                {"^[]a]$", "]", true},
                {"^[^a-c]$", "d", true},
                {"^[^a-c]$", "b", false},
                {"^[[:alpha:]]+$", "abcXYZ", true},
                {"^[[:alpha:]]+$", "ab1", false},
                {"^[[:^digit:]]$", "x", true},
                {"^\\d+$", "0123", true},
                {"^\\D$", "5", false},
                {"^\\w+$", "a_1", true},
                {"^[\\s]$", "\t", true},
                {"\\bfoo\\b", "a foo b", true},
                {"\\bfoo\\b", "afoob", false},
                {"\\Bfoo", "afoo", true},
                /* escapes */
                {"^\\Q.*\\E$", ".*", true},
                {"^\\Q.*\\E$", "ab", false},
                {"^\\x41$", "A", true},
                {"^\\x{263a}$", "☺", true},
                {"^\\101$", "A", true},
                {"^\\t$", "\t", true},
                /* runes, and "." */
                {"^.$", "é", true},
                {"^..$", "é", false},
                {"^.$", "\n", false},
                {"^[α-ω]$", "β", true},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct go_regexp *re = NULL;
                if (go_regexp_compile(cases[i].re, &re, NULL) < 0)
                        fail_msg("'%s' did not compile", cases[i].re);
                bool m = go_regexp_match(re, cases[i].s);
                go_regexp_free(re);
                if (m != cases[i].want)
                        fail_msg("'%s' ~ '%s': %d, want %d", cases[i].s, cases[i].re, m,
                                 cases[i].want);
        }
}

static void test_malformed(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "a**",         "*a",     "(a",    "a)",    "[a",        "[z-a]", "x{1001}",
                "x{2,1}",      "{2}",    "\\",    "\\q",   "\\1",       "\\x4",  "\\x{}",
                "\\x{110000}", "\\p{L}", "(?i)a", "(?:a)", "[[:foo:]]",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct go_regexp *re = NULL;
                struct box_err err = {0};
                int r = go_regexp_compile(bad[i], &re, &err);
                if (r != -EINVAL) {
                        go_regexp_free(re);
                        fail_msg("'%s' compiled", bad[i]);
                }
                assert_non_null(strstr(err.msg, bad[i]));
        }
}

/* Sets of positions, not backtracking: a classic exponential case returns. */
static void test_no_blowup(void **state)
{
        (void)state;
        _cleanup_go_regexp_ struct go_regexp *re = NULL;
        assert_int_equal(go_regexp_compile("^(a*)*(a*)*(a*)*b$", &re, NULL), 0);
        char s[4001];
        memset(s, 'a', sizeof(s) - 1);
        s[sizeof(s) - 1] = '\0';
        assert_false(go_regexp_match(re, s));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_no_blowup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lib/go-quote: Go's strconv.Quote.  Each expectation follows from Go's
 * documented rules (strconv.Quote: "returns a double-quoted Go string
 * literal representing s.  The returned string uses Go escape sequences
 * (\t, \n, \xFF, \u0100) for control characters and non-printable
 * characters as defined by IsPrint"; unicode.IsPrint: letters, marks,
 * numbers, punctuation, symbols and the ASCII space), written from
 * knowledge of Go's sources, not by running Go (there is none here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/go-quote.h"
#include "lib/macro.h"

static void test_quote(void **state)
{
        (void)state;
        static const struct {
                const char *in, *want;
        } cases[] = {
                {"", "\"\""},
                {"abc", "\"abc\""},
                {"a b", "\"a b\""},
                {"say \"hi\"", "\"say \\\"hi\\\"\""},
                {"C:\\dir", "\"C:\\\\dir\""},
                {"'", "\"'\""},
                /* named escapes */
                {"\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
                /* other controls and DEL as \x */
                {"\x01\x1b\x1f\x7f", "\"\\x01\\x1b\\x1f\\x7f\""},
                /* printable runes stay as they are: letters, marks, symbols */
                {"héllo", "\"héllo\""},
                {"日本語", "\"日本語\""},
                {"☺😀", "\"☺😀\""},
                {"e\xcc\x81", "\"e\xcc\x81\""},       /* U+0301 combining acute (Mn) */
                {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""}, /* a real U+FFFD (So) */
                {"\xc2\xa9\xc2\xbf", "\"©¿\""},
                /* non-printable runes: C1 controls, spaces other than ' ',
                 * format characters, separators, private use, noncharacters */
                {"\xc2\x85", "\"\\u0085\""},
                {"\xc2\xa0", "\"\\u00a0\""},
                {"\xc2\xad", "\"\\u00ad\""},
                {"\xe2\x80\x8b", "\"\\u200b\""},
                {"\xe2\x80\xa8", "\"\\u2028\""},
                {"\xe3\x80\x80", "\"\\u3000\""},
                {"\xef\xbb\xbf", "\"\\ufeff\""},
                {"\xee\x80\x80", "\"\\ue000\""},
                {"\xef\xbf\xbf", "\"\\uffff\""},
                {"\xf3\xa0\x80\x81", "\"\\U000e0001\""},
                {"\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""},
                /* bytes that are not UTF-8: each one as \x */
                {"\xff", "\"\\xff\""},
                {"a\xc3", "\"a\\xc3\""},
                {"\xc3(", "\"\\xc3(\""},
                {"\xe0\x80\x80", "\"\\xe0\\x80\\x80\""},          /* overlong */
                {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},          /* a surrogate */
                {"\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""}, /* above U+10FFFF */
                {"\xe2\x98", "\"\\xe2\\x98\""},                   /* truncated */
                /* box's NUL (modified UTF-8, from a JSON "\u0000") */
                {"a\xc0\x80"
                 "b",
                 "\"a\\x00b\""},
                /* a mix, as a RUN line might hold it */
                {"echo \"é\"\t\xff\n", "\"echo \\\"é\\\"\\t\\xff\\n\""},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_buf_ struct buf b = {0};
                go_quote(&b, cases[i].in);
                if (!streq(b.data, cases[i].want))
                        fail_msg("case %zu: got %s, want %s", i, b.data, cases[i].want);
        }
}

/* go_quote appends: what was in the buffer stays. */
static void test_appends(void **state)
{
        (void)state;
        _cleanup_buf_ struct buf b = {0};
        buf_puts(&b, "CMD [");
        go_quote(&b, "a");
        buf_putc(&b, ' ');
        go_quote(&b, "b\x07");
        buf_putc(&b, ']');
        assert_string_equal(b.data, "CMD [\"a\" \"b\\a\"]");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quote),
                cmocka_unit_test(test_appends),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

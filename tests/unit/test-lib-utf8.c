/* lib/utf8: Go's utf8.DecodeRune, and unicode.IsSpace / IsLetter / IsDigit
 * / IsPrint, strings.TrimSpace and ToLower.  Expected values from the
 * Unicode categories Go's documentation names (IsLetter: category L,
 * IsDigit: Nd, IsPrint: L, M, N, P, S and U+0020; IsSpace: '\t', '\n',
 * '\v', '\f', '\r', ' ', U+0085, U+00A0 and the White_Space property), and
 * DecodeRune's: (RuneError, 1) for any invalid, overlong, surrogate or
 * truncated encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/macro.h"
#include "lib/utf8.h"

static void test_decode(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                uint32_t rune;
                size_t width;
        } cases[] = {
                {"a", 'a', 1},
                {"\x7f", 0x7F, 1},
                {"\xc2\x80", 0x80, 2},
                {"\xdf\xbf", 0x7FF, 2},
                {"\xe0\xa0\x80", 0x800, 3},
                {"\xef\xbf\xbd", 0xFFFD, 3},
                {"\xf0\x90\x80\x80", 0x10000, 4},
                {"\xf4\x8f\xbf\xbf", 0x10FFFF, 4},
                /* invalid: width 1 */
                {"\x80", UTF8_RUNE_ERROR, 1},
                {"\xc0\x80", UTF8_RUNE_ERROR, 1},     /* overlong NUL */
                {"\xc1\xbf", UTF8_RUNE_ERROR, 1},     /* overlong */
                {"\xe0\x9f\xbf", UTF8_RUNE_ERROR, 1}, /* overlong */
                {"\xed\xa0\x80", UTF8_RUNE_ERROR, 1}, /* surrogate */
                {"\xf0\x8f\xbf\xbf", UTF8_RUNE_ERROR, 1},
                {"\xf4\x90\x80\x80", UTF8_RUNE_ERROR, 1},
                {"\xf5\x80\x80\x80", UTF8_RUNE_ERROR, 1},
                {"\xff", UTF8_RUNE_ERROR, 1},
                {"\xe2\x98", UTF8_RUNE_ERROR, 1}, /* truncated */
                {"\xe2(\xa1", UTF8_RUNE_ERROR, 1},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                size_t w;
                uint32_t r = utf8_decode(cases[i].s, strlen(cases[i].s), &w);
                if (r != cases[i].rune || w != cases[i].width)
                        fail_msg("case %zu: U+%04X/%zu, want U+%04X/%zu", i, r, w, cases[i].rune,
                                 cases[i].width);
        }
        size_t w = 9;
        assert_int_equal(utf8_decode("", 0, &w), UTF8_RUNE_ERROR);
        assert_int_equal(w, 0);
        /* N bounds the read: a sequence cut by N is truncated */
        assert_int_equal(utf8_decode("\xc3\xa9", 1, &w), UTF8_RUNE_ERROR);
        assert_int_equal(w, 1);
}

static void test_put_and_runes(void **state)
{
        (void)state;
        _cleanup_buf_ struct buf b = {0};
        static const uint32_t runes[] = {'a', 0xE9, 0x263A, 0x1F600, 0xD800, 0x110000};
        for (size_t i = 0; i < ARRAY_SIZE(runes); i++)
                utf8_put(&b, runes[i]);
        /* a surrogate and a rune above U+10FFFF encode as U+FFFD */
        assert_string_equal(b.data, "aé☺😀\xef\xbf\xbd\xef\xbf\xbd");
        size_t n;
        _cleanup_free_ uint32_t *r = utf8_runes("a\xffé", 4, &n);
        assert_int_equal(n, 3);
        assert_int_equal(r[0], 'a');
        assert_int_equal(r[1], UTF8_RUNE_ERROR);
        assert_int_equal(r[2], 0xE9);
}

static void test_classes(void **state)
{
        (void)state;
        static const struct {
                uint32_t r;
                bool space, letter, digit, print;
        } cases[] = {
                {' ', true, false, false, true},        {'\t', true, false, false, false},
                {'\v', true, false, false, false},      {0x85, true, false, false, false}, /* NEL */
                {0xA0, true, false, false, false},   /* NBSP */
                {0x1680, true, false, false, false}, /* OGHAM SPACE MARK */
                {0x2000, true, false, false, false},    {0x200A, true, false, false, false},
                {0x200B, false, false, false, false}, /* ZWSP: Cf, not a space */
                {0x2028, true, false, false, false},    {0x202F, true, false, false, false},
                {0x3000, true, false, false, false},    {0xFEFF, false, false, false, false},
                {'a', false, true, false, true},        {'Z', false, true, false, true},
                {'_', false, false, false, true},       {'5', false, false, true, true},
                {0xAA, false, true, false, true},    /* ª: Lo */
                {0xB5, false, true, false, true},    /* µ: Ll */
                {0xD7, false, false, false, true},   /* ×: Sm */
                {0xAD, false, false, false, false},  /* soft hyphen: Cf */
                {0x1C4, false, true, false, true},   /* Ǆ: Lu */
                {0x2B0, false, true, false, true},   /* ʰ: Lm */
                {0x301, false, false, false, true},  /* combining acute: Mn */
                {0x5D0, false, true, false, true},   /* Hebrew alef */
                {0x660, false, false, true, true},   /* Arabic-Indic zero */
                {0x966, false, false, true, true},   /* Devanagari zero */
                {0x1E950, false, false, true, true}, /* Adlam digit zero */
                {0xFF10, false, false, true, true},  /* fullwidth zero */
                {0x2160, false, false, false, true}, /* Ⅰ: Nl, not Nd */
                {0xB2, false, false, false, true},   /* ²: No */
                {0x10400, false, true, false, true}, /* Deseret */
                {0x1D400, false, true, false, true}, /* mathematical bold A */
                {0x20000, false, true, false, true}, /* CJK extension B */
                {0x263A, false, false, false, true},    {0x1F600, false, false, false, true},
                {0xE000, false, false, false, false},  /* private use */
                {0x378, false, false, false, false},   /* unassigned */
                {0xE0001, false, false, false, false}, /* language tag: Cf */
                {0xE0100, false, false, false, true},  /* variation selector: Mn */
                {0x10FFFF, false, false, false, false},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                uint32_t r = cases[i].r;
                if (unicode_is_space(r) != cases[i].space ||
                    unicode_is_letter(r) != cases[i].letter ||
                    unicode_is_digit(r) != cases[i].digit || unicode_is_print(r) != cases[i].print)
                        fail_msg("U+%04X: space %d letter %d digit %d print %d", r,
                                 unicode_is_space(r), unicode_is_letter(r), unicode_is_digit(r),
                                 unicode_is_print(r));
        }
}

static void test_trim_and_lower(void **state)
{
        (void)state;
        static const char s[] = "\xe3\x80\x80 \t a b\xc2\xa0\n";
        size_t a, b;
        utf8_trim_space(s, strlen(s), &a, &b);
        assert_int_equal(a, 6);
        assert_int_equal(b, 9);
        assert_int_equal(utf8_trim_left_space(s, strlen(s)), 6);
        utf8_trim_space("   ", 3, &a, &b);
        assert_int_equal(a, b);

        static const struct {
                const char *in, *want;
        } lower[] = {
                {"ABC xyz", "abc xyz"},       {"ÀÉÎ", "àéî"}, {"ΑΒΓ", "αβγ"}, {"ДЖЯ", "джя"},
                {"\xe2\x84\xaa", "k"}, /* KELVIN SIGN */
                {"a\xffZ", "a\xef\xbf\xbdz"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(lower); i++) {
                _cleanup_free_ char *l = utf8_to_lower(lower[i].in);
                assert_string_equal(l, lower[i].want);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode),
                cmocka_unit_test(test_put_and_runes),
                cmocka_unit_test(test_classes),
                cmocka_unit_test(test_trim_and_lower),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

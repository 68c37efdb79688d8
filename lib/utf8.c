#include "lib/utf8.h"

#include "lib/macro.h"
#include "lib/unicode-tables.h"

uint32_t utf8_decode(const char *str, size_t n, size_t *ret_width)
{
        const unsigned char *s = (const unsigned char *)str;
        uint32_t r;
        size_t need;

        if (n == 0) {
                *ret_width = 0;
                return UTF8_RUNE_ERROR;
        }
        *ret_width = 1;
        if (s[0] < 0x80)
                return s[0];
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                need = 1;
                r = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                need = 2;
                r = s[0] & 0x0F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
                need = 3;
                r = s[0] & 0x07;
        } else
                return UTF8_RUNE_ERROR;
        if (n < need + 1)
                return UTF8_RUNE_ERROR;
        for (size_t i = 1; i <= need; i++) {
                unsigned lo = 0x80, hi = 0xBF;
                if (i == 1) {
                        if (s[0] == 0xE0)
                                lo = 0xA0;
                        else if (s[0] == 0xED)
                                hi = 0x9F;
                        else if (s[0] == 0xF0)
                                lo = 0x90;
                        else if (s[0] == 0xF4)
                                hi = 0x8F;
                }
                if (s[i] < lo || s[i] > hi)
                        return UTF8_RUNE_ERROR;
                r = (r << 6) | (s[i] & 0x3F);
        }
        *ret_width = need + 1;
        return r;
}

void utf8_put(struct buf *b, uint32_t r)
{
        char c[4];

        if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                r = UTF8_RUNE_ERROR;
        if (r < 0x80) {
                buf_putc(b, (char)r);
        } else if (r < 0x800) {
                c[0] = (char)(0xC0 | (r >> 6));
                c[1] = (char)(0x80 | (r & 0x3F));
                buf_append(b, c, 2);
        } else if (r < 0x10000) {
                c[0] = (char)(0xE0 | (r >> 12));
                c[1] = (char)(0x80 | ((r >> 6) & 0x3F));
                c[2] = (char)(0x80 | (r & 0x3F));
                buf_append(b, c, 3);
        } else {
                c[0] = (char)(0xF0 | (r >> 18));
                c[1] = (char)(0x80 | ((r >> 12) & 0x3F));
                c[2] = (char)(0x80 | ((r >> 6) & 0x3F));
                c[3] = (char)(0x80 | (r & 0x3F));
                buf_append(b, c, 4);
        }
}

uint32_t *utf8_runes(const char *s, size_t n, size_t *ret_n)
{
        uint32_t *r = xnew(uint32_t, n + 1);
        size_t k = 0, w;

        for (size_t i = 0; i < n; i += w)
                r[k++] = utf8_decode(s + i, n - i, &w);
        *ret_n = k;
        return r;
}

bool unicode_is_space(uint32_t r)
{
        switch (r) {
        case '\t':
        case '\n':
        case '\v':
        case '\f':
        case '\r':
        case ' ':
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
                return true;
        }
        return r >= 0x2000 && r <= 0x200A;
}

static bool in_ranges(const uint32_t (*t)[2], size_t n, uint32_t r)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (r < t[mid][0])
                        hi = mid;
                else if (r > t[mid][1])
                        lo = mid + 1;
                else
                        return true;
        }
        return false;
}

bool unicode_is_letter(uint32_t r)
{
        if (r < 0x80)
                return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
        return in_ranges(unicode_letter_ranges, ARRAY_SIZE(unicode_letter_ranges), r);
}

bool unicode_is_digit(uint32_t r)
{
        if (r < 0x80)
                return r >= '0' && r <= '9';
        return in_ranges(unicode_digit_ranges, ARRAY_SIZE(unicode_digit_ranges), r);
}

bool unicode_is_print(uint32_t r)
{
        if (r < 0x80)
                return r >= 0x20 && r < 0x7F;
        return in_ranges(unicode_print_ranges, ARRAY_SIZE(unicode_print_ranges), r);
}

size_t utf8_trim_left_space(const char *s, size_t n)
{
        size_t i = 0, w;
        while (i < n) {
                uint32_t r = utf8_decode(s + i, n - i, &w);
                if (!unicode_is_space(r))
                        break;
                i += w;
        }
        return i;
}

void utf8_trim_space(const char *s, size_t n, size_t *ret_start, size_t *ret_end)
{
        size_t start = utf8_trim_left_space(s, n), end = start, w;

        for (size_t i = start; i < n; i += w) {
                uint32_t r = utf8_decode(s + i, n - i, &w);
                if (!unicode_is_space(r))
                        end = i + w;
        }
        *ret_start = start;
        *ret_end = end;
}

static uint32_t to_lower(uint32_t r)
{
        if (r >= 'A' && r <= 'Z')
                return r + 32;
        if (r < 0x80)
                return r;
        if ((r >= 0xC0 && r <= 0xDE && r != 0xD7) || (r >= 0x391 && r <= 0x3AB && r != 0x3A2) ||
            (r >= 0x410 && r <= 0x42F))
                return r + 32;
        if (r >= 0x400 && r <= 0x40F)
                return r + 80;
        if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
            r != 0x17F && ((r < 0x139 || r > 0x148) ? r % 2 == 0 : r % 2 == 1) && r != 0x178)
                return r + 1;
        if (((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF) ||
             (r >= 0x4D0 && r <= 0x52F)) &&
            r % 2 == 0)
                return r + 1;
        if (r >= 0x4C1 && r <= 0x4CE && r % 2 == 1)
                return r + 1;
        if (r == 0x4C0)
                return 0x4CF;
        if (r >= 0xFF21 && r <= 0xFF3A)
                return r + 32;
        if (r == 0x212A) /* KELVIN SIGN */
                return 'k';
        if (r == 0x212B) /* ANGSTROM SIGN */
                return 0xE5;
        return r;
}

char *utf8_to_lower(const char *s)
{
        struct buf b = {0};
        size_t n = strlen(s), w;
        buf_puts(&b, "");
        for (size_t i = 0; i < n; i += w)
                utf8_put(&b, to_lower(utf8_decode(s + i, n - i, &w)));
        return buf_steal(&b);
}

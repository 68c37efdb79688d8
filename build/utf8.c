#include "build/utf8.h"

uint32_t build_utf8_decode(const char *str, size_t n, size_t *ret_width)
{
        const unsigned char *s = (const unsigned char *)str;
        uint32_t r;
        size_t need;

        if (n == 0) {
                *ret_width = 0;
                return GO_RUNE_ERROR;
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
                return GO_RUNE_ERROR;
        if (n < need + 1)
                return GO_RUNE_ERROR;
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
                        return GO_RUNE_ERROR;
                r = (r << 6) | (s[i] & 0x3F);
        }
        *ret_width = need + 1;
        return r;
}

void build_utf8_put(struct buf *b, uint32_t r)
{
        char c[4];

        if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                r = GO_RUNE_ERROR;
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

uint32_t *build_utf8_runes(const char *s, size_t n, size_t *ret_n)
{
        uint32_t *r = xnew(uint32_t, n + 1);
        size_t k = 0, w;

        for (size_t i = 0; i < n; i += w)
                r[k++] = build_utf8_decode(s + i, n - i, &w);
        *ret_n = k;
        return r;
}

bool build_unicode_is_space(uint32_t r)
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

/* A compact approximation of Unicode's letter categories: the scripts a
 * Dockerfile variable name is realistically written in. */
static const uint32_t letter_ranges[][2] = {
        {0xAA, 0xAA},     {0xB5, 0xB5},       {0xBA, 0xBA},     {0xC0, 0xD6},     {0xD8, 0xF6},
        {0xF8, 0x2C1},    {0x2C6, 0x2D1},     {0x370, 0x374},   {0x376, 0x377},   {0x37A, 0x37D},
        {0x386, 0x386},   {0x388, 0x3FF},     {0x400, 0x481},   {0x48A, 0x52F},   {0x531, 0x556},
        {0x561, 0x587},   {0x5D0, 0x5EA},     {0x620, 0x64A},   {0x671, 0x6D3},   {0x904, 0x939},
        {0xE01, 0xE30},   {0x10A0, 0x10FF},   {0x1100, 0x11FF}, {0x1E00, 0x1FBC}, {0x3041, 0x3096},
        {0x30A1, 0x30FA}, {0x3105, 0x312F},   {0x3131, 0x318E}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
        {0xA000, 0xA48C}, {0xAC00, 0xD7A3},   {0xF900, 0xFA6D}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
        {0xFF66, 0xFFDC}, {0x20000, 0x2A6DF},
};

bool build_unicode_is_letter(uint32_t r)
{
        if (r < 0x80)
                return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
        for (size_t i = 0; i < ARRAY_SIZE(letter_ranges); i++)
                if (r >= letter_ranges[i][0] && r <= letter_ranges[i][1])
                        return r != 0xD7 && r != 0xF7;
        return false;
}

static const uint32_t digit_starts[] = {0x660, 0x6F0,  0x7C0,  0x966,  0x9E6, 0xA66, 0xAE6,
                                        0xB66, 0xBE6,  0xC66,  0xCE6,  0xD66, 0xE50, 0xED0,
                                        0xF20, 0x1040, 0x17E0, 0x1810, 0xFF10};

bool build_unicode_is_digit(uint32_t r)
{
        if (r < 0x80)
                return r >= '0' && r <= '9';
        for (size_t i = 0; i < ARRAY_SIZE(digit_starts); i++)
                if (r >= digit_starts[i] && r <= digit_starts[i] + 9)
                        return true;
        return false;
}

size_t build_utf8_trim_left_space(const char *s, size_t n)
{
        size_t i = 0, w;
        while (i < n) {
                uint32_t r = build_utf8_decode(s + i, n - i, &w);
                if (!build_unicode_is_space(r))
                        break;
                i += w;
        }
        return i;
}

void build_utf8_trim_space(const char *s, size_t n, size_t *ret_start, size_t *ret_end)
{
        size_t start = build_utf8_trim_left_space(s, n), end = start, w;

        for (size_t i = start; i < n; i += w) {
                uint32_t r = build_utf8_decode(s + i, n - i, &w);
                if (!build_unicode_is_space(r))
                        end = i + w;
        }
        *ret_start = start;
        *ret_end = end;
}

static bool is_print(uint32_t r)
{
        if (r < 0x20 || r == 0x7F)
                return false;
        if (r >= 0x80 && r <= 0xA0)
                return false;
        if (r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF ||
            (r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) ||
            (r >= 0x2060 && r <= 0x206F) || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE ||
            r == 0xFFFF || (r >= 0xE000 && r <= 0xF8FF))
                return false;
        if (r >= 0x323B0)
                return false; /* unassigned planes, tags, private use */
        return r != 0x1680 && !(r >= 0x2000 && r <= 0x200A) && r != 0x202F && r != 0x205F &&
               r != 0x3000;
}

void build_go_quote(struct buf *b, const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = strlen(s), w;

        buf_putc(b, '"');
        for (size_t i = 0; i < n; i += w) {
                uint32_t r = build_utf8_decode(s + i, n - i, &w);
                if (r == GO_RUNE_ERROR && w == 1 && i + 1 < n && (unsigned char)s[i] == 0xC0 &&
                    (unsigned char)s[i + 1] == 0x80) {
                        buf_puts(b, "\\x00"); /* NUL from a JSON string, see dockerfile-parse.c */
                        w = 2;
                        continue;
                }
                if (r == GO_RUNE_ERROR && w == 1) {
                        unsigned char c = (unsigned char)s[i];
                        buf_printf(b, "\\x%c%c", hex[c >> 4], hex[c & 15]);
                        continue;
                }
                switch (r) {
                case '"':
                        buf_puts(b, "\\\"");
                        continue;
                case '\\':
                        buf_puts(b, "\\\\");
                        continue;
                case '\a':
                        buf_puts(b, "\\a");
                        continue;
                case '\b':
                        buf_puts(b, "\\b");
                        continue;
                case '\f':
                        buf_puts(b, "\\f");
                        continue;
                case '\n':
                        buf_puts(b, "\\n");
                        continue;
                case '\r':
                        buf_puts(b, "\\r");
                        continue;
                case '\t':
                        buf_puts(b, "\\t");
                        continue;
                case '\v':
                        buf_puts(b, "\\v");
                        continue;
                }
                if (is_print(r)) {
                        buf_append(b, s + i, w);
                } else if (r < 0x20 || r == 0x7F) {
                        buf_printf(b, "\\x%02x", r);
                } else if (r < 0x10000) {
                        buf_printf(b, "\\u%04x", r);
                } else {
                        buf_printf(b, "\\U%08x", r);
                }
        }
        buf_putc(b, '"');
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

char *build_go_lower(const char *s)
{
        struct buf b = {0};
        size_t n = strlen(s), w;
        buf_puts(&b, "");
        for (size_t i = 0; i < n; i += w)
                build_utf8_put(&b, to_lower(build_utf8_decode(s + i, n - i, &w)));
        return buf_steal(&b);
}

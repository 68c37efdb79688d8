#include "lib/go-quote.h"

#include <string.h>

#include "lib/utf8.h"

static const char hex[] = "0123456789abcdef";

static void put_byte_escape(struct buf *b, unsigned char c)
{
        char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        buf_append(b, e, sizeof(e));
}

/* strconv's appendEscapedRune with quote '"', ASCIIonly and graphicOnly
 * false; R is a valid rune (the caller escaped bad bytes). */
static void put_rune(struct buf *b, const char *s, size_t w, uint32_t r)
{
        static const char names[] = "\aa\bb\ff\nn\rr\tt\vv";
        if (r == '"' || r == '\\') {
                buf_putc(b, '\\');
                buf_putc(b, (char)r);
                return;
        }
        if (unicode_is_print(r)) {
                buf_append(b, s, w);
                return;
        }
        for (size_t i = 0; i < sizeof(names) - 1; i += 2)
                if (r == (unsigned char)names[i]) {
                        buf_putc(b, '\\');
                        buf_putc(b, names[i + 1]);
                        return;
                }
        if (r < ' ' || r == 0x7F)
                put_byte_escape(b, (unsigned char)r);
        else if (r < 0x10000)
                buf_printf(b, "\\u%04x", r);
        else
                buf_printf(b, "\\U%08x", r);
}

void go_quote(struct buf *b, const char *s)
{
        size_t n = strlen(s), w;

        buf_putc(b, '"');
        for (size_t i = 0; i < n; i += w) {
                uint32_t r = utf8_decode(s + i, n - i, &w);
                if (r == UTF8_RUNE_ERROR && w == 1) {
                        if ((unsigned char)s[i] == 0xC0 && (unsigned char)s[i + 1] == 0x80) {
                                buf_puts(b, "\\x00"); /* NUL, see above */
                                w = 2;
                        } else {
                                put_byte_escape(b, (unsigned char)s[i]);
                        }
                        continue;
                }
                put_rune(b, s + i, w, r);
        }
        buf_putc(b, '"');
}

/* UTF-8 and Unicode the way Go's standard library reads them (packages
 * unicode/utf8, unicode and strings).  box follows Go wherever a reference
 * implementation in Go decides what a string means: the Dockerfile parser
 * and shell lexer, .dockerignore and COPY patterns, image reference
 * patterns, BuildKit's quoted history strings.
 *
 * Invariants: decoding never fails; an invalid or truncated sequence
 * decodes as U+FFFD with width 1, exactly as Go's utf8.DecodeRune (so a
 * caller tells a real U+FFFD from a bad byte by its width).  The Unicode
 * classes come from tables generated from Unicode 14 (lib/unicode-tables.h);
 * Go 1.21+ uses Unicode 15, so the few hundred code points assigned in
 * Unicode 15 (Kawi, CJK extension H, ...) are not letters or printable
 * here.  Nothing here allocates except the functions returning pointers
 * (caller frees) or appending to a struct buf. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/xalloc.h"

#define UTF8_RUNE_ERROR 0xFFFDu

/* Decodes the rune at s[0..n); stores its width (>= 1 when n > 0, 0 when
 * n == 0, which returns UTF8_RUNE_ERROR). */
uint32_t utf8_decode(const char *s, size_t n, size_t *ret_width);
/* Appends the UTF-8 encoding of r (invalid runes as U+FFFD). */
void utf8_put(struct buf *b, uint32_t r);
/* Decodes a whole string into a rune array (caller frees); *ret_n runes. */
uint32_t *utf8_runes(const char *s, size_t n, size_t *ret_n);

/* unicode.IsSpace, IsLetter, IsDigit, IsPrint. */
bool unicode_is_space(uint32_t r);
bool unicode_is_letter(uint32_t r);
bool unicode_is_digit(uint32_t r);
bool unicode_is_print(uint32_t r);

/* strings.TrimSpace / TrimLeftFunc(IsSpace): return offsets into s. */
void utf8_trim_space(const char *s, size_t n, size_t *ret_start, size_t *ret_end);
size_t utf8_trim_left_space(const char *s, size_t n);

/* strings.ToLower (Latin, Greek, Cyrillic and full-width letters; other
 * scripts kept); invalid bytes become U+FFFD. */
char *utf8_to_lower(const char *s);

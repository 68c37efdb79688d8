/* Go string semantics for the Dockerfile language: the reference parser is
 * written in Go, so where it decodes UTF-8, tests for white space or letters,
 * or quotes a string, box must do the same to read a Dockerfile the same way.
 *
 * Invariants: decoding never fails; an invalid byte decodes as U+FFFD with
 * width 1, exactly as Go's utf8.DecodeRune.  Nothing here allocates except
 * the functions returning char * (caller frees) or appending to a struct buf. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/xalloc.h"

#define GO_RUNE_ERROR 0xFFFDu

/* Decodes the rune at s[0..n); stores its width (>= 1 when n > 0). */
uint32_t build_utf8_decode(const char *s, size_t n, size_t *ret_width);
/* Appends the UTF-8 encoding of r (invalid runes as U+FFFD). */
void build_utf8_put(struct buf *b, uint32_t r);
/* Decodes a whole string into a rune array (caller frees); *ret_n runes. */
uint32_t *build_utf8_runes(const char *s, size_t n, size_t *ret_n);

/* unicode.IsSpace, unicode.IsLetter, unicode.IsDigit. */
bool build_unicode_is_space(uint32_t r);
bool build_unicode_is_letter(uint32_t r);
bool build_unicode_is_digit(uint32_t r);

/* strings.TrimSpace / TrimLeftFunc(IsSpace): return offsets into s. */
void build_utf8_trim_space(const char *s, size_t n, size_t *ret_start, size_t *ret_end);
size_t build_utf8_trim_left_space(const char *s, size_t n);

/* strings.ToLower (common scripts); invalid bytes become U+FFFD. */
char *build_go_lower(const char *s);

/* strconv.Quote: appends s as a double-quoted Go string literal. */
void build_go_quote(struct buf *b, const char *s);

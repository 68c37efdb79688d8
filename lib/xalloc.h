/* Allocation helpers that abort on out-of-memory: box cannot do anything
 * useful without memory, and checking every small allocation hides the real
 * error paths. */
#pragma once

#include <stddef.h>
#include "lib/macro.h"

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
/* P (an array of SIZE-byte elements from malloc, or NULL) with room for at
 * least NEED of them: doubled when it must grow, its capacity read from the
 * allocator, so an array made anywhere grows the same way and appending N
 * elements one at a time costs O(N), also where realloc cannot grow in
 * place (ASan's never does). */
void *xgrowarray(void *p, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

#define xnew(type, n)  ((type *)xreallocarray(NULL, (n), sizeof(type)))
#define xnew0(type, n) ((type *)xzalloc((n) * sizeof(type)))

/* Growable byte buffer; data is always NUL-terminated. */
struct buf {
        char *data;
        size_t len, cap;
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
char *buf_steal(struct buf *b);
void buf_release(struct buf *b);
#define _cleanup_buf_ _cleanup_(buf_release)

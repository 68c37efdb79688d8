/* A minimal tar writer for the unit tests, so a test controls every byte
 * of a hostile or foreign archive: ustar headers, pax records with any
 * bytes in them (as Go's archive/tar writes them: no hdrcharset), data.
 * Header-only; each test file includes it once. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/xalloc.h"

/* A ustar header.  NAME and LINK are copied as bytes (truncated to their
 * fields: a longer name goes in a pax record before it). */
static inline void tb_header(struct buf *b, const char *name, char type, uint64_t size,
                             const char *link, unsigned mode)
{
        char h[512] = {0};
        size_t nl = strlen(name);
        memcpy(h, name, nl > 100 ? 100 : nl);
        snprintf(h + 100, 8, "%07o", mode);
        snprintf(h + 108, 8, "%07o", 0);
        snprintf(h + 116, 8, "%07o", 0);
        snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
        snprintf(h + 136, 12, "%011o", 0);
        memset(h + 148, ' ', 8);
        h[156] = type;
        if (link) {
                size_t ll = strlen(link);
                memcpy(h + 157, link, ll > 100 ? 100 : ll);
        }
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
        buf_append(b, h, 512);
}

static inline void tb_data(struct buf *b, const void *data, size_t len)
{
        static const char pad[512];
        buf_append(b, data, len);
        buf_append(b, pad, (512 - len % 512) % 512);
}

/* One pax record "LEN KEY=VALUE\n" into REC; LEN counts itself. */
static inline void tb_pax_record(struct buf *rec, const char *key, const void *val, size_t vlen)
{
        size_t body = 1 + strlen(key) + 1 + vlen + 1; /* ' ' key '=' val '\n' */
        size_t len = body + 1;
        while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
                len = body + (size_t)snprintf(NULL, 0, "%zu", len);
        buf_printf(rec, "%zu %s=", len, key);
        buf_append(rec, val, vlen);
        buf_putc(rec, '\n');
}

/* An 'x' header carrying the records in REC, for the entry that follows. */
static inline void tb_pax(struct buf *b, const struct buf *rec)
{
        tb_header(b, "PaxHeaders/x", 'x', rec->len, NULL, 0644);
        tb_data(b, rec->data, rec->len);
}

static inline void tb_file(struct buf *b, const char *name, const char *data)
{
        size_t len = data ? strlen(data) : 0;
        tb_header(b, name, '0', len, NULL, 0644);
        if (len)
                tb_data(b, data, len);
}

static inline void tb_end(struct buf *b)
{
        static const char z[1024];
        buf_append(b, z, sizeof(z));
}

struct tb_mem {
        const char *p;
        size_t n, off;
};

static inline ssize_t tb_mem_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        (void)err;
        struct tb_mem *m = ud;
        size_t k = m->n - m->off < n ? m->n - m->off : n;
        memcpy(buf, m->p + m->off, k);
        m->off += k;
        return (ssize_t)k;
}

/* HTTP(S) downloads, streamed: the only door to libcurl (image/http.c).
 * A response body is pulled by the caller piece by piece (image_http_read,
 * store_read_fn-shaped), so a layer can flow from the socket through the
 * decompressor into the store without being kept anywhere.
 *
 * Ownership: struct image_http is owned by its opener and freed by
 * image_http_free().  Redirects are followed, only to http and https, and
 * from an https URL only to https; an HTTP status >= 400, a stalled or
 * too slow transfer, one past its deadline and a body larger than its cap
 * are errors naming the URL. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

struct image_http_opts {
        int insecure;       /* do not verify TLS certificates */
        long stall_seconds; /* abort when less than MIN_SPEED arrives for this long (0: 30) */
        uint64_t min_speed; /* bytes/s (0: 1) */
        uint64_t max_size;  /* refuse a body larger than this (0: no limit) */
        long timeout_ms;    /* the whole transfer, consumer's time included (0: no limit) */
};

struct image_http;

/* Starts a GET and waits for the response to begin. */
int image_http_get(const char *url, const struct image_http_opts *opts, struct image_http **ret,
                   struct box_err *err);
/* Body bytes: count read, 0 at the end, or -errno. */
ssize_t image_http_read(struct image_http *h, void *buf, size_t n, struct box_err *err);
/* Content-Length, or -1 when unknown. */
int64_t image_http_length(struct image_http *h);
uint64_t image_http_received(const struct image_http *h);
const char *image_http_url(const struct image_http *h);
void image_http_free(struct image_http *h);
DEFINE_POINTER_CLEANUP(struct image_http, image_http_free)
#define _cleanup_http_ _cleanup_(image_http_freep)

/* Reads a small document whole (at most MAX bytes). -ENOENT on 404/410. */
int image_http_get_small(const char *url, const struct image_http_opts *opts, size_t max,
                         char **ret, size_t *ret_len, struct box_err *err);

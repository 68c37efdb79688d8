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
        int insecure;        /* do not verify TLS certificates */
        long stall_seconds;  /* abort when less than MIN_SPEED arrives for this long (0: 30) */
        uint64_t min_speed;  /* bytes/s (0: 1) */
        uint64_t max_size;   /* refuse a body larger than this (0: no limit) */
        long timeout_ms;     /* the whole transfer, consumer's time included (0: no limit) */
        const char *ca_file; /* extra CA certificates (PEM), besides the system's */
};

/* A request other than a plain GET (image_http_request). */
struct image_http_req {
        const char *method;   /* NULL: GET; HEAD, PUT, POST, PATCH, DELETE */
        char *const *headers; /* "Name: value" lines, or NULL */
        const void *body;     /* a body from memory (PUT, POST, PATCH) */
        size_t body_len;
        /* or a streamed body of BODY_SIZE bytes (-1: unknown) */
        ssize_t (*body_read)(void *userdata, void *buf, size_t n, struct box_err *err);
        void *body_userdata;
        int64_t body_size;
        uint64_t range_from; /* > 0: ask for the body from this offset on */
        int keep_status;     /* a status >= 400 is not an error: the caller reads it */
        int no_redirect;     /* hand a 3xx to the caller (image_http_redirect) */
};

struct image_http;

/* Starts a GET and waits for the response to begin. */
int image_http_get(const char *url, const struct image_http_opts *opts, struct image_http **ret,
                   struct box_err *err);
/* Starts REQ (NULL: a GET) and waits for the response to begin.  With
 * keep_status the caller checks image_http_status(). */
int image_http_request(const char *url, const struct image_http_opts *opts,
                       const struct image_http_req *req, struct image_http **ret,
                       struct box_err *err);
long image_http_status(const struct image_http *h);
/* A header of the final response (case-insensitive NAME), NULL when absent. */
const char *image_http_header(const struct image_http *h, const char *name);
/* The absolute URL a 3xx response points to (no_redirect), or NULL. */
char *image_http_redirect(const struct image_http *h);
/* "Not Found" for 404, "" for a code it does not know. */
const char *image_http_reason(long code);
/* Body bytes: count read, 0 at the end, or -errno. */
ssize_t image_http_read(struct image_http *h, void *buf, size_t n, struct box_err *err);
/* Content-Length, or -1 when unknown. */
int64_t image_http_length(struct image_http *h);
uint64_t image_http_received(const struct image_http *h);
const char *image_http_url(const struct image_http *h);
/* The URL the final response came from (after redirects); lives as long as H. */
const char *image_http_final_url(const struct image_http *h);
void image_http_free(struct image_http *h);
DEFINE_POINTER_CLEANUP(struct image_http, image_http_free)
#define _cleanup_http_ _cleanup_(image_http_freep)

/* Reads a small document whole (at most MAX bytes). -ENOENT on 404/410. */
int image_http_get_small(const char *url, const struct image_http_opts *opts, size_t max,
                         char **ret, size_t *ret_len, struct box_err *err);

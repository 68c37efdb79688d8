/* `box pull URL`: an image archive (any format `box load` reads) or an OCI
 * image layout (a URL ending in '/') served over HTTP(S).  Archives are
 * streamed through the loader as they download; from a layout only
 * index.json and the blobs the store lacks are fetched.
 *
 * Ownership: as image_load_*(): RET is the caller's. */
#pragma once

#include "image/load.h"

struct image_pull_opts {
        const char *name;   /* full reference to tag the image with, or NULL */
        int insecure;       /* skip TLS verification */
        long stall_seconds; /* give up when nothing arrives for this long (0: 30) */
        /* Progress of one download (may be NULL): DONE bytes of TOTAL (-1
         * unknown); FINISHED once at its end. */
        void (*progress)(void *userdata, const char *url, uint64_t done, int64_t total,
                         int finished);
        void *userdata;
};

/* Is S an http:// or https:// URL? */
int image_pull_is_url(const char *s);

int image_pull(struct store *st, const char *url, const struct image_pull_opts *opts,
               struct image_loaded **ret, size_t *ret_n, struct box_err *err);

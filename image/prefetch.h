/* A read-ahead thread for archive streams: it pulls raw bytes from a
 * store_read_fn (a file, a pipe, an HTTP body), decompresses them (gzip,
 * zstd, xz, bzip2, or passes them through), and queues the result in a
 * bounded buffer the caller drains with image_prefetch_read().  So
 * download and decompression of the outer archive overlap with hashing,
 * unpacking and fsync in the caller's thread, as in `curl | tar -xz`.
 *
 * Ownership: the caller owns the prefetcher; image_prefetch_free() stops
 * and joins the thread.  The source is used only by that thread until
 * then. */
#pragma once

#include <sys/types.h>

#include "store/store.h"

struct image_prefetch;

int image_prefetch_new(store_read_fn read, void *userdata, struct image_prefetch **ret,
                       struct box_err *err);
/* store_read_fn-shaped: decompressed bytes, 0 at the end, or -errno with
 * the source's (or the decompressor's) error. */
ssize_t image_prefetch_read(void *prefetch, void *buf, size_t n, struct box_err *err);
/* image_lend_fn-shaped: the next run of bytes in the ring itself, valid
 * until the next call of either function (image_tar_reader_new_lent()). */
ssize_t image_prefetch_lend(void *prefetch, const void **ret, struct box_err *err);
void image_prefetch_free(struct image_prefetch *p);
DEFINE_POINTER_CLEANUP(struct image_prefetch, image_prefetch_free)
#define _cleanup_prefetch_ _cleanup_(image_prefetch_freep)

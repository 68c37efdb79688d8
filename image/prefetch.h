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

#include <stdbool.h>
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
/* While ON, runs lent stay in the ring past the next call, until
 * image_prefetch_release() gives them back (in the order lent), so a
 * consumer may hand them on to another thread (a layer's bytes to the
 * thread that hashes and stores them) instead of copying them.  OFF gives
 * back all that was lent. */
void image_prefetch_hold(struct image_prefetch *p, bool on);
/* Does [B, B + N) lie in P's ring, i.e. is it a (part of a) lent run? */
bool image_prefetch_owns(const struct image_prefetch *p, const void *b, size_t n);
/* Gives back, while holding, the lent bytes up to the end of [B, B + N);
 * anything else (bytes not of the ring) is ignored. */
void image_prefetch_release(struct image_prefetch *p, const void *b, size_t n);
void image_prefetch_free(struct image_prefetch *p);
DEFINE_POINTER_CLEANUP(struct image_prefetch, image_prefetch_free)
#define _cleanup_prefetch_ _cleanup_(image_prefetch_freep)

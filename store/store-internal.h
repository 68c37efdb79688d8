/* Private to store/: the struct behind struct store. */
#pragma once

#include <stdbool.h>

#include "store/store.h"

struct store {
        char *root;
        int root_fd;
        int lock_fd;   /* "lock": shared for adders/readers, exclusive for GC */
        int lock_mode; /* -1 none */
};

int store_index_lock(struct store *st, struct box_err *err);
void store_index_unlock(struct store *st, int fd);

/* Stops W from hashing what is written to it, for a caller that hashes the
 * same bytes on their way through anyway (a layer's raw stream): the
 * caller's digest is then passed to store_blob_writer_commit() as EXPECT and
 * taken as the blob's digest without a second pass of SHA-256. */
void store_blob_writer_skip_hash(struct store_blob_writer *w);

/* The caller has synced W's file system (syncfs) since the last write to
 * W: store_blob_writer_commit() then renames without an fsync of its own,
 * so a layer's blob and its unpacked tree (or a packed layer's files) are
 * flushed by one sync. */
void store_blob_writer_synced(struct store_blob_writer *w);

/* Writes W's bytes with O_DIRECT, past the page cache, in whole 4 KiB
 * blocks (a buffer aligned to 4 KiB whose writes are multiples of it goes
 * straight to the disk, anything else through a staging buffer); the last
 * partial block through the page cache.  For a big blob that is synced at
 * once and seldom read (a build step's layer): a page-cache write first
 * allocates a page for every 4 KiB (in a VM: the host backs it anew, ~5 us
 * each, 1.7 s of CPU for 350 MB here), and the sync then writes it out
 * anyway.  Call before the first write; a no-op where the file system has
 * no O_DIRECT.  store_blob_writer_flush() writes the staged tail: before
 * a caller's own sync of W (store_blob_writer_synced()); commit does it
 * too. */
void store_blob_writer_direct(struct store_blob_writer *w);
int store_blob_writer_flush(struct store_blob_writer *w, struct box_err *err);

/* Hashing (and writing a blob) on a second core while the caller unpacks:
 * the caller reads into store_sink_buffer() (at most BUF_SIZE bytes) and
 * hands it over with store_sink_push(), or hands over a run LENDER lent
 * and keeps with store_sink_push_lent() (given back to LENDER once done);
 * either it may keep reading until it hands over the next.  The worker
 * updates SHA and writes to BLOB (when not NULL) in order;
 * store_sink_finish() waits for it, ends it, gives back every lent run and
 * returns its first failure.  SHA, BLOB and LENDER stay the caller's. */
struct store_sink;
int store_sink_start(struct sha256_ctx *sha, struct store_blob_writer *blob, size_t buf_size,
                     const struct store_lender *lender, struct store_sink **ret,
                     struct box_err *err);
char *store_sink_buffer(struct store_sink *s);
int store_sink_push(struct store_sink *s, size_t n, struct box_err *err);
int store_sink_push_lent(struct store_sink *s, const void *p, size_t n, struct box_err *err);
int store_sink_finish(struct store_sink *s, struct box_err *err);

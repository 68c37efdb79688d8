/* Private to store/: the struct behind struct store. */
#pragma once

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

/* Tells W that its data is on disk already (a syncfs of the store's file
 * system after the last write): store_blob_writer_commit() skips its fsync. */
void store_blob_writer_synced(struct store_blob_writer *w);

/* Hashing (and writing a blob) on a second core while the caller unpacks:
 * the caller reads into store_sink_buffer() (at most BUF_SIZE bytes), hands
 * it over with store_sink_push() and may keep reading that buffer until it
 * asks for the next one.  The worker updates SHA and writes to BLOB (when
 * not NULL) in order; store_sink_finish() waits for it, ends it and returns
 * its first failure.  SHA and BLOB stay the caller's. */
struct store_sink;
int store_sink_start(struct sha256_ctx *sha, struct store_blob_writer *blob, size_t buf_size,
                     struct store_sink **ret, struct box_err *err);
char *store_sink_buffer(struct store_sink *s);
int store_sink_push(struct store_sink *s, size_t n, struct box_err *err);
int store_sink_finish(struct store_sink *s, struct box_err *err);

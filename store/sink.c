/* A worker thread that hashes (and saves as a blob) a layer's raw stream
 * behind the reader: see store/store-internal.h.  The producer fills the
 * buffers of a ring in turn; a buffer is handed back only once the worker
 * is done with it, and the one the producer handed over last stays
 * untouched until the next is taken, so libarchive may go on reading it. */
#include "store/store-internal.h"

#include <pthread.h>

#include "lib/xalloc.h"

#define SINK_BUFS 4

struct store_sink {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        char *bufs[SINK_BUFS];
        size_t lens[SINK_BUFS];
        size_t buf_size;
        uint64_t pushed, done; /* buffers handed over, buffers finished */
        int closing, failed;
        struct box_err err; /* the worker's, read once failed is seen */
        struct sha256_ctx *sha;
        struct store_blob_writer *blob;
};

static void *sink_main(void *arg)
{
        struct store_sink *s = arg;
        int failed = 0;
        pthread_mutex_lock(&s->mu);
        for (;;) {
                while (s->done == s->pushed && !s->closing)
                        pthread_cond_wait(&s->cv, &s->mu);
                if (s->done == s->pushed)
                        break;
                size_t i = s->done % SINK_BUFS, n = s->lens[i];
                pthread_mutex_unlock(&s->mu);
                if (!failed) {
                        sha256_update(s->sha, s->bufs[i], n);
                        if (s->blob && store_blob_writer_write(s->blob, s->bufs[i], n, &s->err) < 0)
                                failed = 1;
                }
                pthread_mutex_lock(&s->mu);
                s->done++;
                s->failed = failed;
                pthread_cond_broadcast(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        return NULL;
}

int store_sink_start(struct sha256_ctx *sha, struct store_blob_writer *blob, size_t buf_size,
                     struct store_sink **ret, struct box_err *err)
{
        struct store_sink *s = xnew0(struct store_sink, 1);
        s->sha = sha;
        s->blob = blob;
        s->buf_size = buf_size;
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        for (size_t i = 0; i < SINK_BUFS; i++)
                s->bufs[i] = xmalloc(buf_size);
        int r = pthread_create(&s->thread, NULL, sink_main, s);
        if (r != 0) {
                for (size_t i = 0; i < SINK_BUFS; i++)
                        free(s->bufs[i]);
                free(s);
                return box_err_errno(err, r, "start the hashing thread");
        }
        *ret = s;
        return 0;
}

char *store_sink_buffer(struct store_sink *s)
{
        pthread_mutex_lock(&s->mu);
        while (s->pushed - s->done >= SINK_BUFS)
                pthread_cond_wait(&s->cv, &s->mu);
        char *b = s->bufs[s->pushed % SINK_BUFS];
        pthread_mutex_unlock(&s->mu);
        return b;
}

int store_sink_push(struct store_sink *s, size_t n, struct box_err *err)
{
        pthread_mutex_lock(&s->mu);
        s->lens[s->pushed % SINK_BUFS] = n;
        s->pushed++;
        int failed = s->failed;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (failed) {
                *err = s->err;
                return -err->code;
        }
        return 0;
}

int store_sink_finish(struct store_sink *s, struct box_err *err)
{
        if (!s)
                return 0;
        pthread_mutex_lock(&s->mu);
        s->closing = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        int r = 0;
        if (s->failed) {
                if (err)
                        *err = s->err;
                r = -s->err.code;
        }
        for (size_t i = 0; i < SINK_BUFS; i++)
                free(s->bufs[i]);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return r;
}

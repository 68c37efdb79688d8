/* A worker thread that hashes (and saves as a blob) a layer's raw stream
 * behind the reader: see store/store-internal.h.  The producer fills the
 * slots of a ring in turn, each with a buffer of the sink's or a run its
 * source lent (struct store_lender); a slot is handed back only once the
 * worker is done with it, and the one the producer handed over last stays
 * untouched until the next is taken, so libarchive may go on reading it.
 * Lent runs go back to their source in the same order, under that rule. */
#include "store/store-internal.h"

#include <pthread.h>

#include "lib/xalloc.h"

#define SINK_BUFS 4

struct store_sink {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        char *bufs[SINK_BUFS];       /* the sink's own, allocated on first use */
        const char *data[SINK_BUFS]; /* what a slot holds: bufs[i] or a lent run */
        size_t lens[SINK_BUFS];
        bool lent[SINK_BUFS];
        size_t buf_size;
        uint64_t pushed, done; /* slots handed over, slots finished */
        uint64_t released;     /* slots given back (lent runs to their source) */
        int closing, failed;
        struct box_err err; /* the worker's, read once failed is seen */
        struct sha256_ctx *sha;
        struct store_blob_writer *blob;
        const struct store_lender *lender;
};

/* With the lock held: gives back what neither side needs any more, all of
 * it once the worker has ended. */
static void sink_release(struct store_sink *s, int all)
{
        uint64_t upto = s->pushed && !all && s->pushed - 1 < s->done ? s->pushed - 1 : s->done;
        for (; s->released < upto; s->released++) {
                size_t i = s->released % SINK_BUFS;
                if (s->lent[i])
                        s->lender->release(s->lender->userdata, s->data[i], s->lens[i]);
                s->lent[i] = false;
        }
}

static void *sink_main(void *arg)
{
        struct store_sink *s = arg;
        pthread_setname_np(pthread_self(), "box-hash"); /* for perf and top */
        int failed = 0;
        pthread_mutex_lock(&s->mu);
        for (;;) {
                while (s->done == s->pushed && !s->closing)
                        pthread_cond_wait(&s->cv, &s->mu);
                if (s->done == s->pushed)
                        break;
                size_t i = s->done % SINK_BUFS, n = s->lens[i];
                const char *d = s->data[i];
                pthread_mutex_unlock(&s->mu);
                if (!failed) {
                        sha256_update(s->sha, d, n);
                        if (s->blob && store_blob_writer_write(s->blob, d, n, &s->err) < 0)
                                failed = 1;
                }
                pthread_mutex_lock(&s->mu);
                s->done++;
                s->failed = failed;
                sink_release(s, 0);
                pthread_cond_broadcast(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        return NULL;
}

int store_sink_start(struct sha256_ctx *sha, struct store_blob_writer *blob, size_t buf_size,
                     const struct store_lender *lender, struct store_sink **ret,
                     struct box_err *err)
{
        struct store_sink *s = xnew0(struct store_sink, 1);
        s->sha = sha;
        s->blob = blob;
        s->buf_size = buf_size;
        s->lender = lender;
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        int r = pthread_create(&s->thread, NULL, sink_main, s);
        if (r != 0) {
                pthread_cond_destroy(&s->cv);
                pthread_mutex_destroy(&s->mu);
                free(s);
                return box_err_errno(err, r, "start the hashing thread");
        }
        *ret = s;
        return 0;
}

/* With the lock held: waits for a free slot and returns its index. */
static size_t sink_slot(struct store_sink *s)
{
        while (s->pushed - s->done >= SINK_BUFS)
                pthread_cond_wait(&s->cv, &s->mu);
        return s->pushed % SINK_BUFS;
}

char *store_sink_buffer(struct store_sink *s)
{
        pthread_mutex_lock(&s->mu);
        size_t i = sink_slot(s);
        if (!s->bufs[i])
                s->bufs[i] = xmalloc(s->buf_size);
        char *b = s->bufs[i];
        pthread_mutex_unlock(&s->mu);
        return b;
}

static int sink_push(struct store_sink *s, const char *data, size_t n, bool lent,
                     struct box_err *err)
{
        pthread_mutex_lock(&s->mu);
        size_t i = sink_slot(s);
        s->data[i] = data ? data : s->bufs[i];
        s->lens[i] = n;
        s->lent[i] = lent;
        s->pushed++;
        sink_release(s, 0);
        int failed = s->failed;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (failed) {
                *err = s->err;
                return -err->code;
        }
        return 0;
}

int store_sink_push(struct store_sink *s, size_t n, struct box_err *err)
{
        return sink_push(s, NULL, n, false, err);
}

int store_sink_push_lent(struct store_sink *s, const void *p, size_t n, struct box_err *err)
{
        return sink_push(s, p, n, true, err);
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
        sink_release(s, 1);
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

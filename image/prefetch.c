/* The read-ahead thread behind image/prefetch.h: a ring buffer guarded by a
 * mutex, one producer (the thread) and one consumer. */
#include "image/prefetch.h"

#include <pthread.h>

#include "image/tar.h"
#include "lib/xalloc.h"

#define RING  (8u << 20)
#define CHUNK (1u << 20)

struct image_prefetch {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t changed;
        store_read_fn read;
        void *ud;
        char *ring;
        size_t head, len; /* data at ring[head .. head+len) modulo RING */
        size_t lent;      /* at head, handed out by image_prefetch_lend() */
        int eof, failed, stop;
        struct box_err err; /* the producer's, handed over when failed */
};

/* The producer reads straight into the free part of the ring and the
 * consumer copies out of the filled part, both outside the lock: the lock
 * guards only head and len, so neither side waits while the other copies,
 * and no byte is copied twice. */
static void *producer(void *arg)
{
        struct image_prefetch *p = arg;
        struct box_err err = {0};
        struct image_decompressor *d = NULL;
        ssize_t n = image_decompressor_new(p->read, p->ud, &d, &err);
        for (;;) {
                size_t tail = 0, k = 0;
                pthread_mutex_lock(&p->mu);
                while (n >= 0 && p->len == RING && !p->stop)
                        pthread_cond_wait(&p->changed, &p->mu);
                int stop = p->stop;
                if (n >= 0 && !stop) {
                        tail = (p->head + p->len) % RING;
                        k = RING - p->len;
                        if (k > RING - tail)
                                k = RING - tail;
                        if (k > CHUNK)
                                k = CHUNK;
                }
                pthread_mutex_unlock(&p->mu);
                if (stop)
                        break;
                if (n >= 0)
                        n = image_decompressor_read(d, p->ring + tail, k, &err);
                pthread_mutex_lock(&p->mu);
                if (n <= 0) {
                        if (n < 0) {
                                p->failed = 1;
                                p->err = err;
                        }
                        p->eof = 1;
                        pthread_cond_broadcast(&p->changed);
                        pthread_mutex_unlock(&p->mu);
                        break;
                }
                p->len += (size_t)n;
                pthread_cond_broadcast(&p->changed);
                pthread_mutex_unlock(&p->mu);
        }
        image_decompressor_free(d);
        return NULL;
}

int image_prefetch_new(store_read_fn read, void *userdata, struct image_prefetch **ret,
                       struct box_err *err)
{
        struct image_prefetch *p = xnew0(struct image_prefetch, 1);
        p->read = read;
        p->ud = userdata;
        p->ring = xmalloc(RING);
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->changed, NULL);
        int r = pthread_create(&p->thread, NULL, producer, p);
        if (r != 0) {
                pthread_cond_destroy(&p->changed);
                pthread_mutex_destroy(&p->mu);
                free(p->ring);
                free(p);
                return box_err_errno(err, r, "start read-ahead thread");
        }
        *ret = p;
        return 0;
}

/* Waits for bytes; with the lock held, the run at head (at most N) that
 * the caller may copy or lend, or 0 at the end (-errno on failure). */
static ssize_t wait_run(struct image_prefetch *p, size_t n, struct box_err *err)
{
        if (p->lent) { /* the previous loan is over */
                p->head = (p->head + p->lent) % RING;
                p->len -= p->lent;
                p->lent = 0;
                pthread_cond_broadcast(&p->changed);
        }
        while (p->len == 0 && !p->eof)
                pthread_cond_wait(&p->changed, &p->mu);
        if (p->len == 0) {
                if (!p->failed)
                        return 0;
                if (err)
                        *err = p->err;
                return -(p->err.code ? p->err.code : EIO);
        }
        size_t k = p->len < n ? p->len : n;
        if (k > RING - p->head)
                k = RING - p->head;
        return (ssize_t)k;
}

ssize_t image_prefetch_read(void *prefetch, void *buf, size_t n, struct box_err *err)
{
        struct image_prefetch *p = prefetch;
        pthread_mutex_lock(&p->mu);
        ssize_t k = wait_run(p, n, err);
        size_t head = p->head;
        pthread_mutex_unlock(&p->mu);
        if (k <= 0)
                return k;
        /* the producer leaves [head, head + k) alone until len drops */
        memcpy(buf, p->ring + head, (size_t)k);
        pthread_mutex_lock(&p->mu);
        p->head = (head + (size_t)k) % RING;
        p->len -= (size_t)k;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        return k;
}

ssize_t image_prefetch_lend(void *prefetch, const void **ret, struct box_err *err)
{
        struct image_prefetch *p = prefetch;
        pthread_mutex_lock(&p->mu);
        ssize_t k = wait_run(p, CHUNK, err);
        if (k > 0) {
                *ret = p->ring + p->head;
                p->lent = (size_t)k;
        }
        pthread_mutex_unlock(&p->mu);
        return k;
}

void image_prefetch_free(struct image_prefetch *p)
{
        if (!p)
                return;
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->mu);
        free(p->ring);
        free(p);
}

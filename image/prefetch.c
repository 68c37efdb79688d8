/* The read-ahead thread behind image/prefetch.h: a ring buffer guarded by a
 * mutex, one producer (the thread) and one consumer.  Positions count bytes
 * from the start of the stream (so they never wrap); a position's byte is
 * at ring[pos % RING]. */
#include "image/prefetch.h"

#include <pthread.h>

#include "image/tar.h"
#include "lib/xalloc.h"

#define RING  (8u << 20)
#define CHUNK (1u << 20)
#define SNIFF 6 /* the longest magic number below */

struct image_prefetch {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t changed;
        store_read_fn read;
        void *ud;
        char *ring;
        /* wr: the producer's end; rd: the consumer's next byte; loan: the
         * start of the run lent last (rd when none is out) */
        uint64_t wr, rd, loan;
        int hold;          /* image_prefetch_hold(): lent runs stay past the loan */
        uint64_t released; /* while holding, bytes from here on stay */
        int eof, failed, stop;
        struct box_err err; /* the producer's, handed over when failed */
};

/* Bytes before this position may be overwritten. */
static uint64_t free_pos(const struct image_prefetch *p)
{
        return p->hold && p->released < p->loan ? p->released : p->loan;
}

/* The first bytes of the source, read to tell whether it is compressed and
 * handed out again before the rest. */
struct sniffed {
        store_read_fn read;
        void *ud;
        unsigned char head[SNIFF];
        size_t n, off;
};

static ssize_t sniffed_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        struct sniffed *s = ud;
        size_t k = 0;
        if (s->off < s->n) {
                k = s->n - s->off < n ? s->n - s->off : n;
                memcpy(buf, s->head + s->off, k);
                s->off += k;
        }
        if (k == n)
                return (ssize_t)k;
        /* the rest of the request from the source: a whole first chunk
         * keeps the ring's runs where the archive's blocks are */
        ssize_t r = s->read(s->ud, (char *)buf + k, n - k, err);
        return r < 0 ? r : (ssize_t)k + r;
}

static ssize_t sniff(struct sniffed *s, struct box_err *err)
{
        while (s->n < SNIFF) {
                ssize_t r = s->read(s->ud, s->head + s->n, SNIFF - s->n, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                s->n += (size_t)r;
        }
        return (ssize_t)s->n;
}

/* Could the decompressors (gzip, zstd, xz, bzip2) take the stream that
 * starts with HEAD?  Any other stream is passed through as it is read,
 * without a copy through libarchive's buffers (the common docker-archive
 * is a plain tar).  An empty one still goes to libarchive, which words
 * its refusal. */
static bool maybe_compressed(const unsigned char *head, size_t n)
{
        static const struct {
                const char *magic;
                size_t len;
        } magics[] = {
                {"\x1f\x8b", 2},
                {"\x28\xb5\x2f\xfd", 4},
                {"\xfd"
                 "7zXZ\0",
                 6},
                {"BZh", 3},
        };
        if (n == 0)
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
                if (memcmp(head, magics[i].magic, n < magics[i].len ? n : magics[i].len) == 0)
                        return true;
        return false;
}

/* The producer reads straight into the free part of the ring and the
 * consumer copies out of (or borrows) the filled part, both outside the
 * lock: the lock guards only the positions, so neither side waits while
 * the other copies, and no byte is copied twice. */
static void *producer(void *arg)
{
        struct image_prefetch *p = arg;
        pthread_setname_np(pthread_self(), "box-readahead"); /* for perf and top */
        struct box_err err = {0};
        struct sniffed s = {.read = p->read, .ud = p->ud};
        struct image_decompressor *d = NULL;
        ssize_t n = sniff(&s, &err);
        bool plain = n >= 0 && !maybe_compressed(s.head, s.n);
        if (n >= 0 && !plain)
                n = image_decompressor_new(sniffed_read, &s, &d, &err);
        for (;;) {
                size_t tail = 0, k = 0;
                pthread_mutex_lock(&p->mu);
                while (n >= 0 && p->wr - free_pos(p) == RING && !p->stop)
                        pthread_cond_wait(&p->changed, &p->mu);
                int stop = p->stop;
                if (n >= 0 && !stop) {
                        tail = p->wr % RING;
                        k = RING - (size_t)(p->wr - free_pos(p));
                        if (k > RING - tail)
                                k = RING - tail;
                        if (k > CHUNK)
                                k = CHUNK;
                }
                pthread_mutex_unlock(&p->mu);
                if (stop)
                        break;
                if (n >= 0)
                        n = plain ? sniffed_read(&s, p->ring + tail, k, &err)
                                  : image_decompressor_read(d, p->ring + tail, k, &err);
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
                p->wr += (uint64_t)n;
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

/* Waits for bytes; with the lock held, the length of the run at rd (at
 * most N) that the caller may copy or borrow, or 0 at the end (-errno on
 * failure). */
static ssize_t wait_run(struct image_prefetch *p, size_t n, struct box_err *err)
{
        if (p->loan != p->rd) { /* the previous loan is over */
                p->loan = p->rd;
                pthread_cond_broadcast(&p->changed);
        }
        while (p->wr == p->rd && !p->eof)
                pthread_cond_wait(&p->changed, &p->mu);
        if (p->wr == p->rd) {
                if (!p->failed)
                        return 0;
                if (err)
                        *err = p->err;
                return -(p->err.code ? p->err.code : EIO);
        }
        size_t k = p->wr - p->rd < n ? (size_t)(p->wr - p->rd) : n;
        if (k > RING - p->rd % RING)
                k = RING - p->rd % RING;
        return (ssize_t)k;
}

ssize_t image_prefetch_read(void *prefetch, void *buf, size_t n, struct box_err *err)
{
        struct image_prefetch *p = prefetch;
        pthread_mutex_lock(&p->mu);
        ssize_t k = wait_run(p, n, err);
        uint64_t at = p->rd;
        pthread_mutex_unlock(&p->mu);
        if (k <= 0)
                return k;
        /* the producer leaves [at, at + k) alone until loan passes it */
        memcpy(buf, p->ring + at % RING, (size_t)k);
        pthread_mutex_lock(&p->mu);
        p->rd = p->loan = at + (uint64_t)k;
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
                *ret = p->ring + p->rd % RING;
                p->rd += (uint64_t)k;
        }
        pthread_mutex_unlock(&p->mu);
        return k;
}

void image_prefetch_hold(struct image_prefetch *p, bool on)
{
        pthread_mutex_lock(&p->mu);
        p->hold = on;
        p->released = p->loan;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
}

bool image_prefetch_owns(const struct image_prefetch *p, const void *b, size_t n)
{
        const char *c = b;
        return c >= p->ring && c <= p->ring + RING && n <= (size_t)(p->ring + RING - c);
}

void image_prefetch_release(struct image_prefetch *p, const void *b, size_t n)
{
        if (!image_prefetch_owns(p, b, n))
                return;
        pthread_mutex_lock(&p->mu);
        /* B's position: the first at or after released with its address */
        uint64_t off = (uint64_t)((const char *)b - p->ring);
        uint64_t start = p->released + (off + RING - p->released % RING) % RING;
        if (p->hold && start + n <= p->rd) {
                p->released = start + n;
                pthread_cond_broadcast(&p->changed);
        }
        pthread_mutex_unlock(&p->mu);
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

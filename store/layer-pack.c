/* Packing a directory into a layer: libarchive writes the tar, zlib
 * compresses it, both hashed on the way, in one pass.
 *
 * Names are bytes: the tar writer runs under the "C" locale, where a name
 * that is not ASCII cannot be converted to UTF-8, so libarchive stores it
 * as it is on disk in a pax header marked hdrcharset=BINARY (and says so
 * with a warning, which is expected).  ASCII names take plain ustar
 * headers as before; no digest depends on the host's locale.  The tree is walked without recursion, one directory
 * fd open at a time, so its depth costs heap, not stack or fds; a path
 * longer than STORE_PATH_MAX is refused, since nothing could unpack it.
 *
 * Error paths: once anything failed, the tar writer is freed first (its
 * end-of-archive blocks are dropped by write_cb), then the compressor is
 * stopped and its buffers freed, then the blob is discarded. */
#include "store/store-internal.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>

#include "lib/archive-dl.h"
#include "lib/c-locale.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* The tar goes to a second thread in 1 MiB chunks through a small ring:
 * compressed, reading and hashing the files overlaps with deflate; plain
 * (a build step's layer), with hashing and writing the blob, so the
 * thread that reads the tree does nothing else (a layer of 100 MB: the
 * SHA-256 and the page-cache copies of the blob off the reading core).  A
 * plain layer starts the thread only when its first chunk is full: a small
 * one is hashed and written at the end, with no thread. */
#define ZCHUNK  (1 << 20)
#define ZCHUNKS 4
#define ZBUF    (1 << 18)
#define READBUF (1 << 16)

struct zpipe {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        unsigned char *bufs[ZCHUNKS];
        size_t lens[ZCHUNKS];
        size_t head, tail, count; /* the producer fills bufs[head], the worker drains bufs[tail] */
        bool eof, failed, started, ready;
        struct box_err err; /* the worker's */
};

/* Hard links: (dev, ino) -> the first path, open addressing. */
struct link {
        dev_t dev;
        ino_t ino;
        char *path; /* NULL: an empty slot */
};

/* A directory packed into a layer that it then becomes (the upper dir of a
 * build step) must be on disk before the rename, as an unpacked blob is;
 * whoever wrote it did not sync it (a RUN step's syncs are answered
 * without syncing, run_spec.no_sync).  Each fsync is a flush of the disk's
 * cache (~0.2-1 ms here), a syncfs one flush for everything but it also
 * waits for every other writer's dirty data on the file system.  So: the
 * files and directories of a small layer (at most PACK_SYNC_EACH_MAX
 * entries) are remembered as they are read, and at the end the layer and
 * its blob take one syncfs when the host has little dirty data besides
 * the layer's own (PACK_SYNCFS_OTHER_MAX, /proc/meminfo), else one fsync
 * each; a larger layer, or one with an entry an fsync cannot reach (a
 * symlink, a device, a whiteout), always one syncfs.  A small build went
 * from 16 syncs to 7 (the blobs' directory: store/index.c). */
enum pack_sync { PACK_SYNC_NONE, PACK_SYNC_EACH, PACK_SYNC_FS };
#define PACK_SYNC_EACH_MAX    16
#define PACK_SYNCFS_OTHER_MAX (4 << 20)

struct pack {
        struct zpipe zp;
        struct store_blob_writer *blob;
        struct sha256_ctx *tar_sha;
        uint64_t tar_size;
        z_stream z;
        bool z_ready;
        int compress;
        unsigned char *zbuf;
        char *readbuf;
        struct box_err *err;
        int failed;   /* write_cb failed; err holds why */
        bool aborted; /* an error path: write_cb drops everything */
        int64_t clamp;
        struct link *links;
        size_t links_cap, n_links;
        enum pack_sync sync;
        size_t n_synced;
        int sync_fds[PACK_SYNC_EACH_MAX]; /* PACK_SYNC_EACH: what to fsync, dups */
        struct archive *a; /* libarchive's writer, opened for the first entry that needs it */
        bool lib_entry;    /* the entry being written is libarchive's */
        bool lib_only;     /* every entry through libarchive (opts->tar_libarchive) */
        size_t own_pad;    /* the padding box's own entry ends with */
        size_t entries;
        bool live; /* opts->live */
};

/* Whether error -R of reading an entry means that it went away while a
 * live tree was read: then it is left out. */
static bool pack_gone(struct pack *p, int r)
{
        if (!p->live || (r != -ENOENT && r != -ENOTDIR && r != -ELOOP))
                return false;
        box_err_clear(p->err);
        return true;
}

static int deflate_out(struct pack *p, int flush, struct box_err *err)
{
        do {
                p->z.next_out = p->zbuf;
                p->z.avail_out = ZBUF;
                int r = deflate(&p->z, flush);
                if (r == Z_STREAM_ERROR)
                        return box_err_set(err, EIO, "compress: zlib error");
                size_t n = ZBUF - p->z.avail_out;
                if (n && store_blob_writer_write(p->blob, p->zbuf, n, err) < 0)
                        return -err->code;
        } while (p->z.avail_out == 0);
        return 0;
}

/* A plain layer's chunk: hashed (the blob's digest is the diff_id) and
 * written. */
static int raw_out(struct pack *p, const unsigned char *buf, size_t n, struct box_err *err)
{
        sha256_update(p->tar_sha, buf, n);
        return store_blob_writer_write(p->blob, buf, n, err);
}

static void *zworker(void *arg)
{
        struct pack *p = arg;
        struct zpipe *z = &p->zp;
        for (;;) {
                pthread_mutex_lock(&z->mu);
                while (z->count == 0 && !z->eof)
                        pthread_cond_wait(&z->cv, &z->mu);
                if (z->count == 0) { /* eof, all drained */
                        pthread_mutex_unlock(&z->mu);
                        break;
                }
                size_t i = z->tail;
                bool skip = z->failed;
                pthread_mutex_unlock(&z->mu);

                int r = 0;
                if (!skip && p->compress) {
                        p->z.next_in = z->bufs[i];
                        p->z.avail_in = (uInt)z->lens[i];
                        r = deflate_out(p, Z_NO_FLUSH, &z->err);
                } else if (!skip) {
                        r = raw_out(p, z->bufs[i], z->lens[i], &z->err);
                }
                pthread_mutex_lock(&z->mu);
                if (r < 0)
                        z->failed = true;
                z->tail = (z->tail + 1) % ZCHUNKS;
                z->count--;
                pthread_cond_broadcast(&z->cv);
                pthread_mutex_unlock(&z->mu);
        }
        pthread_mutex_lock(&z->mu);
        bool skip = z->failed || !p->compress;
        pthread_mutex_unlock(&z->mu);
        if (!skip && deflate_out(p, Z_FINISH, &z->err) < 0) {
                pthread_mutex_lock(&z->mu);
                z->failed = true;
                pthread_mutex_unlock(&z->mu);
        }
        return NULL;
}

/* The ring, before the first byte: the producer fills bufs[0] at once. */
static void zpipe_init(struct pack *p)
{
        struct zpipe *z = &p->zp;
        pthread_mutex_init(&z->mu, NULL);
        pthread_cond_init(&z->cv, NULL);
        for (size_t i = 0; i < ZCHUNKS; i++)
                /* page-aligned: a chunk goes to an O_DIRECT blob as it is
                 * (store_blob_writer_direct()); mmap()ed, pages only when
                 * touched */
                if (posix_memalign((void **)&z->bufs[i], 4096, ZCHUNK) != 0)
                        z->bufs[i] = xmalloc(ZCHUNK);
        z->ready = true;
}

static int zpipe_start(struct pack *p, struct box_err *err)
{
        struct zpipe *z = &p->zp;
        /* the worker takes no signals: they belong to the thread that waits */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(&z->thread, NULL, zworker, p);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0)
                return box_err_set(err, r, "pack: start the packing thread");
        z->started = true;
        return 0;
}

/* Hands the filled chunk at head to the worker; waits while the ring is full. */
static int zpipe_push(struct pack *p)
{
        struct zpipe *z = &p->zp;
        pthread_mutex_lock(&z->mu);
        while (z->count == ZCHUNKS - 1 && !z->failed) /* keep one slot for filling */
                pthread_cond_wait(&z->cv, &z->mu);
        bool failed = z->failed;
        if (!failed) {
                z->head = (z->head + 1) % ZCHUNKS;
                z->count++;
                z->lens[z->head] = 0;
                pthread_cond_broadcast(&z->cv);
        }
        pthread_mutex_unlock(&z->mu);
        return failed ? -1 : 0;
}

/* Flushes the last chunk (when OK), lets the worker finish and reports its
 * error; then frees the ring.  Safe to call again, and after a failed start. */
static int zpipe_finish(struct pack *p, bool ok)
{
        struct zpipe *z = &p->zp;
        int r = 0;
        if (ok && z->ready && !z->started && z->lens[z->head] > 0) {
                /* a plain layer smaller than a chunk: no thread was needed */
                r = raw_out(p, z->bufs[z->head], z->lens[z->head], p->err);
                z->lens[z->head] = 0;
                ok = r >= 0;
        }
        if (z->started) {
                /* a push refused: the worker failed, and its error is the one */
                bool worker_err = false;
                if (ok && z->lens[z->head] > 0 && zpipe_push(p) < 0)
                        worker_err = true;
                ok = ok && !worker_err;
                pthread_mutex_lock(&z->mu);
                bool worker_failed = z->failed;
                if (!ok)
                        z->failed = true; /* the worker skips what is left */
                z->eof = true;
                pthread_cond_broadcast(&z->cv);
                pthread_mutex_unlock(&z->mu);
                pthread_join(z->thread, NULL);
                z->started = false;
                /* the worker is gone: its error can be read without the lock */
                if (worker_err || (ok && (worker_failed || z->failed))) {
                        *p->err = z->err;
                        r = -p->err->code;
                }
        }
        if (z->ready) {
                for (size_t i = 0; i < ZCHUNKS; i++) {
                        free(z->bufs[i]);
                        z->bufs[i] = NULL;
                }
                pthread_mutex_destroy(&z->mu);
                pthread_cond_destroy(&z->cv);
                z->ready = false;
        }
        return r;
}

static la_ssize_t write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        struct pack *p = ud;
        if (p->aborted || p->failed)
                return -1;
        if (p->compress)
                sha256_update(p->tar_sha, buf, n); /* else the worker's (raw_out) */
        p->tar_size += n;
        struct zpipe *z = &p->zp;
        const unsigned char *c = buf;
        size_t left = n;
        while (left > 0) {
                /* the producer owns bufs[head] until it pushes it */
                size_t room = ZCHUNK - z->lens[z->head];
                size_t k = left < room ? left : room;
                memcpy(z->bufs[z->head] + z->lens[z->head], c, k);
                z->lens[z->head] += k;
                c += k;
                left -= k;
                if (z->lens[z->head] == ZCHUNK && !z->started && zpipe_start(p, p->err) < 0) {
                        p->failed = 1;
                        return -1;
                }
                if (z->lens[z->head] == ZCHUNK && zpipe_push(p) < 0) {
                        /* the worker failed and stopped: its error is final */
                        pthread_mutex_lock(&z->mu);
                        *p->err = z->err;
                        pthread_mutex_unlock(&z->mu);
                        p->failed = 1;
                        return -1;
                }
        }
        return (la_ssize_t)n;
}

/* The archive's complaint, or what write_cb said when it was the cause. */
static int archive_fail(struct pack *p, const char *path)
{
        if (p->failed)
                return -p->err->code;
        const char *msg = p->a ? archive_error_string(p->a) : NULL;
        return box_err_set(p->err, EIO, "pack '%s': %s", path, msg ? msg : "write failed");
}

/* Any status but OK fails, except the warning that a name could not be
 * translated to UTF-8: the header was then written with the name's bytes
 * and hdrcharset=BINARY, which is the point.  Any other warning would mean
 * the entry differs from the file, and a layer is exact or nothing. */
static int write_header(struct pack *p, struct archive_entry *e, const char *path)
{
        int x = archive_write_header(p->a, e);
        if (x == ARCHIVE_OK)
                return 0;
        const char *msg = archive_error_string(p->a);
        /* libarchive's ARCHIVE_ERRNO_FILE_FORMAT is EILSEQ on Linux */
        if (x == ARCHIVE_WARN && !p->failed && archive_errno(p->a) == EILSEQ && msg &&
            startswith(msg, "Can't translate "))
                return 0;
        return archive_fail(p, path);
}

/* One entry of the layer, whichever writer writes it. */
struct tar_entry {
        const char *path; /* as stored: a directory's ends in '/' */
        char type;        /* ustar's typeflag: '0' file, '1' hard link, '2' symlink, ... */
        unsigned perm;
        int64_t uid, gid, size, mtime;
        long nsec;
        const char *link; /* a hard link's first path, a symlink's target */
        unsigned long major, minor;
        char **xattr_keys; /* sorted; the values in xattr_vals, xattr_lens */
        char **xattr_vals;
        size_t *xattr_lens;
        size_t n_xattrs;
};

static void tar_entry_release(struct tar_entry *t)
{
        for (size_t i = 0; i < t->n_xattrs; i++) {
                free(t->xattr_keys[i]);
                free(t->xattr_vals[i]);
        }
        free(t->xattr_keys);
        free(t->xattr_vals);
        free(t->xattr_lens);
}

static void set_times(struct pack *p, struct tar_entry *t, const struct stat *st)
{
        t->mtime = st->st_mtim.tv_sec;
        t->nsec = st->st_mtim.tv_nsec;
        if (p->clamp > 0 && t->mtime >= p->clamp) {
                t->mtime = p->clamp;
                t->nsec = 0;
        }
}

static bool ascii_only(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s & 0x80)
                        return false;
        return true;
}

/* Whether libarchive's restricted pax writer (archive_write_set_format_
 * pax_restricted) would write T as one ustar header and no extended one:
 * an ASCII path that fits the name field or splits at a '/' into a prefix
 * of at most 155 bytes and a name of at most 100, an ASCII link of at most
 * 100, ids and device numbers below 2^18, a size below 2^33, an mtime in
 * [0, 2^31 - 1), no xattrs.  Then the nanoseconds of the mtime are not
 * stored either.  *RET_PREFIX: the prefix's length, 0 when none. */
static bool tar_plain(const struct tar_entry *t, size_t *ret_prefix)
{
        size_t len = strlen(t->path);
        *ret_prefix = 0;
        if (!ascii_only(t->path) || t->n_xattrs > 0)
                return false;
        if (len > 100) {
                const char *s = strchr(t->path + len - 101, '/');
                if (s == t->path)
                        s = strchr(s + 1, '/');
                if (!s || s[1] == '\0' || s - t->path > 155)
                        return false;
                *ret_prefix = (size_t)(s - t->path);
        }
        if (t->link && (strlen(t->link) > 100 || !ascii_only(t->link)))
                return false;
        if (t->size >= INT64_C(1) << 33 || t->uid < 0 || t->uid >= 1 << 18 || t->gid < 0 ||
            t->gid >= 1 << 18)
                return false;
        if ((t->type == '3' || t->type == '4') && (t->major >= 1 << 18 || t->minor >= 1 << 18))
                return false;
        return t->mtime >= 0 && t->mtime < 0x7fffffff;
}

static void octal(unsigned char *f, int digits, uint64_t v)
{
        for (int i = digits; i-- > 0; v >>= 3)
                f[i] = (unsigned char)('0' + (v & 7));
}

/* The 512 bytes libarchive's ustar formatter writes for a plain entry
 * (numbers in octal, zero-padded; " \0" after mode, ids and devices; " "
 * after size and mtime; the checksum as six digits, NUL, space): a layer
 * packed by either writer has the same digest. */
static void ustar_header(const struct tar_entry *t, size_t prefix, unsigned char h[512])
{
        size_t len = strlen(t->path);
        memset(h, 0, 512);
        if (prefix) {
                memcpy(h + 345, t->path, prefix);
                memcpy(h, t->path + prefix + 1, len - prefix - 1);
        } else {
                memcpy(h, t->path, len);
        }
        static const struct {
                int off, digits;
                const char *end;
        } nums[] = {{100, 6, " "},  {108, 6, " "}, {116, 6, " "}, {124, 11, " "},
                    {136, 11, " "}, {329, 6, " "}, {337, 6, " "}};
        uint64_t vals[] = {t->perm & 07777,
                           (uint64_t)t->uid,
                           (uint64_t)t->gid,
                           t->type == '0' ? (uint64_t)t->size : 0,
                           (uint64_t)t->mtime,
                           t->type == '3' || t->type == '4' ? t->major : 0,
                           t->type == '3' || t->type == '4' ? t->minor : 0};
        for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
                octal(h + nums[i].off, nums[i].digits, vals[i]);
                h[nums[i].off + nums[i].digits] = (unsigned char)nums[i].end[0];
        }
        memset(h + 148, ' ', 8);
        h[156] = (unsigned char)t->type;
        if (t->link)
                memcpy(h + 157, t->link, strlen(t->link));
        memcpy(h + 257,
               "ustar\0"
               "00",
               8);
        unsigned sum = 0;
        for (size_t i = 0; i < 512; i++)
                sum += h[i];
        h[154] = '\0';
        octal(h + 148, 6, sum);
}

/* libarchive, loaded and opened on the first entry box does not write
 * itself; it writes through write_cb into the same stream. */
static int lib_open(struct pack *p)
{
        if (p->a)
                return 0;
        p->a = archive_write_new();
        archive_write_set_format_pax_restricted(p->a);
        archive_write_set_bytes_per_block(p->a, 0); /* no padding to 10 KiB blocks: like Docker */
        if (archive_write_open(p->a, p, NULL, write_cb, NULL) != ARCHIVE_OK)
                return box_err_set(p->err, EIO, "pack: %s", archive_error_string(p->a));
        return 0;
}

static struct archive_entry *tar_entry_to_archive(const struct tar_entry *t)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, t->path);
        archive_entry_set_uid(e, t->uid);
        archive_entry_set_gid(e, t->gid);
        archive_entry_set_perm(e, t->perm);
        archive_entry_set_mtime(e, t->mtime, t->nsec);
        for (size_t i = 0; i < t->n_xattrs; i++)
                archive_entry_xattr_add_entry(e, t->xattr_keys[i], t->xattr_vals[i],
                                              t->xattr_lens[i]);
        switch (t->type) {
        case '1':
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_hardlink(e, t->link);
                archive_entry_set_size(e, 0);
                break;
        case '2':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, t->link);
                break;
        case '3':
        case '4':
                archive_entry_set_filetype(e, t->type == '3' ? AE_IFCHR : AE_IFBLK);
                archive_entry_set_rdevmajor(e, t->major);
                archive_entry_set_rdevminor(e, t->minor);
                break;
        case '5':
                archive_entry_set_filetype(e, AE_IFDIR);
                break;
        case '6':
                archive_entry_set_filetype(e, AE_IFIFO);
                break;
        default:
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, t->size);
        }
        return e;
}

/* Writes T's header: box's own ustar header when libarchive would write
 * just that (tar_plain(), nearly every entry of a build step's layer), so
 * a layer of plain entries never loads libarchive (with libxml2, ICU and
 * libstdc++ behind it, 1.5-4 ms of a small build); libarchive's otherwise.
 * Either way the bytes are libarchive's (tests/unit/test-store-pack.c packs
 * trees both ways). */
static int emit_header(struct pack *p, const struct tar_entry *t)
{
        size_t prefix;
        p->entries++;
        if (!p->lib_only && tar_plain(t, &prefix)) {
                unsigned char h[512];
                ustar_header(t, prefix, h);
                p->lib_entry = false;
                p->own_pad = t->type == '0' ? (size_t)(-t->size & 511) : 0;
                return write_cb(NULL, p, h, sizeof(h)) < 0 ? archive_fail(p, t->path) : 0;
        }
        int r = lib_open(p);
        if (r < 0)
                return r;
        struct archive_entry *e = tar_entry_to_archive(t);
        r = write_header(p, e, t->path);
        archive_entry_free(e);
        p->lib_entry = true;
        return r;
}

static int emit_data(struct pack *p, const void *buf, size_t n, const char *path)
{
        if (p->lib_entry)
                return archive_write_data(p->a, buf, n) == (la_ssize_t)n ? 0
                                                                         : archive_fail(p, path);
        return write_cb(NULL, p, buf, n) < 0 ? archive_fail(p, path) : 0;
}

/* Ends the entry: its padding to 512 bytes, now, so that whichever writer
 * writes the next entry starts on a block. */
static int emit_end(struct pack *p, const char *path)
{
        static const char zeros[512];
        if (p->lib_entry)
                return archive_write_finish_entry(p->a) == ARCHIVE_OK ? 0 : archive_fail(p, path);
        size_t pad = p->own_pad;
        p->own_pad = 0;
        return pad ? emit_data(p, zeros, pad, path) : 0;
}

static int pack_xattrs(struct pack *p, int dfd, const char *name, const char *path,
                       struct tar_entry *t, int *opaque)
{
        char proc[64 + NAME_MAX + 1];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
        *opaque = 0;
        ssize_t n = llistxattr(proc, NULL, 0);
        if (n < 0 && (errno == ENOTSUP || errno == ENODATA))
                return 0;
        if (n < 0)
                return box_err_errno(p->err, errno, "pack: list xattrs of '%s'", path);
        if (n == 0)
                return 0;
        _cleanup_free_ char *list = xmalloc((size_t)n);
        n = llistxattr(proc, list, (size_t)n);
        if (n < 0)
                return box_err_errno(p->err, errno, "pack: list xattrs of '%s'", path);
        /* sorted, so equal trees give equal bytes */
        size_t nk = 0;
        for (char *k = list; k < list + n; k += strlen(k) + 1)
                nk++;
        _cleanup_free_ char **keys = xnew0(char *, nk + 1);
        nk = 0;
        for (char *k = list; k < list + n; k += strlen(k) + 1)
                keys[nk++] = k;
        strv_sort(keys);
        t->xattr_keys = xnew0(char *, nk);
        t->xattr_vals = xnew0(char *, nk);
        t->xattr_lens = xnew0(size_t, nk);
        for (size_t i = 0; i < nk; i++) {
                const char *k = keys[i];
                ssize_t vn = lgetxattr(proc, k, NULL, 0);
                if (vn < 0 && errno == ENODATA)
                        continue; /* removed since listed */
                if (vn < 0)
                        return box_err_errno(p->err, errno, "pack: read xattr '%s' of '%s'", k,
                                             path);
                _cleanup_free_ char *val = xmalloc((size_t)vn + 1);
                vn = lgetxattr(proc, k, val, (size_t)vn);
                if (vn < 0)
                        return box_err_errno(p->err, errno, "pack: read xattr '%s' of '%s'", k,
                                             path);
                if (streq(k, "trusted.overlay.opaque")) {
                        *opaque = vn == 1 && val[0] == 'y';
                        continue;
                }
                if (startswith(k, "trusted.overlay."))
                        continue; /* overlayfs bookkeeping, not content */
                t->xattr_keys[t->n_xattrs] = xstrdup(k);
                t->xattr_vals[t->n_xattrs] = TAKE_PTR(val);
                t->xattr_lens[t->n_xattrs++] = (size_t)vn;
        }
        return 0;
}

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
        uint64_t h = (uint64_t)ino * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)dev;
        return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The first path seen for (dev, ino), or NULL after remembering PATH for it. */
static const char *link_find_or_add(struct pack *p, dev_t dev, ino_t ino, const char *path)
{
        if (p->links_cap) {
                for (size_t i = link_hash(dev, ino, p->links_cap);;
                     i = (i + 1) & (p->links_cap - 1)) {
                        struct link *l = &p->links[i];
                        if (!l->path)
                                break;
                        if (l->dev == dev && l->ino == ino)
                                return l->path;
                }
        }
        if (2 * (p->n_links + 1) > p->links_cap) {
                size_t cap = p->links_cap ? 2 * p->links_cap : 64;
                struct link *v = xnew0(struct link, cap);
                for (size_t i = 0; i < p->links_cap; i++) {
                        struct link *l = &p->links[i];
                        if (!l->path)
                                continue;
                        size_t j = link_hash(l->dev, l->ino, cap);
                        while (v[j].path)
                                j = (j + 1) & (cap - 1);
                        v[j] = *l;
                }
                free(p->links);
                p->links = v;
                p->links_cap = cap;
        }
        size_t i = link_hash(dev, ino, p->links_cap);
        while (p->links[i].path)
                i = (i + 1) & (p->links_cap - 1);
        p->links[i] = (struct link){dev, ino, xstrdup(path)};
        p->n_links++;
        return NULL;
}

static int write_marker(struct pack *p, const char *path, const struct stat *st)
{
        struct tar_entry t = {.path = path, .type = '0'};
        set_times(p, &t, st);
        int r = emit_header(p, &t);
        return r < 0 ? r : emit_end(p, path);
}

static void pack_sync_drop(struct pack *p)
{
        for (size_t i = 0; i < p->n_synced && i < PACK_SYNC_EACH_MAX; i++)
                close(p->sync_fds[i]);
        p->n_synced = 0;
}

/* Remembers FD (borrowed) to be synced at the end, or gives up on single
 * fsyncs for one syncfs. */
static void pack_sync_fd(struct pack *p, int fd)
{
        if (p->sync != PACK_SYNC_EACH)
                return;
        int dup = fd >= 0 && p->n_synced < PACK_SYNC_EACH_MAX ? fcntl(fd, F_DUPFD_CLOEXEC, 3)
                                                              : -EBADF;
        if (dup < 0) {
                pack_sync_drop(p);
                p->sync = PACK_SYNC_FS;
                return;
        }
        p->sync_fds[p->n_synced++] = dup;
}

/* The host's dirty and in-flight page cache but OWN bytes (the layer's):
 * what a syncfs would wait for besides the layer.  SIZE_MAX: unknown. */
static double mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t dirty_besides(uint64_t own)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[128];
        uint64_t kb = 0;
        int seen = 0;
        while (f && seen < 2 && fgets(line, sizeof(line), f)) {
                unsigned long long v;
                if (sscanf(line, "Dirty: %llu kB", &v) == 1 ||
                    sscanf(line, "Writeback: %llu kB", &v) == 1) {
                        kb += v;
                        seen++;
                }
        }
        if (seen < 2)
                return SIZE_MAX;
        uint64_t bytes = kb * 1024;
        return bytes > own ? (size_t)(bytes - own) : 0;
}

/* Makes the layer's files and directories durable (PACK_SYNC_EACH or
 * PACK_SYNC_FS); *RET_BLOB_SYNCED when the blob, on the same file system,
 * was synced with them. */
static int pack_sync_finish(struct pack *p, int dfd, const char *dir, bool *ret_blob_synced)
{
        *ret_blob_synced = false;
        if (p->sync == PACK_SYNC_NONE)
                return 0;
        if (p->sync == PACK_SYNC_EACH && dirty_besides(p->tar_size) > PACK_SYNCFS_OTHER_MAX) {
                for (size_t i = 0; i < p->n_synced; i++)
                        if (fsync(p->sync_fds[i]) < 0)
                                return box_err_errno(p->err, errno, "pack: sync '%s'", dir);
                return 0;
        }
        if (syncfs(dfd) < 0)
                return box_err_errno(p->err, errno, "pack: sync '%s'", dir);
        *ret_blob_synced = true;
        return 0;
}

/* Reading a file or directory just written (a step's) would set its
 * atime (relatime: atime <= mtime), dirtying every inode of the layer
 * again for the sync to write out; the tar holds no atime.  O_NOATIME
 * needs the owner or CAP_FOWNER: without, an ordinary open. */
static int open_noatime(int dfd, const char *name, int flags)
{
        int fd = openat(dfd, name, flags | O_NOATIME);
        if (fd < 0 && errno == EPERM)
                fd = openat(dfd, name, flags);
        return fd;
}

static int pack_file_data(struct pack *p, int fd, const char *path, int64_t size)
{
        int64_t left = size;
        while (left > 0) {
                ssize_t n = RETRY_EINTR(read(fd, p->readbuf, READBUF));
                if (n < 0)
                        return box_err_errno(p->err, errno, "pack: read '%s'", path);
                if (n == 0 && p->live) {
                        /* the header said SIZE: keep it, as GNU tar does */
                        memset(p->readbuf, 0, READBUF);
                        n = left < READBUF ? (ssize_t)left : READBUF;
                }
                if (n == 0)
                        return box_err_set(p->err, EIO, "pack: '%s' shrank while packing", path);
                if (n > left)
                        n = (ssize_t)left; /* grew: the header said SIZE */
                int r = emit_data(p, p->readbuf, (size_t)n, path);
                if (r < 0)
                        return r;
                left -= n;
        }
        return 0;
}

/* Writes the entry NAME of directory DFD, as PATH.  *RET_DIR is set when it
 * is a directory to descend into (its header and opaque marker written),
 * with its stat in *RET_ST. */
static int pack_one(struct pack *p, int dfd, const char *name, const char *path, bool *ret_dir,
                    struct stat *ret_st)
{
        struct stat st;
        *ret_dir = false;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return pack_gone(p, -errno) ? 0
                                            : box_err_errno(p->err, errno, "pack: stat '%s'", path);

        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                /* an overlayfs whiteout -> OCI ".wh.NAME" */
                const char *slash = strrchr(path, '/');
                size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
                _cleanup_free_ char *wh = xasprintf("%.*s.wh.%s", (int)dl, path, name);
                pack_sync_fd(p, -EBADF);
                return write_marker(p, wh, &st);
        }

        struct tar_entry t = {
                .path = path, .uid = st.st_uid, .gid = st.st_gid, .perm = st.st_mode & 07777};
        _cleanup_free_ char *dir_path = NULL;
        char target[PATH_MAX + 1];
        _cleanup_close_ int fd = -EBADF;
        int r = 0, opaque = 0;
        set_times(p, &t, &st);
        r = pack_xattrs(p, dfd, name, path, &t, &opaque);
        if (r < 0) {
                if (pack_gone(p, r))
                        r = 0;
                goto out;
        }

        /* opened before its link is remembered, so that an entry gone by now
         * is never a hard link's target; never blocking, never a terminal,
         * and only the file stat saw: a live tree may have swapped in a FIFO
         * or a device node by now */
        if (S_ISREG(st.st_mode)) {
                struct stat fst;
                fd = open_noatime(dfd, name,
                                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd < 0) {
                        if (!pack_gone(p, -errno))
                                r = box_err_errno(p->err, errno, "pack: open '%s'", path);
                        goto out;
                }
                if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
                        if (!p->live)
                                r = box_err_set(p->err, EBUSY,
                                                "pack: '%s' changed while being packed", path);
                        goto out;
                }
        }

        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
                const char *first = link_find_or_add(p, st.st_dev, st.st_ino, path);
                if (first) {
                        t.type = '1';
                        t.link = first;
                        r = emit_header(p, &t);
                        if (r >= 0)
                                r = emit_end(p, path);
                        goto out;
                }
        }

        switch (st.st_mode & S_IFMT) {
        case S_IFREG: {
                t.type = '0';
                t.size = st.st_size;
                r = emit_header(p, &t);
                if (r >= 0)
                        r = pack_file_data(p, fd, path, st.st_size);
                if (r >= 0)
                        r = emit_end(p, path);
                pack_sync_fd(p, fd);
                break;
        }
        case S_IFDIR: {
                /* libarchive appends the '/' too: the same header either way */
                dir_path = xasprintf("%s/", path);
                t.path = dir_path;
                t.type = '5';
                r = emit_header(p, &t);
                if (r >= 0)
                        r = emit_end(p, path);
                if (r < 0)
                        break;
                if (opaque) {
                        _cleanup_free_ char *opq = xasprintf("%s/.wh..wh..opq", path);
                        r = write_marker(p, opq, &st);
                        if (r < 0)
                                break;
                }
                *ret_dir = true;
                *ret_st = st;
                break;
        }
        case S_IFLNK: {
                ssize_t n = readlinkat(dfd, name, target, sizeof(target));
                if (n < 0) {
                        if (!pack_gone(p, -errno))
                                r = box_err_errno(p->err, errno, "pack: readlink '%s'", path);
                        break;
                }
                if ((size_t)n >= sizeof(target)) {
                        r = box_err_set(p->err, ENAMETOOLONG, "pack: symlink '%s' is too long",
                                        path);
                        break;
                }
                target[n] = '\0';
                t.type = '2';
                t.link = target;
                r = emit_header(p, &t);
                if (r >= 0)
                        r = emit_end(p, path);
                pack_sync_fd(p, -EBADF);
                break;
        }
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
                t.type = S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6';
                t.major = major(st.st_rdev);
                t.minor = minor(st.st_rdev);
                r = emit_header(p, &t);
                if (r >= 0)
                        r = emit_end(p, path);
                pack_sync_fd(p, -EBADF);
                break;
        default:
                break; /* sockets are not content */
        }
out:
        tar_entry_release(&t);
        return r;
}

/* The sorted entry names of directory FD (FD stays open and the caller's). */
static int list_dir(struct pack *p, int fd, const char *path, char ***ret, size_t *ret_n)
{
        _cleanup_closedir_ DIR *d = fs_opendir_dup(fd);
        if (!d)
                return box_err_errno(p->err, errno, "pack: open directory '%s'", path);
        char **v = NULL;
        int r = fs_dir_names(d, &v);
        if (r < 0)
                return box_err_errno(p->err, -r, "pack: read directory '%s'", path);
        *ret = v;
        *ret_n = strv_length(v);
        return 0;
}

/* One directory on the way down: its sorted names, the next to pack, and
 * its identity, checked when the walk comes back to it through "..". */
struct level {
        char **names;
        size_t n, next;
        size_t path_len; /* of the path to this directory, "" for the root */
        dev_t dev;
        ino_t ino;
};

static void level_release(struct level *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->names[i]);
        free(l->names);
        l->names = NULL;
}

/* Packs the tree under ROOTFD (borrowed) in sorted order, depth first,
 * without recursion: only the directory being read is open. */
static int pack_tree(struct pack *p, int rootfd)
{
        size_t depth = 0, cap = 8;
        struct level *lv = xnew0(struct level, cap);
        struct buf path = {0};
        struct stat st;
        int r;
        _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                r = box_err_errno(p->err, errno, "pack: open directory");
                goto out;
        }
        buf_puts(&path, "");
        if (fstat(fd, &st) < 0) {
                r = box_err_errno(p->err, errno, "pack: stat directory");
                goto out;
        }
        r = list_dir(p, fd, "", &lv[0].names, &lv[0].n);
        if (r < 0)
                goto out;
        lv[0].dev = st.st_dev;
        lv[0].ino = st.st_ino;
        pack_sync_fd(p, fd);
        depth = 1;
        while (depth > 0) {
                struct level *l = &lv[depth - 1];
                if (l->next == l->n) {
                        /* done with this directory: back to its parent */
                        level_release(l);
                        depth--;
                        if (depth == 0)
                                break;
                        struct level *up = &lv[depth - 1];
                        int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (pfd < 0) {
                                r = box_err_errno(p->err, errno, "pack: open '%s/..'", path.data);
                                goto out;
                        }
                        close(fd);
                        fd = pfd;
                        if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
                                r = box_err_set(p->err, EBUSY,
                                                "pack: '%s' was moved while being packed",
                                                path.data);
                                goto out;
                        }
                        path.len = up->path_len;
                        path.data[path.len] = '\0';
                        continue;
                }
                const char *name = l->names[l->next++];
                size_t base = path.len;
                if (base)
                        buf_putc(&path, '/');
                buf_puts(&path, name);
                if (path.len > STORE_PATH_MAX) {
                        r = box_err_set(p->err, ENAMETOOLONG,
                                        "pack: path '%.48s...' is %zu bytes long, more than the "
                                        "%d a layer may hold",
                                        path.data, path.len, STORE_PATH_MAX);
                        goto out;
                }
                bool is_dir;
                r = pack_one(p, fd, name, path.data, &is_dir, &st);
                if (r < 0)
                        goto out;
                if (!is_dir) {
                        path.len = base;
                        path.data[base] = '\0';
                        continue;
                }
                int cfd = open_noatime(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (pack_gone(p, -errno)) {
                                /* its header is written: it stays, empty */
                                path.len = base;
                                path.data[base] = '\0';
                                continue;
                        }
                        r = box_err_errno(p->err, errno, "pack: open '%s'", path.data);
                        goto out;
                }
                struct stat cst;
                if (fstat(cfd, &cst) < 0 || cst.st_dev != st.st_dev || cst.st_ino != st.st_ino) {
                        close(cfd);
                        if (p->live) {
                                /* replaced since its header: left empty */
                                path.len = base;
                                path.data[base] = '\0';
                                continue;
                        }
                        r = box_err_set(p->err, EBUSY, "pack: '%s' changed while being packed",
                                        path.data);
                        goto out;
                }
                if (depth == cap) {
                        cap *= 2;
                        lv = xreallocarray(lv, cap, sizeof(*lv));
                }
                struct level *down = &lv[depth];
                memset(down, 0, sizeof(*down));
                r = list_dir(p, cfd, path.data, &down->names, &down->n);
                if (r < 0) {
                        close(cfd);
                        goto out;
                }
                pack_sync_fd(p, cfd);
                down->path_len = path.len;
                down->dev = cst.st_dev;
                down->ino = cst.st_ino;
                depth++;
                close(fd);
                fd = cfd;
        }
        r = 0;
out:
        for (size_t i = 0; i < depth; i++)
                level_release(&lv[i]);
        free(lv);
        buf_release(&path);
        return r;
}

static int gzip_init(z_stream *z)
{
        /* windowBits 16+15: a gzip wrapper; zlib writes mtime 0 and no name */
        return deflateInit2(z, Z_BEST_SPEED, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
}

int store_blob_gzip(struct store *st, const char *digest, digest_str ret_digest, uint64_t *ret_size,
                    struct box_err *err)
{
        int r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = -EBADF;
        r = store_blob_open(st, digest, &fd, err);
        if (r < 0)
                return r;
        struct pack p = {.err = err};
        r = store_blob_writer_new(st, &p.blob, err);
        if (r < 0)
                return r;
        if (gzip_init(&p.z) != Z_OK) {
                store_blob_writer_abort(p.blob);
                return box_err_set(err, ENOMEM, "compress: start zlib");
        }
        p.zbuf = xmalloc(ZBUF);
        _cleanup_free_ char *in = xmalloc(ZCHUNK);
        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, in, ZCHUNK));
                if (n < 0) {
                        r = box_err_errno(err, errno, "read blob %s", digest);
                        break;
                }
                p.z.next_in = (unsigned char *)in;
                p.z.avail_in = (uInt)n;
                r = deflate_out(&p, n ? Z_NO_FLUSH : Z_FINISH, err);
                if (r < 0 || n == 0)
                        break;
        }
        deflateEnd(&p.z);
        free(p.zbuf);
        if (r < 0) {
                store_blob_writer_abort(p.blob);
                return box_err_prefix(err, "compress blob %s", digest);
        }
        return store_blob_writer_commit(p.blob, NULL, ret_digest, ret_size, err);
}

/* keep_dir: the layer is unpacked from its new blob, when missing. */
static int unpack_new_blob(struct store *st, const struct store_layer_info *info,
                           struct box_err *err)
{
        if (store_layer_exists(st, info->diff_id))
                return 0;
        _cleanup_close_ int fd = -EBADF;
        int r = store_blob_open(st, info->digest, &fd, err);
        if (r < 0)
                return r;
        struct store_layer_unpack_opts uo = {.expect_digest = info->digest,
                                             .expect_diff_id = info->diff_id};
        return store_layer_unpack_fd(st, fd, &uo, NULL, err);
}

/* The process's CPU time, user and system, all threads: during a pack,
 * its reading thread and its worker (a build runs nothing else then). */
static double cpu_s(void)
{
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void stats_fill(const struct pack *p, struct store_layer_pack_stats *stats, double t0,
                       double t1, double t2, double c0, bool synced)
{
        if (stats)
                *stats = (struct store_layer_pack_stats){
                        .cpu_s = cpu_s() - c0,
                        .tar_s = t1 - t0,
                        .sync_s = t2 - t1,
                        .publish_s = mono_s() - t2,
                        .bytes = p->tar_size,
                        .entries = p->entries,
                        .syncfs = synced,
                        .libarchive = p->a != NULL,
                };
}

int store_layer_pack_dir(struct store *st, const char *dir,
                         const struct store_layer_pack_opts *opts, struct store_layer_info *ret,
                         struct box_err *err)
{
        static const struct store_layer_pack_opts none;
        struct pack p = {.err = err};
        struct store_layer_info info = {0};
        _cleanup_free_ char *final = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (!opts)
                opts = &none;
        p.clamp = opts->clamp_mtime;
        p.compress = !opts->uncompressed;
        p.sync = opts->keep_dir ? PACK_SYNC_NONE : PACK_SYNC_EACH;
        p.live = opts->live;
        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        dfd = open_noatime(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(err, errno, "pack: open '%s'", dir);
        r = store_blob_writer_new(st, &p.blob, err);
        if (r < 0)
                return r;
        /* uncompressed, the blob is the tar: its digest is the diff_id,
         * hashed once in write_cb */
        if (!p.compress)
                store_blob_writer_skip_hash(p.blob);
        /* a blob synced at once with the layer (a build step's): past the
         * page cache, see store_blob_writer_direct() */
        if (p.sync != PACK_SYNC_NONE)
                store_blob_writer_direct(p.blob);
        locale_t old_locale = c_locale_enter();
        p.tar_sha = sha256_new();
        p.readbuf = xmalloc(READBUF);
        if (p.compress) {
                p.zbuf = xmalloc(ZBUF);
                if (gzip_init(&p.z) != Z_OK) {
                        r = box_err_set(err, ENOMEM, "pack: start zlib");
                        goto out;
                }
                p.z_ready = true;
        }
        zpipe_init(&p);
        if (p.compress) {
                r = zpipe_start(&p, err);
                if (r < 0)
                        goto out;
        }
        p.lib_only = opts->tar_libarchive;
        double t0 = mono_s(), t1 = 0, t2 = 0, c0 = cpu_s();
        r = pack_tree(&p, dfd);
        if (r < 0)
                goto out;
        if (p.a) {
                if (archive_write_close(p.a) != ARCHIVE_OK) {
                        r = archive_fail(&p, dir);
                        goto out;
                }
        } else {
                /* the end of the archive: two zero blocks, as libarchive's close */
                static const char end[1024];
                if (write_cb(NULL, &p, end, sizeof(end)) < 0) {
                        r = archive_fail(&p, dir);
                        goto out;
                }
        }
        r = zpipe_finish(&p, true);
        if (r < 0)
                goto out;
        sha256_final_str(TAKE_PTR(p.tar_sha), info.diff_id);
        bool blob_synced;
        r = store_blob_writer_flush(p.blob, err);
        if (r < 0)
                goto out;
        t1 = mono_s();
        r = pack_sync_finish(&p, dfd, dir, &blob_synced);
        t2 = mono_s();
        if (r < 0)
                goto out;
        if (blob_synced)
                store_blob_writer_synced(p.blob);
        r = store_blob_writer_commit(TAKE_PTR(p.blob), p.compress ? NULL : info.diff_id,
                                     info.digest, &info.size, err);
        if (r < 0)
                goto out;
        info.compression = p.compress ? STORE_COMPRESSION_GZIP : STORE_COMPRESSION_NONE;

        if (opts->keep_dir) {
                r = unpack_new_blob(st, &info, err);
                if (r < 0)
                        goto out;
                if (ret)
                        *ret = info;
                stats_fill(&p, opts->stats, t0, t1, t2, c0, blob_synced);
                goto out;
        }
        /* The directory becomes the unpacked layer. */
        final = xasprintf("%s/layers/%s", store_root(st), info.diff_id + 7);
        if (rename(dir, final) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY && errno != EXDEV) {
                        r = box_err_errno(err, errno, "publish layer %s", info.diff_id);
                        goto out;
                }
                if (errno == EXDEV && !store_layer_exists(st, info.diff_id)) {
                        r = box_err_set(err, EXDEV,
                                        "publish layer: '%s' is not on the store's file system",
                                        dir);
                        goto out;
                }
                /* the same layer is there: DIR is the caller's to remove */
        }
        free(store_layer_short_path(st, info.diff_id));
        if (ret)
                *ret = info;
        stats_fill(&p, opts->stats, t0, t1, t2, c0, blob_synced);
        r = 0;
out:
        /* The order matters: freeing the writer closes it, and a close
         * writes the end-of-archive blocks through write_cb into the
         * compressor's ring, so the ring must outlive the writer. */
        if (r < 0)
                p.aborted = true;
        if (p.a)
                archive_write_free(p.a);
        zpipe_finish(&p, false);
        if (p.z_ready)
                deflateEnd(&p.z);
        free(p.zbuf);
        free(p.readbuf);
        store_blob_writer_abort(p.blob);
        sha256_free(p.tar_sha);
        for (size_t i = 0; i < p.links_cap; i++)
                free(p.links[i].path);
        free(p.links);
        pack_sync_drop(&p);
        c_locale_leave(old_locale);
        return r;
}

#include "store/store-internal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

static const char *const layout_dirs[] = {
        "blobs", "blobs/sha256", "layers", "l", "tmp", "containers", "volumes",
};
/* the directories whose entries are trees unrelated to one another */
static const bool layout_spread[] = {false, false, true, false, true, true, false};
_Static_assert(sizeof(layout_spread) / sizeof(layout_spread[0]) ==
                       sizeof(layout_dirs) / sizeof(layout_dirs[0]),
               "one flag per layout directory");

int store_open(const char *root, struct store **ret, struct box_err *err)
{
        int r = fs_mkdir_p(root, 0700, err);
        if (r < 0)
                return box_err_prefix(err, "open store '%s'", root);
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open store '%s'", root);
        /* A new store's trees are spread over the disk's block groups: each
         * container's, layer's and build step's directories then land away
         * from files made and deleted beside the store.  ext4 without a
         * journal skips, from its group's start, every inode freed in the
         * last minutes when it makes one, so a container's start (the
         * kernel makes its overlay's work directories at each mount) cost
         * more with every file deleted near it: a mkdir took 230 us in a
         * group a test suite had just churned, 20 us in a quiet one. */
        bool fresh = faccessat(fd, "oci-layout", F_OK, 0) < 0;
        if (fresh)
                fs_dir_spread_at(fd, ".");
        for (size_t i = 0; i < ARRAY_SIZE(layout_dirs); i++) {
                if (mkdirat(fd, layout_dirs[i], 0700) < 0 && errno != EEXIST)
                        return box_err_errno(err, errno, "open store '%s': create '%s'", root,
                                             layout_dirs[i]);
                if (fresh && layout_spread[i])
                        fs_dir_spread_at(fd, layout_dirs[i]);
        }
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        if (fresh) {
                r = fs_write_atomic_at(fd, "oci-layout", layout, sizeof(layout) - 1, 0644, err);
                if (r < 0)
                        return box_err_prefix(err, "open store '%s'", root);
        }
        if (faccessat(fd, "index.json", F_OK, 0) < 0) {
                static const char idx[] = "{\"schemaVersion\":2,\"manifests\":[]}";
                r = fs_write_atomic_at(fd, "index.json", idx, sizeof(idx) - 1, 0644, err);
                if (r < 0)
                        return box_err_prefix(err, "open store '%s'", root);
        }
        int lfd = openat(fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lfd < 0)
                return box_err_errno(err, errno, "open store lock in '%s'", root);
        struct store *st = xnew0(struct store, 1);
        char *abs = realpath(root, NULL);
        st->root = abs ? abs : xstrdup(root);
        st->root_fd = TAKE_FD(fd);
        st->lock_fd = lfd;
        st->lock_mode = -1;
        *ret = st;
        return 0;
}

void store_close(struct store *st)
{
        if (!st)
                return;
        close(st->lock_fd);
        close(st->root_fd);
        free(st->root);
        free(st);
}

const char *store_root(const struct store *st)
{
        return st->root;
}

int store_root_fd(const struct store *st)
{
        return st->root_fd;
}

int store_lock(struct store *st, enum store_lock_mode mode, struct box_err *err)
{
        if (st->lock_mode == (int)mode)
                return 0;
        int op = mode == STORE_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH;
        if (RETRY_EINTR(flock(st->lock_fd, op)) < 0)
                return box_err_errno(err, errno, "lock store '%s'", st->root);
        st->lock_mode = (int)mode;
        return 0;
}

void store_unlock(struct store *st)
{
        if (st->lock_mode >= 0)
                flock(st->lock_fd, LOCK_UN);
        st->lock_mode = -1;
}

int store_index_lock(struct store *st, struct box_err *err)
{
        int fd = openat(st->root_fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return box_err_errno(err, errno, "open index lock");
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
                int e = errno;
                close(fd);
                return box_err_errno(err, e, "lock index");
        }
        return fd;
}

void store_index_unlock(struct store *st, int fd)
{
        (void)st;
        if (fd >= 0)
                close(fd);
}

/* ---- blobs ---- */

struct store_blob_writer {
        struct store *st;
        int fd;
        char *tmp;
        struct sha256_ctx *sha;
        uint64_t size;
        bool synced; /* store_blob_writer_synced() */
        bool direct; /* store_blob_writer_direct(): fd has O_DIRECT */
        char *stage; /* direct: the bytes short of a whole BLOB_DIO_ALIGN block */
        size_t staged;
};

/* O_DIRECT writes: offsets, lengths and buffers in whole blocks of this
 * (the page size, which covers any logical block size up to it) and the
 * staging buffer's size (a multiple of it). */
#define BLOB_DIO_ALIGN 4096
#define BLOB_DIO_STAGE (1 << 20)

/* The hex part of DIGEST for a path, or a name that no file in the store
 * has when DIGEST is not "sha256:<64 lowercase hex>": a digest that came
 * from an input never picks the path it reaches.  Callers validate first
 * and report the error; this is the backstop. */
static const char *hex_of(const char *digest)
{
        if (!digest || spec_digest_validate(digest, NULL) < 0)
                return ".invalid-digest";
        return digest + 7;
}

char *store_blob_path(struct store *st, const char *digest)
{
        return xasprintf("%s/blobs/sha256/%s", st->root, hex_of(digest));
}

static char *blob_rel(const char *digest)
{
        return xasprintf("blobs/sha256/%s", hex_of(digest));
}

int store_blob_writer_new(struct store *st, struct store_blob_writer **ret, struct box_err *err)
{
        char *tmp = xasprintf("tmp/blob-%d-%lx", getpid(), (unsigned long)random());
        int fd = openat(st->root_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                int e = errno;
                free(tmp);
                return box_err_errno(err, e, "create temporary blob");
        }
        struct store_blob_writer *w = xnew0(struct store_blob_writer, 1);
        w->st = st;
        w->fd = fd;
        w->tmp = tmp;
        w->sha = sha256_new();
        *ret = w;
        return 0;
}

/* Back to the page cache for the rest of W (a file system without
 * O_DIRECT, or the tail that is not a whole block). */
static void blob_direct_off(struct store_blob_writer *w)
{
        int fl = fcntl(w->fd, F_GETFL);
        if (fl >= 0)
                fcntl(w->fd, F_SETFL, fl & ~O_DIRECT);
        w->direct = false;
}

/* Writes whole blocks from P (aligned) with O_DIRECT; what the file
 * system refuses to take that way (EINVAL) goes through the page cache. */
static int blob_write_direct(struct store_blob_writer *w, const char *p, size_t n)
{
        while (n > 0 && w->direct) {
                ssize_t k = RETRY_EINTR(write(w->fd, p, n));
                if (k < 0 && errno == EINVAL) {
                        blob_direct_off(w);
                        break;
                }
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t)k;
                if ((size_t)k % BLOB_DIO_ALIGN)
                        blob_direct_off(w); /* a short write off the block size */
        }
        return n ? fs_write_full(w->fd, p, n) : 0;
}

static int blob_write(struct store_blob_writer *w, const char *p, size_t n)
{
        if (!w->direct)
                return fs_write_full(w->fd, p, n);
        /* whole aligned blocks straight from the caller's buffer */
        if (w->staged == 0 && ((uintptr_t)p % BLOB_DIO_ALIGN) == 0 && n >= BLOB_DIO_ALIGN) {
                size_t whole = n - n % BLOB_DIO_ALIGN;
                int r = blob_write_direct(w, p, whole);
                if (r < 0)
                        return r;
                p += whole;
                n -= whole;
        }
        while (n > 0) {
                if (!w->direct)
                        return fs_write_full(w->fd, p, n);
                size_t k = BLOB_DIO_STAGE - w->staged;
                if (k > n)
                        k = n;
                memcpy(w->stage + w->staged, p, k);
                w->staged += k;
                p += k;
                n -= k;
                if (w->staged == BLOB_DIO_STAGE) {
                        w->staged = 0;
                        int r = blob_write_direct(w, w->stage, BLOB_DIO_STAGE);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int store_blob_writer_write(struct store_blob_writer *w, const void *p, size_t n,
                            struct box_err *err)
{
        int r = blob_write(w, p, n);
        if (r < 0)
                return box_err_errno(err, -r, "write blob");
        if (w->sha)
                sha256_update(w->sha, p, n);
        w->size += n;
        return 0;
}

void store_blob_writer_direct(struct store_blob_writer *w)
{
        if (w->direct || w->size > 0)
                return;
        int fl = fcntl(w->fd, F_GETFL);
        if (fl < 0 || fcntl(w->fd, F_SETFL, fl | O_DIRECT) < 0)
                return; /* the file system has none: the page cache, as before */
        if (posix_memalign((void **)&w->stage, BLOB_DIO_ALIGN, BLOB_DIO_STAGE) != 0) {
                blob_direct_off(w);
                return;
        }
        w->direct = true;
}

int store_blob_writer_flush(struct store_blob_writer *w, struct box_err *err)
{
        if (!w->stage || w->staged == 0)
                return 0;
        size_t whole = w->direct ? w->staged - w->staged % BLOB_DIO_ALIGN : 0;
        int r = whole ? blob_write_direct(w, w->stage, whole) : 0;
        if (r >= 0) {
                blob_direct_off(w);
                r = fs_write_full(w->fd, w->stage + whole, w->staged - whole);
        }
        w->staged = 0;
        if (r < 0)
                return box_err_errno(err, -r, "write blob");
        return 0;
}

void store_blob_writer_synced(struct store_blob_writer *w)
{
        w->synced = true;
}

void store_blob_writer_skip_hash(struct store_blob_writer *w)
{
        sha256_free(w->sha);
        w->sha = NULL;
}

void store_blob_writer_abort(struct store_blob_writer *w)
{
        if (!w)
                return;
        close(w->fd);
        unlinkat(w->st->root_fd, w->tmp, 0);
        free(w->tmp);
        free(w->stage);
        sha256_free(w->sha);
        free(w);
}

int store_blob_writer_commit(struct store_blob_writer *w, const char *expect, digest_str ret_digest,
                             uint64_t *ret_size, struct box_err *err)
{
        digest_str d;
        if (w->staged && store_blob_writer_flush(w, err) < 0) {
                store_blob_writer_abort(w);
                return -err->code;
        }
        if (!w->sha) { /* store_blob_writer_skip_hash(): the caller hashed */
                if (!expect || spec_digest_validate(expect, NULL) < 0) {
                        store_blob_writer_abort(w);
                        return box_err_set(err, EINVAL, "commit blob: no digest");
                }
                snprintf(d, sizeof(d), "%s", expect);
        } else {
                sha256_final_str(w->sha, d);
                w->sha = NULL;
        }
        if (expect && !streq(expect, d)) {
                store_blob_writer_abort(w);
                return box_err_set(err, EBADMSG, "digest mismatch: expected %s, got %s", expect, d);
        }
        if (!w->synced && fsync(w->fd) < 0) {
                int e = errno;
                store_blob_writer_abort(w);
                return box_err_errno(err, e, "fsync blob");
        }
        _cleanup_free_ char *dst = blob_rel(d);
        if (renameat(w->st->root_fd, w->tmp, w->st->root_fd, dst) < 0) {
                int e = errno;
                store_blob_writer_abort(w);
                return box_err_errno(err, e, "commit blob %s", d);
        }
        /* the name is made durable before anything durable names it:
         * index.json's write syncs blobs/sha256 first (store/index.c), one
         * fsync for all of a build's or a load's blobs; a build cache
         * record, never synced, is checked against the blob on use */
        if (ret_digest)
                memcpy(ret_digest, d, sizeof(d));
        if (ret_size)
                *ret_size = w->size;
        close(w->fd);
        free(w->tmp);
        free(w->stage);
        free(w);
        return 0;
}

int store_blob_put(struct store *st, const void *p, size_t n, digest_str ret_digest,
                   struct box_err *err)
{
        digest_str d;
        sha256_buf(p, n, d);
        if (ret_digest)
                memcpy(ret_digest, d, sizeof(d));
        if (store_blob_exists(st, d))
                return 0;
        struct store_blob_writer *w;
        int r = store_blob_writer_new(st, &w, err);
        if (r < 0)
                return r;
        r = store_blob_writer_write(w, p, n, err);
        if (r < 0) {
                store_blob_writer_abort(w);
                return r;
        }
        return store_blob_writer_commit(w, d, NULL, NULL, err);
}

int store_blob_exists(struct store *st, const char *digest)
{
        if (spec_digest_validate(digest, NULL) < 0)
                return 0;
        _cleanup_free_ char *rel = blob_rel(digest);
        return faccessat(st->root_fd, rel, F_OK, 0) == 0;
}

int store_blob_open(struct store *st, const char *digest, int *ret_fd, struct box_err *err)
{
        int r = spec_digest_validate(digest, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *rel = blob_rel(digest);
        int fd = openat(st->root_fd, rel, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open blob %s", digest);
        *ret_fd = fd;
        return 0;
}

int store_blob_read(struct store *st, const char *digest, char **ret, size_t *ret_len,
                    struct box_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_blob_open(st, digest, &fd, err);
        if (r < 0)
                return r;
        r = fs_read_fd(fd, 0, ret, ret_len, err);
        if (r < 0)
                return box_err_prefix(err, "blob %s", digest);
        return 0;
}

/* ---- layer paths ---- */

int store_layer_exists(struct store *st, const char *diff_id)
{
        if (!diff_id || spec_digest_validate(diff_id, NULL) < 0)
                return 0;
        _cleanup_free_ char *rel = xasprintf("layers/%s", hex_of(diff_id));
        return faccessat(st->root_fd, rel, F_OK, 0) == 0;
}

char *store_layer_path(struct store *st, const char *diff_id)
{
        return xasprintf("%s/layers/%s", st->root, hex_of(diff_id));
}

char *store_layer_short_path(struct store *st, const char *diff_id)
{
        if (!diff_id || spec_digest_validate(diff_id, NULL) < 0)
                return xasprintf("layers/%s", hex_of(diff_id));
        /* 12 hex chars of the diff_id: collisions need 2^24 layers to be likely */
        _cleanup_free_ char *link = xasprintf("l/%.12s", hex_of(diff_id));
        _cleanup_free_ char *target = xasprintf("../layers/%s", hex_of(diff_id));
        char buf[256];
        ssize_t n = readlinkat(st->root_fd, link, buf, sizeof(buf) - 1);
        if (n > 0) {
                buf[n] = '\0';
                if (streq(buf, target))
                        return TAKE_PTR(link);
                /* A collision: fall back to the long path. */
                return xasprintf("layers/%s", hex_of(diff_id));
        }
        if (symlinkat(target, st->root_fd, link) < 0 && errno != EEXIST)
                return xasprintf("layers/%s", hex_of(diff_id));
        return TAKE_PTR(link);
}

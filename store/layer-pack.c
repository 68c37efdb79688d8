/* Packing a directory into a layer: libarchive writes the tar, zlib
 * compresses it, both hashed on the way, in one pass. */
#include "store/store-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Compression runs on a second thread, fed 1 MiB chunks of tar through a
 * small ring, so reading and hashing the files overlaps with deflate. */
#define ZCHUNK  (1 << 20)
#define ZCHUNKS 4

struct zpipe {
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        unsigned char *bufs[ZCHUNKS];
        size_t lens[ZCHUNKS];
        size_t head, tail, count; /* the producer fills bufs[head], the worker drains bufs[tail] */
        bool eof, failed, started;
        struct box_err err; /* the worker's */
};

struct pack {
        struct zpipe zp;
        struct store_blob_writer *blob;
        struct sha256_ctx *tar_sha;
        uint64_t tar_size;
        z_stream z;
        int compress;
        unsigned char *zbuf;
        struct box_err *err;
        int failed;
        int64_t clamp;
        /* hard links: inode -> first path */
        struct link {
                dev_t dev;
                ino_t ino;
                char *path;
        } * links;
        size_t n_links;
};

#define ZBUF (1 << 18)

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
                pthread_mutex_unlock(&z->mu);

                int r = 0;
                if (!z->failed) {
                        p->z.next_in = z->bufs[i];
                        p->z.avail_in = (uInt)z->lens[i];
                        r = deflate_out(p, Z_NO_FLUSH, &z->err);
                }
                pthread_mutex_lock(&z->mu);
                if (r < 0)
                        z->failed = true;
                z->tail = (z->tail + 1) % ZCHUNKS;
                z->count--;
                pthread_cond_broadcast(&z->cv);
                pthread_mutex_unlock(&z->mu);
        }
        if (!z->failed && deflate_out(p, Z_FINISH, &z->err) < 0)
                z->failed = true;
        return NULL;
}

static int zpipe_start(struct pack *p, struct box_err *err)
{
        struct zpipe *z = &p->zp;
        pthread_mutex_init(&z->mu, NULL);
        pthread_cond_init(&z->cv, NULL);
        for (size_t i = 0; i < ZCHUNKS; i++)
                z->bufs[i] = xmalloc(ZCHUNK);
        /* the worker takes no signals: they belong to the thread that waits */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int r = pthread_create(&z->thread, NULL, zworker, p);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0)
                return box_err_set(err, EAGAIN, "pack: start the compressor");
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

/* Flushes the last chunk, lets the worker finish and reports its error. */
static int zpipe_finish(struct pack *p, bool ok)
{
        struct zpipe *z = &p->zp;
        if (!z->started)
                return 0;
        if (ok && z->lens[z->head] > 0 && zpipe_push(p) < 0)
                ok = false;
        pthread_mutex_lock(&z->mu);
        if (!ok)
                z->failed = true; /* the worker skips what is left */
        z->eof = true;
        pthread_cond_broadcast(&z->cv);
        pthread_mutex_unlock(&z->mu);
        pthread_join(z->thread, NULL);
        z->started = false;
        for (size_t i = 0; i < ZCHUNKS; i++)
                free(z->bufs[i]);
        pthread_mutex_destroy(&z->mu);
        pthread_cond_destroy(&z->cv);
        if (z->failed && ok) {
                *p->err = z->err;
                return -p->err->code;
        }
        return 0;
}

static la_ssize_t write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        (void)a;
        struct pack *p = ud;
        sha256_update(p->tar_sha, buf, n);
        p->tar_size += n;
        if (!p->compress) {
                if (store_blob_writer_write(p->blob, buf, n, p->err) < 0) {
                        p->failed = 1;
                        return -1;
                }
                return (la_ssize_t)n;
        }
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
                if (z->lens[z->head] == ZCHUNK && zpipe_push(p) < 0) {
                        *p->err = z->err;
                        p->failed = 1;
                        return -1;
                }
        }
        return (la_ssize_t)n;
}

static int write_header(struct pack *p, struct archive *a, struct archive_entry *e,
                        const char *path)
{
        if (archive_write_header(a, e) != ARCHIVE_OK) {
                if (p->failed)
                        return -p->err->code;
                return box_err_set(p->err, EIO, "pack '%s': %s", path, archive_error_string(a));
        }
        return 0;
}

static void set_times(struct pack *p, struct archive_entry *e, const struct stat *st)
{
        int64_t t = st->st_mtim.tv_sec;
        long ns = st->st_mtim.tv_nsec;
        if (p->clamp > 0 && t >= p->clamp) {
                t = p->clamp;
                ns = 0;
        }
        archive_entry_set_mtime(e, t, ns);
}

static int pack_xattrs(int dfd, const char *name, struct archive_entry *e, int *opaque)
{
        char path[64 + 4096];
        char list[8192];
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
        ssize_t n = llistxattr(path, list, sizeof(list));
        *opaque = 0;
        if (n <= 0)
                return 0;
        /* sorted, so equal trees give equal bytes */
        _cleanup_strv_free_ char **keys = xnew0(char *, 1);
        for (char *k = list; k < list + n; k += strlen(k) + 1)
                keys = strv_append(keys, k);
        strv_sort(keys);
        STRV_FOREACH (k, keys) {
                char val[65536];
                ssize_t vn = lgetxattr(path, *k, val, sizeof(val));
                if (vn < 0)
                        continue;
                if (streq(*k, "trusted.overlay.opaque")) {
                        *opaque = vn == 1 && val[0] == 'y';
                        continue;
                }
                if (startswith(*k, "trusted.overlay."))
                        continue; /* overlayfs bookkeeping, not content */
                archive_entry_xattr_add_entry(e, *k, val, (size_t)vn);
        }
        return 0;
}

static int pack_dir(struct pack *p, struct archive *a, int dfd, const char *prefix);

static int pack_one(struct pack *p, struct archive *a, int dfd, const char *name,
                    const char *prefix)
{
        struct stat st;
        _cleanup_free_ char *path = xasprintf("%s%s", prefix, name);
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return box_err_errno(p->err, errno, "pack: stat '%s'", path);

        struct archive_entry *e = archive_entry_new();
        int r = 0, opaque = 0;

        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                /* an overlayfs whiteout -> OCI ".wh.NAME" */
                _cleanup_free_ char *wh = xasprintf("%s.wh.%s", prefix, name);
                archive_entry_set_pathname(e, wh);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0);
                archive_entry_set_size(e, 0);
                set_times(p, e, &st);
                r = write_header(p, a, e, path);
                archive_entry_free(e);
                return r;
        }

        archive_entry_set_pathname(e, path);
        archive_entry_set_uid(e, st.st_uid);
        archive_entry_set_gid(e, st.st_gid);
        archive_entry_set_perm(e, st.st_mode & 07777);
        set_times(p, e, &st);
        pack_xattrs(dfd, name, e, &opaque);

        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
                for (size_t i = 0; i < p->n_links; i++)
                        if (p->links[i].dev == st.st_dev && p->links[i].ino == st.st_ino) {
                                archive_entry_set_filetype(e, AE_IFREG);
                                archive_entry_set_hardlink(e, p->links[i].path);
                                archive_entry_set_size(e, 0);
                                r = write_header(p, a, e, path);
                                archive_entry_free(e);
                                return r;
                        }
                p->links = xreallocarray(p->links, p->n_links + 1, sizeof(p->links[0]));
                p->links[p->n_links++] = (struct link){st.st_dev, st.st_ino, xstrdup(path)};
        }

        switch (st.st_mode & S_IFMT) {
        case S_IFREG: {
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, st.st_size);
                _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = box_err_errno(p->err, errno, "pack: open '%s'", path);
                        break;
                }
                r = write_header(p, a, e, path);
                if (r < 0)
                        break;
                char buf[1 << 16];
                int64_t left = st.st_size;
                while (left > 0) {
                        ssize_t n = RETRY_EINTR(read(fd, buf, sizeof(buf)));
                        if (n < 0) {
                                r = box_err_errno(p->err, errno, "pack: read '%s'", path);
                                break;
                        }
                        if (n == 0) {
                                r = box_err_set(p->err, EIO, "pack: '%s' shrank while packing",
                                                path);
                                break;
                        }
                        if (n > left)
                                n = (ssize_t)left;
                        if (archive_write_data(a, buf, (size_t)n) < 0) {
                                r = p->failed ? -p->err->code
                                              : box_err_set(p->err, EIO, "pack '%s': %s", path,
                                                            archive_error_string(a));
                                break;
                        }
                        left -= n;
                }
                break;
        }
        case S_IFDIR: {
                archive_entry_set_filetype(e, AE_IFDIR);
                r = write_header(p, a, e, path);
                if (r < 0)
                        break;
                _cleanup_free_ char *sub = xasprintf("%s/", path);
                if (opaque) {
                        struct archive_entry *o = archive_entry_new();
                        _cleanup_free_ char *opq = xasprintf("%s.wh..wh..opq", sub);
                        archive_entry_set_pathname(o, opq);
                        archive_entry_set_filetype(o, AE_IFREG);
                        archive_entry_set_perm(o, 0);
                        archive_entry_set_size(o, 0);
                        set_times(p, o, &st);
                        r = write_header(p, a, o, opq);
                        archive_entry_free(o);
                        if (r < 0)
                                break;
                }
                int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        r = box_err_errno(p->err, errno, "pack: open '%s'", path);
                        break;
                }
                r = pack_dir(p, a, cfd, sub);
                break;
        }
        case S_IFLNK: {
                char target[4096];
                ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0) {
                        r = box_err_errno(p->err, errno, "pack: readlink '%s'", path);
                        break;
                }
                target[n] = '\0';
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, target);
                r = write_header(p, a, e, path);
                break;
        }
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
                archive_entry_set_filetype(e, st.st_mode & S_IFMT);
                archive_entry_set_rdevmajor(e, major(st.st_rdev));
                archive_entry_set_rdevminor(e, minor(st.st_rdev));
                r = write_header(p, a, e, path);
                break;
        default:
                break; /* sockets are not content */
        }
        archive_entry_free(e);
        return r;
}

/* Takes ownership of dfd. */
static int pack_dir(struct pack *p, struct archive *a, int dfd, const char *prefix)
{
        _cleanup_closedir_ DIR *d = fs_fdopendir(dfd);
        if (!d)
                return box_err_errno(p->err, errno, "pack: open directory '%s'", prefix);
        _cleanup_strv_free_ char **names = NULL;
        int r = fs_dir_names(d, &names);
        if (r < 0)
                return box_err_errno(p->err, -r, "pack: read directory '%s'", prefix);
        STRV_FOREACH (n, names) {
                r = pack_one(p, a, dirfd(d), *n, prefix);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_layer_pack_dir(struct store *st, const char *dir,
                         const struct store_layer_pack_opts *opts, struct store_layer_info *ret,
                         struct box_err *err)
{
        static const struct store_layer_pack_opts none;
        struct pack p = {.err = err};
        struct store_layer_info info = {0};
        struct archive *a = NULL;
        _cleanup_free_ char *final = NULL;
        int r;

        if (!opts)
                opts = &none;
        p.clamp = opts->clamp_mtime;
        p.compress = !opts->uncompressed;
        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(err, errno, "pack: open '%s'", dir);
        r = store_blob_writer_new(st, &p.blob, err);
        if (r < 0) {
                close(dfd);
                return r;
        }
        p.tar_sha = sha256_new();
        if (p.compress) {
                p.zbuf = xmalloc(ZBUF);
                /* windowBits 16+15: a gzip wrapper; zlib writes mtime 0 and no name */
                if (deflateInit2(&p.z, Z_BEST_SPEED, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) !=
                    Z_OK)
                        abort();
        }
        if (p.compress && (r = zpipe_start(&p, err)) < 0) {
                close(dfd);
                goto out;
        }
        a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_per_block(a, 0); /* no padding to 10 KiB blocks: like Docker */
        if (archive_write_open(a, &p, NULL, write_cb, NULL) != ARCHIVE_OK) {
                r = box_err_set(err, EIO, "pack: %s", archive_error_string(a));
                close(dfd);
                goto out;
        }
        r = pack_dir(&p, a, dfd, "");
        if (r < 0)
                goto out;
        if (archive_write_close(a) != ARCHIVE_OK) {
                r = p.failed ? -err->code
                             : box_err_set(err, EIO, "pack: %s", archive_error_string(a));
                goto out;
        }
        if ((r = zpipe_finish(&p, true)) < 0)
                goto out;
        sha256_final_str(TAKE_PTR(p.tar_sha), info.diff_id);
        r = store_blob_writer_commit(TAKE_PTR(p.blob), NULL, info.digest, &info.size, err);
        if (r < 0)
                goto out;
        info.compression = p.compress ? STORE_COMPRESSION_GZIP : STORE_COMPRESSION_NONE;

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
                fs_rm_rf(dir, NULL);
        }
        free(store_layer_short_path(st, info.diff_id));
        if (ret)
                *ret = info;
        r = 0;
out:
        /* the archive first: freeing it flushes through write_cb into the pipe */
        if (a)
                archive_write_free(a);
        zpipe_finish(&p, false);
        if (p.compress) {
                deflateEnd(&p.z);
                free(p.zbuf);
        }
        store_blob_writer_abort(p.blob);
        sha256_free(p.tar_sha);
        for (size_t i = 0; i < p.n_links; i++)
                free(p.links[i].path);
        free(p.links);
        return r;
}

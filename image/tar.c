/* libarchive behind image/tar.h: reading image archives entry by entry,
 * writing plain tar streams, decompressing layer blobs.
 *
 * Names are bytes: headers are read and written under the "C" locale (see
 * lib/c-locale.h), where a name that is not ASCII is never converted: the
 * writer stores its bytes with hdrcharset=BINARY (and warns, which is
 * expected), the reader keeps them.  Decompression is libarchive's own gzip,
 * zstd, xz and bzip2, never an external program. */
#include "image/tar.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/archive-dl.h"
#include "lib/c-locale.h"
#include "lib/xalloc.h"

#define READ_BUF (1 << 20)

/* gzip, zstd, xz, bzip2 (and none), each by libarchive's own code: a
 * support call answers ARCHIVE_WARN when it would run a program. */
static int support_filters(struct archive *a)
{
        int (*const fns[])(struct archive *) = {
                archive_read_support_filter_gzip,
                archive_read_support_filter_zstd,
                archive_read_support_filter_xz,
                archive_read_support_filter_bzip2,
        };
        for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
                if (fns[i](a) != ARCHIVE_OK)
                        return -1;
        return 0;
}

/* ---- reading ---- */

struct image_tar_reader {
        struct archive *a;
        store_read_fn read;
        image_lend_fn *lend; /* instead of read */
        void *ud;
        struct box_err *err; /* where the read callback reports */
        int failed;          /* the read callback failed; *err holds why */
        char *buf;
        uint64_t offset;
        char *path;
        const char *block; /* what is left of the current entry's data block */
        size_t block_len;
        int64_t entry_off; /* bytes of the current entry handed out */
};

static ssize_t reader_cb(struct archive *a, void *ud, const void **buf)
{
        (void)a;
        struct image_tar_reader *r = ud;
        const void *b = r->buf;
        ssize_t n = r->lend ? r->lend(r->ud, &b, r->err) : r->read(r->ud, r->buf, READ_BUF, r->err);
        if (n < 0) {
                r->failed = 1;
                archive_set_error(a, EIO, "read failed");
                return -1;
        }
        r->offset += (uint64_t)n;
        *buf = b;
        return n;
}

static int reader_fail(struct image_tar_reader *r, struct box_err *err, const char *what)
{
        if (r->failed) {
                if (err != r->err && err && r->err)
                        *err = *r->err;
                return -(r->err && r->err->code ? r->err->code : EIO);
        }
        const char *msg = archive_error_string(r->a);
        if (!msg)
                msg = what;
        /* libarchive capitalises its messages; ours are lowercase */
        return box_err_set(err, EBADMSG, "%c%s", tolower((unsigned char)msg[0]), msg + 1);
}

static int reader_open(store_read_fn read, image_lend_fn *lend, void *userdata,
                       struct image_tar_reader **ret, struct box_err *err)
{
        struct image_tar_reader *r = xnew0(struct image_tar_reader, 1);
        r->read = read;
        r->lend = lend;
        r->ud = userdata;
        r->err = err;
        if (!lend)
                r->buf = xmalloc(READ_BUF);
        locale_t old = c_locale_enter();
        r->a = archive_read_new();
        if (support_filters(r->a) < 0) {
                c_locale_leave(old);
                image_tar_reader_free(r);
                return box_err_set(err, ENOTSUP, "libarchive cannot decompress without a program");
        }
        archive_read_support_format_tar(r->a);
        archive_read_support_format_gnutar(r->a);
        int x = archive_read_open(r->a, r, NULL, reader_cb, NULL);
        c_locale_leave(old);
        if (x != ARCHIVE_OK) {
                int e = reader_fail(r, err, "unrecognized archive format");
                image_tar_reader_free(r);
                return e;
        }
        *ret = r;
        return 0;
}

int image_tar_reader_new(store_read_fn read, void *userdata, struct image_tar_reader **ret,
                         struct box_err *err)
{
        return reader_open(read, NULL, userdata, ret, err);
}

int image_tar_reader_new_lent(image_lend_fn *lend, void *userdata, struct image_tar_reader **ret,
                              struct box_err *err)
{
        return reader_open(NULL, lend, userdata, ret, err);
}

int image_tar_reader_next(struct image_tar_reader *r, struct image_tar_entry *ret,
                          struct box_err *err)
{
        struct archive_entry *e;
        r->err = err;
        locale_t old = c_locale_enter();
        int x = archive_read_next_header(r->a, &e);
        c_locale_leave(old);
        if (x == ARCHIVE_EOF)
                return 0;
        if (x != ARCHIVE_OK && x != ARCHIVE_WARN)
                return reader_fail(r, err, "corrupt archive");
        const char *p = archive_entry_pathname(e);
        if (!p)
                return box_err_set(err, EBADMSG, "entry without a name");
        while (startswith(p, "./"))
                p += 2;
        free(r->path);
        r->path = xstrdup(p);
        r->block_len = 0;
        r->entry_off = 0;
        struct image_tar_entry out = {.path = r->path, .size = archive_entry_size(e)};
        if (archive_entry_hardlink(e)) {
                out.type = IMAGE_TAR_HARDLINK;
                out.link = archive_entry_hardlink(e);
        } else {
                switch (archive_entry_filetype(e)) {
                case AE_IFREG:
                        out.type = IMAGE_TAR_FILE;
                        break;
                case AE_IFDIR:
                        out.type = IMAGE_TAR_DIR;
                        break;
                case AE_IFLNK:
                        out.type = IMAGE_TAR_SYMLINK;
                        out.link = archive_entry_symlink(e);
                        if (!out.link) /* libarchive's NULL for an empty target */
                                return box_err_set(err, EBADMSG,
                                                   "entry '%s': symbolic link without a target",
                                                   r->path);
                        break;
                default:
                        out.type = IMAGE_TAR_OTHER;
                }
        }
        *ret = out;
        return 1;
}

/* Data blocks, not archive_read_data(): that fills the holes of a sparse
 * entry with zeros up to the size its header claims, so a few hundred
 * bytes could stand for an exabyte of layer.  Image archives hold no
 * sparse files: a hole is an error. */
ssize_t image_tar_reader_lend(struct image_tar_reader *r, size_t n, const void **ret,
                              struct box_err *err)
{
        r->err = err;
        while (r->block_len == 0) {
                const void *b;
                size_t len;
                la_int64_t off;
                int x = archive_read_data_block(r->a, &b, &len, &off);
                if (x == ARCHIVE_EOF && off <= r->entry_off)
                        return 0;
                if (x != ARCHIVE_EOF && x != ARCHIVE_OK && x != ARCHIVE_WARN)
                        return reader_fail(r, err, "corrupt archive");
                if (off != r->entry_off)
                        return box_err_set(err, EBADMSG,
                                           "a sparse file, or a size beyond its data");
                r->block = b;
                r->block_len = len;
        }
        size_t k = n < r->block_len ? n : r->block_len;
        *ret = r->block;
        r->block += k;
        r->block_len -= k;
        r->entry_off += (int64_t)k;
        return (ssize_t)k;
}

ssize_t image_tar_reader_read(struct image_tar_reader *r, void *buf, size_t n, struct box_err *err)
{
        const void *b;
        ssize_t k = image_tar_reader_lend(r, n, &b, err);
        if (k > 0)
                memcpy(buf, b, (size_t)k);
        return k;
}

uint64_t image_tar_reader_offset(const struct image_tar_reader *r)
{
        return r->offset;
}

void image_tar_reader_free(struct image_tar_reader *r)
{
        if (!r)
                return;
        archive_read_free(r->a);
        free(r->buf);
        free(r->path);
        free(r);
}

/* ---- writing ---- */

struct image_tar_writer {
        struct archive *a;
        struct archive_entry *e;
        image_tar_owner_map_fn map;
        void *map_userdata;
};

void image_tar_writer_set_owner_map(struct image_tar_writer *w, image_tar_owner_map_fn map,
                                    void *userdata)
{
        w->map = map;
        w->map_userdata = userdata;
}

/* The warning after a header that only says a name was stored as its bytes
 * (hdrcharset=BINARY) because it could not be translated to UTF-8. */
static int name_kept(struct archive *a)
{
        const char *msg = archive_error_string(a);
        return archive_errno(a) == EILSEQ && msg && strneq(msg, "Can't translate ", 16);
}

static int writer_fail(struct image_tar_writer *w, struct box_err *err, const char *what)
{
        int e = archive_errno(w->a);
        const char *msg = archive_error_string(w->a);
        return box_err_set(err, e > 0 ? e : EIO, "%s: %s", what, msg ? msg : "write failed");
}

int image_tar_writer_new(int fd, struct image_tar_writer **ret, struct box_err *err)
{
        struct image_tar_writer *w = xnew0(struct image_tar_writer, 1);
        locale_t old = c_locale_enter();
        w->a = archive_write_new();
        w->e = archive_entry_new();
        archive_write_set_format_pax_restricted(w->a);
        archive_write_set_bytes_per_block(w->a, 64 * 1024);
        archive_write_set_bytes_in_last_block(w->a, 1);
        int x = archive_write_open_fd(w->a, fd);
        c_locale_leave(old);
        if (x != ARCHIVE_OK) {
                int e = writer_fail(w, err, "start archive");
                image_tar_writer_free(w);
                return e;
        }
        *ret = w;
        return 0;
}

int image_tar_writer_add(struct image_tar_writer *w, const char *path, int is_dir, int64_t size,
                         int64_t mtime, struct box_err *err)
{
        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, path);
        archive_entry_set_filetype(w->e, is_dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(w->e, is_dir ? 0755 : 0644);
        archive_entry_set_size(w->e, is_dir ? 0 : size);
        archive_entry_set_mtime(w->e, mtime, 0);
        archive_entry_set_uid(w->e, 0);
        archive_entry_set_gid(w->e, 0);
        locale_t old = c_locale_enter();
        int x = archive_write_header(w->a, w->e);
        c_locale_leave(old);
        if (x != ARCHIVE_OK && !(x == ARCHIVE_WARN && name_kept(w->a)))
                return writer_fail(w, err, path);
        return 0;
}

int image_tar_writer_add_stat(struct image_tar_writer *w, const char *path, const struct stat *st,
                              const char *link, struct box_err *err)
{
        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, path);
        archive_entry_set_perm(w->e, st->st_mode & 07777);
        uid_t uid = st->st_uid;
        gid_t gid = st->st_gid;
        if (w->map)
                w->map(w->map_userdata, &uid, &gid);
        archive_entry_set_uid(w->e, uid);
        archive_entry_set_gid(w->e, gid);
        archive_entry_set_mtime(w->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        archive_entry_set_size(w->e, 0);
        if (S_ISREG(st->st_mode) && link) {
                archive_entry_set_filetype(w->e, AE_IFREG);
                archive_entry_set_hardlink(w->e, link);
        } else if (S_ISREG(st->st_mode)) {
                archive_entry_set_filetype(w->e, AE_IFREG);
                archive_entry_set_size(w->e, st->st_size);
        } else if (S_ISDIR(st->st_mode)) {
                archive_entry_set_filetype(w->e, AE_IFDIR);
        } else if (S_ISLNK(st->st_mode)) {
                archive_entry_set_filetype(w->e, AE_IFLNK);
                archive_entry_set_symlink(w->e, link ? link : "");
        } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
                archive_entry_set_filetype(w->e, st->st_mode & S_IFMT);
                archive_entry_set_rdevmajor(w->e, major(st->st_rdev));
                archive_entry_set_rdevminor(w->e, minor(st->st_rdev));
        } else {
                return box_err_set(err, ENOTSUP, "'%s': a socket cannot be archived", path);
        }
        locale_t old = c_locale_enter();
        int x = archive_write_header(w->a, w->e);
        c_locale_leave(old);
        if (x != ARCHIVE_OK && !(x == ARCHIVE_WARN && name_kept(w->a)))
                return writer_fail(w, err, path);
        return 0;
}

int image_tar_writer_write(struct image_tar_writer *w, const void *p, size_t n, struct box_err *err)
{
        const char *c = p;
        while (n > 0) {
                la_ssize_t x = archive_write_data(w->a, c, n);
                if (x <= 0)
                        return writer_fail(w, err, "write archive");
                c += x;
                n -= (size_t)x;
        }
        return 0;
}

int image_tar_writer_add_data(struct image_tar_writer *w, const char *path, const void *p, size_t n,
                              int64_t mtime, struct box_err *err)
{
        int r = image_tar_writer_add(w, path, 0, (int64_t)n, mtime, err);
        if (r >= 0)
                r = image_tar_writer_write(w, p, n, err);
        return r;
}

static int add_tree(struct image_tar_writer *w, const char *dir, struct box_err *err);

int image_tar_writer_add_tree(struct image_tar_writer *w, const char *dir, struct box_err *err)
{
        locale_t old = c_locale_enter();
        int r = add_tree(w, dir, err);
        c_locale_leave(old);
        return r;
}

static int add_tree(struct image_tar_writer *w, const char *dir, struct box_err *err)
{
        struct archive *disk = archive_read_disk_new();
        struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
        struct archive_entry *e = archive_entry_new(), *sparse = NULL;
        char *buf = xmalloc(READ_BUF);
        size_t dl = strlen(dir);
        int r = 0;
        archive_entry_linkresolver_set_strategy(links, archive_format(w->a));
        archive_read_disk_set_symlink_physical(disk);
        archive_read_disk_set_standard_lookup(disk);
        if (archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
                r = box_err_set(err, EIO, "read '%s': %s", dir, archive_error_string(disk));
                goto out;
        }
        for (;;) {
                archive_entry_clear(e);
                int x = archive_read_next_header2(disk, e);
                if (x == ARCHIVE_EOF)
                        break;
                if (x != ARCHIVE_OK && x != ARCHIVE_WARN) {
                        r = box_err_set(err, EIO, "read '%s': %s", dir, archive_error_string(disk));
                        goto out;
                }
                archive_read_disk_descend(disk);
                const char *p = archive_entry_pathname(e);
                if (!p || strlen(p) <= dl)
                        continue; /* the root itself */
                _cleanup_free_ char *rel = archive_entry_filetype(e) == AE_IFDIR
                                                   ? xasprintf("%s/", p + dl + 1)
                                                   : xstrdup(p + dl + 1);
                archive_entry_set_pathname(e, rel);
                const char *hl = archive_entry_hardlink(e);
                if (hl && strlen(hl) > dl)
                        archive_entry_set_hardlink(e, hl + dl + 1);
                struct archive_entry *out = e;
                archive_entry_linkify(links, &out, &sparse);
                if (!out)
                        continue;
                int wx = archive_write_header(w->a, out);
                if (wx != ARCHIVE_OK && !(wx == ARCHIVE_WARN && name_kept(w->a))) {
                        r = writer_fail(w, err, rel);
                        goto out;
                }
                if (archive_entry_filetype(out) != AE_IFREG || archive_entry_size(out) == 0)
                        continue;
                _cleanup_close_ int fd = -EBADF;
                _cleanup_free_ char *abs = xasprintf("%s/%s", dir, rel);
                fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = box_err_errno(err, errno, "open '%s'", rel);
                        goto out;
                }
                int64_t left = archive_entry_size(out);
                while (left > 0) {
                        ssize_t n = RETRY_EINTR(read(fd, buf, READ_BUF));
                        if (n < 0) {
                                r = box_err_errno(err, errno, "read '%s'", rel);
                                goto out;
                        }
                        if (n == 0) { /* shrank while read: pad to what the header said */
                                memset(buf, 0, READ_BUF);
                                n = left < READ_BUF ? (ssize_t)left : READ_BUF;
                        }
                        if (n > left)
                                n = (ssize_t)left;
                        r = image_tar_writer_write(w, buf, (size_t)n, err);
                        if (r < 0)
                                goto out;
                        left -= n;
                }
        }
out:
        archive_entry_free(e);
        archive_entry_linkresolver_free(links);
        archive_read_free(disk);
        free(buf);
        return r;
}

int image_tar_writer_finish(struct image_tar_writer *w, struct box_err *err)
{
        if (archive_write_close(w->a) != ARCHIVE_OK)
                return writer_fail(w, err, "finish archive");
        return 0;
}

void image_tar_writer_free(struct image_tar_writer *w)
{
        if (!w)
                return;
        archive_entry_free(w->e);
        archive_write_free(w->a);
        free(w);
}

/* ---- decompressing ---- */

struct image_decompressor {
        struct image_tar_reader r; /* reuses the read callback plumbing */
};

int image_decompressor_new(store_read_fn read, void *userdata, struct image_decompressor **ret,
                           struct box_err *err)
{
        struct image_decompressor *d = xnew0(struct image_decompressor, 1);
        struct image_tar_reader *r = &d->r;
        struct archive_entry *e;
        r->read = read;
        r->ud = userdata;
        r->err = err;
        r->buf = xmalloc(READ_BUF);
        r->a = archive_read_new();
        if (support_filters(r->a) < 0) {
                image_decompressor_free(d);
                return box_err_set(err, ENOTSUP, "libarchive cannot decompress without a program");
        }
        archive_read_support_format_raw(r->a);
        if (archive_read_open(r->a, r, NULL, reader_cb, NULL) != ARCHIVE_OK ||
            archive_read_next_header(r->a, &e) != ARCHIVE_OK) {
                int x = reader_fail(r, err, "unrecognized compression");
                image_decompressor_free(d);
                return x;
        }
        *ret = d;
        return 0;
}

ssize_t image_decompressor_read(struct image_decompressor *d, void *buf, size_t n,
                                struct box_err *err)
{
        d->r.err = err;
        ssize_t x = archive_read_data(d->r.a, buf, n);
        if (x < 0)
                return reader_fail(&d->r, err, "corrupt compressed data");
        return x;
}

void image_decompressor_free(struct image_decompressor *d)
{
        if (!d)
                return;
        archive_read_free(d->r.a);
        free(d->r.buf);
        free(d);
}

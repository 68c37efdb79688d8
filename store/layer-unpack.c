/* Unpacking layer tarballs into layers/<diff_id> with libarchive (libarchive
 * stays in this file and store/tar-write.c).
 *
 * One streaming pass: the raw bytes are hashed (blob digest) and optionally
 * saved as a blob; an outer libarchive reader ("raw" format, every filter)
 * decompresses them; an inner reader ("tar" format) reads the decompressed
 * stream, which is hashed again (diff_id) on its way through.
 *
 * Containment: every entry is created relative to a directory fd obtained
 * with openat2(RESOLVE_IN_ROOT) from the layer's root, and by single-component
 * *at() calls with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so neither "../", nor an
 * absolute path, nor a symlinked parent can place anything outside it.
 *
 * Names are bytes: libarchive runs under the "C" locale (lib/c-locale.h),
 * where a name that is not ASCII cannot be converted and is kept as it is
 * in the archive, whatever the host's locale.
 *
 * Sizes: a layer is refused once its uncompressed stream, the sum of its
 * files' sizes (sparse files count at their apparent size) or its number
 * of entries passes the caps of store_limits_get(), and any path longer
 * than STORE_PATH_MAX.  Only gzip, zstd, xz and bzip2 are decompressed, by
 * libarchive's own code: never an external program. */
#include "store/store-internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "lib/archive-dl.h"
#include "lib/c-locale.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"

#define RAW_BUF (1 << 20)

struct unpack {
        struct store *st;
        store_read_fn read;
        void *ud;
        const struct store_lender *lender; /* instead of read */
        const struct store_layer_unpack_opts *opts;
        struct box_err *err;
        int failed; /* the read callback failed; err holds why */

        char *raw_buf;
        struct sha256_ctx *raw_sha;
        struct store_sink *sink; /* when set: raw_sha and the blob are fed behind */
        uint64_t raw_size;
        struct archive *outer;
        struct sha256_ctx *tar_sha;
        uint64_t tar_size;
        struct store_blob_writer *blob;

        int rootfd;
        int plain;      /* an ordinary archive (ADD): no whiteouts, no digests */
        int identity;   /* no compression: the tar is the blob, hash it once */
        char *dir_path; /* the parent directory of the last entry, kept open */
        int dir_fd;
        struct dir_time {
                char *path;
                struct timespec mtime;
        } * dirs;
        size_t n_dirs, dirs_cap;
        enum store_layer_compression compression_out;
        /* box cp's base, owners and NoOverwriteDirNonDir: NULL for the rest */
        const struct store_extract_opts *x;

        struct store_limits limits;
        int prime; /* 0: the priming block is still to hand out, 1: its entry is next, 2: done */
        uint64_t n_entries;
        uint64_t files_size; /* apparent sizes of the regular files so far */
};

/* The decompressors box accepts, all built into libarchive.  (A support
 * call answers ARCHIVE_WARN when libarchive was built without the library
 * and would run an external program instead: refused.) */
static int support_filters(struct archive *a, struct box_err *err)
{
        const struct { /* not static: the functions are resolved at run time */
                const char *name;
                int (*fn)(struct archive *);
        } filters[] = {
                {"gzip", archive_read_support_filter_gzip},
                {"zstd", archive_read_support_filter_zstd},
                {"xz", archive_read_support_filter_xz},
                {"bzip2", archive_read_support_filter_bzip2},
        };
        for (size_t i = 0; i < ARRAY_SIZE(filters); i++)
                if (filters[i].fn(a) != ARCHIVE_OK)
                        return box_err_set(err, ENOTSUP,
                                           "libarchive cannot decompress %s without running a "
                                           "program",
                                           filters[i].name);
        return 0;
}

/* A blob longer than its descriptor says is refused as soon as the extra
 * byte arrives, so a lying size cannot make box read on. */
static int check_raw_size(struct unpack *u, size_t n)
{
        uint64_t want = u->opts->expect_size;
        if (want && u->raw_size + n > want)
                return box_err_set(u->err, EBADMSG,
                                   "size mismatch: the blob is larger than the %llu bytes its "
                                   "descriptor says",
                                   (unsigned long long)want);
        return 0;
}

/* The next piece of the raw stream into *RET_BUF, hashed, saved to the
 * blob unless the blob is the uncompressed tar: by the sink's thread when
 * there is one, else here.  A run the lender keeps is used where it lies;
 * one it does not is copied into a buffer of ours first.  0 at the end,
 * -errno with u->err set. */
static ssize_t read_raw(struct unpack *u, const char **ret_buf)
{
        char *b = NULL;
        const void *run = NULL;
        bool kept = false;
        ssize_t n;
        if (u->lender) {
                n = u->lender->lend(u->lender->userdata, RAW_BUF, &run, &kept, u->err);
        } else {
                b = u->sink ? store_sink_buffer(u->sink) : u->raw_buf;
                n = u->read(u->ud, b, RAW_BUF, u->err);
        }
        if (n < 0)
                return n;
        if (check_raw_size(u, (size_t)n) < 0)
                return -u->err->code;
        u->raw_size += (uint64_t)n;
        if (n == 0) {
                *ret_buf = u->raw_buf;
                return 0;
        }
        if (u->lender && !kept) {
                b = u->sink ? store_sink_buffer(u->sink) : u->raw_buf;
                memcpy(b, run, (size_t)n);
        }
        *ret_buf = kept ? run : b;
        if (u->sink) {
                int r = kept ? store_sink_push_lent(u->sink, run, (size_t)n, u->err)
                             : store_sink_push(u->sink, (size_t)n, u->err);
                return r < 0 ? r : n;
        }
        sha256_update(u->raw_sha, *ret_buf, (size_t)n);
        if (u->blob && !u->opts->save_uncompressed) {
                int r = store_blob_writer_write(u->blob, *ret_buf, (size_t)n, u->err);
                if (r < 0)
                        return r;
        }
        return n;
}

static ssize_t outer_read_cb(struct archive *a, void *ud, const void **buf)
{
        (void)a;
        struct unpack *u = ud;
        ssize_t n = read_raw(u, (const char **)buf);
        if (n < 0)
                u->failed = 1;
        return n < 0 ? -1 : n;
}

/* libarchive 3.6 loses the target of a link whose ustar linkname field is
 * empty and whose pax "linkpath" record cannot be converted to the locale
 * (the way Go's archive/tar, so Docker and Podman, write a link to a
 * non-ASCII target) when no earlier entry of the stream had a link name:
 * the entry comes out as neither a symlink nor a hard link.  So the tar
 * reader is handed this one synthetic link entry before the real stream
 * (neither hashed nor counted, and skipped), after which it behaves. */
#define PRIME_NAME "box-reader-prime"
static char prime_header[512];

static void prime_build(void)
{
        char *h = prime_header;
        memcpy(h, PRIME_NAME, sizeof(PRIME_NAME));
        memcpy(h + 100, "0000777", 8);
        memcpy(h + 108, "0000000", 8);
        memcpy(h + 116, "0000000", 8);
        memcpy(h + 124, "00000000000", 12);
        memcpy(h + 136, "00000000000", 12);
        memset(h + 148, ' ', 8);
        h[156] = '2'; /* a symlink to "." */
        h[157] = '.';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
}

static const char *prime_block(void)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, prime_build);
        return prime_header;
}

static ssize_t inner_read_cb(struct archive *a, void *ud, const void **buf)
{
        (void)a;
        struct unpack *u = ud;
        if (u->prime == 0) {
                u->prime = 1;
                *buf = prime_block();
                return 512;
        }
        /* The outer reader's own block, not a copy of it: without
         * compression that is the raw buffer itself, valid until the next
         * call (all the inner reader needs), which saves a pass over every
         * byte of a layer. */
        const void *block = NULL;
        size_t len = 0;
        la_int64_t off;
        int x = archive_read_data_block(u->outer, &block, &len, &off);
        if (x != ARCHIVE_OK && x != ARCHIVE_EOF) {
                if (!u->failed)
                        box_err_set(u->err, EBADMSG, "decompress: %s",
                                    archive_error_string(u->outer));
                u->failed = 1;
                return -1;
        }
        ssize_t n = x == ARCHIVE_EOF ? 0 : (ssize_t)len;
        if (!u->identity)
                sha256_update(u->tar_sha, block, (size_t)n);
        u->tar_size += (uint64_t)n;
        if (u->tar_size > u->limits.layer_size) {
                box_err_set(u->err, EFBIG,
                            "layer is larger than %llu bytes uncompressed (BOX_MAX_LAYER_SIZE)",
                            (unsigned long long)u->limits.layer_size);
                u->failed = 1;
                return -1;
        }
        if (u->blob && u->opts->save_uncompressed &&
            store_blob_writer_write(u->blob, block, (size_t)n, u->err) < 0) {
                u->failed = 1;
                return -1;
        }
        *buf = block;
        return n;
}

/* "./a//b/" -> "a/b"; NULL for paths with ".." components.  "" is the root. */
static char *clean_path(const char *p)
{
        struct buf b = {0};
        const char *s = p;
        buf_puts(&b, "");
        while (*s) {
                while (*s == '/')
                        s++;
                const char *e = strchrnul(s, '/');
                size_t n = (size_t)(e - s);
                if (n == 0)
                        break;
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        buf_release(&b);
                        return NULL;
                }
                if (!(n == 1 && s[0] == '.')) {
                        if (b.len)
                                buf_putc(&b, '/');
                        buf_append(&b, s, n);
                }
                s = e;
        }
        return buf_steal(&b);
}

/* PATH (clean) under the archive's base directory in the root, if any. */
static char *under_base(const struct unpack *u, char *path)
{
        const char *base = u->x ? u->x->base : NULL;
        if (!path || !*path || !base || !*base)
                return path;
        char *p = xasprintf("%s/%s", base, path);
        free(path);
        return p;
}

/* Docker's NoOverwriteDirNonDir (docker cp): a directory already at NAME
 * is never replaced by a non-directory, nor a non-directory by one. */
static int check_dir_swap(const struct unpack *u, int pfd, const char *name, bool is_dir,
                          const char *raw)
{
        struct stat st;
        if (!u->x || !u->x->no_dir_swap || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            S_ISDIR(st.st_mode) == is_dir)
                return 0;
        return box_err_set(u->err, EEXIST,
                           is_dir ? "cannot overwrite non-directory '%s' with directory"
                                  : "cannot overwrite directory '%s' with non-directory",
                           raw);
}

/* Opens (creating as needed) directory DIR of the layer, resolved inside it. */
static int open_dir_in_root(int rootfd, const char *dir, struct box_err *err)
{
        if (!*dir)
                return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        int fd = openat_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
        if (fd >= 0)
                return fd;
        if (errno != ENOENT)
                return box_err_errno(err, errno, "open '%s'", dir);
        /* Create the missing components one at a time, each inside the root. */
        _cleanup_free_ char *p = xstrdup(dir);
        _cleanup_close_ int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        char *comp = p;
        for (;;) {
                char *slash = strchr(comp, '/');
                if (slash)
                        *slash = '\0';
                if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
                        return box_err_errno(err, errno, "create '%s'", p);
                int next = openat_in_root(rootfd, p, O_RDONLY | O_DIRECTORY, 0);
                if (next < 0)
                        return box_err_errno(err, errno, "open '%s'", p);
                close(cur);
                cur = next;
                if (!slash)
                        break;
                *slash = '/';
                comp = slash + 1;
        }
        return TAKE_FD(cur);
}

/* Creating NAME failed with EEXIST: a later entry replaces an earlier one
 * (tar's rule), except that a directory stays when the entry is one (1).
 * Creating first and removing only on EEXIST saves a failing fstatat() per
 * entry, the common case. */
static int remove_existing(int pfd, const char *name, int keep_dir, struct box_err *err)
{
        struct stat st;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (keep_dir && S_ISDIR(st.st_mode))
                return 1;
        return fs_rm_rf_at(pfd, name, err);
}

static int set_xattrs(int pfd, const char *name, struct archive_entry *e, bool host_safe,
                      struct box_err *err)
{
        const char *key;
        const void *val;
        size_t len;
        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        char path[64 + 4096];
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, name);
        while (archive_entry_xattr_next(e, &key, &val, &len) == ARCHIVE_OK) {
                /* overlay's own attributes would change what the layer means
                 * (opaque dirs, redirects, metacopy), in either namespace */
                if (startswith(key, "trusted.overlay.") || startswith(key, "user.overlay.") ||
                    (host_safe && streq(key, "security.capability")))
                        continue;
                if (lsetxattr(path, key, val, len, 0) < 0 && errno != ENOTSUP)
                        return box_err_errno(err, errno, "set xattr '%s' on '%s'", key, name);
        }
        return 0;
}

static int write_data(struct unpack *u, struct archive *a, int fd, const char *path, int64_t size)
{
        const void *buf;
        size_t len;
        la_int64_t off, end = 0;
        for (;;) {
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK) {
                        if (u->failed)
                                return -u->err->code;
                        return box_err_set(u->err, EBADMSG, "read '%s': %s", path,
                                           archive_error_string(a));
                }
                const char *c = buf;
                while (len > 0) {
                        ssize_t w = RETRY_EINTR(pwrite(fd, c, len, off));
                        if (w < 0)
                                return box_err_errno(u->err, errno, "write '%s'", path);
                        c += w;
                        off += w;
                        len -= (size_t)w;
                }
                if (off > end)
                        end = off;
        }
        /* a sparse file ends in a hole only its size records */
        if (end != size && ftruncate(fd, size) < 0)
                return box_err_errno(u->err, errno, "write '%s'", path);
        return 0;
}

/* Creates the node ENTRY names as NAME in PFD, replacing what an earlier
 * entry left there.  1: nothing more to do (a hard link, a skipped type),
 * 0: created, its owner, mode and times are next (for a regular file
 * through *RET_FD, its fd, which saves three lookups of NAME). */
static int create_node(struct unpack *u, struct archive *a, struct archive_entry *e, int pfd,
                       const char *name, const char *raw, int *ret_fd)
{
        struct box_err *err = u->err;
        mode_t type = archive_entry_filetype(e);
        mode_t perm = archive_entry_perm(e) & 07777;
        const char *hardlink = archive_entry_hardlink(e);
        int r = check_dir_swap(u, pfd, name, !hardlink && type == AE_IFDIR, raw);
        if (r < 0)
                return r;

        if (hardlink) {
                _cleanup_free_ char *target = under_base(u, clean_path(hardlink));
                if (!target || !*target)
                        return box_err_set(err, EPERM,
                                           "entry '%s': hard link target '%s' escapes the %s", raw,
                                           hardlink, u->plain ? "archive" : "layer");
                _cleanup_close_ int tfd = openat_in_root(u->rootfd, target, O_PATH | O_NOFOLLOW, 0);
                if (tfd < 0)
                        return box_err_errno(err, errno, "entry '%s': hard link target '%s'", raw,
                                             hardlink);
                r = linkat(tfd, "", pfd, name, AT_EMPTY_PATH);
                if (r < 0 && errno == EEXIST) {
                        if ((r = remove_existing(pfd, name, 0, err)) < 0)
                                return box_err_prefix(err, "entry '%s'", raw);
                        r = linkat(tfd, "", pfd, name, AT_EMPTY_PATH);
                }
                if (r < 0)
                        return box_err_errno(err, errno, "entry '%s': hard link", raw);
                return 1;
        }

        switch (type) {
        case AE_IFREG: {
                /* apparent sizes: a sparse entry costs what it claims */
                int64_t size = archive_entry_size(e);
                if (size < 0)
                        return box_err_set(err, EBADMSG, "entry '%s': invalid size", raw);
                u->files_size += (uint64_t)size;
                if (u->files_size > u->limits.layer_size)
                        return box_err_set(err, EFBIG,
                                           "entry '%s': the layer's files are larger than %llu "
                                           "bytes (BOX_MAX_LAYER_SIZE)",
                                           raw, (unsigned long long)u->limits.layer_size);
                const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
                _cleanup_close_ int fd = openat(pfd, name, flags, 0600);
                if (fd < 0 && errno == EEXIST) {
                        if ((r = remove_existing(pfd, name, 0, err)) < 0)
                                return box_err_prefix(err, "entry '%s'", raw);
                        fd = openat(pfd, name, flags, 0600);
                }
                if (fd < 0)
                        return box_err_errno(err, errno, "entry '%s': create", raw);
                r = write_data(u, a, fd, raw, size);
                if (r < 0)
                        return r;
                *ret_fd = TAKE_FD(fd);
                break;
        }
        case AE_IFDIR:
                r = mkdirat(pfd, name, 0700);
                if (r < 0 && errno == EEXIST) {
                        if ((r = remove_existing(pfd, name, 1, err)) < 0)
                                return box_err_prefix(err, "entry '%s'", raw);
                        r = r == 1 ? 0 : mkdirat(pfd, name, 0700);
                }
                if (r < 0)
                        return box_err_errno(err, errno, "entry '%s': create directory", raw);
                break;
        case AE_IFLNK: {
                const char *target = archive_entry_symlink(e);
                r = symlinkat(strempty(target), pfd, name);
                if (r < 0 && errno == EEXIST) {
                        if ((r = remove_existing(pfd, name, 0, err)) < 0)
                                return box_err_prefix(err, "entry '%s'", raw);
                        r = symlinkat(strempty(target), pfd, name);
                }
                if (r < 0)
                        return box_err_errno(err, errno, "entry '%s': create symlink", raw);
                break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
                if (u->x && (u->x->host_safe || u->x->no_devices)) {
                        log_debug("entry '%s': device node skipped", raw);
                        return 1;
                }
                /* fall through */
        case AE_IFIFO: {
                dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
                r = mknodat(pfd, name, type | perm, dev);
                if (r < 0 && errno == EEXIST) {
                        if ((r = remove_existing(pfd, name, 0, err)) < 0)
                                return box_err_prefix(err, "entry '%s'", raw);
                        r = mknodat(pfd, name, type | perm, dev);
                }
                if (r < 0)
                        return box_err_errno(err, errno, "entry '%s': create device node", raw);
        } break;
        default:
                log_debug("layer entry '%s': skipping file type %o", raw, (unsigned)type);
                return 1;
        }
        return 0;
}

/* PATH, a directory entry's, as store_extract_opts.follow_dir_links has it:
 * the path in the root of the directory a symlink at PATH leads to ("" for
 * the root itself), else PATH as it is. */
static char *follow_dir_link(struct unpack *u, char *path)
{
        _cleanup_close_ int lfd = openat_in_root(u->rootfd, path, O_PATH | O_NOFOLLOW, 0);
        struct stat st;
        if (lfd < 0 || fstat(lfd, &st) < 0 || !S_ISLNK(st.st_mode))
                return path;
        _cleanup_close_ int dfd = openat_in_root(u->rootfd, path, O_PATH | O_DIRECTORY, 0);
        char link[64], root[PATH_MAX], dir[PATH_MAX];
        ssize_t rn = -1, dn = -1;
        if (dfd >= 0) {
                snprintf(link, sizeof(link), "/proc/self/fd/%d", u->rootfd);
                rn = readlink(link, root, sizeof(root) - 1);
                snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
                dn = readlink(link, dir, sizeof(dir) - 1);
        }
        if (rn <= 0 || dn < rn || memcmp(dir, root, (size_t)rn) != 0)
                return path;
        dir[dn] = '\0';
        if (dir[rn] != '\0' && dir[rn] != '/')
                return path;
        free(path);
        return xstrdup(dir[rn] ? dir + rn + 1 : "");
}

/* The owner and mode of what create_node() made at NAME (FD: its regular
 * file).  Anything else but a symlink is opened first without following
 * it, its type checked, and changed through that fd: in a running
 * container (box cp) the container can swap NAME for a symlink after it
 * was made, and a chmod through the name followed it, from box's root,
 * to the host's file (an absolute link's target). */
static int set_owner_mode(int pfd, const char *name, mode_t type, int fd, uid_t uid, gid_t gid,
                          mode_t perm, const char *raw, struct box_err *err)
{
        if (fd >= 0) {
                if (fchown(fd, uid, gid) < 0)
                        return box_err_errno(err, errno, "entry '%s': set owner", raw);
                if (fchmod(fd, perm) < 0)
                        return box_err_errno(err, errno, "entry '%s': set mode", raw);
                return 0;
        }
        if (type == AE_IFLNK) {
                if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return box_err_errno(err, errno, "entry '%s': set owner", raw);
                return 0;
        }
        _cleanup_close_ int pathfd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (pathfd < 0 || fstat(pathfd, &st) < 0)
                return box_err_errno(err, errno, "entry '%s': open", raw);
        if ((st.st_mode & S_IFMT) != type)
                return box_err_set(err, EIO, "entry '%s': replaced while it was extracted", raw);
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
        if (fchownat(pathfd, "", uid, gid, AT_EMPTY_PATH) < 0)
                return box_err_errno(err, errno, "entry '%s': set owner", raw);
        /* the magic link leads to the very inode PATHFD holds */
        if (fchmodat(AT_FDCWD, self, perm, 0) < 0)
                return box_err_errno(err, errno, "entry '%s': set mode", raw);
        return 0;
}

static int extract_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
        struct box_err *err = u->err;
        const char *raw = archive_entry_pathname(e);
        if (!raw)
                return box_err_set(err, EINVAL, "entry without a name");
        if (++u->n_entries > u->limits.layer_entries)
                return box_err_set(err, EFBIG,
                                   "layer has more than %llu entries "
                                   "(BOX_MAX_LAYER_ENTRIES)",
                                   (unsigned long long)u->limits.layer_entries);
        _cleanup_free_ char *path = clean_path(raw);
        if (!path)
                return box_err_set(err, EPERM, "entry '%s': path escapes the %s", raw,
                                   u->plain ? "archive" : "layer");
        if (!*path)
                return 0; /* the root itself */
        path = under_base(u, path);
        if (u->x && u->x->follow_dir_links && archive_entry_filetype(e) == AE_IFDIR &&
            !archive_entry_hardlink(e)) {
                path = follow_dir_link(u, path);
                if (!*path)
                        return 0;
        }

        char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
        const char *name = slash ? slash + 1 : path;
        int whiteout = !u->plain && startswith(name, ".wh.");
        /* what the entry creates or removes: a whiteout names its victim */
        _cleanup_free_ char *made =
                whiteout ? xasprintf("%s%s%s", dir, *dir ? "/" : "", name + 4) : xstrdup(path);
        if (strlen(made) > STORE_PATH_MAX)
                return box_err_set(err, ENAMETOOLONG, "entry '%.48s...': path longer than %d bytes",
                                   raw, STORE_PATH_MAX);

        /* An entry may replace a directory on the cached path: forget it
         * when this entry is that directory or one of its parents. */
        if (u->dir_path) {
                size_t pl = strlen(made);
                if (strneq(u->dir_path, made, pl) &&
                    (u->dir_path[pl] == '\0' || u->dir_path[pl] == '/')) {
                        close(u->dir_fd);
                        u->dir_fd = -EBADF;
                        free(u->dir_path);
                        u->dir_path = NULL;
                }
        }
        if (!u->dir_path || !streq(u->dir_path, dir)) {
                int fd = open_dir_in_root(u->rootfd, dir, err);
                if (fd < 0)
                        return box_err_prefix(err, "entry '%s'", raw);
                if (u->dir_fd >= 0)
                        close(u->dir_fd);
                free(u->dir_path);
                u->dir_fd = fd;
                u->dir_path = xstrdup(dir);
        }
        int pfd = u->dir_fd;

        /* OCI whiteouts -> overlayfs whiteouts */
        if (whiteout) {
                if (streq(name, ".wh..wh..opq")) {
                        if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                                return box_err_errno(err, errno, "entry '%s': mark opaque", raw);
                        return 0;
                }
                if (startswith(name, ".wh..wh."))
                        return 0; /* aufs bookkeeping */
                const char *victim = name + 4;
                if (!*victim || streq(victim, ".") || streq(victim, ".."))
                        return box_err_set(err, EINVAL, "entry '%s': invalid whiteout", raw);
                if (remove_existing(pfd, victim, 0, err) < 0)
                        return box_err_prefix(err, "entry '%s'", raw);
                if (mknodat(pfd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
                        return box_err_errno(err, errno, "entry '%s': create whiteout", raw);
                return 0;
        }

        mode_t type = archive_entry_filetype(e);
        mode_t perm = archive_entry_perm(e) & 07777;
        _cleanup_close_ int fd = -EBADF;
        int r = create_node(u, a, e, pfd, name, raw, &fd);
        if (r != 0)
                return r < 0 ? r : 0;

        uid_t uid = (uid_t)archive_entry_uid(e);
        gid_t gid = (gid_t)archive_entry_gid(e);
        if (u->x && u->x->set_owner) {
                /* as cp(1) that cannot keep the owner: a set-id file of
                 * someone else never becomes one of the new owner's */
                if (type != AE_IFDIR && (uid != u->x->uid || gid != u->x->gid))
                        perm &= ~(mode_t)(S_ISUID | S_ISGID);
                uid = u->x->uid;
                gid = u->x->gid;
        } else if (u->x && u->x->map_owner) {
                u->x->map_owner(u->x->map_userdata, &uid, &gid);
        }
        if (u->x && u->x->host_safe && type != AE_IFDIR)
                perm &= ~(mode_t)(S_ISUID | S_ISGID);
        r = set_owner_mode(pfd, name, type, fd, uid, gid, perm, raw, err);
        if (r < 0)
                return r;
        r = set_xattrs(pfd, name, e, u->x && u->x->host_safe, err);
        if (r < 0)
                return r;
        struct timespec ts[2];
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        ts[0] = ts[1];
        if (type == AE_IFDIR) {
                /* later entries change a directory's mtime: set it at the end */
                if (u->n_dirs == u->dirs_cap) {
                        u->dirs_cap = u->dirs_cap ? 2 * u->dirs_cap : 64;
                        u->dirs = xreallocarray(u->dirs, u->dirs_cap, sizeof(u->dirs[0]));
                }
                u->dirs[u->n_dirs].path = xstrdup(path);
                u->dirs[u->n_dirs].mtime = ts[1];
                u->n_dirs++;
        } else if (fd >= 0) {
                futimens(fd, ts);
        } else {
                utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
        }
        return 0;
}

static void fix_dir_times(struct unpack *u)
{
        for (size_t i = u->n_dirs; i-- > 0;) {
                struct timespec ts[2] = {u->dirs[i].mtime, u->dirs[i].mtime};
                _cleanup_close_ int fd =
                        openat_in_root(u->rootfd, u->dirs[i].path, O_RDONLY | O_DIRECTORY, 0);
                if (fd >= 0)
                        futimens(fd, ts);
                free(u->dirs[i].path);
        }
        free(u->dirs);
        u->dirs = NULL;
        u->n_dirs = u->dirs_cap = 0;
}

static enum store_layer_compression compression_of(struct archive *a)
{
        int n = archive_filter_count(a);
        for (int i = 0; i < n; i++) {
                switch (archive_filter_code(a, i)) {
                case ARCHIVE_FILTER_NONE:
                        continue;
                case ARCHIVE_FILTER_GZIP:
                        return STORE_COMPRESSION_GZIP;
                case ARCHIVE_FILTER_ZSTD:
                        return STORE_COMPRESSION_ZSTD;
                default:
                        return STORE_COMPRESSION_OTHER;
                }
        }
        return STORE_COMPRESSION_NONE;
}

/* Is the warning of the last header only that a name could not be
 * converted to the locale's charset?  libarchive then keeps the name's
 * bytes, which is what box wants.  Any other warning (a malformed pax
 * header, too many special headers) would leave an entry half read:
 * refused, as Docker's reader refuses it. */
static bool name_warning(struct archive *a)
{
        const char *msg = archive_error_string(a);
        /* libarchive's ARCHIVE_ERRNO_FILE_FORMAT: EILSEQ on Linux */
        return archive_errno(a) == EILSEQ && msg && strstr(msg, "can't be converted from");
}

/* Takes ownership of rootfd. */
static int unpack_stream(struct unpack *u, int rootfd)
{
        struct box_err *err = u->err;
        locale_t old_locale = c_locale_enter();
        struct archive *outer = archive_read_new(), *inner = NULL;
        struct archive_entry *e;
        int r;

        u->outer = outer;
        u->rootfd = rootfd;
        store_limits_get(&u->limits);
        if (u->x && !u->x->layer_limits) /* box cp: what the user copies, to where they say */
                u->limits.layer_size = u->limits.layer_entries = UINT64_MAX;
        u->n_entries = u->files_size = 0;
        u->prime = 0;
        r = support_filters(outer, err);
        if (r < 0)
                goto out;
        archive_read_support_format_raw(outer);
        if (archive_read_open(outer, u, NULL, outer_read_cb, NULL) != ARCHIVE_OK) {
                r = u->failed ? -err->code
                              : box_err_set(err, EBADMSG, "%s", archive_error_string(outer));
                goto out;
        }
        if (archive_read_next_header(outer, &e) != ARCHIVE_OK) {
                r = u->failed ? -err->code
                              : box_err_set(err, EBADMSG, "not a %s: %s",
                                            u->plain ? "tar archive" : "layer",
                                            archive_error_string(outer));
                goto out;
        }
        /* without compression the tar is the raw stream: one hash serves both */
        u->identity = !u->plain && compression_of(outer) == STORE_COMPRESSION_NONE;
        inner = archive_read_new();
        archive_read_support_format_tar(inner);
        if (archive_read_open(inner, u, NULL, inner_read_cb, NULL) != ARCHIVE_OK) {
                r = u->failed ? -err->code
                              : box_err_set(err, EBADMSG, "not a tar archive: %s",
                                            archive_error_string(inner));
                goto out;
        }
        for (;;) {
                r = archive_read_next_header(inner, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_WARN && !u->failed && name_warning(inner)) {
                        /* kept as bytes: see the top of this file */
                        log_debug("layer: %s", archive_error_string(inner));
                } else if (r != ARCHIVE_OK) {
                        /* before any real entry: what was read is no tar at all */
                        r = u->failed ? -err->code
                                      : box_err_set(err, EBADMSG, "%s: %s",
                                                    u->n_entries || r == ARCHIVE_WARN
                                                            ? "corrupt tar"
                                                            : "not a tar archive",
                                                    archive_error_string(inner));
                        goto out;
                }
                if (u->prime == 1) {
                        /* the synthetic entry: see prime_block() */
                        u->prime = 2;
                        if (!streq(strempty(archive_entry_pathname(e)), PRIME_NAME)) {
                                r = box_err_set(err, EBADMSG, "corrupt tar: lost the first entry");
                                goto out;
                        }
                        continue;
                }
                r = extract_entry(u, inner, e);
                if (r < 0)
                        goto out;
        }
        fix_dir_times(u);
        /* Hash what follows the end-of-archive marker too: the digests cover
         * the whole stream, and trailing garbage would otherwise go unseen. */
        const void *dummy;
        while ((r = (int)inner_read_cb(inner, u, &dummy)) > 0)
                ;
        if (r < 0) {
                r = -err->code;
                goto out;
        }
        u->compression_out = compression_of(outer);
        r = 0;
out:
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        u->dirs = NULL;
        u->n_dirs = u->dirs_cap = 0;
        if (u->rootfd >= 0)
                close(u->rootfd);
        u->rootfd = -EBADF;
        if (u->dir_fd >= 0)
                close(u->dir_fd);
        u->dir_fd = -EBADF;
        free(u->dir_path);
        u->dir_path = NULL;
        if (inner)
                archive_read_free(inner);
        archive_read_free(outer);
        u->outer = NULL;
        c_locale_leave(old_locale);
        return r;
}

static int drain_raw(struct unpack *u)
{
        for (;;) {
                const char *b;
                ssize_t n = read_raw(u, &b);
                if (n <= 0)
                        return (int)n;
        }
}

static int unpack_layer(struct store *st, store_read_fn read, void *userdata,
                        const struct store_lender *lender,
                        const struct store_layer_unpack_opts *opts, struct store_layer_info *ret,
                        struct box_err *err)
{
        static const struct store_layer_unpack_opts no_opts;
        struct unpack u = {
                .st = st,
                .read = read,
                .ud = userdata,
                .lender = lender,
                .opts = opts ? opts : &no_opts,
                .err = err,
                .rootfd = -EBADF,
                .dir_fd = -EBADF,
        };
        struct store_layer_info info = {0};
        _cleanup_free_ char *tmpdir =
                xasprintf("layers/.tmp-%d-%lx", getpid(), (unsigned long)random());
        _cleanup_free_ char *final = NULL, *shortp = NULL;
        int r;

        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        if (mkdirat(store_root_fd(st), tmpdir, 0755) < 0)
                return box_err_errno(err, errno, "create '%s'", tmpdir);
        fchmodat(store_root_fd(st), tmpdir, 0755, 0);
        if (u.opts->save_blob) {
                r = store_blob_writer_new(st, &u.blob, err);
                if (r < 0)
                        goto fail;
                /* what it is sent is hashed here already (raw_sha, or
                 * tar_sha for save_uncompressed) */
                store_blob_writer_skip_hash(u.blob);
        }
        u.raw_buf = xmalloc(RAW_BUF);
        u.raw_sha = sha256_new();
        u.tar_sha = sha256_new();

        int rootfd = openat(store_root_fd(st), tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = box_err_errno(err, errno, "open '%s'", tmpdir);
                goto fail;
        }
        /* the raw stream is hashed (and saved) on another core meanwhile */
        r = store_sink_start(u.raw_sha, u.opts->save_uncompressed ? NULL : u.blob, RAW_BUF, lender,
                             &u.sink, err);
        if (r < 0) {
                close(rootfd);
                goto fail;
        }
        r = unpack_stream(&u, rootfd);
        if (r >= 0)
                r = drain_raw(&u);
        int rs = store_sink_finish(TAKE_PTR(u.sink), r < 0 ? NULL : err);
        if (r >= 0)
                r = rs;
        if (r < 0)
                goto fail;

        sha256_final_str(TAKE_PTR(u.raw_sha), info.digest);
        if (u.identity)
                memcpy(info.diff_id, info.digest, sizeof(info.diff_id));
        else
                sha256_final_str(u.tar_sha, info.diff_id);
        if (u.identity)
                sha256_free(u.tar_sha);
        u.tar_sha = NULL;
        info.size = u.raw_size;
        info.compression = u.compression_out;
        if (u.opts->save_uncompressed) {
                memcpy(info.digest, info.diff_id, sizeof(info.digest));
                info.size = u.tar_size;
                info.compression = STORE_COMPRESSION_NONE;
        }
        if (u.opts->expect_size && u.raw_size != u.opts->expect_size) {
                r = box_err_set(err, EBADMSG,
                                "size mismatch: the descriptor says %llu bytes, the blob has %llu",
                                (unsigned long long)u.opts->expect_size,
                                (unsigned long long)u.raw_size);
                goto fail;
        }
        if (u.opts->expect_digest && !u.opts->save_uncompressed &&
            !streq(u.opts->expect_digest, info.digest)) {
                r = box_err_set(err, EBADMSG, "digest mismatch: expected %s, got %s",
                                u.opts->expect_digest, info.digest);
                goto fail;
        }
        if (u.opts->expect_diff_id && !streq(u.opts->expect_diff_id, info.diff_id)) {
                r = box_err_set(err, EBADMSG, "diff_id mismatch: expected %s, got %s",
                                u.opts->expect_diff_id, info.diff_id);
                goto fail;
        }
        /* Publish: one syncfs flushes the blob and the tree together,
         * then the renames make them visible (and a directory fsync each
         * keeps the renames), so neither is ever seen half-written, even
         * after a crash.  A layer the store has already keeps its tree. */
        final = xasprintf("layers/%s", info.diff_id + 7);
        int have = faccessat(store_root_fd(st), final, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (!have) {
                if (syncfs(store_root_fd(st)) < 0) {
                        r = box_err_errno(err, errno, "sync layer %s", info.diff_id);
                        goto fail;
                }
                if (u.blob)
                        store_blob_writer_synced(u.blob);
        }
        if (u.blob) {
                r = store_blob_writer_commit(TAKE_PTR(u.blob), info.digest, NULL, NULL, err);
                if (r < 0)
                        goto fail;
        }
        if (have || renameat(store_root_fd(st), tmpdir, store_root_fd(st), final) < 0) {
                if (!have && errno != EEXIST && errno != ENOTEMPTY) {
                        r = box_err_errno(err, errno, "publish layer %s", info.diff_id);
                        goto fail;
                }
                fs_rm_rf_at(store_root_fd(st), tmpdir, NULL);
        } else {
                (void)fs_fsync_dir_at(store_root_fd(st), "layers");
        }
        shortp = store_layer_short_path(st, info.diff_id);
        free(u.raw_buf);
        if (ret)
                *ret = info;
        return 0;
fail:
        store_blob_writer_abort(u.blob);
        sha256_free(u.raw_sha);
        sha256_free(u.tar_sha);
        free(u.raw_buf);
        fs_rm_rf_at(store_root_fd(st), tmpdir, NULL);
        return r;
}

int store_layer_unpack(struct store *st, store_read_fn read, void *userdata,
                       const struct store_layer_unpack_opts *opts, struct store_layer_info *ret,
                       struct box_err *err)
{
        return unpack_layer(st, read, userdata, NULL, opts, ret, err);
}

int store_layer_unpack_lent(struct store *st, const struct store_lender *src,
                            const struct store_layer_unpack_opts *opts,
                            struct store_layer_info *ret, struct box_err *err)
{
        return unpack_layer(st, NULL, NULL, src, opts, ret, err);
}

ssize_t store_read_fd(void *userdata, void *buf, size_t n, struct box_err *err)
{
        ssize_t r = RETRY_EINTR(read(*(int *)userdata, buf, n));
        return r < 0 ? box_err_errno(err, errno, "read the archive") : r;
}

int store_layer_unpack_fd(struct store *st, int fd, const struct store_layer_unpack_opts *opts,
                          struct store_layer_info *ret, struct box_err *err)
{
        return store_layer_unpack(st, store_read_fd, &fd, opts, ret, err);
}

int store_archive_extract_fd(int fd, int destfd, struct box_err *err)
{
        return store_archive_extract_fd_as(fd, destfd, NULL, err);
}

int store_archive_is_tar(int fd, struct box_err *err)
{
        locale_t old_locale = c_locale_enter();
        struct archive *probe = archive_read_new();
        int r = support_filters(probe, err);
        if (r < 0) {
                archive_read_free(probe);
                c_locale_leave(old_locale);
                return r;
        }
        archive_read_support_format_tar(probe);
        struct archive_entry *e;
        int x = archive_read_open_fd(probe, fd, 1 << 16) == ARCHIVE_OK
                        ? archive_read_next_header(probe, &e)
                        : ARCHIVE_FATAL;
        int is_tar = x == ARCHIVE_OK || (x == ARCHIVE_WARN && name_warning(probe));
        archive_read_free(probe);
        c_locale_leave(old_locale);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return box_err_errno(err, errno, "seek");
        return is_tar;
}

int store_archive_extract_fd_as(int fd, int destfd, const struct store_extract_opts *xo,
                                struct box_err *err)
{
        struct unpack u = {
                .read = store_read_fd,
                .ud = &fd,
                .opts = &(struct store_layer_unpack_opts){0},
                .err = err,
                .plain = 1,
                .rootfd = -EBADF,
                .dir_fd = -EBADF,
                .x = xo,
        };
        /* Only a recognised tar (plain or compressed) is extracted. */
        int r = store_archive_is_tar(fd, err);
        if (r <= 0)
                return r;
        u.raw_buf = xmalloc(RAW_BUF);
        u.raw_sha = sha256_new();
        u.tar_sha = sha256_new();
        r = unpack_stream(&u, fcntl(destfd, F_DUPFD_CLOEXEC, 3));
        sha256_free(u.raw_sha);
        sha256_free(u.tar_sha);
        free(u.raw_buf);
        return r < 0 ? r : 1;
}

int store_archive_extract(store_read_fn read, void *userdata, int rootfd,
                          const struct store_extract_opts *opts, struct box_err *err)
{
        struct unpack u = {
                .read = read,
                .ud = userdata,
                .opts = &(struct store_layer_unpack_opts){0},
                .err = err,
                .plain = 1,
                .x = opts,
                .rootfd = -EBADF,
                .dir_fd = -EBADF,
        };
        int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return box_err_errno(err, errno, "dup");
        u.raw_buf = xmalloc(RAW_BUF);
        u.raw_sha = sha256_new();
        u.tar_sha = sha256_new();
        int r = unpack_stream(&u, fd);
        sha256_free(u.raw_sha);
        sha256_free(u.tar_sha);
        free(u.raw_buf);
        return r;
}

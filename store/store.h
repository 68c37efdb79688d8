/* The image store: a directory that is at once a valid OCI image layout
 * (oci-layout, index.json, blobs/sha256/<hex>) and box's own state (unpacked
 * layers, containers, volumes).  See docs/store.md for the on-disk layout.
 *
 * Ownership: struct store is owned by its opener and freed by store_close().
 * Invariants: blobs are written to tmp/ and renamed into place only after
 * their digest has been verified; index.json is rewritten atomically under
 * index.lock; an unpacked layer becomes visible under layers/ by a single
 * rename once complete.  Long-running writers (import, load, build) hold
 * the store lock shared; garbage collection holds it exclusive, so it never
 * removes content an in-flight writer is about to reference. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/sha256.h"

struct store;

typedef char digest_str[SHA256_DIGEST_STR_LEN + 1];

int store_open(const char *root, struct store **ret, struct box_err *err);
void store_close(struct store *st);
const char *store_root(const struct store *st);
int store_root_fd(const struct store *st);

enum store_lock_mode { STORE_LOCK_SHARED, STORE_LOCK_EXCLUSIVE };
/* The content lock; idempotent per mode (re-locking upgrades/downgrades). */
int store_lock(struct store *st, enum store_lock_mode mode, struct box_err *err);
void store_unlock(struct store *st);

/* ---- limits on what one input may cost ----
 *
 * Every layer, archive, layout and download is hostile input until its
 * digests check out, and even then its size is the sender's choice.  These
 * caps bound the disk, memory and time one input can take.  Each can be
 * changed in the environment (sizes take a K, M, G or T suffix, powers of
 * 1024; 0 lifts a cap); docs/store.md explains the defaults. */
#define STORE_DEFAULT_LAYER_SIZE         (UINT64_C(64) << 30) /* BOX_MAX_LAYER_SIZE */
#define STORE_DEFAULT_LAYER_ENTRIES      UINT64_C(10000000)   /* BOX_MAX_LAYER_ENTRIES */
#define STORE_DEFAULT_JSON_SIZE          (UINT64_C(4) << 20)  /* BOX_MAX_JSON_SIZE */
#define STORE_DEFAULT_DOWNLOAD_SIZE      (UINT64_C(64) << 30) /* BOX_PULL_MAX_SIZE */
#define STORE_DEFAULT_DOWNLOAD_DEADLINE  UINT64_C(14400)      /* BOX_PULL_DEADLINE, seconds */
#define STORE_DEFAULT_DOWNLOAD_MIN_SPEED UINT64_C(1024)       /* BOX_PULL_MIN_SPEED, bytes/s */
/* The longest path inside a layer (PATH_MAX less its NUL): the kernel
 * resolves nothing longer, so neither packing nor unpacking accepts it. */
#define STORE_PATH_MAX 4095

struct store_limits {
        uint64_t layer_size;         /* uncompressed bytes of one layer, and of its files */
        uint64_t layer_entries;      /* entries in one layer */
        uint64_t json_size;          /* bytes of one manifest, index or config */
        uint64_t download_size;      /* bytes of one download */
        uint64_t download_deadline;  /* seconds a whole pull may take */
        uint64_t download_min_speed; /* bytes/s below which a download stalls */
};

/* The caps now in force (UINT64_MAX: none). */
void store_limits_get(struct store_limits *ret);

/* ---- blobs ---- */
struct store_blob_writer;
int store_blob_writer_new(struct store *st, struct store_blob_writer **ret, struct box_err *err);
int store_blob_writer_write(struct store_blob_writer *w, const void *p, size_t n,
                            struct box_err *err);
/* Verifies EXPECT (if not NULL), fsyncs and renames into blobs/; frees w. */
int store_blob_writer_commit(struct store_blob_writer *w, const char *expect, digest_str ret_digest,
                             uint64_t *ret_size, struct box_err *err);
void store_blob_writer_abort(struct store_blob_writer *w);

int store_blob_put(struct store *st, const void *p, size_t n, digest_str ret_digest,
                   struct box_err *err);
int store_blob_exists(struct store *st, const char *digest);
int store_blob_open(struct store *st, const char *digest, int *ret_fd, struct box_err *err);
int store_blob_read(struct store *st, const char *digest, char **ret, size_t *ret_len,
                    struct box_err *err);
/* Absolute path of a blob (whether or not it exists). */
char *store_blob_path(struct store *st, const char *digest);

/* ---- unpacked layers, keyed by diff_id ---- */
int store_layer_exists(struct store *st, const char *diff_id);
/* Absolute path of the layer's directory tree. */
char *store_layer_path(struct store *st, const char *diff_id);
/* Short path relative to the store root ("l/XXXXXXXX"), a symlink to the
 * layer tree, to keep overlayfs option strings under a page. */
char *store_layer_short_path(struct store *st, const char *diff_id);

enum store_layer_compression {
        STORE_COMPRESSION_NONE,
        STORE_COMPRESSION_GZIP,
        STORE_COMPRESSION_ZSTD,
        STORE_COMPRESSION_OTHER,
};

/* Pulls raw bytes of a layer blob; returns bytes read, 0 at EOF, -errno. */
typedef ssize_t (*store_read_fn)(void *userdata, void *buf, size_t n, struct box_err *err);
/* A store_read_fn reading the fd USERDATA points to (an int *). */
ssize_t store_read_fd(void *userdata, void *buf, size_t n, struct box_err *err);

struct store_layer_unpack_opts {
        const char *expect_digest;  /* the blob's digest, verified when set */
        const char *expect_diff_id; /* the uncompressed tar's digest, verified when set */
        uint64_t expect_size;       /* > 0: the blob's size; reading stops past it */
        int save_blob;              /* also store the blob in blobs/ */
        int save_uncompressed;      /* store the uncompressed tar as the blob instead */
};

struct store_layer_info {
        digest_str digest;  /* of the blob as stored (or as read when not saved) */
        digest_str diff_id; /* of the uncompressed tar */
        uint64_t size;      /* bytes of the blob */
        enum store_layer_compression compression;
};

/* Streams one layer tarball (plain, gzip, zstd, ...) into layers/<diff_id>,
 * turning OCI whiteouts into overlayfs ones and refusing entries that would
 * land outside the layer.  An already unpacked layer is verified and kept. */
int store_layer_unpack(struct store *st, store_read_fn read, void *userdata,
                       const struct store_layer_unpack_opts *opts, struct store_layer_info *ret,
                       struct box_err *err);
/* A source that lends its bytes in place rather than copying them into a
 * buffer: LEND puts the next run (at most N bytes) in *RET and returns its
 * length, 0 at the end, or -errno.  *RET_KEPT says the run stays valid
 * until RELEASE is called with it (runs are given back in the order lent);
 * otherwise it is valid only until the next call, and is copied. */
struct store_lender {
        ssize_t (*lend)(void *userdata, size_t n, const void **ret, bool *ret_kept,
                        struct box_err *err);
        void (*release)(void *userdata, const void *p, size_t n);
        void *userdata;
};
/* store_layer_unpack() from a lending source: a run it keeps is hashed,
 * saved and unpacked where it lies, with no copy of the layer's bytes. */
int store_layer_unpack_lent(struct store *st, const struct store_lender *src,
                            const struct store_layer_unpack_opts *opts,
                            struct store_layer_info *ret, struct box_err *err);
int store_layer_unpack_fd(struct store *st, int fd, const struct store_layer_unpack_opts *opts,
                          struct store_layer_info *ret, struct box_err *err);

/* ---- named images (index.json) ---- */
struct store_image {
        char *name;            /* full reference; NULL for a dangling image */
        digest_str manifest;   /* manifest digest */
        int64_t manifest_size; /* bytes */
};

void store_images_free(struct store_image *v, size_t n);
/* The list with its length, to free by scope:
 *   _cleanup_store_images_ struct store_images l = {0};
 *   r = store_images_list(st, &l.v, &l.n, err); */
struct store_images {
        struct store_image *v;
        size_t n;
};
static inline void store_images_release(struct store_images *l)
{
        store_images_free(l->v, l->n);
}
#define _cleanup_store_images_ _cleanup_(store_images_release)
/* All index.json entries, in file order. */
int store_images_list(struct store *st, struct store_image **ret, size_t *ret_n,
                      struct box_err *err);
/* Points NAME at the manifest (NAME NULL: add as dangling if absent).  The
 * image NAME pointed to before stays in the index, untagged, unless another
 * entry still refers to it. */
int store_image_tag(struct store *st, const char *name, const char *manifest_digest,
                    int64_t manifest_size, struct box_err *err);
/* Drops NAME from the index; its manifest stays as a dangling entry only if
 * KEEP_DANGLING.  Returns 1 if the manifest is no longer referenced. */
int store_image_untag(struct store *st, const char *name, int keep_dangling, struct box_err *err);
/* Removes every index entry for the manifest. */
int store_image_delete(struct store *st, const char *manifest_digest, struct box_err *err);

/* What gc keeps besides the index's images: manifest digests that others
 * (the containers of run/) pin, as a strv the store frees.  Called with
 * the exclusive lock held, so nothing pins an image between the call and
 * the sweep. */
typedef char **store_pins_fn(void *userdata);

/* Removes blobs and unpacked layers that no index entry and no manifest
 * PINS returns (PINS may be NULL) reaches.  Returns the number of bytes
 * freed. */
int64_t store_gc(struct store *st, store_pins_fn *pins, void *userdata, struct box_err *err);

/* ---- packing a directory (an overlay upper dir) into a layer ---- */

struct store_layer_pack_opts {
        int64_t clamp_mtime; /* > 0: mtimes later than this are set to it (SOURCE_DATE_EPOCH) */
        int uncompressed;    /* store the tar itself as the blob */
        int keep_dir;        /* DIR stays as it is (a container's upper dir): the layer is
                              * unpacked from the new blob instead */
        int tar_libarchive;  /* every entry written by libarchive, none by box's own ustar
                              * writer (tests: both give the same bytes) */
        int live;            /* DIR changes while it is read (a running container's, not
                              * frozen): an entry gone before it is read is left out and a
                              * file that shrank is padded with zeros, as GNU tar does */
        struct store_layer_pack_stats *stats; /* when not NULL: filled on success */
};

/* Where store_layer_pack_dir()'s time went, for a build's per-step report:
 * reading the tree and writing the tar (headers, data, SHA-256, the blob
 * file), making it durable, and publishing it (the blob's rename, the
 * directory's into layers/). */
struct store_layer_pack_stats {
        double tar_s, sync_s, publish_s;
        double cpu_s;    /* CPU time (user and system, all threads) of all three: what
                          * the pack costs whatever the host's load */
        uint64_t bytes;  /* the tar's */
        size_t entries;  /* its entries */
        bool syncfs;     /* synced with one syncfs rather than an fsync each */
        bool libarchive; /* some entry needed libarchive's pax writer */
};

/* Turns directory DIR (absolute; overlayfs whiteouts and opaque dirs
 * inside) into a reproducible layer: entries sorted, numeric ids, no
 * atime/ctime, overlay whiteouts written as OCI ".wh." entries, gzip with a
 * fixed header.  Tar, hashes and compressed blob come out of one pass.  DIR
 * then becomes the unpacked layer itself (renamed into layers/), so it is
 * never extracted again; when that layer exists already DIR is left as it
 * is, for the caller to remove (a build step's reaper, while the build goes
 * on: removing a big tree here waits for the disk's discards, 14-18 s for
 * 350 MB).  With keep_dir it stays, and the layer is extracted from the
 * blob.
 * An empty DIR gives the empty layer; callers decide whether to keep it. */
int store_layer_pack_dir(struct store *st, const char *dir,
                         const struct store_layer_pack_opts *opts, struct store_layer_info *ret,
                         struct box_err *err);

/* Writes blob DIGEST (a layer's plain tar) gzip-compressed as another blob,
 * with the compressor's settings of store_layer_pack_dir(), so the result
 * is the blob a compressed pack of the same tree gives: for box push,
 * which sends layers compressed while the store keeps them as tar. */
int store_blob_gzip(struct store *st, const char *digest, digest_str ret_digest, uint64_t *ret_size,
                    struct box_err *err);

/* 1 when FD holds a tar archive (plain or compressed: the first header
 * reads), 0 when not; FD is back at offset 0 either way. */
int store_archive_is_tar(int fd, struct box_err *err);
/* Extracts the tar archive (plain or compressed) in FD into DESTFD, with the
 * same containment as layers but no whiteout handling (ADD of a local
 * archive).  Returns 1 when extracted, 0 when FD holds no tar archive. */
int store_archive_extract_fd(int fd, int destfd, struct box_err *err);
/* The same with XO's rules (ADD --chown: every entry gets XO's UID and
 * GID; layer_limits set keeps the limits of layers). */
struct store_extract_opts;
int store_archive_extract_fd_as(int fd, int destfd, const struct store_extract_opts *xo,
                                struct box_err *err);

/* box cp's extraction: Docker's rules for where an entry lands. */
struct store_extract_opts {
        const char *base; /* the directory of ROOTFD the names start from: clean, relative,
                           * resolved inside ROOTFD as every entry is (NULL or "": ROOTFD) */
        bool no_dir_swap; /* a directory is never replaced by a non-directory nor the reverse */
        bool set_owner;   /* every entry gets UID and GID, not the archive's owners (and a
                           * file that changes owner so loses its set-id bits) */
        uid_t uid;
        gid_t gid;
        /* without SET_OWNER: each archive owner goes through it (NULL: kept) */
        void (*map_owner)(void *userdata, uid_t *uid, gid_t *gid);
        void *map_userdata;
        bool layer_limits; /* keep the layer size and entry limits (ADD), which box cp lifts */
        /* ADD, as BuildKit's unpack: a directory entry whose name is a symlink
         * to a directory inside the root (./bin/ over Debian's /bin -> usr/bin)
         * applies to that directory and the link stays (moby's archive package
         * replaced the link with a directory, so /bin/sh was gone) */
        bool follow_dir_links;
        /* the tree becomes the host's (build -o type=local): box writes as
         * root what an image holds, so no device node (skipped), no set-id
         * bit on a non-directory and no file capability, where Docker's
         * client, writing as the user, could make none of them */
        bool host_safe;
        /* the tree lands on the host (box cp out of a container): no device
         * node, which box as root would make there as the image says (a
         * b 8 0 of mode 0666 opened the host's disk to every user) */
        bool no_devices;
};
/* Extracts the tar stream (plain or compressed) READ yields under ROOTFD
 * (which stays the caller's), with the containment of layers: every entry,
 * hard link target and parent resolved inside ROOTFD, "../" and absolute
 * names kept inside, nothing written through a symlink that leads out.
 * The caps of store_limits_get() do not apply: the user chose what to copy
 * and where. */
int store_archive_extract(store_read_fn read, void *userdata, int rootfd,
                          const struct store_extract_opts *opts, struct box_err *err);

/* Tar archives for moving images (and box cp's files) in and out: a streaming reader of an
 * archive (plain, gzip or zstd) entry by entry, a writer of plain tar
 * streams, and a streaming decompressor for layer blobs.  libarchive is
 * used only behind this header (image/tar.c); its types never leak.
 *
 * Ownership: each object is owned by its creator and freed by its *_free()
 * (which also releases what it reads from or writes to only when it says
 * so).  Invariant: a reader hands out one entry at a time; an entry's name
 * and link target stay valid until the next image_tar_reader_next(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lib/err.h"
#include "store/store.h"

/* ---- reading ---- */

enum image_tar_type {
        IMAGE_TAR_FILE,
        IMAGE_TAR_DIR,
        IMAGE_TAR_SYMLINK,
        IMAGE_TAR_HARDLINK,
        IMAGE_TAR_OTHER,
};

struct image_tar_entry {
        const char *path; /* as stored, without a leading "./" */
        const char *link; /* symlink or hard link target (never NULL for one), else NULL */
        int64_t size;
        enum image_tar_type type;
};

struct image_tar_reader;

/* Reads an archive whose raw bytes come from READ (store_read_fn semantics). */
int image_tar_reader_new(store_read_fn read, void *userdata, struct image_tar_reader **ret,
                         struct box_err *err);
/* A source that lends its bytes in place: the next run of them in *RET,
 * valid until the next call; its length, 0 at the end, or -errno. */
typedef ssize_t image_lend_fn(void *userdata, const void **ret, struct box_err *err);
/* As image_tar_reader_new(), from LEND: no copy into a buffer of its own. */
int image_tar_reader_new_lent(image_lend_fn *lend, void *userdata, struct image_tar_reader **ret,
                              struct box_err *err);
/* 1 and the next entry in RET, 0 at the end of the archive, or -errno. */
int image_tar_reader_next(struct image_tar_reader *r, struct image_tar_entry *ret,
                          struct box_err *err);
/* Data of the current entry: bytes read, 0 at its end, or -errno (a
 * truncated or corrupt archive). */
ssize_t image_tar_reader_read(struct image_tar_reader *r, void *buf, size_t n, struct box_err *err);
/* As image_tar_reader_read(), without the copy: the next run (at most N
 * bytes) of the current entry's data in place in *RET, valid until the
 * next call on R (or longer, when R reads from a source that lends and
 * keeps it: image_prefetch_hold()). */
ssize_t image_tar_reader_lend(struct image_tar_reader *r, size_t n, const void **ret,
                              struct box_err *err);
/* Bytes of the raw (possibly compressed) stream consumed so far. */
uint64_t image_tar_reader_offset(const struct image_tar_reader *r);
void image_tar_reader_free(struct image_tar_reader *r);
DEFINE_POINTER_CLEANUP(struct image_tar_reader, image_tar_reader_free)
#define _cleanup_tar_reader_ _cleanup_(image_tar_reader_freep)

/* ---- writing ---- */

struct image_tar_writer;

/* Writes a plain (ustar/pax) tar stream to FD; FD stays the caller's. */
int image_tar_writer_new(int fd, struct image_tar_writer **ret, struct box_err *err);
/* Starts an entry: a regular file of SIZE bytes (then exactly SIZE bytes of
 * image_tar_writer_write()), or a directory (SIZE 0) when IS_DIR. */
int image_tar_writer_add(struct image_tar_writer *w, const char *path, int is_dir, int64_t size,
                         int64_t mtime, struct box_err *err);
/* Rewrites an owner, in place (the ids of a user namespace's files). */
typedef void (*image_tar_owner_map_fn)(void *userdata, uid_t *uid, gid_t *gid);
/* The owners image_tar_writer_add_stat() writes go through MAP first. */
void image_tar_writer_set_owner_map(struct image_tar_writer *w, image_tar_owner_map_fn map,
                                    void *userdata);
/* Starts an entry named PATH with the type, mode, owner, times and device
 * of ST: a regular file (then exactly st_size bytes of
 * image_tar_writer_write(), unless LINK names an earlier entry it is a hard
 * link to), a directory, a symlink to LINK, a device node or a FIFO.  A
 * socket is refused (ENOTSUP). */
int image_tar_writer_add_stat(struct image_tar_writer *w, const char *path, const struct stat *st,
                              const char *link, struct box_err *err);
/* Is FD on one of the kernel's file systems (proc, sysfs, cgroup, devpts,
 * ...), which image_tar_writer_add_fd_tree() archives as empty? */
bool image_tar_kernel_fs(int fd);
/* Adds the entry FD (an O_PATH fd) as NAME and, when it is a
 * directory, the tree below it as "NAME/..." (NAME "": the tree's content
 * only, its names relative).  Everything below FD is opened one name at a
 * time under its parent's fd, following no symlink and crossing no
 * magic link, so a tree that changes while it is read (a running
 * container's) yields only what is under FD; a file that shrinks is padded
 * with zeros to the size its header gave.  Hard links within the tree
 * become hard link entries.  A directory on a kernel file system is
 * archived empty.  Deeper than 256 directories is refused. */
int image_tar_writer_add_fd_tree(struct image_tar_writer *w, int fd, const char *name,
                                 struct box_err *err);
int image_tar_writer_write(struct image_tar_writer *w, const void *p, size_t n,
                           struct box_err *err);
/* A whole small file in one call. */
int image_tar_writer_add_data(struct image_tar_writer *w, const char *path, const void *p, size_t n,
                              int64_t mtime, struct box_err *err);
/* Adds the tree under the directory DIR (absolute), names relative to it
 * ("bin/", "bin/sh"), keeping owners, modes, times, hard links, device
 * nodes and xattrs. */
int image_tar_writer_add_tree(struct image_tar_writer *w, const char *dir, struct box_err *err);
/* Writes the end-of-archive marker; the writer stays to be freed. */
int image_tar_writer_finish(struct image_tar_writer *w, struct box_err *err);
void image_tar_writer_free(struct image_tar_writer *w);
DEFINE_POINTER_CLEANUP(struct image_tar_writer, image_tar_writer_free)
#define _cleanup_tar_writer_ _cleanup_(image_tar_writer_freep)

/* ---- decompressing ---- */

struct image_decompressor;

/* Decompresses (gzip, zstd, xz, bzip2 or none) what READ yields. */
int image_decompressor_new(store_read_fn read, void *userdata, struct image_decompressor **ret,
                           struct box_err *err);
ssize_t image_decompressor_read(struct image_decompressor *d, void *buf, size_t n,
                                struct box_err *err);
void image_decompressor_free(struct image_decompressor *d);
DEFINE_POINTER_CLEANUP(struct image_decompressor, image_decompressor_free)
#define _cleanup_decompressor_ _cleanup_(image_decompressor_freep)

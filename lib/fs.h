/* File system helpers.  All fds are opened O_CLOEXEC.  Paths are relative to
 * a directory fd (AT_FDCWD allowed) unless the name says otherwise. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/err.h"

/* mkdir -p PATH under DIRFD; existing directories are fine. */
int fs_mkdir_p_at(int dirfd, const char *path, mode_t mode, struct box_err *err);
int fs_mkdir_p(const char *path, mode_t mode, struct box_err *err);

/* Marks directory NAME under DIRFD ("." for DIRFD itself) as the top of
 * unrelated trees (chattr +T), so that ext2/3/4 place each new
 * subdirectory in a block group of its own choosing (Orlov's spreading, as
 * for directories made in /) rather than beside it.  Best effort: other
 * file systems have no such flag. */
void fs_dir_spread_at(int dirfd, const char *name);

/* rm -rf NAME under DIRFD.  Never descends into a different mount: a
 * mount point below NAME makes it fail with EBUSY rather than wipe another
 * file system.  A missing NAME is success.  Works through fds, following
 * no symlink, and keeps at most 64 directories open whatever the depth
 * (deeper ones are moved up inside NAME and removed from there). */
int fs_rm_rf_at(int dirfd, const char *name, struct box_err *err);
int fs_rm_rf(const char *path, struct box_err *err);

/* Writes NAME under DIRFD atomically: a temp file in the same directory,
 * fsync, rename over NAME, fsync of the directory. */
int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       struct box_err *err);
/* The same without the fsyncs, for a cache whose readers treat a missing,
 * empty or unparsable file as a miss: after a crash NAME is the old file,
 * the new one, or empty, never a mix. */
int fs_write_cache_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      struct box_err *err);
int fs_fsync_dir_at(int dirfd, const char *name);

/* An output file the user named (`save -o`, `export -o`).  A regular file
 * (or a new name) is written to a temp file beside it and renamed over it by
 * fs_output_commit, so a failure leaves the old file whole; anything else
 * that exists there (/dev/null, a FIFO, a terminal) is opened and written
 * in place, as Docker does, and never replaced by a rename. */
struct fs_output {
        int fd;
        char *path; /* the user's name */
        char *tmp;  /* NULL when written in place */
};
int fs_output_open(struct fs_output *o, const char *path, mode_t mode, struct box_err *err);
int fs_output_commit(struct fs_output *o, struct box_err *err);
/* closes the fd and removes an uncommitted temp file */
void fs_output_release(struct fs_output *o);
/* A small output file the user named (--iidfile, --metadata-file,
 * --digestfile) written whole the same way: `--iidfile /dev/stdout` writes
 * through the link, where a rename would replace the host's /dev/stdout. */
int fs_output_write(const char *path, const void *data, size_t len, mode_t mode,
                    struct box_err *err);

/* Reads a whole file (at most max bytes; 0 = 64 MiB) into a NUL-terminated buffer.
 * A FIFO with no writer when it is opened reads as empty instead of blocking. */
int fs_read_file_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
                    struct box_err *err);
int fs_read_fd(int fd, size_t max, char **ret, size_t *ret_len, struct box_err *err);
/* Reads an input file someone else may have planted (a Dockerfile, an
 * ignore file, a secret): opened O_NONBLOCK so a FIFO or a device never
 * blocks, refused unless it is a regular file.  With IN_ROOT, NAME is
 * resolved inside DIRFD (RESOLVE_IN_ROOT): a symlink cannot lead out of it. */
int fs_read_input_at(int dirfd, const char *name, bool in_root, size_t max, char **ret,
                     size_t *ret_len, struct box_err *err);

int fs_write_full(int fd, const void *p, size_t n);
ssize_t fs_read_full(int fd, void *p, size_t n);
/* Copies IN to OUT until EOF; returns 0 or -errno. */
int fs_copy_fd(int in, int out, uint64_t *ret_copied);

/* Disk usage in bytes of a tree (st_blocks based, hard links counted once
 * per call is not attempted, nothing deeper than 256 levels: close enough
 * for `system df`).  Mounts inside it are not its own and not walked: a
 * device volume's bind of a host directory (of "/") is not box's to count. */
int64_t fs_tree_size_at(int dirfd, const char *name);

/* Reading directories.  fs_fdopendir takes FD: on failure it closes it
 * (errno kept), and FD < 0 (a failed open, errno set) gives NULL, so
 * `fs_fdopendir(openat(...))` leaks nothing whichever step fails.  The DIR
 * is the caller's (_cleanup_closedir_). */
DIR *fs_fdopendir(int fd);
/* Directory NAME under DIRFD. */
DIR *fs_opendir_at(int dirfd, const char *name);
/* A DIR on a duplicate of FD, read from its start; FD stays the caller's
 * (the two share a file offset, so do not read FD meanwhile). */
DIR *fs_opendir_dup(int fd);
/* readdir(3) without "." and "..": NULL at the end (errno 0) or on a
 * read error (errno set). */
struct dirent *fs_readdir(DIR *d);
#define FS_FOREACH_DIRENT(de, d) for (struct dirent * de; (de = fs_readdir(d));)
/* The names in directory D (from where it stands), but "." and "..",
 * sorted bytewise: a strv, the caller's.  -errno on a read error. */
int fs_dir_names(DIR *d, char ***ret);

/* Is PATH a mount point (differs in mnt id from its parent)? */
int fs_is_mount_point_at(int dirfd, const char *name);

/* Closes every fd but 0, 1, 2 and the fds of KEEP (negative ones are
 * ignored; at most 16 kept).  Returns 0 or -errno. */
int fs_close_all_except(const int *keep, size_t n_keep);

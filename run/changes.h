/* A container's writable layer against its image: the shared layer of
 * mount points box puts on top of an image's layers, and the changes a
 * container made (box diff).
 *
 * The changes are read from the container's overlay upper dir, which the
 * container wrote: it is walked through fds that never follow a symlink,
 * and every lookup in the image's layers stays beneath that layer's dir.
 * The lists returned are the caller's (run_changes_free). */
#pragma once

#include <stddef.h>

#include "lib/err.h"

/* Puts the shared mount point layer (relative to ROOT, the store) on top
 * of LOWERDIRS (relative to ROOT, topmost first) when the image lacks any
 * of /etc/hostname, /etc/hosts, /etc/resolv.conf, /proc, /sys or /dev, so
 * making them never writes to a container's upper dir.  Best effort: on
 * failure LOWERDIRS stays as it was and the mount points land in the upper
 * dir, as before. */
void run_mountpoint_layer_add(const char *root, char ***lowerdirs);

struct run_change {
        char kind;  /* 'A' added, 'C' changed, 'D' deleted: Docker's letters */
        char *path; /* absolute, in the container */
};

/* The changes of upper dir UPPER (absolute) against LOWERDIRS (relative to
 * ROOT, topmost first), sorted by path, as `docker diff` lists them. */
int run_changes_list(const char *root, char *const *lowerdirs, const char *upper,
                     struct run_change **ret, size_t *ret_n, struct box_err *err);
void run_changes_free(struct run_change *v, size_t n);

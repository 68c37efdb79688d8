/* `box export CONTAINER`: a container's file system, flattened, as a tar
 * stream (what `docker export` writes).
 *
 * The merged view is an overlayfs mounted read-only, with the container's
 * upper directory as the top lower layer, in a private mount namespace of
 * this process (so nothing is ever visible outside it).  Whiteouts and
 * opaque directories are thus applied by the kernel, exactly as the
 * container saw its root.  The process stays in that namespace: call this
 * last, from a CLI command that exits afterwards.
 *
 * Ownership: FD stays the caller's. */
#pragma once

#include "store/store.h"

/* UPPER: the container's upper directory (absolute; NULL: the image
 * alone, `box build -o`); LOWERDIRS: the image's layers, topmost first,
 * relative to the store root (store_image_lowerdirs). */
int image_export_tree(struct store *st, const char *upper, char *const *lowerdirs, int fd,
                      struct box_err *err);

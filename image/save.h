/* Writing images out of the store: `box save`.
 *
 * docker-archive is what `docker save` (Docker 25 and later) writes: an OCI
 * layout whose layer blobs are the uncompressed layer tars, named by their
 * diff_id, plus Docker's manifest.json (Config, RepoTags, Layers) and the
 * legacy `repositories` file.  oci-archive is a tar of an OCI image layout
 * with the blobs exactly as stored; oci-dir is that layout as a directory.
 * Several images share blobs: each blob is written once.
 *
 * Ownership: the caller keeps FD.  Nothing is written to a directory
 * target that does not exist or is not empty. */
#pragma once

#include "store/store.h"

enum image_format {
        IMAGE_FORMAT_DOCKER_ARCHIVE,
        IMAGE_FORMAT_OCI_ARCHIVE,
        IMAGE_FORMAT_OCI_DIR,
};

int image_format_parse(const char *s, enum image_format *ret, struct box_err *err);

/* Saves IMAGES (what the user typed: names or ids) in FORMAT to FD (the
 * archive formats) or to the directory DIR (oci-dir). */
int image_save(struct store *st, char *const *images, enum image_format format, int fd,
               const char *dir, struct box_err *err);

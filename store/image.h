/* Images in the store: resolving what a user typed (a name, a short or full
 * image id) to a manifest and config, reading them, and committing new
 * images.  An image's id is its config digest, as in Docker.
 *
 * Ownership: struct store_image_handle owns its parsed manifest and config;
 * store_image_handle_release() frees them. */
#pragma once

#include "spec/oci.h"
#include "store/store.h"

struct store_image_handle {
        char *name;          /* the full reference it was found by, or NULL (by id) */
        digest_str id;       /* config digest */
        digest_str manifest; /* manifest digest */
        int64_t manifest_size;
        struct oci_manifest m;
        struct oci_image config;
        char *config_json; /* raw config bytes as stored */
        size_t config_len;
};

void store_image_handle_release(struct store_image_handle *h);
#define _cleanup_image_handle_ _cleanup_(store_image_handle_release)

/* Finds NAME_OR_ID: a reference (normalised: "busybox" means
 * docker.io/library/busybox:latest), "sha256:<hex>", or an unambiguous
 * prefix of an image id.  -ENOENT with "no such image: 'X'" when absent,
 * -EUCLEAN when the name's image is damaged (store_image_load()); found by
 * id, RET's id and manifest are set then (its id "" if the manifest is gone
 * too), the rest empty, for `rmi -f` to remove it. */
int store_image_resolve(struct store *st, const char *name_or_id, struct store_image_handle *ret,
                        struct box_err *err);
/* Reads manifest and config of a manifest digest; -EUCLEAN when either
 * blob is missing (a damaged store: `box rmi -f NAME`, `system fsck`). */
int store_image_load(struct store *st, const char *manifest_digest, struct store_image_handle *ret,
                     struct box_err *err);

/* Writes CONFIG and a manifest for LAYERS (already stored blobs whose layer
 * trees are unpacked) and tags it with each of NAMES (full references; may
 * be NULL).  Returns the image id in RET_ID. */
int store_image_commit(struct store *st, const struct oci_image *config,
                       const struct oci_descriptor *layers, size_t n_layers, char *const *names,
                       digest_str ret_id, struct box_err *err);

/* Absolute-path-free overlay lowerdir list for an image, topmost layer
 * first, relative to the store root ("l/ab:l/cd"), each layer checked to
 * be unpacked. */
int store_image_lowerdirs(struct store *st, const struct store_image_handle *h, char ***ret,
                          struct box_err *err);

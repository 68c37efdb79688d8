/* Reading images into the store: `box load` and `box pull URL`.
 *
 * Sources: a streamed archive (docker-archive in Docker's and Podman's
 * variants, legacy <id>/layer.tar entries included, or an oci-archive;
 * plain, gzip or zstd, the layers too), or a random-access OCI image
 * layout (a directory, or one served over HTTP, read through struct
 * image_layout_source).
 *
 * Streaming: docker-archive puts manifest.json last, so entries are taken
 * as they come.  Small JSON entries are kept in memory; every *.tar entry
 * and every non-JSON blobs/<alg>/<hex> entry is unpacked at once, as a
 * candidate layer, into the store (content-addressed and unreferenced, so
 * invisible and collectable), with its blob digest and diff_id computed on
 * the way (a blob named by digest is checked against its name).  At the end
 * manifest.json (or index.json) is matched against what was seen: every
 * config and manifest digest and every diff_id is verified before anything
 * is named.  Nothing is spooled to disk beyond the layer being unpacked.
 *
 * Invariant: on failure index.json is untouched; what was written is only
 * unreferenced blobs and layers that the next GC removes. */
#pragma once

#include "store/store.h"

struct image_load_opts {
        const char *name; /* tag the (single) image with this instead of its own tags */
        /* Called for each layer unpacked (may be NULL). */
        void (*on_layer)(void *userdata, const char *what, const struct store_layer_info *info);
        void *userdata;
};

struct image_loaded {
        digest_str id;       /* config digest */
        digest_str manifest; /* manifest digest */
        char **names;        /* full references it was tagged with (may be empty) */
};

void image_loaded_free(struct image_loaded *v, size_t n);

/* An archive whose raw bytes READ yields.  SOURCE names it in messages. */
int image_load_archive(struct store *st, store_read_fn read, void *userdata,
                       const struct image_load_opts *opts, struct image_loaded **ret, size_t *ret_n,
                       struct box_err *err);

/* A random-access OCI image layout.  Paths are relative to its root
 * ("index.json", "blobs/sha256/<hex>"). */
struct image_layout_source {
        /* Reads a small file whole; -ENOENT when absent. */
        int (*read_small)(void *userdata, const char *path, char **ret, size_t *ret_len,
                          struct box_err *err);
        /* Streams a blob into the store: opens PATH and calls
         * store_layer_unpack() with OPTS on its bytes. */
        int (*unpack)(void *userdata, const char *path, const struct store_layer_unpack_opts *opts,
                      struct store_layer_info *ret, struct box_err *err);
        /* Optional: 1 and its info when the source has already unpacked
         * and verified (digest and diff_id) the layer blob DIGEST, 0 when
         * not, or -errno when fetching it failed. */
        int (*fetched)(void *userdata, const char *digest, struct store_layer_info *ret,
                       struct box_err *err);
        void *userdata;
};

int image_load_layout(struct store *st, const struct image_layout_source *src,
                      const struct image_load_opts *opts, struct image_loaded **ret, size_t *ret_n,
                      struct box_err *err);

/* An OCI layout directory on disk. */
int image_load_dir(struct store *st, const char *dir, const struct image_load_opts *opts,
                   struct image_loaded **ret, size_t *ret_n, struct box_err *err);

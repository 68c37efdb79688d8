/* The OCI image data model (image-spec v1.1) plus Docker's config
 * extensions (Healthcheck, OnBuild, Shell), read from and written to JSON.
 *
 * Ownership: each struct owns its strings and arrays; the matching
 * *_release() frees them.  A NULL strv means "not set"; an empty strv (just
 * the terminating NULL) means "set to []" — Docker tells the two apart for
 * Entrypoint and Cmd.  Key/value maps (labels, annotations) are strvs of
 * alternating keys and values.
 *
 * Serialisation is canonical (sorted keys, compact): equal models give equal
 * bytes and so equal digests. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

#define OCI_MEDIA_MANIFEST         "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_INDEX            "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_CONFIG           "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_LAYER            "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_LAYER_GZIP       "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_LAYER_ZSTD       "application/vnd.oci.image.layer.v1.tar+zstd"
#define DOCKER_MEDIA_MANIFEST      "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MEDIA_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_CONFIG        "application/vnd.docker.container.image.v1+json"
#define DOCKER_MEDIA_LAYER         "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKER_MEDIA_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MEDIA_LAYER_ZSTD    "application/vnd.docker.image.rootfs.diff.tar.zstd"
#define DOCKER_MEDIA_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define OCI_MEDIA_LAYER_NONDIST    "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define OCI_ANNOTATION_REF_NAME    "org.opencontainers.image.ref.name"

struct oci_descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        char **annotations; /* k, v, k, v, ... */
        char *platform_os, *platform_arch, *platform_variant;
};

struct oci_manifest {
        int schema_version;
        char *media_type;
        struct oci_descriptor config;
        struct oci_descriptor *layers;
        size_t n_layers;
        char **annotations;
};

struct oci_index {
        int schema_version;
        char *media_type;
        struct oci_descriptor *manifests;
        size_t n_manifests;
        char **annotations;
};

struct oci_healthcheck {
        char **test; /* ["NONE"] | ["CMD", ...] | ["CMD-SHELL", "..."] */
        int64_t interval, timeout, start_period, start_interval; /* ns */
        int retries;
};

/* The "config" object of an image config: defaults for a container. */
struct oci_container_config {
        char *user;
        char **exposed_ports; /* "80/tcp" */
        char **env;           /* "K=V" */
        char **entrypoint;
        char **cmd;
        char **volumes; /* "/data" */
        char *working_dir;
        char **labels; /* k, v, ... */
        char *stop_signal;
        bool args_escaped;
        struct oci_healthcheck *healthcheck;
        char **on_build;
        char **shell;
};

struct oci_history {
        char *created;
        char *created_by;
        char *author;
        char *comment;
        bool empty_layer;
};

struct oci_image {
        char *created; /* RFC 3339 */
        char *author;
        char *architecture;
        char *os;
        char *variant;
        struct oci_container_config config;
        char **diff_ids;
        struct oci_history *history;
        size_t n_history;
        /* "box.cache.v0": the build cache keys of the image's own steps
         * (box build --cache-to type=inline), JSON text; written, never
         * parsed here (build/build-cache.c reads it from the raw config) */
        char *box_cache;
};

void oci_descriptor_release(struct oci_descriptor *d);
void oci_manifest_release(struct oci_manifest *m);
void oci_index_release(struct oci_index *i);
void oci_container_config_release(struct oci_container_config *c);
void oci_image_release(struct oci_image *img);
void oci_history_release(struct oci_history *h);
#define _cleanup_oci_manifest_ _cleanup_(oci_manifest_release)
#define _cleanup_oci_index_    _cleanup_(oci_index_release)
#define _cleanup_oci_image_    _cleanup_(oci_image_release)

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *ret, struct box_err *err);
/* Refuses, in one line, a manifest box cannot run: not an image manifest,
 * an artifact's config (-EMEDIUMTYPE), a layer media type box cannot
 * unpack. */
int oci_manifest_check_image(const struct oci_manifest *m, struct box_err *err);
/* "linux/arm64/v8, linux/amd64": the platforms an index lists, for an
 * error (BuildKit's attestations, "unknown", left out; "none" if empty);
 * the caller frees. */
char *oci_index_platforms(const struct oci_index *x);
int oci_index_parse(const char *buf, size_t len, struct oci_index *ret, struct box_err *err);
int oci_image_parse(const char *buf, size_t len, struct oci_image *ret, struct box_err *err);

/* Canonical JSON; the caller frees. */
char *oci_manifest_to_json(const struct oci_manifest *m);
char *oci_index_to_json(const struct oci_index *i);
char *oci_image_to_json(const struct oci_image *img);

/* Deep copies. */
void oci_container_config_copy(struct oci_container_config *dst,
                               const struct oci_container_config *src);
void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src);
void oci_history_copy(struct oci_history *dst, const struct oci_history *src);

/* The PATH a container gets when its image sets none (moby's and
 * BuildKit's DefaultPathEnvUnix). */
#define OCI_DEFAULT_PATH     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OCI_DEFAULT_PATH_ENV "PATH=" OCI_DEFAULT_PATH

/* Looks KEY up in a k, v, ... strv; NULL when absent. */
const char *oci_kv_get(char *const *kv, const char *key);
char **oci_kv_set(char **kv, const char *key, const char *value);

/* RFC 3339 ("2026-11-29T09:23:00.5Z", an offset "+02:00" or none, taken as
 * UTC as Docker does), or a date "2026-11-29" -> ns since the epoch;
 * -EINVAL for anything else, trailing text included; -ERANGE outside the
 * years int64 nanoseconds hold (1677 to 2262). */
int oci_time_parse_ns(const char *s, int64_t *ret_ns);
/* The same in unix seconds (Go's zero time, year 1, too); -1 on error. */
int64_t oci_time_parse(const char *s);
/* Unix seconds -> RFC 3339 UTC ("2006-01-02T15:04:05Z"), caller frees. */
char *oci_time_format(int64_t t);
/* The same with NSEC nanoseconds as Go's RFC3339Nano writes them (the JSON
 * form of a time.Time): a fraction without trailing zeros, none for 0. */
char *oci_time_format_ns(int64_t t, long nsec);
/* Now, as oci_time_format_ns() (NSEC) or oci_time_format(). */
char *oci_time_now(bool nsec);
/* The "created" time of a new image: SOURCE_DATE_EPOCH when set (whole
 * seconds, for reproducible builds), else now with nanoseconds. */
char *oci_time_created(void);

/* The host's architecture in Go's naming (amd64, arm64, ...), as OCI
 * platforms spell it. */
const char *oci_host_arch(void);

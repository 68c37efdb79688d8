/* OCI registries (the distribution spec): the client that talks to one
 * repository of one registry, the registries configuration, credentials,
 * and pull and push on top of them.
 *
 * Everything a registry sends (digests, media types, sizes, names, token
 * endpoints) is untrusted: it is validated before use, documents are
 * capped at BOX_MAX_JSON_SIZE and blobs are verified against their digest
 * as they stream into the store.
 *
 * Ownership: struct image_registry is owned by its opener and freed by
 * image_registry_free(); it may be shared by the threads of one pull (its
 * token cache is locked).  Credentials are never printed or logged. */
#pragma once

#include "image/http.h"
#include "image/load.h"
#include "store/store.h"

/* ---- configuration (registries.yaml, image/registries-config.c) ---- */

/* What the configuration says of one registry. */
struct image_registry_conf {
        char *location; /* host[:port] to connect to (the registry itself when not remapped) */
        char **mirrors; /* tried first, in order, when pulling */
        int insecure;   /* plain HTTP allowed, TLS certificates not verified */
        char *ca_file;  /* extra CA certificates for it */
};

void image_registry_conf_release(struct image_registry_conf *c);
/* The configuration of HOST (a reference's domain) from /etc/box/registries.yaml
 * and ${XDG_CONFIG_HOME:-~/.config}/box/registries.yaml, the user's file
 * winning.  Names without a registry (docker.io) are fetched from the
 * file's unqualified-registry (default docker.io).  A malformed file is an
 * error naming FILE:LINE:COLUMN. */
int image_registry_conf_get(const char *host, struct image_registry_conf *ret, struct box_err *err);

/* ---- credentials (auth.json, image/registry-auth.c) ---- */

/* ${XDG_CONFIG_HOME:-~/.config}/box/auth.json; the caller frees. */
char *image_registry_auth_path(void);
/* The credentials stored for HOST in box's auth.json, else in Docker's
 * config.json ($DOCKER_CONFIG or ~/.docker).  0 and NULLs when none. */
int image_registry_auth_get(const char *host, char **ret_user, char **ret_password,
                            struct box_err *err);
/* Stores them (the file is 0600, written atomically). */
int image_registry_auth_set(const char *host, const char *user, const char *password,
                            struct box_err *err);
/* Drops HOST's entry from box's auth.json: 1 when there was one, else 0. */
int image_registry_auth_remove(const char *host, struct box_err *err);

/* ---- the client (image/registry.c) ---- */

struct image_registry;

struct image_registry_opts {
        int tls_verify_off;   /* --tls-verify=false */
        int push;             /* ask for push rights too */
        const char *user;     /* explicit credentials (login); else the stored ones */
        const char *password; /* may be NULL with user: none */
        long stall_seconds;   /* BOX_PULL_TIMEOUT */
};

/* Connects to HOST (a reference's domain; the configuration may send it
 * elsewhere) for REPO, learning how it wants to be authenticated. */
int image_registry_open(const char *host, const char *repo, const struct image_registry_opts *opts,
                        struct image_registry **ret, struct box_err *err);
void image_registry_free(struct image_registry *r);
DEFINE_POINTER_CLEANUP(struct image_registry, image_registry_free)
#define _cleanup_registry_ _cleanup_(image_registry_freep)

/* Checks the credentials: a request that needs them (login). */
int image_registry_check_login(struct image_registry *r, struct box_err *err);
/* The repository's tags (the distribution API's tags/list, every page the
 * registry links: at most 1000 pages, 100000 tags), each checked to be a
 * tag, in the registry's order. */
int image_registry_tags(struct image_registry *r, char ***ret, struct box_err *err);

/* ---- pull and push (image/registry-pull.c, image/registry-push.c) ---- */

struct image_registry_progress {
        /* A layer's download: DONE bytes of TOTAL (-1 unknown).  STATE is
         * 0 while running, 1 when done, 2 when already in the store.
         * Called from several threads, never at once. */
        void (*layer)(void *userdata, const char *digest, uint64_t done, int64_t total, int state);
        void *userdata;
};

struct image_registry_pull_opts {
        struct image_registry_opts reg;
        const char *platform; /* "os/arch[/variant]", NULL: the host's */
        int jobs;             /* layers at once (0: 3) */
        struct image_registry_progress progress;
};

/* Pulls REF (a full reference) into the store and tags it with REF when it
 * names a tag.  On failure no name changes; what was written is only
 * unreferenced content the next gc removes. */
int image_registry_pull(struct store *st, const char *ref, const struct image_registry_pull_opts *o,
                        struct image_loaded *ret, struct box_err *err);

struct image_registry_push_opts {
        struct image_registry_opts reg;
        uint64_t chunk_size; /* > 0: upload blobs in chunks of this size, else in one request */
        /* A layer's upload; STATE as for pulls (2: the registry has it). */
        struct image_registry_progress progress;
};

/* Pushes the image of the store named SRC (or an id) to DEST (a full
 * reference), returning the manifest digest the registry stored. */
int image_registry_push(struct store *st, const char *src, const char *dest,
                        const struct image_registry_push_opts *o, digest_str ret_digest,
                        struct box_err *err);

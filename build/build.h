/* The builder: a Dockerfile and a context in, a layered OCI image out.
 *
 * Each RUN runs in a fresh sandbox (run/) on an overlay of the stage's
 * layers; each RUN/COPY/ADD that changes files becomes a content-addressed
 * layer (store_layer_pack_dir); metadata instructions only edit the image
 * config.  Steps are cached across invocations under <root>/buildcache.
 *
 * Ownership: struct build_opts is borrowed for the call.  Output: the image
 * id in ret_id; tags are applied only after the whole build succeeded.
 * Progress goes to opts->progress (a FILE the caller owns, usually stderr);
 * RUN output is streamed there too, never to stdout. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"
#include "store/store.h"

enum build_progress {
        BUILD_PROGRESS_AUTO,
        BUILD_PROGRESS_PLAIN,
        BUILD_PROGRESS_TTY,
        BUILD_PROGRESS_QUIET
};
enum build_pull { BUILD_PULL_MISSING, BUILD_PULL_ALWAYS, BUILD_PULL_NEVER, BUILD_PULL_NEWER };

struct run_rlimit;

struct build_secret {
        const char *id;
        const char *src;  /* host file, or NULL: DATA */
        const char *data; /* a value from the environment, kept in memory only */
        size_t data_len;
        /* the file checked on the command line: a RUN step gets it or
         * nothing, never what a swap of SRC's name put there since */
        dev_t dev;
        ino_t ino;
};

/* ADD <url>: the most a download may hold and the time it may take, in
 * all (0: BUILD_FETCH_MAX_BYTES, BUILD_FETCH_TIMEOUT). */
#define BUILD_FETCH_MAX_BYTES (8ull << 30)
#define BUILD_FETCH_TIMEOUT   3600
struct build_fetch_limits {
        uint64_t max_bytes;
        int64_t timeout_s;
};

/* Downloads URL into file AS under DIRFD, verifying CHECKSUM when given;
 * returns the file name the URL names (NULL when it names none) and the
 * content digest.  A download larger than LIM's max_bytes, or not done
 * within its timeout_s (0: the defaults), fails. */
int build_fetch_url(const char *url, const char *checksum, const struct build_fetch_limits *lim,
                    int dirfd, const char *as, char **ret_name, digest_str ret_digest,
                    struct box_err *err);

struct build_opts {
        const char *context_dir;     /* absolute; NULL: no context (-f - with no context) */
        const char *dockerfile_name; /* for messages: "Dockerfile" */
        const char *
                dockerfile_path; /* host path of the Dockerfile, for its .dockerignore; may be NULL */
        const char *ignorefile; /* --ignorefile: replaces .dockerignore; may be NULL */
        const char *dockerfile_data;
        size_t dockerfile_len;
        char *const *tags;       /* full references */
        char *const *build_args; /* "K=V" or "K" (value from the environment) */
        char *const *labels;     /* "K=V" */
        const char *target;
        bool no_cache;
        char *const *no_cache_stages; /* --no-cache-filter: stage names built without the cache */
        char *const *cache_from;      /* images whose inline cache (box.cache.v0) seeds ours */
        bool inline_cache;            /* --cache-to type=inline: write box.cache.v0 */
        bool fsync;                   /* RUN steps' fsync etc. sync (run_spec.no_sync off) */
        int64_t shm_size;             /* RUN steps' /dev/shm in bytes; 0: the default (64m) */
        const char *cgroup_parent;    /* RUN steps' parent cgroup; NULL: /box */
        enum build_pull pull;
        /* Pulls a FROM image the store lacks (or, --pull=always/newer, has);
         * NULL: nothing is pulled */
        int (*pull_image)(void *userdata, const char *ref, struct box_err *err);
        void *pull_userdata;
        const char *network;              /* "default" (= "bridge"), "host", "none" */
        bool allow_network_host;          /* --allow network.host: RUN --network=host */
        const struct run_rlimit *rlimits; /* --ulimit for RUN steps */
        size_t n_rlimits;
        bool seccomp_unconfined;      /* --security-opt seccomp=unconfined */
        const char *seccomp_profile;  /* --security-opt seccomp=FILE: its JSON, or NULL */
        uint64_t caps_add, caps_drop; /* --cap-add/--cap-drop for RUN steps */
        bool no_new_privs;            /* --security-opt no-new-privileges for RUN steps */
        char *const *build_contexts;  /* --build-context "NAME=DIR|docker-image://REF" */
        char *const *add_hosts;       /* "NAME:IP" for RUN's /etc/hosts; may be NULL */
        char *const *dns;             /* RUN's nameservers (replace the host's); may be NULL */
        char *const *dns_search;      /* RUN's search domains; may be NULL */
        char *const *dns_options;     /* RUN's resolver options; may be NULL */
        const struct build_secret *secrets;
        size_t n_secrets;
        /* --ssh: agent sockets by id (src: the socket), for RUN --mount=type=ssh */
        const struct build_secret *ssh;
        size_t n_ssh;
        struct build_fetch_limits fetch; /* ADD <url> */
        enum build_progress progress;
        FILE *out; /* progress and RUN output */
};

int build_image(struct store *st, const struct build_opts *opts, digest_str ret_id,
                struct box_err *err);

/* box builder prune: removes the build cache's step records (ALL: every
 * one; else the dangling ones, whose layer or blob is gone), written more
 * than UNTIL seconds ago (0: any), and the RUN --mount=type=cache
 * directories (with ALL, or when older than UNTIL), under the store's
 * exclusive lock, so no build is reading or filling them; with ALL, then
 * the layers and blobs only the cache reached (store_gc, PINS as there).
 * *RET_N: how many entries went.  The bytes freed, or -errno. */
int64_t build_cache_prune(struct store *st, bool all, int64_t until, store_pins_fn *pins,
                          void *userdata, size_t *ret_n, struct box_err *err);

/* ---- `--change` (build/config-change.c) ----
 *
 * A change is a one-line Dockerfile: `box import --change` (and a commit's)
 * parses it with the Dockerfile parser and applies it with the builder's own
 * handlers, so an instruction means the same in both.  As Docker's
 * BuildFromConfig: only CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
 * ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR; variables expand against
 * the config's own Env; WORKDIR makes no directory.  Unlike Docker, which
 * joins the changes with newlines, a change holding a newline is refused:
 * one flag, one instruction.
 *
 * CONFIG is changed only when every change applies; errors read
 * "--change 'LINE': why". */
struct oci_container_config;

/* CHANGES in order, as one Dockerfile: a CMD before an ENTRYPOINT survives
 * it, as in a stage. */
int build_config_changes_apply(struct oci_container_config *config, char *const *changes,
                               struct box_err *err);
/* One change alone (so an ENTRYPOINT clears CMD). */
int build_config_change_apply(struct oci_container_config *config, const char *change,
                              struct box_err *err);

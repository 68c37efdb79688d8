/* Private to build/: the state the builder threads through a build. */
#pragma once

#include "build/build.h"
#include "build/dockerfile.h"
#include <search.h>
#include <stdio.h>
#include <sys/stat.h>

#include "build/dockerignore.h"
#include "lib/go-path.h"
#include "lib/xalloc.h"
#include "spec/oci.h"

/* What a stage has built so far. */
struct image_state {
        struct oci_image img;
        struct oci_descriptor *layers;
        size_t n_layers;
        digest_str chain;   /* cache key of everything up to here */
        char *last_created; /* created time of the newest layer */
        char **cache_steps; /* "KEY LAYER CREATED" of each cached or committed step
                             * (LAYER: its index in layers, -1: none): --cache-to inline */
        bool cmd_set;       /* CMD given in this stage: ENTRYPOINT keeps it */
};

void image_state_release(struct image_state *s);
void image_state_copy(struct image_state *dst, const struct image_state *src);
void image_state_add_layer(struct image_state *s, const struct store_layer_info *info,
                           const char *media_type);

struct builder;

/* ---- cache (build/build-cache.c) ---- */

struct cache_record {
        bool empty; /* the step changed nothing */
        struct store_layer_info layer;
        char media_type[80];
        char created[64];
};

/* chain = sha256(prev chain, "\n", text) */
void build_chain_next(digest_str chain, const char *text);
int build_cache_get(struct store *st, const char *key, struct cache_record *ret);
int build_cache_put(struct store *st, const char *key, const struct cache_record *rec,
                    struct box_err *err);
/* Notes that the step KEY made the state's newest layer (or none, EMPTY),
 * for --cache-to type=inline. */
void build_cache_note_step(struct image_state *s, const char *key, bool empty, const char *created);
/* The state's noted steps as the image config's "box.cache.v0" (JSON). */
char *build_cache_inline(const struct image_state *s);
/* Seeds the cache with the step KEY if IMAGE (in the store) noted it
 * inline and holds its layer, unless a record is there.  Only the key a
 * build looks up, never all the image claims: a claim is the image's word,
 * which the build naming it as --cache-from accepts, but another build of
 * the store never did.  Returns 1 when seeded; an image without the key is
 * 0, not an error. */
int build_cache_import(struct store *st, const char *image, const char *key, struct box_err *err);
/* Remembers the parts of a step's key by step position, so a later miss
 * can say what changed. */
void build_cache_explain(struct store *st, const char *position, char *const *parts, FILE *out);

/* Content hash of files in the context, with a stat cache so unchanged
 * files are not read again (dev, ino, size, mtime, ctime -> sha256). */
struct stat_cache;
int stat_cache_open(struct store *st, struct stat_cache **ret);
/* The cached hash for a file with stat ST: 1 when found. */
int stat_cache_lookup(struct stat_cache *c, const struct stat *st, digest_str ret);
/* Hashes the regular file open at FD. */
int stat_cache_hash(struct stat_cache *c, int fd, digest_str ret, struct box_err *err);
void stat_cache_close(struct stat_cache *c, struct store *st);

/* ---- COPY/ADD (build/build-copy.c) ---- */

/* The deepest directory tree a build walks (COPY, its cache key, the
 * context): deeper trees fail with an error naming the path. */
#define BUILD_MAX_DEPTH 4096

/* Resolves PATH inside ROOTFD the way RESOLVE_IN_ROOT does, in user space:
 * the result is relative to the root, holds no symlink and no "..", and
 * can be opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS.  The last
 * component is followed only with FOLLOW_LAST; a path leading to nothing
 * is completed lexically. */
int build_path_resolve_in_root(int rootfd, const char *path, bool follow_last, char **ret,
                               struct box_err *err);

struct copy_links;

struct copy_src {
        int rootfd;      /* where sources are looked up (context dir, or a stage's rootfs) */
        bool is_context; /* apply .dockerignore */
        struct dockerignore *ignore;
        const char *ignore_name;      /* the file IGNORE was read from, for messages */
        struct dockerignore *exclude; /* COPY --exclude patterns, or NULL */
        /* set by build_copy itself: */
        const char *exclude_root; /* --exclude matches paths relative to this source */
        struct copy_links *links; /* hard links already copied */
};

struct copy_opts {
        bool add; /* ADD: extract local archives, fetch URLs */
        bool has_chown;
        uid_t uid;
        gid_t gid;
        bool keep_owner;       /* no --chown: keep the source's owners (a stage or an
                          * image's files, as BuildKit's copy does), not 0:0 */
        int chmod;             /* -1: keep */
        bool parents;          /* COPY --parents: keep the source's directories */
        const char *chmod_sym; /* --chmod=u+x,go-w (symbolic), or NULL */
        const char *checksum;  /* ADD --checksum */
};

/* Applies a symbolic mode ("u+x,go-w", "a=rX") to MODE, as chmod(1) does
 * (no "who" means all); -EINVAL when SPEC is malformed. */
int build_chmod_apply(const char *spec, mode_t mode, bool isdir, mode_t *ret);

/* Copies SRCS (patterns, already expanded) from SRC into DEST (absolute in
 * the image, already joined with WORKDIR) under DEST_ROOTFD. */
int build_copy(const struct copy_src *src, char *const *srcs, const char *dest, int dest_rootfd,
               const struct copy_opts *o, struct box_err *err);
/* Hashes what build_copy would copy (paths, modes, contents, link targets). */
int build_copy_hash(const struct copy_src *src, char *const *srcs, struct stat_cache *sc,
                    struct buf *out, struct box_err *err);
/* Copies the file open at FD to DEST with mode 0600 (ADD <url>). */
int build_copy_file_fd(int fd, const char *dest, int dest_rootfd, const struct copy_opts *o,
                       struct box_err *err);
/* Writes DATA as file DEST (for COPY <<EOF). */
int build_copy_heredoc(const char *data, const char *dest, int dest_rootfd,
                       const struct copy_opts *o, struct box_err *err);

/* ---- RUN output (build/build-log.c) ---- */

struct build_log;
/* OUT NULL: keep the tail only. */
int build_log_start(FILE *out, enum build_progress mode, struct build_log **ret,
                    struct box_err *err);
/* The write end to hand to the step's stdout and stderr. */
int build_log_fd(const struct build_log *l);
/* Waits for the last byte, then shows the tail when FAILED (unless it was
 * all streamed already). */
void build_log_finish(struct build_log *l, bool failed);

/* ---- the builder (build/builder.c and its step files) ---- */

struct stage {
        char *name; /* the AS name as written, or NULL */
        size_t first, end;
        bool needed, built;
        bool building; /* its steps run now: a --from reaching it is a cycle */
        struct image_state res;
        char **args;          /* ARG values in scope at the end, "K=V" */
        char **arg_names;     /* ARGs declared, in order (a stage FROM it inherits them) */
        size_t *deps, n_deps; /* the stages it reads (struct dockerfile_stage's) */
};

struct builder {
        struct store *st;
        const struct build_opts *o;
        struct dockerfile *df;
        const char *dfname;
        char **build_args;  /* resolved "K=V" */
        char **used_args;   /* names consumed by an ARG */
        char **global_args; /* ARGs before the first FROM, "K=V" */
        struct stage *stages;
        size_t n_stages;
        int context_fd;
        struct dockerignore *ignore;
        char *ignore_name; /* the ignore file's name as the user knows it */
        struct stat_cache *sc;
        int step, n_steps;
        size_t *order, n_order;    /* stages, each after those it reads (the resolver's) */
        int depth;                 /* stages built from inside another's step */
        struct hsearch_data names; /* lowercased stage name -> index + 1 */
        char **name_keys;
        bool names_ok;
        char *arch;
        FILE *out;
        bool plain;
        bool last_cached; /* the step just dispatched was a cache hit */
        /* A tmpfs of this build's own, mounted in its mount namespace only
         * (tmp/build-PID-N/ in the store): the steps' mount points and the
         * RUN steps' /etc files, which are created and removed at no disk
         * cost (on an ext4 with discard each directory's removal waits for
         * the disk).  NULL when it could not be mounted: they go in the
         * step's directory then. */
        char *scratch;
        unsigned scratch_n;
        bool scratch_tried;
        pid_t reaper;  /* removes the steps' directories while the build goes on */
        int reaper_fd; /* its socket: one absolute path per line */
};

struct stage_ctx {
        struct builder *b;
        struct stage *s;
        struct image_state cur;
        char **args;      /* ARG values in scope, "K=V" */
        char **arg_names; /* the ARGs declared so far, in order, each once */
};

/* ---- file-system steps on an overlay ---- */

struct step_dir {
        struct builder *b;
        char *rel; /* relative to the store root: tmp/step-XXXX, with upper/ and work/ */
        char *abs;
        char *scratch; /* the step's mount points and files: on b->scratch, else abs */
        char *merged;  /* absolute mount point */
        bool mounted;
        struct store_layer_pack_stats *stats; /* step_commit() fills it, when set */
};

/* An instruction's handler: applies IN to the stage's image state. */
typedef int (*step_handler)(struct stage_ctx *c, const struct dockerfile_instr *in,
                            struct box_err *err);

/* build/builder.c */
void image_state_add_history(struct image_state *s, const char *created_by, bool empty);
int64_t build_sde_clamp(void);
/* Variables in scope: the image's ENV wins over the stage's ARGs (a shell_env lookup). */
bool stage_scope_get(void *userdata, const char *name, const char **ret_value);
int stage_expand(struct stage_ctx *c, const char *word, char **ret, struct box_err *err);
void builder_progress(struct builder *b, const char *fmt, ...) _printf_(2, 3);
int build_stage(struct builder *b, struct stage *s, struct box_err *err);

/* build/step-layer.c */
int step_dir_new(struct builder *b, struct step_dir *sd, struct box_err *err);
void step_dir_free(struct step_dir *sd);
/* Waits for the removal of the steps' directories and unmounts the build's
 * scratch tmpfs (struct builder). */
void build_scratch_release(struct builder *b);
/* The build's scratch tmpfs, mounted now if it was not; NULL when it
 * cannot be. */
const char *build_scratch_dir(struct builder *b);
char **step_lowerdirs(struct builder *b, const struct image_state *s, const struct step_dir *sd,
                      struct box_err *err);
int step_overlay_mount(struct builder *b, const struct image_state *s, struct step_dir *sd,
                       bool writable, struct box_err *err);
/* The sandbox makes a --mount target's mount point where the image's links
 * lead (/var/x/s with /var/x -> /srv: /srv/s): each of TARGETS that goes
 * through a link becomes its path in the image as the step starts, so that
 * step_prune_mount_points() finds what the sandbox made.  Best effort: a
 * target left as it is only keeps an empty directory in the layer. */
void step_mount_targets_resolve(struct builder *b, const struct image_state *s, struct step_dir *sd,
                                char **targets);
void step_prune_mount_points(struct builder *b, const struct image_state *s,
                             const struct step_dir *sd, char *const *paths);
int step_commit(struct stage_ctx *c, struct step_dir *sd, const char *key, const char *created_by,
                struct box_err *err);
int step_cache_lookup(struct stage_ctx *c, const char *key, const char *created_by,
                      char *const *parts);
char *step_key(struct stage_ctx *c, char *const *parts);

/* build/ssh-proxy.c */
/* Listens at DIR/NAME (owned UID:GID, MODE) and relays each connection to
 * the agent socket AGENT, while it is the inode DEV:INO, in a child
 * (*RET_PID) until build_ssh_proxy_stop(). */
int build_ssh_proxy_start(const char *agent, dev_t dev, ino_t ino, const char *dir,
                          const char *name, uid_t uid, gid_t gid, mode_t mode, pid_t *ret_pid,
                          struct box_err *err);
void build_ssh_proxy_stop(pid_t pid);

/* build/stage.c */
struct stage *stage_find(struct builder *b, const char *name, size_t before);
int stage_result(struct builder *b, struct stage *s, struct box_err *err);
int stage_open_named_dir(struct builder *b, const char *name, int *ret_fd, struct box_err *err);
/* The ignore file (.containerignore, else .dockerignore) at the top of
 * DIRFD, read inside it, as BuildKit applies a named context's: 1 and *RET
 * (and *RET_NAME, "FILE of LABEL", for messages), 0 if there is none. */
int builder_dir_ignore(int dirfd, const char *label, struct dockerignore **ret, char **ret_name,
                       struct box_err *err);
/* --build-context NAME=VALUE: the value for NAME, or NULL. */
const char *stage_named_context(struct builder *b, const char *name);
/* A stage a --build-context of its name stands for (BuildKit): its result
 * is that image and its steps never run.  1 if so, 0 if not, or -errno. */
int stage_replace_by_context(struct builder *b, struct stage *s, struct box_err *err);
int stage_open_from_root(struct stage_ctx *c, const char *from, struct step_dir *sd, int *ret_fd,
                         struct box_err *err);
int stage_from(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
void stage_mark_needed(struct builder *b, size_t idx);
int builder_split_stages(struct builder *b, struct dockerfile_resolved *res, struct box_err *err);

/* build/step-config.c */
char **step_command_argv(struct stage_ctx *c, const struct dockerfile_instr *in);
char *build_go_strv(char *const *v, bool quoted);
int step_env(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_label(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_workdir(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
/* WORKDIR's edit of the config alone (joined to the current one, cleaned):
 * no directory is made, as with Docker's `commit --change WORKDIR`. */
int step_workdir_config(struct stage_ctx *c, const struct dockerfile_instr *in,
                        struct box_err *err);
int step_arg(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_healthcheck(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_cmd(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_entrypoint(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_shell(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_user(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_stopsignal(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_expose(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_volume(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_maintainer(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_onbuild(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);

/* build/step-copy.c */
int step_resolve_owner(int rootfd, const char *spec, const char *what, struct copy_opts *o,
                       struct box_err *err);
int step_copy(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);
int step_add(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);

/* build/step-run.c */
int step_run(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);

/* Seconds on the monotonic clock: step timings. */
double build_mono(void);

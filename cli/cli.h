/* The command line: global options, the command table, and the one place
 * that prints errors and chooses exit codes (Docker's: 125 box's own
 * failure, 126 cannot execute, 127 not found, else the container's status). */
#pragma once

#include <stdbool.h>

/* box's version: version prints it, info's ServerVersion too */
#ifndef BOX_VERSION
#define BOX_VERSION "0.1.0"
#endif

#include "lib/err.h"

#define EXIT_BOX         125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND   127

struct store;

struct cli_ctx {
        const char *root;    /* store root: --root, BOX_ROOT, /var/lib/box */
        const char *runroot; /* runtime state: --runroot, BOX_RUNROOT, /run/box */
        struct store *store;
};

struct cli_command {
        const char *name;
        const char *summary;
        int (*run)(struct cli_ctx *ctx, int argc, char **argv);
        int hidden;
};

extern const struct cli_command cli_commands[];

/* Prints "box: error: <msg>" and returns err's exit code (125 by default). */
int cli_fail(const struct box_err *err);
/* "box: error: MSG" on stderr, MSG's control characters but the tab
 * escaped (\n, \x1b): always one line. */
void cli_error_line(const char *msg);
/* Prints a usage error naming the command and returns 125. */
int cli_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);
/* Opens the store (once) for a command. */
int cli_store(struct cli_ctx *ctx, struct store **ret, struct box_err *err);
/* Docker's prune prompt: "WARNING! WARNING\nAre you sure you want to
 * continue? [y/N] " on stdout; true when the answer starts with y. */
int cli_confirm(const char *warning);
/* The prune commands' --filter: until=TIME (created before it),
 * label=K[=V], label!=K[=V] and volume prune's all=BOOL, each command
 * taking the KEYS Docker's does. */
struct jv;
struct cli_prune_filter {
        bool until; /* until_ns is set (0 is 1970, not "any age") */
        int64_t until_ns;
        char **labels, **not_labels; /* NULL: none */
        int all;                     /* all=: 1 true, 0 false or unset */
};
enum { CLI_PRUNE_UNTIL = 1, CLI_PRUNE_LABEL = 2, CLI_PRUNE_ALL = 4 };
/* Adds "--filter ARG" for CMD; 125 after a usage error naming it. */
int cli_prune_filter_add(struct cli_prune_filter *f, const char *cmd, unsigned keys,
                         const char *arg);
/* Whether an object CREATED (RFC 3339, may be NULL) with LABELS (k, v,
 * ...) is one the filter lets the prune take; _json: LABELS a JSON object
 * or NULL. */
bool cli_prune_filter_takes(const struct cli_prune_filter *f, const char *created,
                            char *const *labels);
bool cli_prune_filter_takes_json(const struct cli_prune_filter *f, const char *created,
                                 const struct jv *labels);
void cli_prune_filter_release(struct cli_prune_filter *f);
/* Volume and network prune's work, for them and system prune: removes
 * what no container uses and FILTER takes (volumes: anonymous ones, all
 * with FILTER->all), printing "Deleted Volumes:"/"Deleted Networks:" and
 * the names, then an empty line; volumes add the bytes freed to FREED. */
int cli_volumes_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter, int64_t *freed,
                      struct box_err *err);
int cli_networks_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter,
                       struct box_err *err);
/* Docker's time arguments (--since, --until, until=): a duration before now
 * (10m, 1h30m), unix seconds[.nanos], or RFC 3339 -> ns since the epoch. */
int cli_parse_when(const char *s, int64_t *ret_ns);
/* store_gc's pins (USERDATA: the struct store): the images containers run. */
char **cli_container_images(void *store);
/* Runs a subcommand from TABLE (NULL-name terminated). */
/* podman's `X exists NAME`: status 0 when LOOKUP finds NAME, 1 (nothing
 * printed) when it says -ENOENT, else its error (125).  CMD: "image exists". */
int cli_exists_main(struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
                    int (*lookup)(struct cli_ctx *ctx, const char *name, struct box_err *err));
int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
                 char **argv);
/* Prints help text to stdout; returns 0. */
int cli_help(const char *text);
/* Docker's label filters: every one of WANT ("K": has K, "K=V": K is V)
 * holds for LABELS (k, v, ... as spec/oci.h keeps them). */
bool cli_labels_match(char *const *want, char *const *labels);

/* Human-readable sizes and times, as docker prints them. */
void cli_format_size(char *buf, size_t n, double bytes);
void cli_format_size_prec(char *buf, size_t n, double bytes, int prec);
void cli_format_ago(char *buf, size_t n, long long unix_seconds);

int cmd_build(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_info(struct cli_ctx *ctx, int argc, char **argv);
int cmd_import(struct cli_ctx *ctx, int argc, char **argv);
int cmd_images(struct cli_ctx *ctx, int argc, char **argv);
int cmd_tag(struct cli_ctx *ctx, int argc, char **argv);
int cmd_untag(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_exists(struct cli_ctx *ctx, int argc, char **argv);
struct store_image_handle;
/* store_image_resolve(), and also REPO@DIGEST: the image of that repository
 * whose manifest has that digest, as docker resolves a canonical reference */
int cli_image_resolve(struct store *st, const char *arg, struct store_image_handle *ret,
                      struct box_err *err);
/* Appends to *RET the names the index gives manifest MANIFEST, in its order. */
int cli_image_names(struct store *st, const char *manifest, char ***ret, struct box_err *err);
int cmd_rmi(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_inspect(struct cli_ctx *ctx, int argc, char **argv);
/* image NAME as `image inspect` shows it; NULL (ERR set) when there is none */
struct jv *cli_image_inspect_json(struct cli_ctx *ctx, const char *name, struct box_err *err);
int cmd_save(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_load(struct cli_ctx *ctx, int argc, char **argv);
int cmd_pull(struct cli_ctx *ctx, int argc, char **argv);
int cmd_push(struct cli_ctx *ctx, int argc, char **argv);
int cmd_login(struct cli_ctx *ctx, int argc, char **argv);
int cmd_logout(struct cli_ctx *ctx, int argc, char **argv);
int cmd_system(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_history(struct cli_ctx *ctx, int argc, char **argv);
int cmd_image_prune(struct cli_ctx *ctx, int argc, char **argv);
/* "Loaded image: NAME" lines, as docker load prints them. */
struct image_loaded;
void cli_print_loaded(const struct image_loaded *v, size_t n);
int cmd_context(struct cli_ctx *ctx, int argc, char **argv);
int cmd_dockerfile(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rm(struct cli_ctx *ctx, int argc, char **argv);
int cmd_exec(struct cli_ctx *ctx, int argc, char **argv);
int cmd_commit(struct cli_ctx *ctx, int argc, char **argv);
int cmd_cp(struct cli_ctx *ctx, int argc, char **argv);
int cmd_generate(struct cli_ctx *ctx, int argc, char **argv);
int cmd_volume(struct cli_ctx *ctx, int argc, char **argv);
int cmd_network(struct cli_ctx *ctx, int argc, char **argv);
int cmd_port(struct cli_ctx *ctx, int argc, char **argv);
int cmd_diff(struct cli_ctx *ctx, int argc, char **argv);
int cmd_update(struct cli_ctx *ctx, int argc, char **argv);
int cmd_builder(struct cli_ctx *ctx, int argc, char **argv);

/* Column-aligned output like Go's tabwriter (padding 3), as docker prints
 * its tables: add rows of cells, then flush. */
struct cli_table {
        char ***rows;
        size_t n_rows, n_cols;
};
void cli_table_add(struct cli_table *t, ...); /* NULL-terminated cells */
void cli_table_flush(struct cli_table *t);

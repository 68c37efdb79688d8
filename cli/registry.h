/* What pull, push, build and run share of registries on the command line:
 * the progress display and the pull every command runs the same way. */
#pragma once

#include "image/registry.h"

struct cli_progress;

/* VERB: "Downloaded" or "Pushed". */
struct cli_progress *cli_progress_new(const char *verb);
void cli_progress_free(struct cli_progress *p);
/* Points RET at P (NULL: no progress). */
void cli_progress_attach(struct cli_progress *p, struct image_registry_progress *ret);

struct cli_pull_flags {
        const char *platform; /* --platform */
        int tls_verify_off;   /* --tls-verify=false */
        int quiet;
};

/* The tags of repository NAME (a full reference without tag or digest). */
int cli_registry_tags(const char *name, const struct cli_pull_flags *f, char ***ret,
                      struct box_err *err);
/* Pulls REF from its registry with progress on stderr. */
int cli_registry_pull(struct store *st, const char *ref, const struct cli_pull_flags *f,
                      struct image_loaded *ret, struct box_err *err);

/* `box build -o/--output`: where the built image goes besides the store,
 * in BuildKit's syntax.  A bare PATH is type=local, "-" a tar on stdout;
 * otherwise "type=T[,dest=PATH][,name=REF][,push=true]":
 *
 *   local       the final stage's file system, flattened, into directory PATH
 *   tar         the same as a tar archive (PATH, "-": stdout)
 *   docker, oci the image as a docker-archive or an OCI archive (`box save`'s
 *               formats; with no dest, docker means the store, as buildx's
 *               --load)
 *   image       the store (the default); name= tags it, push=true pushes
 *   registry    image,push=true
 *   cacheonly   nothing but the build cache
 *
 * The image is always in the store too: it is the build cache.
 * Ownership: struct cli_build_output points into the argument it was
 * parsed from, but for NAME (owned; cli_build_output_release). */
#pragma once

#include <stdbool.h>

#include "lib/err.h"
#include "store/store.h"

enum cli_build_output_type {
        CLI_BUILD_OUTPUT_IMAGE,
        CLI_BUILD_OUTPUT_LOCAL,
        CLI_BUILD_OUTPUT_TAR,
        CLI_BUILD_OUTPUT_DOCKER,
        CLI_BUILD_OUTPUT_OCI,
        CLI_BUILD_OUTPUT_CACHEONLY,
};

struct cli_build_output {
        enum cli_build_output_type type;
        char *dest; /* NULL: none; "-": stdout */
        char *name; /* name=, a reference to tag the image with; NULL: none */
        bool push;
};

int cli_build_output_parse(const char *arg, struct cli_build_output *ret, struct box_err *err);
void cli_build_output_release(struct cli_build_output *o);
/* Does it write to stdout (so that the image id must not go there)? */
bool cli_build_output_to_stdout(const struct cli_build_output *o);
/* Writes IMAGE (an id or a name in the store) where O says. */
int cli_build_output_write(struct store *st, const struct cli_build_output *o, const char *image,
                           struct box_err *err);

/* The events box's commands record (run/events.h's log), and `box events`. */
#pragma once

#include <stdint.h>

#include "cli/cli.h"

struct jv;

/* Records event ACTION of TYPE on ID with ATTRS (k, v, ...; NULL: none).  A
 * log that cannot be written is a warning: the action itself went through. */
void cli_event(struct cli_ctx *ctx, const char *type, const char *action, const char *id,
               char *const *attrs);
/* A container's attributes as Docker sends them: its labels, image (as the
 * user named it) and name, then EXTRA (k, v, ...; NULL: none); from its
 * config.json CFG.  The caller's. */
char **cli_event_container_attrs(const struct jv *cfg, char *const *extra);
/* Container ID's event ACTION, its attributes read from its config, with
 * EXTRA (k, v, ...; NULL: none) added. */
void cli_event_container(struct cli_ctx *ctx, const char *id, const char *action,
                         char *const *extra);
/* The log lines of Docker's events of a start of container ID before its
 * "start": network connect for each network it joins, volume mount for
 * each named volume (container, destination, read/write); NULL: none.
 * ROOT: the store's; TIME_NS their time (0: now). */
char *cli_event_start_prelude(const char *root, const char *id, const struct jv *cfg,
                              int64_t time_ns);
/* Its "kill" event: SIG sent to it. */
void cli_event_container_signal(struct cli_ctx *ctx, const char *id, int sig);
/* An image's event ACTION: ID (its id, or the reference pulled or
 * pushed), with attribute name=NAME (NULL: none). */
void cli_event_image(struct cli_ctx *ctx, const char *action, const char *id, const char *name);
/* ACTION (load, pull) of each of N images V, one per name. */
struct image_loaded;
void cli_event_images(struct cli_ctx *ctx, const char *action, const struct image_loaded *v,
                      size_t n);

int cmd_events(struct cli_ctx *ctx, int argc, char **argv);

/* Names and ids of what run/ keeps on disk (containers, volumes).  Both
 * become path components, so anything read back or taken from the user is
 * checked here before it is joined to a path.  Pure functions: the bottom
 * of run/, which state.c and volume.c both use. */
#pragma once

#include <stdbool.h>

#define RUN_ID_LEN 64

/* Docker's container (and volume) name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool run_name_valid(const char *name);
/* Is ID a container id: 64 lowercase hex digits? */
bool run_id_valid(const char *id);

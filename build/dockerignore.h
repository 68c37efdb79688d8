/* .dockerignore: reading the file (moby/patternmatcher's ignorefile rules),
 * matching paths against its patterns (patternmatcher's
 * MatchesOrParentMatches: Go filepath.Match syntax plus "**", "!"
 * exceptions applied in order, a pattern matching a parent directory
 * excludes everything below it), and listing the build context.
 *
 * Ownership: a struct dockerignore owns its compiled patterns; free it with
 * build_dockerignore_free().  Pattern and path lists returned through ret_*
 * are strvs owned by the caller.
 *
 * Invariants: paths given to the matcher are relative to the context root,
 * slash-separated, without a leading "/" or "./" (they are cleaned like Go's
 * filepath.Clean first). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct dockerignore;

/* Reads ignore-file DATA: BOM and "#" comment lines dropped, patterns
 * trimmed and cleaned, a leading "/" removed ("!" kept in front). */
int build_dockerignore_read(const char *data, size_t len, char ***ret_patterns,
                            struct box_err *err);

/* Compiles PATTERNS; fails on "!" alone and on malformed globs ("[" ...). */
int build_dockerignore_new(char *const *patterns, struct dockerignore **ret, struct box_err *err);
void build_dockerignore_free(struct dockerignore *m);
static inline void build_dockerignore_freep(struct dockerignore **m)
{
        build_dockerignore_free(*m);
}
#define _cleanup_dockerignore_ _cleanup_(build_dockerignore_freep)

/* Is PATH excluded?  *ret_excluded is set on success. */
int build_dockerignore_matches(struct dockerignore *m, const char *path, bool *ret_excluded,
                               struct box_err *err);

/* Could an exception ("!...") of M take back something below directory
 * DIR, which M excludes?  False lets a walk skip DIR whole, as fsutil's
 * walker does; true when an exception has a wildcard or names a path under
 * DIR. */
bool build_dockerignore_may_reinclude(const struct dockerignore *m, const char *dir);

/* The files (non-directories) of context DIR that a build sends, sorted
 * bytewise, relative to DIR.  DOCKERFILE (may be NULL: DIR/Dockerfile) picks
 * the ignore file: DOCKERFILE.dockerignore when it exists, else
 * DIR/.dockerignore.  The Dockerfile and the ignore file are always kept. */
int build_context_list(const char *dir, const char *dockerfile, char ***ret_files,
                       struct box_err *err);

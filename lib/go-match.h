/* Go's path.Match, which is also filepath.Match on Linux: the one shell
 * pattern matcher for every pattern whose meaning a Go program defines --
 * image reference filters (distribution's FamiliarMatch), .dockerignore
 * and COPY --exclude validation (moby/patternmatcher), COPY and ADD source
 * wildcards (BuildKit's copy).
 *
 *   pattern: { term }
 *   term:    '*'          any sequence of non-'/' bytes
 *            '?'          any single non-'/' character (a UTF-8 rune)
 *            '[' [ '^' ] { range } ']'   a class (non-empty; '^' negates,
 *                         '!' is an ordinary character, unlike fnmatch)
 *            c            c itself, for any c but '*', '?', '\\', '['
 *            '\\' c       c itself
 *   range:   c | c '-' c  (c: any character but '\\', '-', ']', or '\\' c)
 *
 * The whole name must match.  A malformed pattern is an error even when the
 * name does not match where the error is (Go checks the rest of the pattern
 * before it returns false), and a pattern that is malformed after the part
 * that matched a name is reported the same way. */
#pragma once

#include "lib/err.h"

/* 1 match, 0 no match, -EINVAL for a malformed pattern (ErrBadPattern; the
 * message is "syntax error in pattern 'PATTERN'"). */
int go_path_match(const char *pattern, const char *name, struct box_err *err);

/* The subset of Go's regexp syntax (RE2) that moby/patternmatcher can
 * produce from a .dockerignore pattern, matched as Go matches it.
 *
 * patternmatcher turns each pattern into a Go regular expression and runs
 * regexp.MatchString on the path; to match exactly what Docker matches, box
 * builds the same expression text and runs it here.  Supported: literals
 * and escapes (\a \f \n \r \t \v, octal, \x.., \x{..}, \Q...\E), ".",
 * classes with ranges, negation, Perl (\d \s \w and negations) and POSIX
 * ([:alpha:] ...) classes, "^" "$" "\A" "\z" "\b" "\B", groups,
 * alternation and the repetitions "*" "+" "?" "{n}" "{n,}" "{n,m}" (lazy
 * forms match the same set).  Not supported (refused as malformed): flags
 * "(?i)", named and non-capturing groups, Unicode classes \p{..}.
 *
 * Matching steps sets of positions through the expression (no
 * backtracking, no captures), so no expression takes exponential time:
 * the cost is polynomial in the path's length (an unbounded repetition
 * iterates until its set stops growing), and counted repetitions are
 * bounded at 1000 as RE2 bounds them.
 *
 * Ownership: a struct go_regexp is immutable once compiled and owned by
 * the caller; go_regexp_free() releases it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/macro.h"

struct go_regexp;

/* Compiles EXPR (UTF-8; a byte that is not reads as U+FFFD).  -EINVAL
 * ("invalid regular expression 'EXPR'") when Go would refuse it or it
 * steps outside the subset. */
int go_regexp_compile(const char *expr, struct go_regexp **ret, struct box_err *err);
/* regexp.MatchString: does RE match anywhere in S? */
bool go_regexp_match(const struct go_regexp *re, const char *s);
void go_regexp_free(struct go_regexp *re);
/* Docker's filters.Args.Match: does one of EXPRS (NULL: none, true)
 * match anywhere in one of the N strings S?  An expression that does not
 * compile matches nothing (callers check their filters when parsed). */
bool go_regexp_match_any(char *const *exprs, const char *const *s, size_t n);
static inline void go_regexp_freep(struct go_regexp **re)
{
        go_regexp_free(*re);
}
#define _cleanup_go_regexp_ _cleanup_(go_regexp_freep)

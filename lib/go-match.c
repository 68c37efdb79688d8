/* A transcription of Go's path.Match (scanChunk, matchChunk, getEsc): the
 * same steps in the same order, so that the same patterns are accepted,
 * matched and rejected. */
#include "lib/go-match.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/utf8.h"

/* One escaped-or-plain character of a class; Go's getEsc. */
static int class_char(const char **chunk, const char *end, uint32_t *ret)
{
        const char *c = *chunk;
        size_t w;
        if (c >= end || *c == '-' || *c == ']')
                return -EINVAL;
        if (*c == '\\' && ++c >= end)
                return -EINVAL;
        *ret = utf8_decode(c, (size_t)(end - c), &w);
        if (*ret == UTF8_RUNE_ERROR && w == 1)
                return -EINVAL;
        c += w;
        if (c >= end)
                return -EINVAL;
        *chunk = c;
        return 0;
}

/* Matches CHUNK (no '*') at the start of *S; Go's matchChunk.  Returns 1 and
 * advances *S on a match, 0 when it does not match, -EINVAL for a malformed
 * chunk (checked to its end even after a mismatch). */
static int match_chunk(const char *chunk, const char *end, const char **s)
{
        const char *p = *s;
        bool failed = false;
        size_t w;
        while (chunk < end) {
                if (!failed && !*p)
                        failed = true;
                if (*chunk == '[') {
                        uint32_t ch = 0, lo, hi;
                        bool negated = false, match = false;
                        int nrange = 0;
                        if (!failed) {
                                ch = utf8_decode(p, strlen(p), &w);
                                p += w;
                        }
                        if (++chunk < end && *chunk == '^') {
                                negated = true;
                                chunk++;
                        }
                        for (;;) {
                                if (chunk < end && *chunk == ']' && nrange > 0) {
                                        chunk++;
                                        break;
                                }
                                if (class_char(&chunk, end, &lo) < 0)
                                        return -EINVAL;
                                hi = lo;
                                if (*chunk == '-') {
                                        chunk++;
                                        if (class_char(&chunk, end, &hi) < 0)
                                                return -EINVAL;
                                }
                                if (lo <= ch && ch <= hi)
                                        match = true;
                                nrange++;
                        }
                        if (match == negated)
                                failed = true;
                } else if (*chunk == '?') {
                        if (!failed) {
                                if (*p == '/')
                                        failed = true;
                                utf8_decode(p, strlen(p), &w);
                                p += w;
                        }
                        chunk++;
                } else {
                        if (*chunk == '\\' && ++chunk >= end)
                                return -EINVAL;
                        if (!failed && *chunk != *p++)
                                failed = true;
                        chunk++;
                }
        }
        if (failed)
                return 0;
        *s = p;
        return 1;
}

/* Splits off the next chunk: leading stars (*star), then up to the next '*'
 * outside a class; Go's scanChunk.  *pattern is left at the chunk, the end
 * of the chunk is returned. */
static const char *scan_chunk(const char **pattern, bool *star)
{
        const char *p = *pattern;
        bool inrange = false;
        *star = false;
        while (*p == '*') {
                p++;
                *star = true;
        }
        *pattern = p;
        for (; *p; p++) {
                if (*p == '\\' && p[1])
                        p++;
                else if (*p == '[')
                        inrange = true;
                else if (*p == ']')
                        inrange = false;
                else if (*p == '*' && !inrange)
                        break;
        }
        return p;
}

/* Match without the error message: 1, 0 or -EINVAL. */
static int path_match(const char *pat, const char *name)
{
        while (*pat) {
                bool star;
                const char *end = scan_chunk(&pat, &star);
                const char *chunk = pat, *t = name;
                pat = end;
                if (star && chunk == end) /* a trailing star: the rest without '/' */
                        return strchr(name, '/') == NULL;
                int r = match_chunk(chunk, end, &t);
                /* the last chunk must use up the name, else a star may do better */
                if (r > 0 && (!*t || *pat)) {
                        name = t;
                        continue;
                }
                if (r < 0)
                        return r;
                bool advanced = false;
                /* the star takes 1, 2, ... more bytes, never a '/' */
                for (size_t i = 0; star && name[i] && name[i] != '/'; i++) {
                        t = name + i + 1;
                        r = match_chunk(chunk, end, &t);
                        if (r > 0) {
                                if (!*pat && *t)
                                        continue;
                                name = t;
                                advanced = true;
                                break;
                        }
                        if (r < 0)
                                return r;
                }
                if (advanced)
                        continue;
                /* no match: still report a malformed rest of the pattern */
                while (*pat) {
                        end = scan_chunk(&pat, &star);
                        t = "";
                        if (match_chunk(pat, end, &t) < 0)
                                return -EINVAL;
                        pat = end;
                }
                return 0;
        }
        return !*name;
}

int go_path_match(const char *pattern, const char *name, struct box_err *err)
{
        int r = path_match(pattern, name);
        if (r < 0)
                return box_err_set(err, EINVAL, "syntax error in pattern '%s'", pattern);
        return r;
}

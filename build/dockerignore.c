/* .dockerignore patterns, matched the way moby/patternmatcher matches them.
 *
 * patternmatcher turns each pattern into a Go regular expression (a star
 * becomes "any run of non-slashes", "?" one non-slash, a double star "any
 * directories", some characters are escaped, "[...]" is passed through) and
 * runs Go's regexp on the path.  To
 * match exactly what Docker matches, box builds the same expression text and
 * runs it on a small engine for that subset of Go's regexp syntax. */
#include "build/dockerignore.h"

#include <ctype.h>
#include <stdint.h>

#include "build/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- Go's filepath.Clean ----------------------------------------------- */

char *build_path_clean(const char *path)
{
        size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
        bool rooted;
        char *out;

        if (n == 0)
                return xstrdup(".");
        out = xmalloc(n + 4);
        rooted = path[0] == '/';
        if (rooted) {
                out[w++] = '/';
                r = dotdot = 1;
        }
        while (r < n) {
                if (path[r] == '/') {
                        r++;
                } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
                        r++;
                } else if (path[r] == '.' && path[r + 1] == '.' &&
                           (r + 2 == n || path[r + 2] == '/')) {
                        r += 2;
                        if (w > dotdot) {
                                w--;
                                while (w > dotdot && out[w] != '/')
                                        w--;
                        } else if (!rooted) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                dotdot = w;
                        }
                } else {
                        if ((rooted && w != 1) || (!rooted && w != 0))
                                out[w++] = '/';
                        for (; r < n && path[r] != '/'; r++)
                                out[w++] = path[r];
                }
        }
        if (w == 0) {
                free(out);
                return xstrdup(".");
        }
        out[w] = '\0';
        return out;
}

/* ---- Go's filepath.Match, used (as patternmatcher does) to reject
 * malformed patterns ----------------------------------------------------- */

enum { GLOB_BAD = -1 };

/* scanChunk: *ret_star, chunk = [*ret_chunk, *ret_chunk_end), rest returned */
static const char *scan_chunk(const char *p, bool *ret_star, const char **ret_chunk,
                              const char **ret_end)
{
        bool star = false, in_range = false;
        while (*p == '*') {
                p++;
                star = true;
        }
        const char *s = p;
        for (; *p; p++) {
                if (*p == '\\') {
                        if (p[1])
                                p++;
                } else if (*p == '[') {
                        in_range = true;
                } else if (*p == ']') {
                        in_range = false;
                } else if (*p == '*' && !in_range) {
                        break;
                }
        }
        *ret_star = star;
        *ret_chunk = s;
        *ret_end = p;
        return p;
}

static int get_esc(const char **chunk, const char *end, uint32_t *ret)
{
        const char *c = *chunk;
        size_t w;
        if (c >= end || *c == '-' || *c == ']')
                return GLOB_BAD;
        if (*c == '\\') {
                c++;
                if (c >= end)
                        return GLOB_BAD;
        }
        uint32_t r = build_utf8_decode(c, (size_t)(end - c), &w);
        int bad = r == GO_RUNE_ERROR && w == 1;
        c += w;
        if (c >= end)
                bad = 1;
        *chunk = c;
        *ret = r;
        return bad ? GLOB_BAD : 0;
}

/* matchChunk: 1 matched (rest in *ret_rest), 0 not, GLOB_BAD */
static int match_chunk(const char *chunk, const char *end, const char *s, const char **ret_rest)
{
        bool failed = false;
        size_t w;
        while (chunk < end) {
                if (!failed && !*s)
                        failed = true;
                switch (*chunk) {
                case '[': {
                        uint32_t r = 0;
                        if (!failed) {
                                r = build_utf8_decode(s, strlen(s), &w);
                                s += w;
                        }
                        chunk++;
                        bool negated = false, match = false;
                        int nrange = 0;
                        if (chunk < end && *chunk == '^') {
                                negated = true;
                                chunk++;
                        }
                        for (;;) {
                                if (chunk < end && *chunk == ']' && nrange > 0) {
                                        chunk++;
                                        break;
                                }
                                uint32_t lo, hi;
                                if (get_esc(&chunk, end, &lo) < 0)
                                        return GLOB_BAD;
                                hi = lo;
                                if (*chunk == '-') {
                                        chunk++;
                                        if (get_esc(&chunk, end, &hi) < 0)
                                                return GLOB_BAD;
                                }
                                if (lo <= r && r <= hi)
                                        match = true;
                                nrange++;
                        }
                        if (match == negated)
                                failed = true;
                        break;
                }
                case '?':
                        if (!failed) {
                                if (*s == '/')
                                        failed = true;
                                build_utf8_decode(s, strlen(s), &w);
                                s += w;
                        }
                        chunk++;
                        break;
                case '\\':
                        chunk++;
                        if (chunk >= end)
                                return GLOB_BAD;
                        __attribute__((fallthrough));
                default:
                        if (!failed) {
                                if (*chunk != *s)
                                        failed = true;
                                s++;
                        }
                        chunk++;
                }
        }
        if (failed)
                return 0;
        *ret_rest = s;
        return 1;
}

/* 1 match, 0 no match, GLOB_BAD */
static int glob_match(const char *pattern, const char *name)
{
        const char *p = pattern;
        while (*p) {
                bool star;
                const char *chunk, *end, *t;
                p = scan_chunk(p, &star, &chunk, &end);
                if (star && chunk == end)
                        return strchr(name, '/') ? 0 : 1;
                int r = match_chunk(chunk, end, name, &t);
                if (r == 1 && (!*t || *p)) {
                        name = t;
                        continue;
                }
                if (r == GLOB_BAD)
                        return GLOB_BAD;
                if (star) {
                        bool found = false;
                        for (size_t i = 0; name[i] && name[i] != '/'; i++) {
                                r = match_chunk(chunk, end, name + i + 1, &t);
                                if (r == 1) {
                                        if (!*p && *t)
                                                continue;
                                        name = t;
                                        found = true;
                                        break;
                                }
                                if (r == GLOB_BAD)
                                        return GLOB_BAD;
                        }
                        if (found)
                                continue;
                }
                while (*p) {
                        p = scan_chunk(p, &star, &chunk, &end);
                        if (match_chunk(chunk, end, "", &t) == GLOB_BAD)
                                return GLOB_BAD;
                }
                return 0;
        }
        return *name ? 0 : 1;
}

/* ---- the regexp subset ------------------------------------------------
 * What patternmatcher can produce: literals and escapes, ".", classes with
 * ranges, negation, Perl and POSIX classes, "^" "$" "\A" "\z" "\b" "\B",
 * groups, alternation ("|", "{" and "}" reach the expression unescaped) and
 * the repetitions "*" "+" "?" "{n}" "{n,}" "{n,m}".  Matching is a search
 * anywhere in the path, like Go's MatchString, computed over sets of
 * positions so that no pattern can take exponential time. */

enum re_kind { RE_LIT, RE_ANY, RE_CLASS, RE_BOL, RE_EOL, RE_WORDB, RE_NWORDB, RE_GROUP };

struct re_alt;

struct re_node {
        enum re_kind kind;
        int min, max; /* repetition; max -1: unbounded */
        uint32_t lit;
        uint32_t (*ranges)[2]; /* RE_CLASS */
        size_t n_ranges;
        bool negated;
        struct re_alt *alts; /* RE_GROUP */
        size_t n_alts;
};

struct re_alt {
        struct re_node *nodes;
        size_t n;
};

struct re_parser {
        const uint32_t *s;
        size_t n, i;
        int depth;
};

static void re_free_alts(struct re_alt *alts, size_t n);

static void re_free_node(struct re_node *nd)
{
        free(nd->ranges);
        re_free_alts(nd->alts, nd->n_alts);
}

static void re_free_alts(struct re_alt *alts, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < alts[i].n; k++)
                        re_free_node(&alts[i].nodes[k]);
                free(alts[i].nodes);
        }
        free(alts);
}

static void add_range(struct re_node *nd, uint32_t lo, uint32_t hi)
{
        nd->ranges = xreallocarray(nd->ranges, nd->n_ranges + 1, sizeof(*nd->ranges));
        nd->ranges[nd->n_ranges][0] = lo;
        nd->ranges[nd->n_ranges][1] = hi;
        nd->n_ranges++;
}

/* adds the complement of the ranges in [from, nd->n_ranges) */
static void negate_tail(struct re_node *nd, size_t from)
{
        size_t cnt = nd->n_ranges - from;
        uint32_t(*r)[2] = xreallocarray(NULL, cnt + 1, sizeof(*r));
        memcpy(r, nd->ranges + from, cnt * sizeof(*r));
        nd->n_ranges = from;
        /* sort (small) and emit the gaps */
        for (size_t i = 1; i < cnt; i++)
                for (size_t j = i; j > 0 && r[j][0] < r[j - 1][0]; j--) {
                        uint32_t t0 = r[j][0], t1 = r[j][1];
                        r[j][0] = r[j - 1][0];
                        r[j][1] = r[j - 1][1];
                        r[j - 1][0] = t0;
                        r[j - 1][1] = t1;
                }
        uint32_t next = 0;
        for (size_t i = 0; i < cnt; i++) {
                if (r[i][0] > next)
                        add_range(nd, next, r[i][0] - 1);
                if (r[i][1] + 1 > next)
                        next = r[i][1] + 1;
        }
        if (next <= 0x10FFFF)
                add_range(nd, next, 0x10FFFF);
        free(r);
}

static bool is_punct_ascii(uint32_t c)
{
        return c < 0x80 &&
               !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

static void perl_class(struct re_node *cls, uint32_t c)
{
        size_t from = cls->n_ranges;
        switch (c | 0x20) {
        case 'd':
                add_range(cls, '0', '9');
                break;
        case 's':
                add_range(cls, '\t', '\n');
                add_range(cls, '\f', '\r');
                add_range(cls, ' ', ' ');
                break;
        default: /* w */
                add_range(cls, '0', '9');
                add_range(cls, 'A', 'Z');
                add_range(cls, 'a', 'z');
                add_range(cls, '_', '_');
        }
        if (c >= 'A' && c <= 'Z')
                negate_tail(cls, from);
}

/* An escape after '\': 0 with *ret a character, 1 when a Perl class was
 * added to CLS, -EINVAL when Go would reject it. */
static int re_escape(struct re_parser *p, uint32_t *ret, struct re_node *cls)
{
        if (p->i >= p->n)
                return -EINVAL;
        uint32_t c = p->s[p->i++];
        if (is_punct_ascii(c)) {
                *ret = c;
                return 0;
        }
        switch (c) {
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
                if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
                        return -EINVAL;
                __attribute__((fallthrough));
        case '0': {
                uint32_t r = c - '0';
                for (int k = 1; k < 3 && p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '7'; k++)
                        r = r * 8 + (p->s[p->i++] - '0');
                *ret = r;
                return 0;
        }
        case 'x': {
                uint32_t r = 0;
                int digits = 0;
                if (p->i < p->n && p->s[p->i] == '{') {
                        p->i++;
                        while (p->i < p->n && p->s[p->i] != '}') {
                                uint32_t h = p->s[p->i++];
                                int v = h < 0x80 && isxdigit((int)h)
                                                ? (isdigit((int)h) ? (int)h - '0'
                                                                   : (tolower((int)h) - 'a' + 10))
                                                : -1;
                                if (v < 0 || r > 0x10FFFF)
                                        return -EINVAL;
                                r = r * 16 + (uint32_t)v;
                                digits++;
                        }
                        if (p->i >= p->n || !digits || r > 0x10FFFF)
                                return -EINVAL;
                        p->i++;
                } else {
                        for (int k = 0; k < 2; k++) {
                                uint32_t h = p->i < p->n ? p->s[p->i++] : 0;
                                if (!(h < 0x80 && isxdigit((int)h)))
                                        return -EINVAL;
                                r = r * 16 + (uint32_t)(isdigit((int)h)
                                                                ? (int)h - '0'
                                                                : (tolower((int)h) - 'a' + 10));
                        }
                }
                *ret = r;
                return 0;
        }
        case 'a':
                *ret = 7;
                return 0;
        case 'f':
                *ret = '\f';
                return 0;
        case 'n':
                *ret = '\n';
                return 0;
        case 'r':
                *ret = '\r';
                return 0;
        case 't':
                *ret = '\t';
                return 0;
        case 'v':
                *ret = '\v';
                return 0;
        case 'd':
        case 's':
        case 'w':
        case 'D':
        case 'S':
        case 'W':
                if (!cls)
                        return -EINVAL;
                perl_class(cls, c);
                return 1;
        }
        return -EINVAL;
}

static const struct {
        const char *name;
        uint32_t ranges[4][2];
} posix_classes[] = {
        {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
        {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
        {"ascii", {{0, 0x7F}}},
        {"blank", {{'\t', '\t'}, {' ', ' '}}},
        {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
        {"digit", {{'0', '9'}}},
        {"graph", {{'!', '~'}}},
        {"lower", {{'a', 'z'}}},
        {"print", {{' ', '~'}}},
        {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
        {"space", {{'\t', '\r'}, {' ', ' '}}},
        {"upper", {{'A', 'Z'}}},
        {"word", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}},
        {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
};

/* "[:name:]" or "[:^name:]" at p->i; 1 added, 0 not a named class, <0 bad */
static int re_posix_class(struct re_parser *p, struct re_node *nd)
{
        size_t i = p->i;
        if (i + 1 >= p->n || p->s[i] != '[' || p->s[i + 1] != ':')
                return 0;
        size_t j = i + 2;
        while (j + 1 < p->n && !(p->s[j] == ':' && p->s[j + 1] == ']'))
                j++;
        if (j + 1 >= p->n)
                return 0;
        char name[16];
        size_t len = j - (i + 2), k0 = 0;
        bool neg = false;
        if (len > 0 && p->s[i + 2] == '^') {
                neg = true;
                k0 = 1;
        }
        if (len - k0 >= sizeof(name))
                return -EINVAL;
        for (size_t k = k0; k < len; k++) {
                if (p->s[i + 2 + k] >= 0x80)
                        return -EINVAL;
                name[k - k0] = (char)p->s[i + 2 + k];
        }
        name[len - k0] = '\0';
        for (size_t c = 0; c < ARRAY_SIZE(posix_classes); c++) {
                if (!streq(posix_classes[c].name, name))
                        continue;
                size_t from = nd->n_ranges;
                for (size_t r = 0; r < 4; r++) {
                        if (r > 0 && posix_classes[c].ranges[r][0] == 0 &&
                            posix_classes[c].ranges[r][1] == 0)
                                break;
                        add_range(nd, posix_classes[c].ranges[r][0], posix_classes[c].ranges[r][1]);
                }
                if (neg)
                        negate_tail(nd, from);
                p->i = j + 2;
                return 1;
        }
        return -EINVAL;
}

static int re_class(struct re_parser *p, struct re_node *nd)
{
        bool first = true;
        nd->kind = RE_CLASS;
        p->i++; /* [ */
        if (p->i < p->n && p->s[p->i] == '^') {
                nd->negated = true;
                p->i++;
        }
        while (p->i >= p->n || p->s[p->i] != ']' || first) {
                uint32_t lo, hi;
                int r;
                first = false;
                if (p->i >= p->n)
                        return -EINVAL;
                r = re_posix_class(p, nd);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (p->s[p->i] == '\\') {
                        p->i++;
                        r = re_escape(p, &lo, nd);
                        if (r < 0)
                                return r;
                        if (r == 1)
                                continue;
                } else {
                        lo = p->s[p->i++];
                }
                hi = lo;
                if (p->i + 1 < p->n && p->s[p->i] == '-' && p->s[p->i + 1] != ']') {
                        p->i++;
                        if (p->s[p->i] == '\\') {
                                p->i++;
                                if (re_escape(p, &hi, NULL) != 0)
                                        return -EINVAL;
                        } else {
                                hi = p->s[p->i++];
                        }
                        if (hi < lo)
                                return -EINVAL;
                }
                add_range(nd, lo, hi);
        }
        p->i++; /* ] */
        return 0;
}

/* "{n}", "{n,}", "{n,m}" at p->i: true and the counts, else false */
static bool re_repeat_spec(struct re_parser *p, size_t *ret_end, long *ret_min, long *ret_max)
{
        size_t i = p->i + 1;
        long min = 0, max;
        bool digits = false;
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
                if (min < 100000)
                        min = min * 10 + (long)(p->s[i] - '0');
                digits = true;
                i++;
        }
        if (!digits || i >= p->n)
                return false;
        if (p->s[i] == '}') {
                max = min;
        } else if (p->s[i] == ',') {
                i++;
                if (i < p->n && p->s[i] == '}') {
                        max = -1;
                } else {
                        max = 0;
                        digits = false;
                        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
                                if (max < 100000)
                                        max = max * 10 + (long)(p->s[i] - '0');
                                digits = true;
                                i++;
                        }
                        if (!digits || i >= p->n || p->s[i] != '}')
                                return false;
                }
        } else {
                return false;
        }
        *ret_end = i + 1;
        *ret_min = min;
        *ret_max = max;
        return true;
}

static int re_alternatives(struct re_parser *p, bool in_group, struct re_alt **ret, size_t *ret_n);

/* one alternative, up to '|' or ')' or the end */
static int re_sequence(struct re_parser *p, struct re_alt *alt)
{
        bool last_repeat = false;
        while (p->i < p->n && p->s[p->i] != '|' && p->s[p->i] != ')') {
                uint32_t c = p->s[p->i];
                if (c == '*' || c == '+' || c == '?' || (c == '{' && alt->n > 0)) {
                        long min, max;
                        size_t end = p->i + 1;
                        if (c == '{') {
                                if (!re_repeat_spec(p, &end, &min, &max))
                                        goto literal;
                                if (min > 1000 || max > 1000 || (max >= 0 && min > max))
                                        return -EINVAL;
                        } else {
                                min = c == '+' ? 1 : 0;
                                max = c == '?' ? 1 : -1;
                        }
                        if (alt->n == 0 || last_repeat)
                                return -EINVAL;
                        struct re_node *prev = &alt->nodes[alt->n - 1];
                        prev->min = (int)min;
                        prev->max = (int)max;
                        p->i = end;
                        if (p->i < p->n && p->s[p->i] == '?')
                                p->i++; /* non-greedy: the same set of matches */
                        last_repeat = true;
                        continue;
                }
                if (c == '{' && alt->n == 0) {
                        long min, max;
                        size_t end;
                        if (re_repeat_spec(p, &end, &min, &max))
                                return -EINVAL; /* nothing to repeat */
                }
        literal:;
                struct re_node nd = {.min = 1, .max = 1};
                int r = 0;
                last_repeat = false;
                if (c == '(') {
                        p->i++;
                        if (++p->depth > 1000)
                                return -EINVAL;
                        nd.kind = RE_GROUP;
                        r = re_alternatives(p, true, &nd.alts, &nd.n_alts);
                        p->depth--;
                } else if (c == '[') {
                        r = re_class(p, &nd);
                } else if (c == '\\' && p->i + 1 < p->n && p->s[p->i + 1] == 'Q') {
                        /* \Q...\E: literal text (to the end without \E) */
                        p->i += 2;
                        while (p->i < p->n &&
                               !(p->s[p->i] == '\\' && p->i + 1 < p->n && p->s[p->i + 1] == 'E')) {
                                struct re_node lit = {
                                        .kind = RE_LIT, .min = 1, .max = 1, .lit = p->s[p->i++]};
                                alt->nodes = xreallocarray(alt->nodes, alt->n + 1, sizeof(lit));
                                alt->nodes[alt->n++] = lit;
                        }
                        if (p->i < p->n)
                                p->i += 2;
                        last_repeat = false;
                        continue;
                } else if (c == '\\') {
                        p->i++;
                        if (p->i < p->n && (p->s[p->i] == 'A' || p->s[p->i] == 'z' ||
                                            p->s[p->i] == 'b' || p->s[p->i] == 'B')) {
                                uint32_t e = p->s[p->i++];
                                nd.kind = e == 'A'   ? RE_BOL
                                          : e == 'z' ? RE_EOL
                                          : e == 'b' ? RE_WORDB
                                                     : RE_NWORDB;
                        } else {
                                r = re_escape(p, &nd.lit, &nd);
                                nd.kind = r == 1 ? RE_CLASS : RE_LIT;
                                if (r == 1)
                                        r = 0;
                        }
                } else if (c == '.') {
                        p->i++;
                        nd.kind = RE_ANY;
                } else if (c == '^') {
                        p->i++;
                        nd.kind = RE_BOL;
                } else if (c == '$') {
                        p->i++;
                        nd.kind = RE_EOL;
                } else {
                        p->i++;
                        nd.kind = RE_LIT;
                        nd.lit = c;
                }
                if (r < 0) {
                        re_free_node(&nd);
                        return r;
                }
                alt->nodes = xreallocarray(alt->nodes, alt->n + 1, sizeof(nd));
                alt->nodes[alt->n++] = nd;
        }
        return 0;
}

static int re_alternatives(struct re_parser *p, bool in_group, struct re_alt **ret, size_t *ret_n)
{
        struct re_alt *alts = NULL;
        size_t n = 0;
        for (;;) {
                alts = xreallocarray(alts, n + 1, sizeof(*alts));
                alts[n] = (struct re_alt){0};
                int r = re_sequence(p, &alts[n++]);
                if (r < 0)
                        goto bad;
                if (p->i < p->n && p->s[p->i] == '|') {
                        p->i++;
                        continue;
                }
                if (p->i < p->n && p->s[p->i] == ')') {
                        if (!in_group)
                                goto bad;
                        p->i++;
                        break;
                }
                if (in_group)
                        goto bad; /* missing ) */
                break;
        }
        *ret = alts;
        *ret_n = n;
        return 0;
bad:
        re_free_alts(alts, n);
        return -EINVAL;
}

static bool is_word_char(uint32_t c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
}

static bool re_char_ok(const struct re_node *nd, uint32_t c)
{
        switch (nd->kind) {
        case RE_LIT:
                return c == nd->lit;
        case RE_ANY:
                return c != '\n';
        case RE_CLASS: {
                bool in = false;
                for (size_t i = 0; i < nd->n_ranges; i++)
                        if (c >= nd->ranges[i][0] && c <= nd->ranges[i][1])
                                in = true;
                return in != nd->negated;
        }
        default:
                return false;
        }
}

static void re_alts_step(const struct re_alt *alts, size_t n_alts, const uint32_t *s, size_t n,
                         const unsigned char *in, unsigned char *out);

/* one application of a node's atom: positions IN -> OUT */
static void re_atom_step(const struct re_node *nd, const uint32_t *s, size_t n,
                         const unsigned char *in, unsigned char *out)
{
        memset(out, 0, n + 1);
        switch (nd->kind) {
        case RE_BOL:
                out[0] = in[0];
                return;
        case RE_EOL:
                out[n] = in[n];
                return;
        case RE_WORDB:
        case RE_NWORDB:
                for (size_t i = 0; i <= n; i++) {
                        bool a = i > 0 && is_word_char(s[i - 1]), b = i < n && is_word_char(s[i]);
                        if (in[i] && ((a != b) == (nd->kind == RE_WORDB)))
                                out[i] = 1;
                }
                return;
        case RE_GROUP:
                re_alts_step(nd->alts, nd->n_alts, s, n, in, out);
                return;
        default:
                for (size_t i = 0; i < n; i++)
                        if (in[i] && re_char_ok(nd, s[i]))
                                out[i + 1] = 1;
        }
}

static void re_node_step(const struct re_node *nd, const uint32_t *s, size_t n, unsigned char *cur,
                         unsigned char *tmp, unsigned char *frontier)
{
        for (int k = 0; k < nd->min; k++) {
                re_atom_step(nd, s, n, cur, tmp);
                memcpy(cur, tmp, n + 1);
        }
        if (nd->max < 0) {
                memcpy(frontier, cur, n + 1);
                for (;;) {
                        bool grew = false;
                        re_atom_step(nd, s, n, frontier, tmp);
                        for (size_t i = 0; i <= n; i++) {
                                frontier[i] = tmp[i] && !cur[i];
                                if (frontier[i]) {
                                        cur[i] = 1;
                                        grew = true;
                                }
                        }
                        if (!grew)
                                break;
                }
                return;
        }
        memcpy(frontier, cur, n + 1);
        for (int k = nd->min; k < nd->max; k++) {
                re_atom_step(nd, s, n, frontier, tmp);
                bool any = false;
                for (size_t i = 0; i <= n; i++) {
                        frontier[i] = tmp[i];
                        if (tmp[i]) {
                                cur[i] = 1;
                                any = true;
                        }
                }
                if (!any)
                        break;
        }
}

static void re_alts_step(const struct re_alt *alts, size_t n_alts, const uint32_t *s, size_t n,
                         const unsigned char *in, unsigned char *out)
{
        unsigned char *cur = xmalloc(n + 1), *tmp = xmalloc(n + 1), *frontier = xmalloc(n + 1);
        memset(out, 0, n + 1);
        for (size_t a = 0; a < n_alts; a++) {
                memcpy(cur, in, n + 1);
                for (size_t k = 0; k < alts[a].n; k++)
                        re_node_step(&alts[a].nodes[k], s, n, cur, tmp, frontier);
                for (size_t i = 0; i <= n; i++)
                        out[i] |= cur[i];
        }
        free(cur);
        free(tmp);
        free(frontier);
}

/* ---- patterns ---------------------------------------------------------- */

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEXP };

struct pattern {
        char *cleaned;
        char **dirs;
        bool exclusion;
        enum match_type type;
        bool compiled, bad;
        struct re_alt *re;
        size_t n_re;
};

struct dockerignore {
        struct pattern *p;
        size_t n, cap;
};

/* patternmatcher means to escape ".+()|{}$", but its bitmap drops the bits
 * of '|', '{' and '}' (all above 63): those reach the expression as they
 * are, which makes "a|b" an alternation and "x{2}" a repetition.  Docker
 * behaves that way, so box does too. */
static bool should_escape(uint32_t c)
{
        return c < 0x80 && c != 0 && strchr(".+()$", (int)c);
}

static void pattern_compile(struct pattern *pt)
{
        struct buf re = {0};
        enum match_type type = MATCH_EXACT;
        size_t n;
        _cleanup_free_ uint32_t *s = build_utf8_runes(pt->cleaned, strlen(pt->cleaned), &n);
        size_t i = (n > 0 && s[0] == 0xFEFF) ? 1 : 0;

        pt->compiled = true;
        buf_putc(&re, '^');
        for (size_t idx = 0; i < n; idx++) {
                uint32_t ch = s[i++];
                if (ch == '*') {
                        if (i < n && s[i] == '*') {
                                i++;
                                if (i < n && s[i] == '/')
                                        i++;
                                if (i >= n) {
                                        if (type == MATCH_EXACT)
                                                type = MATCH_PREFIX;
                                        else {
                                                buf_puts(&re, ".*");
                                                type = MATCH_REGEXP;
                                        }
                                } else {
                                        buf_puts(&re, "(.*/)?");
                                        type = MATCH_REGEXP;
                                }
                                if (idx == 0)
                                        type = MATCH_SUFFIX;
                        } else {
                                buf_puts(&re, "[^/]*");
                                type = MATCH_REGEXP;
                        }
                } else if (ch == '?') {
                        buf_puts(&re, "[^/]");
                        type = MATCH_REGEXP;
                } else if (should_escape(ch)) {
                        buf_putc(&re, '\\');
                        build_utf8_put(&re, ch);
                } else if (ch == '\\') {
                        if (i < n) {
                                buf_putc(&re, '\\');
                                build_utf8_put(&re, s[i++]);
                                type = MATCH_REGEXP;
                        } else {
                                buf_putc(&re, '\\');
                        }
                } else if (ch == '[' || ch == ']') {
                        build_utf8_put(&re, ch);
                        type = MATCH_REGEXP;
                } else {
                        build_utf8_put(&re, ch);
                }
        }
        pt->type = type;
        if (type == MATCH_REGEXP) {
                buf_putc(&re, '$');
                size_t rn;
                _cleanup_free_ uint32_t *rs = build_utf8_runes(re.data, re.len, &rn);
                struct re_parser p = {rs, rn, 0, 0};
                if (re_alternatives(&p, false, &pt->re, &pt->n_re) < 0)
                        pt->bad = true;
        }
        buf_release(&re);
}

/* 1 match, 0 no, -EINVAL bad pattern */
static int pattern_match(struct pattern *pt, const char *path)
{
        if (!pt->compiled)
                pattern_compile(pt);
        if (pt->bad)
                return -EINVAL;
        size_t cl = strlen(pt->cleaned), pl = strlen(path);
        switch (pt->type) {
        case MATCH_EXACT:
                return streq(path, pt->cleaned);
        case MATCH_PREFIX:
                return strneq(path, pt->cleaned, cl - 2);
        case MATCH_SUFFIX: {
                const char *suffix = pt->cleaned + 2;
                size_t sl = cl - 2;
                if (pl >= sl && memcmp(path + pl - sl, suffix, sl) == 0)
                        return 1;
                return suffix[0] == '/' && streq(path, suffix + 1);
        }
        case MATCH_REGEXP: {
                size_t n;
                _cleanup_free_ uint32_t *s = build_utf8_runes(path, pl, &n);
                _cleanup_free_ unsigned char *in = xmalloc(n + 1), *out = xzalloc(n + 1);
                memset(in, 1, n + 1); /* MatchString: a match may start anywhere */
                re_alts_step(pt->re, pt->n_re, s, n, in, out);
                for (size_t i = 0; i <= n; i++)
                        if (out[i])
                                return 1;
                return 0;
        }
        }
        return 0;
}

int build_dockerignore_new(char *const *patterns, struct dockerignore **ret, struct box_err *err)
{
        struct dockerignore *m = xnew0(struct dockerignore, 1);

        STRV_FOREACH (it, patterns) {
                size_t a, b;
                build_utf8_trim_space(*it, strlen(*it), &a, &b);
                if (a == b)
                        continue;
                _cleanup_free_ char *raw = xstrndup(*it + a, b - a);
                _cleanup_free_ char *p = build_path_clean(raw);
                struct pattern pt = {0};
                const char *q = p;
                if (p[0] == '!') {
                        if (!p[1]) {
                                build_dockerignore_free(m);
                                return box_err_set(err, EINVAL, "illegal exclusion pattern: '!'");
                        }
                        pt.exclusion = true;
                        q = p + 1;
                }
                if (glob_match(q, ".") == GLOB_BAD) {
                        build_dockerignore_free(m);
                        return box_err_set(err, EINVAL, "syntax error in pattern '%s'", q);
                }
                pt.cleaned = xstrdup(q);
                pt.dirs = xnew0(char *, 1);
                for (const char *d = q;;) {
                        const char *sl = strchr(d, '/');
                        pt.dirs =
                                strv_push(pt.dirs, sl ? xstrndup(d, (size_t)(sl - d)) : xstrdup(d));
                        if (!sl)
                                break;
                        d = sl + 1;
                }
                if (m->n == m->cap) {
                        m->cap = m->cap ? 2 * m->cap : 16;
                        m->p = xreallocarray(m->p, m->cap, sizeof(*m->p));
                }
                m->p[m->n++] = pt;
        }
        *ret = m;
        return 0;
}

void build_dockerignore_free(struct dockerignore *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n; i++) {
                free(m->p[i].cleaned);
                strv_free(m->p[i].dirs);
                re_free_alts(m->p[i].re, m->p[i].n_re);
        }
        free(m->p);
        free(m);
}

int build_dockerignore_matches(struct dockerignore *m, const char *path, bool *ret_excluded,
                               struct box_err *err)
{
        bool matched = false;
        _cleanup_free_ char *file = xstrdup(path);
        /* filepath.Dir */
        _cleanup_free_ char *parent = NULL;
        const char *sl = strrchr(file, '/');
        if (!sl)
                parent = xstrdup(".");
        else {
                _cleanup_free_ char *tmp = xstrndup(file, (size_t)(sl - file + 1));
                parent = build_path_clean(tmp);
        }

        for (size_t i = 0; i < m->n; i++) {
                struct pattern *pt = &m->p[i];
                if (pt->exclusion != matched)
                        continue;
                int r = pattern_match(pt, file);
                if (r < 0)
                        return box_err_set(err, EINVAL, "syntax error in pattern '%s'",
                                           pt->cleaned);
                if (!r && !streq(parent, ".")) {
                        /* a parent directory matching excludes what is below it */
                        for (const char *d = parent;;) {
                                const char *s2 = strchr(d, '/');
                                _cleanup_free_ char *prefix = xstrndup(
                                        parent, s2 ? (size_t)(s2 - parent) : strlen(parent));
                                r = pattern_match(pt, prefix);
                                if (r > 0)
                                        break;
                                r = 0;
                                if (!s2)
                                        break;
                                d = s2 + 1;
                        }
                }
                if (r > 0)
                        matched = !pt->exclusion;
        }
        *ret_excluded = matched;
        return 0;
}

int build_dockerignore_read(const char *data, size_t len, char ***ret_patterns, struct box_err *err)
{
        char **v = xnew0(char *, 1);
        size_t pos = 0, n_v = 0;
        bool first = true;

        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                pos = 3;
        while (pos < len) {
                const char *s = data + pos;
                const char *nl = memchr(s, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - s) : len - pos;
                pos += n + (nl ? 1 : 0);
                /* bufio.ScanLines drops a trailing \r */
                if (n > 0 && s[n - 1] == '\r')
                        n--;
                (void)first;
                first = false;
                if (n > 0 && s[0] == '#')
                        continue;
                size_t a, b;
                build_utf8_trim_space(s, n, &a, &b);
                if (a == b)
                        continue;
                _cleanup_free_ char *pat = xstrndup(s + a, b - a);
                bool invert = pat[0] == '!';
                char *body = pat + (invert ? 1 : 0);
                size_t a2, b2;
                build_utf8_trim_space(body, strlen(body), &a2, &b2);
                _cleanup_free_ char *trimmed = xstrndup(body + a2, b2 - a2);
                _cleanup_free_ char *clean = NULL;
                if (*trimmed) {
                        clean = build_path_clean(trimmed);
                        if (strlen(clean) > 1 && clean[0] == '/')
                                memmove(clean, clean + 1, strlen(clean));
                } else {
                        clean = xstrdup("");
                }
                v = strv_push_at(v, n_v++, xasprintf("%s%s", invert ? "!" : "", clean));
        }
        *ret_patterns = v;
        return 0;
}

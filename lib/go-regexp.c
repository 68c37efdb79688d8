/* The regexp subset: a parser building a small tree of alternatives and
 * nodes (each node an atom with a repetition count), and a matcher that
 * steps sets of positions through it.  See lib/go-regexp.h for what is
 * covered. */
#include "lib/go-regexp.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "lib/xalloc.h"

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

struct go_regexp {
        struct re_alt *alts;
        size_t n_alts;
};

int go_regexp_compile(const char *expr, struct go_regexp **ret, struct box_err *err)
{
        size_t n;
        _cleanup_free_ uint32_t *s = utf8_runes(expr, strlen(expr), &n);
        struct re_parser p = {s, n, 0, 0};
        struct go_regexp *re = xnew0(struct go_regexp, 1);
        if (re_alternatives(&p, false, &re->alts, &re->n_alts) < 0) {
                free(re);
                return box_err_set(err, EINVAL, "invalid regular expression '%s'", expr);
        }
        *ret = re;
        return 0;
}

bool go_regexp_match(const struct go_regexp *re, const char *str)
{
        size_t n;
        _cleanup_free_ uint32_t *s = utf8_runes(str, strlen(str), &n);
        _cleanup_free_ unsigned char *in = xmalloc(n + 1), *out = xzalloc(n + 1);
        memset(in, 1, n + 1); /* MatchString: a match may start anywhere */
        re_alts_step(re->alts, re->n_alts, s, n, in, out);
        for (size_t i = 0; i <= n; i++)
                if (out[i])
                        return true;
        return false;
}

void go_regexp_free(struct go_regexp *re)
{
        if (!re)
                return;
        re_free_alts(re->alts, re->n_alts);
        free(re);
}

bool go_regexp_match_any(char *const *exprs, const char *const *s, size_t n)
{
        if (!exprs)
                return true;
        for (char *const *e = exprs; *e; e++) {
                struct go_regexp *re = NULL;
                bool m = false;
                if (go_regexp_compile(*e, &re, NULL) == 0)
                        for (size_t i = 0; i < n && !m; i++)
                                m = go_regexp_match(re, s[i]);
                go_regexp_free(re);
                if (m)
                        return true;
        }
        return false;
}

/* .dockerignore patterns, matched the way moby/patternmatcher matches them.
 *
 * patternmatcher turns each pattern into a Go regular expression (a star
 * becomes "any run of non-slashes", "?" one non-slash, a double star "any
 * directories", some characters are escaped, "[...]" is passed through) and
 * runs Go's regexp on the path.  To
 * match exactly what Docker matches, box builds the same expression text and
 * runs it on a small engine for that subset of Go's regexp syntax. */
#include "build/dockerignore.h"

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
                } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
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

/* ---- the regexp subset ------------------------------------------------- */

enum re_kind { RE_LIT, RE_ANY, RE_CLASS, RE_BOL, RE_EOL, RE_GROUP };
enum re_quant { Q_ONE, Q_STAR, Q_OPT, Q_PLUS };

struct re_node {
        enum re_kind kind;
        enum re_quant quant;
        uint32_t lit;
        uint32_t (*ranges)[2]; /* RE_CLASS */
        size_t n_ranges;
        bool negated;
        struct re_node *sub; /* RE_GROUP */
        size_t n_sub;
};

struct re_parser {
        const uint32_t *s;
        size_t n, i;
};

static void re_free_nodes(struct re_node *nodes, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(nodes[i].ranges);
                re_free_nodes(nodes[i].sub, nodes[i].n_sub);
        }
        free(nodes);
}

static void add_range(struct re_node *nd, uint32_t lo, uint32_t hi)
{
        nd->ranges = xreallocarray(nd->ranges, nd->n_ranges + 1, sizeof(*nd->ranges));
        nd->ranges[nd->n_ranges][0] = lo;
        nd->ranges[nd->n_ranges][1] = hi;
        nd->n_ranges++;
}

static bool is_punct_ascii(uint32_t c)
{
        return c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* An escape after '\'; a Perl class (\d \s \w) fills nd when allowed. */
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
                if (!cls)
                        return -EINVAL;
                if (c == 'd')
                        add_range(cls, '0', '9');
                else if (c == 's') {
                        add_range(cls, '\t', '\n');
                        add_range(cls, '\f', '\r');
                        add_range(cls, ' ', ' ');
                } else {
                        add_range(cls, '0', '9');
                        add_range(cls, 'A', 'Z');
                        add_range(cls, 'a', 'z');
                        add_range(cls, '_', '_');
                }
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
                                if (re_escape(p, &hi, NULL) < 0)
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

static int re_seq(struct re_parser *p, bool in_group, struct re_node **ret, size_t *ret_n)
{
        struct re_node *nodes = NULL;
        size_t n = 0;
        int r = 0;

        while (p->i < p->n) {
                uint32_t c = p->s[p->i];
                struct re_node nd = {0};
                if (c == ')') {
                        if (!in_group)
                                goto bad;
                        p->i++;
                        *ret = nodes;
                        *ret_n = n;
                        return 0;
                }
                if (c == '*' || c == '?' || c == '+' || c == '|')
                        goto bad;
                if (c == '(') {
                        p->i++;
                        nd.kind = RE_GROUP;
                        size_t save = p->i;
                        (void)save;
                        r = re_seq(p, true, &nd.sub, &nd.n_sub);
                        if (r < 0)
                                goto bad;
                } else if (c == '[') {
                        r = re_class(p, &nd);
                        if (r < 0) {
                                free(nd.ranges);
                                goto bad;
                        }
                } else if (c == '\\') {
                        p->i++;
                        r = re_escape(p, &nd.lit, &nd);
                        if (r < 0) {
                                free(nd.ranges);
                                goto bad;
                        }
                        nd.kind = r == 1 ? RE_CLASS : RE_LIT;
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
                if (p->i < p->n && (p->s[p->i] == '*' || p->s[p->i] == '?' || p->s[p->i] == '+')) {
                        uint32_t q = p->s[p->i++];
                        nd.quant = q == '*' ? Q_STAR : q == '?' ? Q_OPT : Q_PLUS;
                        if (p->i < p->n && p->s[p->i] == '?')
                                p->i++; /* non-greedy: same set of matches */
                        if (p->i < p->n && (p->s[p->i] == '*' || p->s[p->i] == '+' || p->s[p->i] == '?')) {
                                free(nd.ranges);
                                re_free_nodes(nd.sub, nd.n_sub);
                                goto bad;
                        }
                }
                nodes = xreallocarray(nodes, n + 1, sizeof(*nodes));
                nodes[n++] = nd;
        }
        if (in_group)
                goto bad;
        *ret = nodes;
        *ret_n = n;
        return 0;
bad:
        re_free_nodes(nodes, n);
        return -EINVAL;
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

static void re_seq_step(const struct re_node *nodes, size_t n_nodes, const uint32_t *s, size_t n,
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
        case RE_GROUP:
                re_seq_step(nd->sub, nd->n_sub, s, n, in, out);
                return;
        default:
                for (size_t i = 0; i < n; i++)
                        if (in[i] && re_char_ok(nd, s[i]))
                                out[i + 1] = 1;
        }
}

static void re_seq_step(const struct re_node *nodes, size_t n_nodes, const uint32_t *s, size_t n,
                        const unsigned char *in, unsigned char *out)
{
        unsigned char *cur = xmalloc(n + 1), *tmp = xmalloc(n + 1), *frontier = xmalloc(n + 1);
        memcpy(cur, in, n + 1);
        for (size_t k = 0; k < n_nodes; k++) {
                const struct re_node *nd = &nodes[k];
                re_atom_step(nd, s, n, cur, tmp);
                switch (nd->quant) {
                case Q_ONE:
                        memcpy(cur, tmp, n + 1);
                        break;
                case Q_OPT:
                        for (size_t i = 0; i <= n; i++)
                                cur[i] |= tmp[i];
                        break;
                case Q_PLUS:
                        memcpy(cur, tmp, n + 1);
                        __attribute__((fallthrough));
                case Q_STAR:
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
                        break;
                }
        }
        memcpy(out, cur, n + 1);
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
        struct re_node *re;
        size_t n_re;
};

struct dockerignore {
        struct pattern *p;
        size_t n;
};

static bool should_escape(uint32_t c)
{
        return c < 0x80 && strchr(".+()|{}$", (int)c) && c != 0;
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
                struct re_parser p = {rs, rn, 0};
                if (re_seq(&p, false, &pt->re, &pt->n_re) < 0)
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
                _cleanup_free_ unsigned char *in = xzalloc(n + 1), *out = xzalloc(n + 1);
                in[0] = 1;
                re_seq_step(pt->re, pt->n_re, s, n, in, out);
                return out[n];
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
                        pt.dirs = strv_push(pt.dirs, sl ? xstrndup(d, (size_t)(sl - d)) : xstrdup(d));
                        if (!sl)
                                break;
                        d = sl + 1;
                }
                m->p = xreallocarray(m->p, m->n + 1, sizeof(*m->p));
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
                re_free_nodes(m->p[i].re, m->p[i].n_re);
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
                        return box_err_set(err, EINVAL, "syntax error in pattern '%s'", pt->cleaned);
                if (!r && !streq(parent, ".")) {
                        /* a parent directory matching excludes what is below it */
                        for (const char *d = parent;;) {
                                const char *s2 = strchr(d, '/');
                                _cleanup_free_ char *prefix = xstrndup(parent, s2 ? (size_t)(s2 - parent)
                                                                                  : strlen(parent));
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
        size_t pos = 0;
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
                v = strv_push(v, xasprintf("%s%s", invert ? "!" : "", clean));
        }
        *ret_patterns = v;
        return 0;
}

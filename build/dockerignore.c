/* .dockerignore patterns, matched the way moby/patternmatcher matches them.
 *
 * patternmatcher turns each pattern into a Go regular expression (a star
 * becomes "any run of non-slashes", "?" one non-slash, a double star "any
 * directories", some characters are escaped, "[...]" is passed through) and
 * runs Go's regexp on the path.  To match exactly what Docker matches, box
 * builds the same expression text and runs it with lib/go-regexp, which
 * implements that subset of Go's regexp syntax.  Malformed patterns are
 * found as patternmatcher finds them, with Go's filepath.Match
 * (lib/go-match). */
#include "build/dockerignore.h"

#include <stdint.h>

#include "lib/go-match.h"
#include "lib/go-path.h"
#include "lib/go-regexp.h"
#include "lib/strv.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

/* ---- patterns ---------------------------------------------------------- */

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEXP };

struct pattern {
        char *cleaned;
        char **dirs;
        bool exclusion;
        enum match_type type;
        bool compiled, bad;
        struct go_regexp *re;
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
        _cleanup_free_ uint32_t *s = utf8_runes(pt->cleaned, strlen(pt->cleaned), &n);
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
                        utf8_put(&re, ch);
                } else if (ch == '\\') {
                        if (i < n) {
                                buf_putc(&re, '\\');
                                utf8_put(&re, s[i++]);
                                type = MATCH_REGEXP;
                        } else {
                                buf_putc(&re, '\\');
                        }
                } else if (ch == '[' || ch == ']') {
                        utf8_put(&re, ch);
                        type = MATCH_REGEXP;
                } else {
                        utf8_put(&re, ch);
                }
        }
        pt->type = type;
        if (type == MATCH_REGEXP) {
                buf_putc(&re, '$');
                if (go_regexp_compile(re.data, &pt->re, NULL) < 0)
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
        case MATCH_REGEXP:
                return go_regexp_match(pt->re, path);
        }
        return 0;
}

int build_dockerignore_new(char *const *patterns, struct dockerignore **ret, struct box_err *err)
{
        struct dockerignore *m = xnew0(struct dockerignore, 1);

        STRV_FOREACH (it, patterns) {
                size_t a, b;
                utf8_trim_space(*it, strlen(*it), &a, &b);
                if (a == b)
                        continue;
                _cleanup_free_ char *raw = xstrndup(*it + a, b - a);
                _cleanup_free_ char *p = go_path_clean(raw);
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
                if (go_path_match(q, ".", err) < 0) {
                        build_dockerignore_free(m);
                        return -EINVAL;
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
                go_regexp_free(m->p[i].re);
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
                parent = go_path_clean(tmp);
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

bool build_dockerignore_may_reinclude(const struct dockerignore *m, const char *dir)
{
        size_t dl = strlen(dir);
        for (size_t i = 0; m && i < m->n; i++) {
                const struct pattern *pt = &m->p[i];
                if (!pt->exclusion)
                        continue;
                /* a wildcard could match anywhere: only a literal exception
                 * is known to stay outside DIR */
                if (strpbrk(pt->cleaned, "*?[\\") ||
                    (strneq(pt->cleaned, dir, dl) && pt->cleaned[dl] == '/'))
                        return true;
        }
        return false;
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
                utf8_trim_space(s, n, &a, &b);
                if (a == b)
                        continue;
                _cleanup_free_ char *pat = xstrndup(s + a, b - a);
                bool invert = pat[0] == '!';
                char *body = pat + (invert ? 1 : 0);
                size_t a2, b2;
                utf8_trim_space(body, strlen(body), &a2, &b2);
                _cleanup_free_ char *trimmed = xstrndup(body + a2, b2 - a2);
                _cleanup_free_ char *clean = NULL;
                if (*trimmed) {
                        clean = go_path_clean(trimmed);
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

/* The shell-word expander: BuildKit's frontend/dockerfile/shell lexer,
 * rewritten.  It reads the word as runes the way Go's text/scanner does,
 * expands $V and ${V...} forms, removes quotes and escapes, and optionally
 * splits the result into words.  Its quirks are kept on purpose (a single
 * word buffer shared by nested ${...} forms, Go regexp template syntax in
 * ${V//p/r}) because Dockerfiles depend on the exact results. */
#include "build/dockerfile.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define LEX_EOF       UINT32_MAX
#define LEX_MAX_DEPTH 1000

static size_t max_word = SHELL_MAX_WORD, max_total = SHELL_MAX_TOTAL, used_total;

void build_shell_limits_set(size_t word, size_t total)
{
        max_word = word ? word : SHELL_MAX_WORD;
        max_total = total ? total : SHELL_MAX_TOTAL;
        used_total = 0;
}

bool build_shell_env_strv_get(void *strv, const char *name, const char **ret_value)
{
        char **v = strv;
        size_t n = strlen(name);
        const char *found = NULL;

        STRV_FOREACH (e, v) {
                if (strneq(*e, name, n) && ((*e)[n] == '=' || (*e)[n] == '\0'))
                        found = (*e)[n] == '=' ? *e + n + 1 : "";
        }
        if (!found)
                return false;
        *ret_value = found;
        return true;
}

struct words {
        char **v;
        bool in_word;
};

struct lexer {
        const uint32_t *s;
        size_t n, pos;
        uint32_t esc;
        bool raw_quotes, raw_escapes, skip_quotes, skip_unset;
        const struct shell_env *env;
        bool capture;
        char **matched, **unmatched;
        struct buf wordbuf; /* shared by every nesting level, as in BuildKit */
        int depth;
        struct box_err *err;
};

static uint32_t lex_peek(struct lexer *l)
{
        return l->pos < l->n ? l->s[l->pos] : LEX_EOF;
}

static uint32_t lex_next(struct lexer *l)
{
        return l->pos < l->n ? l->s[l->pos++] : LEX_EOF;
}

static void put_rune(struct buf *b, uint32_t r)
{
        utf8_put(b, r == LEX_EOF ? UTF8_RUNE_ERROR : r);
}

static void words_flush(struct lexer *l, struct words *w)
{
        w->v = strv_append(w->v, l->wordbuf.data ? l->wordbuf.data : "");
        l->wordbuf.len = 0;
        if (l->wordbuf.data)
                l->wordbuf.data[0] = '\0';
        w->in_word = false;
}

static void words_add_raw_char(struct lexer *l, struct words *w, uint32_t r)
{
        put_rune(&l->wordbuf, r);
        w->in_word = true;
}

static void words_add_char(struct lexer *l, struct words *w, uint32_t r)
{
        if (unicode_is_space(r) && w->in_word) {
                if (l->wordbuf.len != 0)
                        words_flush(l, w);
        } else if (!unicode_is_space(r)) {
                words_add_raw_char(l, w, r);
        }
}

static void words_add_string(struct lexer *l, struct words *w, const char *s)
{
        size_t n = strlen(s), k;
        for (size_t i = 0; i < n; i += k)
                words_add_char(l, w, utf8_decode(s + i, n - i, &k));
}

static void words_add_raw_string(struct lexer *l, struct words *w, const char *s)
{
        buf_puts(&l->wordbuf, s);
        w->in_word = true;
}

static char **words_get(struct lexer *l, struct words *w)
{
        if (l->wordbuf.len > 0)
                words_flush(l, w);
        if (!w->v)
                w->v = xnew0(char *, 1);
        return TAKE_PTR(w->v);
}

static int lex_fail(struct lexer *l, const char *fmt, ...) _printf_(2, 3);
static int lex_fail(struct lexer *l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        box_err_setv(l->err, EINVAL, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* Every buffer an expansion grows is checked against the word limit as it
 * grows, so "$A$A$A..." or ${A//x/yyyy} stops at the limit, not after. */
static int lex_check(struct lexer *l, size_t len)
{
        if (len <= max_word)
                return 0;
        return lex_fail(l, "expanded word longer than %zu bytes (BOX_BUILD_MAX_WORD)", max_word);
}

static void note_name(char ***set, const char *name)
{
        if (!strv_contains(*set, name))
                *set = strv_append(*set, name);
}

static bool lex_getenv(struct lexer *l, const char *name, const char **ret)
{
        const char *v = NULL;
        if (l->env && l->env->get && l->env->get(l->env->userdata, name, &v)) {
                if (l->capture)
                        note_name(&l->matched, name);
                *ret = v ? v : "";
                return true;
        }
        if (l->capture)
                note_name(&l->unmatched, name);
        *ret = "";
        return false;
}

static int process_stop_on(struct lexer *l, uint32_t stop, bool raw_escapes, char **ret,
                           char ***ret_words);

static int process_single_quote(struct lexer *l, struct buf *out)
{
        uint32_t ch = lex_next(l);
        if (l->raw_quotes)
                put_rune(out, ch);
        for (;;) {
                ch = lex_next(l);
                if (ch == LEX_EOF)
                        return lex_fail(l, "unexpected end of statement while looking for matching "
                                           "single-quote");
                if (ch == '\'') {
                        if (l->raw_quotes)
                                put_rune(out, ch);
                        return 0;
                }
                put_rune(out, ch);
        }
}

static int process_dollar(struct lexer *l, struct buf *out);

static int process_double_quote(struct lexer *l, struct buf *out)
{
        uint32_t ch = lex_next(l);
        int r;

        if (l->raw_quotes)
                put_rune(out, ch);
        for (;;) {
                uint32_t p = lex_peek(l);
                if (p == LEX_EOF)
                        return lex_fail(l, "unexpected end of statement while looking for matching "
                                           "double-quote");
                if (p == '"') {
                        ch = lex_next(l);
                        if (l->raw_quotes)
                                put_rune(out, ch);
                        return 0;
                }
                if (p == '$') {
                        r = process_dollar(l, out);
                        if (r >= 0)
                                r = lex_check(l, out->len);
                        if (r < 0)
                                return r;
                        continue;
                }
                ch = lex_next(l);
                if (ch == l->esc) {
                        if (l->raw_escapes)
                                put_rune(out, ch);
                        p = lex_peek(l);
                        if (p == LEX_EOF)
                                continue;
                        if (p == '"' || p == '$' || p == l->esc)
                                ch = lex_next(l);
                }
                put_rune(out, ch);
        }
}

static bool is_special_param(uint32_t c)
{
        return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
               c == '0';
}

static char *process_name(struct lexer *l)
{
        struct buf name = {0};

        buf_puts(&name, "");
        while (lex_peek(l) != LEX_EOF) {
                uint32_t ch = lex_peek(l);
                if (name.len == 0 && unicode_is_digit(ch)) {
                        while (lex_peek(l) != LEX_EOF && unicode_is_digit(lex_peek(l)))
                                put_rune(&name, lex_next(l));
                        return buf_steal(&name);
                }
                if (name.len == 0 && is_special_param(ch)) {
                        put_rune(&name, lex_next(l));
                        return buf_steal(&name);
                }
                if (!unicode_is_letter(ch) && !unicode_is_digit(ch) && ch != '_')
                        break;
                put_rune(&name, lex_next(l));
        }
        return buf_steal(&name);
}

/* ---- shell patterns: ? * and \-escapes, matched like Go's regexp would
 * match the pattern BuildKit converts them to ---------------------------- */

enum { PAT_LIT, PAT_ANY, PAT_STAR };

struct pat {
        int *kind;
        uint32_t *lit;
        size_t n;
};

static void pat_free(struct pat *p)
{
        free(p->kind);
        free(p->lit);
}

static int pat_compile(const uint32_t *s, size_t n, struct pat *ret, struct box_err *err)
{
        struct pat p = {xnew(int, n + 1), xnew(uint32_t, n + 1), 0};
        size_t i = 0;

        if (n > 0 && s[0] == 0xFEFF)
                i = 1; /* text/scanner drops a leading byte order mark */
        for (; i < n; i++) {
                uint32_t c = s[i];
                if (c == '*') {
                        p.kind[p.n++] = PAT_STAR;
                        continue;
                }
                if (c == '?') {
                        p.kind[p.n++] = PAT_ANY;
                        continue;
                }
                if (c == '\\') {
                        if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == '/'))
                                continue;
                        if (i + 1 >= n ||
                            (s[i + 1] != '*' && s[i + 1] != '?' && s[i + 1] != '\\')) {
                                pat_free(&p);
                                return box_err_set(err, EINVAL, "invalid escape");
                        }
                        c = s[++i];
                }
                p.kind[p.n] = PAT_LIT;
                p.lit[p.n++] = c;
        }
        *ret = p;
        return 0;
}

/* can[k * (n + 1) + i]: tokens k.. match some prefix of v[i..] */
static int pat_table(const struct pat *p, const uint32_t *v, size_t n, unsigned char **ret,
                     struct box_err *err)
{
        size_t w = n + 1;
        if (p->n + 1 > (64u << 20) / w)
                return box_err_set(err, E2BIG, "pattern too complex");
        unsigned char *can = xzalloc((p->n + 1) * w);
        for (size_t i = 0; i <= n; i++)
                can[p->n * w + i] = 1;
        for (size_t k = p->n; k-- > 0;) {
                for (size_t i = n + 1; i-- > 0;) {
                        unsigned char ok;
                        switch (p->kind[k]) {
                        case PAT_STAR:
                                ok = can[(k + 1) * w + i] ||
                                     (i < n && v[i] != '\n' && can[k * w + i + 1]);
                                break;
                        case PAT_ANY:
                                ok = i < n && v[i] != '\n' && can[(k + 1) * w + i + 1];
                                break;
                        default:
                                ok = i < n && v[i] == p->lit[k] && can[(k + 1) * w + i + 1];
                        }
                        can[k * w + i] = ok;
                }
        }
        *ret = can;
        return 0;
}

/* The end of the preferred match starting at START (which must match). */
static size_t pat_walk(const struct pat *p, const unsigned char *can, const uint32_t *v, size_t n,
                       size_t start, bool greedy)
{
        size_t w = n + 1, i = start;
        for (size_t k = 0; k < p->n; k++) {
                if (p->kind[k] != PAT_STAR) {
                        i++;
                        continue;
                }
                size_t max = i;
                while (max < n && v[max] != '\n')
                        max++;
                if (greedy) {
                        size_t j = max;
                        while (!can[(k + 1) * w + j])
                                j--;
                        i = j;
                } else {
                        size_t j = i;
                        while (!can[(k + 1) * w + j])
                                j++;
                        i = j;
                }
        }
        return i;
}

/* Offsets (in runes) of each rune's start in the original bytes. */
static uint32_t *decode_with_offsets(const char *s, size_t len, size_t **ret_off, size_t *ret_n)
{
        uint32_t *r = xnew(uint32_t, len + 1);
        size_t *off = xnew(size_t, len + 2), k = 0, w;
        for (size_t i = 0; i < len; i += w) {
                off[k] = i;
                r[k++] = utf8_decode(s + i, len - i, &w);
        }
        off[k] = len;
        *ret_off = off;
        *ret_n = k;
        return r;
}

static char *runes_to_string(const uint32_t *r, size_t n, bool reverse)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (size_t i = 0; i < n; i++)
                utf8_put(&b, r[reverse ? n - 1 - i : i]);
        return buf_steal(&b);
}

static int pattern_error(struct lexer *l, const char *pattern, struct box_err *inner)
{
        return lex_fail(l, "invalid pattern '%s' in substitution: %s", pattern, inner->msg);
}

/* ${V#p} ${V##p} ${V%p} ${V%%p} */
static int trim_affix(struct lexer *l, const char *pattern, const char *value, bool greedy,
                      bool suffix, char **ret)
{
        struct box_err perr = {0};
        struct pat p;
        size_t pn, vn;
        _cleanup_free_ uint32_t *pr = utf8_runes(pattern, strlen(pattern), &pn);
        _cleanup_free_ uint32_t *vr = utf8_runes(value, strlen(value), &vn);
        _cleanup_free_ unsigned char *can = NULL;

        if (suffix) {
                /* reverse the pattern, keeping escape pairs in order */
                _cleanup_free_ uint32_t *rp = xnew(uint32_t, pn + 1);
                for (size_t i = 0; i < pn;) {
                        size_t o = pn - 1 - i;
                        if (pr[i] == '\\' && i != pn - 1) {
                                rp[o - 1] = pr[i];
                                rp[o] = pr[i + 1];
                                i += 2;
                        } else {
                                rp[o] = pr[i];
                                i++;
                        }
                }
                memcpy(pr, rp, pn * sizeof(uint32_t));
                for (size_t i = 0; i < vn / 2; i++) {
                        uint32_t t = vr[i];
                        vr[i] = vr[vn - 1 - i];
                        vr[vn - 1 - i] = t;
                }
        }
        if (pat_compile(pr, pn, &p, &perr) < 0)
                return pattern_error(l, pattern, &perr);
        int r = pat_table(&p, vr, vn, &can, &perr);
        if (r < 0) {
                pat_free(&p);
                return pattern_error(l, pattern, &perr);
        }
        size_t end = 0;
        if (can[0])
                end = pat_walk(&p, can, vr, vn, 0, greedy);
        pat_free(&p);
        if (!suffix) {
                if (!can[0]) {
                        *ret = xstrdup(value);
                        return 0;
                }
                /* slice the original bytes, as Go does */
                size_t *off, n2;
                _cleanup_free_ uint32_t *tmp = decode_with_offsets(value, strlen(value), &off, &n2);
                *ret = xstrdup(value + off[end]);
                free(off);
                return 0;
        }
        *ret = runes_to_string(vr + end, vn - end, true);
        return 0;
}

/* Go regexp.Expand for a pattern without groups: $0 is the match. */
static void expand_template(struct buf *out, const char *tmpl, const char *match, size_t mlen)
{
        const char *t = tmpl;
        for (;;) {
                const char *d = strchr(t, '$');
                if (!d)
                        break;
                buf_append(out, t, (size_t)(d - t));
                t = d + 1;
                if (*t == '$') {
                        buf_putc(out, '$');
                        t++;
                        continue;
                }
                const char *s = t;
                bool brace = false;
                if (*s == '{') {
                        brace = true;
                        s++;
                }
                size_t i = 0, k, sl = strlen(s);
                while (i < sl) {
                        uint32_t r = utf8_decode(s + i, sl - i, &k);
                        if (!unicode_is_letter(r) && !unicode_is_digit(r) && r != '_')
                                break;
                        i += k;
                }
                if (i == 0 || (brace && s[i] != '}')) {
                        buf_putc(out, '$');
                        continue;
                }
                bool zero = i == 1 && s[0] == '0';
                t = s + i + (brace ? 1 : 0);
                if (zero)
                        buf_append(out, match, mlen);
        }
        buf_puts(out, t);
}

/* ${V/p/r} and ${V//p/r} */
static int replace_pattern(struct lexer *l, const char *pattern, const char *repl,
                           const char *value, bool all, char **ret)
{
        struct box_err perr = {0};
        struct pat p;
        size_t pn, vn, *off;
        _cleanup_free_ uint32_t *pr = utf8_runes(pattern, strlen(pattern), &pn);
        size_t vlen = strlen(value);
        _cleanup_free_ uint32_t *vr = decode_with_offsets(value, vlen, &off, &vn);
        _cleanup_free_ size_t *offp = off;
        _cleanup_free_ unsigned char *can = NULL;
        struct buf out = {0};

        if (pat_compile(pr, pn, &p, &perr) < 0)
                return pattern_error(l, pattern, &perr);
        if (pat_table(&p, vr, vn, &can, &perr) < 0) {
                pat_free(&p);
                return pattern_error(l, pattern, &perr);
        }
        buf_puts(&out, "");
        if (!all) {
                size_t s = 0;
                while (s <= vn && !can[s])
                        s++;
                if (s > vn) {
                        buf_puts(&out, value);
                } else {
                        size_t e = pat_walk(&p, can, vr, vn, s, true);
                        buf_append(&out, value, off[s]);
                        buf_puts(&out, repl);
                        buf_puts(&out, value + off[e]);
                }
                pat_free(&p);
                *ret = buf_steal(&out);
                return 0;
        }
        /* regexp.ReplaceAllString */
        size_t last_end = 0, search = 0; /* in runes */
        while (search <= vn) {
                size_t s = search;
                while (s <= vn && !can[s])
                        s++;
                if (s > vn)
                        break;
                size_t e = pat_walk(&p, can, vr, vn, s, true);
                buf_append(&out, value + off[last_end], off[s] - off[last_end]);
                if (e > last_end || s == 0)
                        expand_template(&out, repl, value + off[s], off[e] - off[s]);
                if (lex_check(l, out.len) < 0) {
                        pat_free(&p);
                        buf_release(&out);
                        return -EINVAL;
                }
                last_end = e;
                if (search + 1 > e)
                        search++;
                else
                        search = e;
        }
        buf_append(&out, value + off[last_end], vlen - off[last_end]);
        pat_free(&p);
        *ret = buf_steal(&out);
        return 0;
}

static int process_dollar(struct lexer *l, struct buf *out)
{
        _cleanup_free_ char *name = NULL, *word = NULL, *res = NULL;
        const char *value;
        bool set;
        int r;

        lex_next(l);
        if (lex_peek(l) != '{') {
                name = process_name(l);
                if (!*name) {
                        buf_putc(out, '$');
                        return 0;
                }
                set = lex_getenv(l, name, &value);
                if (!set && l->skip_unset) {
                        buf_printf(out, "$%s", name);
                        return 0;
                }
                buf_puts(out, value);
                return 0;
        }
        lex_next(l);
        switch (lex_peek(l)) {
        case LEX_EOF:
                return lex_fail(l, "syntax error: missing '}'");
        case '{':
        case '}':
        case ':':
                return lex_fail(l, "syntax error: bad substitution");
        }
        name = process_name(l);
        uint32_t ch = lex_next(l);
        struct buf chs = {0};
        bool null_is_unset = false;
        put_rune(&chs, ch);
        _cleanup_free_ char *chs_s = NULL;

        switch (ch) {
        case '}':
                buf_release(&chs);
                set = lex_getenv(l, name, &value);
                if (!set && l->skip_unset) {
                        buf_printf(out, "${%s}", name);
                        return 0;
                }
                buf_puts(out, value);
                return 0;
        case ':':
                null_is_unset = true;
                ch = lex_next(l);
                put_rune(&chs, ch);
                __attribute__((fallthrough));
        case '+':
        case '-':
        case '?':
        case '#':
        case '%': {
                chs_s = buf_steal(&chs);
                bool raw = ch == '#' || ch == '%';
                if (null_is_unset && raw)
                        return lex_fail(l, "unsupported modifier (%s) in substitution", chs_s);
                r = process_stop_on(l, '}', raw, &word, NULL);
                if (r < 0) {
                        if (lex_peek(l) == LEX_EOF)
                                return lex_fail(l, "syntax error: missing '}'");
                        return r;
                }
                set = lex_getenv(l, name, &value);
                if (l->skip_unset && !set) {
                        buf_printf(out, "${%s%s%s}", name, chs_s, word);
                        return 0;
                }
                switch (ch) {
                case '-':
                        buf_puts(out, !set || (null_is_unset && !*value) ? word : value);
                        return 0;
                case '+':
                        buf_puts(out, !set || (null_is_unset && !*value) ? "" : word);
                        return 0;
                case '?':
                        if (!set)
                                return lex_fail(l, "%s: %s", name,
                                                *word ? word : "is not allowed to be unset");
                        if (null_is_unset && !*value)
                                return lex_fail(l, "%s: %s", name,
                                                *word ? word : "is not allowed to be empty");
                        buf_puts(out, value);
                        return 0;
                case '%':
                case '#': {
                        const char *pat = word;
                        bool greedy = false;
                        if (pat[0] == (char)ch) {
                                greedy = true;
                                pat++;
                        }
                        r = trim_affix(l, pat, value, greedy, ch == '%', &res);
                        if (r < 0)
                                return r;
                        buf_puts(out, res);
                        return 0;
                }
                default:
                        return lex_fail(l, "unsupported modifier (%s) in substitution", chs_s);
                }
        }
        case '/': {
                buf_release(&chs);
                _cleanup_free_ char *pattern = NULL, *repl = NULL;
                bool all = lex_peek(l) == '/';
                if (all)
                        lex_next(l);
                r = process_stop_on(l, '/', true, &pattern, NULL);
                if (r < 0) {
                        if (lex_peek(l) == LEX_EOF)
                                return lex_fail(l, "syntax error: missing '/' in ${}");
                        return r;
                }
                r = process_stop_on(l, '}', true, &repl, NULL);
                if (r < 0) {
                        if (lex_peek(l) == LEX_EOF)
                                return lex_fail(l, "syntax error: missing '}'");
                        return r;
                }
                set = lex_getenv(l, name, &value);
                if (l->skip_unset && !set) {
                        buf_printf(out, "${%s/%s/%s}", name, pattern, repl);
                        return 0;
                }
                r = replace_pattern(l, pattern, repl, value, all, &res);
                if (r < 0)
                        return r;
                buf_puts(out, res);
                return 0;
        }
        default:
                chs_s = buf_steal(&chs);
                return lex_fail(l, "unsupported modifier (%s) in substitution", chs_s);
        }
}

static void process_possible_heredoc(struct lexer *l, struct buf *out)
{
        lex_next(l);
        if (lex_peek(l) != '<') {
                buf_putc(out, '<');
                return;
        }
        lex_next(l);
        buf_puts(out, "<<");
        for (uint32_t c = lex_peek(l); c == '\t' || c == '\r' || c == ' '; c = lex_peek(l))
                put_rune(out, lex_next(l));
}

static int process_stop_on(struct lexer *l, uint32_t stop, bool raw_escapes, char **ret,
                           char ***ret_words)
{
        struct buf result = {0};
        struct words w = {0};
        bool saved_raw = l->raw_escapes;
        int r = 0;

        if (++l->depth > LEX_MAX_DEPTH) {
                l->depth--;
                return lex_fail(l, "expression nested too deeply");
        }
        buf_puts(&result, "");
        l->wordbuf.len = 0;
        if (l->wordbuf.data)
                l->wordbuf.data[0] = '\0';
        l->raw_escapes = raw_escapes;

        while (lex_peek(l) != LEX_EOF) {
                uint32_t ch = lex_peek(l);
                if (stop != LEX_EOF && ch == stop) {
                        lex_next(l);
                        goto done;
                }
                if (ch == '$' || ch == '<' || (!l->skip_quotes && (ch == '\'' || ch == '"'))) {
                        struct buf tmp = {0};
                        buf_puts(&tmp, "");
                        if (ch == '$')
                                r = process_dollar(l, &tmp);
                        else if (ch == '<')
                                process_possible_heredoc(l, &tmp);
                        else if (ch == '\'')
                                r = process_single_quote(l, &tmp);
                        else
                                r = process_double_quote(l, &tmp);
                        if (r >= 0)
                                r = lex_check(l, result.len + tmp.len);
                        if (r < 0) {
                                buf_release(&tmp);
                                goto fail;
                        }
                        buf_puts(&result, tmp.data);
                        if (ch == '$')
                                words_add_string(l, &w, tmp.data);
                        else
                                words_add_raw_string(l, &w, tmp.data);
                        buf_release(&tmp);
                        continue;
                }
                ch = lex_next(l);
                if (ch == l->esc) {
                        if (l->raw_escapes) {
                                words_add_raw_char(l, &w, ch);
                                put_rune(&result, ch);
                        }
                        ch = lex_next(l);
                        if (ch == LEX_EOF)
                                break;
                        words_add_raw_char(l, &w, ch);
                } else {
                        words_add_char(l, &w, ch);
                }
                put_rune(&result, ch);
        }
        if (stop != LEX_EOF) {
                struct buf sc = {0};
                put_rune(&sc, stop);
                r = lex_fail(l, "unexpected end of statement while looking for matching %s",
                             sc.data);
                buf_release(&sc);
                goto fail;
        }
done:
        l->raw_escapes = saved_raw;
        l->depth--;
        if (ret_words)
                *ret_words = words_get(l, &w);
        else
                strv_free(words_get(l, &w));
        *ret = buf_steal(&result);
        return 0;
fail:
        l->raw_escapes = saved_raw;
        l->depth--;
        strv_free(w.v);
        buf_release(&result);
        return r;
}

static int lex_run(const char *word, uint32_t escape, int flags, const struct shell_env *env,
                   bool capture, char **ret, char ***ret_words, char ***ret_matched,
                   char ***ret_unmatched, struct box_err *err)
{
        size_t n;
        _cleanup_free_ uint32_t *runes = utf8_runes(word, strlen(word), &n);
        struct lexer l = {
                .s = runes,
                .n = n,
                .esc = escape,
                .raw_quotes = flags & SHELL_RAW_QUOTES,
                .raw_escapes = flags & SHELL_RAW_ESCAPES,
                .skip_quotes = flags & SHELL_SKIP_QUOTES,
                .skip_unset = flags & SHELL_SKIP_UNSET,
                .env = env,
                .capture = capture,
                .err = err,
        };
        _cleanup_free_ char *res = NULL;
        char **words = NULL;

        if (n > 0 && runes[0] == 0xFEFF)
                l.pos = 1; /* text/scanner skips a leading byte order mark */
        int r = process_stop_on(&l, LEX_EOF, l.raw_escapes, &res, &words);
        buf_release(&l.wordbuf);
        if (r >= 0) {
                /* what expansion added: literal text is bounded by the
                 * Dockerfile's own size */
                size_t n_out = strlen(res), n_in = strlen(word);
                STRV_FOREACH (w, words)
                        n_out += strlen(*w);
                used_total += n_out > n_in ? n_out - n_in : 0;
                if (used_total > max_total) {
                        strv_free(words);
                        words = NULL;
                        r = lex_fail(&l,
                                     "variable expansions of this build exceed %zu bytes in total "
                                     "(BOX_BUILD_MAX_EXPANSION)",
                                     max_total);
                }
        }
        if (r < 0) {
                strv_free(l.matched);
                strv_free(l.unmatched);
                return box_err_prefix(err, "failed to process '%s'", word);
        }
        if (ret)
                *ret = TAKE_PTR(res);
        if (ret_words)
                *ret_words = words;
        else
                strv_free(words);
        if (ret_matched)
                *ret_matched = l.matched ? l.matched : xnew0(char *, 1);
        else
                strv_free(l.matched);
        if (ret_unmatched)
                *ret_unmatched = l.unmatched ? l.unmatched : xnew0(char *, 1);
        else
                strv_free(l.unmatched);
        return 0;
}

int build_shell_expand_word(const char *word, uint32_t escape, int flags,
                            const struct shell_env *env, char **ret, char ***ret_matched,
                            char ***ret_unmatched, struct box_err *err)
{
        return lex_run(word, escape, flags, env, true, ret, NULL, ret_matched, ret_unmatched, err);
}

int build_shell_expand_words(const char *word, uint32_t escape, int flags,
                             const struct shell_env *env, char ***ret, struct box_err *err)
{
        return lex_run(word, escape, flags, env, false, NULL, ret, NULL, NULL, err);
}

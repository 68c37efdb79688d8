/* A small interpreter for docker's --format templates (see format.h).  The
 * template is cut into items (text, actions); control actions are matched
 * to their else/end once, then the items are executed over JSON values. */
#include "cli/format.h"
#include "cli/format-internal.h"
#include "cli/cli.h"

#include <ctype.h>
#include <stdio.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

enum item_kind { IT_TEXT, IT_ACTION, IT_IF, IT_ELSE_IF, IT_ELSE, IT_END, IT_RANGE, IT_WITH };

struct item {
        enum item_kind kind;
        char *text;  /* literal text, or the action's pipeline */
        size_t next; /* control items: the next else/else if/end of the block */
};

struct var {
        char *name;
        struct jv *val;
};

struct tpl {
        struct item *items;
        size_t n;
        struct var *vars;
        size_t n_vars;
        bool header, strict;
        struct buf out;
        struct box_err *err;
};

int cli_tpl_error(struct tpl *t, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return box_err_set(t->err, EINVAL, "template: %s", msg);
}

bool cli_tpl_header(const struct tpl *t)
{
        return t->header;
}

/* ---- values ---- */

bool cli_tpl_truthy(const struct jv *v)
{
        if (jv_is_null(v))
                return false;
        if (jv_is_string(v))
                return *jv_str(v) != '\0';
        if (jv_is_array(v) || jv_is_object(v))
                return jv_len(v) > 0;
        if (jv_is_int(v))
                return jv_int_value(v) != 0;
        _cleanup_free_ char *s = jv_dump(v, 0);
        return streq(s, "true") || strtod(s, NULL) != 0.0;
}

static char **sorted_keys(const struct jv *obj)
{
        char **keys = xnew0(char *, 1);
        struct jv_iter it;
        const char *k;
        struct jv *val;
        jv_iter_init(&it, obj);
        while (jv_iter_next(&it, &k, &val))
                keys = strv_append(keys, k);
        strv_sort(keys);
        return keys;
}

/* Docker's fields that are Go slices or maps print as [] / map[] when
 * unset, not <no value>. */
static const char *const slice_fields[] = {"Cmd",      "Entrypoint",  "Env",    "OnBuild", "Shell",
                                           "RepoTags", "RepoDigests", "Layers", NULL};
static const char *const map_fields[] = {"Labels", "ExposedPorts", "Volumes", NULL};
/* and its image config's strings, which an image may leave out, print "" */
static const char *const string_fields[] = {"User", "WorkingDir", "StopSignal", NULL};

void cli_tpl_print_go(struct buf *b, const struct jv *v, int depth)
{
        if (jv_is_null(v)) {
                buf_puts(b, "<no value>");
        } else if (jv_is_string(v)) {
                buf_puts(b, jv_str(v));
        } else if (jv_is_array(v)) {
                buf_putc(b, '[');
                for (size_t i = 0; i < jv_len(v); i++) {
                        if (i)
                                buf_putc(b, ' ');
                        cli_tpl_print_go(b, jv_at(v, i), depth + 1);
                }
                buf_putc(b, ']');
        } else if (jv_is_object(v)) {
                if (depth > 0 && jv_len(v) == 0) {
                        buf_puts(b, "{}"); /* a struct{} value, as in ExposedPorts */
                        return;
                }
                _cleanup_strv_free_ char **keys = sorted_keys(v);
                buf_puts(b, "map[");
                for (size_t i = 0; keys[i]; i++) {
                        if (i)
                                buf_putc(b, ' ');
                        buf_printf(b, "%s:", keys[i]);
                        cli_tpl_print_go(b, jv_get(v, keys[i]), depth + 1);
                }
                buf_putc(b, ']');
        } else {
                _cleanup_free_ char *s = jv_dump(v, 0);
                buf_puts(b, s);
        }
}

char *cli_tpl_text(const struct jv *v)
{
        struct buf b = {0};
        buf_puts(&b, "");
        cli_tpl_print_go(&b, v, 0);
        return buf_steal(&b);
}

/* Prints the value of action TEXT; an unset field docker declares as a
 * slice or a map prints as Go prints a nil one. */
static void print_action(struct buf *b, const char *text, const struct jv *v)
{
        if (jv_is_null(v) && (text[0] == '.' || text[0] == '$') && !strpbrk(text, " |(")) {
                const char *last = strrchr(text, '.');
                last = last ? last + 1 : text;
                for (size_t i = 0; slice_fields[i]; i++)
                        if (streq(last, slice_fields[i])) {
                                buf_puts(b, "[]");
                                return;
                        }
                for (size_t i = 0; map_fields[i]; i++)
                        if (streq(last, map_fields[i])) {
                                buf_puts(b, "map[]");
                                return;
                        }
                if (strv_contains((char **)string_fields, last))
                        return;
        }
        cli_tpl_print_go(b, v, 0);
}

/* ---- lexing an action ---- */

enum tok_kind {
        T_EOF,
        T_FIELD,  /* .A.B (text holds "A.B"), or "." alone (text "") */
        T_VAR,    /* $name (text holds "name", "" for $) */
        T_STRING, /* text holds the unquoted value */
        T_NUMBER,
        T_IDENT,
        T_PIPE,
        T_LPAREN,
        T_RPAREN,
        T_DECLARE, /* := or = */
        T_COMMA,
};

struct tok {
        enum tok_kind kind;
        char *text;
};

/* Go's text/template refuses parentheses nested deeper than this (its
 * maxStackDepth); each level is a recursion here. */
#define TPL_MAX_DEPTH 10000

struct lexer {
        const char *p;
        struct tok cur;
        struct tpl *t;
        unsigned depth; /* parentheses open */
};

static int lex_next(struct lexer *l)
{
        const char *p = l->p;
        free(l->cur.text);
        l->cur = (struct tok){T_EOF, NULL};
        while (isspace((unsigned char)*p))
                p++;
        if (!*p) {
                l->p = p;
                return 0;
        }
        if (*p == '.' || *p == '$') {
                const char *s = p;
                enum tok_kind k = *p == '$' ? T_VAR : T_FIELD;
                if (k == T_VAR)
                        p++;
                while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
                        p++;
                l->cur = (struct tok){k, xstrndup(s + 1, (size_t)(p - s) - 1)};
        } else if (*p == '"') {
                struct buf b = {0};
                buf_puts(&b, "");
                for (p++; *p && *p != '"'; p++) {
                        if (*p == '\\' && p[1]) {
                                p++;
                                buf_putc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
                        } else {
                                buf_putc(&b, *p);
                        }
                }
                if (*p != '"') {
                        buf_release(&b);
                        return cli_tpl_error(l->t, "unterminated quoted string");
                }
                p++;
                l->cur = (struct tok){T_STRING, buf_steal(&b)};
        } else if (*p == '`') {
                const char *e = strchr(p + 1, '`');
                if (!e)
                        return cli_tpl_error(l->t, "unterminated raw quoted string");
                l->cur = (struct tok){T_STRING, xstrndup(p + 1, (size_t)(e - p - 1))};
                p = e + 1;
        } else if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
                const char *s = p++;
                while (isalnum((unsigned char)*p) || *p == '.')
                        p++;
                l->cur = (struct tok){T_NUMBER, xstrndup(s, (size_t)(p - s))};
        } else if (isalpha((unsigned char)*p) || *p == '_') {
                const char *s = p;
                while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                l->cur = (struct tok){T_IDENT, xstrndup(s, (size_t)(p - s))};
        } else if (*p == '|') {
                p++;
                l->cur.kind = T_PIPE;
        } else if (*p == '(') {
                p++;
                l->cur.kind = T_LPAREN;
        } else if (*p == ')') {
                p++;
                l->cur.kind = T_RPAREN;
        } else if (*p == ',') {
                p++;
                l->cur.kind = T_COMMA;
        } else if (p[0] == ':' && p[1] == '=') {
                p += 2;
                l->cur.kind = T_DECLARE;
        } else if (*p == '=') {
                p++;
                l->cur.kind = T_DECLARE;
        } else {
                return cli_tpl_error(l->t, "unexpected '%c' in command", *p);
        }
        l->p = p;
        return 0;
}

/* ---- evaluating ---- */

static struct jv *lookup_var(struct tpl *t, const char *name)
{
        for (size_t i = t->n_vars; i > 0; i--)
                if (streq(t->vars[i - 1].name, name))
                        return t->vars[i - 1].val;
        return NULL;
}

static void push_var(struct tpl *t, const char *name, struct jv *val)
{
        t->vars = xreallocarray(t->vars, t->n_vars + 1, sizeof(*t->vars));
        t->vars[t->n_vars++] = (struct var){xstrdup(name), val};
}

static void pop_vars(struct tpl *t, size_t n)
{
        while (t->n_vars > n) {
                t->n_vars--;
                free(t->vars[t->n_vars].name);
                jv_free(t->vars[t->n_vars].val);
        }
}

/* Follows "A.B.C" from V; returns a new reference (null when missing). */
static int follow(struct tpl *t, struct jv *v, const char *chain, struct jv **ret)
{
        struct jv *cur = v ? jv_ref(v) : jv_null();
        while (*chain) {
                size_t n = strcspn(chain, ".");
                if (n == 0) {
                        chain++;
                        continue;
                }
                _cleanup_free_ char *key = xstrndup(chain, n);
                chain += n;
                struct jv *next;
                if (jv_is_object(cur)) {
                        next = jv_get(cur, key);
                        if (!next && t->strict) {
                                jv_free(cur);
                                return cli_tpl_error(t, "can't evaluate field %s", key);
                        }
                        next = next ? jv_ref(next) : jv_null();
                } else if (jv_is_null(cur)) {
                        next = jv_null();
                } else {
                        jv_free(cur);
                        return cli_tpl_error(t, "can't evaluate field %s in a non-object value",
                                             key);
                }
                jv_free(cur);
                cur = next;
        }
        *ret = cur;
        return 0;
}

static int eval_pipeline(struct tpl *t, struct lexer *l, struct jv *dot, struct jv **ret);

/* One operand: a field, a variable, a literal, or a parenthesised pipeline,
 * possibly followed by a field chain. */
static int eval_operand(struct tpl *t, struct lexer *l, struct jv *dot, struct jv **ret)
{
        struct jv *v = NULL;
        int r = 0;
        switch (l->cur.kind) {
        case T_FIELD:
                r = follow(t, dot, l->cur.text, &v);
                break;
        case T_VAR: {
                const char *chain = l->cur.text + strcspn(l->cur.text, ".");
                _cleanup_free_ char *name = xstrndup(l->cur.text, (size_t)(chain - l->cur.text));
                struct jv *base = lookup_var(t, name);
                if (!base)
                        return cli_tpl_error(t, "undefined variable \"$%s\"", name);
                r = follow(t, base, chain, &v);
                break;
        }
        case T_STRING:
                v = jv_string(l->cur.text);
                break;
        case T_NUMBER: {
                char *end;
                long long x = strtoll(l->cur.text, &end, 0);
                if (*end)
                        return cli_tpl_error(t, "bad number syntax: \"%s\"", l->cur.text);
                v = jv_int(x);
                break;
        }
        case T_IDENT:
                if (streq(l->cur.text, "true") || streq(l->cur.text, "false"))
                        v = jv_bool(streq(l->cur.text, "true"));
                else if (streq(l->cur.text, "nil"))
                        v = jv_null();
                else
                        r = cli_tpl_call(t, l->cur.text, NULL, 0, &v);
                break;
        case T_LPAREN: {
                if (l->depth >= TPL_MAX_DEPTH)
                        return cli_tpl_error(t, "max expression depth exceeded");
                r = lex_next(l);
                if (r < 0)
                        return r;
                l->depth++;
                r = eval_pipeline(t, l, dot, &v);
                l->depth--;
                if (r < 0)
                        return r;
                if (l->cur.kind != T_RPAREN) {
                        jv_free(v);
                        return cli_tpl_error(t, "unclosed left paren");
                }
                /* (pipeline).Field */
                if (*l->p == '.' && (isalpha((unsigned char)l->p[1]) || l->p[1] == '_')) {
                        r = lex_next(l);
                        struct jv *f = NULL;
                        if (r >= 0)
                                r = follow(t, v, l->cur.text, &f);
                        jv_free(v);
                        v = f;
                }
                break;
        }
        default:
                return cli_tpl_error(t, "missing value for command");
        }
        if (r < 0)
                return r;
        r = lex_next(l);
        if (r < 0) {
                jv_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

static bool ends_command(enum tok_kind k)
{
        return k == T_EOF || k == T_PIPE || k == T_RPAREN;
}

/* Docker's one method with an argument in its list contexts (ps,
 * volume ls, network ls): .Label "KEY", one label's value ("" when
 * missing), from the row's Labels: an object, or ps's "k=v,k2=v2". */
static int eval_label(struct tpl *t, struct lexer *l, struct jv *dot, struct jv **ret)
{
        /* text "A.B.Label": the row is A.B ("Label" alone: dot) */
        size_t n = strlen(l->cur.text) - strlen("Label");
        _cleanup_free_ char *chain = xstrndup(l->cur.text, n ? n - 1 : 0);
        struct jv *row = NULL, *key = NULL;
        int r = follow(t, dot, chain, &row);
        if (r >= 0)
                r = lex_next(l);
        if (r >= 0 && ends_command(l->cur.kind))
                r = cli_tpl_error(t, "wrong number of args for Label: want 1 got 0");
        if (r >= 0)
                r = eval_operand(t, l, dot, &key);
        if (r >= 0 && (!ends_command(l->cur.kind) || !jv_is_string(key)))
                r = cli_tpl_error(t, "wrong arguments for Label: want one string");
        if (r < 0) {
                jv_free(row);
                jv_free(key);
                return r;
        }
        const char *k = jv_str(key), *val = "";
        struct jv *labels = jv_is_object(row) ? jv_get(row, "Labels") : NULL;
        _cleanup_free_ char *text = NULL;
        if (jv_is_object(labels)) {
                val = strempty(jv_get_str(labels, k));
        } else if (jv_is_string(labels)) {
                text = xstrdup(jv_str(labels));
                char *save = NULL;
                for (char *kv = strtok_r(text, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                        char *eq = strchr(kv, '=');
                        if (eq && (size_t)(eq - kv) == strlen(k) && strneq(kv, k, strlen(k))) {
                                val = eq + 1;
                                break;
                        }
                }
        }
        *ret = jv_string(val);
        jv_free(row);
        jv_free(key);
        return 0;
}

/* command := function operand* | operand; PIPED (may be NULL) is the value
 * of the previous command, given as the last argument. */
static int eval_command(struct tpl *t, struct lexer *l, struct jv *dot, struct jv *piped,
                        struct jv **ret)
{
        if (l->cur.kind == T_IDENT && !streq(l->cur.text, "true") && !streq(l->cur.text, "false") &&
            !streq(l->cur.text, "nil")) {
                _cleanup_free_ char *name = xstrdup(l->cur.text);
                struct jv **args = NULL;
                size_t n = 0;
                int r = lex_next(l);
                while (r >= 0 && !ends_command(l->cur.kind)) {
                        struct jv *a;
                        r = eval_operand(t, l, dot, &a);
                        if (r >= 0) {
                                args = xreallocarray(args, n + 1, sizeof(*args));
                                args[n++] = a;
                        }
                }
                if (r >= 0 && piped) {
                        args = xreallocarray(args, n + 1, sizeof(*args));
                        args[n++] = jv_ref(piped);
                }
                if (r >= 0)
                        r = cli_tpl_call(t, name, args, n, ret);
                for (size_t i = 0; i < n; i++)
                        jv_free(args[i]);
                free(args);
                return r;
        }
        if (piped)
                return cli_tpl_error(t, "can't give argument to non-function");
        size_t tl = l->cur.kind == T_FIELD ? strlen(l->cur.text) : 0;
        if (tl >= 5 && streq(l->cur.text + tl - 5, "Label") &&
            (tl == 5 || l->cur.text[tl - 6] == '.'))
                return eval_label(t, l, dot, ret);
        struct jv *v;
        int r = eval_operand(t, l, dot, &v);
        if (r < 0)
                return r;
        if (!ends_command(l->cur.kind)) {
                jv_free(v);
                return cli_tpl_error(t, "can't give argument to non-function");
        }
        *ret = v;
        return 0;
}

static int eval_pipeline(struct tpl *t, struct lexer *l, struct jv *dot, struct jv **ret)
{
        struct jv *v = NULL;
        for (;;) {
                struct jv *next;
                int r = eval_command(t, l, dot, v, &next);
                jv_free(v);
                if (r < 0)
                        return r;
                v = next;
                if (l->cur.kind != T_PIPE)
                        break;
                r = lex_next(l);
                if (r < 0) {
                        jv_free(v);
                        return r;
                }
        }
        *ret = v;
        return 0;
}

/* Evaluates an action's text: [$a[, $b] :=] pipeline.  Declared variable
 * names go to RET_DECL (NULL-terminated, may be empty). */
static int eval_action(struct tpl *t, const char *text, struct jv *dot, char ***ret_decl,
                       struct jv **ret)
{
        struct lexer l = {.p = text, .t = t};
        char **decl = xnew0(char *, 1);
        int r = lex_next(&l);
        /* a declaration? look ahead without consuming */
        const char *q = text;
        while (isspace((unsigned char)*q))
                q++;
        if (r >= 0 && *q == '$' && strstr(q, ":=")) {
                {
                        while (r >= 0 && l.cur.kind == T_VAR) {
                                decl = strv_append(decl, l.cur.text);
                                r = lex_next(&l);
                                if (r >= 0 && l.cur.kind == T_COMMA)
                                        r = lex_next(&l);
                        }
                        if (r >= 0 && l.cur.kind != T_DECLARE)
                                r = cli_tpl_error(t, "expected :=");
                        if (r >= 0)
                                r = lex_next(&l);
                }
        }
        struct jv *v = NULL;
        if (r >= 0 && l.cur.kind == T_EOF)
                r = cli_tpl_error(t, "missing value for command");
        if (r >= 0)
                r = eval_pipeline(t, &l, dot, &v);
        if (r >= 0 && l.cur.kind != T_EOF) {
                jv_free(v);
                r = cli_tpl_error(t, "unexpected token in '%s'", text);
        }
        free(l.cur.text);
        if (r < 0) {
                strv_free(decl);
                return r;
        }
        if (ret_decl)
                *ret_decl = decl;
        else
                strv_free(decl);
        *ret = v;
        return 0;
}

/* ---- cutting the template into items ---- */

static void add_item(struct tpl *t, enum item_kind kind, char *text)
{
        t->items = xreallocarray(t->items, t->n + 1, sizeof(*t->items));
        t->items[t->n++] = (struct item){kind, text, 0};
}

static const char *keyword(const char *s, const char *kw)
{
        size_t n = strlen(kw);
        if (strncmp(s, kw, n) != 0 || (s[n] && !isspace((unsigned char)s[n])))
                return NULL;
        s += n;
        while (isspace((unsigned char)*s))
                s++;
        return s;
}

static int parse(struct tpl *t, const char *src)
{
        struct buf text = {0};
        bool trim_next = false;
        buf_puts(&text, "");
        const char *s = src;
        while (*s) {
                if (!(s[0] == '{' && s[1] == '{')) {
                        if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
                                buf_putc(&text, s[1] == 't' ? '\t' : '\n');
                                s += 2;
                                continue;
                        }
                        if (trim_next && isspace((unsigned char)*s)) {
                                s++;
                                continue;
                        }
                        trim_next = false;
                        buf_putc(&text, *s++);
                        continue;
                }
                trim_next = false;
                const char *a = s + 2;
                if (a[0] == '-' && isspace((unsigned char)a[1])) {
                        while (text.len && isspace((unsigned char)text.data[text.len - 1]))
                                text.data[--text.len] = '\0';
                        a++;
                }
                /* find the closing braces outside quotes */
                const char *e = a;
                char q = 0;
                for (; *e; e++) {
                        if (q) {
                                if (*e == '\\' && q == '"' && e[1])
                                        e++;
                                else if (*e == q)
                                        q = 0;
                        } else if (*e == '"' || *e == '`') {
                                q = *e;
                        } else if (e[0] == '}' && e[1] == '}') {
                                break;
                        }
                }
                if (!*e) {
                        buf_release(&text);
                        return cli_tpl_error(t, "unclosed action");
                }
                const char *end = e;
                if (end > a && end[-1] == '-' && end - 1 > a && isspace((unsigned char)end[-2])) {
                        end--;
                        trim_next = true;
                }
                s = e + 2;
                if (text.len) {
                        add_item(t, IT_TEXT, buf_steal(&text));
                        buf_puts(&text, "");
                }
                while (a < end && isspace((unsigned char)*a))
                        a++;
                while (end > a && isspace((unsigned char)end[-1]))
                        end--;
                _cleanup_free_ char *act = xstrndup(a, (size_t)(end - a));
                const char *rest;
                if (startswith(act, "/*")) {
                        if (!strstr(act, "*/")) {
                                buf_release(&text);
                                return cli_tpl_error(t, "unclosed comment");
                        }
                } else if ((rest = keyword(act, "if"))) {
                        add_item(t, IT_IF, xstrdup(rest));
                } else if ((rest = keyword(act, "else"))) {
                        const char *c = keyword(rest, "if");
                        add_item(t, c ? IT_ELSE_IF : IT_ELSE, xstrdup(c ? c : ""));
                } else if ((rest = keyword(act, "end"))) {
                        add_item(t, IT_END, xstrdup(""));
                } else if ((rest = keyword(act, "range"))) {
                        add_item(t, IT_RANGE, xstrdup(rest));
                } else if ((rest = keyword(act, "with"))) {
                        add_item(t, IT_WITH, xstrdup(rest));
                } else if (keyword(act, "define") || keyword(act, "template") ||
                           keyword(act, "block") || keyword(act, "break") ||
                           keyword(act, "continue")) {
                        buf_release(&text);
                        return cli_tpl_error(t, "'%s' is not supported", act);
                } else if (!*act) {
                        buf_release(&text);
                        return cli_tpl_error(t, "missing value for command");
                } else {
                        add_item(t, IT_ACTION, xstrdup(act));
                }
        }
        if (text.len)
                add_item(t, IT_TEXT, buf_steal(&text));
        buf_release(&text);

        /* match control items: each one's next points at its else/end */
        size_t *stack = xnew0(size_t, t->n + 1), depth = 0;
        int r = 0;
        for (size_t i = 0; i < t->n && r >= 0; i++) {
                enum item_kind k = t->items[i].kind;
                if (k == IT_IF || k == IT_RANGE || k == IT_WITH) {
                        stack[depth++] = i;
                } else if (k == IT_ELSE_IF || k == IT_ELSE || k == IT_END) {
                        if (!depth) {
                                r = cli_tpl_error(t, "unexpected {{%s}}",
                                                  k == IT_END ? "end" : "else");
                                break;
                        }
                        size_t open = stack[depth - 1];
                        t->items[open].next = i;
                        if (k == IT_END)
                                depth--;
                        else
                                stack[depth - 1] = i;
                }
        }
        if (r >= 0 && depth)
                r = cli_tpl_error(t, "unexpected EOF: missing {{end}}");
        free(stack);
        return r;
}

/* ---- executing ---- */

static int exec_range(struct tpl *t, size_t from, size_t to, struct jv *dot);

static size_t block_end(struct tpl *t, size_t i)
{
        while (t->items[i].kind != IT_END)
                i = t->items[i].next;
        return i;
}

static int exec_range(struct tpl *t, size_t from, size_t to, struct jv *dot)
{
        for (size_t i = from; i < to;) {
                struct item *it = &t->items[i];
                struct jv *v = NULL;
                char **decl = NULL;
                size_t nv = t->n_vars;
                int r = 0;
                switch (it->kind) {
                case IT_TEXT:
                        buf_puts(&t->out, it->text);
                        i++;
                        continue;
                case IT_ACTION:
                        r = eval_action(t, it->text, dot, &decl, &v);
                        if (r < 0)
                                return r;
                        if (decl[0]) {
                                push_var(t, decl[0], v); /* declarations print nothing */
                        } else {
                                print_action(&t->out, it->text, v);
                                jv_free(v);
                        }
                        strv_free(decl);
                        i++;
                        continue;
                case IT_IF: {
                        size_t cur = i, end = block_end(t, i);
                        for (;;) {
                                struct item *c = &t->items[cur];
                                bool take = c->kind == IT_ELSE;
                                if (!take) {
                                        r = eval_action(t, c->text, dot, NULL, &v);
                                        if (r < 0)
                                                return r;
                                        take = cli_tpl_truthy(v);
                                        jv_free(v);
                                }
                                if (take) {
                                        r = exec_range(t, cur + 1, c->next, dot);
                                        break;
                                }
                                cur = c->next;
                                if (t->items[cur].kind == IT_END)
                                        break;
                        }
                        pop_vars(t, nv);
                        if (r < 0)
                                return r;
                        i = end + 1;
                        continue;
                }
                case IT_WITH: {
                        size_t end = block_end(t, i);
                        r = eval_action(t, it->text, dot, NULL, &v);
                        if (r < 0)
                                return r;
                        if (cli_tpl_truthy(v))
                                r = exec_range(t, i + 1, it->next, v);
                        else if (t->items[it->next].kind == IT_ELSE)
                                r = exec_range(t, it->next + 1, end, dot);
                        jv_free(v);
                        pop_vars(t, nv);
                        if (r < 0)
                                return r;
                        i = end + 1;
                        continue;
                }
                case IT_RANGE: {
                        size_t end = block_end(t, i);
                        r = eval_action(t, it->text, dot, &decl, &v);
                        if (r < 0)
                                return r;
                        size_t nd = strv_length(decl);
                        if (jv_is_array(v) || jv_is_object(v)) {
                                _cleanup_strv_free_ char **keys =
                                        jv_is_object(v) ? sorted_keys(v) : NULL;
                                for (size_t k = 0; r >= 0 && k < jv_len(v); k++) {
                                        struct jv *e = keys ? jv_get(v, keys[k]) : jv_at(v, k);
                                        if (nd == 1)
                                                push_var(t, decl[0], jv_ref(e));
                                        if (nd >= 2) {
                                                push_var(t, decl[0],
                                                         keys ? jv_string(keys[k])
                                                              : jv_int((int64_t)k));
                                                push_var(t, decl[1], jv_ref(e));
                                        }
                                        r = exec_range(t, i + 1, it->next, e);
                                        pop_vars(t, nv);
                                }
                        } else if (!jv_is_null(v)) {
                                r = cli_tpl_error(t, "range can't iterate over this value");
                        }
                        if (r >= 0 && (jv_is_null(v) || jv_len(v) == 0) &&
                            t->items[it->next].kind == IT_ELSE)
                                r = exec_range(t, it->next + 1, end, dot);
                        jv_free(v);
                        strv_free(decl);
                        pop_vars(t, nv);
                        if (r < 0)
                                return r;
                        i = end + 1;
                        continue;
                }
                default:
                        return cli_tpl_error(t, "unexpected {{else}} or {{end}}");
                }
        }
        return 0;
}

static int run(const char *tmpl, const struct jv *v, bool header, bool strict, char **ret,
               struct box_err *err)
{
        struct tpl t = {.header = header, .strict = strict, .err = err};
        const char *s = tmpl;
        if (cli_format_is_table(s))
                s += 5;
        while (*s == ' ')
                s++;
        buf_puts(&t.out, "");
        struct jv *root = v ? jv_ref((struct jv *)v) : jv_null();
        push_var(&t, "", jv_ref(root));
        int r = parse(&t, s);
        if (r >= 0)
                r = exec_range(&t, 0, t.n, root);
        pop_vars(&t, 0);
        free(t.vars);
        jv_free(root);
        for (size_t i = 0; i < t.n; i++)
                free(t.items[i].text);
        free(t.items);
        if (r < 0) {
                buf_release(&t.out);
                return r;
        }
        *ret = buf_steal(&t.out);
        return 0;
}

int cli_format_template(const char *tmpl, const struct jv *v, char **ret, struct box_err *err)
{
        return run(tmpl, v, false, false, ret, err);
}

int cli_format_template_strict(const char *tmpl, const struct jv *v, char **ret,
                               struct box_err *err)
{
        return run(tmpl, v, false, true, ret, err);
}

struct jv *cli_format_titles(const char *const *kv)
{
        struct jv *h = jv_object();
        for (; kv[0] && kv[1]; kv += 2)
                jv_set_str(h, kv[0], kv[1]);
        return h;
}

int cli_format_header(const char *tmpl, const struct jv *headers, char **ret, struct box_err *err)
{
        return run(tmpl, headers, true, false, ret, err);
}

bool cli_format_is_table(const char *format)
{
        return format && startswith(format, "table") && (format[5] == '\0' || format[5] == ' ');
}

static size_t text_width(const char *s, size_t n)
{
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        w++;
        return w;
}

void cli_format_tabwrite(char *const *lines)
{
        size_t *w = NULL, nw = 0;
        /* column widths over the tab-terminated cells */
        STRV_FOREACH (l, lines) {
                size_t c = 0;
                for (const char *p = *l, *tab; (tab = strchr(p, '\t')); p = tab + 1, c++) {
                        if (c >= nw) {
                                w = xreallocarray(w, c + 1, sizeof(*w));
                                w[nw++] = 0;
                        }
                        size_t cw = text_width(p, (size_t)(tab - p)) + 3;
                        if (cw > w[c])
                                w[c] = cw;
                }
        }
        for (size_t c = 0; c < nw; c++)
                if (w[c] < 10)
                        w[c] = 10;
        STRV_FOREACH (l, lines) {
                size_t c = 0;
                const char *p = *l, *tab;
                for (; (tab = strchr(p, '\t')); p = tab + 1, c++) {
                        size_t cw = text_width(p, (size_t)(tab - p));
                        fwrite(p, 1, (size_t)(tab - p), stdout);
                        for (size_t k = cw; k < w[c]; k++)
                                putchar(' ');
                }
                fputs(p, stdout);
                putchar('\n');
        }
        free(w);
}

int cli_inspect_add(const char *format, struct jv *arr, struct jv *o, struct box_err *err)
{
        if (!format || streq(format, "json")) {
                jv_push(arr, o);
                return 0;
        }
        _cleanup_free_ char *line = NULL;
        int r = cli_format_template(format, o, &line, err);
        jv_free(o);
        if (r >= 0)
                printf("%s\n", line);
        return r;
}

void cli_inspect_finish(const char *format, struct jv *arr)
{
        if (!format || streq(format, "json")) {
                _cleanup_free_ char *s = jv_dump(arr, JV_PRETTY);
                printf("%s\n", s);
        }
        jv_free(arr);
}

int cli_format_object(const char *format, struct jv *o, struct box_err *err)
{
        _cleanup_free_ char *line = NULL;
        int r = 0;
        if (streq(format, "json"))
                line = jv_dump(o, 0);
        else
                r = cli_format_template(format, o, &line, err);
        jv_free(o);
        if (r >= 0)
                printf("%s\n", line);
        return r;
}

char *cli_format_json_line(const struct jv *o)
{
        _cleanup_free_ char *s = jv_dump(o, JV_CANONICAL);
        struct buf b = {0};
        for (const char *c = s; *c; c++) {
                if (*c == '<')
                        buf_puts(&b, "\\u003c");
                else if (*c == '>')
                        buf_puts(&b, "\\u003e");
                else if (*c == '&')
                        buf_puts(&b, "\\u0026");
                else
                        buf_putc(&b, *c);
        }
        return buf_steal(&b);
}

int cli_format_rows(const char *format, const char *const *titles, struct jv *const *rows, size_t n,
                    struct box_err *err)
{
        bool table = cli_format_is_table(format), json = streq(format, "json");
        _cleanup_strv_free_ char **lines = xnew0(char *, 1);
        if (table) {
                _cleanup_jv_ struct jv *hd = cli_format_titles(titles);
                char *line = NULL;
                int r = cli_format_header(format, hd, &line, err);
                if (r < 0)
                        return r;
                lines = strv_push(lines, line);
        }
        for (size_t i = 0; i < n; i++) {
                char *line = NULL;
                if (json) {
                        line = cli_format_json_line(rows[i]);
                } else {
                        int r = cli_format_template_strict(format, rows[i], &line, err);
                        if (r < 0)
                                return r;
                }
                lines = strv_push(lines, line);
        }
        if (table)
                cli_format_tabwrite(lines);
        else
                STRV_FOREACH (l, lines)
                        printf("%s\n", *l);
        return 0;
}

/* LABELS (a JSON object) as k, v, ... */
char **cli_labels_kv(const struct jv *labels)
{
        char **kv = xnew0(char *, 1);
        struct jv_iter it;
        const char *k;
        struct jv *val;
        jv_iter_init(&it, labels);
        while (jv_is_object(labels) && jv_iter_next(&it, &k, &val)) {
                kv = strv_append(kv, k);
                kv = strv_append(kv, jv_str(val) ? jv_str(val) : "");
        }
        return kv;
}

char *cli_ellipsis(const char *s, size_t n)
{
        if (n == 0 || strlen(s) <= n)
                return xstrdup(s);
        return xasprintf("%.*s…", (int)(n - 1), s);
}

char *cli_labels_text(const struct jv *labels)
{
        _cleanup_strv_free_ char **kv = cli_labels_kv(labels);
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
                v = strv_push(v, xasprintf("%s=%s", kv[i], kv[i + 1]));
        strv_sort(v);
        return strv_join(v, ",");
}

bool cli_labels_match_json(char *const *want, const struct jv *labels)
{
        if (!want)
                return true;
        _cleanup_strv_free_ char **kv = cli_labels_kv(labels);
        return cli_labels_match(want, kv);
}

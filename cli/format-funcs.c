/* The --format template functions (Go's text/template builtins and
 * docker's: json, lower, upper, title, len, index, join, split, pad,
 * truncate, print, printf, println, not, and, or, eq, ne, lt, le, gt, ge),
 * called by the interpreter in format.c. */
#include <ctype.h>
#include <stdio.h>

#include "cli/format-internal.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

/* ---- functions ---- */

static const char *arg_str(struct jv *v, char **tmp)
{
        if (jv_is_string(v))
                return jv_str(v);
        *tmp = cli_tpl_text(v);
        return *tmp;
}

static int compare(struct tpl *t, const char *name, struct jv *a, struct jv *b, int *ret)
{
        if (jv_is_int(a) && jv_is_int(b)) {
                int64_t x = jv_int_value(a), y = jv_int_value(b);
                *ret = x < y ? -1 : x > y;
                return 0;
        }
        if (jv_is_string(a) && jv_is_string(b)) {
                *ret = strcmp(jv_str(a), jv_str(b));
                return 0;
        }
        if (streq(name, "eq") || streq(name, "ne")) {
                _cleanup_free_ char *x = jv_dump(a, JV_CANONICAL), *y = jv_dump(b, JV_CANONICAL);
                *ret = strcmp(x, y) != 0;
                return 0;
        }
        return cli_tpl_error(t, "error calling %s: incompatible types for comparison", name);
}

static void go_title(char *s)
{
        bool start = true;
        for (; *s; s++) {
                if (isalnum((unsigned char)*s) || *s == '_' || *s == '\'') {
                        if (start)
                                *s = (char)toupper((unsigned char)*s);
                        start = false;
                } else {
                        start = true;
                }
        }
}

static int want_args(struct tpl *t, const char *name, size_t n, size_t want)
{
        if (n != want)
                return cli_tpl_error(t, "wrong number of args for %s: want %zu got %zu", name, want,
                                     n);
        return 0;
}

static void sprint(struct buf *b, struct jv **args, size_t n, bool spaces)
{
        for (size_t i = 0; i < n; i++) {
                if (i && (spaces || (!jv_is_string(args[i]) && !jv_is_string(args[i - 1]))))
                        buf_putc(b, ' ');
                cli_tpl_print_go(b, args[i], 0);
        }
}

static int go_printf(struct tpl *t, struct jv **args, size_t n, struct jv **ret)
{
        if (n == 0 || !jv_is_string(args[0]))
                return cli_tpl_error(t, "error calling printf: want a format string");
        struct buf b = {0};
        size_t ai = 1;
        buf_puts(&b, "");
        for (const char *f = jv_str(args[0]); *f; f++) {
                if (*f != '%') {
                        buf_putc(&b, *f);
                        continue;
                }
                const char *spec = f++;
                while (*f && strchr("-+ #0123456789.", *f))
                        f++;
                if (!*f)
                        break;
                if (*f == '%') {
                        buf_putc(&b, '%');
                        continue;
                }
                _cleanup_free_ char *flags = xstrndup(spec + 1, (size_t)(f - spec - 1));
                if (ai >= n) {
                        buf_printf(&b, "%%!%c(MISSING)", *f);
                        continue;
                }
                struct jv *a = args[ai++];
                _cleanup_free_ char *s = cli_tpl_text(a), *fmt = NULL;
                if ((*f == 'd' || *f == 'x' || *f == 'X' || *f == 'o') && jv_is_int(a)) {
                        fmt = xasprintf("%%%sll%c", flags, *f);
                        buf_printf(&b, fmt, (long long)jv_int_value(a));
                } else if (*f == 'q') {
                        _cleanup_jv_ struct jv *js = jv_string(s);
                        _cleanup_free_ char *q = jv_dump(js, 0);
                        buf_puts(&b, q);
                } else {
                        fmt = xasprintf("%%%ss", flags);
                        buf_printf(&b, fmt, s);
                }
        }
        *ret = jv_string(b.data);
        buf_release(&b);
        return 0;
}

/* ---- the template functions (Go's text/template builtins and docker's) ---- */

/* A function's body: ARGS (N of them, as many as its row wants) into *RET. */
typedef int tpl_func(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret);

static int fn_json(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *s = jv_dump(args[0], 0);
        *ret = jv_string(s);
        return 0;
}

/* upper, lower, title */
static int fn_case(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *tmp = NULL;
        char *s = xstrdup(arg_str(args[0], &tmp));
        if (streq(name, "title"))
                go_title(s);
        else
                for (char *c = s; *c; c++)
                        *c = (char)(name[0] == 'u' ? toupper((unsigned char)*c)
                                                   : tolower((unsigned char)*c));
        *ret = jv_string(s);
        free(s);
        return 0;
}

static int fn_len(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        if (jv_is_string(args[0]))
                *ret = jv_int((int64_t)strlen(jv_str(args[0])));
        else if (jv_is_array(args[0]) || jv_is_object(args[0]))
                *ret = jv_int((int64_t)jv_len(args[0]));
        else if (jv_is_null(args[0]))
                *ret = jv_int(0);
        else
                return cli_tpl_error(t, "error calling len: len of this type");
        return 0;
}

static int fn_index(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        if (n == 0)
                return cli_tpl_error(t, "wrong number of args for index: want at least 1");
        struct jv *cur = jv_ref(args[0]);
        for (size_t i = 1; i < n; i++) {
                struct jv *next = NULL;
                if (jv_is_array(cur) && jv_is_int(args[i])) {
                        int64_t k = jv_int_value(args[i]);
                        if (k < 0 || (size_t)k >= jv_len(cur)) {
                                jv_free(cur);
                                return cli_tpl_error(
                                        t, "error calling index: index out of range: %lld",
                                        (long long)k);
                        }
                        next = jv_ref(jv_at(cur, (size_t)k));
                } else if (jv_is_object(cur) && jv_is_string(args[i])) {
                        struct jv *g = jv_get(cur, jv_str(args[i]));
                        next = g ? jv_ref(g) : jv_null();
                } else if (jv_is_null(cur)) {
                        next = jv_null();
                } else {
                        jv_free(cur);
                        return cli_tpl_error(t, "error calling index: cannot index this value with "
                                                "that key");
                }
                jv_free(cur);
                cur = next;
        }
        *ret = cur;
        return 0;
}

static int fn_join(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *tmp = NULL;
        if (!jv_is_array(args[0]) && !jv_is_null(args[0]))
                return cli_tpl_error(t, "error calling join: want a list");
        struct buf b = {0};
        buf_puts(&b, "");
        const char *sep = arg_str(args[1], &tmp);
        for (size_t i = 0; jv_is_array(args[0]) && i < jv_len(args[0]); i++) {
                _cleanup_free_ char *s = cli_tpl_text(jv_at(args[0], i));
                buf_printf(&b, "%s%s", i ? sep : "", s);
        }
        *ret = jv_string(b.data);
        buf_release(&b);
        return 0;
}

static int fn_split(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *tmp = NULL, *tmp2 = NULL;
        const char *s = arg_str(args[0], &tmp), *sep = arg_str(args[1], &tmp2);
        struct jv *a = jv_array();
        size_t sl = strlen(sep);
        for (;;) {
                const char *e = sl ? strstr(s, sep) : NULL;
                if (!e) {
                        jv_push(a, jv_string(s));
                        break;
                }
                _cleanup_free_ char *part = xstrndup(s, (size_t)(e - s));
                jv_push(a, jv_string(part));
                s = e + sl;
        }
        *ret = a;
        return 0;
}

static int fn_pad(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *tmp = NULL;
        int64_t pre = jv_int_value(args[1]), post = jv_int_value(args[2]);
        _cleanup_free_ char *s =
                xasprintf("%*s%s%*s", (int)pre, "", arg_str(args[0], &tmp), (int)post, "");
        *ret = jv_string(s);
        return 0;
}

static int fn_truncate(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        _cleanup_free_ char *tmp = NULL;
        const char *s = arg_str(args[0], &tmp);
        int64_t k = jv_int_value(args[1]);
        _cleanup_free_ char *cut = xstrndup(s, k < 0 ? 0 : (size_t)k);
        *ret = jv_string(cut);
        return 0;
}

/* print, println */
static int fn_print(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        bool ln = streq(name, "println");
        struct buf b = {0};
        buf_puts(&b, "");
        sprint(&b, args, n, ln);
        if (ln)
                buf_putc(&b, '\n');
        *ret = jv_string(b.data);
        buf_release(&b);
        return 0;
}

static int fn_printf(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        return go_printf(t, args, n, ret);
}

static int fn_not(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        *ret = jv_bool(!cli_tpl_truthy(args[0]));
        return 0;
}

/* and, or: the first argument that decides, else the last */
static int fn_and_or(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        if (n == 0)
                return cli_tpl_error(t, "wrong number of args for %s", name);
        size_t i = 0;
        for (; i + 1 < n; i++)
                if (cli_tpl_truthy(args[i]) != (name[0] == 'a'))
                        break;
        *ret = jv_ref(args[i]);
        return 0;
}

/* eq, ne: the first argument against each of the others */
static int fn_eq(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        if (n < 2)
                return cli_tpl_error(t, "wrong number of args for %s", name);
        bool eq = false;
        for (size_t i = 1; i < n && !eq; i++) {
                int c;
                int r = compare(t, name, args[0], args[i], &c);
                if (r < 0)
                        return r;
                eq = c == 0;
        }
        *ret = jv_bool(name[0] == 'e' ? eq : !eq);
        return 0;
}

/* lt, le, gt, ge */
static int fn_order(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        int c;
        int r = compare(t, name, args[0], args[1], &c);
        if (r < 0)
                return r;
        bool v = name[0] == 'l' ? (name[1] == 't' ? c < 0 : c <= 0)
                                : (name[1] == 't' ? c > 0 : c >= 0);
        *ret = jv_bool(v);
        return 0;
}

static const struct {
        const char *name;
        int n_args;  /* exactly; -1: the function checks */
        bool header; /* in a table's header it hands its argument back (docker) */
        tpl_func *fn;
} tpl_funcs[] = {
        {"json", 1, true, fn_json},       {"upper", 1, true, fn_case},
        {"lower", 1, true, fn_case},      {"title", 1, true, fn_case},
        {"len", 1, false, fn_len},        {"index", -1, false, fn_index},
        {"join", 2, true, fn_join},       {"split", 2, true, fn_split},
        {"pad", 3, true, fn_pad},         {"truncate", 2, true, fn_truncate},
        {"print", -1, false, fn_print},   {"println", -1, false, fn_print},
        {"printf", -1, false, fn_printf}, {"not", 1, false, fn_not},
        {"and", -1, false, fn_and_or},    {"or", -1, false, fn_and_or},
        {"eq", -1, false, fn_eq},         {"ne", -1, false, fn_eq},
        {"lt", 2, false, fn_order},       {"le", 2, false, fn_order},
        {"gt", 2, false, fn_order},       {"ge", 2, false, fn_order},
};

int cli_tpl_call(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(tpl_funcs); i++) {
                if (!streq(name, tpl_funcs[i].name))
                        continue;
                if (cli_tpl_header(t) && tpl_funcs[i].header) {
                        *ret = n ? jv_ref(args[0]) : jv_string("");
                        return 0;
                }
                if (tpl_funcs[i].n_args >= 0) {
                        int r = want_args(t, name, n, (size_t)tpl_funcs[i].n_args);
                        if (r < 0)
                                return r;
                }
                return tpl_funcs[i].fn(t, name, args, n, ret);
        }
        return cli_tpl_error(t, "function \"%s\" not defined", name);
}

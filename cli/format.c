#include "cli/format.h"

#include <ctype.h>
#include <stdio.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static int key_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_go(struct buf *b, const struct jv *v)
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
                        print_go(b, jv_at(v, i));
                }
                buf_putc(b, ']');
        } else if (jv_is_object(v)) {
                _cleanup_strv_free_ char **keys = xnew0(char *, 1);
                struct jv_iter it;
                const char *k;
                struct jv *val;
                jv_iter_init(&it, v);
                while (jv_iter_next(&it, &k, &val))
                        keys = strv_append(keys, k);
                qsort(keys, strv_length(keys), sizeof(char *), key_cmp);
                buf_puts(b, "map[");
                for (size_t i = 0; keys[i]; i++) {
                        if (i)
                                buf_putc(b, ' ');
                        buf_printf(b, "%s:", keys[i]);
                        print_go(b, jv_get(v, keys[i]));
                }
                buf_putc(b, ']');
        } else {
                _cleanup_free_ char *s = jv_dump(v, 0);
                buf_puts(b, s);
        }
}

static int lookup(const struct jv *root, const char *path, const struct jv **ret,
                  struct box_err *err)
{
        const struct jv *v = root;
        if (*path != '.')
                return box_err_set(err, EINVAL, "template: unsupported expression '%s'", path);
        path++;
        while (*path) {
                size_t n = strcspn(path, ".");
                _cleanup_free_ char *key = xstrndup(path, n);
                if (!jv_is_object(v))
                        return box_err_set(err, EINVAL, "template: can't evaluate field %s", key);
                v = jv_get(v, key);
                path += n;
                if (*path == '.')
                        path++;
        }
        *ret = v;
        return 0;
}

int cli_format_template(const char *tmpl, const struct jv *v, char **ret, struct box_err *err)
{
        struct buf b = {0};
        const char *s = tmpl;
        if (startswith(s, "table "))
                s += 6;
        buf_puts(&b, "");
        while (*s) {
                if (s[0] == '\\' && s[1] == 't') {
                        buf_putc(&b, '\t');
                        s += 2;
                } else if (s[0] == '\\' && s[1] == 'n') {
                        buf_putc(&b, '\n');
                        s += 2;
                } else if (s[0] == '{' && s[1] == '{') {
                        const char *end = strstr(s, "}}");
                        if (!end) {
                                buf_release(&b);
                                return box_err_set(err, EINVAL, "template: unclosed action in '%s'",
                                                   tmpl);
                        }
                        const char *a = s + 2, *e = end;
                        while (a < e && (isspace((unsigned char)*a) || *a == '-'))
                                a++;
                        while (e > a && (isspace((unsigned char)e[-1]) || e[-1] == '-'))
                                e--;
                        _cleanup_free_ char *expr = xstrndup(a, (size_t)(e - a));
                        int json = 0;
                        char *path = expr;
                        if (startswith(path, "json ")) {
                                json = 1;
                                path += 5;
                                while (*path == ' ')
                                        path++;
                        }
                        const struct jv *val = NULL;
                        if (lookup(v, path, &val, err) < 0) {
                                buf_release(&b);
                                return -EINVAL;
                        }
                        if (json) {
                                if (!val) {
                                        buf_puts(&b, "null");
                                } else {
                                        _cleanup_free_ char *js = jv_dump(val, 0);
                                        buf_puts(&b, js);
                                }
                        } else {
                                print_go(&b, val);
                        }
                        s = end + 2;
                } else {
                        buf_putc(&b, *s++);
                }
        }
        *ret = buf_steal(&b);
        return 0;
}

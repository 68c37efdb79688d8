#include "spec/json.h"

#include <jansson.h>

#include "lib/strv.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#define J(v) ((json_t *)(v))
#define V(j) ((struct jv *)(j))

static struct jv *must(json_t *j)
{
        if (!j)
                abort();
        return V(j);
}

struct jv *jv_object(void)
{
        return must(json_object());
}

struct jv *jv_array(void)
{
        return must(json_array());
}

/* Not UTF-8: each bad byte becomes U+FFFD, as Go's encoding/json writes
 * it (so Docker's and BuildKit's configs hold the same).  jansson would
 * keep raw bytes but then refuses to dump them, and a byte from an image, a
 * Dockerfile, a container's output or the command line must not abort box. */
static json_t *string_repaired(const char *s)
{
        _cleanup_buf_ struct buf b = {0};
        size_t n = strlen(s), w;
        for (size_t i = 0; i < n; i += w)
                utf8_put(&b, utf8_decode(s + i, n - i, &w));
        return json_stringn(b.data ? b.data : "", b.len);
}

struct jv *jv_string(const char *s)
{
        if (!s)
                return must(json_null());
        json_t *j = json_string(s);
        if (!j)
                j = string_repaired(s);
        return must(j);
}

struct jv *jv_int(int64_t i)
{
        return must(json_integer(i));
}

struct jv *jv_bool(bool b)
{
        return must(json_boolean(b));
}

struct jv *jv_null(void)
{
        return must(json_null());
}

struct jv *jv_strv(char *const *v)
{
        if (!v)
                return jv_null();
        struct jv *a = jv_array();
        STRV_FOREACH (s, v)
                jv_push(a, jv_string(*s));
        return a;
}

struct jv *jv_ref(struct jv *v)
{
        return V(json_incref(J(v)));
}

void jv_free(struct jv *v)
{
        if (v)
                json_decref(J(v));
}

void jv_set(struct jv *obj, const char *key, struct jv *val)
{
        json_object_set_new(J(obj), key, J(val));
}

void jv_set_str(struct jv *obj, const char *key, const char *s)
{
        if (s)
                jv_set(obj, key, jv_string(s));
}

void jv_del(struct jv *obj, const char *key)
{
        json_object_del(J(obj), key);
}

void jv_push(struct jv *arr, struct jv *val)
{
        json_array_append_new(J(arr), J(val));
}

/* Nesting deeper than JV_MAX_DEPTH is refused before jansson sees it: its
 * parser, its free and every walk over a tree recurse once per level.  No
 * document box reads needs more than a handful of levels. */
static bool depth_ok(const char *buf, size_t len)
{
        size_t depth = 0;
        bool in_str = false;
        for (size_t i = 0; i < len; i++) {
                char c = buf[i];
                if (in_str) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                } else if (c == '[' || c == '{') {
                        if (++depth > JV_MAX_DEPTH)
                                return false;
                } else if ((c == ']' || c == '}') && depth > 0) {
                        depth--;
                }
        }
        return true;
}

int jv_parse(const char *buf, size_t len, struct jv **ret, struct box_err *err)
{
        if (!depth_ok(buf, len))
                return box_err_set(err, EINVAL, "invalid JSON: nested deeper than %d levels",
                                   JV_MAX_DEPTH);
        json_error_t e;
        json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &e);
        if (!j)
                return box_err_set(err, EINVAL, "invalid JSON at line %d column %d: %s", e.line,
                                   e.column, e.text);
        *ret = V(j);
        return 0;
}

char *jv_dump(const struct jv *v, int flags)
{
        size_t f = JSON_ENCODE_ANY;
        if (flags & JV_PRETTY)
                f |= JSON_INDENT(4);
        else
                f |= JSON_COMPACT;
        if (flags & JV_CANONICAL)
                f |= JSON_SORT_KEYS;
        char *s = json_dumps(J(v), f);
        if (!s)
                abort();
        return s;
}

bool jv_is_object(const struct jv *v)
{
        return v && json_is_object(J(v));
}

bool jv_is_array(const struct jv *v)
{
        return v && json_is_array(J(v));
}

bool jv_is_string(const struct jv *v)
{
        return v && json_is_string(J(v));
}

bool jv_is_int(const struct jv *v)
{
        return v && json_is_integer(J(v));
}

bool jv_is_null(const struct jv *v)
{
        return !v || json_is_null(J(v));
}

struct jv *jv_get(const struct jv *obj, const char *key)
{
        if (!jv_is_object(obj))
                return NULL;
        return V(json_object_get(J(obj), key));
}

const char *jv_str(const struct jv *v)
{
        return jv_is_string(v) ? json_string_value(J(v)) : NULL;
}

const char *jv_get_str(const struct jv *obj, const char *key)
{
        return jv_str(jv_get(obj, key));
}

int64_t jv_int_value(const struct jv *v)
{
        if (!v)
                return 0;
        if (json_is_integer(J(v)))
                return json_integer_value(J(v));
        if (json_is_real(J(v))) {
                /* saturate: casting a double outside int64_t's range is undefined */
                double d = json_real_value(J(v));
                if (d != d)
                        return 0;
                if (d >= 0x1p63)
                        return INT64_MAX;
                if (d < -0x1p63)
                        return INT64_MIN;
                return (int64_t)d;
        }
        return 0;
}

bool jv_bool_value(const struct jv *v)
{
        return v && json_is_true(J(v));
}

size_t jv_len(const struct jv *v)
{
        if (jv_is_array(v))
                return json_array_size(J(v));
        if (jv_is_object(v))
                return json_object_size(J(v));
        return 0;
}

struct jv *jv_at(const struct jv *arr, size_t i)
{
        if (!jv_is_array(arr))
                return NULL;
        return V(json_array_get(J(arr), i));
}

char **jv_to_strv(const struct jv *arr)
{
        if (!jv_is_array(arr))
                return NULL;
        /* sized up front: appending one by one would be quadratic */
        size_t n = jv_len(arr), k = 0;
        char **v = xnew0(char *, n + 1);
        for (size_t i = 0; i < n; i++) {
                const char *s = jv_str(jv_at(arr, i));
                if (s)
                        v[k++] = xstrdup(s);
        }
        return v;
}

void jv_iter_init(struct jv_iter *i, const struct jv *obj)
{
        i->obj = obj;
        i->it = jv_is_object(obj) ? json_object_iter(J(obj)) : NULL;
}

bool jv_iter_next(struct jv_iter *i, const char **key, struct jv **val)
{
        if (!i->it)
                return false;
        *key = json_object_iter_key(i->it);
        *val = V(json_object_iter_value(i->it));
        i->it = json_object_iter_next(J(i->obj), i->it);
        return true;
}

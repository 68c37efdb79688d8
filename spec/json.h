/* A small JSON facade: the only door to jansson, so its types never leak
 * into other headers.  Values are reference counted like jansson's; the
 * setters and pushers *steal* the value they are given.  Getters return
 * borrowed pointers that live as long as their container.
 *
 * Output is canonical when JV_CANONICAL is set: sorted keys, compact, so a
 * digest over it is stable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct jv;

enum { JV_PRETTY = 1, JV_CANONICAL = 2 };

struct jv *jv_object(void);
struct jv *jv_array(void);
struct jv *jv_string(const char *s); /* NULL -> null */
struct jv *jv_int(int64_t i);
struct jv *jv_bool(bool b);
struct jv *jv_null(void);
struct jv *jv_strv(char *const *v); /* NULL -> null */
struct jv *jv_ref(struct jv *v);
void jv_free(struct jv *v);

void jv_set(struct jv *obj, const char *key, struct jv *val);
void jv_set_str(struct jv *obj, const char *key, const char *s); /* skipped when s is NULL */
void jv_del(struct jv *obj, const char *key);
void jv_push(struct jv *arr, struct jv *val);

/* Documents nested deeper than this are refused (see json.c). */
#define JV_MAX_DEPTH 64
int jv_parse(const char *buf, size_t len, struct jv **ret, struct box_err *err);
char *jv_dump(const struct jv *v, int flags);

bool jv_is_object(const struct jv *v);
bool jv_is_array(const struct jv *v);
bool jv_is_string(const struct jv *v);
bool jv_is_int(const struct jv *v);
bool jv_is_null(const struct jv *v); /* also true for v == NULL */

struct jv *jv_get(const struct jv *obj, const char *key);
const char *jv_str(const struct jv *v); /* NULL unless a string */
const char *jv_get_str(const struct jv *obj, const char *key);
int64_t jv_int_value(const struct jv *v);
bool jv_bool_value(const struct jv *v);
size_t jv_len(const struct jv *v); /* array length or object size */
struct jv *jv_at(const struct jv *arr, size_t i);
/* Array of strings -> strv (NULL when not an array; non-strings skipped). */
char **jv_to_strv(const struct jv *arr);

/* Iterates an object's keys in stored order. */
struct jv_iter {
        void *it;
        const struct jv *obj;
};
void jv_iter_init(struct jv_iter *i, const struct jv *obj);
bool jv_iter_next(struct jv_iter *i, const char **key, struct jv **val);

static inline void jv_freep(struct jv **v)
{
        jv_free(*v);
}
#define _cleanup_jv_ _cleanup_(jv_freep)

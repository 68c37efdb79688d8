/* NULL-terminated string vectors.  A strv owns its strings; strv_free()
 * releases both. */
#pragma once

#include <stddef.h>
#include "lib/macro.h"

size_t strv_length(char *const *v);
/* Appends a copy of s; returns the vector (possibly moved). */
char **strv_append(char **v, const char *s);
/* Appends s itself (takes ownership). */
char **strv_push(char **v, char *s);
/* Appends s (owned) to V of known length N, which the caller keeps: a loop
 * of these is linear, where strv_push measures V on every call.  The
 * vector grows geometrically either way. */
char **strv_push_at(char **v, size_t n, char *s);
char **strv_copy(char *const *v);
char **strv_concat(char *const *a, char *const *b);
void strv_free(char **v);
/* Sorts V bytewise (strcmp) in place. */
void strv_sort(char **v);
/* The qsort()/bsearch() comparator of strv_sort, for arrays of char *
 * that are not NULL-terminated. */
int strv_cmp(const void *a, const void *b);
/* The strings of V with SEP between them ("" for an empty or NULL V);
 * caller frees. */
char *strv_join(char *const *v, const char *sep);
/* The fields of S between SEP characters, empty ones too ("" gives one);
 * never NULL. */
char **strv_split(const char *s, char sep);
int strv_contains(char *const *v, const char *s);
/* Finds "KEY=" in an environment-style vector; returns its index or -1. */
int strv_env_find(char *const *v, const char *key, size_t keylen);
/* Sets KEY=VALUE (entry "K=V" or "K"), replacing an existing KEY. */
char **strv_env_set(char **v, const char *entry);
/* Removes every KEY=... (and a bare KEY) from V, in place. */
void strv_env_unset(char **v, const char *key);

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define STRV_FOREACH(s, v) for (char *const *s = (v); s && *s; s++)

/* A set of strings, built by appending and then sorted once, so n inserts
 * and lookups cost n log n (gc and fsck hold every blob of a store in one).
 * The set owns copies of its strings; str_set_has() needs str_set_sort()
 * after the last str_set_add(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct str_set {
        char **v;
        size_t n, cap;
};

void str_set_add(struct str_set *s, const char *str);
void str_set_sort(struct str_set *s);
bool str_set_has(const struct str_set *s, const char *str);
void str_set_release(struct str_set *s);

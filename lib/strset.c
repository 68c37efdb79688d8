#include <stdlib.h>
#include <string.h>

#include "lib/strset.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

void str_set_add(struct str_set *s, const char *str)
{
        if (s->n == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 64;
                s->v = xreallocarray(s->v, s->cap, sizeof(char *));
        }
        s->v[s->n++] = xstrdup(str);
}

void str_set_sort(struct str_set *s)
{
        if (s->n)
                qsort(s->v, s->n, sizeof(char *), strv_cmp);
}

bool str_set_has(const struct str_set *s, const char *str)
{
        return s->n && bsearch(&str, s->v, s->n, sizeof(char *), strv_cmp) != NULL;
}

void str_set_release(struct str_set *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        memset(s, 0, sizeof(*s));
}

#include "lib/strv.h"
#include "lib/xalloc.h"

size_t strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

char **strv_push_at(char **v, size_t n, char *s)
{
        /* vectors made anywhere (xnew0, strv_copy) grow the same way */
        v = xgrowarray(v, n + 2, sizeof(char *));
        v[n] = s;
        v[n + 1] = NULL;
        return v;
}

char **strv_push(char **v, char *s)
{
        return strv_push_at(v, strv_length(v), s);
}

char **strv_append(char **v, const char *s)
{
        return strv_push(v, xstrdup(s));
}

char **strv_copy(char *const *v)
{
        size_t n = strv_length(v);
        char **r = xnew0(char *, n + 1);
        for (size_t i = 0; i < n; i++)
                r[i] = xstrdup(v[i]);
        return r;
}

char **strv_concat(char *const *a, char *const *b)
{
        size_t na = strv_length(a), nb = strv_length(b);
        char **r = xnew0(char *, na + nb + 1);
        for (size_t i = 0; i < na; i++)
                r[i] = xstrdup(a[i]);
        for (size_t i = 0; i < nb; i++)
                r[na + i] = xstrdup(b[i]);
        return r;
}

int strv_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v)
{
        if (v)
                qsort(v, strv_length(v), sizeof(char *), strv_cmp);
}

char *strv_join(char *const *v, const char *sep)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        buf_puts(&b, sep);
                buf_puts(&b, v[i]);
        }
        return buf_steal(&b);
}

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **s = v; *s; s++)
                free(*s);
        free(v);
}

int strv_contains(char *const *v, const char *s)
{
        STRV_FOREACH (p, v)
                if (streq(*p, s))
                        return 1;
        return 0;
}

int strv_env_find(char *const *v, const char *key, size_t keylen)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strncmp(v[i], key, keylen) == 0 &&
                    (v[i][keylen] == '=' || v[i][keylen] == '\0'))
                        return (int)i;
        return -1;
}

char **strv_env_set(char **v, const char *entry)
{
        const char *eq = strchr(entry, '=');
        size_t keylen = eq ? (size_t)(eq - entry) : strlen(entry);
        int i = strv_env_find(v, entry, keylen);
        if (i >= 0) {
                free(v[i]);
                v[i] = xstrdup(entry);
                return v;
        }
        return strv_append(v, entry);
}

void strv_env_unset(char **v, const char *key)
{
        int i;
        while ((i = strv_env_find(v, key, strlen(key))) >= 0) {
                free(v[i]);
                memmove(v + i, v + i + 1, (strv_length(v) - (size_t)i) * sizeof(*v));
        }
}

char **strv_split(const char *s, char sep)
{
        char **v = xnew0(char *, 1);
        size_t n = 0;
        for (;;) {
                const char *e = strchr(s, sep);
                size_t len = e ? (size_t)(e - s) : strlen(s);
                v = strv_push_at(v, n++, xstrndup(s, len));
                if (!e)
                        return v;
                s = e + 1;
        }
}

#include "lib/strv.h"
#include "lib/xalloc.h"

size_t strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

char **strv_push(char **v, char *s)
{
        size_t n = strv_length(v);
        v = xreallocarray(v, n + 2, sizeof(char *));
        v[n] = s;
        v[n + 1] = NULL;
        return v;
}

char **strv_append(char **v, const char *s)
{
        return strv_push(v, xstrdup(s));
}

char **strv_copy(char *const *v)
{
        char **r = xnew0(char *, 1);
        STRV_FOREACH (s, v)
                r = strv_append(r, *s);
        return r;
}

char **strv_concat(char *const *a, char *const *b)
{
        char **r = strv_copy(a);
        STRV_FOREACH (s, b)
                r = strv_append(r, *s);
        return r;
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

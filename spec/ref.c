#include "spec/ref.h"

#include <ctype.h>

#include "lib/xalloc.h"

static int is_alnum_lower(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int spec_is_hex64(const char *s)
{
        size_t i;
        for (i = 0; s[i]; i++)
                if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
                        return 0;
        return i == 64;
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
 * separator      := [_.] | "__" | [-]+ */
static int valid_path_component(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0 || !is_alnum_lower(s[0]))
                return 0;
        while (i < n) {
                if (is_alnum_lower(s[i])) {
                        i++;
                        continue;
                }
                size_t start = i;
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < n && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return 0;
                }
                if (i == start || i >= n || !is_alnum_lower(s[i]))
                        return 0;
        }
        return 1;
}

static int has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (isupper((unsigned char)s[i]))
                        return 1;
        return 0;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 * domain := (domain-name | '[' ipv6 ']') [':' port] */
static int valid_domain(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0)
                return 0;
        if (s[0] == '[') {
                while (i < n && s[i] != ']') {
                        if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '[' ||
                              s[i] == '.'))
                                return 0;
                        i++;
                }
                if (i >= n || i < 3)
                        return 0;
                i++;
        } else {
                for (;;) {
                        size_t st = i;
                        while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
                                i++;
                        if (i == st || s[st] == '-' || s[i - 1] == '-')
                                return 0;
                        if (i < n && s[i] == '.') {
                                i++;
                                continue;
                        }
                        break;
                }
        }
        if (i < n && s[i] == ':') {
                i++;
                size_t st = i;
                while (i < n && isdigit((unsigned char)s[i]))
                        i++;
                if (i == st)
                        return 0;
        }
        return i == n;
}

static int valid_tag(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128)
                return 0;
        if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
                        return 0;
        return 1;
}

int spec_digest_validate(const char *d, struct box_err *err)
{
        const char *colon = strchr(d, ':');
        if (!colon || colon == d)
                return box_err_set(err, EINVAL, "invalid digest '%s'", d);
        if (!strneq(d, "sha256:", 7))
                return box_err_set(err, EINVAL, "unsupported digest algorithm in '%s'", d);
        if (!spec_is_hex64(d + 7))
                return box_err_set(err, EINVAL, "invalid digest '%s': not 64 lowercase hex digits",
                                   d);
        return 0;
}

void spec_ref_release(struct image_ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

static int parse(const char *s, int default_tag, struct image_ref *ret, struct box_err *err)
{
        struct image_ref r = {0};
        _cleanup_free_ char *name = NULL;
        const char *at, *slash, *p;

        if (!s || !*s)
                return box_err_set(err, EINVAL, "invalid reference format: empty name");
        at = strchr(s, '@');
        if (at) {
                if (spec_digest_validate(at + 1, err) < 0) {
                        box_err_prefix(err, "invalid reference '%s'", s);
                        return -EINVAL;
                }
                name = xstrndup(s, (size_t)(at - s));
        } else {
                name = xstrdup(s);
        }
        /* The tag follows the last ':' that comes after the last '/'. */
        slash = strrchr(name, '/');
        p = strrchr(slash ? slash : name, ':');
        if (p) {
                if (!valid_tag(p + 1))
                        return box_err_set(err, EINVAL,
                                           "invalid reference format: invalid tag in '%s'", s);
                r.tag = xstrdup(p + 1);
                name[p - name] = '\0';
        }
        size_t nlen = strlen(name);
        if (nlen == 0) {
                spec_ref_release(&r);
                return box_err_set(err, EINVAL, "invalid reference format: '%s'", s);
        }
        /* Split off the domain. */
        slash = strchr(name, '/');
        const char *remote = name;
        if (slash) {
                size_t dlen = (size_t)(slash - name);
                if (memchr(name, '.', dlen) || memchr(name, ':', dlen) ||
                    (dlen == 9 && strneq(name, "localhost", 9)) || has_upper(name, dlen)) {
                        if (!valid_domain(name, dlen)) {
                                spec_ref_release(&r);
                                return box_err_set(err, EINVAL,
                                                   "invalid reference format: bad registry in '%s'",
                                                   s);
                        }
                        r.domain = xstrndup(name, dlen);
                        remote = slash + 1;
                }
        }
        if (!r.domain)
                r.domain = xstrdup(REF_DEFAULT_DOMAIN);
        if (streq(r.domain, "index.docker.io")) {
                free(r.domain);
                r.domain = xstrdup(REF_DEFAULT_DOMAIN);
        }
        /* Validate path components. */
        size_t rlen = strlen(remote);
        if (has_upper(remote, rlen)) {
                spec_ref_release(&r);
                return box_err_set(
                        err, EINVAL,
                        "invalid reference format: repository name must be lowercase: '%s'", s);
        }
        for (const char *c = remote;;) {
                const char *e = strchr(c, '/');
                size_t n = e ? (size_t)(e - c) : strlen(c);
                if (!valid_path_component(c, n)) {
                        spec_ref_release(&r);
                        return box_err_set(err, EINVAL, "invalid reference format: '%s'", s);
                }
                if (!e)
                        break;
                c = e + 1;
        }
        if (streq(r.domain, REF_DEFAULT_DOMAIN) && !strchr(remote, '/')) {
                if (spec_is_hex64(remote)) {
                        spec_ref_release(&r);
                        return box_err_set(err, EINVAL,
                                           "invalid repository name '%s': cannot specify 64-byte "
                                           "hexadecimal strings",
                                           s);
                }
                r.path = xasprintf("library/%s", remote);
        } else {
                r.path = xstrdup(remote);
        }
        if (strlen(r.domain) + 1 + strlen(r.path) > REF_NAME_MAX) {
                spec_ref_release(&r);
                return box_err_set(
                        err, EINVAL,
                        "invalid reference format: repository name '%s' longer than %d characters",
                        s, REF_NAME_MAX);
        }
        if (at)
                r.digest = xstrdup(at + 1);
        if (default_tag && !r.tag && !r.digest)
                r.tag = xstrdup(REF_DEFAULT_TAG);
        *ret = r;
        return 0;
}

int spec_ref_parse(const char *s, struct image_ref *ret, struct box_err *err)
{
        return parse(s, 1, ret, err);
}

int spec_ref_parse_name(const char *s, struct image_ref *ret, struct box_err *err)
{
        return parse(s, 0, ret, err);
}

char *spec_ref_repository(const struct image_ref *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

char *spec_ref_format(const struct image_ref *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", strempty(r->tag),
                         r->digest ? "@" : "", strempty(r->digest));
}

char *spec_ref_familiar_repository(const struct image_ref *r)
{
        if (streq(r->domain, REF_DEFAULT_DOMAIN)) {
                if (startswith(r->path, "library/") && !strchr(r->path + 8, '/'))
                        return xstrdup(r->path + 8);
                return xstrdup(r->path);
        }
        return spec_ref_repository(r);
}

char *spec_ref_familiar(const struct image_ref *r)
{
        _cleanup_free_ char *repo = spec_ref_familiar_repository(r);
        return xasprintf("%s%s%s%s%s", repo, r->tag ? ":" : "", strempty(r->tag),
                         r->digest ? "@" : "", strempty(r->digest));
}

/* Image references, read the way github.com/distribution/reference reads
 * them: the grammar of its regexp.go matched by hand (no regex engine),
 * Parse, ParseNormalizedNamed, ParseDockerRef, ParseAnyReference, the
 * familiar forms and FamiliarMatch (Go's path.Match). */
#include "spec/ref.h"

#include <ctype.h>
#include <stdbool.h>

#include "lib/go-match.h"
#include "lib/xalloc.h"

#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX  "library/"
#define TAG_MAX               128

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
        return isalnum((unsigned char)c) != 0;
}

static bool is_word(char c)
{
        return is_alnum(c) || c == '_';
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int spec_is_hex64(const char *s)
{
        size_t i;
        for (i = 0; s[i]; i++)
                if (!is_lower_hex(s[i]))
                        return 0;
        return i == 64;
}

/* ---- the grammar ---- */

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
 * separator      := [_.] | "__" | [-]+ */
static bool match_path_component(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0 || !is_lower_alnum(s[0]))
                return false;
        while (i < n) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
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
                        return false;
                }
                if (i >= n || !is_lower_alnum(s[i]))
                        return false;
        }
        return true;
}

/* remote-name := path-component ('/' path-component)* */
static bool match_remote_name(const char *s, size_t n)
{
        for (;;) {
                const char *e = memchr(s, '/', n);
                size_t c = e ? (size_t)(e - s) : n;
                if (!match_path_component(s, c))
                        return false;
                if (!e)
                        return true;
                s += c + 1;
                n -= c + 1;
        }
}

/* domain := host [':' [0-9]+]
 * host   := domain-component ('.' domain-component)* | '[' [a-fA-F0-9:]+ ']'
 * domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool match_domain(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0)
                return false;
        if (s[0] == '[') {
                for (i = 1; i < n && (isxdigit((unsigned char)s[i]) || s[i] == ':'); i++)
                        ;
                if (i == 1 || i >= n || s[i] != ']')
                        return false;
                i++;
        } else {
                for (;;) {
                        size_t st = i;
                        while (i < n && (is_alnum(s[i]) || s[i] == '-'))
                                i++;
                        if (i == st || s[st] == '-' || s[i - 1] == '-')
                                return false;
                        if (i < n && s[i] == '.') {
                                i++;
                                continue;
                        }
                        break;
                }
        }
        if (i < n && s[i] == ':') {
                size_t st = ++i;
                while (i < n && isdigit((unsigned char)s[i]))
                        i++;
                if (i == st)
                        return false;
        }
        return i == n;
}

/* tag := [\w][\w.-]{0,127} */
static bool match_tag(const char *s, size_t n)
{
        if (n == 0 || n > TAG_MAX || !is_word(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

/* The reference grammar's (looser) digest:
 *   [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [[:xdigit:]]{32,}
 * what it holds is then checked by spec_digest_validate(). */
static bool match_ref_digest(const char *s, size_t n)
{
        size_t i = 0;
        for (;;) {
                if (i >= n || !isalpha((unsigned char)s[i]))
                        return false;
                while (i < n && is_alnum(s[i]))
                        i++;
                if (i < n && strchr("-_+.", s[i])) {
                        i++;
                        continue;
                }
                break;
        }
        if (i >= n || s[i] != ':')
                return false;
        size_t st = ++i;
        while (i < n && isxdigit((unsigned char)s[i]))
                i++;
        return i == n && n - st >= 32;
}

/* name := [domain '/'] remote-name, the first component being the domain
 * whenever it can be one (the optional group of the anchored pattern is
 * tried first).  *RET_DOMAIN_LEN is 0 when there is no domain. */
static bool match_name(const char *s, size_t n, size_t *ret_domain_len)
{
        const char *slash = memchr(s, '/', n);
        if (slash) {
                size_t dl = (size_t)(slash - s);
                if (match_domain(s, dl) && match_remote_name(slash + 1, n - dl - 1)) {
                        *ret_domain_len = dl;
                        return true;
                }
        }
        if (!match_remote_name(s, n))
                return false;
        *ret_domain_len = 0;
        return true;
}

struct ref_parts {
        size_t domain_len; /* 0: none */
        size_t name_len;   /* domain '/' path */
        const char *tag;   /* NULL: none */
        size_t tag_len;
        const char *digest; /* NULL: none; NUL-terminated (it ends S) */
};

/* reference := name [':' tag] ['@' digest].  A name holds a ':' only in
 * the domain's port and never a '@', so the digest follows the first '@'
 * and the tag the last ':' after the last '/'. */
static bool match_reference(const char *s, struct ref_parts *ret)
{
        struct ref_parts p = {0};
        size_t n = strlen(s);
        const char *at = strchr(s, '@');
        size_t end = at ? (size_t)(at - s) : n;
        if (at) {
                if (!match_ref_digest(at + 1, n - end - 1))
                        return false;
                p.digest = at + 1;
        }
        const char *slash = memrchr(s, '/', end);
        const char *start = slash ? slash + 1 : s;
        const char *colon = memrchr(start, ':', end - (size_t)(start - s));
        p.name_len = end;
        if (colon) {
                p.tag = colon + 1;
                p.tag_len = end - (size_t)(p.tag - s);
                if (!match_tag(p.tag, p.tag_len))
                        return false;
                p.name_len = (size_t)(colon - s);
        }
        if (!match_name(s, p.name_len, &p.domain_len))
                return false;
        *ret = p;
        return true;
}

/* ---- digests ---- */

/* OCI image-spec descriptor.md:
 *   digest    := algorithm ':' encoded
 *   algorithm := component ([+._-] component)*   component := [a-z0-9]+
 *   encoded   := [a-zA-Z0-9=_-]+
 * sha256 (the only one box stores) wants 64 lowercase hex digits. */
int spec_digest_validate(const char *d, struct box_err *err)
{
        const char *colon = strchr(d, ':');
        if (!colon || colon == d || !colon[1])
                return box_err_set(err, EINVAL,
                                   "invalid digest '%s': want 'algorithm:encoded', as in "
                                   "'sha256:<64 hex digits>'",
                                   d);
        size_t alen = (size_t)(colon - d);
        for (size_t i = 0; i < alen; i++) {
                bool sep = strchr("+._-", d[i]) != NULL;
                if (sep ? i == 0 || i + 1 == alen || strchr("+._-", d[i - 1])
                        : !is_lower_alnum(d[i]))
                        return box_err_set(err, EINVAL, "invalid digest '%s': bad algorithm '%.*s'",
                                           d, (int)alen, d);
        }
        for (const char *e = colon + 1; *e; e++)
                if (!is_alnum(*e) && !strchr("=_-", *e))
                        return box_err_set(err, EINVAL,
                                           "invalid digest '%s': bad character in the encoded part",
                                           d);
        if (alen != 6 || !strneq(d, "sha256", 6))
                return box_err_set(
                        err, EINVAL,
                        "unsupported digest algorithm '%.*s' in '%s': box only uses sha256",
                        (int)alen, d, d);
        size_t elen = strlen(colon + 1);
        if (elen != 64)
                return box_err_set(err, EINVAL,
                                   "invalid digest '%s': sha256 wants 64 hex digits, not %zu", d,
                                   elen);
        if (!spec_is_hex64(colon + 1))
                return box_err_set(err, EINVAL,
                                   "invalid digest '%s': sha256 wants lowercase hex digits", d);
        return 0;
}

/* ---- parsing ---- */

void spec_ref_release(struct image_ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

/* distribution's Parse of S; errors quote SHOWN, what the user typed (S
 * may be its normalised form, "docker.io/library/" prepended). */
static int parse_raw(const char *s, const char *shown, struct image_ref *ret, struct box_err *err)
{
        struct ref_parts p;
        if (!s || !*s)
                return box_err_set(err, EINVAL,
                                   "invalid reference format: repository name must have at least "
                                   "one component");
        if (!match_reference(s, &p)) {
                _cleanup_free_ char *lower = xstrdup(s);
                bool upper = false;
                for (char *c = lower; *c; c++)
                        if (isupper((unsigned char)*c)) {
                                *c = (char)tolower((unsigned char)*c);
                                upper = true;
                        }
                if (upper && match_reference(lower, &p))
                        return box_err_set(err, EINVAL,
                                           "invalid reference format: repository name must be "
                                           "lowercase: '%s'",
                                           shown);
                return box_err_set(err, EINVAL, "invalid reference format: '%s'", shown);
        }
        size_t off = p.domain_len ? p.domain_len + 1 : 0;
        if (p.name_len - off > REF_NAME_MAX)
                return box_err_set(err, EINVAL,
                                   "invalid reference format: repository name must not be more "
                                   "than %d characters",
                                   REF_NAME_MAX);
        if (p.digest && spec_digest_validate(p.digest, err) < 0)
                return box_err_prefix(err, "invalid reference format");

        *ret = (struct image_ref){
                .domain = xstrndup(s, p.domain_len),
                .path = xstrndup(s + off, p.name_len - off),
                .tag = p.tag ? xstrndup(p.tag, p.tag_len) : NULL,
                .digest = p.digest ? xstrdup(p.digest) : NULL,
        };
        return 0;
}

/* distribution's Parse: the grammar, no normalisation. */
int spec_ref_parse_raw(const char *s, struct image_ref *ret, struct box_err *err)
{
        return parse_raw(s, s, ret, err);
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (isupper((unsigned char)s[i]))
                        return true;
        return false;
}

/* distribution's ParseNormalizedNamed (splitDockerDomain, then Parse). */
int spec_ref_parse_name(const char *s, struct image_ref *ret, struct box_err *err)
{
        _cleanup_free_ char *full = NULL;
        const char *domain = REF_DEFAULT_DOMAIN, *remainder = s;
        size_t dlen = strlen(REF_DEFAULT_DOMAIN);

        if (!s || !*s)
                return box_err_set(err, EINVAL, "invalid reference format: empty reference");
        if (spec_is_hex64(s))
                return box_err_set(err, EINVAL,
                                   "invalid repository name '%s': cannot specify 64-byte "
                                   "hexadecimal strings",
                                   s);
        const char *slash = strchr(s, '/');
        if (slash) {
                size_t n = (size_t)(slash - s);
                if ((n == 9 && strneq(s, "localhost", 9)) || memchr(s, '.', n) ||
                    memchr(s, ':', n) || has_upper(s, n)) {
                        domain = s;
                        dlen = n;
                        remainder = slash + 1;
                        if (n == strlen(LEGACY_DEFAULT_DOMAIN) &&
                            strneq(s, LEGACY_DEFAULT_DOMAIN, n)) {
                                domain = REF_DEFAULT_DOMAIN;
                                dlen = strlen(REF_DEFAULT_DOMAIN);
                        }
                }
        }
        bool official = dlen == strlen(REF_DEFAULT_DOMAIN) &&
                        strneq(domain, REF_DEFAULT_DOMAIN, dlen) && !strchr(remainder, '/');
        full = xasprintf("%.*s/%s%s", (int)dlen, domain, official ? OFFICIAL_REPO_PREFIX : "",
                         remainder);

        /* the repository part (up to the first ':') must be lowercase */
        const char *remote = full + dlen + 1;
        size_t rlen = strcspn(remote, ":");
        if (has_upper(remote, rlen))
                return box_err_set(err, EINVAL,
                                   "invalid reference format: repository name '%.*s' must be "
                                   "lowercase",
                                   (int)rlen, remote);
        return parse_raw(full, s, ret, err);
}

/* distribution's ParseDockerRef. */
int spec_ref_parse(const char *s, struct image_ref *ret, struct box_err *err)
{
        struct image_ref r;
        int rc = spec_ref_parse_name(s, &r, err);
        if (rc < 0)
                return rc;
        if (r.tag && r.digest) {
                free(r.tag);
                r.tag = NULL;
        } else if (!r.tag && !r.digest) {
                r.tag = xstrdup(REF_DEFAULT_TAG);
        }
        *ret = r;
        return 0;
}

/* distribution's ParseAnyReference. */
int spec_ref_parse_any(const char *s, struct image_ref *ret, struct box_err *err)
{
        if (s && (spec_is_hex64(s) || spec_digest_validate(s, NULL) >= 0)) {
                *ret = (struct image_ref){
                        .domain = xstrdup(""),
                        .path = xstrdup(""),
                        .digest = spec_is_hex64(s) ? xasprintf("sha256:%s", s) : xstrdup(s),
                };
                return 0;
        }
        return spec_ref_parse_name(s, ret, err);
}

/* ---- formatting ---- */

char *spec_ref_repository(const struct image_ref *r)
{
        if (!*r->domain)
                return xstrdup(r->path);
        return xasprintf("%s/%s", r->domain, r->path);
}

static char *with_tag_digest(const char *name, const struct image_ref *r)
{
        return xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", strempty(r->tag),
                         r->digest && *name ? "@" : "", strempty(r->digest));
}

char *spec_ref_format(const struct image_ref *r)
{
        _cleanup_free_ char *name = spec_ref_repository(r);
        return with_tag_digest(name, r);
}

/* Would ParseNormalizedNamed read P's first component as a domain? */
static bool looks_like_domain(const char *p)
{
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : 0;
        return slash && ((n == 9 && strneq(p, "localhost", 9)) || memchr(p, '.', n) ||
                         memchr(p, ':', n) || has_upper(p, n));
}

char *spec_ref_familiar_repository(const struct image_ref *r)
{
        if (streq(r->domain, REF_DEFAULT_DOMAIN)) {
                const char *rest = r->path + strlen(OFFICIAL_REPO_PREFIX);
                if (startswith(r->path, OFFICIAL_REPO_PREFIX) && !strchr(rest, '/'))
                        return xstrdup(rest);
                /* Go drops the domain here too, but "docker.io/a.b/c" as
                 * "a.b/c" would read back as an image of registry a.b */
                if (!looks_like_domain(r->path))
                        return xstrdup(r->path);
        }
        return spec_ref_repository(r);
}

char *spec_ref_familiar(const struct image_ref *r)
{
        _cleanup_free_ char *name = spec_ref_familiar_repository(r);
        return with_tag_digest(name, r);
}

char *spec_ref_familiar_of(const char *s)
{
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(s, &ref, NULL) < 0)
                return NULL;
        return spec_ref_familiar(&ref);
}

/* ---- matching ---- */

int spec_ref_familiar_match(const char *pattern, const struct image_ref *r, struct box_err *err)
{
        _cleanup_free_ char *fam = spec_ref_familiar(r);
        int m = go_path_match(pattern, fam, err);
        if (m == 0 && *r->path) {
                _cleanup_free_ char *name = spec_ref_familiar_repository(r);
                m = go_path_match(pattern, name, NULL);
                if (m < 0)
                        m = 0;
        }
        return m;
}

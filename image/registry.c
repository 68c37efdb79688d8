/* The distribution-spec client: endpoint choice, authentication (Basic and
 * the WWW-Authenticate Bearer token flow), retries.  See registry.h. */
#include "image/registry-internal.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "lib/crypto-dl.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

#define ATTEMPTS        4
#define TOKEN_MAX       (64u << 10)
#define ERROR_BODY_MAX  (64u << 10)
#define RETRY_AFTER_MAX 10 /* seconds: a longer wait is reported, not waited for */

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct image_registry {
        char *host;     /* as the reference names it (the credentials' key) */
        char *endpoint; /* "https://127.0.0.1:5000" */
        char *repo;
        struct image_registry_conf conf;
        struct image_registry_conf mirror; /* the configuration of the mirror in use */
        struct image_http_opts http;
        char *user, *password;
        pthread_mutex_t mu; /* guards what follows */
        enum auth_scheme scheme;
        char *realm, *service;
        char **scopes;
        char *token;
        unsigned token_gen; /* bumped on every new token */
};

const char *image_registry_host(const struct image_registry *r)
{
        return r->host;
}

const char *image_registry_repo(const struct image_registry *r)
{
        return r->repo;
}

const char *image_registry_endpoint(const struct image_registry *r)
{
        return r->endpoint;
}

const struct image_http_opts *image_registry_http_opts(const struct image_registry *r)
{
        return &r->http;
}

void image_registry_free(struct image_registry *r)
{
        if (!r)
                return;
        free(r->host);
        free(r->endpoint);
        free(r->repo);
        image_registry_conf_release(&r->conf);
        image_registry_conf_release(&r->mirror);
        if (r->password)
                explicit_bzero(r->password, strlen(r->password));
        free(r->user);
        free(r->password);
        free(r->realm);
        free(r->service);
        strv_free(r->scopes);
        if (r->token)
                explicit_bzero(r->token, strlen(r->token));
        free(r->token);
        pthread_mutex_destroy(&r->mu);
        free(r);
}

/* ---- WWW-Authenticate: Bearer realm="...",service="...",scope="..." ---- */

static char *challenge_param(const char *h, const char *key)
{
        size_t kn = strlen(key);
        const char *p = h;
        while (*p && !isspace((unsigned char)*p))
                p++; /* the scheme */
        while (*p) {
                while (*p == ' ' || *p == ',' || *p == '\t')
                        p++;
                const char *k = p;
                while (*p && *p != '=' && *p != ',')
                        p++;
                if (*p != '=')
                        continue;
                int match = (size_t)(p - k) == kn && strncasecmp(k, key, kn) == 0;
                p++;
                struct buf v = {0};
                buf_puts(&v, "");
                if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                if (*p == '\\' && p[1])
                                        p++;
                                buf_putc(&v, *p);
                        }
                        if (*p == '"')
                                p++;
                } else {
                        while (*p && *p != ',' && !isspace((unsigned char)*p))
                                buf_putc(&v, *p++);
                }
                if (match)
                        return buf_steal(&v);
                buf_release(&v);
        }
        return NULL;
}

/* Printable ASCII only: a realm is a URL, and it is quoted in errors, where
 * an escape sequence from the registry would reach the user's terminal. */
static char *printable_or_null(char *s)
{
        for (const char *p = s; p && *p; p++)
                if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
                        free(s);
                        return NULL;
                }
        return s;
}

/* Learns the scheme from a 401's challenge.  Called with mu held. */
static void take_challenge(struct image_registry *r, const char *h)
{
        if (!h)
                return;
        if (strncasecmp(h, "Bearer", 6) == 0) {
                r->scheme = AUTH_BEARER;
                free(r->realm);
                free(r->service);
                r->realm = printable_or_null(challenge_param(h, "realm"));
                r->service = challenge_param(h, "service");
                _cleanup_free_ char *scope = challenge_param(h, "scope");
                if (scope && !strv_contains(r->scopes, scope) && strv_length(r->scopes) < 16)
                        r->scopes = strv_append(r->scopes, scope);
        } else if (strncasecmp(h, "Basic", 5) == 0) {
                r->scheme = AUTH_BASIC;
        }
}

void image_registry_add_scope(struct image_registry *r, const char *scope)
{
        pthread_mutex_lock(&r->mu);
        if (!strv_contains(r->scopes, scope)) {
                r->scopes = strv_append(r->scopes, scope);
                free(r->token);
                r->token = NULL;
        }
        pthread_mutex_unlock(&r->mu);
}

static char *basic_header(const struct image_registry *r)
{
        size_t n = strlen(r->user) + 1 + strlen(r->password);
        _cleanup_free_ char *plain = xasprintf("%s:%s", r->user, r->password);
        _cleanup_free_ char *b64 = crypto_base64_encode(plain, n);
        explicit_bzero(plain, n);
        char *h = xasprintf("Authorization: Basic %s", b64);
        explicit_bzero(b64, strlen(b64));
        return h;
}

static void url_escape(struct buf *b, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (isalnum(c) || strchr("-._~", c))
                        buf_putc(b, (char)c);
                else
                        buf_printf(b, "%%%02X", c);
        }
}

static int token_valid(const char *t)
{
        if (!t || !*t || strlen(t) > TOKEN_MAX)
                return 0;
        for (const char *p = t; *p; p++)
                if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
                        return 0; /* a header line must stay one line */
        return 1;
}

static int token_parse(struct image_registry *r, const char *body, size_t len, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        if (jv_parse(body, len, &o, NULL) < 0 || !jv_is_object(o))
                return box_err_set(err, EPROTO,
                                   "registry '%s': the token service '%s' did not answer JSON",
                                   r->host, r->realm);
        const char *t = jv_get_str(o, "token");
        if (!t)
                t = jv_get_str(o, "access_token");
        if (!token_valid(t))
                return box_err_set(err, EPROTO,
                                   "registry '%s': the token service '%s' sent no usable token",
                                   r->host, r->realm);
        free(r->token);
        r->token = xstrdup(t);
        r->token_gen++;
        return 0;
}

/* GET realm?service=..&scope=..  Called with mu held. */
static int fetch_token(struct image_registry *r, struct box_err *err)
{
        if (!r->realm || !(startswith(r->realm, "https://") || startswith(r->realm, "http://")))
                return box_err_set(err, EPROTO,
                                   "registry '%s': its Bearer challenge names no http(s) realm",
                                   r->host);
        if (r->user && startswith(r->realm, "http://") && startswith(r->endpoint, "https://"))
                return box_err_set(err, EPERM,
                                   "registry '%s': refusing to send credentials to the plain "
                                   "HTTP token service '%s'",
                                   r->host, r->realm);
        struct buf u = {0};
        buf_puts(&u, r->realm);
        char sep = strchr(r->realm, '?') ? '&' : '?';
        if (r->service) {
                buf_printf(&u, "%cservice=", sep);
                url_escape(&u, r->service);
                sep = '&';
        }
        STRV_FOREACH (s, r->scopes) {
                buf_printf(&u, "%cscope=", sep);
                url_escape(&u, *s);
                sep = '&';
        }
        _cleanup_free_ char *url = buf_steal(&u);
        _cleanup_free_ char *auth = r->user ? basic_header(r) : NULL;
        char *headers[] = {auth, NULL};
        struct image_http_req req = {.headers = auth ? headers : NULL, .keep_status = 1};
        struct image_http *h = NULL;
        int rc = image_http_request(url, &r->http, &req, &h, err);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (rc < 0)
                return box_err_prefix(err, "registry '%s': token service", r->host);
        long st = image_http_status(h);
        if (st != 200) {
                image_http_free(h);
                return box_err_set(err, st == 401 || st == 403 ? EACCES : EIO,
                                   "registry '%s', repository '%s': the token service refused: "
                                   "HTTP %ld %s%s",
                                   r->host, r->repo, st, image_http_reason(st),
                                   r->user ? "" : " (no credentials: box login)");
        }
        _cleanup_buf_ struct buf b = {0};
        char chunk[16384];
        ssize_t n;
        while ((n = image_http_read(h, chunk, sizeof(chunk), err)) > 0 && b.len <= TOKEN_MAX)
                buf_append(&b, chunk, (size_t)n);
        image_http_free(h);
        if (n < 0)
                return (int)n;
        return token_parse(r, b.data ? b.data : "", b.len, err);
}

/* The Authorization header for the next request, or NULL; *GEN is the
 * token it carries (so a 401 renews that token only once). */
static int auth_header(struct image_registry *r, char **ret, unsigned *gen, struct box_err *err)
{
        int rc = 0;
        *ret = NULL;
        pthread_mutex_lock(&r->mu);
        if (r->scheme == AUTH_BASIC && r->user)
                *ret = basic_header(r);
        else if (r->scheme == AUTH_BEARER) {
                if (!r->token)
                        rc = fetch_token(r, err);
                if (rc >= 0)
                        *ret = xasprintf("Authorization: Bearer %s", r->token);
        }
        *gen = r->token_gen;
        pthread_mutex_unlock(&r->mu);
        return rc;
}

/* After a 401: learn its challenge, drop the token it refused. */
static void auth_refused(struct image_registry *r, struct image_http *h, unsigned gen)
{
        pthread_mutex_lock(&r->mu);
        take_challenge(r, image_http_header(h, "WWW-Authenticate"));
        if (r->token_gen == gen) {
                free(r->token);
                r->token = NULL;
        }
        pthread_mutex_unlock(&r->mu);
}

static int transient_status(long st)
{
        return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* Seconds to wait before attempt N+1, or -1: give up. */
static long backoff(struct image_http *h, int attempt)
{
        const char *ra = h ? image_http_header(h, "Retry-After") : NULL;
        if (ra) {
                char *end;
                long s = strtol(ra, &end, 10);
                if (end == ra || s < 0 || s > RETRY_AFTER_MAX)
                        return -1;
                return s;
        }
        return 1L << attempt >> 1; /* 0, 1, 2 */
}

static char *request_url(struct image_registry *r, const char *path, struct box_err *err)
{
        if (path[0] == '/')
                return xasprintf("%s/v2/%s%s", r->endpoint, r->repo, path);
        /* an absolute URL from the registry: same scheme, host and port */
        size_t n = strlen(r->endpoint);
        if (strncmp(path, r->endpoint, n) == 0 && (path[n] == '/' || path[n] == '?'))
                return xstrdup(path);
        box_err_set(err, EPERM, "registry '%s': refusing to follow it to '%s'", r->host, path);
        return NULL;
}

static int request_once(struct image_registry *r, const char *url, const char *method,
                        const struct image_http_req *req, struct image_http **ret,
                        unsigned *ret_gen, struct box_err *err)
{
        _cleanup_free_ char *auth = NULL;
        int rc = auth_header(r, &auth, ret_gen, err);
        if (rc < 0)
                return rc;
        _cleanup_strv_free_ char **headers =
                strv_copy(req && req->headers ? req->headers : (char *[]){NULL});
        if (auth)
                headers = strv_append(headers, auth);
        struct image_http_req q = req ? *req : (struct image_http_req){0};
        q.method = method;
        q.headers = headers;
        q.keep_status = 1;
        rc = image_http_request(url, &r->http, &q, ret, err);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        STRV_FOREACH (hp, headers)
                if (startswith(*hp, "Authorization:"))
                        explicit_bzero(*hp, strlen(*hp));
        return rc;
}

/* Whether H's final response came from the registry itself.  A challenge
 * from wherever a redirect led (blob storage, a CDN) is not the registry's:
 * its realm would get the registry's credentials. */
static bool from_registry(const struct image_registry *r, struct image_http *h)
{
        const char *u = image_http_final_url(h);
        size_t n = strlen(r->endpoint);
        return strncmp(u, r->endpoint, n) == 0 && (u[n] == '/' || u[n] == '\0');
}

int image_registry_request(struct image_registry *r, const char *method, const char *path,
                           const struct image_http_req *req, struct image_http **ret,
                           struct box_err *err)
{
        _cleanup_free_ char *url = request_url(r, path, err);
        if (!url)
                return -EPERM;
        int renewed = 0;
        int rewindable = !req || !req->body_read;
        for (int attempt = 0;; attempt++) {
                struct image_http *h = NULL;
                unsigned gen = 0;
                int rc = request_once(r, url, method, req, &h, &gen, err);
                if (rc < 0) {
                        if ((rc != -ECONNRESET && rc != -ETIMEDOUT) || !rewindable ||
                            attempt + 1 >= ATTEMPTS)
                                return box_err_prefix(err, "registry '%s', repository '%s'",
                                                      r->host, r->repo);
                        log_info("registry '%s': %s, retrying", r->host, err->msg);
                        sleep((unsigned)backoff(NULL, attempt + 1));
                        continue;
                }
                long st = image_http_status(h);
                if (st == 401 && !renewed && rewindable &&
                    image_http_header(h, "WWW-Authenticate") && from_registry(r, h)) {
                        int had = r->scheme != AUTH_NONE;
                        auth_refused(r, h, gen);
                        renewed = 1;
                        /* Basic without credentials cannot do better */
                        if (r->scheme == AUTH_BEARER ||
                            (r->scheme == AUTH_BASIC && r->user && !had)) {
                                image_http_free(h);
                                continue;
                        }
                }
                long wait;
                if (transient_status(st) && rewindable && attempt + 1 < ATTEMPTS &&
                    (wait = backoff(h, attempt + 1)) >= 0) {
                        log_info("registry '%s': HTTP %ld, retrying in %ld s", r->host, st, wait);
                        image_http_free(h);
                        sleep((unsigned)wait);
                        continue;
                }
                *ret = h;
                return 0;
        }
}

/* {"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]} -> "MANIFEST_UNKNOWN: ..." */
static char *registry_error_of(const char *body, size_t len)
{
        _cleanup_jv_ struct jv *o = NULL;
        if (jv_parse(body, len, &o, NULL) < 0)
                return NULL;
        struct jv *e = jv_at(jv_get(o, "errors"), 0);
        const char *code = jv_get_str(e, "code"), *msg = jv_get_str(e, "message");
        if (!code)
                return NULL;
        struct buf b = {0};
        for (const char *p = code; *p && b.len < 64; p++)
                buf_putc(&b, isprint((unsigned char)*p) ? *p : '?');
        if (msg) {
                buf_puts(&b, ": ");
                for (const char *p = msg; *p && b.len < 300; p++)
                        buf_putc(&b, isprint((unsigned char)*p) ? *p : '?');
        }
        return buf_steal(&b);
}

int image_registry_status_error(struct image_registry *r, struct image_http *h, const char *what,
                                struct box_err *err)
{
        long st = image_http_status(h);
        _cleanup_buf_ struct buf b = {0};
        char chunk[16384];
        ssize_t n;
        while (b.len < ERROR_BODY_MAX && (n = image_http_read(h, chunk, sizeof(chunk), NULL)) > 0)
                buf_append(&b, chunk, (size_t)n);
        const char *ct = image_http_header(h, "Content-Type");
        _cleanup_free_ char *detail = b.len ? registry_error_of(b.data, b.len) : NULL;
        if (!detail && ct && strncasecmp(ct, "text/html", 9) == 0)
                detail = xstrdup("it answered with an HTML page, not the registry API");
        const char *ra = image_http_header(h, "Retry-After");
        _cleanup_free_ char *retry = st == 429 && ra && strspn(ra, "0123456789") == strlen(ra)
                                             ? xasprintf(", retry after %.20s s", ra)
                                             : xstrdup("");
        int code = st == 404 ? ENOENT : st == 401 || st == 403 ? EACCES : EIO;
        if (st == 401 && !r->user && !detail)
                detail = xstrdup("no credentials: box login");
        return box_err_set(err, code, "registry '%s', repository '%s': %s: HTTP %ld %s%s%s%s%s",
                           r->host, r->repo, what, st, image_http_reason(st), detail ? " (" : "",
                           detail ? detail : "", detail ? ")" : "", retry);
}

/* ---- opening: the configuration, credentials, and a ping of /v2/ ---- */

static int ping(struct image_registry *r, const char *scheme, const char *loc, struct box_err *err)
{
        free(r->endpoint);
        r->endpoint = xasprintf("%s://%s", scheme, loc);
        _cleanup_free_ char *url = xasprintf("%s/v2/", r->endpoint);
        struct image_http_req req = {.keep_status = 1};
        struct image_http *h = NULL;
        int rc = image_http_request(url, &r->http, &req, &h, err);
        if (rc < 0)
                return box_err_prefix(err, "registry '%s'", r->host);
        long st = image_http_status(h);
        if (st == 401) {
                take_challenge(r, image_http_header(h, "WWW-Authenticate"));
        } else if (st != 200) {
                rc = image_registry_status_error(r, h, "GET /v2/", err);
                image_http_free(h);
                return rc;
        }
        image_http_free(h);
        return 0;
}

/* https first; plain http only for an insecure registry (Docker's order) */
static int ping_any(struct image_registry *r, const char *loc, struct box_err *err)
{
        int rc = ping(r, "https", loc, err);
        if (rc < 0 && r->http.insecure && (rc == -EPROTO || rc == -ECONNRESET || rc == -EIO)) {
                log_debug("registry '%s': %s; trying plain HTTP", r->host, err->msg);
                rc = ping(r, "http", loc, err);
        }
        return rc;
}

static int connect_endpoint(struct image_registry *r, int push, struct box_err *err)
{
        if (!push)
                STRV_FOREACH (m, r->conf.mirrors) {
                        struct box_err e = {0};
                        /* a mirror is trusted as its own entry says */
                        image_registry_conf_release(&r->mirror);
                        if (image_registry_conf_get(*m, &r->mirror, &e) < 0)
                                continue;
                        r->http.insecure = r->conf.insecure || r->mirror.insecure;
                        r->http.ca_file = r->mirror.ca_file ? r->mirror.ca_file : r->conf.ca_file;
                        if (ping_any(r, *m, &e) >= 0) {
                                log_debug("registry '%s': using the mirror '%s'", r->host, *m);
                                return 0;
                        }
                        log_info("registry '%s': mirror '%s': %s, skipping it", r->host, *m, e.msg);
                }
        r->http.insecure = r->conf.insecure;
        r->http.ca_file = r->conf.ca_file;
        return ping_any(r, r->conf.location, err);
}

int image_registry_open(const char *host, const char *repo, const struct image_registry_opts *opts,
                        struct image_registry **ret, struct box_err *err)
{
        _cleanup_registry_ struct image_registry *r = xnew0(struct image_registry, 1);
        pthread_mutex_init(&r->mu, NULL);
        r->host = xstrdup(host);
        r->repo = xstrdup(repo);
        int rc = image_registry_conf_get(host, &r->conf, err);
        if (rc < 0)
                return rc;
        if (opts->tls_verify_off)
                r->conf.insecure = 1;
        struct store_limits lim;
        store_limits_get(&lim);
        r->http = (struct image_http_opts){
                .insecure = r->conf.insecure,
                .stall_seconds = opts->stall_seconds,
                .min_speed = lim.download_min_speed == UINT64_MAX ? 1 : lim.download_min_speed,
                .max_size = lim.download_size == UINT64_MAX ? 0 : lim.download_size,
                /* each request within BOX_PULL_DEADLINE */
                .timeout_ms = lim.download_deadline < (uint64_t)LONG_MAX / 1000
                                      ? (long)lim.download_deadline * 1000
                                      : 0,
                .ca_file = r->conf.ca_file,
        };
        if (opts->user) {
                r->user = xstrdup(opts->user);
                r->password = xstrdup(opts->password ? opts->password : "");
        } else {
                rc = image_registry_auth_get(host, &r->user, &r->password, err);
                if (rc < 0)
                        return rc;
        }
        _cleanup_free_ char *scope =
                xasprintf("repository:%s:%s", repo, opts->push ? "pull,push" : "pull");
        r->scopes = strv_append(NULL, scope);
        rc = connect_endpoint(r, opts->push, err);
        if (rc < 0)
                return rc;
        *ret = TAKE_PTR(r);
        return 0;
}

int image_registry_check_login(struct image_registry *r, struct box_err *err)
{
        struct image_http *h = NULL;
        _cleanup_free_ char *url = xasprintf("%s/v2/", r->endpoint);
        if (r->scheme == AUTH_NONE)
                return 0; /* it asks for nothing: any credentials do */
        _cleanup_free_ char *auth = NULL;
        unsigned gen;
        int rc = auth_header(r, &auth, &gen, err);
        if (rc < 0)
                return rc;
        char *headers[] = {auth, NULL};
        struct image_http_req req = {.headers = auth ? headers : NULL, .keep_status = 1};
        rc = image_http_request(url, &r->http, &req, &h, err);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (rc < 0)
                return box_err_prefix(err, "registry '%s'", r->host);
        long st = image_http_status(h);
        if (st != 200)
                rc = image_registry_status_error(r, h, "login", err);
        image_http_free(h);
        return rc;
}

/* ---- manifests ---- */

static int media_type_ok(const char *mt)
{
        return streq(mt, OCI_MEDIA_MANIFEST) || streq(mt, OCI_MEDIA_INDEX) ||
               streq(mt, DOCKER_MEDIA_MANIFEST) || streq(mt, DOCKER_MEDIA_MANIFEST_LIST);
}

static int read_capped(struct image_registry *r, struct image_http *h, const char *what, char **ret,
                       size_t *ret_len, struct box_err *err)
{
        struct store_limits lim;
        store_limits_get(&lim);
        _cleanup_buf_ struct buf b = {0};
        char chunk[65536];
        for (;;) {
                ssize_t n = image_http_read(h, chunk, sizeof(chunk), err);
                if (n < 0)
                        return box_err_prefix(err, "registry '%s', repository '%s'", r->host,
                                              r->repo);
                if (n == 0)
                        break;
                if (b.len + (size_t)n > lim.json_size)
                        return box_err_set(err, EFBIG,
                                           "registry '%s', repository '%s': %s is larger than "
                                           "%llu bytes (BOX_MAX_JSON_SIZE)",
                                           r->host, r->repo, what,
                                           (unsigned long long)lim.json_size);
                buf_append(&b, chunk, (size_t)n);
        }
        *ret_len = b.len;
        *ret = b.data ? buf_steal(&b) : xstrdup("");
        return 0;
}

/* A tag as the distribution spec has it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
                        return false;
        return true;
}

/* The next page's URL from a Link header ('<URL>; rel="next"'), as an
 * absolute URL of the registry or a path below its /v2/ (NULL: none). */
static char *next_page(struct image_registry *r, const char *link)
{
        const char *lt = link ? strchr(link, '<') : NULL;
        const char *gt = lt ? strchr(lt, '>') : NULL;
        if (!gt || !strstr(gt, "rel=\"next\""))
                return NULL;
        _cleanup_free_ char *u = xstrndup(lt + 1, (size_t)(gt - lt - 1));
        if (u[0] == '/')
                return xasprintf("%s%s", r->endpoint, u);
        return TAKE_PTR(u);
}

int image_registry_tags(struct image_registry *r, char ***ret, struct box_err *err)
{
        _cleanup_strv_free_ char **tags = xnew0(char *, 1);
        _cleanup_free_ char *path = xstrdup("/tags/list");
        char *headers[] = {"Accept: application/json", NULL};
        struct image_http_req req = {.headers = headers};
        size_t n = 0;
        /* a registry that links pages forever is cut off */
        for (int page = 0; path; page++) {
                if (page == 1000)
                        return box_err_set(err, E2BIG,
                                           "registry '%s', repository '%s': more than 1000 "
                                           "pages of tags",
                                           r->host, r->repo);
                struct image_http *h = NULL;
                int rc = image_registry_request(r, "GET", path, &req, &h, err);
                if (rc < 0)
                        return rc;
                if (image_http_status(h) != 200) {
                        rc = image_registry_status_error(r, h, "the list of tags", err);
                        image_http_free(h);
                        return rc;
                }
                free(path);
                path = next_page(r, image_http_header(h, "Link"));
                _cleanup_free_ char *buf = NULL;
                size_t len;
                rc = read_capped(r, h, "the list of tags", &buf, &len, err);
                image_http_free(h);
                if (rc < 0)
                        return rc;
                _cleanup_jv_ struct jv *o = NULL;
                struct jv *list;
                if (jv_parse(buf, len, &o, NULL) < 0 || !jv_is_object(o) ||
                    (!jv_is_array(list = jv_get(o, "tags")) && !jv_is_null(list)))
                        return box_err_set(err, EPROTO,
                                           "registry '%s', repository '%s': the list of tags is "
                                           "not the distribution API's JSON",
                                           r->host, r->repo);
                for (size_t i = 0; i < jv_len(list); i++) {
                        const char *t = jv_str(jv_at(list, i));
                        if (!t || !tag_valid(t))
                                return box_err_set(err, EPROTO,
                                                   "registry '%s', repository '%s': the list of "
                                                   "tags holds a name that is not a tag",
                                                   r->host, r->repo);
                        if (n == 100000)
                                return box_err_set(err, E2BIG,
                                                   "registry '%s', repository '%s': more than "
                                                   "100000 tags",
                                                   r->host, r->repo);
                        tags = strv_push_at(tags, n++, xstrdup(t));
                }
        }
        *ret = TAKE_PTR(tags);
        return 0;
}

int image_registry_get_manifest(struct image_registry *r, const char *reference, char **ret,
                                size_t *ret_len, char **ret_media_type, digest_str ret_digest,
                                struct box_err *err)
{
        _cleanup_free_ char *path = xasprintf("/manifests/%s", reference);
        _cleanup_free_ char *what = xasprintf("manifest '%s'", reference);
        char *headers[] = {REGISTRY_ACCEPT_MANIFESTS, NULL};
        struct image_http_req req = {.headers = headers};
        struct image_http *h = NULL;
        int rc = image_registry_request(r, "GET", path, &req, &h, err);
        if (rc < 0)
                return rc;
        if (image_http_status(h) != 200) {
                rc = image_registry_status_error(r, h, what, err);
                image_http_free(h);
                return rc;
        }
        _cleanup_free_ char *buf = NULL;
        size_t len;
        rc = read_capped(r, h, what, &buf, &len, err);
        image_http_free(h);
        if (rc < 0)
                return rc;
        _cleanup_jv_ struct jv *o = NULL;
        if (jv_parse(buf, len, &o, NULL) < 0 || !jv_is_object(o))
                return box_err_set(err, EPROTO,
                                   "registry '%s', repository '%s': %s is not JSON (HTTP 200)",
                                   r->host, r->repo, what);
        const char *mt = jv_get_str(o, "mediaType");
        if (jv_int_value(jv_get(o, "schemaVersion")) == 1)
                return box_err_set(err, ENOTSUP,
                                   "registry '%s', repository '%s': %s is a Docker schema 1 "
                                   "manifest, which box does not read",
                                   r->host, r->repo, what);
        if (!mt) /* OCI allows leaving it out: tell by content */
                mt = jv_get(o, "manifests") ? OCI_MEDIA_INDEX : OCI_MEDIA_MANIFEST;
        if (!media_type_ok(mt))
                return box_err_set(err, ENOTSUP,
                                   "registry '%s', repository '%s': %s has the unknown media "
                                   "type '%.100s'",
                                   r->host, r->repo, what, mt);
        digest_str d;
        sha256_buf(buf, len, d);
        if (startswith(reference, "sha256:") && !streq(d, reference))
                return box_err_set(err, EBADMSG,
                                   "registry '%s', repository '%s': %s: digest mismatch: got %s",
                                   r->host, r->repo, what, d);
        *ret_media_type = xstrdup(mt);
        memcpy(ret_digest, d, sizeof(digest_str));
        *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

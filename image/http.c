/* libcurl behind image/http.h.  A multi handle drives one easy handle; the
 * write callback appends what arrives to a buffer that image_http_read()
 * drains, calling curl_multi_perform()/curl_multi_poll() only when it is
 * empty.  So the socket is read as fast as the consumer takes the bytes,
 * and at most a few of curl's buffers are ever held. */
#include "image/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <strings.h>

#include "lib/xalloc.h"

#define HEADERS_MAX 100  /* response headers kept */
#define HEADER_MAX  8192 /* bytes of one */

/* libcurl is loaded when the first download starts, not when box starts:
 * with its TLS, Kerberos, LDAP and IDN dependencies it would add tens of
 * milliseconds to every `box run`, which never downloads anything. */
static struct {
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_add_handle)(CURLM *, CURL *);
        CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
        CURLMcode (*multi_perform)(CURLM *, int *);
        CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
        CURLMsg *(*multi_info_read)(CURLM *, int *);
        CURLMcode (*multi_cleanup)(CURLM *);
        const char *(*multi_strerror)(CURLMcode);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
} curl_fn;

static int curl_load_locked(struct box_err *err)
{
        static int loaded;
        if (loaded)
                return 0;
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return box_err_set(err, ENOSYS, "load libcurl: %s (apt-get install libcurl4)",
                                   dlerror());
        struct {
                const char *name;
                void **slot;
        } syms[] = {
                {"curl_global_init", (void **)&curl_fn.global_init},
                {"curl_easy_init", (void **)&curl_fn.easy_init},
                {"curl_easy_setopt", (void **)&curl_fn.easy_setopt},
                {"curl_easy_getinfo", (void **)&curl_fn.easy_getinfo},
                {"curl_easy_cleanup", (void **)&curl_fn.easy_cleanup},
                {"curl_easy_strerror", (void **)&curl_fn.easy_strerror},
                {"curl_multi_init", (void **)&curl_fn.multi_init},
                {"curl_multi_add_handle", (void **)&curl_fn.multi_add_handle},
                {"curl_multi_remove_handle", (void **)&curl_fn.multi_remove_handle},
                {"curl_multi_perform", (void **)&curl_fn.multi_perform},
                {"curl_multi_poll", (void **)&curl_fn.multi_poll},
                {"curl_multi_info_read", (void **)&curl_fn.multi_info_read},
                {"curl_multi_cleanup", (void **)&curl_fn.multi_cleanup},
                {"curl_multi_strerror", (void **)&curl_fn.multi_strerror},
                {"curl_slist_append", (void **)&curl_fn.slist_append},
                {"curl_slist_free_all", (void **)&curl_fn.slist_free_all},
        };
        for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
                *syms[i].slot = dlsym(h, syms[i].name);
                if (!*syms[i].slot)
                        return box_err_set(err, ENOSYS, "load libcurl: no symbol '%s'",
                                           syms[i].name);
        }
        curl_fn.global_init(CURL_GLOBAL_DEFAULT);
        loaded = 1;
        return 0;
}

/* Layers download on several threads: the first to start loads libcurl. */
static int curl_load(struct box_err *err)
{
        static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&mu);
        int r = curl_load_locked(err);
        pthread_mutex_unlock(&mu);
        return r;
}

/* curl.h declares these as functions (some as macros over them): call
 * through the table instead. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_poll
#define curl_easy_init           curl_fn.easy_init
#define curl_easy_setopt         curl_fn.easy_setopt
#define curl_easy_getinfo        curl_fn.easy_getinfo
#define curl_easy_cleanup        curl_fn.easy_cleanup
#define curl_easy_strerror       curl_fn.easy_strerror
#define curl_multi_init          curl_fn.multi_init
#define curl_multi_add_handle    curl_fn.multi_add_handle
#define curl_multi_remove_handle curl_fn.multi_remove_handle
#define curl_multi_perform       curl_fn.multi_perform
#define curl_multi_poll          curl_fn.multi_poll
#define curl_multi_info_read     curl_fn.multi_info_read
#define curl_multi_cleanup       curl_fn.multi_cleanup
#define curl_multi_strerror      curl_fn.multi_strerror
#define curl_slist_append        curl_fn.slist_append

struct image_http {
        CURL *easy;
        CURLM *multi;
        struct curl_slist *req_headers;
        char *url;
        const char *method;
        char *buf;
        size_t len, off, cap;
        uint64_t received, max_size;
        long status;
        int done, too_big, keep_status;
        CURLcode result;
        char errbuf[CURL_ERROR_SIZE];
        char **headers; /* the last response's, "name: value" */
        size_t n_headers;
        const struct image_http_req *req; /* for the upload callback */
        struct box_err body_err;
        int body_failed;
};

const char *image_http_reason(long code)
{
        switch (code) {
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 408:
                return "Request Timeout";
        case 410:
                return "Gone";
        case 416:
                return "Range Not Satisfiable";
        case 429:
                return "Too Many Requests";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 502:
                return "Bad Gateway";
        case 503:
                return "Service Unavailable";
        case 504:
                return "Gateway Timeout";
        default:
                return "";
        }
}

/* Keeps the headers of the last response only: a redirect's or a 100
 * Continue's are dropped when the next status line arrives. */
static size_t header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
        struct image_http *h = ud;
        size_t n = size * nmemb;
        if (n >= 5 && strneq(p, "HTTP/", 5)) {
                for (size_t i = 0; i < h->n_headers; i++)
                        free(h->headers[i]);
                h->n_headers = 0;
                return n;
        }
        if (h->n_headers >= HEADERS_MAX || n > HEADER_MAX)
                return n;
        while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
                n--;
        if (n == 0 || !memchr(p, ':', n))
                return size * nmemb;
        h->headers = xreallocarray(h->headers, h->n_headers + 1, sizeof(char *));
        h->headers[h->n_headers++] = xstrndup(p, n);
        return size * nmemb;
}

static size_t read_cb(char *p, size_t size, size_t nmemb, void *ud)
{
        struct image_http *h = ud;
        ssize_t r = h->req->body_read(h->req->body_userdata, p, size * nmemb, &h->body_err);
        if (r < 0) {
                h->body_failed = 1;
                return CURL_READFUNC_ABORT;
        }
        return (size_t)r;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
        struct image_http *h = ud;
        size_t n = size * nmemb;
        if (!h->status) {
                curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
                if (h->status >= 400 && !h->keep_status)
                        return 0; /* stop: an error page is not the body we want */
        }
        if (h->max_size && h->received + n > h->max_size) {
                h->too_big = 1;
                return 0; /* stop: CURLE_WRITE_ERROR */
        }
        if (h->off == h->len)
                h->off = h->len = 0;
        if (h->len + n > h->cap) {
                h->cap = (h->len + n) * 2;
                h->buf = xrealloc(h->buf, h->cap);
        }
        memcpy(h->buf + h->len, p, n);
        h->len += n;
        h->received += n;
        return n;
}

static int tls_failure(CURLcode c)
{
        return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CONNECT_ERROR ||
               c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_CACERT_BADFILE;
}

/* A transfer cut short by the network: worth another try. */
static int connection_failure(CURLcode c)
{
        return c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
               c == CURLE_GOT_NOTHING || c == CURLE_COULDNT_CONNECT || c == CURLE_HTTP2_STREAM ||
               c == CURLE_HTTP2;
}

static int http_error(struct image_http *h, struct box_err *err)
{
        const char *m = h->method;
        if (!h->status)
                curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
        if (h->body_failed) {
                if (err)
                        *err = h->body_err;
                return box_err_prefix(err, "%s '%s'", m, h->url);
        }
        if (h->status >= 400 && !h->keep_status) {
                int code = h->status == 404 || h->status == 410 ? ENOENT : EIO;
                return box_err_set(err, code, "%s '%s': HTTP %ld %s", m, h->url, h->status,
                                   image_http_reason(h->status));
        }
        if (h->too_big || h->result == CURLE_FILESIZE_EXCEEDED)
                return box_err_set(
                        err, EFBIG,
                        "%s '%s': the body is larger than %llu bytes (BOX_PULL_MAX_SIZE)", m,
                        h->url, (unsigned long long)h->max_size);
        if (h->result == CURLE_UNSUPPORTED_PROTOCOL)
                return box_err_set(err, EPROTONOSUPPORT,
                                   "%s '%s': refused a redirect to another protocol (from https "
                                   "only to https, else only http and https): %s",
                                   m, h->url, h->errbuf[0] ? h->errbuf : "unsupported protocol");
        const char *msg = h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->result);
        int code = h->result == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
                   : tls_failure(h->result)              ? EPROTO
                   : connection_failure(h->result)       ? ECONNRESET
                                                         : EIO;
        /* curl capitalises its messages; ours are lowercase */
        int c0 = tolower((unsigned char)msg[0]);
        if (h->status)
                return box_err_set(err, code, "%s '%s' (HTTP %ld): %c%s", m, h->url, h->status, c0,
                                   msg + 1);
        return box_err_set(err, code, "%s '%s': %c%s", m, h->url, c0, msg + 1);
}

/* Runs the transfer until there are body bytes to hand out or it ends. */
static int pump(struct image_http *h, struct box_err *err)
{
        while (h->off == h->len && !h->done) {
                int running = 0;
                CURLMcode mc = curl_multi_perform(h->multi, &running);
                if (mc != CURLM_OK)
                        return box_err_set(err, EIO, "%s '%s': %s", h->method, h->url,
                                           curl_multi_strerror(mc));
                CURLMsg *m;
                int left;
                while ((m = curl_multi_info_read(h->multi, &left)))
                        if (m->msg == CURLMSG_DONE) {
                                h->done = 1;
                                h->result = m->data.result;
                        }
                if (h->off < h->len || h->done)
                        break;
                mc = curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
                if (mc != CURLM_OK)
                        return box_err_set(err, EIO, "%s '%s': %s", h->method, h->url,
                                           curl_multi_strerror(mc));
        }
        if (h->off == h->len && h->done) {
                if (h->result != CURLE_OK || (h->status >= 400 && !h->keep_status))
                        return http_error(h, err);
                if (!h->status)
                        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
                if (h->status >= 400 && !h->keep_status)
                        return http_error(h, err);
        }
        return 0;
}

static void set_method(struct image_http *h, const struct image_http_req *req)
{
        const char *m = h->method;
        if (streq(m, "HEAD")) {
                curl_easy_setopt(h->easy, CURLOPT_NOBODY, 1L);
        } else if (req->body_read) {
                /* UPLOAD is a PUT; PATCH and POST only rename it */
                curl_easy_setopt(h->easy, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(h->easy, CURLOPT_READFUNCTION, read_cb);
                curl_easy_setopt(h->easy, CURLOPT_READDATA, h);
                if (req->body_size >= 0)
                        curl_easy_setopt(h->easy, CURLOPT_INFILESIZE_LARGE,
                                         (curl_off_t)req->body_size);
                if (!streq(m, "PUT"))
                        curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, m);
        } else if (!streq(m, "GET")) {
                curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
                curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
                if (!streq(m, "POST"))
                        curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, m);
        }
        for (char *const *p = req->headers; p && *p; p++)
                h->req_headers = curl_slist_append(h->req_headers, *p);
        /* no "Expect: 100-continue" round trip before each upload */
        if (!streq(m, "GET") && !streq(m, "HEAD"))
                h->req_headers = curl_slist_append(h->req_headers, "Expect:");
        if (h->req_headers)
                curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->req_headers);
        if (req->range_from > 0) {
                char range[48];
                snprintf(range, sizeof(range), "%llu-", (unsigned long long)req->range_from);
                curl_easy_setopt(h->easy, CURLOPT_RANGE, range);
        }
}

static void set_transfer_opts(struct image_http *h, const struct image_http_opts *opts)
{
        long stall = opts && opts->stall_seconds > 0 ? opts->stall_seconds : 30;
        long min_speed = opts && opts->min_speed > 0
                                 ? (long)(opts->min_speed > LONG_MAX ? LONG_MAX : opts->min_speed)
                                 : 1;
        curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT, stall);
        curl_easy_setopt(h->easy, CURLOPT_LOW_SPEED_LIMIT, min_speed);
        curl_easy_setopt(h->easy, CURLOPT_LOW_SPEED_TIME, stall);
        if (h->max_size && h->max_size <= INT64_MAX)
                curl_easy_setopt(h->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_size);
        if (opts && opts->timeout_ms > 0)
                curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
        curl_easy_setopt(h->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
        curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
        if (opts && opts->insecure) {
                curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        /* a private CA adds to the system's roots */
        if (opts && opts->ca_file) {
                curl_easy_setopt(h->easy, CURLOPT_CAINFO, opts->ca_file);
                curl_easy_setopt(h->easy, CURLOPT_CAPATH, "/etc/ssl/certs");
        }
}

int image_http_request(const char *url, const struct image_http_opts *opts,
                       const struct image_http_req *req, struct image_http **ret,
                       struct box_err *err)
{
        static const struct image_http_req get = {0};
        int lr = curl_load(err);
        if (lr < 0)
                return lr;
        if (!req)
                req = &get;
        _cleanup_http_ struct image_http *h = xnew0(struct image_http, 1);
        h->url = xstrdup(url);
        h->method = req->method ? req->method : "GET";
        h->req = req;
        h->keep_status = req->keep_status;
        h->max_size = opts ? opts->max_size : 0;
        h->easy = curl_easy_init();
        h->multi = curl_multi_init();
        if (!h->easy || !h->multi)
                return box_err_set(err, ENOMEM, "%s '%s': cannot start libcurl", h->method, url);
        curl_easy_setopt(h->easy, CURLOPT_URL, url);
        curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        /* what TLS protects is not given away by a redirect to http */
        curl_easy_setopt(h->easy, CURLOPT_REDIR_PROTOCOLS_STR,
                         strncasecmp(url, "https:", 6) == 0 ? "https" : "http,https");
        curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, req->no_redirect ? 0L : 1L);
        curl_easy_setopt(h->easy, CURLOPT_MAXREDIRS, 10L);
        /* credentials stay with the host they were given for */
        curl_easy_setopt(h->easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
        curl_easy_setopt(h->easy, CURLOPT_USERAGENT, "box");
        curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
        curl_easy_setopt(h->easy, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(h->easy, CURLOPT_HEADERDATA, h);
        curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
        set_transfer_opts(h, opts);
        set_method(h, req);
        curl_multi_add_handle(h->multi, h->easy);
        int r = pump(h, err);
        if (r < 0)
                return r;
        if (!h->status)
                curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
        *ret = TAKE_PTR(h);
        return 0;
}

int image_http_get(const char *url, const struct image_http_opts *opts, struct image_http **ret,
                   struct box_err *err)
{
        return image_http_request(url, opts, NULL, ret, err);
}

long image_http_status(const struct image_http *h)
{
        return h->status;
}

const char *image_http_header(const struct image_http *h, const char *name)
{
        size_t n = strlen(name);
        for (size_t i = 0; i < h->n_headers; i++) {
                const char *p = h->headers[i];
                if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
                        p += n + 1;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        return p;
                }
        }
        return NULL;
}

char *image_http_redirect(const struct image_http *h)
{
        char *u = NULL;
        if (curl_easy_getinfo(h->easy, CURLINFO_REDIRECT_URL, &u) != CURLE_OK || !u)
                return NULL;
        return xstrdup(u);
}

ssize_t image_http_read(struct image_http *h, void *buf, size_t n, struct box_err *err)
{
        int r = pump(h, err);
        if (r < 0)
                return r;
        size_t k = h->len - h->off;
        if (k > n)
                k = n;
        if (k) /* an empty body has no buffer: memcpy from NULL is undefined */
                memcpy(buf, h->buf + h->off, k);
        h->off += k;
        return (ssize_t)k;
}

int64_t image_http_length(struct image_http *h)
{
        curl_off_t len = -1;
        if (curl_easy_getinfo(h->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK)
                return -1;
        return len;
}

uint64_t image_http_received(const struct image_http *h)
{
        return h->received;
}

const char *image_http_url(const struct image_http *h)
{
        return h->url;
}

const char *image_http_final_url(const struct image_http *h)
{
        char *u = NULL;
        if (curl_easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL, &u) != CURLE_OK || !u)
                return h->url;
        return u;
}

void image_http_free(struct image_http *h)
{
        if (!h)
                return;
        if (h->multi && h->easy)
                curl_multi_remove_handle(h->multi, h->easy);
        if (h->easy)
                curl_easy_cleanup(h->easy);
        if (h->multi)
                curl_multi_cleanup(h->multi);
        if (h->req_headers)
                curl_fn.slist_free_all(h->req_headers);
        for (size_t i = 0; i < h->n_headers; i++)
                free(h->headers[i]);
        free(h->headers);
        free(h->buf);
        free(h->url);
        free(h);
}

int image_http_get_small(const char *url, const struct image_http_opts *opts, size_t max,
                         char **ret, size_t *ret_len, struct box_err *err)
{
        _cleanup_http_ struct image_http *h = NULL;
        int r = image_http_get(url, opts, &h, err);
        if (r < 0)
                return r;
        _cleanup_buf_ struct buf b = {0};
        char chunk[65536];
        for (;;) {
                ssize_t n = image_http_read(h, chunk, sizeof(chunk), err);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                if (n == 0)
                        break;
                if (b.len + (size_t)n > max) {
                        r = box_err_set(err, EFBIG, "GET '%s': larger than %zu bytes", url, max);
                        break;
                }
                buf_append(&b, chunk, (size_t)n);
        }
        if (r < 0)
                return r;
        if (ret_len)
                *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

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
#include <strings.h>

#include "lib/xalloc.h"

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
} curl_fn;

static int curl_load(struct box_err *err)
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

struct image_http {
        CURL *easy;
        CURLM *multi;
        char *url;
        char *buf;
        size_t len, off, cap;
        uint64_t received, max_size;
        long status;
        int done, too_big;
        CURLcode result;
        char errbuf[CURL_ERROR_SIZE];
};

static const char *reason(long code)
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

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
        struct image_http *h = ud;
        size_t n = size * nmemb;
        if (!h->status) {
                curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
                if (h->status >= 400)
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

static int http_error(struct image_http *h, struct box_err *err)
{
        if (!h->status)
                curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
        if (h->status >= 400) {
                int code = h->status == 404 || h->status == 410 ? ENOENT : EIO;
                return box_err_set(err, code, "GET '%s': HTTP %ld %s", h->url, h->status,
                                   reason(h->status));
        }
        if (h->too_big || h->result == CURLE_FILESIZE_EXCEEDED)
                return box_err_set(
                        err, EFBIG,
                        "GET '%s': the body is larger than %llu bytes (BOX_PULL_MAX_SIZE)", h->url,
                        (unsigned long long)h->max_size);
        if (h->result == CURLE_UNSUPPORTED_PROTOCOL)
                return box_err_set(err, EPROTONOSUPPORT,
                                   "GET '%s': refused a redirect to another protocol (from https "
                                   "only to https, else only http and https): %s",
                                   h->url, h->errbuf[0] ? h->errbuf : "unsupported protocol");
        const char *msg = h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->result);
        int code = h->result == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO;
        /* curl capitalises its messages; ours are lowercase */
        int c0 = tolower((unsigned char)msg[0]);
        if (h->status)
                return box_err_set(err, code, "GET '%s' (HTTP %ld): %c%s", h->url, h->status, c0,
                                   msg + 1);
        return box_err_set(err, code, "GET '%s': %c%s", h->url, c0, msg + 1);
}

/* Runs the transfer until there are body bytes to hand out or it ends. */
static int pump(struct image_http *h, struct box_err *err)
{
        while (h->off == h->len && !h->done) {
                int running = 0;
                CURLMcode mc = curl_multi_perform(h->multi, &running);
                if (mc != CURLM_OK)
                        return box_err_set(err, EIO, "GET '%s': %s", h->url,
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
                        return box_err_set(err, EIO, "GET '%s': %s", h->url,
                                           curl_multi_strerror(mc));
        }
        if (h->off == h->len && h->done) {
                if (h->result != CURLE_OK || h->status >= 400)
                        return http_error(h, err);
                if (!h->status)
                        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
                if (h->status >= 400)
                        return http_error(h, err);
        }
        return 0;
}

int image_http_get(const char *url, const struct image_http_opts *opts, struct image_http **ret,
                   struct box_err *err)
{
        int lr = curl_load(err);
        if (lr < 0)
                return lr;
        _cleanup_http_ struct image_http *h = xnew0(struct image_http, 1);
        long stall = opts && opts->stall_seconds > 0 ? opts->stall_seconds : 30;
        long min_speed = opts && opts->min_speed > 0
                                 ? (long)(opts->min_speed > LONG_MAX ? LONG_MAX : opts->min_speed)
                                 : 1;
        h->url = xstrdup(url);
        h->max_size = opts ? opts->max_size : 0;
        h->easy = curl_easy_init();
        h->multi = curl_multi_init();
        if (!h->easy || !h->multi)
                return box_err_set(err, ENOMEM, "GET '%s': cannot start libcurl", url);
        curl_easy_setopt(h->easy, CURLOPT_URL, url);
        curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        /* what TLS protects is not given away by a redirect to http */
        curl_easy_setopt(h->easy, CURLOPT_REDIR_PROTOCOLS_STR,
                         strncasecmp(url, "https:", 6) == 0 ? "https" : "http,https");
        curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h->easy, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h->easy, CURLOPT_USERAGENT, "box");
        curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
        curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
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
        curl_multi_add_handle(h->multi, h->easy);
        int r = pump(h, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

ssize_t image_http_read(struct image_http *h, void *buf, size_t n, struct box_err *err)
{
        int r = pump(h, err);
        if (r < 0)
                return r;
        size_t k = h->len - h->off;
        if (k > n)
                k = n;
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

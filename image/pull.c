/* box pull URL: HTTP downloads fed to the loader (see pull.h). */
#include "image/pull.h"

#include <time.h>

#include "image/http.h"
#include "lib/xalloc.h"

int image_pull_is_url(const char *s)
{
        return startswith(s, "http://") || startswith(s, "https://");
}

struct download {
        struct image_http *h;
        const struct image_pull_opts *opts;
        struct timespec last;
        int finished;
};

/* What every download of one pull shares: the caps, and the deadline of
 * the whole pull (BOX_PULL_DEADLINE) against the monotonic clock. */
struct pull {
        const struct image_pull_opts *opts;
        struct store_limits limits;
        struct timespec deadline;
        int has_deadline;
};

static void pull_init(struct pull *pl, const struct image_pull_opts *opts)
{
        memset(pl, 0, sizeof(*pl));
        pl->opts = opts;
        store_limits_get(&pl->limits);
        if (pl->limits.download_deadline != UINT64_MAX &&
            pl->limits.download_deadline < (uint64_t)INT32_MAX) {
                clock_gettime(CLOCK_MONOTONIC, &pl->deadline);
                pl->deadline.tv_sec += (time_t)pl->limits.download_deadline;
                pl->has_deadline = 1;
        }
}

/* The options of the next download: what is left of the deadline. */
static int pull_http_opts(const struct pull *pl, struct image_http_opts *ret, const char *url,
                          struct box_err *err)
{
        *ret = (struct image_http_opts){
                .insecure = pl->opts->insecure,
                .stall_seconds = pl->opts->stall_seconds,
                .min_speed = pl->limits.download_min_speed == UINT64_MAX
                                     ? 1
                                     : pl->limits.download_min_speed,
                .max_size = pl->limits.download_size == UINT64_MAX ? 0 : pl->limits.download_size,
        };
        if (pl->has_deadline) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long left = (long)(pl->deadline.tv_sec - now.tv_sec) * 1000 +
                            (pl->deadline.tv_nsec - now.tv_nsec) / 1000000;
                if (left <= 0)
                        return box_err_set(err, ETIMEDOUT,
                                           "GET '%s': the pull took longer than %llu s "
                                           "(BOX_PULL_DEADLINE)",
                                           url, (unsigned long long)pl->limits.download_deadline);
                ret->timeout_ms = left;
        }
        return 0;
}

static void report(struct download *d, int finished)
{
        if (!d->opts->progress || d->finished)
                return;
        d->finished = finished;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - d->last.tv_sec) * 1000 + (now.tv_nsec - d->last.tv_nsec) / 1000000;
        if (!finished && ms < 200)
                return;
        d->last = now;
        d->opts->progress(d->opts->userdata, image_http_url(d->h), image_http_received(d->h),
                          image_http_length(d->h), finished);
}

static ssize_t download_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        struct download *d = ud;
        ssize_t r = image_http_read(d->h, buf, n, err);
        if (r >= 0)
                report(d, r == 0);
        return r;
}

static int download_open(const char *url, const struct pull *pl, struct download *d,
                         struct box_err *err)
{
        const struct image_pull_opts *opts = pl->opts;
        struct image_http_opts ho;
        memset(d, 0, sizeof(*d));
        d->opts = opts;
        int r = pull_http_opts(pl, &ho, url, err);
        if (r < 0)
                return r;
        r = image_http_get(url, &ho, &d->h, err);
        if (r < 0)
                return r;
        if (opts->progress) {
                clock_gettime(CLOCK_MONOTONIC, &d->last);
                opts->progress(opts->userdata, url, 0, image_http_length(d->h), 0);
        }
        return 0;
}

/* ---- an OCI layout over HTTP ---- */

struct remote {
        struct store *st;
        const char *base; /* ends in '/' */
        const struct pull *pl;
};

static int remote_read_small(void *ud, const char *path, char **ret, size_t *ret_len,
                             struct box_err *err)
{
        struct remote *rm = ud;
        /* a blob the store has is not fetched again */
        if (startswith(path, "blobs/sha256/")) {
                _cleanup_free_ char *digest = xasprintf("sha256:%s", path + 13);
                if (store_blob_exists(rm->st, digest) &&
                    store_blob_read(rm->st, digest, ret, ret_len, NULL) >= 0)
                        return 0;
        }
        _cleanup_free_ char *url = xasprintf("%s%s", rm->base, path);
        struct image_http_opts ho;
        int r = pull_http_opts(rm->pl, &ho, url, err);
        if (r < 0)
                return r;
        uint64_t max = rm->pl->limits.json_size;
        size_t m = max > SIZE_MAX ? SIZE_MAX : (size_t)max;
        r = image_http_get_small(url, &ho, m, ret, ret_len, err);
        if (r == -EFBIG)
                return box_err_set(err, EFBIG,
                                   "GET '%s': larger than %zu bytes (BOX_MAX_JSON_SIZE)", url, m);
        return r;
}

static int remote_unpack(void *ud, const char *path, const struct store_layer_unpack_opts *o,
                         struct store_layer_info *ret, struct box_err *err)
{
        struct remote *rm = ud;
        _cleanup_free_ char *url = xasprintf("%s%s", rm->base, path);
        struct download d;
        int r = download_open(url, rm->pl, &d, err);
        if (r < 0)
                return r;
        r = store_layer_unpack(rm->st, download_read, &d, o, ret, err);
        if (r >= 0)
                report(&d, 1);
        image_http_free(d.h);
        return r;
}

int image_pull(struct store *st, const char *url, const struct image_pull_opts *opts,
               struct image_loaded **ret, size_t *ret_n, struct box_err *err)
{
        struct image_load_opts lo = {.name = opts->name};
        struct pull pl;
        int r;
        pull_init(&pl, opts);
        if (url[strlen(url) - 1] == '/') {
                struct remote rm = {.st = st, .base = url, .pl = &pl};
                struct image_layout_source src = {
                        .read_small = remote_read_small,
                        .unpack = remote_unpack,
                        .userdata = &rm,
                };
                r = image_load_layout(st, &src, &lo, ret, ret_n, err);
                if (r < 0 && !startswith(err->msg, "GET '"))
                        box_err_prefix(err, "'%s'", url);
                return r;
        }
        struct download d;
        r = download_open(url, &pl, &d, err);
        if (r < 0)
                return r;
        r = image_load_archive(st, download_read, &d, &lo, ret, ret_n, err);
        if (r >= 0)
                report(&d, 1);
        else if (!startswith(err->msg, "GET '"))
                box_err_prefix(err, "'%s'", url);
        image_http_free(d.h);
        return r;
}

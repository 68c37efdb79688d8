/* ADD <url>: the file is fetched into the step's download directory,
 * hashed on the way (the cache key, and --checksum), then copied into the
 * image with mode 0600 as Docker does.  Remote archives are not extracted. */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "build/build-internal.h"
#include "image/http.h"
#include "lib/fs.h"
#include "spec/ref.h"

/* The file name a URL names: its path's last segment, without query. */
static char *url_file_name(const char *url)
{
        const char *p = strstr(url, "://");
        p = p ? p + 3 : url;
        p = strchr(p, '/');
        if (!p)
                return NULL;
        size_t n = strcspn(p, "?#");
        _cleanup_free_ char *path = xstrndup(p, n);
        char *last = strrchr(path, '/');
        if (!last || !last[1])
                return NULL;
        return xstrdup(last + 1);
}

static double now_mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int build_fetch_url(const char *url, const char *checksum, const struct build_fetch_limits *lim,
                    int dirfd, const char *as, char **ret_name, digest_str ret_digest,
                    struct box_err *err)
{
        uint64_t max = lim && lim->max_bytes ? lim->max_bytes : BUILD_FETCH_MAX_BYTES;
        double deadline =
                now_mono() + (double)(lim && lim->timeout_s ? lim->timeout_s : BUILD_FETCH_TIMEOUT);
        if (checksum && spec_digest_validate(checksum, err) < 0)
                return box_err_prefix(err, "--checksum");
        char *name = url_file_name(url);
        struct image_http *h = NULL;
        struct image_http_opts ho = {0};
        int r = image_http_get(url, &ho, &h, err);
        if (r < 0) {
                free(name);
                return r;
        }
        int64_t announced = image_http_length(h);
        if (announced > 0 && (uint64_t)announced > max) {
                image_http_free(h);
                free(name);
                return box_err_set(err, EFBIG,
                                   "'%s': %lld bytes, more than an ADD may download (%llu bytes, "
                                   "BOX_BUILD_ADD_MAX_BYTES)",
                                   url, (long long)announced, (unsigned long long)max);
        }
        _cleanup_close_ int fd = openat(dirfd, as, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                image_http_free(h);
                free(name);
                return box_err_errno(err, errno, "create download file");
        }
        struct sha256_ctx *sha = sha256_new();
        char buf[1 << 16];
        uint64_t total = 0;
        for (;;) {
                ssize_t n = image_http_read(h, buf, sizeof(buf), err);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                if (n == 0)
                        break;
                total += (uint64_t)n;
                if (total > max) {
                        r = box_err_set(err, EFBIG,
                                        "'%s': more than an ADD may download (%llu bytes, "
                                        "BOX_BUILD_ADD_MAX_BYTES)",
                                        url, (unsigned long long)max);
                        break;
                }
                if (now_mono() > deadline) {
                        r = box_err_set(err, ETIMEDOUT,
                                        "'%s': not downloaded within %lld s "
                                        "(BOX_BUILD_ADD_TIMEOUT)",
                                        url,
                                        (long long)(lim && lim->timeout_s ? lim->timeout_s
                                                                          : BUILD_FETCH_TIMEOUT));
                        break;
                }
                sha256_update(sha, buf, (size_t)n);
                r = fs_write_full(fd, buf, (size_t)n);
                if (r < 0) {
                        box_err_errno(err, -r, "write download");
                        break;
                }
        }
        image_http_free(h);
        digest_str d;
        sha256_final_str(sha, d);
        if (r < 0)
                unlinkat(dirfd, as, 0);
        if (r >= 0 && checksum && !streq(checksum, d))
                r = box_err_set(err, EBADMSG, "'%s': checksum mismatch: expected %s, got %s", url,
                                checksum, d);
        if (r < 0) {
                free(name);
                return r;
        }
        memcpy(ret_digest, d, sizeof(digest_str));
        *ret_name = name;
        return 0;
}

/* ADD <url>: the file is fetched into the step's download directory,
 * hashed on the way (the cache key, and --checksum), then copied into the
 * image with mode 0600 as Docker does.  Remote archives are not extracted. */
#include <fcntl.h>
#include <sys/stat.h>

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

int build_fetch_url(const char *url, const char *checksum, int dirfd, const char *as,
                    char **ret_name, digest_str ret_digest, struct box_err *err)
{
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
        _cleanup_close_ int fd = openat(dirfd, as, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                image_http_free(h);
                free(name);
                return box_err_errno(err, errno, "create download file");
        }
        struct sha256_ctx *sha = sha256_new();
        char buf[1 << 16];
        for (;;) {
                ssize_t n = image_http_read(h, buf, sizeof(buf), err);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                if (n == 0)
                        break;
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

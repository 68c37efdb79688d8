/* box push: every blob the registry lacks (HEAD first; a cross-repository
 * mount when the image came from another repository of the same
 * registry), uploaded in one PUT or in PATCH chunks, then the manifest.
 *
 * The store keeps a layer as plain tar when box built, imported or loaded
 * it (docs/performance.md); such layers go out gzip-compressed, as docker
 * push sends them.  The manifest pushed is then the store's with those
 * descriptors changed, kept as a blob of the store too; its digest is the
 * one push reports, the image's id (its config) stays the same.  An image
 * whose layers are all compressed already goes out byte for byte. */
#include "image/registry-internal.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/image.h"

struct pusher {
        struct store *st;
        struct image_registry *reg;
        const struct image_registry_push_opts *o;
        const char *mount_from; /* a repository of the same registry, or NULL */
};

struct body {
        int fd;
        uint64_t off, end;
};

static ssize_t body_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        struct body *b = ud;
        if (b->off >= b->end)
                return 0;
        if (n > b->end - b->off)
                n = (size_t)(b->end - b->off);
        ssize_t r = RETRY_EINTR(pread(b->fd, buf, n, (off_t)b->off));
        if (r < 0)
                return box_err_errno(err, errno, "read blob");
        if (r == 0)
                return box_err_set(err, EIO, "blob shorter than its size");
        b->off += (uint64_t)r;
        return r;
}

static void progress(struct pusher *p, const char *digest, uint64_t done, int64_t total, int state)
{
        if (p->o->progress.layer)
                p->o->progress.layer(p->o->progress.userdata, digest, done, total, state);
}

/* The next upload URL: a 202's Location, made absolute. */
static char *next_location(struct pusher *p, struct image_http *h, struct box_err *err)
{
        const char *loc = image_http_header(h, "Location");
        if (!loc || !*loc || strlen(loc) > 4096 || strpbrk(loc, " \r\n")) {
                box_err_set(err, EPROTO,
                            "registry '%s', repository '%s': an upload answer without a usable "
                            "Location",
                            image_registry_host(p->reg), image_registry_repo(p->reg));
                return NULL;
        }
        if (loc[0] == '/')
                return xasprintf("%s%s", image_registry_endpoint(p->reg), loc);
        return xstrdup(loc);
}

static int expect(struct pusher *p, struct image_http *h, long want, const char *what,
                  struct box_err *err)
{
        if (image_http_status(h) == want)
                return 0;
        return image_registry_status_error(p->reg, h, what, err);
}

/* POST .../blobs/uploads/ (with a mount): 1 when mounted, 0 with the upload URL. */
static int upload_start(struct pusher *p, const char *digest, char **ret_url, struct box_err *err)
{
        _cleanup_free_ char *path =
                p->mount_from ? xasprintf("/blobs/uploads/?mount=%s&from=%s", digest, p->mount_from)
                              : xstrdup("/blobs/uploads/");
        struct image_http *h = NULL;
        int r = image_registry_request(p->reg, "POST", path, NULL, &h, err);
        if (r < 0)
                return r;
        long st = image_http_status(h);
        if (st == 201 && p->mount_from) {
                image_http_free(h);
                return 1;
        }
        if (st != 202) {
                r = image_registry_status_error(p->reg, h, "start an upload", err);
                image_http_free(h);
                return r;
        }
        *ret_url = next_location(p, h, err);
        image_http_free(h);
        return *ret_url ? 0 : -EPROTO;
}

static char *with_digest(const char *url, const char *digest)
{
        return xasprintf("%s%cdigest=%s", url, strchr(url, '?') ? '&' : '?', digest);
}

static int upload_chunks(struct pusher *p, int fd, uint64_t size, char **url, struct box_err *err)
{
        for (uint64_t off = 0; off < size;) {
                uint64_t end = size - off > p->o->chunk_size ? off + p->o->chunk_size : size;
                struct body b = {fd, off, end};
                char range[64];
                snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)off,
                         (unsigned long long)end - 1);
                char *headers[] = {"Content-Type: application/octet-stream", range, NULL};
                struct image_http_req req = {.headers = headers,
                                             .body_read = body_read,
                                             .body_userdata = &b,
                                             .body_size = (int64_t)(end - off)};
                struct image_http *h = NULL;
                int r = image_registry_request(p->reg, "PATCH", *url, &req, &h, err);
                if (r < 0)
                        return r;
                r = expect(p, h, 202, "upload a chunk", err);
                if (r >= 0) {
                        free(*url);
                        *url = next_location(p, h, err);
                        r = *url ? 0 : -EPROTO;
                }
                image_http_free(h);
                if (r < 0)
                        return r;
                off = end;
        }
        return 0;
}

static int upload_blob(struct pusher *p, const char *digest, char *url, struct box_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_blob_open(p->st, digest, &fd, err);
        if (r < 0)
                return r;
        struct stat s;
        if (fstat(fd, &s) < 0)
                return box_err_errno(err, errno, "blob %s", digest);
        uint64_t size = (uint64_t)s.st_size;
        _cleanup_free_ char *u = url;
        struct body b = {fd, 0, size};
        if (p->o->chunk_size) {
                r = upload_chunks(p, fd, size, &u, err);
                if (r < 0)
                        return r;
                b.end = 0; /* the closing PUT carries no data */
        }
        _cleanup_free_ char *put = with_digest(u, digest);
        char *headers[] = {"Content-Type: application/octet-stream", NULL};
        struct image_http_req req = {.headers = headers,
                                     .body_read = body_read,
                                     .body_userdata = &b,
                                     .body_size = (int64_t)b.end};
        struct image_http *h = NULL;
        r = image_registry_request(p->reg, "PUT", put, &req, &h, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *what = xasprintf("upload blob %s", digest);
        r = expect(p, h, 201, what, err);
        image_http_free(h);
        if (r >= 0)
                progress(p, digest, size, (int64_t)size, 1);
        return r;
}

static int push_blob(struct pusher *p, const char *digest, int64_t size, struct box_err *err)
{
        _cleanup_free_ char *path = xasprintf("/blobs/%s", digest);
        struct image_http_req head = {.method = "HEAD"};
        struct image_http *h = NULL;
        int r = image_registry_request(p->reg, "HEAD", path, &head, &h, err);
        if (r < 0)
                return r;
        long st = image_http_status(h);
        image_http_free(h);
        if (st == 200) {
                progress(p, digest, 0, size, 2);
                return 0;
        }
        progress(p, digest, 0, size, 0);
        char *url = NULL;
        r = upload_start(p, digest, &url, err);
        if (r == 1) {
                log_debug("blob %s: mounted from '%s'", digest, p->mount_from);
                progress(p, digest, 0, size, 2);
                return 0;
        }
        if (r < 0)
                return r;
        return upload_blob(p, digest, url, err);
}

static int push_manifest(struct pusher *p, const char *tag, const char *buf, size_t len,
                         const char *digest, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        const char *mt = NULL;
        if (jv_parse(buf, len, &o, NULL) >= 0)
                mt = jv_get_str(o, "mediaType");
        _cleanup_free_ char *ct = xasprintf("Content-Type: %s", mt ? mt : OCI_MEDIA_MANIFEST);
        char *headers[] = {ct, NULL};
        struct image_http_req req = {.headers = headers, .body = buf, .body_len = len};
        _cleanup_free_ char *path = xasprintf("/manifests/%s", tag ? tag : digest);
        struct image_http *h = NULL;
        int r = image_registry_request(p->reg, "PUT", path, &req, &h, err);
        if (r < 0)
                return r;
        r = expect(p, h, 201, "put the manifest", err);
        const char *got = r >= 0 ? image_http_header(h, "Docker-Content-Digest") : NULL;
        if (got && !streq(got, digest))
                r = box_err_set(err, EBADMSG,
                                "registry '%s', repository '%s': it stored the manifest as "
                                "'%.80s', not %s",
                                image_registry_host(p->reg), image_registry_repo(p->reg), got,
                                digest);
        image_http_free(h);
        return r;
}

static const char *gzip_media_of(const char *mt)
{
        if (streq(strempty(mt), OCI_MEDIA_LAYER))
                return OCI_MEDIA_LAYER_GZIP;
        if (streq(strempty(mt), DOCKER_MEDIA_LAYER))
                return DOCKER_MEDIA_LAYER ".gzip";
        return NULL;
}

/* Compresses H's plain-tar layers into blobs of the store and rewrites its
 * manifest to name them (stored as a blob too): *RET_MANIFEST, *RET_LEN,
 * RET_DIGEST.  0 and nothing changed when every layer is compressed. */
static int compress_layers(struct store *st, struct store_image_handle *h, char **ret_manifest,
                           size_t *ret_len, digest_str ret_digest, struct box_err *err)
{
        int n = 0;
        for (size_t i = 0; i < h->m.n_layers; i++) {
                struct oci_descriptor *l = &h->m.layers[i];
                const char *gz = gzip_media_of(l->media_type);
                if (!gz)
                        continue;
                digest_str d;
                uint64_t size;
                int r = store_blob_gzip(st, l->digest, d, &size, err);
                if (r < 0)
                        return r;
                free(l->media_type);
                l->media_type = xstrdup(gz);
                free(l->digest);
                l->digest = xstrdup(d);
                l->size = (int64_t)size;
                n++;
        }
        if (!n)
                return 0;
        char *json = oci_manifest_to_json(&h->m);
        size_t len = strlen(json);
        int r = store_blob_put(st, json, len, ret_digest, err);
        if (r < 0) {
                free(json);
                return r;
        }
        *ret_manifest = json;
        *ret_len = len;
        return n;
}

/* The repository of the same registry the image was named after, if any */
static char *mount_source(const struct store_image_handle *h, const struct image_ref *dest)
{
        _cleanup_image_ref_ struct image_ref src = {0};
        if (!h->name || spec_ref_parse(h->name, &src, NULL) < 0)
                return NULL;
        if (!streq(src.domain, dest->domain) || streq(src.path, dest->path))
                return NULL;
        return xstrdup(src.path);
}

int image_registry_push(struct store *st, const char *src, const char *dest,
                        const struct image_registry_push_opts *o, digest_str ret_digest,
                        struct box_err *err)
{
        _cleanup_image_ref_ struct image_ref ref = {0};
        int r = spec_ref_parse(dest, &ref, err);
        if (r < 0)
                return r;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        r = store_image_resolve(st, src, &h, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *manifest = NULL;
        size_t len;
        r = store_blob_read(st, h.manifest, &manifest, &len, err);
        if (r < 0)
                return box_err_prefix(err, "image '%s'", src);
        digest_str mdigest;
        memcpy(mdigest, h.manifest, sizeof(mdigest));
        if (h.manifest[0]) {
                _cleanup_free_ char *gz = NULL;
                r = compress_layers(st, &h, &gz, &len, mdigest, err);
                if (r < 0)
                        return box_err_prefix(err, "image '%s'", src);
                if (r > 0) {
                        free(manifest);
                        manifest = TAKE_PTR(gz);
                }
        }
        _cleanup_free_ char *from = mount_source(&h, &ref);
        struct pusher p = {.st = st, .o = o, .mount_from = from};
        r = image_registry_open(ref.domain, ref.path, &o->reg, &p.reg, err);
        if (r < 0)
                return r;
        if (from) {
                _cleanup_free_ char *scope = xasprintf("repository:%s:pull", from);
                image_registry_add_scope(p.reg, scope);
        }
        for (size_t i = 0; i < h.m.n_layers && r >= 0; i++)
                r = push_blob(&p, h.m.layers[i].digest, h.m.layers[i].size, err);
        if (r >= 0)
                r = push_blob(&p, h.manifest[0] ? h.m.config.digest : h.id, h.m.config.size, err);
        if (r >= 0)
                r = push_manifest(&p, ref.tag, manifest, len, mdigest, err);
        image_registry_free(p.reg);
        if (r < 0)
                return r;
        memcpy(ret_digest, mdigest, sizeof(digest_str));
        return 0;
}

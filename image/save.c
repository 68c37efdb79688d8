/* box save: the store's images as docker-archive, oci-archive or oci-dir.
 *
 * Everything is planned before the first byte is written: which images,
 * which blobs (deduplicated, sorted by digest the way `docker save` walks
 * its temp dir), and, for docker-archive, the uncompressed form of layers
 * the store keeps compressed (decompressed once into an unlinked temp file
 * in the store's tmp/, checked against the diff_id).  Then the blobs are
 * streamed out, followed by the small JSON files. */
#include "image/save.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "image/tar.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "spec/ref.h"
#include "store/image.h"

#define COPY_BUF (1 << 20)

int image_format_parse(const char *s, enum image_format *ret, struct box_err *err)
{
        if (streq(s, "docker-archive") || streq(s, "docker"))
                *ret = IMAGE_FORMAT_DOCKER_ARCHIVE;
        else if (streq(s, "oci-archive") || streq(s, "oci"))
                *ret = IMAGE_FORMAT_OCI_ARCHIVE;
        else if (streq(s, "oci-dir"))
                *ret = IMAGE_FORMAT_OCI_DIR;
        else
                return box_err_set(err, EINVAL,
                                   "unknown format '%s': want docker-archive, oci-archive or "
                                   "oci-dir",
                                   s);
        return 0;
}

struct saved {
        struct store_image_handle h;
        char **names;        /* full references */
        char *manifest_json; /* the manifest written for it, when not the store's */
        digest_str manifest_digest;
};

struct blob {
        char *hex;
        int fd; /* source, positioned at 0 */
        int64_t size;
        const char *data; /* or in-memory bytes (owned by a struct saved) */
};

struct plan {
        struct store *st;
        enum image_format format;
        struct saved *imgs;
        size_t n_imgs;
        struct blob *blobs;
        size_t n_blobs;
};

static void plan_release(struct plan *p)
{
        for (size_t i = 0; i < p->n_imgs; i++) {
                store_image_handle_release(&p->imgs[i].h);
                strv_free(p->imgs[i].names);
                free(p->imgs[i].manifest_json);
        }
        free(p->imgs);
        for (size_t i = 0; i < p->n_blobs; i++) {
                free(p->blobs[i].hex);
                if (p->blobs[i].fd >= 0)
                        close(p->blobs[i].fd);
        }
        free(p->blobs);
}

static struct blob *find_blob(struct plan *p, const char *hex)
{
        for (size_t i = 0; i < p->n_blobs; i++)
                if (streq(p->blobs[i].hex, hex))
                        return &p->blobs[i];
        return NULL;
}

static struct blob *add_blob(struct plan *p, const char *digest)
{
        p->blobs = xreallocarray(p->blobs, p->n_blobs + 1, sizeof(*p->blobs));
        struct blob *b = &p->blobs[p->n_blobs++];
        *b = (struct blob){.hex = xstrdup(digest + 7), .fd = -EBADF};
        return b;
}

/* A stored blob as it is. */
static int plan_store_blob(struct plan *p, const char *digest, struct box_err *err)
{
        int r = spec_digest_validate(digest, err);
        if (r < 0)
                return r;
        if (find_blob(p, digest + 7))
                return 0;
        int fd;
        r = store_blob_open(p->st, digest, &fd, err);
        if (r < 0)
                return r;
        struct stat s;
        if (fstat(fd, &s) < 0) {
                close(fd);
                return box_err_errno(err, errno, "blob %s", digest);
        }
        struct blob *b = add_blob(p, digest);
        b->fd = fd;
        b->size = s.st_size;
        return 0;
}

static ssize_t fd_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        ssize_t r = RETRY_EINTR(read(*(int *)ud, buf, n));
        if (r < 0)
                return box_err_errno(err, errno, "read");
        return r;
}

/* A compressed layer blob, decompressed into an unlinked temp file. */
static int plan_decompressed_layer(struct plan *p, const char *digest, const char *diff_id,
                                   struct box_err *err)
{
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        int r = store_blob_open(p->st, digest, &in, err);
        if (r < 0)
                return r;
        out = openat(store_root_fd(p->st), "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (out < 0)
                return box_err_errno(err, errno, "create temporary file in '%s/tmp'",
                                     store_root(p->st));
        _cleanup_decompressor_ struct image_decompressor *d = NULL;
        r = image_decompressor_new(fd_read, &in, &d, err);
        if (r < 0)
                return box_err_prefix(err, "layer %s", digest);
        _cleanup_free_ char *buf = xmalloc(COPY_BUF);
        _cleanup_sha256_ struct sha256_ctx *sha = sha256_new();
        int64_t size = 0;
        for (;;) {
                ssize_t n = image_decompressor_read(d, buf, COPY_BUF, err);
                if (n < 0)
                        return box_err_prefix(err, "layer %s", digest);
                if (n == 0)
                        break;
                sha256_update(sha, buf, (size_t)n);
                r = fs_write_full(out, buf, (size_t)n);
                if (r < 0)
                        return box_err_errno(err, -r, "write temporary file");
                size += n;
        }
        digest_str got;
        sha256_final_str(TAKE_PTR(sha), got);
        if (!streq(got, diff_id))
                return box_err_set(err, EBADMSG,
                                   "layer %s: uncompressed digest %s does not match diff_id %s",
                                   digest, got, diff_id);
        if (lseek(out, 0, SEEK_SET) < 0)
                return box_err_errno(err, errno, "seek temporary file");
        struct blob *b = add_blob(p, diff_id);
        b->fd = TAKE_FD(out);
        b->size = size;
        return 0;
}

/* The generated manifest (and its digest) as the image's, and a blob of
 * the plan unless another image has written the same. */
static void plan_generated_manifest(struct plan *p, struct saved *s, const struct oci_manifest *m)
{
        s->manifest_json = oci_manifest_to_json(m);
        sha256_buf(s->manifest_json, strlen(s->manifest_json), s->manifest_digest);
        if (!find_blob(p, s->manifest_digest + 7)) {
                struct blob *b = add_blob(p, s->manifest_digest);
                b->data = s->manifest_json;
                b->size = (int64_t)strlen(s->manifest_json);
        }
}

static int plan_docker_image(struct plan *p, struct saved *s, struct box_err *err)
{
        struct store_image_handle *h = &s->h;
        size_t n = strv_length(h->config.diff_ids);
        if (n != h->m.n_layers)
                return box_err_set(err, EINVAL, "image %.19s: %zu layers but %zu diff_ids", h->id,
                                   h->m.n_layers, n);
        struct oci_descriptor *layers = xnew0(struct oci_descriptor, n);
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *diff_id = h->config.diff_ids[i];
                const char *digest = h->m.layers[i].digest;
                r = spec_digest_validate(diff_id, err);
                if (r < 0)
                        break;
                if (!find_blob(p, diff_id + 7)) {
                        if (streq(digest, diff_id))
                                r = plan_store_blob(p, digest, err);
                        else
                                r = plan_decompressed_layer(p, digest, diff_id, err);
                        if (r < 0)
                                break;
                }
                layers[i].media_type = OCI_MEDIA_LAYER;
                layers[i].digest = (char *)diff_id;
                layers[i].size = find_blob(p, diff_id + 7)->size;
        }
        if (r >= 0)
                r = plan_store_blob(p, h->id, err);
        if (r >= 0) {
                struct oci_manifest m = {
                        .schema_version = 2,
                        .media_type = OCI_MEDIA_MANIFEST,
                        .config = {.media_type = OCI_MEDIA_CONFIG,
                                   .digest = h->id,
                                   .size = (int64_t)h->config_len},
                        .layers = layers,
                        .n_layers = n,
                };
                plan_generated_manifest(p, s, &m);
        }
        free(layers);
        return r;
}

static const char *oci_layer_type(const char *mt)
{
        static const char *const map[][2] = {
                {DOCKER_MEDIA_LAYER, OCI_MEDIA_LAYER},
                {DOCKER_MEDIA_LAYER_GZIP, OCI_MEDIA_LAYER_GZIP},
                {DOCKER_MEDIA_LAYER_ZSTD, OCI_MEDIA_LAYER_ZSTD},
                {DOCKER_MEDIA_LAYER_FOREIGN, OCI_MEDIA_LAYER_NONDIST "+gzip"},
        };
        for (size_t i = 0; mt && i < ARRAY_SIZE(map); i++)
                if (streq(mt, map[i][0]))
                        return map[i][1];
        return mt ? mt : OCI_MEDIA_LAYER;
}

/* An OCI layout's index lists OCI manifests: containers/image (skopeo,
 * podman) reads a Docker schema 2 manifest there as an OCI one and refuses
 * its config as an artifact's, or skips a descriptor typed as Docker's.
 * An image the store keeps with one (pulled so, loaded from dir:) is
 * written with the OCI manifest of the same config and layers: its id
 * stays, its manifest digest is the layout's own. */
static void plan_oci_manifest_of_docker(struct plan *p, struct saved *s)
{
        const struct oci_manifest *dm = &s->h.m;
        struct oci_descriptor *layers = xnew0(struct oci_descriptor, dm->n_layers);
        for (size_t i = 0; i < dm->n_layers; i++) {
                layers[i] = dm->layers[i];
                layers[i].media_type = (char *)oci_layer_type(dm->layers[i].media_type);
        }
        struct oci_manifest m = {
                .schema_version = 2,
                .media_type = OCI_MEDIA_MANIFEST,
                .config = dm->config,
                .layers = layers,
                .n_layers = dm->n_layers,
                .annotations = dm->annotations,
        };
        m.config.media_type = OCI_MEDIA_CONFIG;
        plan_generated_manifest(p, s, &m);
        free(layers);
}

static int plan_oci_image(struct plan *p, struct saved *s, struct box_err *err)
{
        struct store_image_handle *h = &s->h;
        bool docker = h->m.media_type && streq(h->m.media_type, DOCKER_MEDIA_MANIFEST);
        int r = docker ? 0 : plan_store_blob(p, h->manifest, err);
        if (r >= 0)
                r = plan_store_blob(p, h->id, err);
        for (size_t i = 0; i < h->m.n_layers && r >= 0; i++)
                r = plan_store_blob(p, h->m.layers[i].digest, err);
        if (docker)
                plan_oci_manifest_of_docker(p, s);
        else
                snprintf(s->manifest_digest, sizeof(s->manifest_digest), "%s", h->manifest);
        return r;
}

static int blob_cmp(const void *a, const void *b)
{
        return strcmp(((const struct blob *)a)->hex, ((const struct blob *)b)->hex);
}

static int plan_images(struct plan *p, char *const *args, struct box_err *err)
{
        STRV_FOREACH (arg, args) {
                _cleanup_image_handle_ struct store_image_handle h = {0};
                int r = store_image_resolve(p->st, *arg, &h, err);
                if (r < 0)
                        return r;
                struct saved *s = NULL;
                for (size_t i = 0; i < p->n_imgs; i++)
                        if (streq(p->imgs[i].h.id, h.id) &&
                            (p->format == IMAGE_FORMAT_DOCKER_ARCHIVE ||
                             streq(p->imgs[i].h.manifest, h.manifest)))
                                s = &p->imgs[i];
                if (s) {
                        if (h.name && !strv_contains(s->names, h.name))
                                s->names = strv_append(s->names, h.name);
                        continue;
                }
                p->imgs = xreallocarray(p->imgs, p->n_imgs + 1, sizeof(*p->imgs));
                s = &p->imgs[p->n_imgs++];
                memset(s, 0, sizeof(*s));
                s->names = xnew0(char *, 1);
                if (h.name)
                        s->names = strv_append(s->names, h.name);
                s->h = TAKE_STRUCT(h);
                r = p->format == IMAGE_FORMAT_DOCKER_ARCHIVE ? plan_docker_image(p, s, err)
                                                             : plan_oci_image(p, s, err);
                if (r < 0)
                        return box_err_prefix(err, "'%s'", *arg);
        }
        qsort(p->blobs, p->n_blobs, sizeof(*p->blobs), blob_cmp);
        return 0;
}

/* ---- the small files ---- */

static const char docker_oci_layout[] = "{\"imageLayoutVersion\": \"1.0.0\"}";
static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

static char *index_json(const struct plan *p)
{
        _cleanup_oci_index_ struct oci_index x = {.schema_version = 2,
                                                  .media_type = xstrdup(OCI_MEDIA_INDEX)};
        for (size_t i = 0; i < p->n_imgs; i++) {
                const struct saved *s = &p->imgs[i];
                size_t n = strv_length(s->names);
                for (size_t j = 0; j < (n ? n : 1); j++) {
                        x.manifests =
                                xreallocarray(x.manifests, x.n_manifests + 1, sizeof(*x.manifests));
                        struct oci_descriptor *d = &x.manifests[x.n_manifests++];
                        memset(d, 0, sizeof(*d));
                        d->media_type = xstrdup(OCI_MEDIA_MANIFEST);
                        d->digest = xstrdup(s->manifest_digest);
                        d->size = s->manifest_json ? (int64_t)strlen(s->manifest_json)
                                                   : s->h.manifest_size;
                        d->annotations = xnew0(char *, 1);
                        if (!n)
                                continue;
                        _cleanup_image_ref_ struct image_ref ref = {0};
                        if (spec_ref_parse(s->names[j], &ref, NULL) < 0)
                                continue;
                        d->annotations =
                                oci_kv_set(d->annotations, "io.containerd.image.name", s->names[j]);
                        d->annotations = oci_kv_set(d->annotations, OCI_ANNOTATION_REF_NAME,
                                                    p->format == IMAGE_FORMAT_DOCKER_ARCHIVE
                                                            ? strempty(ref.tag)
                                                            : s->names[j]);
                }
        }
        return oci_index_to_json(&x);
}

/* Docker's manifest.json and repositories, as Go's json.Encoder writes them. */
static void docker_json(const struct plan *p, char **ret_manifest, char **ret_repos)
{
        struct jv *arr = jv_array();
        struct jv *repos = jv_object();
        for (size_t i = 0; i < p->n_imgs; i++) {
                const struct saved *s = &p->imgs[i];
                struct jv *o = jv_object();
                _cleanup_free_ char *cfg = xasprintf("blobs/sha256/%s", s->h.id + 7);
                jv_set_str(o, "Config", cfg);
                struct jv *tags = strv_length(s->names) ? jv_array() : jv_null();
                STRV_FOREACH (nm, s->names) {
                        _cleanup_image_ref_ struct image_ref ref = {0};
                        if (spec_ref_parse(*nm, &ref, NULL) < 0)
                                continue;
                        _cleanup_free_ char *fam = spec_ref_familiar(&ref);
                        _cleanup_free_ char *repo = spec_ref_familiar_repository(&ref);
                        jv_push(tags, jv_string(fam));
                        struct jv *r = jv_get(repos, repo);
                        if (!r) {
                                r = jv_object();
                                jv_set(repos, repo, r);
                        }
                        size_t nl = strv_length(s->h.config.diff_ids);
                        if (ref.tag && nl)
                                jv_set_str(r, ref.tag, s->h.config.diff_ids[nl - 1] + 7);
                }
                jv_set(o, "RepoTags", tags);
                struct jv *layers = jv_array();
                STRV_FOREACH (d, s->h.config.diff_ids) {
                        _cleanup_free_ char *l = xasprintf("blobs/sha256/%s", *d + 7);
                        jv_push(layers, jv_string(l));
                }
                jv_set(o, "Layers", layers);
                jv_push(arr, o);
        }
        char *m = jv_dump(arr, 0);
        *ret_manifest = xasprintf("%s\n", m);
        free(m);
        if (jv_len(repos)) {
                char *r = jv_dump(repos, 0);
                *ret_repos = xasprintf("%s\n", r);
                free(r);
        } else {
                *ret_repos = NULL;
        }
        jv_free(arr);
        jv_free(repos);
}

/* ---- sinks: a tar stream or a directory ---- */

struct sink {
        struct image_tar_writer *tar;
        int dirfd;
        char *buf;
};

static int sink_dir(struct sink *k, const char *path, struct box_err *err)
{
        if (k->tar)
                return image_tar_writer_add(k->tar, path, 1, 0, 0, err);
        if (mkdirat(k->dirfd, path, 0755) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", path);
        return 0;
}

static int sink_open_file(struct sink *k, const char *path, struct box_err *err)
{
        int fd = openat(k->dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return box_err_errno(err, errno, "create '%s'", path);
        return fd;
}

static int sink_data(struct sink *k, const char *path, const void *p, size_t n, struct box_err *err)
{
        if (k->tar)
                return image_tar_writer_add_data(k->tar, path, p, n, 0, err);
        _cleanup_close_ int fd = sink_open_file(k, path, err);
        if (fd < 0)
                return fd;
        int r = fs_write_full(fd, p, n);
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", path);
        return 0;
}

static int sink_blob(struct sink *k, const struct blob *b, struct box_err *err)
{
        _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", b->hex);
        if (b->data)
                return sink_data(k, path, b->data, (size_t)b->size, err);
        _cleanup_close_ int out = -EBADF;
        int r;
        if (k->tar) {
                r = image_tar_writer_add(k->tar, path, 0, b->size, 0, err);
                if (r < 0)
                        return r;
        } else {
                out = sink_open_file(k, path, err);
                if (out < 0)
                        return out;
        }
        int64_t left = b->size;
        while (left > 0) {
                ssize_t n = RETRY_EINTR(read(b->fd, k->buf, COPY_BUF));
                if (n < 0)
                        return box_err_errno(err, errno, "read blob %s", b->hex);
                if (n == 0)
                        return box_err_set(err, EIO, "blob %s: shorter than %" PRId64 " bytes",
                                           b->hex, b->size);
                if (n > left)
                        n = (ssize_t)left;
                if (k->tar)
                        r = image_tar_writer_write(k->tar, k->buf, (size_t)n, err);
                else if ((r = fs_write_full(out, k->buf, (size_t)n)) < 0)
                        box_err_errno(err, -r, "write '%s'", path);
                if (r < 0)
                        return r;
                left -= n;
        }
        return 0;
}

static int write_all(struct plan *p, struct sink *k, struct box_err *err)
{
        int r = sink_dir(k, "blobs/", err);
        if (r >= 0)
                r = sink_dir(k, "blobs/sha256/", err);
        for (size_t i = 0; i < p->n_blobs && r >= 0; i++)
                r = sink_blob(k, &p->blobs[i], err);
        if (r < 0)
                return r;
        _cleanup_free_ char *idx = index_json(p);
        if (p->format == IMAGE_FORMAT_DOCKER_ARCHIVE) {
                _cleanup_free_ char *manifest = NULL, *repos = NULL;
                docker_json(p, &manifest, &repos);
                r = sink_data(k, "index.json", idx, strlen(idx), err);
                if (r >= 0)
                        r = sink_data(k, "manifest.json", manifest, strlen(manifest), err);
                if (r >= 0)
                        r = sink_data(k, "oci-layout", docker_oci_layout,
                                      sizeof(docker_oci_layout) - 1, err);
                if (r >= 0 && repos)
                        r = sink_data(k, "repositories", repos, strlen(repos), err);
                return r;
        }
        r = sink_data(k, "index.json", idx, strlen(idx), err);
        if (r >= 0)
                r = sink_data(k, "oci-layout", oci_layout, sizeof(oci_layout) - 1, err);
        return r;
}

int image_save(struct store *st, char *const *images, enum image_format format, int fd,
               const char *dir, struct box_err *err)
{
        struct plan p = {.st = st, .format = format};
        struct sink k = {.dirfd = -EBADF};
        int r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r >= 0)
                r = plan_images(&p, images, err);
        if (r < 0)
                goto out;
        k.buf = xmalloc(COPY_BUF);
        if (format == IMAGE_FORMAT_OCI_DIR) {
                r = fs_mkdir_p(dir, 0755, err);
                if (r < 0)
                        goto out;
                k.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (k.dirfd < 0) {
                        r = box_err_errno(err, errno, "open '%s'", dir);
                        goto out;
                }
                if (faccessat(k.dirfd, "index.json", F_OK, 0) == 0 ||
                    faccessat(k.dirfd, "blobs", F_OK, 0) == 0) {
                        r = box_err_set(err, EEXIST, "'%s' already holds an image layout", dir);
                        goto out;
                }
                r = write_all(&p, &k, err);
        } else {
                r = image_tar_writer_new(fd, &k.tar, err);
                if (r >= 0)
                        r = write_all(&p, &k, err);
                if (r >= 0)
                        r = image_tar_writer_finish(k.tar, err);
        }
out:
        image_tar_writer_free(k.tar);
        if (k.dirfd >= 0)
                close(k.dirfd);
        free(k.buf);
        plan_release(&p);
        return r;
}

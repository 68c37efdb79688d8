/* box load / pull: archives and OCI layouts into the store (see load.h). */
#include "image/load.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "image/prefetch.h"
#include "image/tar.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "spec/ref.h"
#include "store/image.h"

#define JSON_TOTAL_MAX (64u << 20) /* all JSON entries of an archive */
#define ENTRIES_MAX    (1u << 20)  /* JSON, layer and link entries kept of an archive */
#define PEEK           4096
#define LINK_HOPS      8
#define INDEX_DEPTH    4

enum entry_kind { ENTRY_JSON, ENTRY_LAYER, ENTRY_FAILED, ENTRY_LINK };

struct entry {
        char *path;
        enum entry_kind kind;
        char *data; /* JSON */
        size_t len;
        struct store_layer_info info; /* LAYER */
        struct box_err error;         /* FAILED */
        char *target;                 /* LINK: an archive path */
};

struct pending {
        char *config;
        size_t config_len;
        char *manifest; /* raw bytes to store as they are, or NULL: generate */
        size_t manifest_len;
        struct oci_descriptor *layers; /* when generating */
        size_t n_layers;
        char **names;
        digest_str manifest_digest; /* known up front for raw manifests */
};

struct loader {
        struct store *st;
        const struct image_load_opts *opts;
        struct store_limits limits;
        struct entry *entries; /* archive mode */
        size_t n_entries, entries_cap;
        size_t json_total;
        const struct image_layout_source *src; /* layout mode */
        struct pending *imgs;
        size_t n_imgs;
        bool dir_layout; /* containers/image's dir: (see blob_path) */
};

static void loader_release(struct loader *l)
{
        for (size_t i = 0; i < l->n_entries; i++) {
                free(l->entries[i].path);
                free(l->entries[i].data);
                free(l->entries[i].target);
        }
        free(l->entries);
        for (size_t i = 0; i < l->n_imgs; i++) {
                struct pending *p = &l->imgs[i];
                free(p->config);
                free(p->manifest);
                for (size_t j = 0; j < p->n_layers; j++)
                        oci_descriptor_release(&p->layers[j]);
                free(p->layers);
                strv_free(p->names);
        }
        free(l->imgs);
}

void image_loaded_free(struct image_loaded *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                strv_free(v[i].names);
        free(v);
}

/* "a/./b/../c" -> "a/c"; NULL when it climbs above the root.  Linear in
 * the length of P (an entry name may be a megabyte of "a/"). */
static char *normalize(const char *p)
{
        struct buf b = {0};
        buf_puts(&b, "");
        const char *s = p;
        while (*s) {
                while (*s == '/')
                        s++;
                const char *e = strchrnul(s, '/');
                size_t n = (size_t)(e - s);
                if (n == 2 && strneq(s, "..", 2)) {
                        if (b.len == 0) {
                                buf_release(&b);
                                return NULL;
                        }
                        /* drop the last component: scan back over it only */
                        char *slash = memrchr(b.data, '/', b.len);
                        b.len = slash ? (size_t)(slash - b.data) : 0;
                        b.data[b.len] = '\0';
                } else if (n > 0 && !(n == 1 && *s == '.')) {
                        if (b.len)
                                buf_putc(&b, '/');
                        buf_append(&b, s, n);
                }
                s = e;
        }
        return buf_steal(&b);
}

/* "blobs/sha256/<hex>" -> "sha256:<hex>" into RET; 0 when not such a name. */
static int digest_of_blob_path(const char *path, digest_str ret)
{
        if (!startswith(path, "blobs/sha256/") || !spec_is_hex64(path + 13))
                return 0;
        snprintf(ret, sizeof(digest_str), "sha256:%s", path + 13);
        return 1;
}

static const char *media_of(enum store_layer_compression c)
{
        switch (c) {
        case STORE_COMPRESSION_GZIP:
                return OCI_MEDIA_LAYER_GZIP;
        case STORE_COMPRESSION_ZSTD:
                return OCI_MEDIA_LAYER_ZSTD;
        default:
                return OCI_MEDIA_LAYER;
        }
}

/* ---- lookups through archive entries or a layout ---- */

static struct entry *find_entry(struct loader *l, const char *path)
{
        _cleanup_free_ char *p = normalize(path);
        for (int hop = 0; p && hop < LINK_HOPS; hop++) {
                struct entry *e = NULL;
                for (size_t i = l->n_entries; i-- > 0;)
                        if (streq(l->entries[i].path, p)) {
                                e = &l->entries[i];
                                break;
                        }
                if (!e || e->kind != ENTRY_LINK)
                        return e;
                free(p);
                p = xstrdup(e->target);
        }
        return NULL;
}

/* A document of the image: EXPECT its digest and EXPECT_SIZE its size
 * when known (NULL, -1 when not). */
static int get_json(struct loader *l, const char *path, const char *expect, int64_t expect_size,
                    char **ret, size_t *ret_len, struct box_err *err)
{
        char *buf;
        size_t len;
        if (expect_size >= 0 && (uint64_t)expect_size > l->limits.json_size)
                return box_err_set(err, EFBIG,
                                   "'%s': a document of %lld bytes is larger than the limit of "
                                   "%llu (BOX_MAX_JSON_SIZE)",
                                   path, (long long)expect_size,
                                   (unsigned long long)l->limits.json_size);
        if (l->src) {
                _cleanup_free_ char *np = normalize(path);
                if (!np || !*np)
                        return box_err_set(err, EPERM, "'%s': path escapes the layout", path);
                int r = l->src->read_small(l->src->userdata, np, &buf, &len, err);
                if (r < 0)
                        return r;
                if (len > l->limits.json_size) {
                        free(buf);
                        return box_err_set(err, EFBIG,
                                           "'%s' is larger than %llu bytes (BOX_MAX_JSON_SIZE)",
                                           path, (unsigned long long)l->limits.json_size);
                }
        } else {
                struct entry *e = find_entry(l, path);
                if (!e)
                        return box_err_set(err, ENOENT, "'%s' is not in the archive", path);
                if (e->kind == ENTRY_FAILED) {
                        if (err)
                                *err = e->error;
                        return -e->error.code;
                }
                if (e->kind != ENTRY_JSON)
                        return box_err_set(err, EINVAL, "entry '%s' is not a JSON document", path);
                buf = xmalloc(e->len + 1);
                memcpy(buf, e->data, e->len + 1);
                len = e->len;
        }
        if (expect) {
                digest_str got;
                sha256_buf(buf, len, got);
                if (!streq(got, expect)) {
                        free(buf);
                        return box_err_set(err, EBADMSG,
                                           "entry '%s': digest mismatch: expected %s, got %s", path,
                                           expect, got);
                }
        }
        if (expect_size >= 0 && (uint64_t)expect_size != len) {
                free(buf);
                return box_err_set(err, EBADMSG,
                                   "entry '%s': size mismatch: its descriptor says %lld bytes, it "
                                   "has %zu",
                                   path, (long long)expect_size, len);
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

struct mem_source {
        const char *p;
        size_t n, off;
};

static ssize_t mem_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        (void)err;
        struct mem_source *m = ud;
        size_t k = m->n - m->off < n ? m->n - m->off : n;
        memcpy(buf, m->p + m->off, k);
        m->off += k;
        return (ssize_t)k;
}

/* The diff_id of the layer blob DIGEST that the store holds: its content
 * decompressed and hashed.  So a layer already in the store is reused
 * only for an input whose diff_id is what that blob really unpacks to. */
static ssize_t fd_read_cb(void *ud, void *buf, size_t n, struct box_err *err)
{
        ssize_t r = RETRY_EINTR(read(*(int *)ud, buf, n));
        if (r < 0)
                return box_err_errno(err, errno, "read");
        return r;
}

static int stored_diff_id(struct loader *l, const char *digest, struct store_layer_info *ret,
                          struct box_err *err)
{
        struct store *st = l->st;
        _cleanup_close_ int fd = -EBADF;
        int r = store_blob_open(st, digest, &fd, err);
        if (r < 0)
                return r;
        struct stat s;
        if (fstat(fd, &s) < 0)
                return box_err_errno(err, errno, "blob %s", digest);
        struct image_decompressor *d;
        r = image_decompressor_new(fd_read_cb, &fd, &d, err);
        if (r < 0)
                return box_err_prefix(err, "blob %s", digest);
        struct sha256_ctx *sha = sha256_new();
        _cleanup_free_ char *buf = xmalloc(1 << 20);
        uint64_t total = 0;
        for (;;) {
                ssize_t n = image_decompressor_read(d, buf, 1 << 20, err);
                if (n < 0) {
                        r = box_err_prefix(err, "blob %s", digest);
                        break;
                }
                if (n == 0)
                        break;
                total += (uint64_t)n;
                if (total > l->limits.layer_size) {
                        r = box_err_set(err, EFBIG, "blob %s: larger than %llu bytes uncompressed",
                                        digest, (unsigned long long)l->limits.layer_size);
                        break;
                }
                sha256_update(sha, buf, (size_t)n);
        }
        image_decompressor_free(d);
        if (r < 0) {
                sha256_free(sha);
                return r;
        }
        struct store_layer_info info = {.size = (uint64_t)s.st_size};
        snprintf(info.digest, sizeof(info.digest), "%s", digest);
        sha256_final_str(sha, info.diff_id);
        *ret = info;
        return 0;
}

/* The layer at PATH of the source: EXPECT_DIGEST its blob digest and
 * EXPECT_SIZE its size when known (NULL, -1 when not), EXPECT_DIFF_ID what
 * the config says it unpacks to. */
static int get_layer(struct loader *l, const char *path, const char *expect_digest,
                     int64_t expect_size, const char *expect_diff_id, struct store_layer_info *ret,
                     struct box_err *err)
{
        int r;
        if (expect_diff_id && (r = spec_digest_validate(expect_diff_id, err)) < 0)
                return box_err_prefix(err, "layer '%s': diff_id", path);
        if (expect_digest && (r = spec_digest_validate(expect_digest, err)) < 0)
                return box_err_prefix(err, "layer '%s'", path);
        struct store_layer_info info;
        if (l->src) {
                _cleanup_free_ char *np = normalize(path);
                if (!np || !*np)
                        return box_err_set(err, EPERM, "layer '%s': path escapes the layout", path);
                /* A source that fetched and verified the layer already */
                r = l->src->fetched && expect_digest
                            ? l->src->fetched(l->src->userdata, expect_digest, &info, err)
                            : 0;
                if (r < 0)
                        return box_err_prefix(err, "layer '%s'", path);
                if (r > 0 && expect_diff_id && !streq(info.diff_id, expect_diff_id))
                        return box_err_set(err, EBADMSG,
                                           "layer '%s': diff_id mismatch: the config says %s, "
                                           "the layer is %s",
                                           path, expect_diff_id, info.diff_id);
                /* A blob the store has is not read again, but what this
                 * input claims of it (its diff_id) is still verified. */
                if (r > 0) {
                        if (l->opts->on_layer)
                                l->opts->on_layer(l->opts->userdata, path, &info);
                } else if (expect_digest && store_blob_exists(l->st, expect_digest) &&
                           store_layer_exists(l->st, expect_diff_id) &&
                           stored_diff_id(l, expect_digest, &info, NULL) >= 0 &&
                           streq(info.diff_id, expect_diff_id)) {
                        log_debug("layer %s: already in the store", expect_digest);
                } else {
                        struct store_layer_unpack_opts o = {
                                .expect_digest = expect_digest,
                                .expect_diff_id = expect_diff_id,
                                .expect_size = expect_size > 0 ? (uint64_t)expect_size : 0,
                                .save_blob = 1,
                        };
                        r = l->src->unpack(l->src->userdata, np, &o, &info, err);
                        if (r < 0)
                                return box_err_prefix(err, "layer '%s'", path);
                        if (l->opts->on_layer)
                                l->opts->on_layer(l->opts->userdata, path, &info);
                }
                if (expect_size >= 0 && info.size != (uint64_t)expect_size)
                        return box_err_set(err, EBADMSG,
                                           "layer '%s': size mismatch: its descriptor says %lld "
                                           "bytes, the blob has %llu",
                                           path, (long long)expect_size,
                                           (unsigned long long)info.size);
                *ret = info;
                return 0;
        }
        struct entry *e = find_entry(l, path);
        if (!e)
                return box_err_set(err, ENOENT, "layer '%s' is not in the archive", path);
        if (e->kind == ENTRY_FAILED) {
                if (err)
                        *err = e->error;
                return box_err_prefix(err, "entry '%s'", path);
        }
        if (e->kind == ENTRY_JSON) {
                /* a small layer that looked like JSON (a tar whose first
                 * name starts with '{'): unpack it from memory now */
                struct mem_source m = {e->data, e->len, 0};
                struct store_layer_unpack_opts o = {.expect_digest = expect_digest, .save_blob = 1};
                r = store_layer_unpack(l->st, mem_read, &m, &o, &info, err);
                if (r < 0)
                        return box_err_prefix(err, "entry '%s'", path);
                free(e->data);
                e->data = NULL;
                e->kind = ENTRY_LAYER;
                e->info = info;
        }
        if (e->kind != ENTRY_LAYER)
                return box_err_set(err, EINVAL, "entry '%s' is not a layer", path);
        if (expect_size >= 0 && e->info.size != (uint64_t)expect_size)
                return box_err_set(err, EBADMSG,
                                   "entry '%s': size mismatch: its descriptor says %lld bytes, the "
                                   "blob has %llu",
                                   path, (long long)expect_size, (unsigned long long)e->info.size);
        if (expect_digest && !streq(expect_digest, e->info.digest))
                return box_err_set(err, EBADMSG, "entry '%s': digest mismatch: expected %s, got %s",
                                   path, expect_digest, e->info.digest);
        if (expect_diff_id && !streq(expect_diff_id, e->info.diff_id))
                return box_err_set(err, EBADMSG,
                                   "entry '%s': diff_id mismatch: the config says %s, the layer "
                                   "is %s",
                                   path, expect_diff_id, e->info.diff_id);
        *ret = e->info;
        return 0;
}

/* ---- images found ---- */

static struct pending *pending_new(struct loader *l)
{
        l->imgs = xreallocarray(l->imgs, l->n_imgs + 1, sizeof(*l->imgs));
        struct pending *p = &l->imgs[l->n_imgs++];
        memset(p, 0, sizeof(*p));
        p->names = xnew0(char *, 1);
        return p;
}

/* Names given to one image: RepoTags and annotations can list any number,
 * and each costs a rewrite of index.json. */
#define NAMES_MAX 1000

static void add_name(struct pending *p, const char *s)
{
        struct image_ref ref;
        if (strv_length(p->names) >= NAMES_MAX)
                return; /* resolve_docker() says so once */
        if (!s || spec_ref_parse(s, &ref, NULL) < 0) {
                log_info("invalid image name '%s', ignoring", strempty(s));
                return;
        }
        if (!ref.digest) {
                _cleanup_free_ char *full = spec_ref_format(&ref);
                if (!strv_contains(p->names, full))
                        p->names = strv_append(p->names, full);
        }
        spec_ref_release(&ref);
}

static int check_config(const char *buf, size_t len, const char *what, char ***ret_diff_ids,
                        struct box_err *err)
{
        struct oci_image img;
        int r = oci_image_parse(buf, len, &img, err);
        if (r < 0)
                return box_err_prefix(err, "config '%s'", what);
        *ret_diff_ids = TAKE_PTR(img.diff_ids);
        oci_image_release(&img);
        if (!*ret_diff_ids)
                *ret_diff_ids = xnew0(char *, 1);
        return 0;
}

/* docker-archive: manifest.json [{Config, RepoTags, Layers}, ...] */
static int resolve_docker(struct loader *l, const char *buf, size_t len, struct box_err *err)
{
        _cleanup_jv_ struct jv *arr = NULL;
        int r = jv_parse(buf, len, &arr, err);
        if (r < 0)
                return box_err_prefix(err, "manifest.json");
        if (!jv_is_array(arr) || jv_len(arr) == 0)
                return box_err_set(err, EINVAL, "manifest.json: not a list of images");
        for (size_t i = 0; i < jv_len(arr); i++) {
                struct jv *item = jv_at(arr, i);
                const char *cfg = jv_get_str(item, "Config");
                struct jv *layers = jv_get(item, "Layers");
                if (!cfg || !jv_is_array(layers))
                        return box_err_set(err, EINVAL,
                                           "manifest.json: image %zu has no Config or Layers", i);
                /* the config's name tells its digest: blobs/sha256/<hex> or <hex>.json */
                digest_str cdigest = "";
                _cleanup_free_ char *ncfg = normalize(cfg);
                if (ncfg && !digest_of_blob_path(ncfg, cdigest)) {
                        size_t n = strlen(ncfg);
                        _cleanup_free_ char *hex = n > 5 ? xstrndup(ncfg, n - 5) : NULL;
                        if (hex && streq(ncfg + n - 5, ".json") && spec_is_hex64(hex))
                                snprintf(cdigest, sizeof(cdigest), "sha256:%s", hex);
                }
                struct pending *p = pending_new(l);
                r = get_json(l, cfg, cdigest[0] ? cdigest : NULL, -1, &p->config, &p->config_len,
                             err);
                if (r < 0)
                        return box_err_prefix(err, "manifest.json");
                _cleanup_strv_free_ char **diff_ids = NULL;
                r = check_config(p->config, p->config_len, cfg, &diff_ids, err);
                if (r < 0)
                        return r;
                size_t n = jv_len(layers);
                if (strv_length(diff_ids) != n)
                        return box_err_set(err, EINVAL,
                                           "manifest.json: image %zu has %zu layers but its "
                                           "config lists %zu",
                                           i, n, strv_length(diff_ids));
                p->layers = xnew0(struct oci_descriptor, n);
                p->n_layers = n;
                for (size_t j = 0; j < n; j++) {
                        const char *lp = jv_str(jv_at(layers, j));
                        if (!lp)
                                return box_err_set(err, EINVAL, "manifest.json: bad layer %zu", j);
                        _cleanup_free_ char *nlp = normalize(lp);
                        digest_str ld;
                        int named = nlp && digest_of_blob_path(nlp, ld);
                        struct store_layer_info info;
                        r = get_layer(l, lp, named ? ld : NULL, -1, diff_ids[j], &info, err);
                        if (r < 0)
                                return r;
                        p->layers[j].media_type = xstrdup(media_of(info.compression));
                        p->layers[j].digest = xstrdup(info.digest);
                        p->layers[j].size = (int64_t)info.size;
                }
                struct jv *tags = jv_get(item, "RepoTags");
                for (size_t j = 0; j < jv_len(tags); j++)
                        add_name(p, jv_str(jv_at(tags, j)));
                if (jv_len(tags) > NAMES_MAX)
                        log_info("manifest.json: image %zu has %zu names; the first %d are used, "
                                 "ignoring the rest",
                                 i, jv_len(tags), NAMES_MAX);
        }
        return 0;
}

static int platform_matches(const struct oci_descriptor *d)
{
        return (!d->platform_os || streq(d->platform_os, "linux")) &&
               (!d->platform_arch || streq(d->platform_arch, oci_host_arch()));
}

/* A descriptor's size from the input: the readers below take a negative
 * one for "unknown" (a docker-archive has none) and skip the check, which
 * an index or a manifest must not be able to choose. */
static int descriptor_size_check(int64_t size, const char *what, const char *digest,
                                 struct box_err *err)
{
        if (size < 0)
                return box_err_set(err, EINVAL, "%s %s: negative size %lld", what, digest,
                                   (long long)size);
        return 0;
}

/* Where a blob lies: blobs/sha256/<hex> in an OCI layout; in
 * containers/image's dir: layout <hex>, and <hex>.manifest.json for the
 * manifests an index there lists. */
static char *blob_path(const struct loader *l, const char *digest, bool manifest)
{
        if (!l->dir_layout)
                return xasprintf("blobs/sha256/%s", digest + 7);
        return xasprintf("%s%s", digest + 7, manifest ? ".manifest.json" : "");
}

static int resolve_manifest_buf(struct loader *l, const char *path, char *buf, size_t len,
                                const char *digest, char *const *names, int depth,
                                struct box_err *err);

static int resolve_manifest(struct loader *l, const char *digest, int64_t size, char *const *names,
                            int depth, struct box_err *err)
{
        if (depth > INDEX_DEPTH)
                return box_err_set(err, ELOOP, "image indexes nested too deeply");
        int r = spec_digest_validate(digest, err);
        if (r < 0)
                return r;
        r = descriptor_size_check(size, "manifest", digest, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = blob_path(l, digest, true);
        char *buf = NULL;
        size_t len;
        r = get_json(l, path, digest, size, &buf, &len, err);
        if (r < 0)
                return r;
        return resolve_manifest_buf(l, path, buf, len, digest, names, depth, err);
}

static int resolve_index(struct loader *l, const char *path, const char *buf, size_t len,
                         char *const *names, int depth, struct box_err *err)
{
        struct oci_index x;
        int r = oci_index_parse(buf, len, &x, err);
        if (r < 0)
                return box_err_prefix(err, "entry '%s'", path);
        const struct oci_descriptor *pick = NULL;
        for (size_t i = 0; i < x.n_manifests && !pick; i++)
                if (platform_matches(&x.manifests[i]))
                        pick = &x.manifests[i];
        if (!pick && x.n_manifests == 1)
                pick = &x.manifests[0];
        _cleanup_free_ char *avail = pick ? NULL : oci_index_platforms(&x);
        if (!pick)
                r = box_err_set(err, ENOENT, "entry '%s': no image for linux/%s; it has: %s", path,
                                oci_host_arch(), avail);
        else
                r = resolve_manifest(l, pick->digest, pick->size, names, depth + 1, err);
        oci_index_release(&x);
        return r;
}

/* BUF (taken) is the document at PATH whose digest is DIGEST: an index,
 * resolved to this platform's manifest, or a manifest. */
static int resolve_manifest_buf(struct loader *l, const char *path, char *buf_in, size_t len,
                                const char *digest, char *const *names, int depth,
                                struct box_err *err)
{
        _cleanup_free_ char *buf = buf_in;
        int r;
        /* an index inside: take the manifest for this platform */
        _cleanup_jv_ struct jv *o = NULL;
        if (jv_parse(buf, len, &o, NULL) >= 0 && jv_get(o, "manifests"))
                return resolve_index(l, path, buf, len, names, depth, err);
        for (size_t i = 0; i < l->n_imgs; i++)
                if (l->imgs[i].manifest && streq(l->imgs[i].manifest_digest, digest)) {
                        STRV_FOREACH (nm, names)
                                if (strv_length(l->imgs[i].names) < NAMES_MAX &&
                                    !strv_contains(l->imgs[i].names, *nm))
                                        l->imgs[i].names = strv_append(l->imgs[i].names, *nm);
                        return 0;
                }
        struct oci_manifest m;
        r = oci_manifest_parse(buf, len, &m, err);
        if (r < 0)
                return box_err_prefix(err, "entry '%s'", path);
        r = oci_manifest_check_image(&m, err);
        if (r < 0) {
                oci_manifest_release(&m);
                return box_err_prefix(err, "entry '%s'", path);
        }
        struct pending *p = pending_new(l);
        p->manifest = TAKE_PTR(buf);
        p->manifest_len = len;
        snprintf(p->manifest_digest, sizeof(p->manifest_digest), "%s", digest);
        STRV_FOREACH (nm, names)
                p->names = strv_append(p->names, *nm);
        _cleanup_strv_free_ char **diff_ids = NULL;
        _cleanup_free_ char *cpath = NULL;
        r = spec_digest_validate(m.config.digest, err);
        if (r >= 0)
                r = descriptor_size_check(m.config.size, "config", m.config.digest, err);
        if (r < 0)
                goto out;
        cpath = blob_path(l, m.config.digest, false);
        r = get_json(l, cpath, m.config.digest, m.config.size, &p->config, &p->config_len, err);
        if (r >= 0)
                r = check_config(p->config, p->config_len, cpath, &diff_ids, err);
        if (r < 0)
                goto out;
        if (strv_length(diff_ids) != m.n_layers) {
                r = box_err_set(err, EINVAL, "manifest %s has %zu layers but its config lists %zu",
                                digest, m.n_layers, strv_length(diff_ids));
                goto out;
        }
        for (size_t i = 0; i < m.n_layers; i++) {
                r = spec_digest_validate(m.layers[i].digest, err);
                if (r >= 0)
                        r = descriptor_size_check(m.layers[i].size, "layer", m.layers[i].digest,
                                                  err);
                if (r < 0)
                        break;
                _cleanup_free_ char *lp = blob_path(l, m.layers[i].digest, false);
                struct store_layer_info info;
                r = get_layer(l, lp, m.layers[i].digest, m.layers[i].size, diff_ids[i], &info, err);
                if (r < 0)
                        break;
        }
out:
        oci_manifest_release(&m);
        return r;
}

/* OCI layout: index.json */
static int resolve_oci(struct loader *l, const char *buf, size_t len, struct box_err *err)
{
        struct oci_index x;
        int r = oci_index_parse(buf, len, &x, err);
        if (r < 0)
                return box_err_prefix(err, "index.json");
        size_t skipped = 0;
        if (x.n_manifests == 0)
                r = box_err_set(err, EINVAL, "index.json lists no image");
        for (size_t i = 0; i < x.n_manifests && r >= 0; i++) {
                const struct oci_descriptor *d = &x.manifests[i];
                struct pending tmp = {.names = xnew0(char *, 1)};
                const char *full = oci_kv_get(d->annotations, "io.containerd.image.name");
                const char *refname = oci_kv_get(d->annotations, OCI_ANNOTATION_REF_NAME);
                if (full)
                        add_name(&tmp, full);
                else if (refname && strpbrk(refname, ":/"))
                        add_name(&tmp, refname);
                r = resolve_manifest(l, d->digest, d->size, tmp.names, 0, err);
                strv_free(tmp.names);
                /* an artifact beside images (a signature, an SBOM whose
                 * subject is one of them, as oras and cosign store them)
                 * is left, as docker load leaves content that is no image */
                if (r == -EMEDIUMTYPE && x.n_manifests > 1) {
                        log_info("index.json: skipping %s: %s", d->digest, err ? err->msg : "");
                        skipped++;
                        r = 0;
                }
        }
        if (r >= 0 && skipped && l->n_imgs == 0)
                r = box_err_set(err, EMEDIUMTYPE, "index.json lists no image, only %zu artifacts",
                                skipped);
        oci_index_release(&x);
        return r;
}

/* containers/image's dir: layout (podman save --format docker-dir, skopeo
 * copy dir:): manifest.json is the image's manifest (or index) itself,
 * named by nothing, so the image loads untagged as podman loads it. */
static int resolve_dir(struct loader *l, char *buf, size_t len, struct box_err *err)
{
        digest_str d;
        sha256_buf(buf, len, d);
        l->dir_layout = true;
        char *no_names[] = {NULL};
        return resolve_manifest_buf(l, "manifest.json", buf, len, d, no_names, 0, err);
}

/* ---- committing: blobs, then names ---- */

static int commit(struct loader *l, struct image_loaded **ret, size_t *ret_n, struct box_err *err)
{
        int r = 0;
        if (l->opts->name && l->n_imgs != 1)
                return box_err_set(err, EINVAL, "a name was given but the source holds %zu images",
                                   l->n_imgs);
        for (size_t i = 0; i < l->n_imgs; i++) {
                struct pending *p = &l->imgs[i];
                digest_str cd;
                r = store_blob_put(l->st, p->config, p->config_len, cd, err);
                if (r < 0)
                        return box_err_prefix(err, "store config");
                if (!p->manifest) {
                        struct oci_manifest m = {
                                .schema_version = 2,
                                .media_type = OCI_MEDIA_MANIFEST,
                                .config = {.media_type = OCI_MEDIA_CONFIG,
                                           .digest = cd,
                                           .size = (int64_t)p->config_len},
                                .layers = p->layers,
                                .n_layers = p->n_layers,
                        };
                        p->manifest = oci_manifest_to_json(&m);
                        p->manifest_len = strlen(p->manifest);
                }
                r = store_blob_put(l->st, p->manifest, p->manifest_len, p->manifest_digest, err);
                if (r < 0)
                        return box_err_prefix(err, "store manifest");
                if (l->opts->name) {
                        strv_free(p->names);
                        p->names = strv_append(NULL, l->opts->name);
                }
        }
        /* every blob is in: now the names, the only visible change */
        struct image_loaded *v = xnew0(struct image_loaded, l->n_imgs);
        for (size_t i = 0; i < l->n_imgs; i++) {
                struct pending *p = &l->imgs[i];
                if (!p->names[0])
                        r = store_image_tag(l->st, NULL, p->manifest_digest,
                                            (int64_t)p->manifest_len, err);
                STRV_FOREACH (nm, p->names) {
                        r = store_image_tag(l->st, *nm, p->manifest_digest,
                                            (int64_t)p->manifest_len, err);
                        if (r < 0)
                                break;
                }
                if (r < 0) {
                        image_loaded_free(v, l->n_imgs);
                        return r;
                }
                sha256_buf(p->config, p->config_len, v[i].id);
                memcpy(v[i].manifest, p->manifest_digest, sizeof(digest_str));
                v[i].names = TAKE_PTR(p->names);
                p->names = xnew0(char *, 1);
        }
        *ret = v;
        *ret_n = l->n_imgs;
        return 0;
}

static bool manifest_is_object(const char *buf, size_t len)
{
        _cleanup_jv_ struct jv *o = NULL;
        return jv_parse(buf, len, &o, NULL) >= 0 && jv_is_object(o);
}

static int resolve_and_commit(struct loader *l, int prefer_index, struct image_loaded **ret,
                              size_t *ret_n, struct box_err *err)
{
        _cleanup_free_ char *manifest = NULL, *index = NULL;
        size_t mlen = 0, ilen = 0;
        struct box_err e1 = {0}, e2 = {0};
        int rm = -ENOENT, ri;
        int r;
        ri = get_json(l, "index.json", NULL, -1, &index, &ilen, &e2);
        if (ri < 0 && ri != -ENOENT) {
                *err = e2;
                return ri;
        }
        if (ri < 0 || !prefer_index) {
                rm = get_json(l, "manifest.json", NULL, -1, &manifest, &mlen, &e1);
                if (rm < 0 && rm != -ENOENT) {
                        *err = e1;
                        return rm;
                }
        }
        if (rm < 0 && ri < 0) {
                if (l->src) {
                        *err = e2; /* what fetching index.json said */
                        return ri;
                }
                return box_err_set(err, EINVAL,
                                   "not an image archive: no manifest.json and no index.json");
        }
        if (rm < 0)
                r = resolve_oci(l, index, ilen, err);
        else if (l->src && manifest_is_object(manifest, mlen))
                r = resolve_dir(l, TAKE_PTR(manifest), mlen, err);
        else
                r = resolve_docker(l, manifest, mlen, err);
        if (r < 0)
                return r;
        return commit(l, ret, ret_n, err);
}

/* ---- streamed archives ---- */

struct entry_reader {
        struct image_tar_reader *r;
        struct image_prefetch *pf; /* what r reads from */
        char peek[PEEK];
        size_t peek_len, peek_off;
        int outer_failed;
};

static void entry_reader_release(struct entry_reader *er)
{
        image_tar_reader_free(er->r);
}

/* store_lender-shaped: the entry's bytes where they lie, in the
 * read-ahead ring (kept there while it holds) or, for the peeked start and
 * a run libarchive had to piece together, in a buffer that lasts until the
 * next call. */
static ssize_t entry_lend(void *ud, size_t n, const void **ret, bool *ret_kept, struct box_err *err)
{
        struct entry_reader *er = ud;
        *ret_kept = false;
        if (er->peek_off < er->peek_len) {
                size_t k = er->peek_len - er->peek_off;
                if (k > n)
                        k = n;
                *ret = er->peek + er->peek_off;
                er->peek_off += k;
                return (ssize_t)k;
        }
        ssize_t x = image_tar_reader_lend(er->r, n, ret, err);
        if (x < 0)
                er->outer_failed = 1;
        *ret_kept = x > 0 && image_prefetch_owns(er->pf, *ret, (size_t)x);
        return x;
}

static void entry_release(void *ud, const void *p, size_t n)
{
        struct entry_reader *er = ud;
        image_prefetch_release(er->pf, p, n);
}

static int layerish(const char *path)
{
        digest_str d;
        if (digest_of_blob_path(path, d))
                return 1;
        size_t n = strlen(path);
        static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz", ".tar.zst"};
        for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && streq(path + n - k, suffixes[i]))
                        return 1;
        }
        return 0;
}

static struct entry *entry_new(struct loader *l, const char *path, enum entry_kind kind)
{
        if (l->n_entries == l->entries_cap) {
                l->entries_cap = l->entries_cap ? 2 * l->entries_cap : 64;
                l->entries = xreallocarray(l->entries, l->entries_cap, sizeof(*l->entries));
        }
        struct entry *e = &l->entries[l->n_entries++];
        memset(e, 0, sizeof(*e));
        e->path = xstrdup(path);
        e->kind = kind;
        return e;
}

static int take_entry(struct loader *l, struct entry_reader *er, const struct image_tar_entry *te,
                      struct box_err *err)
{
        _cleanup_free_ char *path = normalize(te->path);
        if (!path || !*path)
                return 0;
        if (l->n_entries >= ENTRIES_MAX)
                return box_err_set(err, EFBIG,
                                   "more than %u files, links and layers in the archive",
                                   ENTRIES_MAX);
        if (te->type == IMAGE_TAR_SYMLINK || te->type == IMAGE_TAR_HARDLINK) {
                _cleanup_free_ char *target = NULL;
                if (te->type == IMAGE_TAR_SYMLINK && te->link[0] != '/') {
                        char *slash = strrchr(path, '/');
                        _cleanup_free_ char *joined =
                                slash ? xasprintf("%.*s/%s", (int)(slash - path), path, te->link)
                                      : xstrdup(te->link);
                        target = normalize(joined);
                } else {
                        target = normalize(te->link);
                }
                if (target)
                        entry_new(l, path, ENTRY_LINK)->target = TAKE_PTR(target);
                return 0;
        }
        if (te->type != IMAGE_TAR_FILE)
                return 0;

        /* peek at the start: JSON stays in memory, layers go to the store */
        er->peek_len = er->peek_off = 0;
        while (er->peek_len < PEEK) {
                ssize_t n = image_tar_reader_read(er->r, er->peek + er->peek_len,
                                                  PEEK - er->peek_len, err);
                if (n < 0)
                        return box_err_prefix(err, "entry '%s'", path);
                if (n == 0)
                        break;
                er->peek_len += (size_t)n;
        }
        size_t k = 0;
        while (k < er->peek_len && strchr(" \t\r\n", er->peek[k]))
                k++;
        /* JSON text has no NUL; a tar header (a layer whose first name
         * starts with '{') always has some */
        int json = k < er->peek_len && (er->peek[k] == '{' || er->peek[k] == '[') &&
                   !memchr(er->peek, '\0', er->peek_len);
        if (json && (te->size < 0 || (uint64_t)te->size > l->limits.json_size)) {
                /* an error only if the image uses it */
                struct box_err big = {0};
                box_err_set(&big, EFBIG,
                            "entry '%s': a JSON document of %lld bytes is larger than the limit of "
                            "%llu (BOX_MAX_JSON_SIZE)",
                            path, (long long)te->size, (unsigned long long)l->limits.json_size);
                entry_new(l, path, ENTRY_FAILED)->error = big;
                return 0;
        }
        if (json) {
                if (l->json_total + (size_t)te->size > JSON_TOTAL_MAX)
                        return box_err_set(err, EFBIG, "entry '%s': too much metadata", path);
                struct buf b = {0};
                buf_append(&b, er->peek, er->peek_len);
                char chunk[65536];
                for (;;) {
                        ssize_t n = image_tar_reader_read(er->r, chunk, sizeof(chunk), err);
                        if (n < 0) {
                                buf_release(&b);
                                return box_err_prefix(err, "entry '%s'", path);
                        }
                        if (n == 0)
                                break;
                        if (b.len + (size_t)n > l->limits.json_size) {
                                buf_release(&b);
                                return box_err_set(err, EFBIG, "entry '%s': too large", path);
                        }
                        buf_append(&b, chunk, (size_t)n);
                }
                struct entry *e = entry_new(l, path, ENTRY_JSON);
                e->len = b.len;
                e->data = buf_steal(&b);
                l->json_total += e->len;
                return 0;
        }
        if (!layerish(path))
                return 0; /* VERSION, legacy json and the like */

        digest_str named;
        struct store_layer_unpack_opts o = {.save_blob = 1};
        if (digest_of_blob_path(path, named))
                o.expect_digest = named;
        struct store_layer_info info;
        struct box_err lerr = {0};
        er->outer_failed = 0;
        /* hashed, saved and unpacked where the bytes lie in the ring */
        const struct store_lender src = {entry_lend, entry_release, er};
        image_prefetch_hold(er->pf, true);
        int r = store_layer_unpack_lent(l->st, &src, &o, &info, &lerr);
        image_prefetch_hold(er->pf, false);
        if (r < 0 && er->outer_failed) {
                if (err)
                        *err = lerr;
                return box_err_prefix(err, "entry '%s'", path);
        }
        if (r < 0) {
                /* only an error if the manifest names it */
                log_debug("entry '%s' is not a layer: %s", path, lerr.msg);
                entry_new(l, path, ENTRY_FAILED)->error = lerr;
                return 0;
        }
        entry_new(l, path, ENTRY_LAYER)->info = info;
        if (l->opts->on_layer)
                l->opts->on_layer(l->opts->userdata, path, &info);
        return 0;
}

int image_load_archive(struct store *st, store_read_fn read, void *userdata,
                       const struct image_load_opts *opts, struct image_loaded **ret, size_t *ret_n,
                       struct box_err *err)
{
        static const struct image_load_opts no_opts;
        _cleanup_(loader_release) struct loader l = {.st = st, .opts = opts ? opts : &no_opts};
        store_limits_get(&l.limits);
        int r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        /* download/read and decompression of the archive run ahead in a
         * thread while this one unpacks, hashes and syncs */
        _cleanup_prefetch_ struct image_prefetch *pf = NULL;
        r = image_prefetch_new(read, userdata, &pf, err);
        if (r < 0)
                return r;
        /* after pf: freed before it, as it reads from it */
        _cleanup_(entry_reader_release) struct entry_reader er = {0};
        r = image_tar_reader_new_lent(image_prefetch_lend, pf, &er.r, err);
        if (r < 0)
                return box_err_prefix(err, "not an image archive");
        er.pf = pf;
        const char *last = NULL;
        _cleanup_free_ char *last_path = NULL;
        for (;;) {
                struct image_tar_entry te;
                r = image_tar_reader_next(er.r, &te, err);
                if (r == 0)
                        break;
                if (r < 0) {
                        if (last)
                                box_err_prefix(err, "after entry '%s'", last);
                        else
                                box_err_prefix(err, "not an image archive");
                        return r;
                }
                r = take_entry(&l, &er, &te, err);
                if (r < 0)
                        return r;
                free(last_path);
                last_path = xstrdup(te.path);
                last = last_path;
        }
        return resolve_and_commit(&l, 0, ret, ret_n, err);
}

int image_load_layout(struct store *st, const struct image_layout_source *src,
                      const struct image_load_opts *opts, struct image_loaded **ret, size_t *ret_n,
                      struct box_err *err)
{
        static const struct image_load_opts no_opts;
        _cleanup_(loader_release) struct loader l = {
                .st = st, .opts = opts ? opts : &no_opts, .src = src};
        store_limits_get(&l.limits);
        int r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        return resolve_and_commit(&l, 1, ret, ret_n, err);
}

/* ---- an OCI layout directory ---- */

struct dir_source {
        int dirfd;
        struct store *st;
};

/* A file of the layout, resolved inside it (a symlink cannot leave it),
 * and only a regular file: a FIFO or a device there would block the
 * reader or never end, so it is looked at through an O_PATH fd and opened
 * for reading only once known to be a regular file. */
static int dir_open(struct dir_source *d, const char *path, struct box_err *err)
{
        _cleanup_close_ int pfd = openat_in_root(d->dirfd, path, O_PATH | O_CLOEXEC, 0);
        if (pfd < 0)
                return box_err_errno(err, errno, "open '%s'", path);
        struct stat s;
        if (fstat(pfd, &s) < 0)
                return box_err_errno(err, errno, "stat '%s'", path);
        if (!S_ISREG(s.st_mode))
                return box_err_set(err, EINVAL, "'%s' in the layout is not a regular file", path);
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        int fd = open(proc, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", path);
        return fd;
}

static int dir_read_small(void *ud, const char *path, char **ret, size_t *ret_len,
                          struct box_err *err)
{
        struct dir_source *d = ud;
        _cleanup_close_ int fd = dir_open(d, path, err);
        if (fd < 0)
                return fd;
        struct store_limits lim;
        store_limits_get(&lim);
        size_t max = lim.json_size > SIZE_MAX ? SIZE_MAX : (size_t)lim.json_size;
        int r = fs_read_fd(fd, max, ret, ret_len, err);
        if (r == -EFBIG)
                return box_err_set(err, EFBIG, "'%s' is larger than %zu bytes (BOX_MAX_JSON_SIZE)",
                                   path, max);
        if (r < 0)
                return box_err_prefix(err, "'%s'", path);
        return 0;
}

static int dir_unpack(void *ud, const char *path, const struct store_layer_unpack_opts *opts,
                      struct store_layer_info *ret, struct box_err *err)
{
        struct dir_source *d = ud;
        _cleanup_close_ int fd = dir_open(d, path, err);
        if (fd < 0)
                return fd;
        return store_layer_unpack_fd(d->st, fd, opts, ret, err);
}

int image_load_dir(struct store *st, const char *dir, const struct image_load_opts *opts,
                   struct image_loaded **ret, size_t *ret_n, struct box_err *err)
{
        struct dir_source d = {.st = st};
        d.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d.dirfd < 0)
                return box_err_errno(err, errno, "open '%s'", dir);
        struct image_layout_source src = {
                .read_small = dir_read_small,
                .unpack = dir_unpack,
                .userdata = &d,
        };
        int r = image_load_layout(st, &src, opts, ret, ret_n, err);
        close(d.dirfd);
        return r;
}

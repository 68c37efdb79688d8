#include "store/image.h"

#include <ctype.h>
#include <stdbool.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/ref.h"
#include "store/store-internal.h"

void store_image_handle_release(struct store_image_handle *h)
{
        free(h->name);
        oci_manifest_release(&h->m);
        oci_image_release(&h->config);
        free(h->config_json);
        memset(h, 0, sizeof(*h));
}

/* A blob the index or a manifest names and the store lacks: the image is
 * damaged (EUCLEAN), which is not "no such image" (ENOENT: a run would
 * pull, an image list would not say). */
static int read_named_blob(struct store *st, const char *what, const char *digest, char **ret,
                           size_t *ret_len, struct box_err *err)
{
        int r = store_blob_read(st, digest, ret, ret_len, err);
        if (r == -ENOENT)
                return box_err_set(err, EUCLEAN,
                                   "its %s blob %s is missing from the store (the image is "
                                   "damaged)",
                                   what, digest);
        return r;
}

int store_image_load(struct store *st, const char *manifest_digest, struct store_image_handle *ret,
                     struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        _cleanup_free_ char *mbuf = NULL;
        size_t mlen;
        int r = read_named_blob(st, "manifest", manifest_digest, &mbuf, &mlen, err);
        if (r < 0)
                return r;
        r = oci_manifest_parse(mbuf, mlen, &h.m, err);
        if (r < 0)
                return box_err_prefix(err, "%s", manifest_digest);
        r = spec_digest_validate(h.m.config.digest, err);
        if (r >= 0)
                r = read_named_blob(st, "config", h.m.config.digest, &h.config_json, &h.config_len,
                                    err);
        if (r < 0)
                return r;
        r = oci_image_parse(h.config_json, h.config_len, &h.config, err);
        if (r < 0) {
                box_err_prefix(err, "%s", h.m.config.digest);
                return r;
        }
        /* Digests become paths (blobs/sha256/<hex>, layers/<hex>): whatever
         * wrote this image, none of them is used unless well formed. */
        for (size_t i = 0; i < h.m.n_layers && r >= 0; i++)
                r = spec_digest_validate(h.m.layers[i].digest, err);
        STRV_FOREACH (d, h.config.diff_ids) {
                if (r < 0)
                        break;
                r = spec_digest_validate(*d, err);
        }
        if (r < 0) {
                box_err_prefix(err, "image %s", manifest_digest);
                store_image_handle_release(&h);
                return r;
        }
        snprintf(h.id, sizeof(h.id), "%s", h.m.config.digest);
        snprintf(h.manifest, sizeof(h.manifest), "%s", manifest_digest);
        h.manifest_size = (int64_t)mlen;
        *ret = TAKE_STRUCT(h);
        return 0;
}

static int is_hex_prefix(const char *s)
{
        size_t n = 0;
        for (; s[n]; n++)
                if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
                        return 0;
        return n > 0 && n <= 64;
}

/* The id of image MANIFEST (the digest its manifest names as config) in
 * RET_ID, the config blob itself present or not; -EUCLEAN when it is not,
 * or when the manifest is gone too (its id unknown: "") */
static int image_id_of(struct store *st, const char *manifest, struct store_image_handle *ret)
{
        if (store_image_load(st, manifest, ret, NULL) >= 0)
                return 0;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        struct oci_manifest m = {0};
        ret->id[0] = '\0';
        if (store_blob_read(st, manifest, &buf, &len, NULL) >= 0 &&
            oci_manifest_parse(buf, len, &m, NULL) >= 0 &&
            spec_digest_validate(m.config.digest, NULL) >= 0)
                snprintf(ret->id, sizeof(ret->id), "%s", m.config.digest);
        oci_manifest_release(&m);
        snprintf(ret->manifest, sizeof(ret->manifest), "%s", manifest);
        return -EUCLEAN;
}

/* The image whose id begins with HEX (or whose manifest digest is HEX):
 * -ENOENT when none; -EUCLEAN for a damaged one (a blob gone), with its id
 * and manifest in RET, that `rmi -f ID` can still remove it. */
static int resolve_id(struct store *st, const struct store_image *imgs, size_t n,
                      const char *name_or_id, struct store_image_handle *ret, struct box_err *err)
{
        const char *hex = startswith(name_or_id, "sha256:") ? name_or_id + 7 : name_or_id;
        size_t hl = strlen(hex);
        _cleanup_image_handle_ struct store_image_handle found = {0};
        int matches = 0, damaged = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_image_handle_ struct store_image_handle h = {0};
                int r = image_id_of(st, imgs[i].manifest, &h);
                int hit = (h.id[0] && strncmp(h.id + 7, hex, hl) == 0) ||
                          (hl == 64 && streq(imgs[i].manifest + 7, hex));
                if (!hit || (matches && streq(found.manifest, h.manifest)))
                        continue; /* a miss, or the same image by another tag */
                if (matches && h.id[0] && streq(found.id, h.id))
                        continue;
                matches++;
                damaged = r < 0;
                store_image_handle_release(&found);
                found = TAKE_STRUCT(h);
        }
        if (matches > 1)
                return box_err_set(err, EINVAL,
                                   "image id prefix '%s' is ambiguous: use more characters",
                                   name_or_id);
        if (matches == 0)
                return -ENOENT;
        if (damaged) {
                /* its error, which says which blob is gone */
                _cleanup_image_handle_ struct store_image_handle h = {0};
                int r = store_image_load(st, found.manifest, &h, err);
                if (r >= 0) { /* mended meanwhile */
                        *ret = TAKE_STRUCT(h);
                        return 0;
                }
                snprintf(ret->id, sizeof(ret->id), "%s", found.id);
                snprintf(ret->manifest, sizeof(ret->manifest), "%s", found.manifest);
                return box_err_prefix(err, "image '%s'", name_or_id);
        }
        *ret = TAKE_STRUCT(found);
        return 0;
}

int store_image_resolve(struct store *st, const char *name_or_id, struct store_image_handle *ret,
                        struct box_err *err)
{
        _cleanup_store_images_ struct store_images l = {0};
        int r = store_images_list(st, &l.v, &l.n, err);
        if (r < 0)
                return r;
        struct store_image *imgs = l.v;
        size_t n = l.n;

        /* 1. a reference; REPO@DIGEST names the manifest within that repository */
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse_name(name_or_id, &ref, NULL) >= 0 && ref.digest) {
                _cleanup_free_ char *repo = spec_ref_repository(&ref);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_image_ref_ struct image_ref other = {0};
                        if (!imgs[i].name || !streq(imgs[i].manifest, ref.digest) ||
                            spec_ref_parse_name(imgs[i].name, &other, NULL) < 0)
                                continue;
                        _cleanup_free_ char *orepo = spec_ref_repository(&other);
                        if (!streq(orepo, repo))
                                continue;
                        r = store_image_load(st, imgs[i].manifest, ret, err);
                        if (r >= 0)
                                ret->name = xstrdup(imgs[i].name);
                        else
                                box_err_prefix(err, "image '%s'", name_or_id);
                        return r;
                }
        } else {
                spec_ref_release(&ref);
                if (spec_ref_parse(name_or_id, &ref, NULL) >= 0) {
                        _cleanup_free_ char *full = spec_ref_format(&ref);
                        for (size_t i = 0; i < n; i++) {
                                if (imgs[i].name && streq(imgs[i].name, full)) {
                                        r = store_image_load(st, imgs[i].manifest, ret, err);
                                        if (r >= 0)
                                                ret->name = xstrdup(full);
                                        else
                                                box_err_prefix(err, "image '%s'", name_or_id);
                                        return r;
                                }
                        }
                }
        }

        /* 2. an image id (config digest) or its prefix; or a manifest digest */
        const char *hex = name_or_id;
        if (startswith(hex, "sha256:"))
                hex += 7;
        if (is_hex_prefix(hex)) {
                r = resolve_id(st, imgs, n, name_or_id, ret, err);
                if (r != -ENOENT)
                        return r;
        }
        return box_err_set(err, ENOENT, "no such image: '%s'", name_or_id);
}

int store_image_commit(struct store *st, const struct oci_image *config,
                       const struct oci_descriptor *layers, size_t n_layers, char *const *names,
                       digest_str ret_id, struct box_err *err)
{
        _cleanup_free_ char *cjson = oci_image_to_json(config);
        digest_str cdigest, mdigest;
        int r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_layers; i++)
                if (!store_blob_exists(st, layers[i].digest))
                        return box_err_set(err, ENOENT, "commit image: layer blob %s missing",
                                           layers[i].digest);
        r = store_blob_put(st, cjson, strlen(cjson), cdigest, err);
        if (r < 0)
                return box_err_prefix(err, "commit image config");
        struct oci_manifest m = {
                .schema_version = 2,
                .media_type = OCI_MEDIA_MANIFEST,
                .config = {.media_type = OCI_MEDIA_CONFIG,
                           .digest = cdigest,
                           .size = (int64_t)strlen(cjson)},
                .layers = (struct oci_descriptor *)layers,
                .n_layers = n_layers,
        };
        _cleanup_free_ char *mjson = oci_manifest_to_json(&m);
        r = store_blob_put(st, mjson, strlen(mjson), mdigest, err);
        if (r < 0)
                return box_err_prefix(err, "commit image manifest");
        if (!names || !names[0]) {
                r = store_image_tag(st, NULL, mdigest, (int64_t)strlen(mjson), err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (name, names) {
                r = store_image_tag(st, *name, mdigest, (int64_t)strlen(mjson), err);
                if (r < 0)
                        return box_err_prefix(err, "tag '%s'", *name);
        }
        if (ret_id)
                memcpy(ret_id, cdigest, sizeof(digest_str));
        return 0;
}

int store_image_lowerdirs(struct store *st, const struct store_image_handle *h, char ***ret,
                          struct box_err *err)
{
        size_t n = strv_length(h->config.diff_ids), k = 0;
        _cleanup_strv_free_ char **v = xnew0(char *, n + 1);
        for (size_t i = n; i-- > 0;) {
                const char *d = h->config.diff_ids[i];
                if (!store_layer_exists(st, d))
                        return box_err_set(err, ENOENT,
                                           "layer %s of image %.19s is not unpacked: the store "
                                           "needs 'box system fsck --repair' or a new pull",
                                           d, h->id);
                /* a layer met again (two steps that made the same change)
                 * is listed once, where it is topmost: overlayfs refuses a
                 * dir twice in lowerdir (ELOOP), and the lower copy adds
                 * nothing the upper one does not */
                char *p = store_layer_short_path(st, d);
                if (strv_contains(v, p))
                        free(p);
                else
                        v[k++] = p;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

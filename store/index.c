/* index.json: the store's list of images.  Every change is a
 * read-modify-write under index.lock, written with fs_write_atomic_at(). */
#include "store/store-internal.h"

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"
#include "spec/ref.h"

static int index_read(struct store *st, struct oci_index *ret, struct box_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = fs_read_file_at(st->root_fd, "index.json", 0, &buf, &len, err);
        if (r < 0)
                return r;
        r = oci_index_parse(buf, len, ret, err);
        if (r < 0)
                return box_err_prefix(err, "store '%s'", st->root);
        return 0;
}

static int index_write(struct store *st, const struct oci_index *x, struct box_err *err)
{
        /* the blobs' names before the index that names them: a blob's
         * commit leaves its directory unsynced (store/store.c), and this
         * one fsync covers every blob committed since, by any process */
        int r = fs_fsync_dir_at(st->root_fd, "blobs/sha256");
        if (r < 0)
                return box_err_errno(err, -r, "sync the store's blobs");
        _cleanup_free_ char *json = oci_index_to_json(x);
        return fs_write_atomic_at(st->root_fd, "index.json", json, strlen(json), 0644, err);
}

static const char *ref_name(const struct oci_descriptor *d)
{
        return oci_kv_get(d->annotations, OCI_ANNOTATION_REF_NAME);
}

void store_images_free(struct store_image *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

int store_images_list(struct store *st, struct store_image **ret, size_t *ret_n,
                      struct box_err *err)
{
        struct oci_index x;
        int r = index_read(st, &x, err);
        if (r < 0)
                return r;
        struct store_image *v = xnew0(struct store_image, x.n_manifests);
        size_t n = 0;
        for (size_t i = 0; i < x.n_manifests; i++) {
                const struct oci_descriptor *d = &x.manifests[i];
                if (spec_digest_validate(d->digest, NULL) < 0)
                        continue;
                const char *name = ref_name(d);
                v[n].name = name ? xstrdup(name) : NULL;
                snprintf(v[n].manifest, sizeof(v[n].manifest), "%s", d->digest);
                v[n].manifest_size = d->size;
                n++;
        }
        oci_index_release(&x);
        *ret = v;
        *ret_n = n;
        return 0;
}

static void drop_entry(struct oci_index *x, size_t i)
{
        oci_descriptor_release(&x->manifests[i]);
        memmove(&x->manifests[i], &x->manifests[i + 1],
                (x->n_manifests - i - 1) * sizeof(x->manifests[0]));
        x->n_manifests--;
}

static int manifest_referenced(const struct oci_index *x, const char *digest)
{
        for (size_t i = 0; i < x->n_manifests; i++)
                if (streq(x->manifests[i].digest, digest))
                        return 1;
        return 0;
}

static void add_entry(struct oci_index *x, const char *name, const char *digest, int64_t size)
{
        x->manifests = xreallocarray(x->manifests, x->n_manifests + 1, sizeof(x->manifests[0]));
        struct oci_descriptor *d = &x->manifests[x->n_manifests++];
        memset(d, 0, sizeof(*d));
        d->media_type = xstrdup(OCI_MEDIA_MANIFEST);
        d->digest = xstrdup(digest);
        d->size = size;
        d->annotations = xnew0(char *, 1);
        if (name)
                d->annotations = oci_kv_set(d->annotations, OCI_ANNOTATION_REF_NAME, name);
}

/* The read-modify-write of index.json under index.lock: EDIT returns < 0 on
 * error, 0 when it changed nothing, 1 when the index must be written. */
typedef int (*index_edit_fn)(struct oci_index *x, void *userdata, struct box_err *err);

static int index_update(struct store *st, index_edit_fn edit, void *userdata, struct box_err *err)
{
        int lfd = store_index_lock(st, err);
        if (lfd < 0)
                return lfd;
        struct oci_index x;
        int r = index_read(st, &x, err);
        if (r >= 0) {
                r = edit(&x, userdata, err);
                if (r > 0) {
                        int w = index_write(st, &x, err);
                        if (w < 0)
                                r = w;
                }
                oci_index_release(&x);
        }
        store_index_unlock(st, lfd);
        return r;
}

struct tag_edit {
        const char *name, *digest;
        int64_t size;
};

static int edit_tag(struct oci_index *x, void *userdata, struct box_err *err)
{
        const struct tag_edit *t = userdata;
        (void)err;
        /* an untagged image already listed (a cached `box build` without
         * -t): nothing to write, no fsync, no rename */
        if (!t->name && manifest_referenced(x, t->digest))
                return 0;
        if (t->name) {
                for (size_t i = 0; i < x->n_manifests; i++) {
                        const char *n = ref_name(&x->manifests[i]);
                        if (!n || !streq(n, t->name))
                                continue;
                        if (streq(x->manifests[i].digest, t->digest))
                                return 0; /* already there */
                        /* Move the tag: the old image stays, untagged, unless
                         * another entry still names it. */
                        _cleanup_free_ char *old = xstrdup(x->manifests[i].digest);
                        int64_t old_size = x->manifests[i].size;
                        drop_entry(x, i);
                        if (!manifest_referenced(x, old))
                                add_entry(x, NULL, old, old_size);
                        break;
                }
        }
        /* A dangling entry for this manifest becomes the tagged one. */
        for (size_t i = 0; i < x->n_manifests; i++)
                if (!ref_name(&x->manifests[i]) && streq(x->manifests[i].digest, t->digest)) {
                        drop_entry(x, i);
                        break;
                }
        add_entry(x, t->name, t->digest, t->size);
        return 1;
}

int store_image_tag(struct store *st, const char *name, const char *manifest_digest,
                    int64_t manifest_size, struct box_err *err)
{
        struct tag_edit t = {name, manifest_digest, manifest_size};
        int r = index_update(st, edit_tag, &t, err);
        return r < 0 ? r : 0;
}

struct untag_edit {
        const char *name;
        int keep_dangling;
        int unreferenced;
};

static int edit_untag(struct oci_index *x, void *userdata, struct box_err *err)
{
        struct untag_edit *u = userdata;
        for (size_t i = 0; i < x->n_manifests; i++) {
                const char *n = ref_name(&x->manifests[i]);
                if (!n || !streq(n, u->name))
                        continue;
                _cleanup_free_ char *digest = xstrdup(x->manifests[i].digest);
                int64_t size = x->manifests[i].size;
                drop_entry(x, i);
                u->unreferenced = !manifest_referenced(x, digest);
                if (u->unreferenced && u->keep_dangling)
                        add_entry(x, NULL, digest, size);
                return 1;
        }
        return box_err_set(err, ENOENT, "no such image: '%s'", u->name);
}

int store_image_untag(struct store *st, const char *name, int keep_dangling, struct box_err *err)
{
        struct untag_edit u = {name, keep_dangling, 0};
        int r = index_update(st, edit_untag, &u, err);
        return r < 0 ? r : u.unreferenced;
}

static int edit_delete(struct oci_index *x, void *userdata, struct box_err *err)
{
        const char *digest = userdata;
        size_t before = x->n_manifests;
        (void)err;
        for (size_t i = 0; i < x->n_manifests;)
                if (streq(x->manifests[i].digest, digest))
                        drop_entry(x, i);
                else
                        i++;
        return x->n_manifests != before;
}

int store_image_delete(struct store *st, const char *manifest_digest, struct box_err *err)
{
        int r = index_update(st, edit_delete, (void *)manifest_digest, err);
        return r < 0 ? r : 0;
}

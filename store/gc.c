/* Garbage collection: everything in blobs/, layers/, l/ and tmp/ that no
 * index entry (and no manifest the caller pins) reaches goes.  Runs under the exclusive
 * store lock, so no writer is between writing content and referencing it. */
#include "store/store-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strset.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"
#include "spec/ref.h"

struct keep {
        struct str_set blobs;    /* hex */
        struct str_set diff_ids; /* hex */
};

static void keep_release(struct keep *k)
{
        str_set_release(&k->blobs);
        str_set_release(&k->diff_ids);
}

/* Adds what the manifest DIGEST reaches.  A manifest seen twice (two tags
 * of one image) is read twice: cheaper than a lookup in a growing list. */
static void keep_manifest(struct store *st, const char *digest, struct keep *k)
{
        _cleanup_free_ char *buf = NULL, *cbuf = NULL;
        size_t len, clen;
        _cleanup_oci_manifest_ struct oci_manifest m = {0};
        _cleanup_oci_image_ struct oci_image img = {0};
        if (spec_digest_validate(digest, NULL) < 0)
                return;
        str_set_add(&k->blobs, digest + 7);
        if (store_blob_read(st, digest, &buf, &len, NULL) < 0 ||
            oci_manifest_parse(buf, len, &m, NULL) < 0)
                return;
        if (spec_digest_validate(m.config.digest, NULL) >= 0) {
                str_set_add(&k->blobs, m.config.digest + 7);
                if (store_blob_read(st, m.config.digest, &cbuf, &clen, NULL) >= 0 &&
                    oci_image_parse(cbuf, clen, &img, NULL) >= 0)
                        STRV_FOREACH (d, img.diff_ids)
                                if (spec_digest_validate(*d, NULL) >= 0)
                                        str_set_add(&k->diff_ids, *d + 7);
        }
        for (size_t i = 0; i < m.n_layers; i++)
                if (spec_digest_validate(m.layers[i].digest, NULL) >= 0)
                        str_set_add(&k->blobs, m.layers[i].digest + 7);
}

static int64_t sweep(struct store *st, const char *dir, const struct str_set *keep, int clean_all,
                     struct box_err *err)
{
        _cleanup_closedir_ DIR *d = fs_opendir_at(store_root_fd(st), dir);
        if (!d)
                return 0;
        int64_t freed = 0;
        FS_FOREACH_DIRENT (de, d) {
                if (!clean_all && keep && str_set_has(keep, de->d_name))
                        continue;
                struct stat s;
                if (fstatat(dirfd(d), de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                int64_t size = S_ISDIR(s.st_mode) ? fs_tree_size_at(dirfd(d), de->d_name)
                                                  : (S_ISREG(s.st_mode) ? s.st_size : 0);
                struct box_err e = {0};
                if (fs_rm_rf_at(dirfd(d), de->d_name, &e) < 0) {
                        log_warn("gc: %s/%s: %s, ignoring", dir, de->d_name, e.msg);
                        continue;
                }
                freed += size;
                log_debug("gc: removed %s/%s", dir, de->d_name);
        }
        (void)err;
        return freed;
}

/* l/ holds symlinks to layers; drop the ones whose target is gone. */
static void sweep_links(struct store *st)
{
        _cleanup_closedir_ DIR *d = fs_opendir_at(store_root_fd(st), "l");
        if (!d)
                return;
        FS_FOREACH_DIRENT (de, d) {
                struct stat s;
                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(dirfd(d), de->d_name, &s, 0) < 0 && errno == ENOENT)
                        unlinkat(dirfd(d), de->d_name, 0);
        }
}

int64_t store_gc(struct store *st, store_pins_fn *pins, void *userdata, struct box_err *err)
{
        _cleanup_strv_free_ char **pinned = NULL;
        _cleanup_(keep_release) struct keep k = {0};
        struct store_image *imgs = NULL;
        size_t n = 0;
        int r = store_lock(st, STORE_LOCK_EXCLUSIVE, err);
        if (r >= 0)
                r = store_images_list(st, &imgs, &n, err);
        for (size_t i = 0; r >= 0 && i < n; i++)
                keep_manifest(st, imgs[i].manifest, &k);
        store_images_free(imgs, n);
        if (r < 0)
                return r;
        /* read under the lock: nothing pins an image between here and the sweep */
        if (pins)
                pinned = pins(userdata);
        STRV_FOREACH (m, pinned)
                keep_manifest(st, *m, &k);
        str_set_sort(&k.blobs);
        str_set_sort(&k.diff_ids);
        int64_t freed = sweep(st, "blobs/sha256", &k.blobs, 0, err);
        freed += sweep(st, "layers", &k.diff_ids, 0, err);
        freed += sweep(st, "tmp", NULL, 1, err);
        sweep_links(st);
        store_lock(st, STORE_LOCK_SHARED, NULL);
        return freed;
}

/* Garbage collection: everything in blobs/, layers/, l/ and tmp/ that no
 * index entry (and no container) reaches goes.  Runs under the exclusive
 * store lock, so no writer is between writing content and referencing it. */
#include "store/store-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"
#include "spec/ref.h"

/* A set of hex names: appended to, then sorted once and searched, so a
 * store of n blobs costs n log n, not n^2. */
struct hexset {
        char **v;
        size_t n, cap;
};

static void hexset_add(struct hexset *h, const char *s)
{
        if (h->n == h->cap) {
                h->cap = h->cap ? 2 * h->cap : 64;
                h->v = xreallocarray(h->v, h->cap, sizeof(char *));
        }
        h->v[h->n++] = xstrdup(s);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hexset_sort(struct hexset *h)
{
        if (h->n)
                qsort(h->v, h->n, sizeof(char *), str_cmp);
}

static int hexset_has(const struct hexset *h, const char *s)
{
        return h->n && bsearch(&s, h->v, h->n, sizeof(char *), str_cmp) != NULL;
}

static void hexset_release(struct hexset *h)
{
        for (size_t i = 0; i < h->n; i++)
                free(h->v[i]);
        free(h->v);
        memset(h, 0, sizeof(*h));
}

struct keep {
        struct hexset blobs;    /* hex */
        struct hexset diff_ids; /* hex */
};

/* Adds what the manifest DIGEST reaches.  A manifest seen twice (two tags
 * of one image) is read twice: cheaper than a lookup in a growing list. */
static void keep_manifest(struct store *st, const char *digest, struct keep *k)
{
        _cleanup_free_ char *buf = NULL, *cbuf = NULL;
        size_t len, clen;
        struct oci_manifest m;
        struct oci_image img;
        if (spec_digest_validate(digest, NULL) < 0)
                return;
        hexset_add(&k->blobs, digest + 7);
        if (store_blob_read(st, digest, &buf, &len, NULL) < 0 ||
            oci_manifest_parse(buf, len, &m, NULL) < 0)
                return;
        if (spec_digest_validate(m.config.digest, NULL) >= 0) {
                hexset_add(&k->blobs, m.config.digest + 7);
                if (store_blob_read(st, m.config.digest, &cbuf, &clen, NULL) >= 0 &&
                    oci_image_parse(cbuf, clen, &img, NULL) >= 0) {
                        STRV_FOREACH (d, img.diff_ids)
                                if (spec_digest_validate(*d, NULL) >= 0)
                                        hexset_add(&k->diff_ids, *d + 7);
                        oci_image_release(&img);
                }
        }
        for (size_t i = 0; i < m.n_layers; i++)
                if (spec_digest_validate(m.layers[i].digest, NULL) >= 0)
                        hexset_add(&k->blobs, m.layers[i].digest + 7);
        oci_manifest_release(&m);
}

void store_container_pins(struct store *st, char ***ret_ids, char ***ret_manifests)
{
        size_t n = 0, cap = 16;
        char **ids = xnew0(char *, cap + 1), **manifests = xnew0(char *, cap + 1);
        int fd = openat(store_root_fd(st), "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d && fd >= 0)
                close(fd);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/image", de->d_name), *buf = NULL;
                if (fs_read_file_at(dirfd(d), p, 4096, &buf, NULL, NULL) < 0)
                        continue;
                buf[strcspn(buf, "\n")] = '\0';
                if (n == cap) {
                        cap *= 2;
                        ids = xreallocarray(ids, cap + 1, sizeof(char *));
                        manifests = xreallocarray(manifests, cap + 1, sizeof(char *));
                }
                ids[n] = xstrdup(de->d_name);
                manifests[n] = TAKE_PTR(buf);
                n++;
                ids[n] = manifests[n] = NULL;
        }
        if (d)
                closedir(d);
        if (ret_ids)
                *ret_ids = ids;
        else
                strv_free(ids);
        if (ret_manifests)
                *ret_manifests = manifests;
        else
                strv_free(manifests);
}

static int64_t sweep(struct store *st, const char *dir, const struct hexset *keep, int clean_all,
                     struct box_err *err)
{
        int fd = openat(store_root_fd(st), dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int64_t freed = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (!clean_all && keep && hexset_has(keep, de->d_name))
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
        int fd = openat(store_root_fd(st), "l", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat s;
                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(dirfd(d), de->d_name, &s, 0) < 0 && errno == ENOENT)
                        unlinkat(dirfd(d), de->d_name, 0);
        }
}

int64_t store_gc(struct store *st, struct box_err *err)
{
        _cleanup_strv_free_ char **pinned = NULL;
        struct keep k = {0};
        struct store_image *imgs = NULL;
        size_t n = 0;
        int r = store_lock(st, STORE_LOCK_EXCLUSIVE, err);
        if (r < 0)
                goto out;
        r = store_images_list(st, &imgs, &n, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < n; i++)
                keep_manifest(st, imgs[i].manifest, &k);
        /* containers pin the image they run */
        store_container_pins(st, NULL, &pinned);
        STRV_FOREACH (m, pinned)
                keep_manifest(st, *m, &k);
        hexset_sort(&k.blobs);
        hexset_sort(&k.diff_ids);
        int64_t freed = sweep(st, "blobs/sha256", &k.blobs, 0, err);
        freed += sweep(st, "layers", &k.diff_ids, 0, err);
        freed += sweep(st, "tmp", NULL, 1, err);
        sweep_links(st);
        store_lock(st, STORE_LOCK_SHARED, NULL);
        store_images_free(imgs, n);
        hexset_release(&k.blobs);
        hexset_release(&k.diff_ids);
        return freed;
out:
        store_images_free(imgs, n);
        hexset_release(&k.blobs);
        hexset_release(&k.diff_ids);
        return r;
}

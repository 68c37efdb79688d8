/* box system fsck (see store/fsck.h). */
#include "store/fsck.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/strset.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"
#include "spec/ref.h"
#include "store/image.h"

void store_fsck_report_release(struct store_fsck_report *r)
{
        strv_free(r->problems);
        strv_free(r->repairs);
        strv_free(r->needs_repull);
        memset(r, 0, sizeof(*r));
}

static void add(char ***v, char *line)
{
        *v = strv_push(*v, line);
}

/* Names of the entries of DIR (relative to the store root), sorted. */
static char **list_dir(struct store *st, const char *dir)
{
        _cleanup_closedir_ DIR *d = fs_opendir_at(store_root_fd(st), dir);
        char **v = NULL;
        if (!d || fs_dir_names(d, &v) < 0)
                return xnew0(char *, 1);
        return v;
}

struct ctx {
        struct store *st;
        int repair;
        struct store_fsck_report *rep;
        struct str_set corrupt; /* hex of blobs whose content does not match; sorted */
        struct str_set ref_blobs, ref_layers;
};

static int check_blobs(struct ctx *c, struct box_err *err)
{
        _cleanup_strv_free_ char **names = list_dir(c->st, "blobs/sha256");
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *digest = xasprintf("sha256:%s", *n);
                if (!spec_is_hex64(*n)) {
                        c->rep->n_leftovers++;
                        continue;
                }
                _cleanup_close_ int fd = -EBADF;
                int r = store_blob_open(c->st, digest, &fd, err);
                if (r < 0)
                        return r;
                digest_str got;
                r = sha256_fd(fd, got, NULL, err);
                if (r < 0)
                        return box_err_prefix(err, "blob %s", digest);
                c->rep->n_blobs++;
                if (streq(got, digest))
                        continue;
                add(&c->rep->problems,
                    xasprintf("blob %s is corrupt: its content hashes to %s", digest, got));
                str_set_add(&c->corrupt, *n);
                if (c->repair) {
                        _cleanup_free_ char *rel = xasprintf("blobs/sha256/%s", *n);
                        if (unlinkat(store_root_fd(c->st), rel, 0) < 0)
                                return box_err_errno(err, errno, "remove blob %s", digest);
                        add(&c->rep->repairs, xasprintf("removed corrupt blob %s", digest));
                }
        }
        return 0;
}

static int blob_ok(struct ctx *c, const char *digest)
{
        return spec_digest_validate(digest, NULL) >= 0 && store_blob_exists(c->st, digest) &&
               !str_set_has(&c->corrupt, digest + 7);
}

static ssize_t fd_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        ssize_t r = RETRY_EINTR(read(*(int *)ud, buf, n));
        if (r < 0)
                return box_err_errno(err, errno, "read");
        return r;
}

/* Returns 1 when the image is broken. */
static int check_image(struct ctx *c, const struct store_image *img, struct box_err *err)
{
        const char *who = img->name ? img->name : img->manifest;
        struct store_image_handle h;
        int broken = 0;
        str_set_add(&c->ref_blobs, img->manifest + 7);
        if (!blob_ok(c, img->manifest)) {
                add(&c->rep->problems,
                    xasprintf("image '%s': manifest %s is missing", who, img->manifest));
                return 1;
        }
        struct box_err e = {0};
        if (store_image_load(c->st, img->manifest, &h, &e) < 0) {
                add(&c->rep->problems, xasprintf("image '%s': %s", who, e.msg));
                return 1;
        }
        str_set_add(&c->ref_blobs, h.id + 7);
        if (!blob_ok(c, h.id)) {
                add(&c->rep->problems, xasprintf("image '%s': config %s is missing", who, h.id));
                broken = 1;
        }
        size_t nd = strv_length(h.config.diff_ids);
        if (nd != h.m.n_layers) {
                add(&c->rep->problems,
                    xasprintf("image '%s': %zu layers but %zu diff_ids", who, h.m.n_layers, nd));
                broken = 1;
        }
        for (size_t i = 0; i < h.m.n_layers; i++) {
                const char *d = h.m.layers[i].digest;
                int have_blob = blob_ok(c, d);
                if (spec_digest_validate(d, NULL) >= 0)
                        str_set_add(&c->ref_blobs, d + 7);
                if (!have_blob) {
                        add(&c->rep->problems,
                            xasprintf("image '%s': layer blob %s is missing", who, d));
                        broken = 1;
                }
                if (i >= nd || spec_digest_validate(h.config.diff_ids[i], NULL) < 0)
                        continue;
                const char *diff_id = h.config.diff_ids[i];
                str_set_add(&c->ref_layers, diff_id + 7);
                if (store_layer_exists(c->st, diff_id))
                        continue;
                if (c->repair && have_blob) {
                        _cleanup_close_ int fd = -EBADF;
                        struct store_layer_unpack_opts o = {.expect_digest = d,
                                                            .expect_diff_id = diff_id};
                        struct box_err ue = {0};
                        if (store_blob_open(c->st, d, &fd, &ue) >= 0 &&
                            store_layer_unpack(c->st, fd_read, &fd, &o, NULL, &ue) >= 0) {
                                add(&c->rep->problems,
                                    xasprintf("image '%s': layer %s is not unpacked", who,
                                              diff_id));
                                add(&c->rep->repairs,
                                    xasprintf("unpacked layer %s again from its blob", diff_id));
                                continue;
                        }
                }
                add(&c->rep->problems,
                    xasprintf("image '%s': layer %s is not unpacked", who, diff_id));
                broken = 1;
        }
        store_image_handle_release(&h);
        (void)err;
        return broken;
}

/* Unreferenced blobs and layers, temp files: GC's to remove. */
static void count_leftovers(struct ctx *c)
{
        int root = store_root_fd(c->st);
        _cleanup_strv_free_ char **blobs = list_dir(c->st, "blobs/sha256");
        STRV_FOREACH (n, blobs) {
                struct stat s;
                _cleanup_free_ char *rel = xasprintf("blobs/sha256/%s", *n);
                if (str_set_has(&c->ref_blobs, *n) || str_set_has(&c->corrupt, *n) ||
                    fstatat(root, rel, &s, 0) < 0)
                        continue;
                c->rep->n_leftovers++;
                c->rep->leftover_bytes += s.st_size;
        }
        _cleanup_strv_free_ char **layers = list_dir(c->st, "layers");
        STRV_FOREACH (n, layers) {
                if (str_set_has(&c->ref_layers, *n))
                        continue;
                _cleanup_free_ char *rel = xasprintf("layers/%s", *n);
                c->rep->n_leftovers++;
                c->rep->leftover_bytes += fs_tree_size_at(root, rel);
        }
        _cleanup_strv_free_ char **tmp = list_dir(c->st, "tmp");
        STRV_FOREACH (n, tmp) {
                _cleanup_free_ char *rel = xasprintf("tmp/%s", *n);
                c->rep->n_leftovers++;
                c->rep->leftover_bytes += fs_tree_size_at(root, rel);
        }
}

int store_fsck(struct store *st, int repair, store_pins_fn *pins, void *userdata,
               struct store_fsck_report *ret, struct box_err *err)
{
        struct store_fsck_report rep = {
                .problems = xnew0(char *, 1),
                .repairs = xnew0(char *, 1),
                .needs_repull = xnew0(char *, 1),
        };
        struct ctx c = {
                .st = st,
                .repair = repair,
                .rep = &rep,
        };
        struct store_image *imgs = NULL;
        size_t n = 0;
        /* exclusive: no writer is half-way while blobs are judged */
        int r = store_lock(st, STORE_LOCK_EXCLUSIVE, err);
        if (r >= 0)
                r = check_blobs(&c, err);
        str_set_sort(&c.corrupt);
        if (r >= 0)
                r = store_images_list(st, &imgs, &n, err);
        for (size_t i = 0; i < n && r >= 0; i++) {
                rep.n_images++;
                int broken = check_image(&c, &imgs[i], err);
                if (broken) {
                        const char *who = imgs[i].name ? imgs[i].name : imgs[i].manifest;
                        if (!strv_contains(rep.needs_repull, who))
                                rep.needs_repull = strv_append(rep.needs_repull, who);
                }
        }
        str_set_sort(&c.ref_blobs);
        str_set_sort(&c.ref_layers);
        if (r >= 0)
                count_leftovers(&c);
        if (r >= 0 && repair && rep.n_leftovers) {
                int64_t freed = store_gc(st, pins, userdata, err);
                if (freed < 0)
                        r = (int)freed;
                else
                        add(&rep.repairs, xasprintf("removed %zu unreferenced or temporary "
                                                    "items (%lld bytes)",
                                                    rep.n_leftovers, (long long)freed));
        }
        store_lock(st, STORE_LOCK_SHARED, NULL);
        store_images_free(imgs, n);
        str_set_release(&c.corrupt);
        str_set_release(&c.ref_blobs);
        str_set_release(&c.ref_layers);
        if (r < 0) {
                store_fsck_report_release(&rep);
                return r;
        }
        *ret = rep;
        return 0;
}

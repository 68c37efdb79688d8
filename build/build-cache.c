/* The build cache: one small JSON record per step key under
 * <root>/buildcache/steps/, and a stat cache of context file hashes, so
 * a rebuild neither re-runs unchanged steps nor re-reads unchanged files.
 * Records are written atomically; a record whose layer or blob is gone
 * (collected since) is a miss. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/image.h"

void build_chain_next(digest_str chain, const char *text)
{
        struct sha256_ctx *c = sha256_new();
        sha256_update(c, chain, strlen(chain));
        sha256_update(c, "\n", 1);
        sha256_update(c, text, strlen(text));
        sha256_final_str(c, chain);
}

static char *record_path(const char *key)
{
        const char *hex = strchr(key, ':');
        return xasprintf("buildcache/steps/%s", hex ? hex + 1 : key);
}

int build_cache_get(struct store *st, const char *key, struct cache_record *ret)
{
        _cleanup_free_ char *p = record_path(key), *buf = NULL;
        size_t len;
        if (fs_read_file_at(store_root_fd(st), p, 1 << 20, &buf, &len, NULL) < 0)
                return 0;
        _cleanup_jv_ struct jv *j = NULL;
        if (jv_parse(buf, len, &j, NULL) < 0)
                return 0;
        struct cache_record r = {0};
        r.empty = jv_bool_value(jv_get(j, "empty"));
        snprintf(r.created, sizeof(r.created), "%s", strempty(jv_get_str(j, "created")));
        if (!r.empty) {
                const char *d = jv_get_str(j, "digest"), *di = jv_get_str(j, "diff_id"),
                           *mt = jv_get_str(j, "media_type");
                /* the store is root's, but a record is still input: what
                 * names a path or goes into an image is checked */
                if (!d || !di || !mt || spec_digest_validate(d, NULL) < 0 ||
                    spec_digest_validate(di, NULL) < 0 ||
                    (!streq(mt, OCI_MEDIA_LAYER_GZIP) && !streq(mt, OCI_MEDIA_LAYER) &&
                     !streq(mt, OCI_MEDIA_LAYER_ZSTD)) ||
                    jv_int_value(jv_get(j, "size")) < 0)
                        return 0;
                snprintf(r.layer.digest, sizeof(r.layer.digest), "%s", d);
                snprintf(r.layer.diff_id, sizeof(r.layer.diff_id), "%s", di);
                snprintf(r.media_type, sizeof(r.media_type), "%s", mt);
                r.layer.size = (uint64_t)jv_int_value(jv_get(j, "size"));
                if (!store_blob_exists(st, d) || !store_layer_exists(st, di))
                        return 0;
        }
        *ret = r;
        return 1;
}

int build_cache_put(struct store *st, const char *key, const struct cache_record *rec,
                    struct box_err *err)
{
        if (fs_mkdir_p_at(store_root_fd(st), "buildcache/steps", 0700, err) < 0)
                return -err->code;
        _cleanup_jv_ struct jv *j = jv_object();
        jv_set(j, "empty", jv_bool(rec->empty));
        jv_set_str(j, "created", rec->created);
        if (!rec->empty) {
                jv_set_str(j, "digest", rec->layer.digest);
                jv_set_str(j, "diff_id", rec->layer.diff_id);
                jv_set_str(j, "media_type", rec->media_type);
                jv_set(j, "size", jv_int((int64_t)rec->layer.size));
        }
        _cleanup_free_ char *s = jv_dump(j, JV_CANONICAL), *p = record_path(key);
        /* no fsync: a record lost or emptied by a crash is a miss, and the
         * blob it names was synced before it was written */
        return fs_write_cache_at(store_root_fd(st), p, s, strlen(s), 0600, err);
}

/* Removes NAME (a record or a cache mount's directory) in DFD; its bytes to
 * *FREED. */
static void prune_entry(int dfd, const char *name, int64_t *freed, size_t *n)
{
        struct stat s;
        int64_t size = fstatat(dfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0 ? 0
                       : S_ISDIR(s.st_mode)                            ? fs_tree_size_at(dfd, name)
                                                                       : s.st_size;
        if (fs_rm_rf_at(dfd, name, NULL) >= 0) {
                *freed += size > 0 ? size : 0;
                (*n)++;
        }
}

static bool older_than(int dfd, const char *name, int64_t until)
{
        struct stat s;
        return until <= 0 || (fstatat(dfd, name, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
                              s.st_mtime < time(NULL) - until);
}

int64_t build_cache_prune(struct store *st, bool all, int64_t until, store_pins_fn *pins,
                          void *userdata, size_t *ret_n, struct box_err *err)
{
        int r = store_lock(st, STORE_LOCK_EXCLUSIVE, err);
        if (r < 0)
                return r;
        int64_t freed = 0;
        size_t n = 0;
        _cleanup_close_ int sfd =
                openat(store_root_fd(st), "buildcache/steps", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* a store that never built has neither directory */
        _cleanup_closedir_ DIR *d = sfd >= 0 ? fs_opendir_at(sfd, ".") : NULL;
        while (d) {
                struct dirent *de = fs_readdir(d);
                if (!de)
                        break;
                if (de->d_name[0] == '.' || !older_than(sfd, de->d_name, until))
                        continue;
                struct cache_record rec;
                _cleanup_free_ char *key = xasprintf("sha256:%s", de->d_name);
                if (all || !build_cache_get(st, key, &rec))
                        prune_entry(sfd, de->d_name, &freed, &n);
        }
        /* the cache mounts: a build fills them again as it needs */
        _cleanup_close_ int mfd =
                openat(store_root_fd(st), "buildcache/mounts", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *m = mfd >= 0 ? fs_opendir_at(mfd, ".") : NULL;
        for (struct dirent *de; m && (de = fs_readdir(m));)
                if (de->d_name[0] != '.' && older_than(mfd, de->d_name, until))
                        prune_entry(mfd, de->d_name, &freed, &n);
        if (all && until <= 0)
                (void)fs_rm_rf_at(store_root_fd(st), "buildcache/last", NULL);
        if (all) {
                int64_t g = store_gc(st, pins, userdata, err);
                if (g < 0)
                        return g;
                freed += g;
        }
        store_lock(st, STORE_LOCK_SHARED, NULL);
        *ret_n = n;
        return freed;
}

void build_cache_explain(struct store *st, const char *position, char *const *parts, FILE *out)
{
        digest_str h;
        sha256_buf(position, strlen(position), h);
        _cleanup_free_ char *p = xasprintf("buildcache/last/%s", h + 7), *buf = NULL;
        fs_read_file_at(store_root_fd(st), p, 1 << 24, &buf, NULL, NULL);
        if (out && buf) {
                /* parts are "what: value" lines; report the first that differs */
                _cleanup_jv_ struct jv *old = NULL;
                if (jv_parse(buf, strlen(buf), &old, NULL) >= 0) {
                        size_t n = strv_length(parts);
                        int said = 0;
                        for (size_t i = 0; i < n && !said; i++) {
                                const char *o = jv_str(jv_at(old, i));
                                if (o && streq(o, parts[i]))
                                        continue;
                                const char *sep = strstr(parts[i], ": ");
                                if (sep)
                                        fprintf(out, "  cache miss: %.*s changed\n",
                                                (int)(sep - parts[i]), parts[i]);
                                else
                                        fprintf(out, "  cache miss: %s changed\n", parts[i]);
                                said = 1;
                        }
                        if (!said && jv_len(old) != n)
                                fprintf(out, "  cache miss: the set of inputs changed\n");
                        else if (!said)
                                fprintf(out,
                                        "  cache miss: no cache record (cleared or collected)\n");
                }
        } else if (out) {
                fprintf(out, "  cache miss: first build of this step\n");
        }
        _cleanup_jv_ struct jv *j = jv_strv(parts);
        _cleanup_free_ char *s = jv_dump(j, 0);
        if (buf && streq(buf, s))
                return; /* unchanged: spare the fsyncs */
        fs_mkdir_p_at(store_root_fd(st), "buildcache/last", 0700, NULL);
        fs_write_cache_at(store_root_fd(st), p, s, strlen(s), 0600, NULL);
}

/* ---- stat cache ---- */

struct sc_entry {
        uint64_t dev, ino, size;
        int64_t mtime_ns, ctime_ns;
        char hex[65];
};

struct stat_cache {
        struct sc_entry *v;
        size_t n, cap;
        bool dirty;
};

static size_t sc_find(struct stat_cache *c, uint64_t dev, uint64_t ino)
{
        if (!c->cap)
                return SIZE_MAX;
        size_t i = (size_t)((dev * 1000003u) ^ ino) % c->cap;
        for (;;) {
                struct sc_entry *e = &c->v[i];
                if (!e->hex[0] || (e->dev == dev && e->ino == ino))
                        return i;
                i = (i + 1) % c->cap;
        }
}

static void sc_insert(struct stat_cache *c, const struct sc_entry *e)
{
        if ((c->n + 1) * 2 > c->cap) {
                struct stat_cache bigger = {.cap = c->cap ? c->cap * 2 : 1024};
                bigger.v = xnew0(struct sc_entry, bigger.cap);
                for (size_t i = 0; i < c->cap; i++)
                        if (c->v[i].hex[0])
                                bigger.v[sc_find(&bigger, c->v[i].dev, c->v[i].ino)] = c->v[i];
                bigger.n = c->n;
                free(c->v);
                c->v = bigger.v;
                c->cap = bigger.cap;
        }
        size_t i = sc_find(c, e->dev, e->ino);
        if (!c->v[i].hex[0])
                c->n++;
        c->v[i] = *e;
}

int stat_cache_open(struct store *st, struct stat_cache **ret)
{
        struct stat_cache *c = xnew0(struct stat_cache, 1);
        _cleanup_free_ char *buf = NULL;
        if (fs_read_file_at(store_root_fd(st), "buildcache/statcache", 256u << 20, &buf, NULL,
                            NULL) >= 0) {
                /* strtoull, not sscanf: sscanf measures the whole rest of the
                 * buffer on every call, quadratic on a large context */
                for (char *line = buf; *line;) {
                        char *p = line, *end;
                        struct sc_entry e = {0};
                        uint64_t f[5];
                        int ok = 1;
                        for (int k = 0; k < 5 && ok; k++) {
                                f[k] = strtoull(p, &end, 10);
                                ok = end != p && *end == ' ';
                                p = end + 1;
                        }
                        char *nl = strchrnul(p, '\n');
                        if (ok && nl - p == 64) {
                                e.dev = f[0];
                                e.ino = f[1];
                                e.size = f[2];
                                e.mtime_ns = (int64_t)f[3];
                                e.ctime_ns = (int64_t)f[4];
                                memcpy(e.hex, p, 64);
                                sc_insert(c, &e);
                        }
                        line = *nl ? nl + 1 : nl;
                }
        }
        c->dirty = false;
        *ret = c;
        return 0;
}

int stat_cache_lookup(struct stat_cache *c, const struct stat *st, digest_str ret)
{
        int64_t m = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
        int64_t ct = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
        size_t i = sc_find(c, st->st_dev, st->st_ino);
        if (i != SIZE_MAX && c->v[i].hex[0] && c->v[i].size == (uint64_t)st->st_size &&
            c->v[i].mtime_ns == m && c->v[i].ctime_ns == ct) {
                snprintf(ret, sizeof(digest_str), "sha256:%s", c->v[i].hex);
                return 1;
        }
        return 0;
}

int stat_cache_hash(struct stat_cache *c, int fd, digest_str ret, struct box_err *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "stat");
        int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        int64_t ct = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
        size_t i = sc_find(c, st.st_dev, st.st_ino);
        if (i != SIZE_MAX && c->v[i].hex[0] && c->v[i].size == (uint64_t)st.st_size &&
            c->v[i].mtime_ns == m && c->v[i].ctime_ns == ct) {
                snprintf(ret, sizeof(digest_str), "sha256:%s", c->v[i].hex);
                return 0;
        }
        int r = sha256_fd(fd, ret, NULL, err);
        if (r < 0)
                return r;
        struct sc_entry e = {st.st_dev, st.st_ino, (uint64_t)st.st_size, m, ct, {0}};
        snprintf(e.hex, sizeof(e.hex), "%s", ret + 7);
        sc_insert(c, &e);
        c->dirty = true;
        return 0;
}

void stat_cache_close(struct stat_cache *c, struct store *st)
{
        if (!c)
                return;
        if (c->dirty && fs_mkdir_p_at(store_root_fd(st), "buildcache", 0700, NULL) >= 0) {
                struct buf b = {0};
                for (size_t i = 0; i < c->cap; i++)
                        if (c->v[i].hex[0])
                                buf_printf(&b, "%lu %lu %lu %ld %ld %s\n", c->v[i].dev, c->v[i].ino,
                                           c->v[i].size, c->v[i].mtime_ns, c->v[i].ctime_ns,
                                           c->v[i].hex);
                fs_write_atomic_at(store_root_fd(st), "buildcache/statcache", strempty(b.data),
                                   b.len, 0600, NULL);
                buf_release(&b);
        }
        free(c->v);
        free(c);
}

void build_cache_note_step(struct image_state *s, const char *key, bool empty, const char *created)
{
        char *e = xasprintf("%s %zd %s", key, empty ? (ssize_t)-1 : (ssize_t)s->n_layers - 1,
                            created);
        s->cache_steps = strv_push(s->cache_steps ? s->cache_steps : xnew0(char *, 1), e);
}

char *build_cache_inline(const struct image_state *s)
{
        _cleanup_jv_ struct jv *a = jv_array();
        STRV_FOREACH (e, s->cache_steps) {
                char key[80], created[64];
                long layer;
                if (sscanf(*e, "%79s %ld %63s", key, &layer, created) != 3)
                        continue;
                struct jv *o = jv_object();
                jv_set_str(o, "key", key);
                jv_set(o, "layer", jv_int(layer));
                jv_set_str(o, "created", created);
                jv_push(a, o);
        }
        return jv_dump(a, JV_CANONICAL);
}

int build_cache_import(struct store *st, const char *image, const char *key, struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = store_image_resolve(st, image, &h, err);
        if (r < 0)
                return r;
        _cleanup_jv_ struct jv *cfg = NULL;
        if (jv_parse(h.config_json, h.config_len, &cfg, NULL) < 0)
                return 0;
        const struct jv *steps = jv_get(cfg, "box.cache.v0");
        size_t n_diff = strv_length(h.config.diff_ids);
        for (size_t i = 0; steps && jv_is_array(steps) && i < jv_len(steps); i++) {
                const struct jv *e = jv_at(steps, i);
                const char *k = jv_get_str(e, "key"), *created = jv_get_str(e, "created");
                int64_t layer = jv_int_value(jv_get(e, "layer"));
                /* the image's own claims: a digest, and a layer it holds */
                if (!k || !streq(k, key) || spec_digest_validate(k, NULL) < 0 || !created ||
                    strlen(created) >= sizeof(((struct cache_record *)0)->created) || layer < -1 ||
                    (layer >= 0 && ((size_t)layer >= h.m.n_layers || (size_t)layer >= n_diff)))
                        continue;
                struct cache_record rec = {0};
                if (build_cache_get(st, key, &rec))
                        continue;
                rec.empty = layer < 0;
                snprintf(rec.created, sizeof(rec.created), "%s", created);
                if (!rec.empty) {
                        const struct oci_descriptor *d = &h.m.layers[layer];
                        snprintf(rec.layer.digest, sizeof(rec.layer.digest), "%s", d->digest);
                        snprintf(rec.layer.diff_id, sizeof(rec.layer.diff_id), "%s",
                                 h.config.diff_ids[layer]);
                        snprintf(rec.media_type, sizeof(rec.media_type), "%s", d->media_type);
                        rec.layer.size = (uint64_t)d->size;
                }
                return build_cache_put(st, key, &rec, NULL) >= 0;
        }
        return 0;
}

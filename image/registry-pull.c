/* box pull NAME: the manifest (an index resolved to one platform here),
 * the config, then the layers, several at once, each streamed from the
 * socket through the decompressor into the store and verified on the way.
 * What the registry sent is then handed to the loader (image_load_layout)
 * as a one-image OCI layout, so the checks and the commit are the same as
 * for `box load`: nothing is named before every digest checks out. */
#include "image/registry-internal.h"

#include <pthread.h>
#include <time.h>

#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/ref.h"

#define JOBS_DEFAULT 3
#define JOBS_MAX     8
#define ATTEMPTS     5

struct job {
        digest_str digest, diff_id;
        int64_t size;
        int state; /* 0 queued, 1 running, 2 finished */
        int rc;
        struct box_err err;
        struct store_layer_info info;
};

struct rpull {
        struct store *st;
        struct image_registry *reg;
        const struct image_registry_pull_opts *o;
        char *index_json; /* the one-image layout's index.json */
        char *manifest;
        size_t manifest_len;
        digest_str manifest_digest;
        char *config;
        size_t config_len;
        digest_str config_digest;
        pthread_mutex_t mu; /* guards jobs' state, next, cancel; and progress calls */
        pthread_cond_t cv;
        struct job *jobs;
        size_t n_jobs, n_queue, next; /* threads take jobs[next .. n_queue) */
        int cancel;
        pthread_t threads[JOBS_MAX];
        int n_threads;
};

/* ---- one blob, resumed with Range when the connection drops ---- */

struct blob_reader {
        struct rpull *p;
        struct job *job;
        struct image_http *h;
        uint64_t delivered; /* bytes handed to the consumer */
        uint64_t skip;      /* bytes to drop: a resume the server answered from 0 */
        struct timespec last;
};

static int blob_redirect(struct blob_reader *b, struct image_http *h, uint64_t from,
                         struct box_err *err)
{
        _cleanup_free_ char *url = image_http_redirect(h);
        image_http_free(h);
        const struct image_http_opts *ho = image_registry_http_opts(b->p->reg);
        if (!url)
                return box_err_set(err, EPROTO,
                                   "registry '%s', repository '%s': blob %s: a redirect without "
                                   "a Location",
                                   image_registry_host(b->p->reg), image_registry_repo(b->p->reg),
                                   b->job->digest);
        /* what TLS protects is not given away by a redirect to http */
        if (startswith(image_registry_endpoint(b->p->reg), "https:") && !startswith(url, "https:"))
                return box_err_set(err, EPROTONOSUPPORT,
                                   "registry '%s', repository '%s': blob %s: refused a redirect "
                                   "from https to '%.200s'",
                                   image_registry_host(b->p->reg), image_registry_repo(b->p->reg),
                                   b->job->digest, url);
        /* storage behind a redirect gets no credentials: a fresh request */
        struct image_http_req req = {.range_from = from};
        int r = image_http_request(url, ho, &req, &b->h, err);
        if (r < 0)
                return box_err_prefix(err, "registry '%s', repository '%s': blob %s",
                                      image_registry_host(b->p->reg),
                                      image_registry_repo(b->p->reg), b->job->digest);
        return 0;
}

static int blob_open(struct blob_reader *b, uint64_t from, struct box_err *err)
{
        _cleanup_free_ char *path = xasprintf("/blobs/%s", b->job->digest);
        struct image_http_req req = {.range_from = from, .no_redirect = 1};
        struct image_http *h = NULL;
        int r = image_registry_request(b->p->reg, "GET", path, &req, &h, err);
        if (r < 0)
                return r;
        long st = image_http_status(h);
        if (st >= 300 && st < 400)
                r = blob_redirect(b, h, from, err);
        else if (st != 200 && st != 206) {
                _cleanup_free_ char *what = xasprintf("blob %s", b->job->digest);
                r = image_registry_status_error(b->p->reg, h, what, err);
                image_http_free(h);
                return r;
        } else
                b->h = h;
        if (r < 0)
                return r;
        st = image_http_status(b->h);
        b->skip = from > 0 && st == 200 ? from : 0;
        return 0;
}

static void progress(struct rpull *p, struct job *j, uint64_t done, int state)
{
        if (!p->o->progress.layer)
                return;
        pthread_mutex_lock(&p->mu);
        p->o->progress.layer(p->o->progress.userdata, j->digest, done, j->size, state);
        pthread_mutex_unlock(&p->mu);
}

static int transient(int r)
{
        return r == -ECONNRESET || r == -ETIMEDOUT || r == -EIO;
}

static ssize_t blob_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        struct blob_reader *b = ud;
        for (int attempt = 1;; attempt++) {
                if (__atomic_load_n(&b->p->cancel, __ATOMIC_RELAXED))
                        return box_err_set(err, ECANCELED, "cancelled");
                ssize_t r = image_http_read(b->h, buf, n, err);
                if (r > 0 && b->skip) {
                        size_t k = (size_t)r < b->skip ? (size_t)r : (size_t)b->skip;
                        b->skip -= k;
                        memmove(buf, (char *)buf + k, (size_t)r - k);
                        r -= (ssize_t)k;
                        if (r == 0)
                                continue;
                }
                if (r >= 0) {
                        b->delivered += (uint64_t)r;
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if ((now.tv_sec - b->last.tv_sec) * 1000 +
                                    (now.tv_nsec - b->last.tv_nsec) / 1000000 >=
                            200) {
                                b->last = now;
                                progress(b->p, b->job, b->delivered, 0);
                        }
                        return r;
                }
                if (!transient((int)r) || attempt >= ATTEMPTS)
                        return r;
                log_info("blob %s: %s; resuming at byte %llu", b->job->digest, err->msg,
                         (unsigned long long)b->delivered);
                image_http_free(b->h);
                b->h = NULL;
                sleep(attempt > 1 ? 1u << (attempt - 2) : 0);
                int rc = blob_open(b, b->delivered, err);
                if (rc < 0)
                        return rc;
        }
}

static void job_run(struct rpull *p, struct job *j)
{
        struct blob_reader b = {.p = p, .job = j};
        clock_gettime(CLOCK_MONOTONIC, &b.last);
        progress(p, j, 0, 0);
        j->rc = blob_open(&b, 0, &j->err);
        if (j->rc >= 0) {
                struct store_layer_unpack_opts uo = {
                        .expect_digest = j->digest,
                        .expect_diff_id = j->diff_id,
                        .expect_size = j->size > 0 ? (uint64_t)j->size : 0,
                        .save_blob = 1,
                };
                j->rc = store_layer_unpack(p->st, blob_read, &b, &uo, &j->info, &j->err);
        }
        image_http_free(b.h);
        if (j->rc >= 0)
                progress(p, j, b.delivered, 1);
}

static void *worker(void *arg)
{
        struct rpull *p = arg;
        pthread_mutex_lock(&p->mu);
        while (!p->cancel && p->next < p->n_queue) {
                struct job *j = &p->jobs[p->next++];
                j->state = 1;
                pthread_mutex_unlock(&p->mu);
                job_run(p, j);
                pthread_mutex_lock(&p->mu);
                j->state = 2;
                pthread_cond_broadcast(&p->cv);
        }
        pthread_mutex_unlock(&p->mu);
        return NULL;
}

/* ---- the layout the loader reads ---- */

static int rp_read_small(void *ud, const char *path, char **ret, size_t *ret_len,
                         struct box_err *err)
{
        struct rpull *p = ud;
        const char *doc = NULL;
        size_t len = 0;
        if (streq(path, "index.json")) {
                doc = p->index_json;
                len = strlen(doc);
        } else if (startswith(path, "blobs/sha256/") && streq(path + 13, p->manifest_digest + 7)) {
                doc = p->manifest;
                len = p->manifest_len;
        } else if (startswith(path, "blobs/sha256/") && streq(path + 13, p->config_digest + 7)) {
                doc = p->config;
                len = p->config_len;
        }
        if (!doc)
                return box_err_set(err, ENOENT, "'%s' is not part of the image", path);
        *ret = xmalloc(len + 1);
        memcpy(*ret, doc, len);
        (*ret)[len] = '\0';
        *ret_len = len;
        return 0;
}

static int rp_unpack(void *ud, const char *path, const struct store_layer_unpack_opts *uo,
                     struct store_layer_info *ret, struct box_err *err)
{
        struct rpull *p = ud;
        struct job *j = NULL;
        for (size_t i = 0; i < p->n_jobs && !j; i++)
                if (startswith(path, "blobs/sha256/") && streq(path + 13, p->jobs[i].digest + 7))
                        j = &p->jobs[i];
        if (!j)
                return box_err_set(err, ENOENT, "'%s' is not part of the image", path);
        (void)uo; /* the job expects the same digest, size and diff_id */
        pthread_mutex_lock(&p->mu);
        /* a layer no thread will take (the store had it, but not as the
         * loader wants it; or no thread started): fetch it here */
        int here = j->state == 0 && ((size_t)(j - p->jobs) >= p->n_queue || p->n_threads == 0);
        if (here)
                j->state = 1;
        while (!here && j->state != 2)
                pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (here)
                job_run(p, j);
        if (j->rc < 0) {
                if (err)
                        *err = j->err;
                return j->rc;
        }
        *ret = j->info;
        return 0;
}

static int rp_fetched(void *ud, const char *digest, struct store_layer_info *ret,
                      struct box_err *err)
{
        struct rpull *p = ud;
        struct job *j = NULL;
        for (size_t i = 0; i < p->n_queue && !j; i++)
                if (streq(p->jobs[i].digest, digest))
                        j = &p->jobs[i];
        if (!j || p->n_threads == 0)
                return 0;
        pthread_mutex_lock(&p->mu);
        while (j->state != 2)
                pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (j->rc < 0) {
                if (err)
                        *err = j->err;
                return j->rc;
        }
        *ret = j->info;
        return 1;
}

/* ---- resolving the reference to one manifest ---- */

struct platform {
        char os[32], arch[32], variant[32];
};

static int platform_parse(const char *s, struct platform *ret, struct box_err *err)
{
        memset(ret, 0, sizeof(*ret));
        if (!s) {
                snprintf(ret->os, sizeof(ret->os), "linux");
                snprintf(ret->arch, sizeof(ret->arch), "%s", oci_host_arch());
                return 0;
        }
        _cleanup_strv_free_ char **parts = NULL;
        const char *p = s;
        for (;;) {
                const char *e = strchrnul(p, '/');
                parts = strv_push(parts, xstrndup(p, (size_t)(e - p)));
                if (!*e)
                        break;
                p = e + 1;
        }
        size_t n = strv_length(parts);
        if (n < 2 || n > 3 || !*parts[0] || !*parts[1] || strlen(s) > 90)
                return box_err_set(err, EINVAL, "invalid platform '%s': want os/arch[/variant]", s);
        snprintf(ret->os, sizeof(ret->os), "%s", parts[0]);
        snprintf(ret->arch, sizeof(ret->arch), "%s", parts[1]);
        if (n == 3)
                snprintf(ret->variant, sizeof(ret->variant), "%s", parts[2]);
        return 0;
}

static int pick_platform(struct rpull *p, const struct platform *want, const char *buf, size_t len,
                         digest_str ret, int64_t *ret_size, struct box_err *err)
{
        struct oci_index x;
        int r = oci_index_parse(buf, len, &x, err);
        if (r < 0)
                return box_err_prefix(err, "registry '%s', repository '%s'",
                                      image_registry_host(p->reg), image_registry_repo(p->reg));
        const struct oci_descriptor *pick = NULL;
        for (size_t i = 0; i < x.n_manifests && !pick; i++) {
                const struct oci_descriptor *d = &x.manifests[i];
                const char *os = d->platform_os ?: "?", *arch = d->platform_arch ?: "?";
                if (streq(os, want->os) && streq(arch, want->arch) &&
                    (!want->variant[0] || streq(d->platform_variant ?: "", want->variant)))
                        pick = d;
        }
        _cleanup_free_ char *avail = pick ? NULL : oci_index_platforms(&x);
        if (!pick)
                r = box_err_set(err, ENOENT,
                                "registry '%s', repository '%s': no image for %s/%s%s%s in the "
                                "index; it has: %s",
                                image_registry_host(p->reg), image_registry_repo(p->reg), want->os,
                                want->arch, want->variant[0] ? "/" : "", want->variant, avail);
        else if ((r = spec_digest_validate(pick->digest, err)) < 0)
                box_err_prefix(err, "registry '%s', repository '%s': index",
                               image_registry_host(p->reg), image_registry_repo(p->reg));
        else {
                memcpy(ret, pick->digest, sizeof(digest_str));
                *ret_size = pick->size;
        }
        oci_index_release(&x);
        return r;
}

static int fetch_manifest(struct rpull *p, const char *reference, struct box_err *err)
{
        _cleanup_free_ char *mt = NULL;
        int r = image_registry_get_manifest(p->reg, reference, &p->manifest, &p->manifest_len, &mt,
                                            p->manifest_digest, err);
        if (r < 0)
                return r;
        if (!streq(mt, OCI_MEDIA_INDEX) && !streq(mt, DOCKER_MEDIA_MANIFEST_LIST))
                return 0;
        struct platform want;
        r = platform_parse(p->o->platform, &want, err);
        if (r < 0)
                return r;
        digest_str child;
        int64_t size = -1;
        r = pick_platform(p, &want, p->manifest, p->manifest_len, child, &size, err);
        if (r < 0)
                return r;
        free(p->manifest);
        p->manifest = NULL;
        free(mt);
        mt = NULL;
        r = image_registry_get_manifest(p->reg, child, &p->manifest, &p->manifest_len, &mt,
                                        p->manifest_digest, err);
        if (r < 0)
                return r;
        if (streq(mt, OCI_MEDIA_INDEX) || streq(mt, DOCKER_MEDIA_MANIFEST_LIST))
                return box_err_set(err, ELOOP,
                                   "registry '%s', repository '%s': the index for the platform "
                                   "is another index",
                                   image_registry_host(p->reg), image_registry_repo(p->reg));
        if (size >= 0 && (uint64_t)size != p->manifest_len)
                return box_err_set(err, EBADMSG,
                                   "registry '%s', repository '%s': manifest %s has %zu bytes, "
                                   "its index says %lld",
                                   image_registry_host(p->reg), image_registry_repo(p->reg), child,
                                   p->manifest_len, (long long)size);
        return 0;
}

static int fetch_config(struct rpull *p, const struct oci_descriptor *cfg, struct box_err *err)
{
        struct store_limits lim;
        store_limits_get(&lim);
        if (cfg->size < 0 || (uint64_t)cfg->size > lim.json_size)
                return box_err_set(err, EFBIG,
                                   "registry '%s', repository '%s': config of %lld bytes "
                                   "(limit %llu, BOX_MAX_JSON_SIZE)",
                                   image_registry_host(p->reg), image_registry_repo(p->reg),
                                   (long long)cfg->size, (unsigned long long)lim.json_size);
        memcpy(p->config_digest, cfg->digest, sizeof(digest_str));
        if (store_blob_exists(p->st, cfg->digest) &&
            store_blob_read(p->st, cfg->digest, &p->config, &p->config_len, NULL) >= 0)
                return 0;
        _cleanup_free_ char *path = xasprintf("/blobs/%s", cfg->digest);
        _cleanup_free_ char *what = xasprintf("config %s", cfg->digest);
        struct image_http *h = NULL;
        int r = image_registry_request(p->reg, "GET", path, NULL, &h, err);
        if (r < 0)
                return r;
        if (image_http_status(h) != 200) {
                r = image_registry_status_error(p->reg, h, what, err);
                image_http_free(h);
                return r;
        }
        _cleanup_buf_ struct buf b = {0};
        char chunk[65536];
        ssize_t n;
        while ((n = image_http_read(h, chunk, sizeof(chunk), err)) > 0) {
                if (b.len + (size_t)n > (size_t)cfg->size) {
                        n = box_err_set(err, EBADMSG, "larger than its descriptor says");
                        break;
                }
                buf_append(&b, chunk, (size_t)n);
        }
        image_http_free(h);
        if (n < 0)
                return box_err_prefix(err, "registry '%s', repository '%s': %s",
                                      image_registry_host(p->reg), image_registry_repo(p->reg),
                                      what);
        p->config_len = b.len;
        p->config = b.data ? buf_steal(&b) : xstrdup("");
        return 0;
}

/* The manifest's layers as jobs; those the store has are not queued. */
static int plan_layers(struct rpull *p, struct box_err *err)
{
        _cleanup_oci_manifest_ struct oci_manifest m = {0};
        int r = oci_manifest_parse(p->manifest, p->manifest_len, &m, err);
        if (r >= 0)
                r = oci_manifest_check_image(&m, err);
        if (r >= 0)
                r = spec_digest_validate(m.config.digest, err);
        if (r < 0)
                return box_err_prefix(err, "registry '%s', repository '%s': manifest %s",
                                      image_registry_host(p->reg), image_registry_repo(p->reg),
                                      p->manifest_digest);
        r = fetch_config(p, &m.config, err);
        if (r < 0)
                return r;
        _cleanup_oci_image_ struct oci_image img = {0};
        r = oci_image_parse(p->config, p->config_len, &img, err);
        if (r < 0)
                return box_err_prefix(err, "registry '%s', repository '%s': config",
                                      image_registry_host(p->reg), image_registry_repo(p->reg));
        if (strv_length(img.diff_ids) != m.n_layers)
                return box_err_set(err, EINVAL,
                                   "registry '%s', repository '%s': manifest %s has %zu layers "
                                   "but its config lists %zu",
                                   image_registry_host(p->reg), image_registry_repo(p->reg),
                                   p->manifest_digest, m.n_layers, strv_length(img.diff_ids));
        p->jobs = xnew0(struct job, m.n_layers);
        for (size_t i = 0; i < m.n_layers; i++) {
                struct job *j = &p->jobs[p->n_jobs];
                if ((r = spec_digest_validate(m.layers[i].digest, err)) < 0 ||
                    (r = spec_digest_validate(img.diff_ids[i], err)) < 0)
                        return box_err_prefix(err, "registry '%s', repository '%s': layer %zu",
                                              image_registry_host(p->reg),
                                              image_registry_repo(p->reg), i);
                snprintf(j->digest, sizeof(j->digest), "%s", m.layers[i].digest);
                snprintf(j->diff_id, sizeof(j->diff_id), "%s", img.diff_ids[i]);
                j->size = m.layers[i].size;
                int dup = 0;
                for (size_t k = 0; k < p->n_jobs; k++)
                        dup |= streq(p->jobs[k].digest, j->digest);
                if (dup)
                        continue;
                if (store_blob_exists(p->st, j->digest) && store_layer_exists(p->st, j->diff_id))
                        j->state = 2; /* the loader checks it; rp_unpack fetches it if wrong */
                p->n_jobs++;
        }
        return 0;
}

static void start_workers(struct rpull *p)
{
        /* downloads first; the layers the store has go last, to no thread */
        struct job *v = xnew0(struct job, p->n_jobs);
        size_t a = 0;
        for (size_t i = 0; i < p->n_jobs; i++)
                if (p->jobs[i].state != 2)
                        v[a++] = p->jobs[i];
        p->n_queue = a;
        for (size_t i = 0; i < p->n_jobs; i++)
                if (p->jobs[i].state == 2) {
                        v[a] = p->jobs[i];
                        v[a].state = 0;
                        progress(p, &v[a], 0, 2);
                        a++;
                }
        free(p->jobs);
        p->jobs = v;
        int jobs = p->o->jobs > 0 ? p->o->jobs : JOBS_DEFAULT;
        if (jobs > JOBS_MAX)
                jobs = JOBS_MAX;
        for (int i = 0; i < jobs && (size_t)i < p->n_queue; i++)
                if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) == 0)
                        p->n_threads++;
}

static void stop_workers(struct rpull *p)
{
        pthread_mutex_lock(&p->mu);
        __atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        p->n_threads = 0;
}

static void rpull_release(struct rpull *p)
{
        stop_workers(p);
        image_registry_free(p->reg);
        free(p->index_json);
        free(p->manifest);
        free(p->config);
        free(p->jobs);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
}

/* index.json of a layout holding just the manifest, named NAME (or not) */
static char *layout_index(const struct rpull *p, const char *name)
{
        _cleanup_oci_manifest_ struct oci_manifest m = {0};
        const char *mt = OCI_MEDIA_MANIFEST;
        if (oci_manifest_parse(p->manifest, p->manifest_len, &m, NULL) >= 0 && m.media_type)
                mt = m.media_type;
        struct oci_descriptor d = {
                .media_type = (char *)mt,
                .digest = (char *)p->manifest_digest,
                .size = (int64_t)p->manifest_len,
                .annotations =
                        name ? (char *[]){"io.containerd.image.name", (char *)name, NULL} : NULL,
        };
        struct oci_index x = {.schema_version = 2, .manifests = &d, .n_manifests = 1};
        return oci_index_to_json(&x);
}

int image_registry_pull(struct store *st, const char *ref, const struct image_registry_pull_opts *o,
                        struct image_loaded *ret, struct box_err *err)
{
        _cleanup_image_ref_ struct image_ref rf = {0};
        int r = spec_ref_parse(ref, &rf, err);
        if (r < 0)
                return r;
        struct rpull p = {.st = st, .o = o};
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.cv, NULL);
        r = image_registry_open(rf.domain, rf.path, &o->reg, &p.reg, err);
        if (r >= 0)
                r = fetch_manifest(&p, rf.digest ? rf.digest : rf.tag, err);
        if (r >= 0)
                r = plan_layers(&p, err);
        if (r >= 0)
                r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0) {
                rpull_release(&p);
                return r;
        }
        _cleanup_free_ char *full = rf.digest ? NULL : spec_ref_format(&rf);
        p.index_json = layout_index(&p, full);
        start_workers(&p);
        struct image_layout_source src = {
                .read_small = rp_read_small,
                .unpack = rp_unpack,
                .fetched = rp_fetched,
                .userdata = &p,
        };
        struct image_load_opts lo = {0};
        struct image_loaded *v = NULL;
        size_t n = 0;
        r = image_load_layout(st, &src, &lo, &v, &n, err);
        if (r < 0 && !startswith(err->msg, "registry '"))
                box_err_prefix(err, "registry '%s', repository '%s'", rf.domain, rf.path);
        rpull_release(&p);
        if (r < 0)
                return r;
        if (n != 1) {
                image_loaded_free(v, n);
                return box_err_set(err, EINVAL, "'%s': pulled %zu images, not one", ref, n);
        }
        *ret = v[0];
        free(v);
        return 0;
}

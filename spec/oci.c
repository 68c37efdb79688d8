#include "spec/oci.h"

#include <ctype.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

/* ---- release ---- */

void oci_descriptor_release(struct oci_descriptor *d)
{
        free(d->media_type);
        free(d->digest);
        strv_free(d->annotations);
        free(d->platform_os);
        free(d->platform_arch);
        free(d->platform_variant);
        memset(d, 0, sizeof(*d));
}

void oci_manifest_release(struct oci_manifest *m)
{
        free(m->media_type);
        oci_descriptor_release(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                oci_descriptor_release(&m->layers[i]);
        free(m->layers);
        strv_free(m->annotations);
        memset(m, 0, sizeof(*m));
}

void oci_index_release(struct oci_index *x)
{
        free(x->media_type);
        for (size_t i = 0; i < x->n_manifests; i++)
                oci_descriptor_release(&x->manifests[i]);
        free(x->manifests);
        strv_free(x->annotations);
        memset(x, 0, sizeof(*x));
}

void oci_container_config_release(struct oci_container_config *c)
{
        free(c->user);
        strv_free(c->exposed_ports);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->volumes);
        free(c->working_dir);
        strv_free(c->labels);
        free(c->stop_signal);
        if (c->healthcheck) {
                strv_free(c->healthcheck->test);
                free(c->healthcheck);
        }
        strv_free(c->on_build);
        strv_free(c->shell);
        memset(c, 0, sizeof(*c));
}

void oci_history_release(struct oci_history *h)
{
        free(h->created);
        free(h->created_by);
        free(h->author);
        free(h->comment);
        memset(h, 0, sizeof(*h));
}

void oci_image_release(struct oci_image *img)
{
        free(img->created);
        free(img->author);
        free(img->architecture);
        free(img->os);
        free(img->variant);
        free(img->box_cache);
        oci_container_config_release(&img->config);
        strv_free(img->diff_ids);
        for (size_t i = 0; i < img->n_history; i++)
                oci_history_release(&img->history[i]);
        free(img->history);
        memset(img, 0, sizeof(*img));
}

/* ---- helpers ---- */

static char *dup_str(const struct jv *obj, const char *key)
{
        const char *s = jv_get_str(obj, key);
        return s ? xstrdup(s) : NULL;
}

static char **kv_from_object(const struct jv *obj)
{
        if (!jv_is_object(obj))
                return NULL;
        /* sized up front: appending one by one would be quadratic */
        char **kv = xnew0(char *, 2 * jv_len(obj) + 1);
        size_t n = 0;
        struct jv_iter it;
        const char *k;
        struct jv *v;
        jv_iter_init(&it, obj);
        while (jv_iter_next(&it, &k, &v)) {
                kv[n++] = xstrdup(k);
                kv[n++] = xstrdup(strempty(jv_str(v)));
        }
        return kv;
}

static struct jv *kv_to_object(char *const *kv)
{
        struct jv *o = jv_object();
        for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
                jv_set(o, kv[i], jv_string(kv[i + 1]));
        return o;
}

/* {"80/tcp": {}} or {"/data": {}} -> strv of keys */
static char **keys_of(const struct jv *obj)
{
        if (!jv_is_object(obj))
                return NULL;
        char **v = xnew0(char *, jv_len(obj) + 1);
        size_t n = 0;
        struct jv_iter it;
        const char *k;
        struct jv *val;
        jv_iter_init(&it, obj);
        while (jv_iter_next(&it, &k, &val))
                v[n++] = xstrdup(k);
        return v;
}

static struct jv *set_of(char *const *keys)
{
        struct jv *o = jv_object();
        STRV_FOREACH (k, keys)
                jv_set(o, *k, jv_object());
        return o;
}

const char *oci_kv_get(char *const *kv, const char *key)
{
        for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
                if (streq(kv[i], key))
                        return kv[i + 1];
        return NULL;
}

char **oci_kv_set(char **kv, const char *key, const char *value)
{
        for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
                if (streq(kv[i], key)) {
                        free(kv[i + 1]);
                        kv[i + 1] = xstrdup(value);
                        return kv;
                }
        kv = strv_append(kv, key);
        return strv_append(kv, value);
}

static int parse_descriptor(const struct jv *o, struct oci_descriptor *d, const char *what,
                            struct box_err *err)
{
        memset(d, 0, sizeof(*d));
        if (!jv_is_object(o))
                return box_err_set(err, EINVAL, "%s: not an object", what);
        const char *digest = jv_get_str(o, "digest");
        if (!digest)
                return box_err_set(err, EINVAL, "%s: missing digest", what);
        d->media_type = dup_str(o, "mediaType");
        d->digest = xstrdup(digest);
        d->size = jv_int_value(jv_get(o, "size"));
        d->annotations = kv_from_object(jv_get(o, "annotations"));
        struct jv *p = jv_get(o, "platform");
        if (p) {
                d->platform_os = dup_str(p, "os");
                d->platform_arch = dup_str(p, "architecture");
                d->platform_variant = dup_str(p, "variant");
        }
        return 0;
}

static struct jv *descriptor_to_jv(const struct oci_descriptor *d)
{
        struct jv *o = jv_object();
        jv_set_str(o, "mediaType", d->media_type);
        jv_set_str(o, "digest", d->digest);
        jv_set(o, "size", jv_int(d->size));
        if (d->annotations && d->annotations[0])
                jv_set(o, "annotations", kv_to_object(d->annotations));
        if (d->platform_os || d->platform_arch) {
                struct jv *p = jv_object();
                jv_set_str(p, "architecture", d->platform_arch);
                jv_set_str(p, "os", d->platform_os);
                jv_set_str(p, "variant", d->platform_variant);
                jv_set(o, "platform", p);
        }
        return o;
}

void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src)
{
        dst->media_type = src->media_type ? xstrdup(src->media_type) : NULL;
        dst->digest = src->digest ? xstrdup(src->digest) : NULL;
        dst->size = src->size;
        dst->annotations = src->annotations ? strv_copy(src->annotations) : NULL;
        dst->platform_os = src->platform_os ? xstrdup(src->platform_os) : NULL;
        dst->platform_arch = src->platform_arch ? xstrdup(src->platform_arch) : NULL;
        dst->platform_variant = src->platform_variant ? xstrdup(src->platform_variant) : NULL;
}

/* ---- manifest / index ---- */

static bool in_list(const char *s, const char *const *list)
{
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

/* What box can run: an image manifest (OCI or Docker schema 2) whose
 * config is an image config and whose layers are tar streams box can
 * unpack.  An artifact (an SBOM, a signature: any other config type,
 * OCI's empty one included) or a layer type box would misread is refused
 * here, by name, rather than failing later on a count or a digest. */
int oci_manifest_check_image(const struct oci_manifest *m, struct box_err *err)
{
        static const char *const manifests[] = {OCI_MEDIA_MANIFEST, DOCKER_MEDIA_MANIFEST, NULL};
        static const char *const configs[] = {OCI_MEDIA_CONFIG, DOCKER_MEDIA_CONFIG, NULL};
        static const char *const layers[] = {
                OCI_MEDIA_LAYER,
                OCI_MEDIA_LAYER_GZIP,
                OCI_MEDIA_LAYER_ZSTD,
                OCI_MEDIA_LAYER_NONDIST,
                OCI_MEDIA_LAYER_NONDIST "+gzip",
                OCI_MEDIA_LAYER_NONDIST "+zstd",
                DOCKER_MEDIA_LAYER,
                DOCKER_MEDIA_LAYER_GZIP,
                DOCKER_MEDIA_LAYER_ZSTD,
                DOCKER_MEDIA_LAYER_FOREIGN,
                NULL,
        };
        if (m->media_type && !in_list(m->media_type, manifests))
                return box_err_set(err, EINVAL,
                                   "manifest: media type '%s' is not an image manifest",
                                   m->media_type);
        if (m->config.media_type && !in_list(m->config.media_type, configs))
                return box_err_set(err, EMEDIUMTYPE,
                                   "manifest: not an image but an artifact (its config is '%s')",
                                   m->config.media_type);
        for (size_t i = 0; i < m->n_layers; i++)
                if (m->layers[i].media_type && !in_list(m->layers[i].media_type, layers))
                        return box_err_set(err, EINVAL,
                                           "manifest: layer %zu has media type '%s', not a layer "
                                           "box can unpack",
                                           i + 1, m->layers[i].media_type);
        return 0;
}

int oci_manifest_parse(const char *buf, size_t len, struct oci_manifest *ret, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        struct oci_manifest m = {0};
        int r = jv_parse(buf, len, &o, err);
        if (r < 0)
                return box_err_prefix(err, "manifest");
        if (!jv_is_object(o))
                return box_err_set(err, EINVAL, "manifest: not a JSON object");
        m.schema_version = (int)jv_int_value(jv_get(o, "schemaVersion"));
        if (m.schema_version == 1)
                return box_err_set(err, EINVAL,
                                   "manifest: Docker schema 1 (schemaVersion 1) is not supported; "
                                   "the image must be pushed again as Docker schema 2 or OCI");
        if (m.schema_version != 2)
                return box_err_set(err, EINVAL, "manifest: unsupported schemaVersion %d",
                                   m.schema_version);
        m.media_type = dup_str(o, "mediaType");
        if (jv_get(o, "manifests")) {
                oci_manifest_release(&m);
                return box_err_set(err, EINVAL, "manifest: is an image index, not a manifest");
        }
        r = parse_descriptor(jv_get(o, "config"), &m.config, "manifest config", err);
        if (r < 0) {
                oci_manifest_release(&m);
                return r;
        }
        struct jv *layers = jv_get(o, "layers");
        if (layers && !jv_is_array(layers)) {
                oci_manifest_release(&m);
                return box_err_set(err, EINVAL, "manifest: layers is not an array");
        }
        m.n_layers = jv_len(layers);
        m.layers = xnew0(struct oci_descriptor, m.n_layers);
        for (size_t i = 0; i < m.n_layers; i++) {
                r = parse_descriptor(jv_at(layers, i), &m.layers[i], "manifest layer", err);
                if (r < 0) {
                        oci_manifest_release(&m);
                        return r;
                }
        }
        m.annotations = kv_from_object(jv_get(o, "annotations"));
        *ret = m;
        return 0;
}

char *oci_manifest_to_json(const struct oci_manifest *m)
{
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set(o, "schemaVersion", jv_int(2));
        jv_set_str(o, "mediaType", m->media_type ? m->media_type : OCI_MEDIA_MANIFEST);
        jv_set(o, "config", descriptor_to_jv(&m->config));
        struct jv *layers = jv_array();
        for (size_t i = 0; i < m->n_layers; i++)
                jv_push(layers, descriptor_to_jv(&m->layers[i]));
        jv_set(o, "layers", layers);
        if (m->annotations && m->annotations[0])
                jv_set(o, "annotations", kv_to_object(m->annotations));
        return jv_dump(o, JV_CANONICAL);
}

char *oci_index_platforms(const struct oci_index *x)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (size_t i = 0; i < x->n_manifests && b.len < 400; i++) {
                const struct oci_descriptor *d = &x->manifests[i];
                const char *os = d->platform_os ?: "?", *arch = d->platform_arch ?: "?";
                if (!streq(os, "unknown"))
                        buf_printf(&b, "%s%s/%s%s%s", b.len ? ", " : "", os, arch,
                                   d->platform_variant ? "/" : "", d->platform_variant ?: "");
        }
        if (!b.len)
                buf_puts(&b, "none");
        return buf_steal(&b);
}

int oci_index_parse(const char *buf, size_t len, struct oci_index *ret, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        struct oci_index x = {0};
        int r = jv_parse(buf, len, &o, err);
        if (r < 0)
                return box_err_prefix(err, "index");
        if (!jv_is_object(o))
                return box_err_set(err, EINVAL, "index: not a JSON object");
        x.schema_version = (int)jv_int_value(jv_get(o, "schemaVersion"));
        if (x.schema_version != 2)
                return box_err_set(err, EINVAL, "index: unsupported schemaVersion %d",
                                   x.schema_version);
        x.media_type = dup_str(o, "mediaType");
        struct jv *ms = jv_get(o, "manifests");
        if (ms && !jv_is_array(ms)) {
                oci_index_release(&x);
                return box_err_set(err, EINVAL, "index: manifests is not an array");
        }
        x.n_manifests = jv_len(ms);
        x.manifests = xnew0(struct oci_descriptor, x.n_manifests);
        for (size_t i = 0; i < x.n_manifests; i++) {
                r = parse_descriptor(jv_at(ms, i), &x.manifests[i], "index entry", err);
                if (r < 0) {
                        oci_index_release(&x);
                        return r;
                }
        }
        x.annotations = kv_from_object(jv_get(o, "annotations"));
        *ret = x;
        return 0;
}

char *oci_index_to_json(const struct oci_index *x)
{
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set(o, "schemaVersion", jv_int(2));
        jv_set_str(o, "mediaType", x->media_type ? x->media_type : OCI_MEDIA_INDEX);
        struct jv *ms = jv_array();
        for (size_t i = 0; i < x->n_manifests; i++)
                jv_push(ms, descriptor_to_jv(&x->manifests[i]));
        jv_set(o, "manifests", ms);
        if (x->annotations && x->annotations[0])
                jv_set(o, "annotations", kv_to_object(x->annotations));
        return jv_dump(o, JV_CANONICAL);
}

/* ---- image config ---- */

static int64_t jv_ns(const struct jv *o, const char *key)
{
        return jv_int_value(jv_get(o, key));
}

static void parse_container_config(const struct jv *c, struct oci_container_config *cc)
{
        if (!jv_is_object(c))
                return;
        cc->user = dup_str(c, "User");
        cc->exposed_ports = keys_of(jv_get(c, "ExposedPorts"));
        cc->env = jv_to_strv(jv_get(c, "Env"));
        cc->entrypoint = jv_to_strv(jv_get(c, "Entrypoint"));
        cc->cmd = jv_to_strv(jv_get(c, "Cmd"));
        cc->volumes = keys_of(jv_get(c, "Volumes"));
        cc->working_dir = dup_str(c, "WorkingDir");
        cc->labels = kv_from_object(jv_get(c, "Labels"));
        cc->stop_signal = dup_str(c, "StopSignal");
        cc->args_escaped = jv_bool_value(jv_get(c, "ArgsEscaped"));
        struct jv *h = jv_get(c, "Healthcheck");
        if (jv_is_object(h)) {
                cc->healthcheck = xnew0(struct oci_healthcheck, 1);
                cc->healthcheck->test = jv_to_strv(jv_get(h, "Test"));
                cc->healthcheck->interval = jv_ns(h, "Interval");
                cc->healthcheck->timeout = jv_ns(h, "Timeout");
                cc->healthcheck->start_period = jv_ns(h, "StartPeriod");
                cc->healthcheck->start_interval = jv_ns(h, "StartInterval");
                cc->healthcheck->retries = (int)jv_int_value(jv_get(h, "Retries"));
        }
        cc->on_build = jv_to_strv(jv_get(c, "OnBuild"));
        cc->shell = jv_to_strv(jv_get(c, "Shell"));
}

int oci_image_parse(const char *buf, size_t len, struct oci_image *ret, struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        struct oci_image img = {0};
        int r = jv_parse(buf, len, &o, err);
        if (r < 0)
                return box_err_prefix(err, "image config");
        if (!jv_is_object(o))
                return box_err_set(err, EINVAL, "image config: not a JSON object");
        img.created = dup_str(o, "created");
        img.author = dup_str(o, "author");
        img.architecture = dup_str(o, "architecture");
        img.os = dup_str(o, "os");
        img.variant = dup_str(o, "variant");
        parse_container_config(jv_get(o, "config"), &img.config);
        struct jv *rootfs = jv_get(o, "rootfs");
        img.diff_ids = jv_to_strv(jv_get(rootfs, "diff_ids"));
        if (!img.diff_ids)
                img.diff_ids = xnew0(char *, 1);
        struct jv *hist = jv_get(o, "history");
        img.n_history = jv_len(hist);
        img.history = xnew0(struct oci_history, img.n_history);
        for (size_t i = 0; i < img.n_history; i++) {
                struct jv *h = jv_at(hist, i);
                img.history[i].created = dup_str(h, "created");
                img.history[i].created_by = dup_str(h, "created_by");
                img.history[i].author = dup_str(h, "author");
                img.history[i].comment = dup_str(h, "comment");
                img.history[i].empty_layer = jv_bool_value(jv_get(h, "empty_layer"));
        }
        *ret = img;
        return 0;
}

static struct jv *container_config_to_jv(const struct oci_container_config *c)
{
        struct jv *o = jv_object();
        jv_set_str(o, "User", c->user);
        if (c->exposed_ports && c->exposed_ports[0])
                jv_set(o, "ExposedPorts", set_of(c->exposed_ports));
        if (c->env)
                jv_set(o, "Env", jv_strv(c->env));
        if (c->entrypoint)
                jv_set(o, "Entrypoint", jv_strv(c->entrypoint));
        if (c->cmd)
                jv_set(o, "Cmd", jv_strv(c->cmd));
        if (c->volumes && c->volumes[0])
                jv_set(o, "Volumes", set_of(c->volumes));
        jv_set_str(o, "WorkingDir", c->working_dir);
        if (c->labels && c->labels[0])
                jv_set(o, "Labels", kv_to_object(c->labels));
        jv_set_str(o, "StopSignal", c->stop_signal);
        if (c->args_escaped)
                jv_set(o, "ArgsEscaped", jv_bool(true));
        if (c->healthcheck) {
                struct jv *h = jv_object();
                jv_set(h, "Test", jv_strv(c->healthcheck->test));
                if (c->healthcheck->interval)
                        jv_set(h, "Interval", jv_int(c->healthcheck->interval));
                if (c->healthcheck->timeout)
                        jv_set(h, "Timeout", jv_int(c->healthcheck->timeout));
                if (c->healthcheck->start_period)
                        jv_set(h, "StartPeriod", jv_int(c->healthcheck->start_period));
                if (c->healthcheck->start_interval)
                        jv_set(h, "StartInterval", jv_int(c->healthcheck->start_interval));
                if (c->healthcheck->retries)
                        jv_set(h, "Retries", jv_int(c->healthcheck->retries));
                jv_set(o, "Healthcheck", h);
        }
        if (c->on_build && c->on_build[0])
                jv_set(o, "OnBuild", jv_strv(c->on_build));
        if (c->shell)
                jv_set(o, "Shell", jv_strv(c->shell));
        return o;
}

char *oci_image_to_json(const struct oci_image *img)
{
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set_str(o, "created", img->created);
        jv_set_str(o, "author", img->author);
        jv_set_str(o, "architecture", img->architecture ? img->architecture : "amd64");
        jv_set_str(o, "os", img->os ? img->os : "linux");
        jv_set_str(o, "variant", img->variant);
        jv_set(o, "config", container_config_to_jv(&img->config));
        struct jv *rootfs = jv_object();
        jv_set_str(rootfs, "type", "layers");
        jv_set(rootfs, "diff_ids", jv_strv(img->diff_ids ? img->diff_ids : (char *[]){NULL}));
        jv_set(o, "rootfs", rootfs);
        if (img->n_history) {
                struct jv *hist = jv_array();
                for (size_t i = 0; i < img->n_history; i++) {
                        const struct oci_history *h = &img->history[i];
                        struct jv *e = jv_object();
                        jv_set_str(e, "created", h->created);
                        jv_set_str(e, "created_by", h->created_by);
                        jv_set_str(e, "author", h->author);
                        jv_set_str(e, "comment", h->comment);
                        if (h->empty_layer)
                                jv_set(e, "empty_layer", jv_bool(true));
                        jv_push(hist, e);
                }
                jv_set(o, "history", hist);
        }
        struct jv *cache = NULL;
        if (img->box_cache && jv_parse(img->box_cache, strlen(img->box_cache), &cache, NULL) >= 0)
                jv_set(o, "box.cache.v0", cache);
        return jv_dump(o, JV_CANONICAL);
}

static char **copy_or_null(char *const *v)
{
        return v ? strv_copy(v) : NULL;
}

void oci_container_config_copy(struct oci_container_config *d, const struct oci_container_config *s)
{
        memset(d, 0, sizeof(*d));
        d->user = s->user ? xstrdup(s->user) : NULL;
        d->exposed_ports = copy_or_null(s->exposed_ports);
        d->env = copy_or_null(s->env);
        d->entrypoint = copy_or_null(s->entrypoint);
        d->cmd = copy_or_null(s->cmd);
        d->volumes = copy_or_null(s->volumes);
        d->working_dir = s->working_dir ? xstrdup(s->working_dir) : NULL;
        d->labels = copy_or_null(s->labels);
        d->stop_signal = s->stop_signal ? xstrdup(s->stop_signal) : NULL;
        d->args_escaped = s->args_escaped;
        if (s->healthcheck) {
                d->healthcheck = xnew0(struct oci_healthcheck, 1);
                *d->healthcheck = *s->healthcheck;
                d->healthcheck->test = copy_or_null(s->healthcheck->test);
        }
        d->on_build = copy_or_null(s->on_build);
        d->shell = copy_or_null(s->shell);
}

void oci_history_copy(struct oci_history *d, const struct oci_history *s)
{
        d->created = s->created ? xstrdup(s->created) : NULL;
        d->created_by = s->created_by ? xstrdup(s->created_by) : NULL;
        d->author = s->author ? xstrdup(s->author) : NULL;
        d->comment = s->comment ? xstrdup(s->comment) : NULL;
        d->empty_layer = s->empty_layer;
}

/* RFC 3339 (or a date alone) -> unix seconds and nanoseconds. */
/* Is S's start SHAPE ('d' a digit, else that character)?  strptime takes
 * "15:04:0" for a time; Go's layouts want each field's two digits. */
static bool time_shape(const char *s, const char *shape)
{
        for (; *shape; s++, shape++)
                if (*shape == 'd' ? !isdigit((unsigned char)*s) : *s != *shape)
                        return false;
        return true;
}

static int time_parse(const char *s, int64_t *ret_sec, int64_t *ret_nsec)
{
        struct tm tm = {0};
        if (!s)
                return -EINVAL;
        const char *rest = NULL;
        if (time_shape(s, "dddd-dd-ddTdd:dd:dd"))
                rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        bool date_only = !rest;
        if (date_only && !(time_shape(s, "dddd-dd-dd") && (rest = strptime(s, "%Y-%m-%d", &tm))))
                return -EINVAL;
        int64_t sec = (int64_t)timegm(&tm), nsec = 0;
        if (!date_only && *rest == '.') {
                int64_t scale = 100000000;
                for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
                        nsec += (*rest - '0') * scale;
        }
        /* Z, nothing (UTC, as Docker takes it) or RFC 3339's [+-]hh:mm: +02:00
         * is two hours before the same clock time in UTC */
        if (!date_only && *rest == 'Z') {
                rest++;
        } else if (!date_only && (*rest == '+' || *rest == '-')) {
                const char *o = rest + 1;
                int sign = *rest == '-' ? -1 : 1;
                if (!isdigit((unsigned char)o[0]) || !isdigit((unsigned char)o[1]) || o[2] != ':' ||
                    !isdigit((unsigned char)o[3]) || !isdigit((unsigned char)o[4]))
                        return -EINVAL;
                int hh = (o[0] - '0') * 10 + (o[1] - '0'), mm = (o[3] - '0') * 10 + (o[4] - '0');
                if (hh > 23 || mm > 59)
                        return -EINVAL;
                sec -= (int64_t)sign * (hh * 3600 + mm * 60);
                rest += 6;
        }
        if (*rest)
                return -EINVAL;
        *ret_sec = sec;
        *ret_nsec = nsec;
        return 0;
}

int oci_time_parse_ns(const char *s, int64_t *ret_ns)
{
        int64_t sec, nsec;
        int r = time_parse(s, &sec, &nsec);
        if (r < 0)
                return r;
        /* int64 nanoseconds reach the years 1677 to 2262 */
        if (sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1)
                return -ERANGE;
        *ret_ns = sec * 1000000000 + nsec;
        return 0;
}

int64_t oci_time_parse(const char *s)
{
        int64_t sec, nsec;
        return time_parse(s, &sec, &nsec) < 0 ? -1 : sec;
}

char *oci_time_format_ns(int64_t t, long nsec)
{
        /* RFC 3339 years have four digits: clamp to 0000-01-01 .. 9999-12-31
         * (which also keeps gmtime_r() from failing and leaving tm unset) */
        const int64_t min = -62167219200LL, max = 253402300799LL;
        time_t tt = (time_t)(t < min ? min : t > max ? max : t);
        struct tm tm;
        char frac[16] = "";
        gmtime_r(&tt, &tm);
        if (nsec > 0 && nsec < 1000000000L) {
                /* Go's ".999999999": trailing zeros dropped */
                int n = snprintf(frac, sizeof(frac), ".%09ld", nsec);
                while (n > 0 && frac[n - 1] == '0')
                        frac[--n] = '\0';
        }
        return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

char *oci_time_format(int64_t t)
{
        return oci_time_format_ns(t, 0);
}

char *oci_time_now(bool nsec)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return oci_time_format_ns(ts.tv_sec, nsec ? ts.tv_nsec : 0);
}

char *oci_time_created(void)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (sde && *sde)
                return oci_time_format(strtoll(sde, NULL, 10));
        return oci_time_now(true);
}

const char *oci_host_arch(void)
{
        static char arch[65];
        if (arch[0])
                return arch;
        struct utsname u;
        uname(&u);
        static const struct {
                const char *machine, *goarch;
        } map[] = {{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"},
                   {"i386", "386"},     {"armv6", "arm"},     {"armv7", "arm"},
                   {"armv8l", "arm"},   {"s390x", "s390x"}};
        snprintf(arch, sizeof(arch), "%s", u.machine);
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (startswith(u.machine, map[i].machine))
                        snprintf(arch, sizeof(arch), "%s", map[i].goarch);
        return arch;
}

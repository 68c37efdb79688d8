/* The build engine: stages, instructions, layers and the cache. */
#include <ctype.h>
#include <fcntl.h>
#include <sched.h>
#include <search.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "run/run.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/image.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct stage {
        char *name; /* lowercased AS name, or NULL */
        size_t first, end;
        bool needed, built;
        struct image_state res;
        char **args;      /* ARG values in scope at the end, "K=V" */
        char **arg_names; /* ARGs declared, in order (a stage FROM it inherits them) */
};

struct builder {
        struct store *st;
        const struct build_opts *o;
        struct dockerfile *df;
        const char *dfname;
        char **build_args;  /* resolved "K=V" */
        char **used_args;   /* names consumed by an ARG */
        char **global_args; /* ARGs before the first FROM, "K=V" */
        struct stage *stages;
        size_t n_stages;
        int context_fd;
        struct dockerignore *ignore;
        struct stat_cache *sc;
        int step, n_steps;
        struct hsearch_data names; /* lowercased stage name -> index + 1 */
        char **name_keys;
        bool names_ok;
        char *arch;
        FILE *out;
        bool plain;
        bool last_cached; /* the step just dispatched was a cache hit */
};

struct stage_ctx {
        struct builder *b;
        struct stage *s;
        struct image_state cur;
        char **args;      /* ARG values in scope, "K=V" */
        char **arg_names; /* the ARGs declared so far, in order, each once */
};

/* ---- image_state ---- */

void image_state_release(struct image_state *s)
{
        oci_image_release(&s->img);
        for (size_t i = 0; i < s->n_layers; i++)
                oci_descriptor_release(&s->layers[i]);
        free(s->layers);
        free(s->last_created);
        memset(s, 0, sizeof(*s));
}

void image_state_copy(struct image_state *d, const struct image_state *s)
{
        memset(d, 0, sizeof(*d));
        char *json = oci_image_to_json(&s->img);
        oci_image_parse(json, strlen(json), &d->img, NULL);
        free(json);
        d->layers = xnew0(struct oci_descriptor, s->n_layers);
        for (size_t i = 0; i < s->n_layers; i++)
                oci_descriptor_copy(&d->layers[i], &s->layers[i]);
        d->n_layers = s->n_layers;
        memcpy(d->chain, s->chain, sizeof(d->chain));
        d->last_created = s->last_created ? xstrdup(s->last_created) : NULL;
        d->cmd_set = false;
}

void image_state_add_layer(struct image_state *s, const struct store_layer_info *info,
                           const char *media_type)
{
        s->layers = xreallocarray(s->layers, s->n_layers + 1, sizeof(s->layers[0]));
        struct oci_descriptor *d = &s->layers[s->n_layers++];
        memset(d, 0, sizeof(*d));
        d->media_type = xstrdup(media_type);
        d->digest = xstrdup(info->digest);
        d->size = (int64_t)info->size;
        s->img.diff_ids = strv_append(s->img.diff_ids, info->diff_id);
}

static void add_history(struct image_state *s, const char *created_by, bool empty)
{
        s->img.history =
                xreallocarray(s->img.history, s->img.n_history + 1, sizeof(struct oci_history));
        struct oci_history *h = &s->img.history[s->img.n_history++];
        memset(h, 0, sizeof(*h));
        h->created = s->last_created ? xstrdup(s->last_created) : NULL;
        h->created_by = xstrdup(created_by);
        h->comment = xstrdup("buildkit.dockerfile.v0");
        h->empty_layer = empty;
}

/* ---- helpers ---- */

static char *now_created(void)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        if (sde && *sde)
                return oci_time_format(strtoll(sde, NULL, 10));
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char *s = oci_time_format(ts.tv_sec);
        s[strlen(s) - 1] = '\0';
        char *r = xasprintf("%s.%09ldZ", s, ts.tv_nsec);
        free(s);
        return r;
}

static int64_t sde_clamp(void)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        return sde && *sde ? strtoll(sde, NULL, 10) : 0;
}

static const char *flag_value(const struct dockerfile_instr *in, const char *name)
{
        size_t n = strlen(name);
        const char *v = NULL;
        STRV_FOREACH (f, in->flags)
                if (strneq(*f, "--", 2) && strneq(*f + 2, name, n) && (*f)[2 + n] == '=')
                        v = *f + 3 + n;
        return v;
}

static char *upper_name(const char *s)
{
        char *u = xstrdup(s);
        for (char *p = u; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        return u;
}

static int fail_at(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        _cleanup_free_ char *up = upper_name(in->name);
        return box_err_prefix(err, "%s:%d: %s", c->b->dfname, in->start_line, up);
}

/* Variables in scope: the image's ENV wins over the stage's ARGs.  Looked
 * up in place, not copied into one list for every word expanded. */
static bool scope_get(void *userdata, const char *name, const char **ret_value)
{
        struct stage_ctx *c = userdata;
        return build_shell_env_strv_get(c->cur.img.config.env, name, ret_value) ||
               build_shell_env_strv_get(c->args, name, ret_value);
}

static int expand(struct stage_ctx *c, const char *word, char **ret, struct box_err *err)
{
        struct shell_env e = {scope_get, c};
        return build_shell_expand_word(word, c->b->df->escape_token, 0, &e, ret, NULL, NULL, err);
}

static void progress(struct builder *b, const char *fmt, ...) _printf_(2, 3);
static void progress(struct builder *b, const char *fmt, ...)
{
        if (!b->out)
                return;
        va_list ap;
        va_start(ap, fmt);
        vfprintf(b->out, fmt, ap);
        va_end(ap);
        fflush(b->out);
}

static double mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- file-system steps on an overlay ---- */

struct step_dir {
        char *rel; /* relative to the store root: tmp/step-XXXX */
        char *abs;
        char *merged; /* absolute mount point */
        bool mounted;
};

static int step_dir_new(struct builder *b, struct step_dir *sd, struct box_err *err)
{
        memset(sd, 0, sizeof(*sd));
        sd->rel = xasprintf("tmp/step-%d-%lx", getpid(), (unsigned long)random());
        sd->abs = xasprintf("%s/%s", store_root(b->st), sd->rel);
        sd->merged = xasprintf("%s/merged", sd->abs);
        static const char *const subs[] = {"", "/upper", "/work", "/merged", "/empty"};
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s", sd->abs, subs[i]);
                if (mkdir(p, 0755) < 0)
                        return box_err_errno(err, errno, "create '%s'", p);
        }
        return 0;
}

static void step_dir_free(struct step_dir *sd)
{
        if (sd->mounted)
                umount2(sd->merged, MNT_DETACH);
        if (sd->abs)
                fs_rm_rf(sd->abs, NULL);
        free(sd->rel);
        free(sd->abs);
        free(sd->merged);
        memset(sd, 0, sizeof(*sd));
}

static char **lowerdirs(struct builder *b, const struct image_state *s, const struct step_dir *sd,
                        struct box_err *err)
{
        char **v = xnew0(char *, 1);
        size_t n = strv_length(s->img.diff_ids);
        for (size_t i = n; i-- > 0;) {
                /* a diff_id becomes a path: it must be a digest, whatever the
                 * image's config says */
                if (spec_digest_validate(s->img.diff_ids[i], NULL) < 0) {
                        strv_free(v);
                        box_err_set(err, EINVAL, "layer '%s': not a sha256 digest",
                                    s->img.diff_ids[i]);
                        return NULL;
                }
                if (!store_layer_exists(b->st, s->img.diff_ids[i])) {
                        strv_free(v);
                        box_err_set(err, ENOENT, "layer %s is not unpacked", s->img.diff_ids[i]);
                        return NULL;
                }
                v = strv_push_at(v, n - 1 - i, store_layer_short_path(b->st, s->img.diff_ids[i]));
        }
        if (!v[0])
                v = strv_push(v, xasprintf("%s/empty", sd->rel));
        return v;
}

static int overlay_mount(struct builder *b, const struct image_state *s, struct step_dir *sd,
                         bool writable, struct box_err *err)
{
        _cleanup_strv_free_ char **lowers = lowerdirs(b, s, sd, err);
        if (!lowers)
                return -err->code;
        struct buf o = {0};
        buf_puts(&o, "lowerdir=");
        for (size_t i = 0; lowers[i]; i++)
                buf_printf(&o, "%s%s", i ? ":" : "", lowers[i]);
        if (!writable && strv_length(lowers) == 1)
                buf_printf(&o, ":%s/empty", sd->rel); /* a lone lowerdir needs a partner */
        if (writable)
                buf_printf(&o, ",upperdir=%s/upper,workdir=%s/work", sd->rel, sd->rel);
        buf_puts(&o, ",redirect_dir=off,index=off,metacopy=off");
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = 0;
        /* by path: the store fd predates our mount namespace, and overlayfs
         * refuses layers reached through another namespace's mounts */
        if (chdir(store_root(b->st)) < 0)
                r = box_err_errno(err, errno, "chdir to the store");
        else if (mount("overlay", sd->merged, "overlay", writable ? 0 : MS_RDONLY, o.data) < 0)
                r = box_err_errno(err, errno, "mount overlay for the build step");
        else
                sd->mounted = true;
        if (cwd >= 0)
                fchdir(cwd);
        buf_release(&o);
        return r;
}

static bool dir_empty(const char *path)
{
        _cleanup_closedir_ DIR *d = opendir(path);
        if (!d)
                return true;
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return false;
        return true;
}

#define RESOLVE_NO_LINKS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* The image's own entry at REL under the step's layers (topmost first),
 * looked up without following any symlink: 1 found (*RET), 0 absent (or
 * hidden by a whiteout or a non-directory above it), -1 unknown (a symlink
 * on the way, whose target only the merged view knows). */
static int stat_in_lowers(struct builder *b, const struct image_state *s, const char *rel,
                          struct stat *ret)
{
        size_t n = strv_length(s->img.diff_ids);
        for (size_t i = n; i-- > 0;) {
                if (spec_digest_validate(s->img.diff_ids[i], NULL) < 0)
                        return -1;
                _cleanup_free_ char *l = store_layer_path(b->st, s->img.diff_ids[i]);
                _cleanup_close_ int lfd = open(l, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (lfd < 0)
                        return -1;
                _cleanup_close_ int fd =
                        sys_openat2(lfd, rel, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_LINKS);
                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0)
                        return errno == ENOTDIR ? 0 : -1;
                if (fstat(fd, ret) < 0)
                        return -1;
                return !(S_ISCHR(ret->st_mode) && ret->st_rdev == 0);
        }
        return 0;
}

/* Mount points the sandbox had to create (for /etc/hosts, a --mount
 * target, ...) are not the step's content: drop the empty ones the image
 * did not have, and the parent directories overlayfs copied up only to hold
 * them (empty, same owner and mode as below).  The step may have left
 * symlinks anywhere in the upper dir, so it is walked through fds that
 * never follow one: a path through a link is the step's content, kept. */
static void prune_mount_points(struct builder *b, const struct image_state *s,
                               const struct step_dir *sd, char *const *paths)
{
        _cleanup_free_ char *up = xasprintf("%s/upper", sd->abs);
        _cleanup_close_ int ufd = open(up, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd < 0)
                return;
        STRV_FOREACH (p, paths) {
                _cleanup_free_ char *abs = xasprintf("/%s", *p);
                _cleanup_free_ char *rel = build_path_clean(abs);
                memmove(rel, rel + 1, strlen(rel));
                while (*rel) {
                        char *slash = strrchr(rel, '/');
                        const char *name = slash ? slash + 1 : rel;
                        if (slash)
                                *slash = '\0';
                        _cleanup_close_ int pfd =
                                slash ? sys_openat2(ufd, rel, O_RDONLY | O_DIRECTORY, 0,
                                                    RESOLVE_NO_LINKS)
                                      : fcntl(ufd, F_DUPFD_CLOEXEC, 3);
                        if (slash)
                                *slash = '/';
                        struct stat st, low;
                        if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                break;
                        int below = stat_in_lowers(b, s, rel, &low);
                        if (below < 0)
                                break;
                        if (S_ISDIR(st.st_mode)) {
                                char v[2];
                                if (below && (low.st_mode != st.st_mode ||
                                              low.st_uid != st.st_uid || low.st_gid != st.st_gid))
                                        break;
                                _cleanup_close_ int dfd = openat(
                                        pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (dfd < 0 ||
                                    fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v)) > 0)
                                        break;
                                if (unlinkat(pfd, name, AT_REMOVEDIR) < 0)
                                        break;
                        } else if (!below && S_ISREG(st.st_mode) && st.st_size == 0) {
                                unlinkat(pfd, name, 0);
                        } else {
                                break;
                        }
                        if (!slash)
                                break;
                        *slash = '\0';
                }
        }
}

/* Finishes a file-system step: packs the upper dir into a layer (or notes
 * that nothing changed) and records it in the cache under KEY. */
static int commit_step(struct stage_ctx *c, struct step_dir *sd, const char *key,
                       const char *created_by, struct box_err *err)
{
        struct builder *b = c->b;
        struct cache_record rec = {0};
        if (sd->mounted) {
                if (umount2(sd->merged, 0) < 0 && umount2(sd->merged, MNT_DETACH) < 0)
                        return box_err_errno(err, errno, "unmount build step");
                sd->mounted = false;
        }
        _cleanup_free_ char *upper = xasprintf("%s/upper", sd->abs);
        _cleanup_free_ char *created = now_created();
        snprintf(rec.created, sizeof(rec.created), "%s", created);
        if (dir_empty(upper)) {
                rec.empty = true;
        } else {
                struct store_layer_pack_opts po = {.clamp_mtime = sde_clamp()};
                int r = store_layer_pack_dir(b->st, upper, &po, &rec.layer, err);
                if (r < 0)
                        return r;
                snprintf(rec.media_type, sizeof(rec.media_type), "%s", OCI_MEDIA_LAYER_GZIP);
        }
        if (key)
                build_cache_put(b->st, key, &rec, NULL);
        free(c->cur.last_created);
        c->cur.last_created = xstrdup(rec.created);
        if (!rec.empty)
                image_state_add_layer(&c->cur, &rec.layer, rec.media_type);
        add_history(&c->cur, created_by, rec.empty);
        return 0;
}

/* Looks a step up in the cache; on a hit applies it. */
static int cache_lookup(struct stage_ctx *c, const char *key, const char *created_by,
                        char *const *parts)
{
        struct builder *b = c->b;
        struct cache_record rec;
        if (b->o->no_cache)
                return 0;
        if (!build_cache_get(b->st, key, &rec)) {
                char pos[512];
                snprintf(pos, sizeof(pos), "%s\n%s\n%zu\n%s", strempty(b->o->context_dir),
                         b->dfname, (size_t)b->step, strempty(c->s->name));
                build_cache_explain(b->st, pos, parts, b->plain ? b->out : NULL);
                return 0;
        }
        free(c->cur.last_created);
        c->cur.last_created = xstrdup(rec.created);
        if (!rec.empty)
                image_state_add_layer(&c->cur, &rec.layer, rec.media_type);
        add_history(&c->cur, created_by, rec.empty);
        b->last_cached = true;
        char pos[512];
        snprintf(pos, sizeof(pos), "%s\n%s\n%zu\n%s", strempty(b->o->context_dir), b->dfname,
                 (size_t)b->step, strempty(c->s->name));
        build_cache_explain(b->st, pos, parts, NULL);
        return 1;
}

static char *step_key(struct stage_ctx *c, char *const *parts)
{
        struct buf t = {0};
        STRV_FOREACH (p, parts) {
                buf_puts(&t, *p);
                buf_putc(&t, '\n');
        }
        digest_str k;
        memcpy(k, c->cur.chain, sizeof(k));
        build_chain_next(k, strempty(t.data));
        buf_release(&t);
        return xstrdup(k);
}

/* ---- stage resolution ---- */

static struct stage *find_stage(struct builder *b, const char *name, size_t before)
{
        /* by hash of the lowercased name (the first stage of that name) */
        _cleanup_free_ char *lower = xstrdup(name);
        for (char *p = lower; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        ENTRY e = {.key = lower}, *found = NULL;
        if (b->names_ok && hsearch_r(e, FIND, &found, &b->names) && found) {
                size_t i = (uintptr_t)found->data - 1;
                if (i < before && i < b->n_stages)
                        return &b->stages[i];
        }
        char *end;
        unsigned long idx = strtoul(name, &end, 10);
        if (*name && !*end && idx < before)
                return &b->stages[idx];
        return NULL;
}

static int build_stage(struct builder *b, struct stage *s, struct box_err *err);

/* A stage's result, building it first if needed. */
static int stage_result(struct builder *b, struct stage *s, struct box_err *err)
{
        if (s->built)
                return 0;
        return build_stage(b, s, err);
}

/* --build-context NAME=VALUE: the value for NAME, or NULL. */
static const char *named_context(struct builder *b, const char *name)
{
        STRV_FOREACH (n, b->o->build_contexts) {
                const char *eq = strchr(*n, '=');
                if (eq && (size_t)(eq - *n) == strlen(name) &&
                    strncasecmp(*n, name, strlen(name)) == 0)
                        return eq + 1;
        }
        return NULL;
}

/* A named context that is a local directory: its fd (1), else 0. */
static int open_named_dir(struct builder *b, const char *name, int *ret_fd, struct box_err *err)
{
        const char *v = named_context(b, name);
        if (!v || startswith(v, "docker-image://"))
                return 0;
        if (strstr(v, "://"))
                return box_err_set(err, ENOTSUP,
                                   "build context '%s': only local directories and "
                                   "docker-image:// are supported",
                                   name);
        int fd = open(v, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "build context '%s': '%s'", name, v);
        *ret_fd = fd;
        return 1;
}

/* Opens the root of a --from source (a stage or an image) read-only. */
static int open_from_root(struct stage_ctx *c, const char *from, struct step_dir *sd, int *ret_fd,
                          struct box_err *err)
{
        struct builder *b = c->b;
        struct image_state tmp = {0};
        const struct image_state *src;
        const char *alias = named_context(b, from);
        if (alias && startswith(alias, "docker-image://"))
                from = alias + strlen("docker-image://");
        struct stage *s = alias ? NULL : find_stage(b, from, (size_t)(c->s - b->stages));
        if (s) {
                int r = stage_result(b, s, err);
                if (r < 0)
                        return r;
                src = &s->res;
        } else {
                /* a stage named like this that is not built before this one */
                for (size_t i = (size_t)(c->s - b->stages); !alias && i < b->n_stages; i++)
                        if (b->stages[i].name && strcasecmp(b->stages[i].name, from) == 0)
                                return box_err_set(
                                        err, EINVAL,
                                        &b->stages[i] == c->s
                                                ? "--from='%s': circular dependency: it is the "
                                                  "current stage"
                                                : "--from='%s': cannot copy from a stage that is "
                                                  "defined after the current one",
                                        from);
                struct store_image_handle h;
                int r = store_image_resolve(b->st, from, &h, err);
                if (r < 0)
                        return box_err_prefix(err, "--from");
                oci_image_parse(h.config_json, h.config_len, &tmp.img, NULL);
                store_image_handle_release(&h);
                src = &tmp;
        }
        int r = step_dir_new(b, sd, err);
        if (r >= 0)
                r = overlay_mount(b, src, sd, false, err);
        image_state_release(&tmp);
        if (r < 0)
                return r;
        *ret_fd = open(sd->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_fd < 0)
                return box_err_errno(err, errno, "open '%s'", sd->merged);
        return 0;
}

/* ---- instructions ---- */

static char **command_argv(struct stage_ctx *c, const struct dockerfile_instr *in)
{
        if (in->json)
                return strv_copy(in->args);
        char **shell = c->cur.img.config.shell && c->cur.img.config.shell[0]
                               ? strv_copy(c->cur.img.config.shell)
                               : strv_append(strv_append(NULL, "/bin/sh"), "-c");
        return strv_append(shell, in->args && in->args[0] ? in->args[0] : "");
}

static char *join(char *const *v, const char *sep)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        buf_puts(&b, sep);
                buf_puts(&b, v[i]);
        }
        return buf_steal(&b);
}

/* History strings are BuildKit's, which formats with Go's fmt: %v of a
 * []string is "[a b]", %q of one is "[\"a\" \"b\"]" (strconv.Quote). */
static void go_quote(struct buf *b, const char *s)
{
        buf_putc(b, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        buf_puts(b, "\\\"");
                        break;
                case '\\':
                        buf_puts(b, "\\\\");
                        break;
                case '\n':
                        buf_puts(b, "\\n");
                        break;
                case '\t':
                        buf_puts(b, "\\t");
                        break;
                case '\r':
                        buf_puts(b, "\\r");
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                buf_printf(b, "\\x%02x", *p);
                        else
                                buf_putc(b, (char)*p);
                }
        }
        buf_putc(b, '"');
}

static char *go_strv(char *const *v, bool quoted)
{
        struct buf b = {0};
        buf_putc(&b, '[');
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        buf_putc(&b, ' ');
                if (quoted)
                        go_quote(&b, v[i]);
                else
                        buf_puts(&b, v[i]);
        }
        buf_putc(&b, ']');
        return buf_steal(&b);
}

/* Go's time.Duration.String(). */
static void go_frac(struct buf *b, uint64_t v, int prec)
{
        uint64_t p10 = 1;
        for (int i = 0; i < prec; i++)
                p10 *= 10;
        buf_printf(b, "%llu", (unsigned long long)(v / p10));
        uint64_t f = v % p10;
        if (!f)
                return;
        char digits[16];
        snprintf(digits, sizeof(digits), "%0*llu", prec, (unsigned long long)f);
        size_t n = strlen(digits);
        while (n && digits[n - 1] == '0')
                digits[--n] = '\0';
        buf_printf(b, ".%s", digits);
}

static void go_duration(struct buf *b, int64_t d)
{
        if (d == 0) {
                buf_puts(b, "0s");
                return;
        }
        if (d < 0) {
                buf_putc(b, '-');
                d = -d;
        }
        uint64_t u = (uint64_t)d;
        if (u < 1000) {
                buf_printf(b, "%lluns", (unsigned long long)u);
        } else if (u < 1000000) {
                go_frac(b, u, 3);
                buf_puts(b, "\xc2\xb5s");
        } else if (u < 1000000000) {
                go_frac(b, u, 6);
                buf_puts(b, "ms");
        } else {
                uint64_t h = u / 3600000000000ull, m = u / 60000000000ull % 60;
                if (h)
                        buf_printf(b, "%lluh", (unsigned long long)h);
                if (h || m)
                        buf_printf(b, "%llum", (unsigned long long)m);
                go_frac(b, u % 60000000000ull, 9);
                buf_putc(b, 's');
        }
}

static int do_env(struct stage_ctx *c, const struct dockerfile_instr *in, bool label,
                  struct box_err *err)
{
        struct buf hist = {0};
        buf_puts(&hist, label ? "LABEL" : "ENV");
        for (size_t i = 0; i < in->n_pairs; i++) {
                _cleanup_free_ char *k = NULL, *v = NULL;
                int r = expand(c, in->pairs[i].key, &k, err);
                if (r >= 0)
                        r = expand(c, in->pairs[i].value, &v, err);
                if (r < 0) {
                        buf_release(&hist);
                        return r;
                }
                if (label) {
                        c->cur.img.config.labels = oci_kv_set(c->cur.img.config.labels, k, v);
                } else {
                        _cleanup_free_ char *e = xasprintf("%s=%s", k, v);
                        if (!c->cur.img.config.env)
                                c->cur.img.config.env = xnew0(char *, 1);
                        c->cur.img.config.env = strv_env_set(c->cur.img.config.env, e);
                }
                buf_printf(&hist, " %s=%s", k, v);
        }
        add_history(&c->cur, hist.data, true);
        build_chain_next(c->cur.chain, hist.data);
        buf_release(&hist);
        return 0;
}

static int resolve_owner(int rootfd, const char *spec, const char *what, struct copy_opts *o,
                         struct box_err *err)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        /* the image's files, resolved inside its root (never a FIFO) */
        fs_read_input_at(rootfd, "etc/passwd", true, 16u << 20, &pw, NULL, NULL);
        fs_read_input_at(rootfd, "etc/group", true, 16u << 20, &gr, NULL, NULL);
        struct run_user u;
        int r = run_user_resolve(spec, NULL, pw, gr, &u, err);
        if (r < 0)
                return box_err_prefix(err, "%s'%s'", what, spec);
        o->has_chown = true;
        o->uid = u.uid;
        o->gid = u.gid;
        run_user_release(&u);
        return 0;
}

static char *abs_dest(struct stage_ctx *c, const char *dest)
{
        const char *wd = c->cur.img.config.working_dir;
        bool slash = !*dest || dest[strlen(dest) - 1] == '/' || streq(dest, ".");
        _cleanup_free_ char *j =
                dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", wd && *wd ? wd : "", dest);
        char *clean = build_path_clean(j);
        if (slash && !(clean[0] == '/' && clean[1] == '\0')) {
                char *t = xasprintf("%s/", clean);
                free(clean);
                return t;
        }
        return clean;
}

struct fetched {
        char **urls, **names, **digests; /* parallel: one per ADD <url> source */
        char *dir;                       /* absolute download directory */
        int dirfd;
};

static void fetched_release(struct fetched *f)
{
        strv_free(f->urls);
        strv_free(f->names);
        strv_free(f->digests);
        if (f->dirfd >= 0)
                close(f->dirfd);
        if (f->dir)
                fs_rm_rf(f->dir, NULL);
        free(f->dir);
}

static int copy_step(struct stage_ctx *c, const struct dockerfile_instr *in, bool add,
                     const struct copy_src *src, char *const *srcs, const struct fetched *dl,
                     const char *dest, const char *dest_raw, struct copy_opts *o,
                     const char *chown_s, const char *from, struct box_err *err)
{
        struct builder *b = c->b;
        int r;
        /* the cache key: the instruction as expanded and what the sources hold */
        struct buf content = {0};
        if (srcs[0]) {
                r = build_copy_hash(src, srcs, b->sc, &content, err);
                if (r < 0) {
                        buf_release(&content);
                        return r;
                }
        }
        for (size_t h = 0; h < in->n_heredocs; h++)
                buf_printf(&content, "heredoc %s\n%s\n", in->heredocs[h].name,
                           in->heredocs[h].content);
        for (size_t u = 0; dl->urls && dl->urls[u]; u++)
                buf_printf(&content, "url %s %s\n", dl->urls[u], dl->digests[u]);
        _cleanup_strv_free_ char **all = strv_concat(dl->urls, srcs);
        _cleanup_free_ char *srclist = join(all, " ");
        _cleanup_free_ char *flags = join(in->flags, " ");
        _cleanup_free_ char *instr = xasprintf("%s %s%s%s %s", add ? "ADD" : "COPY", flags,
                                               *flags ? " " : "", srclist, dest);
        digest_str ch;
        sha256_buf(strempty(content.data), content.len, ch);
        _cleanup_free_ char *p_inst = xasprintf("instruction: %s", instr);
        _cleanup_free_ char *p_from = xasprintf("source stage: %s", strempty(from));
        _cleanup_free_ char *p_content = xasprintf("files: %s", ch);
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        char *parts[] = {p_parent, p_inst, p_from, p_content, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        /* history as BuildKit writes it: only --parents, --chown and --chmod,
         * the sources and the destination as written (expanded) */
        struct buf hist = {0};
        buf_puts(&hist, add ? "ADD" : "COPY");
        if (flag_value(in, "parents") || strv_contains(in->flags, "--parents"))
                buf_puts(&hist, " --parents");
        if (chown_s) {
                _cleanup_free_ char *ce = NULL;
                if (expand(c, chown_s, &ce, NULL) >= 0)
                        buf_printf(&hist, " --chown=%s", ce);
        }
        if (flag_value(in, "chmod")) {
                _cleanup_free_ char *me = NULL;
                if (expand(c, flag_value(in, "chmod"), &me, NULL) >= 0)
                        buf_printf(&hist, " --chmod=%s", me);
        }
        STRV_FOREACH (a, all)
                buf_printf(&hist, " %s", *a);
        for (size_t h = 0; h < in->n_heredocs; h++)
                buf_printf(&hist, " <<%s", in->heredocs[h].name);
        buf_printf(&hist, " %s # buildkit", dest_raw);
        _cleanup_free_ char *created_by = buf_steal(&hist);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        if (cache_lookup(c, key, created_by, parts)) {
                progress(b, "  CACHED\n");
                buf_release(&content);
                return 0;
        }
        struct step_dir sd;
        r = step_dir_new(b, &sd, err);
        if (r >= 0)
                r = overlay_mount(b, &c->cur, &sd, true, err);
        _cleanup_close_ int dest_root =
                r >= 0 ? open(sd.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (r >= 0 && dest_root < 0)
                r = box_err_errno(err, errno, "open build root");
        if (r >= 0 && chown_s) {
                _cleanup_free_ char *ce = NULL;
                r = expand(c, chown_s, &ce, err);
                if (r >= 0)
                        r = resolve_owner(dest_root, ce, "--chown=", o, err);
        }
        if (r >= 0 && srcs[0])
                r = build_copy(src, srcs, dest, dest_root, o, err);
        for (size_t u = 0; r >= 0 && dl->urls && dl->urls[u]; u++) {
                bool dir = dest[strlen(dest) - 1] == '/';
                if (dir && !*dl->names[u]) {
                        r = box_err_set(err, EINVAL,
                                        "'%s': cannot determine a file name from the URL; "
                                        "name the destination file",
                                        dl->urls[u]);
                        break;
                }
                _cleanup_free_ char *target =
                        dir ? xasprintf("%s%s", dest, dl->names[u]) : xstrdup(dest);
                _cleanup_free_ char *fname = xasprintf("%zu", u);
                _cleanup_close_ int fd = openat(dl->dirfd, fname, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? box_err_errno(err, errno, "open download")
                           : build_copy_file_fd(fd, target, dest_root, o, err);
        }
        for (size_t h = 0; r >= 0 && h < in->n_heredocs; h++) {
                _cleanup_free_ char *data = NULL;
                const struct dockerfile_heredoc *hd = &in->heredocs[h];
                if (hd->expand) {
                        struct shell_env e = {scope_get, c};
                        r = build_shell_expand_word(hd->content, b->df->escape_token,
                                                    SHELL_SKIP_QUOTES, &e, &data, NULL, NULL, err);
                } else {
                        data = xstrdup(hd->content);
                }
                if (r < 0)
                        break;
                bool dir = dest[strlen(dest) - 1] == '/';
                _cleanup_free_ char *target =
                        dir ? xasprintf("%s%s", dest, hd->name) : xstrdup(dest);
                r = build_copy_heredoc(data, target, dest_root, o, err);
        }
        if (dest_root >= 0) {
                close(dest_root);
                dest_root = -EBADF;
        }
        if (r >= 0)
                r = commit_step(c, &sd, key, created_by, err);
        step_dir_free(&sd);
        buf_release(&content);
        return r;
}

static int do_copy(struct stage_ctx *c, const struct dockerfile_instr *in, bool add,
                   struct box_err *err)
{
        struct builder *b = c->b;
        size_t n = strv_length(in->args);
        if (n < 2)
                return box_err_set(err, EINVAL, "requires at least two arguments");
        _cleanup_strv_free_ char **srcs = xnew0(char *, 1);
        _cleanup_strv_free_ char **heredoc_srcs = xnew0(char *, 1);
        _cleanup_strv_free_ char **urls = xnew0(char *, 1);
        int r;
        for (size_t i = 0; i + 1 < n; i++) {
                const char *a = in->args[i];
                if (startswith(a, "<<")) {
                        const char *name = a + 2 + (a[2] == '-');
                        for (size_t h = 0; h < in->n_heredocs; h++)
                                if (streq(in->heredocs[h].name, name) ||
                                    (name[0] == '"' || name[0] == '\''))
                                        heredoc_srcs =
                                                strv_append(heredoc_srcs, in->heredocs[h].name);
                        continue;
                }
                char *e = NULL;
                r = expand(c, a, &e, err);
                if (r < 0)
                        return r;
                if (add && (startswith(e, "http://") || startswith(e, "https://"))) {
                        urls = strv_push(urls, e);
                        continue;
                }
                if (!add && (startswith(e, "http://") || startswith(e, "https://"))) {
                        free(e);
                        return box_err_set(err, EINVAL,
                                           "source can't be a URL for COPY: '%s' (use ADD)", a);
                }
                srcs = strv_push(srcs, e);
        }
        _cleanup_free_ char *dest_raw = NULL;
        r = expand(c, in->args[n - 1], &dest_raw, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dest = abs_dest(c, dest_raw);

        struct copy_opts o = {.add = add, .chmod = -1, .checksum = flag_value(in, "checksum")};
        const char *chmod_s = flag_value(in, "chmod");
        if (chmod_s) {
                char *end;
                long m = strtol(chmod_s, &end, 8);
                mode_t probe;
                if (*chmod_s && !*end && m >= 0 && m <= 07777)
                        o.chmod = (int)m;
                else if (!isdigit((unsigned char)*chmod_s) &&
                         build_chmod_apply(chmod_s, 0644, false, &probe) >= 0)
                        o.chmod_sym = chmod_s; /* u+x,go-w: per file, as BuildKit */
                else
                        return box_err_set(err, EINVAL,
                                           "invalid chmod parameter: '%s'. it should be octal "
                                           "string and between 0 and 07777",
                                           chmod_s);
        }
        const char *from = flag_value(in, "from");
        const char *chown_s = flag_value(in, "chown");
        const char *parents = flag_value(in, "parents");
        o.parents = strv_contains(in->flags, "--parents") || (parents && !streq(parents, "false"));
        _cleanup_strv_free_ char **excludes = xnew0(char *, 1);
        STRV_FOREACH (f, in->flags) {
                if (!startswith(*f, "--exclude="))
                        continue;
                char *e = NULL;
                r = expand(c, *f + 10, &e, err);
                if (r < 0)
                        return r;
                excludes = strv_push(excludes, e);
        }
        _cleanup_dockerignore_ struct dockerignore *exclude = NULL;
        if (excludes[0]) {
                r = build_dockerignore_new(excludes, &exclude, err);
                if (r < 0)
                        return box_err_prefix(err, "--exclude");
        }

        struct step_dir src_sd = {0};
        struct copy_src src = {.rootfd = -EBADF, .exclude = exclude};
        if (from) {
                _cleanup_free_ char *fe = NULL;
                r = expand(c, from, &fe, err);
                if (r < 0)
                        return r;
                r = open_named_dir(b, fe, &src.rootfd, err);
                if (r > 0) {
                        src.is_context = true; /* symlinks copied as such, not followed */
                        r = 0;
                } else if (r == 0) {
                        r = open_from_root(c, fe, &src_sd, &src.rootfd, err);
                }
                if (r < 0) {
                        step_dir_free(&src_sd);
                        return r;
                }
        } else if (srcs[0]) {
                if (b->context_fd < 0)
                        return box_err_set(err, EINVAL,
                                           "no build context: use a context directory "
                                           "instead of '-f -' alone");
                src.rootfd = fcntl(b->context_fd, F_DUPFD_CLOEXEC, 3);
                src.is_context = true;
                src.ignore = b->ignore;
        }

        struct fetched dl = {.dirfd = -EBADF};
        if (urls[0]) {
                if (strv_length(urls) + strv_length(srcs) > 1 && dest[strlen(dest) - 1] != '/') {
                        r = box_err_set(err, EINVAL,
                                        "when using ADD with more than one source, the "
                                        "destination must be a directory and end with a /");
                        goto done;
                }
                dl.dir = xasprintf("%s/tmp/fetch-%d-%lx", store_root(b->st), getpid(),
                                   (unsigned long)random());
                if (mkdir(dl.dir, 0700) < 0 ||
                    (dl.dirfd = open(dl.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        r = box_err_errno(err, errno, "create download directory");
                        goto done;
                }
                dl.urls = xnew0(char *, 1);
                dl.names = xnew0(char *, 1);
                dl.digests = xnew0(char *, 1);
                for (size_t u = 0; urls[u]; u++) {
                        char *name = NULL;
                        digest_str d;
                        _cleanup_free_ char *fname = xasprintf("%zu", u);
                        progress(b, "  fetching %s\n", urls[u]);
                        r = build_fetch_url(urls[u], o.checksum, &b->o->fetch, dl.dirfd, fname,
                                            &name, d, err);
                        if (r < 0)
                                goto done;
                        dl.urls = strv_append(dl.urls, urls[u]);
                        dl.names = strv_push(dl.names, name ? name : xstrdup(""));
                        dl.digests = strv_append(dl.digests, d);
                }
        } else if (o.checksum) {
                r = box_err_set(err, EINVAL, "--checksum is only allowed with a URL source");
                goto done;
        }
        r = copy_step(c, in, add, &src, srcs, &dl, dest, dest_raw, &o, chown_s, from, err);
done:
        fetched_release(&dl);
        if (src.rootfd >= 0)
                close(src.rootfd);
        step_dir_free(&src_sd);
        return r;
}

struct run_mounts {
        struct run_mount *v;
        size_t n;
        char **targets;
        char **owned;                /* strings the mounts point into */
        struct step_dir *from_roots; /* read-only roots of from= stages */
        size_t n_from;
        char **env; /* "K=V" of secrets with env=: never in the cache key */
};

static void run_mounts_release(struct run_mounts *m)
{
        for (size_t i = 0; i < m->n_from; i++)
                step_dir_free(&m->from_roots[i]);
        free(m->from_roots);
        free(m->v);
        strv_free(m->env);
        strv_free(m->targets);
        strv_free(m->owned);
        memset(m, 0, sizeof(*m));
}

static const char *own(struct run_mounts *m, char *s)
{
        m->owned = strv_push(m->owned, s);
        return s;
}

/* The source of RUN --mount=type=bind,rw: BuildKit lets the step write
 * there and throws the writes away, so the step gets an overlay with the
 * source (FD) as its lower layer, or a copy of a lone file, in a step dir
 * that run_mounts_release unmounts and removes.  Nothing reaches the
 * context or the source stage. */
static int rw_scratch(struct builder *b, struct run_mounts *m, int fd, char **ret_path,
                      struct box_err *err)
{
        m->from_roots = xreallocarray(m->from_roots, m->n_from + 1, sizeof(*m->from_roots));
        struct step_dir *sd = &m->from_roots[m->n_from++];
        memset(sd, 0, sizeof(*sd));
        int r = step_dir_new(b, sd, err);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "stat");
        if (S_ISREG(st.st_mode)) {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                _cleanup_free_ char *copy = xasprintf("%s/file", sd->abs);
                _cleanup_close_ int in = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                _cleanup_close_ int out =
                        in < 0 ? -EBADF
                               : open(copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                      st.st_mode & 07777);
                if (in < 0 || out < 0 || (r = fs_copy_fd(in, out, NULL)) < 0)
                        return box_err_errno(err, r < 0 ? -r : errno, "copy");
                fchmod(out, st.st_mode & 07777);
                *ret_path = TAKE_PTR(copy);
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return box_err_set(err, EINVAL, "not a file or a directory");
        /* by the fd as lower (opened in this mount namespace), and by paths
         * relative to the store, as overlay_mount does */
        _cleanup_free_ char *o = xasprintf(
                "lowerdir=/proc/self/fd/%d,upperdir=%s/upper,workdir=%s/work,redirect_dir=off,"
                "index=off,metacopy=off",
                fd, sd->rel, sd->rel);
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (chdir(store_root(b->st)) < 0)
                r = box_err_errno(err, errno, "chdir to the store");
        else if (mount("overlay", sd->merged, "overlay", MS_NOSUID | MS_NODEV, o) < 0)
                r = box_err_errno(err, errno, "mount an overlay for a writable bind");
        else
                sd->mounted = true;
        if (cwd >= 0)
                fchdir(cwd);
        if (r < 0)
                return r;
        *ret_path = xstrdup(sd->merged);
        return 0;
}

/* RUN --mount=type=cache|bind|tmpfs|secret,... */
static int parse_run_mounts(struct stage_ctx *c, const struct dockerfile_instr *in,
                            struct run_mounts *m, struct box_err *err)
{
        struct builder *b = c->b;
        STRV_FOREACH (f, in->flags) {
                if (!startswith(*f, "--mount="))
                        continue;
                _cleanup_free_ char *spec = NULL;
                int r = expand(c, *f + 8, &spec, err);
                if (r < 0)
                        return r;
                const char *type = "bind", *target = NULL, *source = NULL, *id = NULL, *from = NULL,
                           *size = NULL, *envname = NULL;
                bool rw = false, required = false;
                _cleanup_strv_free_ char **kvs = xnew0(char *, 1);
                char *save = NULL;
                for (char *t = strtok_r(spec, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        kvs = strv_append(kvs, t);
                STRV_FOREACH (kv, kvs) {
                        char *eq = strchr(*kv, '=');
                        const char *v = eq ? eq + 1 : "true";
                        if (eq)
                                *eq = '\0';
                        if (streq(*kv, "type"))
                                type = v;
                        else if (streq(*kv, "target") || streq(*kv, "dst") ||
                                 streq(*kv, "destination"))
                                target = v;
                        else if (streq(*kv, "source") || streq(*kv, "src"))
                                source = v;
                        else if (streq(*kv, "id"))
                                id = v;
                        else if (streq(*kv, "from"))
                                from = v;
                        else if (streq(*kv, "size"))
                                size = v;
                        else if (streq(*kv, "rw") || streq(*kv, "readwrite"))
                                rw = !streq(v, "false");
                        else if (streq(*kv, "required"))
                                required = !streq(v, "false");
                        else if (streq(*kv, "env"))
                                envname = v;
                        else if (streq(*kv, "sharing") || streq(*kv, "mode") || streq(*kv, "uid") ||
                                 streq(*kv, "gid") || streq(*kv, "ro") || streq(*kv, "readonly"))
                                continue;
                        else
                                return box_err_set(err, EINVAL, "--mount: unknown option '%s'",
                                                   *kv);
                }
                struct run_mount rm = {0};
                if (streq(type, "secret")) {
                        if (!id && target)
                                id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                        if (!id)
                                return box_err_set(err, EINVAL, "--mount=type=secret needs an id");
                        const char *src = NULL;
                        for (size_t i = 0; i < b->o->n_secrets; i++)
                                if (streq(b->o->secrets[i].id, id))
                                        src = b->o->secrets[i].src;
                        if (!src) {
                                if (required)
                                        return box_err_set(err, ENOENT,
                                                           "secret '%s' not provided: use --secret "
                                                           "id=%s,src=FILE",
                                                           id, id);
                                continue;
                        }
                        if (envname) {
                                /* env=NAME: the secret's value in the step's environment,
                                 * and a file only when a target is named too */
                                _cleanup_free_ char *val = NULL;
                                size_t vlen = 0;
                                r = fs_read_input_at(AT_FDCWD, src, false, 1u << 20, &val, &vlen,
                                                     err);
                                if (r < 0)
                                        return box_err_prefix(err, "secret '%s'", id);
                                _cleanup_free_ char *e = xasprintf("%s=%s", envname, val);
                                m->env = strv_append(m->env, e);
                                if (!target)
                                        continue;
                        }
                        rm.type = RUN_MOUNT_BIND;
                        rm.source = own(m, xstrdup(src));
                        rm.target =
                                own(m, target ? xstrdup(target) : xasprintf("/run/secrets/%s", id));
                        rm.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
                } else if (streq(type, "cache")) {
                        if (!target)
                                return box_err_set(err, EINVAL,
                                                   "--mount=type=cache needs a target");
                        digest_str h;
                        const char *key = id ? id : target;
                        sha256_buf(key, strlen(key), h);
                        _cleanup_free_ char *rel = xasprintf("buildcache/mounts/%.32s", h + 7);
                        r = fs_mkdir_p_at(store_root_fd(b->st), rel, 0755, err);
                        if (r < 0)
                                return r;
                        rm.type = RUN_MOUNT_BIND;
                        rm.source = own(m, xasprintf("%s/%s", store_root(b->st), rel));
                        rm.target = own(m, xstrdup(target));
                } else if (streq(type, "tmpfs")) {
                        if (!target)
                                return box_err_set(err, EINVAL,
                                                   "--mount=type=tmpfs needs a target");
                        rm.type = RUN_MOUNT_TMPFS;
                        rm.target = own(m, xstrdup(target));
                        rm.data = size ? own(m, xasprintf("size=%s", size)) : NULL;
                } else if (streq(type, "bind")) {
                        if (!target)
                                return box_err_set(err, EINVAL, "--mount=type=bind needs a target");
                        int rootfd;
                        if (from) {
                                m->from_roots = xreallocarray(m->from_roots, m->n_from + 1,
                                                              sizeof(*m->from_roots));
                                struct step_dir *sd = &m->from_roots[m->n_from];
                                memset(sd, 0, sizeof(*sd));
                                m->n_from++;
                                r = open_named_dir(b, from, &rootfd, err);
                                if (r == 0)
                                        r = open_from_root(c, from, sd, &rootfd, err);
                                if (r < 0)
                                        return r;
                        } else {
                                if (b->context_fd < 0 || !b->o->context_dir)
                                        return box_err_set(
                                                err, EINVAL,
                                                "--mount=type=bind needs a build context");
                                rootfd = fcntl(b->context_fd, F_DUPFD_CLOEXEC, 3);
                        }
                        _cleanup_free_ char *clean = build_path_clean(source ? source : ".");
                        if (!from && (streq(clean, "..") || startswith(clean, "../"))) {
                                close(rootfd);
                                return box_err_set(
                                        err, EPERM,
                                        "--mount source '%s' is outside the build context", source);
                        }
                        /* resolve inside the root, then bind what was found */
                        const char *inner = clean[0] == '/' ? clean + 1 : clean;
                        int fd = *inner && !streq(inner, ".")
                                         ? openat_in_root(rootfd, inner, O_PATH, 0)
                                         : fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                        close(rootfd);
                        if (fd < 0)
                                return box_err_errno(err, errno, "--mount source '%s'",
                                                     strempty(source));
                        /* the sandbox has a mount namespace of its own, where an fd of
                         * ours cannot be bound: hand it the path the fd resolved to */
                        char link[64], path[4096];
                        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                        ssize_t pl = readlink(link, path, sizeof(path) - 1);
                        if (pl < 0) {
                                close(fd);
                                return box_err_errno(err, errno, "--mount source '%s'",
                                                     strempty(source));
                        }
                        path[pl] = '\0';
                        char *src_path = xstrdup(path);
                        if (rw) {
                                free(src_path);
                                src_path = NULL;
                                r = rw_scratch(b, m, fd, &src_path, err);
                        }
                        close(fd);
                        if (r < 0)
                                return box_err_prefix(err, "--mount source '%s'", strempty(source));
                        rm.type = RUN_MOUNT_BIND;
                        rm.source = own(m, src_path);
                        rm.target = own(m, xstrdup(target));
                        rm.flags = rw ? 0 : MS_RDONLY;
                } else {
                        return box_err_set(err, EINVAL, "--mount: unknown type '%s'", type);
                }
                m->v = xreallocarray(m->v, m->n + 1, sizeof(m->v[0]));
                m->v[m->n++] = rm;
                m->targets = strv_append(m->targets, rm.target);
        }
        return 0;
}

static int do_run(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *script = NULL;
        if (!in->json && in->n_heredocs > 0) {
                const char *cmd = in->args && in->args[0] ? in->args[0] : "";
                while (isspace((unsigned char)*cmd))
                        cmd++;
                bool only = startswith(cmd, "<<") && !strpbrk(cmd, " \t");
                struct buf s = {0};
                if (only) {
                        buf_puts(&s, in->heredocs[0].content);
                } else {
                        buf_puts(&s, cmd);
                        buf_putc(&s, '\n');
                        for (size_t h = 0; h < in->n_heredocs; h++)
                                buf_printf(&s, "%s%s\n", in->heredocs[h].content,
                                           in->heredocs[h].name);
                }
                script = buf_steal(&s);
                char **shell = c->cur.img.config.shell && c->cur.img.config.shell[0]
                                       ? strv_copy(c->cur.img.config.shell)
                                       : strv_append(strv_append(NULL, "/bin/sh"), "-c");
                argv = strv_append(shell, script);
        } else {
                argv = command_argv(c, in);
        }
        if (!argv[0])
                return box_err_set(err, EINVAL, "requires at least one argument");

        const char *net = flag_value(in, "network");
        if (!net)
                net = b->o->network ? b->o->network : "host";
        if (!streq(net, "host") && !streq(net, "none") && !streq(net, "default") &&
            !streq(net, "bridge"))
                return box_err_set(err, EINVAL, "invalid --network '%s'", net);

        struct run_mounts mounts = {0};
        int r = parse_run_mounts(c, in, &mounts, err);
        if (r < 0) {
                run_mounts_release(&mounts);
                return r;
        }
        _cleanup_strv_free_ char **env = xnew0(char *, 1);
        /* build args reach RUN as environment, image ENV wins */
        STRV_FOREACH (a, c->args)
                env = strv_env_set(env, *a);
        STRV_FOREACH (e, c->cur.img.config.env)
                env = strv_env_set(env, *e);
        if (strv_env_find(env, "PATH", 4) < 0)
                env = strv_append(env, DEFAULT_PATH);

        _cleanup_free_ char *cmdline = join(argv, " ");
        /* BuildKit: the stage's ARGs as "|N K=V ..." before the command, each
         * with its value as the step sees it (ENV wins) */
        struct buf argstr = {0};
        buf_puts(&argstr, "");
        if (c->arg_names && c->arg_names[0]) {
                buf_printf(&argstr, "|%zu", strv_length(c->arg_names));
                STRV_FOREACH (a, c->arg_names) {
                        size_t an = strlen(*a);
                        int ei = strv_env_find(c->cur.img.config.env, *a, an);
                        int ai = strv_env_find(c->args, *a, an);
                        const char *v = ei >= 0   ? strchr(c->cur.img.config.env[ei], '=')
                                        : ai >= 0 ? strchr(c->args[ai], '=')
                                                  : NULL;
                        buf_printf(&argstr, " %s=%s", *a, v ? v + 1 : "");
                }
                buf_putc(&argstr, ' ');
        }
        _cleanup_free_ char *created_by = xasprintf("RUN %s%s # buildkit", argstr.data, cmdline);
        buf_release(&argstr);
        _cleanup_free_ char *envs = join(env, "\n");
        _cleanup_free_ char *mflags = join(in->flags, " ");
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        _cleanup_free_ char *p_inst = xasprintf("instruction: RUN %s", cmdline);
        _cleanup_free_ char *p_env = xasprintf("environment and build args: %s", envs);
        _cleanup_free_ char *hj = join(b->o->add_hosts, " "), *dj = join(b->o->dns, " "),
                            *sj = join(b->o->dns_search, " "), *oj = join(b->o->dns_options, " ");
        struct buf sec = {0};
        buf_puts(&sec, "");
        for (size_t i = 0; i < b->o->n_rlimits; i++)
                buf_printf(&sec, " ulimit %d=%llu:%llu", b->o->rlimits[i].resource,
                           (unsigned long long)b->o->rlimits[i].lim.rlim_cur,
                           (unsigned long long)b->o->rlimits[i].lim.rlim_max);
        if (b->o->seccomp_unconfined || b->o->seccomp_profile || b->o->caps_add ||
            b->o->caps_drop) {
                digest_str ph;
                const char *prof = strempty(b->o->seccomp_profile);
                sha256_buf(prof, strlen(prof), ph);
                buf_printf(&sec, " seccomp %d %s caps +%llx -%llx", b->o->seccomp_unconfined, ph,
                           (unsigned long long)b->o->caps_add, (unsigned long long)b->o->caps_drop);
        }
        _cleanup_free_ char *secs = buf_steal(&sec);
        _cleanup_free_ char *p_flags = *hj || *dj || *sj || *oj || *secs
                                               ? xasprintf("flags: %s hosts: %s dns: %s %s %s%s",
                                                           mflags, hj, dj, sj, oj, secs)
                                               : xasprintf("flags: %s", mflags);
        _cleanup_free_ char *p_user =
                xasprintf("user/workdir: %s %s", strempty(c->cur.img.config.user),
                          strempty(c->cur.img.config.working_dir));
        char *parts[] = {p_parent, p_inst, p_env, p_flags, p_user, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        if (cache_lookup(c, key, created_by, parts)) {
                progress(b, "  CACHED\n");
                run_mounts_release(&mounts);
                return 0;
        }

        STRV_FOREACH (e, mounts.env)
                env = strv_env_set(env, *e);
        /* --build-arg http_proxy=... reaches RUN undeclared, as in Docker,
         * and stays out of the cache key: a proxy does not change a result */
        STRV_FOREACH (a, b->build_args) {
                size_t n = strcspn(*a, "=");
                _cleanup_free_ char *name = xstrndup(*a, n);
                if (build_arg_is_predefined(name) && strv_env_find(env, name, n) < 0)
                        env = strv_env_set(env, *a);
        }

        struct step_dir sd;
        r = step_dir_new(b, &sd, err);
        _cleanup_strv_free_ char **lowers = r >= 0 ? lowerdirs(b, &c->cur, &sd, err) : NULL;
        if (r >= 0 && !lowers)
                r = -err->code;
        _cleanup_free_ char *hosts = xasprintf("%s/hosts", sd.abs ? sd.abs : "/nonexistent");
        _cleanup_free_ char *hostname = xasprintf("%s/hostname", sd.abs ? sd.abs : "/nonexistent");
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", sd.abs ? sd.abs : "/nonexistent");
        if (r >= 0) {
                struct buf hosts_txt = {0};
                buf_puts(&hosts_txt, "127.0.0.1\tlocalhost buildkitsandbox\n"
                                     "::1\tlocalhost ip6-localhost ip6-loopback\n");
                /* --add-host NAME:IP */
                STRV_FOREACH (h, b->o->add_hosts) {
                        const char *colon = strchr(*h, ':');
                        if (colon)
                                buf_printf(&hosts_txt, "%s\t%.*s\n", colon + 1, (int)(colon - *h),
                                           *h);
                }
                _cleanup_free_ char *host_rc = NULL;
                if (fs_read_file_at(AT_FDCWD, "/etc/resolv.conf", 0, &host_rc, NULL, NULL) < 0)
                        host_rc = xstrdup("");
                /* --dns, --dns-search, --dns-option replace the host's lines of
                 * their kind */
                struct buf rcb = {0};
                buf_puts(&rcb, "");
                char *save = NULL;
                for (char *l = strtok_r(host_rc, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        if ((b->o->dns && b->o->dns[0] && startswith(l, "nameserver")) ||
                            (b->o->dns_search && b->o->dns_search[0] &&
                             (startswith(l, "search") || startswith(l, "domain"))) ||
                            (b->o->dns_options && b->o->dns_options[0] && startswith(l, "options")))
                                continue;
                        buf_printf(&rcb, "%s\n", l);
                }
                if (b->o->dns_search && b->o->dns_search[0]) {
                        _cleanup_free_ char *j = join(b->o->dns_search, " ");
                        buf_printf(&rcb, "search %s\n", j);
                }
                STRV_FOREACH (d, b->o->dns)
                        buf_printf(&rcb, "nameserver %s\n", *d);
                if (b->o->dns_options && b->o->dns_options[0]) {
                        _cleanup_free_ char *j = join(b->o->dns_options, " ");
                        buf_printf(&rcb, "options %s\n", j);
                }
                int w = fs_write_atomic_at(AT_FDCWD, hosts, hosts_txt.data, hosts_txt.len, 0644,
                                           err);
                buf_release(&hosts_txt);
                _cleanup_free_ char *rc = buf_steal(&rcb);
                size_t rlen = strlen(rc);
                if (w < 0 ||
                    fs_write_atomic_at(AT_FDCWD, hostname, "buildkitsandbox\n", 16, 0644, err) <
                            0 ||
                    fs_write_atomic_at(AT_FDCWD, resolv, rc, rlen, 0644, err) < 0)
                        r = -err->code;
        }
        int status = 0;
        if (r >= 0) {
                char id[65];
                digest_str rnd;
                char seed[64];
                snprintf(seed, sizeof(seed), "%d-%ld-%d", getpid(), random(), b->step);
                sha256_buf(seed, strlen(seed), rnd);
                snprintf(id, sizeof(id), "%s", rnd + 7);
                const char *cwd = c->cur.img.config.working_dir && *c->cur.img.config.working_dir
                                          ? c->cur.img.config.working_dir
                                          : "/";
                struct run_spec rs = {
                        .id = id,
                        .state_dir = sd.abs,
                        .base_dir = store_root(b->st),
                        .lowerdirs = lowers,
                        .hostname_file = hostname,
                        .hosts_file = hosts,
                        .resolv_file = resolv,
                        .mounts = mounts.v,
                        .n_mounts = mounts.n,
                        .argv = argv,
                        .env = env,
                        .user = strempty(c->cur.img.config.user),
                        .cwd = cwd,
                        .hostname = "buildkitsandbox",
                        .network = streq(net, "none") ? RUN_NETWORK_NONE : RUN_NETWORK_HOST,
                        .caps = (run_caps_default() | b->o->caps_add) & ~b->o->caps_drop,
                        .no_new_privs = b->o->no_new_privs,
                        .seccomp = b->o->seccomp_unconfined ? RUN_SECCOMP_UNCONFINED
                                   : b->o->seccomp_profile  ? RUN_SECCOMP_PROFILE
                                                            : RUN_SECCOMP_DEFAULT,
                        .seccomp_profile = b->o->seccomp_profile,
                        .rlimits = b->o->rlimits,
                        .n_rlimits = b->o->n_rlimits,
                };
                /* RUN output is progress: it goes where progress goes, never to stdout */
                struct build_log *log = NULL;
                r = build_log_start(b->out ? b->out : stderr,
                                    b->out ? b->o->progress : BUILD_PROGRESS_QUIET, &log, err);
                if (r >= 0) {
                        fflush(stdout);
                        fflush(stderr);
                        int saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
                        int saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                        dup2(build_log_fd(log), STDOUT_FILENO);
                        dup2(build_log_fd(log), STDERR_FILENO);
                        r = run_sandbox_run(&rs, &status, err);
                        dup2(saved_out, STDOUT_FILENO);
                        dup2(saved_err, STDERR_FILENO);
                        close(saved_out);
                        close(saved_err);
                        build_log_finish(log, r < 0 || status != 0);
                }
                _cleanup_free_ char *rootfs_dir = xasprintf("%s/rootfs", sd.abs);
                rmdir(rootfs_dir);
        }
        if (r >= 0 && status != 0) {
                r = box_err_set(err, ECANCELED, "'%s' returned a non-zero code: %d", cmdline,
                                status);
                err->exit_code = 1;
        }
        if (r >= 0) {
                static const char *const always[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf",
                                                     "proc",         "sys",       "dev",
                                                     "run/secrets",  NULL};
                prune_mount_points(b, &c->cur, &sd, (char *const *)always);
                prune_mount_points(b, &c->cur, &sd, mounts.targets);
                /* the run's own files in the step dir are not content */
                unlink(hosts);
                unlink(hostname);
                unlink(resolv);
                r = commit_step(c, &sd, key, created_by, err);
        }
        step_dir_free(&sd);
        run_mounts_release(&mounts);
        return r;
}

static int do_workdir(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        _cleanup_free_ char *w = NULL;
        int r = expand(c, in->args[0], &w, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *full =
                w[0] == '/' ? xstrdup(w)
                            : xasprintf("%s/%s", strempty(c->cur.img.config.working_dir), w);
        free(c->cur.img.config.working_dir);
        c->cur.img.config.working_dir = build_path_clean(full[0] == '/' ? full : full);
        if (c->cur.img.config.working_dir[0] != '/') {
                char *t = xasprintf("/%s", c->cur.img.config.working_dir);
                free(c->cur.img.config.working_dir);
                c->cur.img.config.working_dir = t;
        }
        _cleanup_free_ char *created_by = xasprintf("WORKDIR %s", c->cur.img.config.working_dir);
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        _cleanup_free_ char *p_inst = xasprintf("instruction: %s", created_by);
        _cleanup_free_ char *p_user = xasprintf("user: %s", strempty(c->cur.img.config.user));
        char *parts[] = {p_parent, p_inst, p_user, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        /* the directory is looked up in the merged view, inside the root: a
         * layer's own symlinks are the image's, never the host's */
        struct step_dir sd;
        r = step_dir_new(c->b, &sd, err);
        if (r >= 0)
                r = overlay_mount(c->b, &c->cur, &sd, true, err);
        _cleanup_close_ int root =
                r >= 0 ? open(sd.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (r >= 0 && root < 0)
                r = box_err_errno(err, errno, "open build root");
        if (r >= 0) {
                _cleanup_close_ int wd =
                        openat_in_root(root, c->cur.img.config.working_dir + 1, O_PATH, 0);
                bool done = wd >= 0;
                if (done) {
                        add_history(&c->cur, created_by, true);
                } else if (cache_lookup(c, key, created_by, parts)) {
                        progress(c->b, "  CACHED\n");
                        done = true;
                }
                if (done) {
                        close(TAKE_FD(root));
                        step_dir_free(&sd);
                        return 0;
                }
        }
        if (r >= 0) {
                struct copy_opts o = {.chmod = -1};
                /* as BuildKit: the directories WORKDIR creates belong to USER */
                const char *user = c->cur.img.config.user;
                /* a user the image does not know: root, as BuildKit's mkdir */
                if (user && *user && resolve_owner(root, user, "user ", &o, NULL) < 0)
                        o.has_chown = false;
                if (r >= 0)
                        r = build_copy_heredoc("", "/.box-workdir-probe", root, &o,
                                               err); /* ensures root is writable */
                if (r >= 0) {
                        unlinkat(root, ".box-workdir-probe", 0);
                        _cleanup_free_ char *p = xasprintf("%s/", c->cur.img.config.working_dir);
                        _cleanup_free_ char *probe = xasprintf("%s.box-probe", p);
                        r = build_copy_heredoc("", probe, root, &o, err);
                        if (r >= 0) {
                                _cleanup_close_ int wd =
                                        openat_in_root(root, c->cur.img.config.working_dir + 1,
                                                       O_RDONLY | O_DIRECTORY, 0);
                                if (wd >= 0)
                                        unlinkat(wd, ".box-probe", 0);
                        }
                }
        }
        if (root >= 0)
                close(TAKE_FD(root));
        if (r >= 0)
                r = commit_step(c, &sd, key, created_by, err);
        step_dir_free(&sd);
        return r;
}

static int do_arg(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        struct buf hist = {0};
        buf_puts(&hist, "ARG");
        STRV_FOREACH (a, in->args) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *name = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                _cleanup_free_ char *value = NULL;
                int have = 0;
                int i = strv_env_find(b->build_args, name, strlen(name));
                if (i >= 0) {
                        const char *v = strchr(b->build_args[i], '=');
                        value = xstrdup(v ? v + 1 : "");
                        have = 1;
                        if (!strv_contains(b->used_args, name))
                                b->used_args = strv_append(b->used_args, name);
                } else if (eq) {
                        int r = expand(c, eq + 1, &value, err);
                        if (r < 0) {
                                buf_release(&hist);
                                return r;
                        }
                        have = 1;
                } else {
                        int g = strv_env_find(b->global_args, name, strlen(name));
                        if (g >= 0 && strchr(b->global_args[g], '=')) {
                                value = xstrdup(strchr(b->global_args[g], '=') + 1);
                                have = 1;
                        }
                }
                _cleanup_free_ char *entry = have ? xasprintf("%s=%s", name, value) : xstrdup(name);
                if (have)
                        c->args = strv_env_set(c->args, entry);
                if (!strv_contains(c->arg_names, name))
                        c->arg_names = strv_append(c->arg_names, name);
                buf_printf(&hist, " %s", entry);
        }
        /* one history entry per instruction, as BuildKit writes it */
        add_history(&c->cur, hist.data, true);
        build_chain_next(c->cur.chain, hist.data);
        buf_release(&hist);
        return 0;
}

static int do_healthcheck(struct stage_ctx *c, const struct dockerfile_instr *in,
                          struct box_err *err)
{
        struct oci_container_config *cc = &c->cur.img.config;
        if (cc->healthcheck) {
                strv_free(cc->healthcheck->test);
                free(cc->healthcheck);
                cc->healthcheck = NULL;
        }
        struct oci_healthcheck *h = xnew0(struct oci_healthcheck, 1);
        cc->healthcheck = h;
        const char *kind = in->args && in->args[0] ? in->args[0] : "NONE";
        if (strcasecmp(kind, "NONE") == 0) {
                h->test = strv_append(NULL, "NONE");
        } else {
                if (in->json) {
                        h->test = strv_append(NULL, "CMD");
                        for (size_t i = 1; in->args[i]; i++)
                                h->test = strv_append(h->test, in->args[i]);
                } else {
                        h->test = strv_append(NULL, "CMD-SHELL");
                        h->test = strv_append(h->test, in->args[1] ? in->args[1] : "");
                }
                static const char *const durs[] = {"interval", "timeout", "start-period",
                                                   "start-interval"};
                int64_t *fields[] = {&h->interval, &h->timeout, &h->start_period,
                                     &h->start_interval};
                for (size_t i = 0; i < ARRAY_SIZE(durs); i++) {
                        const char *v = flag_value(in, durs[i]);
                        if (v && build_parse_duration(v, fields[i]) < 0)
                                return box_err_set(err, EINVAL, "invalid --%s '%s'", durs[i], v);
                }
                const char *rv = flag_value(in, "retries");
                if (rv)
                        h->retries = (int)strtol(rv, NULL, 10);
        }
        /* BuildKit: "HEALTHCHECK %+v" of the config struct */
        _cleanup_free_ char *t = go_strv(h->test, false);
        struct buf hb = {0};
        buf_printf(&hb, "HEALTHCHECK {Test:%s Interval:", t);
        go_duration(&hb, h->interval);
        buf_puts(&hb, " Timeout:");
        go_duration(&hb, h->timeout);
        buf_puts(&hb, " StartPeriod:");
        go_duration(&hb, h->start_period);
        buf_puts(&hb, " StartInterval:");
        go_duration(&hb, h->start_interval);
        buf_printf(&hb, " Retries:%d}", h->retries);
        add_history(&c->cur, hb.data, true);
        build_chain_next(c->cur.chain, hb.data);
        buf_release(&hb);
        return 0;
}

static int dispatch(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err);

static int run_triggers(struct stage_ctx *c, char **triggers, struct box_err *err)
{
        STRV_FOREACH (t, triggers) {
                struct dockerfile *df = NULL;
                int r = build_dockerfile_parse("ONBUILD", *t, strlen(*t), &df, err);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < df->n_instrs && r >= 0; i++) {
                        progress(c->b, "  ONBUILD %s\n", df->instrs[i].original);
                        r = dispatch(c, &df->instrs[i], err);
                }
                build_dockerfile_free(df);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dispatch(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct oci_container_config *cc = &c->cur.img.config;
        const char *n = in->name;
        int r = 0;
        if (streq(n, "run"))
                return do_run(c, in, err);
        if (streq(n, "copy") || streq(n, "add"))
                return do_copy(c, in, streq(n, "add"), err);
        if (streq(n, "workdir"))
                return do_workdir(c, in, err);
        if (streq(n, "env"))
                return do_env(c, in, false, err);
        if (streq(n, "label"))
                return do_env(c, in, true, err);
        if (streq(n, "arg"))
                return do_arg(c, in, err);
        if (streq(n, "healthcheck"))
                return do_healthcheck(c, in, err);

        _cleanup_free_ char *hist = NULL;
        if (streq(n, "cmd") || streq(n, "entrypoint")) {
                char **v = command_argv(c, in);
                _cleanup_free_ char *j = go_strv(v, true);
                if (!v[0]) { /* "[]" clears it: the config omits an empty list */
                        strv_free(v);
                        v = NULL;
                }
                if (streq(n, "cmd")) {
                        strv_free(cc->cmd);
                        cc->cmd = v;
                        c->cur.cmd_set = true;
                        hist = xasprintf("CMD %s", j);
                } else {
                        strv_free(cc->entrypoint);
                        cc->entrypoint = v;
                        if (!c->cur.cmd_set) {
                                strv_free(cc->cmd);
                                cc->cmd = NULL;
                        }
                        hist = xasprintf("ENTRYPOINT %s", j);
                }
        } else if (streq(n, "shell")) {
                strv_free(cc->shell);
                cc->shell = strv_copy(in->args);
                _cleanup_free_ char *j = go_strv(cc->shell, false);
                hist = xasprintf("SHELL %s", j);
        } else if (streq(n, "user") || streq(n, "stopsignal")) {
                char *v = NULL;
                r = expand(c, in->args[0], &v, err);
                if (r < 0)
                        return r;
                char **field = streq(n, "user") ? &cc->user : &cc->stop_signal;
                free(*field);
                *field = v;
                hist = xasprintf("%s %s", streq(n, "user") ? "USER" : "STOPSIGNAL", v);
        } else if (streq(n, "expose")) {
                struct buf h = {0};
                buf_puts(&h, "EXPOSE [");
                STRV_FOREACH (a, in->args) {
                        _cleanup_free_ char *v = NULL;
                        r = expand(c, *a, &v, err);
                        if (r < 0) {
                                buf_release(&h);
                                return r;
                        }
                        char *proto = strchr(v, '/');
                        const char *pr = proto ? proto + 1 : "tcp";
                        if (proto)
                                *proto = '\0';
                        char *dash = strchr(v, '-');
                        long lo = strtol(v, NULL, 10), hi = dash ? strtol(dash + 1, NULL, 10) : lo;
                        if (lo < 1 || hi > 65535 || hi < lo) {
                                buf_release(&h);
                                return box_err_set(err, EINVAL, "invalid port '%s'", *a);
                        }
                        /* the ports of this protocol already there, as a bitmap: a
                         * range of 65535 is not 65535 scans of the list */
                        _cleanup_free_ unsigned char *seen = xzalloc(65536 / 8);
                        size_t n_ports = 0;
                        for (; cc->exposed_ports && cc->exposed_ports[n_ports]; n_ports++) {
                                const char *e = cc->exposed_ports[n_ports], *sl = strchr(e, '/');
                                long q = strtol(e, NULL, 10);
                                if (sl && streq(sl + 1, pr) && q >= 1 && q <= 65535)
                                        seen[q / 8] |= (unsigned char)(1u << (q % 8));
                        }
                        if (!cc->exposed_ports)
                                cc->exposed_ports = xnew0(char *, 1);
                        for (long p = lo; p <= hi; p++) {
                                char *port = xasprintf("%ld/%s", p, pr);
                                buf_printf(&h, "%s%s", h.len > 8 ? " " : "", port);
                                if (seen[p / 8] & (1u << (p % 8))) {
                                        free(port);
                                        continue;
                                }
                                seen[p / 8] |= (unsigned char)(1u << (p % 8));
                                cc->exposed_ports =
                                        strv_push_at(cc->exposed_ports, n_ports++, port);
                        }
                }
                buf_putc(&h, ']');
                hist = buf_steal(&h);
        } else if (streq(n, "volume")) {
                struct buf h = {0};
                buf_puts(&h, "VOLUME [");
                STRV_FOREACH (a, in->args) {
                        _cleanup_free_ char *v = NULL;
                        r = expand(c, *a, &v, err);
                        if (r < 0) {
                                buf_release(&h);
                                return r;
                        }
                        if (!*v)
                                continue;
                        if (!strv_contains(cc->volumes, v))
                                cc->volumes = strv_append(cc->volumes, v);
                        buf_printf(&h, "%s%s", h.len > 8 ? " " : "", v);
                }
                buf_putc(&h, ']');
                hist = buf_steal(&h);
        } else if (streq(n, "maintainer")) {
                free(c->cur.img.author);
                c->cur.img.author = xstrdup(in->args && in->args[0] ? in->args[0] : "");
                hist = xasprintf("MAINTAINER %s", c->cur.img.author);
        } else if (streq(n, "onbuild")) {
                const char *o = in->original;
                while (isspace((unsigned char)*o))
                        o++;
                o += strcspn(o, " \t");
                while (isspace((unsigned char)*o))
                        o++;
                cc->on_build = strv_append(cc->on_build, o);
                /* BuildKit records no history entry for ONBUILD */
                _cleanup_free_ char *key = xasprintf("ONBUILD %s", o);
                build_chain_next(c->cur.chain, key);
                return 0;
        } else if (streq(n, "from")) {
                return box_err_set(err, EINVAL, "unexpected FROM");
        } else {
                return box_err_set(err, EINVAL, "unknown instruction '%s'", in->cmd);
        }
        add_history(&c->cur, hist, true);
        build_chain_next(c->cur.chain, hist);
        return 0;
}

/* ---- stages ---- */

static int stage_from(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        _cleanup_free_ char *base = NULL;
        _cleanup_strv_free_ char **env = strv_copy(b->global_args);
        struct shell_env e = SHELL_ENV_STRV(env);
        int r = build_shell_expand_word(in->args[0], b->df->escape_token, 0, &e, &base, NULL, NULL,
                                        err);
        if (r < 0)
                return r;
        if (!*base)
                return box_err_set(err, EINVAL, "base name '%s' expands to nothing", in->args[0]);
        const char *platform = flag_value(in, "platform");
        if (platform && !startswith(platform, "linux") && !startswith(platform, "$"))
                return box_err_set(err, EINVAL, "unsupported platform '%s'", platform);

        /* --build-context NAME=docker-image://REF replaces an image or stage */
        const char *alias = named_context(b, base);
        if (alias && startswith(alias, "docker-image://")) {
                char *t = xstrdup(alias + strlen("docker-image://"));
                free(base);
                base = t;
        } else if (alias) {
                return box_err_set(err, ENOTSUP,
                                   "build context '%s': FROM needs a docker-image:// context",
                                   base);
        }
        struct stage *dep = alias ? NULL : find_stage(b, base, (size_t)(c->s - b->stages));
        if (dep && dep->name && strcasecmp(dep->name, base) == 0) {
                r = stage_result(b, dep, err);
                if (r < 0)
                        return r;
                image_state_copy(&c->cur, &dep->res);
                /* ONBUILD triggers of a stage neither run nor carry over (BuildKit) */
                strv_free(c->cur.img.config.on_build);
                c->cur.img.config.on_build = NULL;
                /* the stage's ARGs stay in scope (BuildKit keeps the state's env) */
                strv_free(c->args);
                c->args = strv_copy(dep->args ? dep->args : (char *[]){NULL});
                c->arg_names = strv_copy(dep->arg_names ? dep->arg_names : (char *[]){NULL});
        } else if (strcasecmp(base, "scratch") == 0) {
                c->cur.img.os = xstrdup("linux");
                c->cur.img.architecture = xstrdup(b->arch);
                c->cur.img.diff_ids = xnew0(char *, 1);
                sha256_buf("scratch", 7, c->cur.chain);
        } else {
                struct store_image_handle h;
                if (b->o->pull == BUILD_PULL_ALWAYS)
                        return box_err_set(
                                err, ENOTSUP,
                                "--pull=always: pulling '%s' from a registry is not supported yet",
                                base);
                r = store_image_resolve(b->st, base, &h, err);
                if (r < 0) {
                        if (r == -ENOENT)
                                return box_err_set(
                                        err, ENOENT,
                                        "base image '%s' is not in the store: get it with "
                                        "'box load -i FILE', 'box pull URL' or 'box import'",
                                        base);
                        return r;
                }
                r = oci_image_parse(h.config_json, h.config_len, &c->cur.img, err);
                if (r >= 0) {
                        c->cur.layers = xnew0(struct oci_descriptor, h.m.n_layers);
                        for (size_t i = 0; i < h.m.n_layers; i++)
                                oci_descriptor_copy(&c->cur.layers[i], &h.m.layers[i]);
                        c->cur.n_layers = h.m.n_layers;
                        memcpy(c->cur.chain, h.id, sizeof(digest_str));
                        c->cur.last_created =
                                c->cur.img.created ? xstrdup(c->cur.img.created) : NULL;
                }
                store_image_handle_release(&h);
                if (r < 0)
                        return r;
                if (strv_length(c->cur.img.diff_ids) != c->cur.n_layers)
                        return box_err_set(
                                err, EINVAL,
                                "base image '%s': config and manifest disagree on layers", base);
        }
        if (!c->cur.img.config.env)
                c->cur.img.config.env = xnew0(char *, 1);
        if (strv_env_find(c->cur.img.config.env, "PATH", 4) < 0)
                c->cur.img.config.env = strv_append(c->cur.img.config.env, DEFAULT_PATH);
        c->cur.cmd_set = false;
        return 0;
}

static int build_stage(struct builder *b, struct stage *s, struct box_err *err)
{
        struct stage_ctx c = {.b = b, .s = s, .args = xnew0(char *, 1)};
        int r = 0;
        for (size_t i = s->first; i < s->end && r >= 0; i++) {
                const struct dockerfile_instr *in = &b->df->instrs[i];
                b->step++;
                double t0 = mono();
                progress(b, "[%d/%d] %s\n", b->step, b->n_steps, in->original);
                if (i == s->first) {
                        r = stage_from(&c, in, err);
                        if (r >= 0 && c.cur.img.config.on_build && c.cur.img.config.on_build[0]) {
                                char **triggers = c.cur.img.config.on_build;
                                c.cur.img.config.on_build = NULL;
                                r = run_triggers(&c, triggers, err);
                                strv_free(triggers);
                        }
                } else {
                        b->last_cached = false;
                        r = dispatch(&c, in, err);
                        if (r >= 0 && !b->last_cached &&
                            (streq(in->name, "run") || streq(in->name, "copy") ||
                             streq(in->name, "add")))
                                progress(b, "  DONE %.2fs\n", mono() - t0);
                }
                if (r < 0)
                        fail_at(&c, in, err);
        }
        if (r < 0) {
                strv_free(c.args);
                strv_free(c.arg_names);
                image_state_release(&c.cur);
                return r;
        }
        s->args = c.args;
        s->arg_names = c.arg_names;
        s->res = c.cur;
        s->built = true;
        return 0;
}

static void mark_needed(struct builder *b, size_t idx)
{
        struct stage *s = &b->stages[idx];
        if (s->needed)
                return;
        s->needed = true;
        for (size_t i = s->first; i < s->end; i++) {
                const struct dockerfile_instr *in = &b->df->instrs[i];
                const char *dep = NULL;
                if (i == s->first && in->args && in->args[0])
                        dep = in->args[0];
                else if (streq(in->name, "copy") || streq(in->name, "add"))
                        dep = flag_value(in, "from");
                else if (streq(in->name, "run"))
                        STRV_FOREACH (f, in->flags) {
                                const char *fr =
                                        startswith(*f, "--mount=") ? strstr(*f, "from=") : NULL;
                                if (!fr || (fr[-1] != ',' && fr[-1] != '='))
                                        continue;
                                _cleanup_free_ char *name = xstrndup(fr + 5, strcspn(fr + 5, ","));
                                struct stage *d = find_stage(b, name, idx);
                                if (d)
                                        mark_needed(b, (size_t)(d - b->stages));
                        }
                if (!dep)
                        continue;
                struct stage *d = find_stage(b, dep, idx);
                if (d && (i != s->first || (d->name && strcasecmp(d->name, dep) == 0)))
                        mark_needed(b, (size_t)(d - b->stages));
        }
}

static int resolve_build_args(struct builder *b, struct box_err *err)
{
        b->build_args = xnew0(char *, 1);
        STRV_FOREACH (a, b->o->build_args) {
                if (strchr(*a, '=')) {
                        b->build_args = strv_env_set(b->build_args, *a);
                } else {
                        const char *v = getenv(*a);
                        if (!v)
                                continue; /* Docker: an unset name is ignored */
                        _cleanup_free_ char *e = xasprintf("%s=%s", *a, v);
                        b->build_args = strv_env_set(b->build_args, e);
                }
        }
        (void)err;
        return 0;
}

static int split_stages(struct builder *b, struct box_err *err)
{
        b->global_args = xnew0(char *, 1);
        /* automatic platform args, then the ARGs before the first FROM */
        _cleanup_free_ char *tp = xasprintf("TARGETPLATFORM=linux/%s", b->arch);
        _cleanup_free_ char *ta = xasprintf("TARGETARCH=%s", b->arch);
        _cleanup_free_ char *bp = xasprintf("BUILDPLATFORM=linux/%s", b->arch);
        _cleanup_free_ char *ba = xasprintf("BUILDARCH=%s", b->arch);
        const char *autos[] = {tp, "TARGETOS=linux", ta, "TARGETVARIANT=",
                               bp, "BUILDOS=linux",  ba, "BUILDVARIANT="};
        for (size_t i = 0; i < ARRAY_SIZE(autos); i++)
                b->global_args = strv_append(b->global_args, autos[i]);
        size_t i = 0;
        for (; i < b->df->n_instrs && !streq(b->df->instrs[i].name, "from"); i++) {
                const struct dockerfile_instr *in = &b->df->instrs[i];
                if (!streq(in->name, "arg"))
                        return box_err_set(err, EINVAL, "%s:%d: no FROM before %s", b->dfname,
                                           in->start_line, in->cmd);
                STRV_FOREACH (a, in->args) {
                        const char *eq = strchr(*a, '=');
                        _cleanup_free_ char *name =
                                eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                        int bi = strv_env_find(b->build_args, name, strlen(name));
                        _cleanup_free_ char *val = NULL;
                        if (bi >= 0) {
                                val = xstrdup(b->build_args[bi]);
                                if (!strv_contains(b->used_args, name))
                                        b->used_args = strv_append(b->used_args, name);
                        } else if (eq) {
                                _cleanup_free_ char *x = NULL;
                                struct shell_env e = SHELL_ENV_STRV(b->global_args);
                                int r = build_shell_expand_word(eq + 1, b->df->escape_token, 0, &e,
                                                                &x, NULL, NULL, err);
                                if (r < 0)
                                        return box_err_prefix(err, "%s:%d: ARG", b->dfname,
                                                              in->start_line);
                                val = xasprintf("%s=%s", name, x);
                        } else {
                                val = xstrdup(name);
                        }
                        b->global_args = strv_env_set(b->global_args, val);
                }
        }
        if (i == b->df->n_instrs)
                return box_err_set(err, EINVAL, "%s: no FROM instruction", b->dfname);
        for (; i < b->df->n_instrs; i++) {
                const struct dockerfile_instr *in = &b->df->instrs[i];
                if (!streq(in->name, "from"))
                        continue;
                b->stages = xreallocarray(b->stages, b->n_stages + 1, sizeof(*b->stages));
                struct stage *s = &b->stages[b->n_stages++];
                memset(s, 0, sizeof(*s));
                s->first = i;
                size_t na = strv_length(in->args);
                if (na == 3 && strcasecmp(in->args[1], "as") == 0)
                        s->name = xstrdup(in->args[2]);
                else if (na != 1)
                        return box_err_set(err, EINVAL,
                                           "%s:%d: FROM requires either one or three arguments",
                                           b->dfname, in->start_line);
        }
        for (size_t k = 0; k < b->n_stages; k++)
                b->stages[k].end = k + 1 < b->n_stages ? b->stages[k + 1].first : b->df->n_instrs;
        b->names_ok = hcreate_r(2 * b->n_stages + 16, &b->names) != 0;
        b->name_keys = xnew0(char *, b->n_stages + 1);
        for (size_t k = 0, n = 0; b->names_ok && k < b->n_stages; k++) {
                if (!b->stages[k].name)
                        continue;
                char *key = xstrdup(b->stages[k].name);
                for (char *p = key; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                b->name_keys[n++] = key;
                ENTRY e = {.key = key, .data = (void *)(uintptr_t)(k + 1)}, *added;
                hsearch_r(e, ENTER, &added, &b->names); /* an earlier one stays */
        }
        return 0;
}

/* One ignore file: 1 read, 0 absent, <0 unreadable (a FIFO, a directory:
 * refused rather than building with nothing ignored). */
static int read_ignore_at(int dirfd, const char *name, bool in_root, char **ret, size_t *ret_len,
                          struct box_err *err)
{
        int r = fs_read_input_at(dirfd, name, in_root, 16u << 20, ret, ret_len, err);
        if (r == -ENOENT) {
                box_err_clear(err);
                return 0;
        }
        return r < 0 ? r : 1;
}

/* --ignorefile, then the Dockerfile's own <Dockerfile>.dockerignore (or
 * .containerignore), then the context's .containerignore (podman) or
 * .dockerignore.  What lies in the context is read inside it: a symlink
 * there cannot pull in a host file. */
static int read_ignore_file(struct builder *b, char **ret, size_t *ret_len, struct box_err *err)
{
        const struct build_opts *o = b->o;
        int r;
        if (o->ignorefile) {
                r = fs_read_input_at(AT_FDCWD, o->ignorefile, false, 16u << 20, ret, ret_len, err);
                return r < 0 ? box_err_prefix(err, "--ignorefile") : 0;
        }
        if (o->dockerfile_path) {
                /* a Dockerfile inside the context: its ignore file is the context's */
                size_t cl = strlen(o->context_dir);
                bool inside = strneq(o->dockerfile_path, o->context_dir, cl) &&
                              o->dockerfile_path[cl] == '/';
                const char *rel = inside ? o->dockerfile_path + cl + 1 : o->dockerfile_path;
                static const char *const suffixes[] = {".dockerignore", ".containerignore"};
                for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
                        _cleanup_free_ char *name = xasprintf("%s%s", rel, suffixes[i]);
                        r = read_ignore_at(inside ? b->context_fd : AT_FDCWD, name, inside, ret,
                                           ret_len, err);
                        if (r != 0)
                                return r < 0 ? box_err_prefix(err, "ignore file") : 0;
                }
        }
        static const char *const names[] = {".containerignore", ".dockerignore"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                r = read_ignore_at(b->context_fd, names[i], true, ret, ret_len, err);
                if (r != 0)
                        return r < 0 ? box_err_prefix(err, "ignore file") : 0;
        }
        return 0;
}

int build_image(struct store *st, const struct build_opts *o, digest_str ret_id,
                struct box_err *err)
{
        struct builder b = {.st = st, .o = o, .context_fd = -EBADF, .out = o->out};
        b.dfname = o->dockerfile_name ? o->dockerfile_name : "Dockerfile";
        b.plain = o->progress == BUILD_PROGRESS_PLAIN;
        if (o->progress == BUILD_PROGRESS_QUIET)
                b.out = NULL;
        int r;

        r = build_dockerfile_parse(b.dfname, o->dockerfile_data, o->dockerfile_len, &b.df, err);
        if (r < 0)
                return r;
        b.used_args = xnew0(char *, 1);
        _cleanup_strv_free_ char **warnings = NULL;
        r = build_dockerfile_check(b.dfname, b.df, o->build_args, &warnings, err);
        if (r < 0)
                goto out;
        b.arch = xstrdup(oci_host_arch());
        r = resolve_build_args(&b, err);
        if (r >= 0)
                r = split_stages(&b, err);
        if (r < 0)
                goto out;

        size_t target = b.n_stages - 1;
        if (o->target) {
                struct stage *t = NULL;
                for (size_t i = 0; i < b.n_stages; i++)
                        if (b.stages[i].name && strcasecmp(b.stages[i].name, o->target) == 0)
                                t = &b.stages[i];
                if (!t) {
                        r = box_err_set(err, ENOENT, "target stage '%s' could not be found",
                                        o->target);
                        goto out;
                }
                target = (size_t)(t - b.stages);
        }
        mark_needed(&b, target);
        for (size_t i = 0; i < b.n_stages; i++)
                if (b.stages[i].needed)
                        b.n_steps += (int)(b.stages[i].end - b.stages[i].first);

        /* every mount of this build lives and dies with this process; and
         * fds for bind mounts must be opened inside the new namespace */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                r = box_err_errno(err, errno, "create a mount namespace for the build");
                goto out;
        }
        if (o->context_dir) {
                b.context_fd = open(o->context_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (b.context_fd < 0) {
                        r = box_err_errno(err, errno, "open build context '%s'", o->context_dir);
                        goto out;
                }
                _cleanup_free_ char *ign = NULL;
                size_t ilen = 0;
                r = read_ignore_file(&b, &ign, &ilen, err);
                if (r < 0)
                        goto out;
                if (ign) {
                        _cleanup_strv_free_ char **pats = NULL;
                        r = build_dockerignore_read(ign, ilen, &pats, err);
                        if (r >= 0)
                                r = build_dockerignore_new(pats, &b.ignore, err);
                        if (r < 0) {
                                box_err_prefix(err, ".dockerignore");
                                goto out;
                        }
                }
        }
        stat_cache_open(st, &b.sc);

        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r < 0)
                goto out;

        for (size_t i = 0; i <= target && r >= 0; i++)
                if (b.stages[i].needed && !b.stages[i].built)
                        r = build_stage(&b, &b.stages[i], err);
        if (r < 0)
                goto out;

        STRV_FOREACH (a, b.build_args) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *name = xstrndup(*a, eq ? (size_t)(eq - *a) : strlen(*a));
                bool proxy = startswith(name, "BUILDKIT_") || streq(name, "SOURCE_DATE_EPOCH") ||
                             build_arg_is_predefined(name);
                if (!proxy && !strv_contains(b.used_args, name) && b.out)
                        progress(&b, "[warning] build arg '%s' was not consumed by any ARG\n",
                                 name);
        }

        struct image_state *res = &b.stages[target].res;
        STRV_FOREACH (l, o->labels) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = xstrndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
                res->img.config.labels = oci_kv_set(res->img.config.labels, k, eq ? eq + 1 : "");
        }
        free(res->img.created);
        res->img.created = res->last_created ? xstrdup(res->last_created) : now_created();
        if (!res->img.os)
                res->img.os = xstrdup("linux");
        if (!res->img.architecture)
                res->img.architecture = xstrdup(b.arch);
        r = store_image_commit(st, &res->img, res->layers, res->n_layers, o->tags, ret_id, err);
        if (r >= 0) {
                /* the closing lines podman prints (and scripts look for) */
                progress(&b, "COMMIT%s%s\n", o->tags && o->tags[0] ? " " : "",
                         o->tags && o->tags[0] ? o->tags[0] : "");
                STRV_FOREACH (t, o->tags)
                        progress(&b, "Successfully tagged %s\n", *t);
        }
out:
        for (size_t i = 0; i < b.n_stages; i++) {
                free(b.stages[i].name);
                strv_free(b.stages[i].args);
                strv_free(b.stages[i].arg_names);
                image_state_release(&b.stages[i].res);
        }
        free(b.stages);
        if (b.names_ok)
                hdestroy_r(&b.names);
        strv_free(b.name_keys);
        stat_cache_close(b.sc, st);
        build_dockerignore_free(b.ignore);
        if (b.context_fd >= 0)
                close(b.context_fd);
        strv_free(b.build_args);
        strv_free(b.used_args);
        strv_free(b.global_args);
        free(b.arch);
        build_dockerfile_free(b.df);
        return r;
}

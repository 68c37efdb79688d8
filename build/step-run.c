/* RUN: its --mount flags (bind, cache, tmpfs, secret, ssh), the command
 * and its environment, and the sandbox it runs in. */
#include <ctype.h>
#include <limits.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mount.h>

#include "build/build-internal.h"
#include "lib/log.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/utf8.h"
#include "run/network.h"
#include "run/run.h"

struct run_mounts {
        struct run_mount *v;
        size_t n;
        char **targets;
        char **owned;                /* strings the mounts point into */
        struct step_dir *from_roots; /* read-only roots of from= stages */
        size_t n_from;
        char **env;      /* "K=V" of secrets with env=, SSH_AUTH_SOCK: never in the cache key */
        size_t n_ssh;    /* type=ssh mounts so far: their default targets' numbers */
        char **copies;   /* on the build's tmpfs: secrets' copies and the ssh relays'
                          * sockets, removed after the step */
        pid_t relays[8]; /* type=ssh: the agents' relays (build/ssh-proxy.c) */
        struct buf key;  /* what the bind mounts show: part of the cache key */
        struct cache_use *caches; /* type=cache: locked or private, held while the step runs */
        size_t n_caches;
};

/* A cache mount's sharing= (BuildKit's): shared by steps that run at once
 * (the default), locked (one step at a time: a second waits), private (a
 * second gets a new directory of its own, thrown away).  Other box builds
 * on the store are the steps that may run at once: the lock is flock(2) on
 * the cache directory, taken once the step is known not to be cached. */
enum cache_sharing { CACHE_SHARED, CACHE_LOCKED, CACHE_PRIVATE };

struct cache_use {
        size_t mount;               /* its index in run_mounts.v */
        enum cache_sharing sharing; /* CACHE_LOCKED or CACHE_PRIVATE */
        int fd;                     /* the cache directory, flock'd when the step runs */
};

static void run_mounts_release(struct run_mounts *m)
{
        for (size_t i = 0; i < m->n_from; i++)
                step_dir_free(&m->from_roots[i]);
        for (size_t i = 0; i < ARRAY_SIZE(m->relays); i++)
                build_ssh_proxy_stop(m->relays[i]);
        for (size_t i = 0; i < m->n_caches; i++)
                close(m->caches[i].fd);
        free(m->caches);
        STRV_FOREACH (p, m->copies)
                (void)unlink(*p);
        strv_free(m->copies);
        free(m->from_roots);
        free(m->v);
        strv_free(m->env);
        strv_free(m->targets);
        strv_free(m->owned);
        buf_release(&m->key);
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
                "index=off,metacopy=off,volatile", /* thrown away: never synced */
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

/* One RUN --mount=KEY=VALUE,...; strings point into the flag's copy. */
struct mount_spec {
        const char *type, *target, *source, *id, *from, *size, *envname, *sharing;
        const char *uid, *gid, *mode; /* secret and cache: the file's or directory's */
        bool rw, required;
};

/* The keys of --mount (BuildKit's), and which field each sets; a key
 * without "=VALUE" is "true". */
static const struct {
        const char *name;
        enum { KEY_STRING, KEY_BOOL, KEY_IGNORED } kind;
        size_t offset;
} mount_keys[] = {
        {"type", KEY_STRING, offsetof(struct mount_spec, type)},
        {"target", KEY_STRING, offsetof(struct mount_spec, target)},
        {"dst", KEY_STRING, offsetof(struct mount_spec, target)},
        {"destination", KEY_STRING, offsetof(struct mount_spec, target)},
        {"source", KEY_STRING, offsetof(struct mount_spec, source)},
        {"src", KEY_STRING, offsetof(struct mount_spec, source)},
        {"id", KEY_STRING, offsetof(struct mount_spec, id)},
        {"from", KEY_STRING, offsetof(struct mount_spec, from)},
        {"size", KEY_STRING, offsetof(struct mount_spec, size)},
        {"env", KEY_STRING, offsetof(struct mount_spec, envname)},
        {"rw", KEY_BOOL, offsetof(struct mount_spec, rw)},
        {"readwrite", KEY_BOOL, offsetof(struct mount_spec, rw)},
        {"required", KEY_BOOL, offsetof(struct mount_spec, required)},
        {"sharing", KEY_STRING, offsetof(struct mount_spec, sharing)},
        {"mode", KEY_STRING, offsetof(struct mount_spec, mode)},
        {"uid", KEY_STRING, offsetof(struct mount_spec, uid)},
        {"gid", KEY_STRING, offsetof(struct mount_spec, gid)},
        {"ro", KEY_IGNORED, 0},
        {"readonly", KEY_IGNORED, 0},
};

/* Splits SPEC (modified: the keys point into it) at its commas, then
 * expands each value as BuildKit does: after the split, so a build arg
 * holding a comma stays one value and adds no option of its own. */
static int mount_spec_parse(struct stage_ctx *c, char *spec, struct mount_spec *ms,
                            struct run_mounts *m, struct box_err *err)
{
        *ms = (struct mount_spec){.type = "bind"};
        char *save = NULL;
        for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                const char *v = "true";
                if (eq) {
                        char *x = NULL;
                        *eq = '\0';
                        int r = stage_expand(c, eq + 1, &x, err);
                        if (r < 0)
                                return r;
                        v = own(m, x);
                }
                size_t i;
                for (i = 0; i < ARRAY_SIZE(mount_keys); i++)
                        if (streq(kv, mount_keys[i].name))
                                break;
                if (i == ARRAY_SIZE(mount_keys))
                        return box_err_set(err, EINVAL, "--mount: unknown option '%s'", kv);
                char *field = (char *)ms + mount_keys[i].offset;
                if (mount_keys[i].kind == KEY_STRING)
                        *(const char **)field = v;
                else if (mount_keys[i].kind == KEY_BOOL)
                        *(bool *)field = !streq(v, "false");
        }
        return 0;
}

/* uid=, gid= and mode= of a secret or cache mount (BuildKit's: decimal
 * ids, an octal mode), DEF_MODE when no mode is given. */
struct mount_owner {
        uid_t uid;
        gid_t gid;
        mode_t mode;
};

static int mount_owner(const struct mount_spec *ms, mode_t def_mode, struct mount_owner *ret,
                       struct box_err *err)
{
        const char *ids[] = {ms->uid, ms->gid};
        unsigned long v[2] = {0, 0};
        for (size_t i = 0; i < 2; i++) {
                const char *s = ids[i];
                if (!s)
                        continue;
                size_t n = strspn(s, "0123456789");
                v[i] = n && !s[n] && n <= 10 ? strtoul(s, NULL, 10) : ULONG_MAX;
                if (v[i] >= 0xffffffffUL)
                        return box_err_set(err, EINVAL, "--mount: invalid %s '%s'",
                                           i ? "gid" : "uid", s);
        }
        ret->uid = (uid_t)v[0];
        ret->gid = (gid_t)v[1];
        ret->mode = def_mode;
        if (ms->mode) {
                size_t n = strspn(ms->mode, "01234567");
                unsigned long m = n && !ms->mode[n] && n <= 5 ? strtoul(ms->mode, NULL, 8) : ~0UL;
                if (m > 07777)
                        return box_err_set(err, EINVAL, "--mount: invalid mode '%s'", ms->mode);
                ret->mode = (mode_t)m;
        }
        return 0;
}

#define SECRET_MAX (500 * 1024)

/* The build's tmpfs for a step's WHAT, or an error. */
static int scratch_dir(struct builder *b, const char *what, const char **ret, struct box_err *err)
{
        *ret = build_scratch_dir(b);
        return *ret ? 0 : box_err_set(err, ENOTSUP, "no tmpfs for %s", what);
}

/* A secret's content as a file of its own on the build's tmpfs (never on a
 * disk), owned and moded as the mount asks (BuildKit: 0:0, 0400), for
 * the step to bind; removed after the step. */
static int secret_copy(struct builder *b, struct run_mounts *m, const char *data, size_t len,
                       const struct mount_spec *ms, char **ret_path, struct box_err *err)
{
        struct mount_owner o;
        const char *dir;
        int r = mount_owner(ms, 0400, &o, err);
        if (r < 0 || (r = scratch_dir(b, "the secret's copy", &dir, err)) < 0)
                return r;
        _cleanup_free_ char *path = xasprintf("%s/secret-%zu", dir, strv_length(m->copies));
        _cleanup_close_ int out =
                open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return box_err_errno(err, errno, "create the secret's copy");
        m->copies = strv_append(m->copies, path);
        if ((r = fs_write_full(out, data, len)) < 0)
                return box_err_errno(err, -r, "copy the secret");
        if (fchown(out, o.uid, o.gid) < 0 || fchmod(out, o.mode) < 0)
                return box_err_errno(err, errno, "set the secret's owner and mode");
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* A mount type's maker: fills RM; returns 0, 1 when the step gets no
 * mount (an optional secret not given, a secret only in the environment)
 * or -errno. */
typedef int mount_maker(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                        struct run_mount *rm, struct box_err *err);

static int mount_secret(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                        struct run_mount *rm, struct box_err *err)
{
        const struct build_opts *o = c->b->o;
        const char *id = ms->id, *target = ms->target;
        if (!id && target)
                id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        if (!id)
                return box_err_set(err, EINVAL, "--mount=type=secret needs an id");
        const struct build_secret *sec = NULL;
        for (size_t i = 0; i < o->n_secrets; i++)
                if (streq(o->secrets[i].id, id))
                        sec = &o->secrets[i];
        if (!sec) {
                if (ms->required)
                        return box_err_set(err, ENOENT,
                                           "secret '%s' not provided: use --secret id=%s,src=FILE",
                                           id, id);
                return 1;
        }
        /* its value: read once, from the file checked on the command line
         * (or the environment's, kept in memory) */
        _cleanup_free_ char *val = NULL;
        size_t vlen = sec->data_len;
        if (sec->src) {
                /* checked before it is opened: an open of what replaced it
                 * (a FIFO, a device) acts on it, a FIFO's writer goes on */
                _cleanup_close_ int pfd = open(sec->src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (pfd < 0 || fstat(pfd, &st) < 0)
                        return box_err_errno(err, errno, "secret '%s'", id);
                if (st.st_dev != sec->dev || st.st_ino != sec->ino || !S_ISREG(st.st_mode))
                        return box_err_set(err, ESTALE,
                                           "secret '%s': '%s' replaced since it was checked", id,
                                           sec->src);
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
                _cleanup_close_ int fd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        return box_err_errno(err, errno, "secret '%s'", id);
                /* BuildKit's limit: a secret is not a data set */
                int r = st.st_size > SECRET_MAX ? -EFBIG
                                                : fs_read_fd(fd, SECRET_MAX, &val, &vlen, err);
                if (r == -EFBIG)
                        vlen = SECRET_MAX + 1;
                else if (r < 0)
                        return box_err_prefix(err, "secret '%s'", id);
        }
        if (vlen > SECRET_MAX)
                return box_err_set(err, EFBIG, "secret '%s' is larger than 500 KiB", id);
        const char *data = val ? val : sec->data;
        if (ms->envname) {
                /* env=NAME: the secret's value in the step's environment,
                 * and a file only when a target is named too */
                _cleanup_free_ char *e = xasprintf("%s=%.*s", ms->envname, (int)vlen, data);
                m->env = strv_append(m->env, e);
                if (!target)
                        return 1;
        }
        char *copy = NULL;
        int r = secret_copy(c->b, m, data, vlen, ms, &copy, err);
        if (r < 0)
                return box_err_prefix(err, "secret '%s'", id);
        rm->type = RUN_MOUNT_BIND;
        rm->source = own(m, copy);
        rm->target = own(m, target ? xstrdup(target) : xasprintf("/run/secrets/%s", id));
        rm->flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        return 0;
}

/* type=ssh: the --ssh agent socket of that id (default "default") at
 * TARGET (default /run/buildkit/ssh_agent.N), SSH_AUTH_SOCK naming the
 * first, as BuildKit's.  Without that id: an error when required, else no
 * mount. */
static int mount_ssh(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                     struct run_mount *rm, struct box_err *err)
{
        const struct build_opts *o = c->b->o;
        const char *id = ms->id ? ms->id : "default";
        const struct build_secret *sock = NULL;
        for (size_t i = 0; i < o->n_ssh; i++)
                if (streq(o->ssh[i].id, id))
                        sock = &o->ssh[i];
        if (!sock) {
                if (ms->required)
                        return box_err_set(err, ENOENT,
                                           "no SSH agent '%s' forwarded: use --ssh %s%s", id, id,
                                           streq(id, "default") ? "" : "=SOCKET");
                return 1;
        }
        struct mount_owner own_mode;
        const char *dir;
        int r = mount_owner(ms, 0600, &own_mode, err);
        if (r < 0 || (r = scratch_dir(c->b, "the ssh agent's socket", &dir, err)) < 0)
                return r;
        if (m->n_ssh >= ARRAY_SIZE(m->relays))
                return box_err_set(err, E2BIG, "more than %zu ssh mounts in one step",
                                   ARRAY_SIZE(m->relays));
        _cleanup_free_ char *name = xasprintf("ssh-%d-%zu", getpid(), m->n_ssh);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        (void)unlink(path);
        r = build_ssh_proxy_start(sock->src, sock->dev, sock->ino, dir, name, own_mode.uid,
                                  own_mode.gid, own_mode.mode, &m->relays[m->n_ssh], err);
        if (r < 0)
                return box_err_prefix(err, "--mount=type=ssh,id=%s", id);
        m->copies = strv_append(m->copies, path);
        rm->type = RUN_MOUNT_BIND;
        rm->source = own(m, TAKE_PTR(path));
        rm->target = own(m, ms->target ? xstrdup(ms->target)
                                       : xasprintf("/run/buildkit/ssh_agent.%zu", m->n_ssh));
        /* the relay's socket, not the agent's: read-only all the same (a
         * socket's write permission ignores the mount's) */
        rm->flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (m->n_ssh++ == 0) {
                _cleanup_free_ char *e = xasprintf("SSH_AUTH_SOCK=%s", rm->target);
                m->env = strv_append(m->env, e);
        }
        return 0;
}

static bool same_inode(int a, int b)
{
        struct stat x, y;
        return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
               x.st_ino == y.st_ino;
}

/* The root a bind's source is found in (*RET_ROOTFD): a from= stage,
 * image or named context, else the build context. */
static int bind_root(struct stage_ctx *c, const char *from, struct run_mounts *m, int *ret_rootfd,
                     struct box_err *err)
{
        struct builder *b = c->b;
        if (!from) {
                if (b->context_fd < 0 || !b->o->context_dir)
                        return box_err_set(err, EINVAL, "--mount=type=bind needs a build context");
                *ret_rootfd = fcntl(b->context_fd, F_DUPFD_CLOEXEC, 3);
                return 0;
        }
        m->from_roots = xreallocarray(m->from_roots, m->n_from + 1, sizeof(*m->from_roots));
        struct step_dir *sd = &m->from_roots[m->n_from];
        memset(sd, 0, sizeof(*sd));
        m->n_from++;
        int r = stage_open_named_dir(b, from, ret_rootfd, err);
        if (r == 0)
                r = stage_open_from_root(c, from, sd, ret_rootfd, err);
        return r < 0 ? r : 0;
}

/* A cache with from=STAGE (or image, or named context) starts as a copy of
 * that root's source= directory, as BuildKit makes a new cache on the from
 * snapshot and mounts its source subpath.  What the source holds (hashed as
 * a bind's source is) is part of the step's key and of the cache's name:
 * BuildKit's cache is per id and from snapshot.  *RET_SEED: the source dir. */
static int cache_seed_open(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                           struct buf *ident, int *ret_seed, struct box_err *err)
{
        int rootfd;
        int r = bind_root(c, ms->from, m, &rootfd, err);
        if (r < 0)
                return box_err_prefix(err, "--mount=type=cache,from=%s", ms->from);
        _cleanup_free_ char *abs = xasprintf("/%s", strempty(ms->source));
        _cleanup_free_ char *clean = go_path_clean(abs);
        const char *inner = clean + strspn(clean, "/");
        int fd = *inner && !streq(inner, ".")
                         ? openat_in_root(rootfd, inner, O_RDONLY | O_DIRECTORY, 0)
                         : fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                r = box_err_errno(err, errno, "--mount=type=cache source '%s' in '%s'",
                                  strempty(ms->source), ms->from);
                close(rootfd);
                return r;
        }
        struct copy_src cs = {.rootfd = rootfd};
        char *const srcs[] = {*inner ? (char *)inner : (char *)".", NULL};
        struct buf h = {0};
        buf_printf(&h, "cache %s:%s\n", ms->from, clean);
        r = build_copy_hash(&cs, srcs, c->b->sc, &h, err);
        close(rootfd);
        if (r >= 0) {
                buf_puts(&m->key, h.data);
                buf_printf(ident, "\n%s", h.data);
                *ret_seed = fd;
        } else {
                close(fd);
                box_err_prefix(err, "--mount=type=cache source '%s'", strempty(ms->source));
        }
        buf_release(&h);
        return r;
}

/* A new cache directory REL: SEED's copy (its owner and mode too), made
 * under a temporary name and renamed, so that no half copy is ever a cache;
 * else empty, with the mount's owner and mode (BuildKit's 0:0 0755 by
 * default).  An existing one keeps what the steps made. */
static int cache_dir_make(struct builder *b, const char *rel, int seed, const struct mount_owner *o,
                          struct box_err *err)
{
        int root = store_root_fd(b->st);
        struct stat st;
        if (seed < 0 || fstatat(root, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (seed >= 0 || mkdirat(root, rel, 0700) < 0)
                        return seed >= 0 || errno == EEXIST
                                       ? 0
                                       : box_err_errno(err, errno, "create the cache directory");
                _cleanup_close_ int dfd =
                        openat(root, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0 || fchown(dfd, o->uid, o->gid) < 0 || fchmod(dfd, o->mode) < 0)
                        return box_err_errno(err, errno, "set the cache's owner and mode");
                return 0;
        }
        const char *base = strrchr(rel, '/') + 1;
        _cleanup_free_ char *tmp = xasprintf("buildcache/mounts/.seed-%s-%d", base, getpid());
        if (mkdirat(root, tmp, 0700) < 0)
                return box_err_errno(err, errno, "create the cache directory");
        _cleanup_close_ int dfd =
                openat(root, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = dfd < 0 ? box_err_errno(err, errno, "open the cache directory")
                        : run_copy_tree(seed, dfd, err);
        if (r >= 0 && syncfs(dfd) < 0)
                r = box_err_errno(err, errno, "sync the cache directory");
        /* another build that made it first wins */
        if (r >= 0 && renameat(root, tmp, root, rel) < 0 && errno != EEXIST && errno != ENOTEMPTY)
                r = box_err_errno(err, errno, "rename the cache directory");
        (void)fs_rm_rf_at(root, tmp, NULL);
        return r < 0 ? box_err_prefix(err, "seed the cache") : 0;
}

static int mount_cache(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                       struct run_mount *rm, struct box_err *err)
{
        struct builder *b = c->b;
        if (!ms->target)
                return box_err_set(err, EINVAL, "--mount=type=cache needs a target");
        struct mount_owner o;
        int r = mount_owner(ms, 0755, &o, err);
        if (r < 0)
                return r;
        struct buf ident = {0};
        buf_puts(&ident, ms->id ? ms->id : ms->target);
        _cleanup_close_ int seed = -EBADF;
        if (ms->from)
                r = cache_seed_open(c, ms, m, &ident, &seed, err);
        digest_str h;
        sha256_buf(ident.data, ident.len, h);
        buf_release(&ident);
        if (r < 0 || (r = fs_mkdir_p_at(store_root_fd(b->st), "buildcache/mounts", 0755, err)) < 0)
                return r;
        _cleanup_free_ char *rel = xasprintf("buildcache/mounts/%.32s", h + 7);
        r = cache_dir_make(b, rel, seed, &o, err);
        if (r < 0)
                return r;
        /* sharing=locked or private: the directory, flock'd once the step
         * runs (lock_caches); the same cache twice in one step takes one
         * lock, or the step would wait for itself */
        if (ms->sharing && !streq(ms->sharing, "shared")) {
                _cleanup_close_ int fd = openat(store_root_fd(b->st), rel,
                                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return box_err_errno(err, errno, "open the cache directory");
                bool again = false;
                for (size_t i = 0; i < m->n_caches; i++)
                        again |= same_inode(fd, m->caches[i].fd);
                if (!again) {
                        m->caches = xreallocarray(m->caches, m->n_caches + 1, sizeof(*m->caches));
                        m->caches[m->n_caches++] = (struct cache_use){
                                .mount = m->n,
                                .sharing =
                                        streq(ms->sharing, "locked") ? CACHE_LOCKED : CACHE_PRIVATE,
                                .fd = TAKE_FD(fd)};
                }
        }
        rm->type = RUN_MOUNT_BIND;
        rm->source = own(m, xasprintf("%s/%s", store_root(b->st), rel));
        rm->target = own(m, xstrdup(ms->target));
        return 0;
}

static int mount_tmpfs(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                       struct run_mount *rm, struct box_err *err)
{
        if (!ms->target)
                return box_err_set(err, EINVAL, "--mount=type=tmpfs needs a target");
        rm->type = RUN_MOUNT_TMPFS;
        rm->target = own(m, xstrdup(ms->target));
        rm->data = ms->size ? own(m, xasprintf("size=%s", ms->size)) : NULL;
        return 0;
}

static int mount_bind(struct stage_ctx *c, const struct mount_spec *ms, struct run_mounts *m,
                      struct run_mount *rm, struct box_err *err)
{
        const char *source = ms->source;
        if (!ms->target)
                return box_err_set(err, EINVAL, "--mount=type=bind needs a target");
        int rootfd;
        int r = bind_root(c, ms->from, m, &rootfd, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *clean = go_path_clean(source ? source : ".");
        if (!ms->from && (streq(clean, "..") || startswith(clean, "../"))) {
                close(rootfd);
                return box_err_set(err, EPERM, "--mount source '%s' is outside the build context",
                                   source);
        }
        /* resolve inside the root, then bind what was found */
        const char *inner = clean[0] == '/' ? clean + 1 : clean;
        _cleanup_close_ int fd = *inner && !streq(inner, ".")
                                         ? openat_in_root(rootfd, inner, O_PATH, 0)
                                         : fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                r = -errno;
                close(rootfd);
                return box_err_errno(err, -r, "--mount source '%s'", strempty(source));
        }
        /* what the mount shows is part of the step's cache key, as in
         * BuildKit: a changed package.json bound into `npm ci` runs it again
         * (the files of the context as COPY sees them, .dockerignore applied) */
        struct copy_src cs = {.rootfd = rootfd,
                              .is_context = !ms->from,
                              .ignore = ms->from ? NULL : c->b->ignore};
        char *const srcs[] = {*inner ? (char *)inner : (char *)".", NULL};
        buf_printf(&m->key, "bind %s:%s\n", strempty(ms->from), clean);
        r = build_copy_hash(&cs, srcs, c->b->sc, &m->key, err);
        close(rootfd);
        if (r < 0)
                return box_err_prefix(err, "--mount source '%s'", strempty(source));
        /* the sandbox has a mount namespace of its own, where an fd of ours
         * cannot be bound: hand it the path the fd resolved to */
        char link[64], path[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t pl = readlink(link, path, sizeof(path) - 1);
        if (pl < 0)
                return box_err_errno(err, errno, "--mount source '%s'", strempty(source));
        path[pl] = '\0';
        char *src_path = NULL;
        if (ms->rw)
                r = rw_scratch(c->b, m, fd, &src_path, err);
        else
                src_path = xstrdup(path);
        if (r < 0)
                return box_err_prefix(err, "--mount source '%s'", strempty(source));
        rm->type = RUN_MOUNT_BIND;
        rm->source = own(m, src_path);
        rm->target = own(m, xstrdup(ms->target));
        rm->flags = ms->rw ? 0 : MS_RDONLY;
        /* the path is only what FD resolved to: a rename of one of its
         * directories (the context's are the user's) between now and the
         * step's mount would bind another inode */
        struct stat st;
        if (!ms->rw && fstat(fd, &st) == 0) {
                rm->pin_dev = st.st_dev;
                rm->pin_ino = st.st_ino;
        }
        return 0;
}

static const struct {
        const char *type;
        mount_maker *make;
} mount_types[] = {
        {"bind", mount_bind},     {"cache", mount_cache}, {"tmpfs", mount_tmpfs},
        {"secret", mount_secret}, {"ssh", mount_ssh},
};

/* RUN --mount=type=cache|bind|tmpfs|secret,... */
static int parse_run_mounts(struct stage_ctx *c, const struct dockerfile_instr *in,
                            struct run_mounts *m, struct box_err *err)
{
        STRV_FOREACH (f, in->flags) {
                if (!startswith(*f, "--mount="))
                        continue;
                char *spec = xstrdup(*f + 8);
                own(m, spec);
                struct mount_spec ms;
                int r = mount_spec_parse(c, spec, &ms, m, err);
                if (r < 0)
                        return r;
                if (ms.sharing && !streq(ms.sharing, "shared") && !streq(ms.sharing, "locked") &&
                    !streq(ms.sharing, "private"))
                        return box_err_set(err, EINVAL, "--mount: unsupported sharing value '%s'",
                                           ms.sharing);
                /* a relative target is under WORKDIR (BuildKit's; Docker's Node
                 * guide binds package.json that way) */
                _cleanup_free_ char *abs_target = NULL;
                if (ms.target && ms.target[0] != '/') {
                        const char *wd = c->cur.img.config.working_dir;
                        _cleanup_free_ char *j = xasprintf("/%s/%s", strempty(wd), ms.target);
                        abs_target = go_path_clean(j);
                        ms.target = abs_target;
                }
                size_t i;
                for (i = 0; i < ARRAY_SIZE(mount_types); i++)
                        if (streq(ms.type, mount_types[i].type))
                                break;
                if (i == ARRAY_SIZE(mount_types))
                        return box_err_set(err, EINVAL, "--mount: unknown type '%s'", ms.type);
                struct run_mount rm = {0};
                r = mount_types[i].make(c, &ms, m, &rm, err);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                m->v = xreallocarray(m->v, m->n + 1, sizeof(m->v[0]));
                m->v[m->n++] = rm;
                m->targets = strv_append(m->targets, rm.target);
        }
        return 0;
}

/* Takes the locks of the step's locked and private caches (the step runs,
 * it is not cached): a locked one waits for the step that holds it; a
 * private one held by another gets a new empty directory, thrown away
 * after the step. */
static int lock_caches(struct stage_ctx *c, struct run_mounts *m, struct box_err *err)
{
        for (size_t i = 0; i < m->n_caches; i++) {
                struct cache_use *u = &m->caches[i];
                bool wait = u->sharing == CACHE_LOCKED;
                if (RETRY_EINTR(flock(u->fd, LOCK_EX | LOCK_NB)) == 0)
                        continue;
                if (wait && errno == EWOULDBLOCK) {
                        builder_progress(c->b, "  waiting for the cache at '%s' (sharing=locked)\n",
                                         m->v[u->mount].target);
                        if (RETRY_EINTR(flock(u->fd, LOCK_EX)) == 0)
                                continue;
                }
                if (wait || errno != EWOULDBLOCK)
                        return box_err_errno(err, errno, "lock the cache of '%s'",
                                             m->v[u->mount].target);
                m->from_roots = xreallocarray(m->from_roots, m->n_from + 1, sizeof(*m->from_roots));
                struct step_dir *sd = &m->from_roots[m->n_from++];
                memset(sd, 0, sizeof(*sd));
                int r = step_dir_new(c->b, sd, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *dir = xasprintf("%s/upper", sd->abs);
                struct stat st;
                if (fstat(u->fd, &st) < 0 || chown(dir, st.st_uid, st.st_gid) < 0 ||
                    chmod(dir, st.st_mode & 07777) < 0)
                        return box_err_errno(err, errno, "a private cache for '%s'",
                                             m->v[u->mount].target);
                m->v[u->mount].source = own(m, TAKE_PTR(dir));
        }
        return 0;
}

/* The command a RUN runs: exec form as is, else the shell with the command
 * line (and its here-documents, as one script). */
static char **run_argv(struct stage_ctx *c, const struct dockerfile_instr *in)
{
        _cleanup_free_ char *script = NULL;
        char **argv = NULL;
        if (!in->json && in->n_heredocs > 0) {
                const char *cmd = in->args && in->args[0] ? in->args[0] : "";
                while (isspace((unsigned char)*cmd))
                        cmd++;
                struct buf s = {0};
                if (build_dockerfile_heredoc_alone(cmd)) {
                        _cleanup_free_ char *data = build_dockerfile_heredoc_data(&in->heredocs[0]);
                        buf_puts(&s, data);
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
                argv = step_command_argv(c, in);
        }
        return argv;
}

/* RUN <<EOF alone, its script starting with "#!": BuildKit runs the script
 * as a file (mode 0755, read-only at /dev/pipes/NAME) by its interpreter
 * line, not through the shell.  The file lives in the step dir SD, outside
 * the layer.  1 with *RET_ARGV set, 0 when IN is not such a step. */
static int heredoc_script(const struct dockerfile_instr *in, const struct step_dir *sd,
                          struct run_mounts *m, char ***ret_argv, struct box_err *err)
{
        if (in->json || in->n_heredocs == 0 || !in->args || !in->args[0] ||
            !build_dockerfile_heredoc_alone(in->args[0]))
                return 0;
        const struct dockerfile_heredoc *hd = &in->heredocs[0];
        _cleanup_free_ char *data = build_dockerfile_heredoc_data(hd);
        if (!startswith(data, "#!"))
                return 0;
        if (!*hd->name || strchr(hd->name, '/') || streq(hd->name, ".") || streq(hd->name, ".."))
                return box_err_set(err, EINVAL, "heredoc name '%s' is not a file name", hd->name);
        _cleanup_free_ char *dir = xasprintf("%s/pipes", sd->abs);
        if (mkdir(dir, 0755) < 0)
                return box_err_errno(err, errno, "create '%s'", dir);
        _cleanup_free_ char *file = xasprintf("%s/%s", dir, hd->name);
        _cleanup_close_ int fd =
                open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
        int r = fd < 0                 ? -errno
                : fchmod(fd, 0755) < 0 ? -errno
                                       : fs_write_full(fd, data, strlen(data));
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", file);
        m->v = xreallocarray(m->v, m->n + 1, sizeof(m->v[0]));
        m->v[m->n++] = (struct run_mount){.type = RUN_MOUNT_BIND,
                                          .source = own(m, TAKE_PTR(dir)),
                                          .target = "/dev/pipes",
                                          .flags = MS_RDONLY};
        m->targets = strv_append(m->targets, "/dev/pipes");
        char **argv = xnew0(char *, 2);
        argv[0] = xasprintf("/dev/pipes/%s", hd->name);
        *ret_argv = argv;
        return 1;
}

/* The cache key's part for the step's flags and the build's sandbox
 * options that change what a RUN produces. */
static char *run_flags_part(struct builder *b, const char *mflags)
{
        _cleanup_free_ char *hj = strv_join(b->o->add_hosts, " "), *dj = strv_join(b->o->dns, " "),
                            *sj = strv_join(b->o->dns_search, " "),
                            *oj = strv_join(b->o->dns_options, " ");
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
        return *hj || *dj || *sj || *oj || *secs ? xasprintf("flags: %s hosts: %s dns: %s %s %s%s",
                                                             mflags, hj, dj, sj, oj, secs)
                                                 : xasprintf("flags: %s", mflags);
}

/* A file of the step's own scratch directory, new there and removed with
 * it: neither a temp name nor an fsync would buy anything (the three of
 * write_net_files() were 6 of a small build's 20 fsyncs). */
static int write_scratch(const char *path, const void *data, size_t len, struct box_err *err)
{
        _cleanup_close_ int fd =
                open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return box_err_errno(err, errno, "create '%s'", path);
        int r = fchmod(fd, 0644) < 0 ? -errno : fs_write_full(fd, data, len);
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", path);
        return 0;
}

/* /etc/hosts, /etc/hostname and /etc/resolv.conf for the step, as
 * BuildKit's sandbox has them (--add-host, --dns* applied). */
static int write_net_files(struct builder *b, const char *hosts, const char *hostname,
                           const char *resolv, struct box_err *err)
{
        struct buf hosts_txt = {0};
        buf_puts(&hosts_txt, "127.0.0.1\tlocalhost buildkitsandbox\n"
                             "::1\tlocalhost ip6-localhost ip6-loopback\n");
        /* --add-host NAME:IP */
        _cleanup_free_ char *extra = run_net_hosts_extra(b->o->add_hosts, NULL);
        buf_puts(&hosts_txt, extra);
        /* --dns, --dns-search, --dns-option replace the host's lines of
         * their kind */
        _cleanup_free_ char *host_rc = run_net_host_resolv_conf();
        struct run_dns dns = {
                .servers = b->o->dns, .search = b->o->dns_search, .options = b->o->dns_options};
        int w = write_scratch(hosts, hosts_txt.data, hosts_txt.len, err);
        buf_release(&hosts_txt);
        _cleanup_free_ char *rc = run_net_resolv_apply(host_rc, &dns);
        size_t rlen = strlen(rc);
        if (w < 0 || write_scratch(hostname, "buildkitsandbox\n", 16, err) < 0 ||
            write_scratch(resolv, rc, rlen, err) < 0)
                return -err->code;
        return 0;
}

/* Runs ARGV in the sandbox on the step's overlay, its output to the
 * build's progress; *STATUS is the command's exit status. */
static int step_net_setup(pid_t pid, void *userdata, struct box_err *err)
{
        return run_net_attach_netns(userdata, pid, err);
}

/* The moment the step's command was exec'd: the sandbox's start ends. */
static void step_started(pid_t pid, void *userdata)
{
        (void)pid;
        *(double *)userdata = build_mono();
}

static int run_sandboxed(struct stage_ctx *c, const struct step_dir *sd, char **lowers,
                         const char *hosts, const char *hostname, const char *resolv,
                         const struct run_mounts *mounts, char **argv, char **env, const char *net,
                         double *started, int *status, struct box_err *err)
{
        struct builder *b = c->b;
        char id[65];
        digest_str rnd;
        char seed[64];
        snprintf(seed, sizeof(seed), "%d-%ld-%d", getpid(), random(), b->step);
        sha256_buf(seed, strlen(seed), rnd);
        snprintf(id, sizeof(id), "%s", rnd + 7);
        /* the filter compiled once per store, as box run keeps it: compiling
         * it cost ~15 ms of CPU on every RUN step */
        _cleanup_free_ char *seccomp_cache = xasprintf("%s/cache/seccomp", store_root(b->st));
        const char *cwd = c->cur.img.config.working_dir && *c->cur.img.config.working_dir
                                  ? c->cur.img.config.working_dir
                                  : "/";
        struct run_spec rs = {
                .id = id,
                .state_dir = sd->abs,
                /* the root's mount point: the step's, on the scratch tmpfs */
                .mount_dir = sd->merged,
                .base_dir = store_root(b->st),
                .lowerdirs = lowers,
                .hostname_file = hostname,
                .hosts_file = hosts,
                .resolv_file = resolv,
                .mounts = mounts->v,
                .n_mounts = mounts->n,
                .argv = argv,
                .env = env,
                .user = strempty(c->cur.img.config.user),
                .cwd = cwd,
                .hostname = "buildkitsandbox",
                .cancel_on_signal = true,
                .no_gid_in_groups = true,
                /* box syncs the layer it packs from the upper dir, and a
                 * crashed build is thrown away: the step's own syncs
                 * (dpkg's of every file) buy nothing */
                .no_sync = !b->o->fsync,
                .network = streq(net, "none")   ? RUN_NETWORK_NONE
                           : streq(net, "host") ? RUN_NETWORK_HOST
                                                : RUN_NETWORK_PRIVATE,
                .caps = (run_caps_build_default() | b->o->caps_add) & ~b->o->caps_drop,
                .no_new_privs = b->o->no_new_privs,
                .seccomp = b->o->seccomp_unconfined ? RUN_SECCOMP_UNCONFINED
                           : b->o->seccomp_profile  ? RUN_SECCOMP_PROFILE
                                                    : RUN_SECCOMP_DEFAULT,
                .seccomp_profile = b->o->seccomp_profile,
                .seccomp_cache_dir = seccomp_cache,
                .rlimits = b->o->rlimits,
                .n_rlimits = b->o->n_rlimits,
                .shm_size = b->o->shm_size,
                .cgroup_parent = b->o->cgroup_parent,
                .on_started = step_started,
                .userdata = started,
        };
        /* the default network: an address of the store's "bridge" network,
         * held (its lease locked) while the step runs */
        struct run_net_attachment *na = NULL;
        if (rs.network == RUN_NETWORK_PRIVATE) {
                struct run_net_attach_opts no = {.hostname = "buildkitsandbox"};
                int nr = run_net_attach(store_root(b->st), id, &no, &na, err);
                if (nr < 0)
                        return box_err_prefix(err, "RUN's network");
                rs.net_setup = step_net_setup;
                rs.net_userdata = na;
                /* a loopback resolver of the host, as box run replaces it */
                _cleanup_free_ char *rc = NULL, *fixed = NULL;
                nr = fs_read_file_at(AT_FDCWD, resolv, 1 << 20, &rc, NULL, err);
                if (nr >= 0) {
                        fixed = run_net_resolv_rewrite(na, rc);
                        nr = fs_write_atomic_at(AT_FDCWD, resolv, fixed, strlen(fixed), 0644, err);
                }
                if (nr < 0) {
                        run_net_detach(na);
                        return nr;
                }
        }
        /* RUN output is progress: it goes where progress goes, never to stdout */
        struct build_log *log = NULL;
        int r = build_log_start(b->out ? b->out : stderr,
                                b->out ? b->o->progress : BUILD_PROGRESS_QUIET, &log, err);
        if (r >= 0) {
                fflush(stdout);
                fflush(stderr);
                int saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
                int saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                dup2(build_log_fd(log), STDOUT_FILENO);
                dup2(build_log_fd(log), STDERR_FILENO);
                r = run_sandbox_run(&rs, status, err);
                dup2(saved_out, STDOUT_FILENO);
                dup2(saved_err, STDERR_FILENO);
                close(saved_out);
                close(saved_err);
                build_log_finish(log, r < 0 || *status != 0);
        }
        run_net_detach(na);
        return r;
}

/* The history's created_by, as BuildKit writes it: the stage's ARGs as
 * "|N K=V ..." before the command, each with its value as the step sees it
 * (ENV wins). */
static char *run_created_by(const struct stage_ctx *c, const char *cmdline)
{
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
        char *r = xasprintf("RUN %s%s # buildkit", argstr.data, cmdline);
        buf_release(&argstr);
        return r;
}

/* --build-arg http_proxy=... reaches RUN undeclared and stays out of the
 * cache key (a proxy does not change a result).  As BuildKit's ProxyEnv: the
 * name in any case (of several, the last in byte order), and RUN gets both
 * HTTP_PROXY and http_proxy; an empty value sets neither, and an ARG or ENV
 * of that name wins. */
static char **run_proxy_env(char **env, char *const *build_args)
{
        static const char *const kinds[] = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY",
                                            "ALL_PROXY"};
        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                size_t len = strlen(kinds[k]);
                const char *val = NULL, *by = NULL;
                STRV_FOREACH (a, build_args)
                        if (strcspn(*a, "=") == len && (*a)[len] == '=' &&
                            strncasecmp(*a, kinds[k], len) == 0 &&
                            (!by || strncmp(*a, by, len) >= 0)) {
                                by = *a;
                                val = *a + len + 1;
                        }
                if (!val || !*val)
                        continue;
                _cleanup_free_ char *lower = utf8_to_lower(kinds[k]);
                const char *names[] = {kinds[k], lower};
                for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                        if (strv_env_find(env, names[i], len) < 0) {
                                _cleanup_free_ char *e = xasprintf("%s=%s", names[i], val);
                                env = strv_env_set(env, e);
                        }
        }
        return env;
}

int step_run(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        _cleanup_strv_free_ char **argv = run_argv(c, in);
        if (!argv[0])
                return box_err_set(err, EINVAL, "requires at least one argument");

        const char *net = build_dockerfile_flag_value(in, "network");
        if (!net)
                net = b->o->network ? b->o->network : "default";
        if (!streq(net, "host") && !streq(net, "none") && !streq(net, "default") &&
            !streq(net, "bridge"))
                return box_err_set(err, EINVAL, "invalid --network '%s'", net);
        /* the host's network reaches its loopback services: the user's
         * to give (--network host, --allow), never the Dockerfile's */
        if (streq(net, "host") && !b->o->allow_network_host &&
            !(b->o->network && streq(b->o->network, "host")))
                return box_err_set(err, EPERM,
                                   "RUN --network=host needs --allow network.host (BuildKit's "
                                   "entitlement)");

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
                env = strv_append(env, OCI_DEFAULT_PATH_ENV);

        _cleanup_free_ char *cmdline = strv_join(argv, " ");
        _cleanup_free_ char *created_by = run_created_by(c, cmdline);
        _cleanup_free_ char *envs = strv_join(env, "\n");
        _cleanup_free_ char *mflags = strv_join(in->flags, " ");
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        _cleanup_free_ char *p_inst = xasprintf("instruction: RUN %s", cmdline);
        _cleanup_free_ char *p_env = xasprintf("environment and build args: %s", envs);
        _cleanup_free_ char *p_flags = run_flags_part(b, mflags);
        /* only a step with bind mounts has the part: other steps' keys
         * stay what they were */
        digest_str mh;
        sha256_buf(strempty(mounts.key.data), mounts.key.len, mh);
        _cleanup_free_ char *p_mounts = mounts.key.len ? xasprintf("bind mounts: %s", mh) : NULL;
        _cleanup_free_ char *p_user =
                xasprintf("user/workdir: %s %s", strempty(c->cur.img.config.user),
                          strempty(c->cur.img.config.working_dir));
        char *parts[] = {p_parent, p_inst, p_env, p_flags, p_user, p_mounts, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        if (step_cache_lookup(c, key, created_by, parts)) {
                builder_progress(b, "  CACHED\n");
                run_mounts_release(&mounts);
                return 0;
        }

        r = lock_caches(c, &mounts, err);
        if (r < 0) {
                run_mounts_release(&mounts);
                return r;
        }
        STRV_FOREACH (e, mounts.env)
                env = strv_env_set(env, *e);
        env = run_proxy_env(env, b->build_args);

        /* box's own share of the step (overlay, pack, hash, sync, commit)
         * next to its command's, at --log-level info: bench/examples.sh's
         * per-step table.  The sandbox's start (namespaces, mounts, cgroups,
         * seccomp: box run's) is shown apart, from the clone to the
         * command's exec. */
        double t0 = build_mono(), t1 = 0, t2 = 0, started = 0;
        struct step_dir sd;
        struct store_layer_pack_stats ps = {0};
        r = step_dir_new(b, &sd, err);
        sd.stats = &ps;
        _cleanup_strv_free_ char **lowers = r >= 0 ? step_lowerdirs(b, &c->cur, &sd, err) : NULL;
        if (r >= 0 && !lowers)
                r = -err->code;
        const char *files = sd.scratch ? sd.scratch : "/nonexistent";
        _cleanup_free_ char *hosts = xasprintf("%s/hosts", files);
        _cleanup_free_ char *hostname = xasprintf("%s/hostname", files);
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", files);
        if (r >= 0)
                r = write_net_files(b, hosts, hostname, resolv, err);
        _cleanup_strv_free_ char **script_argv = NULL;
        if (r >= 0)
                r = heredoc_script(in, &sd, &mounts, &script_argv, err);
        if (r >= 0)
                step_mount_targets_resolve(b, &c->cur, &sd, mounts.targets);
        int status = 0;
        t1 = build_mono();
        if (r >= 0)
                r = run_sandboxed(c, &sd, lowers, hosts, hostname, resolv, &mounts,
                                  script_argv ? script_argv : argv, env, net, &started, &status,
                                  err);
        t2 = build_mono();
        if (r >= 0 && status != 0) {
                /* BuildKit's words (what `docker build` prints today) */
                r = box_err_set(err, ECANCELED,
                                "process '%s' did not complete successfully: exit code: %d",
                                cmdline, status);
                err->exit_code = 1;
        }
        if (r >= 0) {
                double t3 = build_mono();
                static const char *const always[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf",
                                                     "proc",         "sys",       "dev",
                                                     "run/secrets",  NULL};
                step_prune_mount_points(b, &c->cur, &sd, (char *const *)always);
                step_prune_mount_points(b, &c->cur, &sd, mounts.targets);
                /* the run's own files in the step dir are not content */
                unlink(hosts);
                unlink(hostname);
                unlink(resolv);
                double t4 = build_mono();
                r = step_commit(c, &sd, key, created_by, err);
                double t5 = build_mono();
                if (started < t1)
                        started = t1;
                double pack = ps.tar_s + ps.sync_s + ps.publish_s;
                log_info("step %zu: command %.3f s, box %.3f s (prepare %.3f s, commit %.3f s); "
                         "sandbox start %.3f s; box: dirs and files %.3f s, tar and hash "
                         "%.3f s, sync %.3f s (%s), publish %.3f s, record %.3f s; pack CPU "
                         "%.3f s; layer %llu bytes, %zu entries%s",
                         (size_t)b->step, t2 - started, (t1 - t0) + (t5 - t2), t1 - t0, t5 - t2,
                         started - t1, (t1 - t0) + (t3 - t2) + (t4 - t3), ps.tar_s, ps.sync_s,
                         ps.syncfs ? "syncfs" : "fsyncs", ps.publish_s, (t5 - t4) - pack, ps.cpu_s,
                         (unsigned long long)ps.bytes, ps.entries,
                         ps.libarchive ? ", libarchive" : "");
        }
        step_dir_free(&sd);
        run_mounts_release(&mounts);
        return r;
}

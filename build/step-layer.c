/* A file-system step: the overlay it writes to (the stage's layers as lower
 * dirs), its commit into a layer, and its cache key and lookup. */
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "build/build-internal.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "spec/ref.h"

/* The build's scratch tmpfs (struct builder), mounted on first use. */
static void scratch_mount(struct builder *b)
{
        if (b->scratch || b->scratch_tried)
                return;
        b->scratch_tried = true;
        _cleanup_free_ char *p = xasprintf("%s/tmp/build-%d-%lx", store_root(b->st), getpid(),
                                           (unsigned long)random());
        if (mkdir(p, 0700) < 0)
                return;
        /* 0755, as the steps' directories on the disk are (the store's
         * tmp/ above is 0700); a few KiB each step, the mount points empty */
        if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0) {
                rmdir(p);
                return;
        }
        b->scratch = TAKE_PTR(p);
}

const char *build_scratch_dir(struct builder *b)
{
        scratch_mount(b);
        return b->scratch;
}

void build_scratch_release(struct builder *b)
{
        if (b->reaper > 0) {
                close(b->reaper_fd);
                int st;
                RETRY_EINTR(waitpid(b->reaper, &st, 0));
                b->reaper = 0;
        }
        if (!b->scratch)
                return;
        umount2(b->scratch, MNT_DETACH);
        rmdir(b->scratch);
        free(b->scratch);
        b->scratch = NULL;
}

int step_dir_new(struct builder *b, struct step_dir *sd, struct box_err *err)
{
        memset(sd, 0, sizeof(*sd));
        sd->b = b;
        sd->rel = xasprintf("tmp/step-%d-%lx", getpid(), (unsigned long)random());
        sd->abs = xasprintf("%s/%s", store_root(b->st), sd->rel);
        scratch_mount(b);
        if (b->scratch)
                sd->scratch = xasprintf("%s/%u", b->scratch, b->scratch_n++);
        static const char *const subs[] = {"", "/upper", "/work"};
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s", sd->abs, subs[i]);
                if (mkdir(p, 0755) < 0)
                        return box_err_errno(err, errno, "create '%s'", p);
                /* upper/ is the step's /: 0755 whatever the umask (077 made
                 * it 0700, and a RUN as another user could not reach /) */
                if (i == 1 && chmod(p, 0755) < 0)
                        return box_err_errno(err, errno, "chmod '%s'", p);
        }
        if (!sd->scratch)
                sd->scratch = xstrdup(sd->abs);
        else if (mkdir(sd->scratch, 0755) < 0)
                return box_err_errno(err, errno, "create '%s'", sd->scratch);
        sd->merged = xasprintf("%s/merged", sd->scratch);
        static const char *const mounts[] = {"/merged", "/empty"};
        for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s", sd->scratch, mounts[i]);
                if (mkdir(p, 0755) < 0)
                        return box_err_errno(err, errno, "create '%s'", p);
        }
        return 0;
}

/* The removal of a step's directory: handed to a child process that
 * removes it while the build goes on (each directory's removal waits for
 * the disk's discard here, ~0.2-1 ms), which the build waits for at its
 * end (build_scratch_release()); or done here when no child can be made. */
static void step_dir_remove(struct builder *b, const char *abs)
{
        if (b && b->reaper == 0) {
                int fds[2];
                b->reaper = -1;
                /* a socket, not a pipe: a reaper gone (killed) is EPIPE for
                 * send(MSG_NOSIGNAL), never a SIGPIPE that ends the build */
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
                        pid_t pid = fork();
                        if (pid == 0) {
                                /* nothing but its end of the socket: stdout may
                                 * be a $(...), EOF comes when box closes its
                                 * end, and a cache's flock (step-run.c) ends
                                 * with the step, not with this process */
                                int in = dup2(fds[0], 0) == 0 ? 0 : -1;
                                close_range(1, ~0U, 0);
                                /* a ^C stops the build, not the removal of
                                 * what it made: EOF ends this when box is gone */
                                signal(SIGINT, SIG_IGN);
                                signal(SIGTERM, SIG_IGN);
                                signal(SIGHUP, SIG_IGN);
                                signal(SIGQUIT, SIG_IGN);
                                FILE *f = in >= 0 ? fdopen(in, "re") : NULL;
                                char line[PATH_MAX + 2];
                                while (f && fgets(line, sizeof(line), f)) {
                                        line[strcspn(line, "\n")] = '\0';
                                        fs_rm_rf(line, NULL);
                                }
                                _exit(0);
                        }
                        close(fds[0]);
                        if (pid > 0) {
                                b->reaper = pid;
                                b->reaper_fd = fds[1];
                        } else {
                                close(fds[1]);
                        }
                }
        }
        if (b && b->reaper > 0 && strlen(abs) < PATH_MAX && !strchr(abs, '\n')) {
                _cleanup_free_ char *l = xasprintf("%s\n", abs);
                size_t n = strlen(l);
                if (RETRY_EINTR(send(b->reaper_fd, l, n, MSG_NOSIGNAL)) == (ssize_t)n)
                        return;
        }
        fs_rm_rf(abs, NULL);
}

void step_dir_free(struct step_dir *sd)
{
        if (sd->mounted)
                umount2(sd->merged, MNT_DETACH);
        if (sd->scratch && sd->abs && !streq(sd->scratch, sd->abs))
                fs_rm_rf(sd->scratch, NULL);
        if (sd->abs)
                step_dir_remove(sd->b, sd->abs);
        free(sd->rel);
        free(sd->abs);
        free(sd->scratch);
        free(sd->merged);
        memset(sd, 0, sizeof(*sd));
}

char **step_lowerdirs(struct builder *b, const struct image_state *s, const struct step_dir *sd,
                      struct box_err *err)
{
        char **v = xnew0(char *, 1);
        size_t n = strv_length(s->img.diff_ids), k = 0;
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
                /* a layer twice (the same change made twice) once, where it
                 * is topmost: store_image_lowerdirs() says why */
                char *p = store_layer_short_path(b->st, s->img.diff_ids[i]);
                if (strv_contains(v, p))
                        free(p);
                else
                        v = strv_push_at(v, k++, p);
        }
        if (!v[0])
                v = strv_push(v, xasprintf("%s/empty", sd->scratch));
        return v;
}

int step_overlay_mount(struct builder *b, const struct image_state *s, struct step_dir *sd,
                       bool writable, struct box_err *err)
{
        _cleanup_strv_free_ char **lowers = step_lowerdirs(b, s, sd, err);
        if (!lowers)
                return -err->code;
        struct buf o = {0};
        _cleanup_free_ char *lower = strv_join(lowers, ":");
        buf_printf(&o, "lowerdir=%s", lower);
        /* a lone lowerdir needs a partner: the empty dir, or for a stage
         * with no layers (FROM scratch), whose lone lower is that empty dir
         * already, the unused upper dir (the same dir twice is ELOOP) */
        if (!writable && strv_length(lowers) == 1)
                buf_printf(&o, ":%s/%s",
                           s->img.diff_ids && s->img.diff_ids[0] ? sd->scratch : sd->rel,
                           s->img.diff_ids && s->img.diff_ids[0] ? "empty" : "upper");
        if (writable)
                buf_printf(&o, ",upperdir=%s/upper,workdir=%s/work", sd->rel, sd->rel);
        buf_puts(&o, ",redirect_dir=off,index=off,metacopy=off");
        /* volatile: no fsync reaches the upper dir, and above all the
         * unmount does not sync the whole file system under it (5 ms a
         * step, more when other writers are busy); box syncs the layer it
         * packs from the upper dir (store/layer-pack.c) */
        size_t plain_len = o.len;
        if (writable)
                buf_puts(&o, ",volatile");
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = 0;
        /* by path: the store fd predates our mount namespace, and overlayfs
         * refuses layers reached through another namespace's mounts */
        if (chdir(store_root(b->st)) < 0) {
                r = box_err_errno(err, errno, "chdir to the store");
        } else {
                unsigned long fl = writable ? 0 : MS_RDONLY;
                r = mount("overlay", sd->merged, "overlay", fl, o.data) < 0 ? -errno : 0;
                if (r == -EINVAL && writable) {
                        /* a kernel before 5.10 has no volatile overlays: only slower */
                        o.data[plain_len] = '\0';
                        r = mount("overlay", sd->merged, "overlay", fl, o.data) < 0 ? -errno : 0;
                }
                if (r < 0)
                        box_err_errno(err, -r, "mount overlay for the build step");
                else
                        sd->mounted = true;
        }
        if (cwd >= 0)
                fchdir(cwd);
        buf_release(&o);
        return r;
}

static bool dir_empty(const char *path)
{
        _cleanup_closedir_ DIR *d = fs_opendir_at(AT_FDCWD, path);
        return !d || !fs_readdir(d);
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

/* Is REL, or a directory on its way, a symlink in the image? */
static bool through_link_in_lowers(struct builder *b, const struct image_state *s, const char *rel)
{
        struct stat st;
        int below = stat_in_lowers(b, s, rel, &st);
        return below < 0 || (below > 0 && S_ISLNK(st.st_mode));
}

void step_mount_targets_resolve(struct builder *b, const struct image_state *s, struct step_dir *sd,
                                char **targets)
{
        bool need = false;
        STRV_FOREACH (t, targets) {
                _cleanup_free_ char *abs = xasprintf("/%s", *t);
                _cleanup_free_ char *rel = go_path_clean(abs);
                need = need || (rel[1] && through_link_in_lowers(b, s, rel + 1));
        }
        struct box_err err = {0};
        if (!need || step_overlay_mount(b, s, sd, false, &err) < 0)
                return;
        _cleanup_close_ int rootfd = open(sd->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (char **t = targets; t && *t; t++) {
                char *res = NULL;
                if (rootfd < 0 || build_path_resolve_in_root(rootfd, *t, true, &res, &err) < 0)
                        break;
                free(*t);
                *t = res;
        }
        if (umount2(sd->merged, 0) == 0 || umount2(sd->merged, MNT_DETACH) == 0)
                sd->mounted = false;
}

/* Mount points the sandbox had to create (for /etc/hosts, a --mount
 * target, ...) are not the step's content: drop the empty ones the image
 * did not have, and the parent directories overlayfs copied up only to hold
 * them (empty, same owner and mode as below).  The step may have left
 * symlinks anywhere in the upper dir, so it is walked through fds that
 * never follow one: a path through a link is the step's content, kept. */
void step_prune_mount_points(struct builder *b, const struct image_state *s,
                             const struct step_dir *sd, char *const *paths)
{
        _cleanup_free_ char *up = xasprintf("%s/upper", sd->abs);
        _cleanup_close_ int ufd = open(up, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd < 0)
                return;
        STRV_FOREACH (p, paths) {
                _cleanup_free_ char *abs = xasprintf("/%s", *p);
                _cleanup_free_ char *rel = go_path_clean(abs);
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
int step_commit(struct stage_ctx *c, struct step_dir *sd, const char *key, const char *created_by,
                struct box_err *err)
{
        struct builder *b = c->b;
        struct cache_record rec = {0};
        if (sd->mounted) {
                if (umount2(sd->merged, 0) < 0 && umount2(sd->merged, MNT_DETACH) < 0)
                        return box_err_errno(err, errno, "unmount build step");
                sd->mounted = false;
        }
        _cleanup_free_ char *upper = xasprintf("%s/upper", sd->abs);
        _cleanup_free_ char *created = oci_time_created();
        snprintf(rec.created, sizeof(rec.created), "%s", created);
        if (dir_empty(upper)) {
                rec.empty = true;
        } else {
                /* Uncompressed, as containerd and Podman keep what they
                 * build: deflate was most of box's own cost of a RUN step
                 * (docs/performance.md), the blob is the tar and its digest
                 * the diff_id, hashed once. */
                struct store_layer_pack_opts po = {
                        .clamp_mtime = build_sde_clamp(), .uncompressed = 1, .stats = sd->stats};
                int r = store_layer_pack_dir(b->st, upper, &po, &rec.layer, err);
                if (r < 0)
                        return r;
                snprintf(rec.media_type, sizeof(rec.media_type), "%s", OCI_MEDIA_LAYER);
        }
        if (key)
                build_cache_put(b->st, key, &rec, NULL);
        free(c->cur.last_created);
        c->cur.last_created = xstrdup(rec.created);
        if (!rec.empty)
                image_state_add_layer(&c->cur, &rec.layer, rec.media_type);
        image_state_add_history(&c->cur, created_by, rec.empty);
        if (key)
                build_cache_note_step(&c->cur, key, rec.empty, rec.created);
        return 0;
}

/* A miss: what the --cache-from images noted of this step, the first that
 * did (an image without any is no source, not a failure: BuildKit's). */
static bool cache_from_seed(struct builder *b, const char *key, struct cache_record *ret)
{
        STRV_FOREACH (c, b->o->cache_from)
                if (build_cache_import(b->st, *c, key, NULL) > 0)
                        return build_cache_get(b->st, key, ret);
        return false;
}

/* Looks a step up in the cache; on a hit applies it. */
int step_cache_lookup(struct stage_ctx *c, const char *key, const char *created_by,
                      char *const *parts)
{
        struct builder *b = c->b;
        struct cache_record rec;
        if (b->o->no_cache || (c->s->name && b->o->no_cache_stages &&
                               strv_contains(b->o->no_cache_stages, c->s->name)))
                return 0;
        if (!build_cache_get(b->st, key, &rec) && !cache_from_seed(b, key, &rec)) {
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
        image_state_add_history(&c->cur, created_by, rec.empty);
        build_cache_note_step(&c->cur, key, rec.empty, rec.created);
        b->last_cached = true;
        char pos[512];
        snprintf(pos, sizeof(pos), "%s\n%s\n%zu\n%s", strempty(b->o->context_dir), b->dfname,
                 (size_t)b->step, strempty(c->s->name));
        build_cache_explain(b->st, pos, parts, NULL);
        return 1;
}

char *step_key(struct stage_ctx *c, char *const *parts)
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

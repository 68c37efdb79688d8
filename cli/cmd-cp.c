/* box cp CONTAINER:SRC DEST | box cp SRC CONTAINER:DEST, "-" for a tar stream
 *
 * Copies files and trees between a container and the host, running or
 * stopped, the way docker cp does: the source becomes a tar stream
 * (image_tar_writer_add_fd_tree()) and the stream is extracted at the
 * destination (store_archive_extract()), so a plain copy, `box cp -` and
 * `box cp ... -` share one writer and one extractor.
 *
 * Every path inside the container is resolved inside its root, never
 * through a host path made from container content (CVE-2018-15664): the
 * root is an fd (/proc/PID/root of a running container after its pid 1 is
 * checked through a pidfd, which reaches its volumes and tmpfs mounts; a
 * stopped one's overlay with its volumes and binds, mounted in a private
 * mount namespace of box), the source is read one name at a time under
 * its parent's fd following no symlink, and the extractor resolves every
 * entry inside its root: the container's, or the host directory that
 * receives the copy.  A symlink the container swaps in mid-copy, or a
 * hostile stream's "../", absolute names, links and hard links, lead
 * nowhere outside.
 *
 * Where Docker's rule is unclear (see docs/man/box-cp.1.md): owners follow
 * Docker's documentation, not its daemon: without -a, what lands in the
 * container belongs to its root and what lands on the host to the caller. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "cli/container.h"
#include "image/tar.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/spec-file.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/image.h"
#include "store/store.h"

struct cp_flags {
        bool archive, follow;
};

#define T struct cp_flags
static const struct cli_option cp_flag_rows[] = {
        CLI_TRUE("archive", 'a', T, archive, "keep the owners (uid and gid) of the source"),
        CLI_TRUE("follow-link", 'L', T, follow, "follow a symlink SRC_PATH"),
        CLI_COMPAT("pause", 0, "podman's: box never pauses the container for a copy"),
        CLI_COMPAT("quiet", 'q', "print nothing (box prints nothing anyway)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options cp_options =
        CLI_OPTIONS("cp", cp_flag_rows, 16,
                    "Usage: box cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                    "       box cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
                    "\n"
                    "Copy files and directories between a container and the host.\n"
                    "\"-\" reads a tar stream from stdin (extracted into the directory\n"
                    "DEST_PATH) or writes one of SRC_PATH to stdout.\n"
                    "\n"
                    "Options:\n");

#define RESOLVE_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* One side of the copy, as the user wrote it. */
struct cp_arg {
        char *ctr;         /* the container's name, or NULL: a host path */
        char *path;        /* in a container: absolute and clean, as Docker cleans it */
        const char *user;  /* the path as given, for messages */
        bool dir_asserted; /* ended in "/" or "/.": must be a directory */
        bool contents;     /* ended in "/." (or is "/"): the directory's content */
        bool stream;       /* "-" */
};

/* Docker: a container path is relative to its "/", cleaned lexically
 * ("..", "." and "//" go), then resolved inside the root. */
static char *ctr_path_clean(const char *path)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (const char *c = path; *c;) {
                const char *e = strchrnul(c, '/');
                size_t len = (size_t)(e - c);
                if (len == 2 && c[0] == '.' && c[1] == '.') {
                        char *slash = strrchr(b.data, '/');
                        b.len = slash ? (size_t)(slash - b.data) : 0;
                        b.data[b.len] = '\0';
                } else if (len && !(len == 1 && c[0] == '.')) {
                        buf_putc(&b, '/');
                        buf_append(&b, c, len);
                }
                c = *e ? e + 1 : e;
        }
        if (b.len)
                return buf_steal(&b);
        buf_release(&b);
        return xstrdup("/");
}

/* "NAME:PATH" names a container unless it is a plain host path (absolute,
 * or starting with "." as Docker's splitCpArg has it). */
static void arg_parse(const char *arg, struct cp_arg *ret)
{
        const char *colon = strchr(arg, ':');
        const char *path = arg;
        *ret = (struct cp_arg){.user = arg};
        if (arg[0] != '/' && arg[0] != '.' && colon && colon != arg) {
                ret->ctr = xstrndup(arg, (size_t)(colon - arg));
                path = colon + 1;
        }
        ret->stream = !ret->ctr && streq(arg, "-");
        size_t n = strlen(path);
        ret->contents = (n >= 2 && streq(path + n - 2, "/.")) || streq(path, ".");
        ret->dir_asserted = ret->contents || (n && path[n - 1] == '/');
        if (!ret->ctr) {
                ret->path = xstrdup(path);
                return;
        }
        ret->path = ctr_path_clean(path);
        if (streq(ret->path, "/"))
                ret->contents = ret->dir_asserted = true;
}

static void arg_release(struct cp_arg *a)
{
        free(a->ctr);
        free(a->path);
}

/* Docker's SplitPathDirEntry: "a/b/" is "a" and "b", "/x" is "/" and "x",
 * "x" is "." and "x"; "/" is "/" and ".". */
static char *path_dir(const char *p)
{
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                n--;
        while (n > 0 && p[n - 1] != '/')
                n--;
        while (n > 1 && p[n - 1] == '/')
                n--;
        return n ? xstrndup(p, n) : xstrdup(".");
}

static char *path_base(const char *p)
{
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                n--;
        if (n == 1 && p[0] == '/')
                return xstrdup(".");
        size_t s = n;
        while (s > 0 && p[s - 1] != '/')
                s--;
        return xstrndup(p + s, n - s);
}

/* The container's side: its root, and whom its root user is on the host. */
struct cp_ctr {
        char id[RUN_ID_LEN + 1];
        int root; /* O_PATH */
        uid_t uid;
        gid_t gid;
        struct run_spec_file sf; /* its id maps (none: no user namespace) */
};

static void ctr_release(struct cp_ctr *c)
{
        if (c->root >= 0)
                close(c->root);
        run_spec_file_release(&c->sf);
}

/* Owners between the host's ids (what box sees of a user-namespaced
 * container's files) and the container's; one without a mapping is the
 * kernel's overflow id inside, the container root's outside. */
static void owner_to_container(void *userdata, uid_t *uid, gid_t *gid)
{
        const struct run_spec *s = &((struct cp_ctr *)userdata)->sf.spec;
        int64_t u = run_idmap_container(s->uid_map, s->n_uid_map, *uid);
        int64_t g = run_idmap_container(s->gid_map, s->n_gid_map, *gid);
        *uid = u >= 0 ? (uid_t)u : 65534;
        *gid = g >= 0 ? (gid_t)g : 65534;
}

static void owner_to_host(void *userdata, uid_t *uid, gid_t *gid)
{
        const struct cp_ctr *c = userdata;
        const struct run_spec *s = &c->sf.spec;
        int64_t u = run_idmap_host(s->uid_map, s->n_uid_map, *uid);
        int64_t g = run_idmap_host(s->gid_map, s->n_gid_map, *gid);
        *uid = u >= 0 ? (uid_t)u : c->uid;
        *gid = g >= 0 ? (gid_t)g : c->gid;
}

/* The root of a stopped container: its overlay and its volumes, mounted
 * privately (spec.json's; an older container's from its config). */
static int stopped_root(struct store *st, const char *id, struct run_spec_file *sf, int *ret_fd,
                        struct box_err *err)
{
        const char *root = store_root(st);
        _cleanup_jv_ struct jv *cfg = NULL;
        _cleanup_free_ char *manifest = NULL, *mount_dir = NULL, *state_dir = NULL;
        _cleanup_strv_free_ char **lowerdirs = NULL;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = run_state_mount_dir(root, &mount_dir, err);
        if (r < 0)
                return r;
        if (sf->spec.id) {
                struct run_spec spec = sf->spec;
                spec.mount_dir = mount_dir;
                return run_rootfs_open_private(&spec, ret_fd, err);
        }
        r = run_state_config(root, id, &cfg, err);
        if (r < 0)
                return r;
        struct run_spec spec = {.id = id, .base_dir = root};
        spec.rootfs = jv_get_str(cfg, "Rootfs");
        if (!spec.rootfs) {
                r = run_state_image(root, id, &manifest, err);
                if (r >= 0)
                        r = store_image_load(st, manifest, &h, err);
                if (r >= 0)
                        r = store_image_lowerdirs(st, &h, &lowerdirs, err);
                if (r < 0)
                        return r;
        }
        state_dir = run_state_rw_dir(root, id);
        spec.state_dir = state_dir;
        spec.mount_dir = mount_dir;
        spec.lowerdirs = lowerdirs;
        return run_rootfs_open_private(&spec, ret_fd, err);
}

static int ctr_open(struct cli_ctx *ctx, const char *name, struct cp_ctr *ret, struct box_err *err)
{
        struct store *st;
        struct run_spec_file *sf = &ret->sf;
        int r = cli_store(ctx, &st, err);
        if (r >= 0)
                r = run_state_lookup(store_root(st), name, ret->id, err);
        if (r < 0)
                return r;
        struct box_err ignored = {0};
        if (cli_container_spec(ctx, ret->id, sf, &ignored) < 0)
                run_spec_file_release(sf); /* an older container: no spec.json */
        ret->uid = ret->gid = 0;
        if (sf->spec.n_uid_map) {
                int64_t u = run_idmap_host(sf->spec.uid_map, sf->spec.n_uid_map, 0);
                int64_t g = run_idmap_host(sf->spec.gid_map, sf->spec.n_gid_map, 0);
                ret->uid = u >= 0 ? (uid_t)u : 0;
                ret->gid = g >= 0 ? (gid_t)g : 0;
        }
        if (run_state_root_open(ctx->runroot, ret->id, &ret->root) >= 0)
                return 0;
        r = store_lock(st, STORE_LOCK_SHARED, err);
        if (r >= 0)
                r = stopped_root(st, ret->id, sf, &ret->root, err);
        store_unlock(st);
        return r < 0 ? box_err_prefix(err, "container %.12s", ret->id) : 0;
}

/* The source entry, O_PATH: its last component followed only with FOLLOW
 * (or when its content is asked for). */
static int src_open(const struct cp_arg *a, int root, bool follow, int *ret_fd, struct stat *ret_st,
                    struct box_err *err)
{
        int dirfd = a->ctr ? root : AT_FDCWD;
        unsigned long long how = a->ctr ? RESOLVE_ROOT : 0;
        _cleanup_close_ int fd = -EBADF;
        if (follow || a->dir_asserted || streq(a->path, "/")) {
                fd = sys_openat2(dirfd, a->path, O_PATH, 0, how);
        } else {
                _cleanup_free_ char *dir = path_dir(a->path), *base = path_base(a->path);
                _cleanup_close_ int parent = sys_openat2(dirfd, dir, O_PATH | O_DIRECTORY, 0, how);
                fd = parent < 0 ? -1
                                : sys_openat2(parent, base, O_PATH | O_NOFOLLOW, 0,
                                              RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        }
        if (fd < 0 && errno == ENOENT && a->ctr)
                return box_err_set(err, ENOENT, "could not find the file '%s' in container '%s'",
                                   a->path, a->ctr);
        if (fd < 0 || fstat(fd, ret_st) < 0)
                return box_err_errno(err, errno, "'%s'", a->user);
        if (a->dir_asserted && !S_ISDIR(ret_st->st_mode))
                return box_err_set(err, ENOTDIR, "'%s': not a directory", a->user);
        if (image_tar_kernel_fs(fd))
                return box_err_set(err, EPERM,
                                   "'%s' is on one of the kernel's file systems (/proc, /sys, "
                                   "...): not copied, as Docker",
                                   a->user);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* ---- the writer's side: a thread, so that a plain copy streams ---- */

struct tar_job {
        int src, out; /* the job closes OUT */
        const char *name;
        struct cp_ctr *map; /* a user-namespaced source container, else NULL */
        pthread_t thread;
        int r;
        struct box_err err;
};

static void *tar_job_run(void *p)
{
        struct tar_job *j = p;
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE); /* a reader that stopped is EPIPE */
        pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
        _cleanup_tar_writer_ struct image_tar_writer *w = NULL;
        j->r = image_tar_writer_new(j->out, &w, &j->err);
        if (j->r >= 0 && j->map)
                image_tar_writer_set_owner_map(w, owner_to_container, j->map);
        if (j->r >= 0)
                j->r = image_tar_writer_add_fd_tree(w, j->src, j->name, &j->err);
        if (j->r >= 0)
                j->r = image_tar_writer_finish(w, &j->err);
        image_tar_writer_free(TAKE_PTR(w));
        close(j->out);
        return NULL;
}

/* stdin, its first bytes read ahead: nothing at all is an empty archive,
 * as Docker's tar reader takes it */
struct stdin_read {
        char first[512];
        size_t len, off;
};

static ssize_t stdin_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        struct stdin_read *s = ud;
        if (s->off < s->len) {
                size_t k = n < s->len - s->off ? n : s->len - s->off;
                memcpy(buf, s->first + s->off, k);
                s->off += k;
                return (ssize_t)k;
        }
        int in = STDIN_FILENO;
        return store_read_fd(&in, buf, n, err);
}

/* Where the copy lands: under ROOT (a container's root, or the receiving
 * host directory) at BASE, the source's top entry named NAME ("": its
 * content merged in). */
struct cp_dest {
        int root; /* borrowed, or owned (OWNED) when it is a host directory */
        char *base;
        char *name;
        bool owned;
};

/* Docker's CopyInfoDestinationPath: a destination that is a symlink (not
 * one named with a trailing "/") means its target, even a missing one,
 * which the copy creates; each link read inside the root for a container
 * path.  D->path is replaced by the end of the chain. */
static int dest_follow(struct cp_arg *d, int root, struct box_err *err)
{
        int dirfd = d->ctr ? root : AT_FDCWD;
        unsigned long long how = d->ctr ? RESOLVE_ROOT : 0;
        for (int n = 0; !d->dir_asserted; n++) {
                _cleanup_free_ char *dir = path_dir(d->path), *base = path_base(d->path);
                if (streq(base, ".") || streq(base, ".."))
                        return 0;
                _cleanup_close_ int pfd = sys_openat2(dirfd, dir, O_PATH | O_DIRECTORY, 0, how);
                char target[PATH_MAX];
                ssize_t l = pfd < 0 ? -1 : readlinkat(pfd, base, target, sizeof(target) - 1);
                if (l <= 0)
                        return 0; /* not a link: the rules below decide */
                if (n == 10)
                        return box_err_set(err, ELOOP, "too many symlinks in '%s'", d->user);
                target[l] = '\0';
                _cleanup_free_ char *next =
                        target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
                free(d->path);
                d->path = d->ctr ? ctr_path_clean(next) : TAKE_PTR(next);
        }
        return 0;
}

/* Docker's PrepareArchiveCopy: into DEST when it is a directory (as its
 * content with "/."), over DEST when it is a file and the source is too,
 * else as DEST in its parent directory. */
static int dest_resolve(const struct cp_arg *d, int root, const struct cp_arg *s,
                        const struct stat *src_st, struct cp_dest *ret, struct box_err *err)
{
        int dirfd = d->ctr ? root : AT_FDCWD;
        unsigned long long how = d->ctr ? RESOLVE_ROOT : 0;
        bool src_dir = S_ISDIR(src_st->st_mode);
        _cleanup_free_ char *src_base = path_base(s->path);
        _cleanup_close_ int fd = sys_openat2(dirfd, d->path, O_PATH, 0, how);
        struct stat st;
        _cleanup_free_ char *dir = NULL, *name = NULL;
        if (fd >= 0 && fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "'%s'", d->user);
        if (fd >= 0 && S_ISDIR(st.st_mode)) {
                dir = xstrdup(d->path);
                name = xstrdup(s->contents ? "" : src_base);
        } else if (fd >= 0) {
                if (src_dir)
                        return box_err_set(err, EISDIR, "cannot copy directory '%s' to file '%s'",
                                           s->user, d->user);
                dir = path_dir(d->path);
                name = path_base(d->path);
        } else if (errno == ENOENT) {
                if (d->dir_asserted && !src_dir)
                        return box_err_set(err, ENOENT, "'%s': no such directory", d->user);
                dir = path_dir(d->path);
                name = path_base(d->path);
                _cleanup_close_ int pfd = sys_openat2(dirfd, dir, O_PATH, 0, how);
                if (pfd < 0 || fstat(pfd, &st) < 0)
                        return box_err_errno(err, errno, "'%s'", d->user);
                if (!S_ISDIR(st.st_mode))
                        return box_err_set(err, ENOTDIR, "'%s': not a directory", dir);
        } else {
                return box_err_errno(err, errno, "'%s'", d->user);
        }
        if (streq(name, "/") || streq(name, ".") || streq(name, ".."))
                return box_err_set(err, EINVAL, "cannot copy to '%s'", d->user);
        if (d->ctr) {
                ret->root = root;
                ret->base = xstrdup(dir + strspn(dir, "/"));
        } else {
                ret->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (ret->root < 0)
                        return box_err_errno(err, errno, "'%s'", dir);
                ret->owned = true;
                ret->base = xstrdup("");
        }
        ret->name = TAKE_PTR(name);
        return 0;
}

static void dest_release(struct cp_dest *d)
{
        if (d->owned && d->root >= 0)
                close(d->root);
        free(d->base);
        free(d->name);
}

/* The source tree as a tar stream into the extractor at DEST. */
static int copy_tree(int src, struct cp_ctr *map, const struct cp_dest *dest,
                     const struct store_extract_opts *xo, struct box_err *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "pipe");
        struct tar_job j = {.src = src, .out = p[1], .name = dest->name, .map = map};
        int e = pthread_create(&j.thread, NULL, tar_job_run, &j);
        if (e) {
                close(p[0]);
                close(p[1]);
                return box_err_errno(err, e, "start a thread");
        }
        int r = store_archive_extract(store_read_fd, &p[0], dest->root, xo, err);
        close(p[0]); /* a writer still writing gets EPIPE */
        pthread_join(j.thread, NULL);
        /* the writer's failure explains a cut stream, unless it only saw
         * the extractor stop */
        if (j.r < 0 && !(r < 0 && j.err.code == EPIPE)) {
                *err = j.err;
                return j.r;
        }
        return r;
}

/* RET_ID: the container's id, once it is found */
static int cp(struct cli_ctx *ctx, struct cp_arg *s, struct cp_arg *d, bool follow, bool archive,
              char *ret_id, struct box_err *err)
{
        if (s->ctr && d->ctr)
                return box_err_set(err, EINVAL, "copying between containers is not supported");
        if (!s->ctr && !d->ctr)
                return box_err_set(err, EINVAL, "must specify at least one container source");
        _cleanup_(ctr_release) struct cp_ctr c = {.root = -EBADF};
        int r = ctr_open(ctx, s->ctr ? s->ctr : d->ctr, &c, err);
        if (r < 0)
                return r;
        memcpy(ret_id, c.id, sizeof(c.id));
        int root = c.root;
        bool userns = c.sf.spec.n_uid_map > 0;
        /* to the host without -a, as cp(1) without -p: no set-id bit (a
         * root-owned set-uid file of the image stayed one when root copied
         * it) and no file capability (an xattr cp(1) copies only when told),
         * either of which would raise any host user who runs the copy */
        struct store_extract_opts xo = {.no_dir_swap = true,
                                        .set_owner = !archive,
                                        .no_devices = !d->ctr,
                                        .host_safe = !d->ctr && !archive};
        xo.uid = d->ctr ? c.uid : getuid();
        xo.gid = d->ctr ? c.gid : getgid();
        if (d->ctr && userns) {
                xo.map_owner = owner_to_host;
                xo.map_userdata = &c;
        }

        if (s->stream) {
                /* docker cp - CONTAINER:DIR: the stream goes into DIR */
                _cleanup_close_ int fd = sys_openat2(root, d->path, O_PATH, 0, RESOLVE_ROOT);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
                        return box_err_set(err, ENOTDIR, "destination '%s:%s' must be a directory",
                                           d->ctr, d->path);
                _cleanup_free_ char *base = xstrdup(d->path + strspn(d->path, "/"));
                xo.base = base;
                struct stdin_read in = {0};
                int in_fd = STDIN_FILENO;
                ssize_t n = store_read_fd(&in_fd, in.first, sizeof(in.first), err);
                if (n <= 0)
                        return (int)n;
                in.len = (size_t)n;
                return store_archive_extract(stdin_read, &in, root, &xo, err);
        }

        _cleanup_close_ int src = -EBADF;
        struct stat st;
        r = src_open(s, root, follow, &src, &st, err);
        if (r < 0)
                return r;
        if (d->stream) {
                /* docker cp CONTAINER:SRC -: a tar of SRC, its owners kept */
                _cleanup_free_ char *name = s->contents ? xstrdup("") : path_base(s->path);
                _cleanup_tar_writer_ struct image_tar_writer *w = NULL;
                r = image_tar_writer_new(STDOUT_FILENO, &w, err);
                if (r >= 0 && userns)
                        image_tar_writer_set_owner_map(w, owner_to_container, &c);
                if (r >= 0)
                        r = image_tar_writer_add_fd_tree(w, src, name, err);
                if (r >= 0)
                        r = image_tar_writer_finish(w, err);
                return r;
        }
        _cleanup_(dest_release) struct cp_dest dest = {.root = -EBADF};
        r = dest_follow(d, root, err);
        if (r >= 0)
                r = dest_resolve(d, root, s, &st, &dest, err);
        if (r < 0)
                return r;
        xo.base = dest.base;
        return copy_tree(src, s->ctr && userns ? &c : NULL, &dest, &xo, err);
}

int cmd_cp(struct cli_ctx *ctx, int argc, char **argv)
{
        struct cp_flags f = {0};
        struct box_err err = {0};
        int first = cli_options_parse(&cp_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 2)
                return cli_usage_error("cp", "'box cp' requires 2 arguments");
        struct cp_arg s, d;
        arg_parse(argv[first], &s);
        arg_parse(argv[first + 1], &d);
        char id[RUN_ID_LEN + 1] = "";
        int r = cp(ctx, &s, &d, f.follow, f.archive, id, &err);
        /* Docker's events for its archive API: a copy out, a copy in */
        if (r >= 0)
                cli_event_container(ctx, id, s.ctr ? "archive-path" : "extract-to-dir", NULL);
        arg_release(&s);
        arg_release(&d);
        return r < 0 ? cli_fail(&err) : 0;
}

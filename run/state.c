#include "run/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/network.h"
#include "run/run.h"
#include "run/volume.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "spec/ref.h"

void run_state_free(struct run_state *s)
{
        if (!s)
                return;
        run_rw_pool_sweep_finish(s->sweep);
        free(s->name);
        free(s->dir);
        free(s->rw_dir);
        free(s->root);
        free(s->run_dir);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        free(s);
}

void run_random_id(char ret[RUN_ID_LEN + 1])
{
        unsigned char b[RUN_ID_LEN / 2];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n > 0)
                        got += (size_t)n;
        }
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(ret + 2 * i, 3, "%02x", b[i]);
}

/* Docker-style generated names: adjective_noun. */
static const char *const adjectives[] = {
        "admiring",  "brave",  "clever", "dazzling", "eager",   "fervent",  "gallant",    "happy",
        "inspiring", "jolly",  "keen",   "loving",   "modest",  "nifty",    "optimistic", "quirky",
        "relaxed",   "serene", "tender", "upbeat",   "vibrant", "wizardly", "youthful",   "zealous",
};
static const char *const nouns[] = {
        "albattani", "babbage", "curie",   "darwin",    "einstein", "fermi",
        "galileo",   "hopper",  "johnson", "kepler",    "lovelace", "meitner",
        "noether",   "pasteur", "ritchie", "shannon",   "thompson", "turing",
        "villani",   "wozniak", "yalow",   "zhukovsky",
};

static char *generate_name(void)
{
        unsigned char r[3];
        while (getrandom(r, sizeof(r), 0) != sizeof(r))
                ;
        return xasprintf("%s_%s%s", adjectives[r[0] % ARRAY_SIZE(adjectives)],
                         nouns[r[1] % ARRAY_SIZE(nouns)],
                         r[2] % 4 == 0 ? "" : (char[]){(char)('0' + r[2] % 10), 0});
}

static int reserve_name(const char *root, const char *name, const char *id, struct box_err *err)
{
        _cleanup_free_ char *names = xasprintf("%s/containers/.names", root);
        if (mkdir(names, 0700) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", names);
        _cleanup_free_ char *link = xasprintf("%s/%s", names, name);
        if (symlink(id, link) < 0) {
                if (errno == EEXIST) {
                        char other[RUN_ID_LEN + 1] = "";
                        ssize_t n = readlink(link, other, RUN_ID_LEN);
                        if (n > 0)
                                other[n] = '\0';
                        return box_err_set(err, EEXIST,
                                           "the container name '/%s' is already in use by "
                                           "container '%s'; remove (or rename) that container to "
                                           "be able to reuse that name",
                                           name, other);
                }
                return box_err_errno(err, errno, "reserve name '%s'", name);
        }
        return 0;
}

/* A state file is 0644 whatever box's umask: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf are bound into the container from them, and a umask of
 * 077 made them 0600, unreadable to its other users (no name resolution).
 * The umask is read once (two syscalls), the mode fixed only where it cut. */
static int fix_mode(int fd)
{
        static int um = -1;
        if (um < 0) {
                um = (int)umask(0);
                umask((mode_t)um);
        }
        return (um & 0644) && fchmod(fd, 0644) < 0 ? -errno : 0;
}

/* Replaces FILE in DIR through a temp file and a rename (no fsync): a
 * reader sees the old or the new content, never half of either. */
static int replace_in(const char *dir, const char *file, const char *data, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", dir, file);
        _cleanup_close_ int fd =
                open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return box_err_errno(err, errno, "create '%s'", tmp);
        int r = fix_mode(fd);
        if (r >= 0)
                r = fs_write_full(fd, data, strlen(data));
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", tmp);
        if (rename(tmp, p) < 0)
                return box_err_errno(err, errno, "rename '%s'", tmp);
        return 0;
}

/* Writes FILE in DIR: a new file in place (one directory operation less,
 * which counts on a busy disk), a replaced one through a rename, so a
 * reader never sees half of it. */
static int write_in(const char *dir, const char *file, const char *data, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd =
                open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
                int r = fix_mode(fd);
                if (r >= 0)
                        r = fs_write_full(fd, data, strlen(data));
                if (r < 0)
                        return box_err_errno(err, -r, "write '%s'", p);
                return 0;
        }
        if (errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", p);
        return replace_in(dir, file, data, err);
}

static const char *const state_files[] = {
        [RUN_FILE_CONFIG] = "config.json",        [RUN_FILE_IMAGE] = "image",
        [RUN_FILE_HOSTNAME] = "hostname",         [RUN_FILE_HOSTS] = "hosts",
        [RUN_FILE_RESOLV_CONF] = "resolv.conf",   [RUN_FILE_VOLUMES] = "volumes",
        [RUN_FILE_VOLUMES_USED] = "volumes-used", [RUN_FILE_SPEC] = "spec.json",
};

int run_state_write_file(const struct run_state *s, enum run_state_file file, const char *data,
                         struct box_err *err)
{
        return write_in(s->dir, state_files[file], data, err);
}

char *run_state_file_path(const struct run_state *s, enum run_state_file file)
{
        return xasprintf("%s/%s", s->dir, state_files[file]);
}

static char *run_dir_of(const char *runroot, const char *id)
{
        return xasprintf("%s/containers/%s", runroot, id);
}

/* The runtime dir and the monitor's lock, held by this process until it
 * exits (a POSIX lock: not inherited by the container's process, and
 * F_GETLK tells others who holds it). */
static int take_monitor_lock(struct run_state *s, const char *runroot, struct box_err *err)
{
        s->run_dir = run_dir_of(runroot, s->id);
        /* the runroot's containers/ exists but on the first run after a
         * boot: one mkdir, not a walk from / */
        int r = mkdir(s->run_dir, 0700) < 0 ? -errno : 0;
        if (r == -ENOENT) {
                _cleanup_free_ char *parent = xasprintf("%s/containers", runroot);
                r = fs_mkdir_p(parent, 0700, err);
                if (r < 0)
                        return box_err_prefix(err, "runroot '%s'", runroot);
                r = mkdir(s->run_dir, 0700) < 0 ? -errno : 0;
        }
        if (r < 0)
                return box_err_errno(err, -r, "create '%s'", s->run_dir);
        _cleanup_free_ char *p = xasprintf("%s/lock", s->run_dir);
        s->lock_fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lock_fd < 0)
                return box_err_errno(err, errno, "create '%s'", p);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(s->lock_fd, F_SETLK, &fl) < 0)
                return box_err_errno(err, errno, "lock '%s'", p);
        return 0;
}

static char *rw_dir_of(const char *root, const char *id)
{
        return xasprintf("%s/containers/" RUN_RW_DIR "/%s", root, id);
}

char *run_state_rw_dir(const char *root, const char *id)
{
        _cleanup_free_ char *rw = rw_dir_of(root, id);
        struct stat st;
        if (lstat(rw, &st) == 0 && S_ISDIR(st.st_mode))
                return TAKE_PTR(rw);
        return xasprintf("%s/containers/%s", root, id);
}

/* The record and the writable layer's directories: for a transient
 * container the record in the runtime dir, upper/ and work/ under
 * containers/.rw/ID, and the store's containers/ID a symlink to the record,
 * made last (a dangling one is a leftover: run_state_list skips it); else
 * all of it in containers/ID. */
static int make_dirs(struct run_state *s, const char *root, bool transient, struct box_err *err)
{
        if (transient) {
                s->dir = xasprintf("%s/record", s->run_dir);
                s->rw_dir = rw_dir_of(root, s->id);
                _cleanup_free_ char *rws = xasprintf("%s/containers/" RUN_RW_DIR, root);
                /* each pooled layer in a block group of its own
                 * (store_open says why) */
                if (mkdir(rws, 0700) == 0)
                        fs_dir_spread_at(AT_FDCWD, rws);
                else if (errno != EEXIST)
                        return box_err_errno(err, errno, "create '%s'", rws);
        } else {
                s->dir = xasprintf("%s/containers/%s", root, s->id);
                s->rw_dir = xstrdup(s->dir);
        }
        if (mkdir(s->dir, 0700) < 0)
                return box_err_errno(err, errno, "create '%s'", s->dir);
        int r = write_in(s->dir, "name", s->name, err);
        if (r < 0)
                return r;
        /* an emptied layer of an earlier one: three directories fewer */
        bool pooled = transient && run_rw_pool_take(root, s->rw_dir);
        if (transient && !pooled && mkdir(s->rw_dir, 0700) < 0)
                return box_err_errno(err, errno, "create '%s'", s->rw_dir);
        static const char *const subdirs[] = {"upper", "work"};
        for (size_t i = 0; !pooled && i < ARRAY_SIZE(subdirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", s->rw_dir, subdirs[i]);
                if (mkdir(p, 0755) < 0)
                        return box_err_errno(err, errno, "create '%s'", p);
                /* upper/ is the container's /: 0755 whatever box's umask
                 * (077 made it 0700, and every other user of it locked out) */
                if (i == 0 && chmod(p, 0755) < 0)
                        return box_err_errno(err, errno, "chmod '%s'", p);
        }
        if (transient) {
                _cleanup_free_ char *link = xasprintf("%s/containers/%s", root, s->id);
                if (symlink(s->dir, link) < 0)
                        return box_err_errno(err, errno, "create '%s'", link);
        }
        s->pooled = pooled;
        return 0;
}

int run_state_create(const char *root, const char *runroot, const char *name, bool transient,
                     struct run_state **ret, struct box_err *err)
{
        _cleanup_run_state_ struct run_state *s = xnew0(struct run_state, 1);
        _cleanup_free_ char *gen = NULL;
        int r;

        s->lock_fd = -EBADF;
        s->root = xstrdup(root);
        s->ephemeral = transient;
        run_random_id(s->id);
        if (name && !run_name_valid(name))
                return box_err_set(err, EINVAL,
                                   "invalid container name '%s', only "
                                   "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                   name);
        /* the monitor's lock first: whoever finds the container (by its
         * name or its directory) finds it live */
        r = take_monitor_lock(s, runroot, err);
        if (r < 0) {
                if (s->run_dir)
                        (void)fs_rm_rf(s->run_dir, NULL);
                return r;
        }
        if (name) {
                r = reserve_name(root, name, s->id, err);
        } else {
                for (int tries = 0;; tries++) {
                        free(gen);
                        gen = generate_name();
                        r = reserve_name(root, gen, s->id, err);
                        if (r != -EEXIST || tries > 20)
                                break;
                }
                name = gen;
        }
        if (r < 0) {
                (void)fs_rm_rf(s->run_dir, NULL);
                return r;
        }
        s->name = xstrdup(name);
        r = make_dirs(s, root, transient, err);
        if (r < 0) {
                run_state_remove(root, runroot, s->id, false, NULL);
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, s->name);
                unlink(link);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks
 * since boot.  With the pid it names one process for the life of a boot. */
static int proc_start_time(pid_t pid, uint64_t *ret)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/stat", (int)pid), *buf = NULL;
        int r = fs_read_file_at(AT_FDCWD, p, 4096, &buf, NULL, NULL);
        if (r < 0)
                return r;
        /* the command name (field 2) may hold spaces and ')': skip past the last ')' */
        const char *f = strrchr(buf, ')');
        if (!f)
                return -EIO;
        f++;
        /* a zombie (or a dying process) has ended: no start time */
        if (f[0] == ' ' && (f[1] == 'Z' || f[1] == 'X' || f[1] == 'x'))
                return -ESRCH;
        for (int field = 2; field < 22; field++) {
                f = strchr(f, ' ');
                if (!f)
                        return -EIO;
                f++;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(f, &end, 10);
        if (errno || end == f || (*end != ' ' && *end != '\0'))
                return -EIO;
        *ret = v;
        return 0;
}

static struct jv *read_json(const char *path);

/* The store's state file, atomically (temp, fsync, rename): a reader never
 * sees half of it and a crash never leaves a torn one.  An ephemeral
 * container's skips the fsyncs (see struct run_state). */
static int write_store_state(const struct run_state *s, const struct jv *o, struct box_err *err)
{
        _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
        if (s->ephemeral)
                return replace_in(s->dir, "state", json, err);
        _cleanup_free_ char *p = xasprintf("%s/state", s->dir);
        return fs_write_atomic_at(AT_FDCWD, p, json, strlen(json), 0644, err);
}

struct jv *run_state_read_json(const char *root, const char *id, const char *file)
{
        if (!run_id_valid(id))
                return NULL;
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/%s", root, id, file);
        return read_json(p);
}

static struct jv *read_json(const char *path)
{
        _cleanup_free_ char *buf = NULL;
        struct jv *o = NULL;
        if (fs_read_file_at(AT_FDCWD, path, 1 << 24, &buf, NULL, NULL) < 0 ||
            jv_parse(buf, strlen(buf), &o, NULL) < 0 || !jv_is_object(o)) {
                jv_free(o);
                return NULL;
        }
        return o;
}

int run_state_change(const struct run_state *s, const struct run_state_update *u,
                     struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/state", s->dir), *now = oci_time_now(true);
        _cleanup_jv_ struct jv *o = read_json(p);
        int r;
        if (!o)
                o = jv_object();
        /* no pid in the store: it would outlive the process it names */
        jv_del(o, "pid");
        jv_del(o, "monitor_pid");
        const char *prev = jv_get_str(o, "status");
        bool restarted = prev && streq(prev, "restarting") && streq(u->status, "running");
        if (restarted)
                jv_set(o, "restart_count", jv_int(jv_int_value(jv_get(o, "restart_count")) + 1));
        jv_set_str(o, "status", u->status);
        if (u->error)
                jv_set_str(o, "error", u->error);
        if (streq(u->status, "running")) {
                uint64_t start = 0;
                if (u->pid > 0 && s->run_dir && proc_start_time(u->pid, &start) == 0) {
                        _cleanup_jv_ struct jv *rt = jv_object();
                        jv_set(rt, "pid", jv_int(u->pid));
                        jv_set(rt, "pid_start", jv_int((int64_t)start));
                        _cleanup_free_ char *json = jv_dump(rt, JV_PRETTY);
                        r = write_in(s->run_dir, "state", json, err);
                        if (r < 0)
                                return r;
                        _cleanup_free_ char *ep = xasprintf("%s/exit", s->run_dir);
                        (void)unlink(ep);
                }
                jv_set_str(o, "started_at", now);
                jv_set_str(o, "error", "");
                jv_del(o, "oom_killed");
                /* an ephemeral container has no "created" record */
                if (!jv_get_str(o, "created_at")) {
                        jv_set_str(o, "created_at", now);
                        jv_set(o, "restart_count", jv_int(0));
                }
        } else if (streq(u->status, "exited") || streq(u->status, "restarting")) {
                jv_set(o, "exit_code", jv_int(u->exit_code));
                jv_set_str(o, "finished_at", u->finished_at ? u->finished_at : now);
                if (u->oom_killed)
                        jv_set(o, "oom_killed", jv_bool(true));
        } else if (!jv_get_str(o, "created_at")) {
                jv_set_str(o, "created_at", now);
                jv_set(o, "restart_count", jv_int(0));
        } else {
                /* created, and a start failed: Docker keeps it "created"
                 * with the start's exit code and error */
                jv_set(o, "exit_code", jv_int(u->exit_code));
        }
        r = write_store_state(s, o, err);
        /* the monitor is done with the container: nothing of it stays live */
        if (streq(u->status, "exited") && s->run_dir)
                (void)fs_rm_rf(s->run_dir, NULL);
        return r;
}

int run_state_set(const struct run_state *s, const char *status, pid_t pid, int exit_code,
                  struct box_err *err)
{
        struct run_state_update u = {.status = status, .pid = pid, .exit_code = exit_code};
        return run_state_change(s, &u, err);
}

int run_state_lookup(const char *root, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                     struct box_err *err)
{
        /* a name first, as Docker does; what its link holds must be an id,
         * since it becomes a path */
        if (run_name_valid(name_or_id)) {
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, name_or_id);
                char id[RUN_ID_LEN + 2];
                ssize_t n = readlink(link, id, sizeof(id) - 1);
                if (n >= 0) {
                        id[n] = '\0';
                        if (!run_id_valid(id))
                                return box_err_set(err, EINVAL,
                                                   "container name '%s' links to '%s', which is "
                                                   "not a container id",
                                                   name_or_id, id);
                        memcpy(ret_id, id, RUN_ID_LEN + 1);
                        return 0;
                }
        }
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        size_t len = strlen(name_or_id);
        int found = 0;
        if (d && len > 0) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (!run_id_valid(de->d_name) || !strneq(de->d_name, name_or_id, len))
                                continue;
                        if (found++ == 0)
                                memcpy(ret_id, de->d_name, RUN_ID_LEN + 1);
                }
        }
        if (found == 1)
                return 0;
        if (found > 1)
                return box_err_set(err, EINVAL,
                                   "multiple containers found with provided prefix: '%s'",
                                   name_or_id);
        return box_err_set(err, ENOENT, "no such container: '%s'", name_or_id);
}

/* The pid of the process holding the monitor's lock of container ID: > 0
 * its pid, 0 live but the holder is not visible from here, -ESRCH no live
 * monitor. */
static pid_t monitor_pid(const char *runroot, const char *id)
{
        if (!run_id_valid(id))
                return -ESRCH;
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/lock", runroot, id);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -ESRCH;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
                return -ESRCH;
        return fl.l_pid > 0 ? fl.l_pid : 0;
}

bool run_state_is_live(const char *runroot, const char *id)
{
        return monitor_pid(runroot, id) >= 0;
}

/* Does PID run in the cgroup of container ID (a path ending in /ID in some
 * hierarchy)?  Only box makes such a cgroup. */
static bool proc_in_cgroup(pid_t pid, const char *id)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/cgroup", (int)pid), *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, p, 1 << 16, &buf, NULL, NULL) < 0)
                return false;
        for (char *line = buf, *nl; line && *line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = '\0';
                const char *slash = strrchr(line, '/');
                if (slash && streq(slash + 1, id))
                        return true;
        }
        return false;
}

int run_state_pidfd(const char *runroot, const char *id, pid_t *ret_pid)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/state", runroot, id), *buf = NULL;
        _cleanup_jv_ struct jv *o = NULL;
        /* empty: made in place (write_in) and not yet written, so not yet
         * there; as "no pid" a box kill in that moment signalled nothing
         * and waited 10 s to fail with "did not stop" */
        if (fs_read_file_at(AT_FDCWD, p, 1 << 16, &buf, NULL, NULL) < 0 || !*buf)
                return -ENOENT;
        if (jv_parse(buf, strlen(buf), &o, NULL) < 0 || !jv_is_object(o) ||
            !jv_is_int(jv_get(o, "pid")) || !jv_is_int(jv_get(o, "pid_start")))
                return -ESRCH;
        int64_t pid = jv_int_value(jv_get(o, "pid")), start = jv_int_value(jv_get(o, "pid_start"));
        if (pid <= 1 || pid > INT32_MAX || start <= 0)
                return -ESRCH;
        _cleanup_close_ int pfd = sys_pidfd_open((pid_t)pid, 0);
        uint64_t now;
        if (pfd < 0 || proc_start_time((pid_t)pid, &now) < 0 || now != (uint64_t)start ||
            !proc_in_cgroup((pid_t)pid, id))
                return -ESRCH;
        /* /proc named the pidfd's process only if that one still lives:
         * a pid is not reused while its process exists */
        if (sys_pidfd_send_signal(pfd, 0, 0) < 0)
                return -ESRCH;
        if (ret_pid)
                *ret_pid = (pid_t)pid;
        return TAKE_FD(pfd);
}

int run_state_root_open(const char *runroot, const char *id, int *ret_fd)
{
        pid_t pid;
        _cleanup_close_ int pfd = run_state_pidfd(runroot, id, &pid);
        if (pfd < 0)
                return pfd;
        _cleanup_free_ char *p = xasprintf("/proc/%d/root", (int)pid);
        _cleanup_close_ int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        /* the pid named the container's pid 1 only if that still lives */
        if (fd < 0 || sys_pidfd_send_signal(pfd, 0, 0) < 0)
                return -ESRCH;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int open_ns(const char *runroot, const char *id, const char *ns, int *ret_fd,
                   struct box_err *err)
{
        pid_t pid;
        _cleanup_close_ int pfd = run_state_pidfd(runroot, id, &pid);
        if (pfd < 0)
                return box_err_set(err, ESRCH, "container %.12s is not running", id);
        _cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int)pid, ns);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        /* the pid named the container's pid 1 only if that still lives */
        if (fd < 0 || sys_pidfd_send_signal(pfd, 0, 0) < 0)
                return box_err_set(err, ESRCH, "container %.12s is not running", id);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int run_state_open_netns(const char *runroot, const char *id, int *ret_fd, struct box_err *err)
{
        return open_ns(runroot, id, "net", ret_fd, err);
}

int run_state_open_userns(const char *runroot, const char *id, int *ret_fd, struct box_err *err)
{
        return open_ns(runroot, id, "user", ret_fd, err);
}

static void sleep_ms(long ms)
{
        nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

int run_state_kill(const char *runroot, const char *id, struct box_err *err)
{
        pid_t mon = monitor_pid(runroot, id);
        if (mon < 0) {
                /* no monitor, but its pid 1 may live on (the monitor was
                 * killed and the container had dropped its PDEATHSIG with a
                 * credential change) */
                _cleanup_close_ int pfd = run_state_pidfd(runroot, id, NULL);
                if (pfd >= 0 && sys_pidfd_send_signal(pfd, SIGKILL, 0) == 0) {
                        struct pollfd p = {.fd = pfd, .events = POLLIN};
                        if (RETRY_EINTR(poll(&p, 1, 10000)) <= 0)
                                return box_err_set(err, ETIMEDOUT, "container %.12s did not stop",
                                                   id);
                }
                return 0;
        }
        /* no restart after this */
        (void)run_state_mark(runroot, id, RUN_MARK_STOPPING);
        /* its pid 1, once it has one (a start takes well under a second) */
        int pfd = -ENOENT;
        for (int t = 0; t < 500 && pfd == -ENOENT && run_state_is_live(runroot, id); t++) {
                pfd = run_state_pidfd(runroot, id, NULL);
                if (pfd == -ENOENT)
                        sleep_ms(10);
        }
        if (pfd >= 0) {
                int r = sys_pidfd_send_signal(pfd, SIGKILL, 0);
                int e = errno;
                close(pfd);
                if (r < 0 && e != ESRCH)
                        return box_err_errno(err, e, "kill container %.12s", id);
        }
        /* never started: stop its monitor, whose pid the kernel's lock
         * table gives; the container's process dies with it (PDEATHSIG) */
        if (pfd == -ENOENT && (mon = monitor_pid(runroot, id)) > 0) {
                _cleanup_close_ int mfd = sys_pidfd_open(mon, 0);
                if (mfd >= 0 && monitor_pid(runroot, id) == mon)
                        (void)sys_pidfd_send_signal(mfd, SIGKILL, 0);
        }
        for (int t = 0; t < 1000 && run_state_is_live(runroot, id); t++)
                sleep_ms(10);
        if (run_state_is_live(runroot, id))
                return box_err_set(err, ETIMEDOUT, "container %.12s did not stop", id);
        return 0;
}

/* "STATUS SECONDS.NANOS" the monitor wrote when the container exited. */
static int read_exit_file(const char *runroot, const char *id, int *ret_code, char **ret_time)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/exit", runroot, id), *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, p, 256, &buf, NULL, NULL) < 0)
                return -ENOENT;
        char *end;
        long code = strtol(buf, &end, 10);
        if (end == buf || *end != ' ' || code < 0 || code > 255)
                return -EIO;
        long long sec = strtoll(end + 1, &end, 10);
        long nsec = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
        *ret_code = (int)code;
        if (ret_time) {
                struct tm tm;
                time_t t = (time_t)sec;
                char b[64];
                gmtime_r(&t, &tm);
                size_t n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(b + n, sizeof(b) - n, ".%09ldZ", nsec);
                *ret_time = xstrdup(b);
        }
        return 0;
}

void run_state_info_release(struct run_state_info *i)
{
        free(i->created_at);
        free(i->started_at);
        free(i->finished_at);
        free(i->error);
        *i = (struct run_state_info){0};
}

static char *dup_or_empty(const char *s)
{
        return xstrdup(s ? s : "");
}

int run_state_info_read(const char *root, const char *runroot, const char *id,
                        struct run_state_info *ret)
{
        *ret = (struct run_state_info){.status = RUN_STATUS_CREATED};
        if (!run_id_valid(id))
                return -EINVAL;
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/state", root, id);
        _cleanup_jv_ struct jv *o = read_json(p);
        const char *st = o ? jv_get_str(o, "status") : NULL;
        ret->created_at = dup_or_empty(o ? jv_get_str(o, "created_at") : NULL);
        ret->started_at = dup_or_empty(o ? jv_get_str(o, "started_at") : NULL);
        ret->finished_at = dup_or_empty(o ? jv_get_str(o, "finished_at") : NULL);
        ret->error = dup_or_empty(o ? jv_get_str(o, "error") : NULL);
        ret->exit_code = o ? (int)jv_int_value(jv_get(o, "exit_code")) : 0;
        ret->restart_count = o ? jv_int_value(jv_get(o, "restart_count")) : 0;
        ret->oom_killed = o && jv_bool_value(jv_get(o, "oom_killed"));
        ret->monitored = monitor_pid(runroot, id) >= 0;
        if (!st || streq(st, "created"))
                return 0;
        if (streq(st, "exited")) {
                ret->status = RUN_STATUS_EXITED;
                return 0;
        }
        if (streq(st, "restarting") && ret->monitored) {
                ret->status = RUN_STATUS_RESTARTING;
                return 0;
        }
        /* running (or restarting) as the store has it: the truth is the
         * container's pid 1, its monitor and what the monitor left */
        int pfd = run_state_pidfd(runroot, id, NULL);
        if (pfd >= 0) {
                _cleanup_free_ char *rp = xasprintf("%s/containers/%s/state", runroot, id);
                _cleanup_jv_ struct jv *rt = read_json(rp);
                ret->pid = rt ? (pid_t)jv_int_value(jv_get(rt, "pid")) : 0;
                close(pfd);
                ret->status = RUN_STATUS_RUNNING;
                return 0;
        }
        if (ret->monitored) {
                /* its pid 1 has ended, and its monitor is giving back what
                 * it held (lease, rules, ports, cgroups) before it records
                 * the exit: still running to every reader, as Docker's
                 * daemon shows a container until its clean-up is done, so
                 * that one who sees "exited" finds all of it free */
                ret->status = RUN_STATUS_RUNNING;
                ret->exiting = true;
                return 0;
        }
        ret->status = RUN_STATUS_EXITED;
        char *t = NULL;
        if (read_exit_file(runroot, id, &ret->exit_code, &t) == 0) {
                free(ret->finished_at);
                ret->finished_at = t;
        } else {
                /* killed with its monitor (PDEATHSIG), or the host rebooted */
                ret->exit_code = 137;
                free(ret->error);
                ret->error = xstrdup("the container's monitor was killed");
        }
        ret->stale = !ret->monitored;
        return 0;
}

enum run_status run_state_status(const char *root, const char *runroot, const char *id)
{
        struct run_state_info i;
        if (run_state_info_read(root, runroot, id, &i) < 0)
                return RUN_STATUS_EXITED;
        enum run_status s = i.status;
        run_state_info_release(&i);
        return s;
}

int run_state_open(const char *root, const char *runroot, const char *id, int lock_fd,
                   struct run_state **ret, struct box_err *err)
{
        _cleanup_run_state_ struct run_state *s = xnew0(struct run_state, 1);
        s->lock_fd = -EBADF;
        if (!run_id_valid(id))
                return box_err_set(err, EINVAL, "'%s' is not a container id", id);
        memcpy(s->id, id, RUN_ID_LEN + 1);
        s->root = xstrdup(root);
        s->dir = xasprintf("%s/containers/%s", root, id);
        s->rw_dir = run_state_rw_dir(root, id);
        s->run_dir = run_dir_of(runroot, id);
        _cleanup_free_ char *np = xasprintf("%s/name", s->dir);
        if (fs_read_file_at(AT_FDCWD, np, 4096, &s->name, NULL, NULL) < 0)
                return box_err_set(err, ENOENT, "no such container: '%s'", id);
        if (lock_fd >= 0) {
                /* inherited across exec from the monitor: still ours */
                s->lock_fd = lock_fd;
                (void)fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
                *ret = TAKE_PTR(s);
                return 0;
        }
        _cleanup_free_ char *parent = xasprintf("%s/containers", runroot);
        int r = fs_mkdir_p(parent, 0700, err);
        if (r < 0)
                return box_err_prefix(err, "runroot '%s'", runroot);
        if (mkdir(s->run_dir, 0700) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", s->run_dir);
        _cleanup_free_ char *p = xasprintf("%s/lock", s->run_dir);
        s->lock_fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->lock_fd < 0)
                return box_err_errno(err, errno, "create '%s'", p);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(s->lock_fd, F_SETLK, &fl) < 0) {
                if (errno == EAGAIN || errno == EACCES)
                        return box_err_set(err, EBUSY, "container %.12s is in use by another box",
                                           id);
                return box_err_errno(err, errno, "lock '%s'", p);
        }
        /* taken: whatever a dead monitor left is ours to clear, but its
         * exit record (read by the caller first) */
        *ret = TAKE_PTR(s);
        return 0;
}

int run_state_exit_record(const struct run_state *s, int *ret_code, char **ret_time)
{
        _cleanup_free_ char *runroot = NULL;
        char *slash = strrchr(s->run_dir, '/');
        /* run_dir is <runroot>/containers/<id> */
        runroot = xstrndup(s->run_dir, (size_t)(slash - s->run_dir));
        char *c = strrchr(runroot, '/');
        if (c)
                *c = '\0';
        return read_exit_file(runroot, s->id, ret_code, ret_time);
}

int run_state_signal(const char *runroot, const char *id, int sig, struct box_err *err)
{
        int pfd = run_state_pidfd(runroot, id, NULL);
        if (pfd < 0)
                return box_err_set(err, ESRCH, "container %.12s is not running", id);
        int r = sys_pidfd_send_signal(pfd, sig, 0);
        int e = errno;
        close(pfd);
        if (r < 0 && e != ESRCH)
                return box_err_errno(err, e, "signal container %.12s", id);
        return 0;
}

int run_state_wait_exit(const char *runroot, const char *id, int timeout_ms)
{
        _cleanup_close_ int pfd = run_state_pidfd(runroot, id, NULL);
        if (pfd < 0)
                return 0;
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int n = RETRY_EINTR(poll(&p, 1, timeout_ms));
        return n > 0 ? 0 : -ETIMEDOUT;
}

/* Waits on a pidfd of the lock's holder, checked to be the holder once
 * opened (its pid could have been reused in between); polls every 10 ms
 * where no pid shows (a holder in another pid namespace). */
int run_state_wait_monitor(const char *runroot, const char *id, int timeout_ms)
{
        for (int t = 0;;) {
                pid_t pid = monitor_pid(runroot, id);
                if (pid < 0)
                        return 0;
                if (timeout_ms >= 0 && t >= timeout_ms)
                        return -ETIMEDOUT;
                _cleanup_close_ int pfd = pid > 0 ? sys_pidfd_open(pid, 0) : -EBADF;
                int step = 10;
                if (pfd >= 0 && monitor_pid(runroot, id) == pid) {
                        struct pollfd p = {.fd = pfd, .events = POLLIN};
                        step = timeout_ms >= 0 ? timeout_ms - t : -1;
                        (void)RETRY_EINTR(poll(&p, 1, step));
                } else {
                        sleep_ms(step);
                }
                t += step;
        }
}

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_state_wait_settled(const char *root, const char *runroot, const char *id, int timeout_ms)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        int64_t end = mono_ms() + timeout_ms;
        for (;;) {
                /* watched before the read: a change after it wakes the poll */
                _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                if (in >= 0 &&
                    inotify_add_watch(in, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF) < 0)
                        close(TAKE_FD(in));
                struct run_state_info i;
                if (run_state_info_read(root, runroot, id, &i) < 0)
                        return;
                bool exiting = i.exiting;
                run_state_info_release(&i);
                pid_t pid = monitor_pid(runroot, id);
                _cleanup_close_ int pfd = pid > 0 ? sys_pidfd_open(pid, 0) : -EBADF;
                int64_t left = end - mono_ms();
                if (!exiting || left <= 0)
                        return;
                struct pollfd p[] = {{.fd = pfd, .events = POLLIN}, {.fd = in, .events = POLLIN}};
                if (pfd < 0 && in < 0)
                        sleep_ms(left < 5 ? left : 5);
                else
                        (void)RETRY_EINTR(poll(p, 2, (int)left));
        }
}

int run_state_mark(const char *runroot, const char *id, const char *flag)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/%s", runroot, id, flag);
        int fd = open(p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

bool run_state_marked(const char *runroot, const char *id, const char *flag)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/%s", runroot, id, flag);
        return access(p, F_OK) == 0;
}

static void *rm_rf_thread(void *path)
{
        (void)fs_rm_rf(path, NULL);
        return NULL;
}

/* Whether DIR, the store's containers/ID, is a link that is not a
 * transient container's, to its record in RUNROOT: a leftover of another
 * runroot, or one planted by whoever else writes the store. */
static bool stray_link(const char *dir, const char *runroot, const char *id)
{
        struct stat st;
        if (lstat(dir, &st) < 0 || !S_ISLNK(st.st_mode))
                return false;
        char got[PATH_MAX];
        ssize_t n = readlink(dir, got, sizeof(got) - 1);
        if (!runroot || n <= 0)
                return true;
        got[n] = '\0';
        _cleanup_free_ char *rd = run_dir_of(runroot, id);
        _cleanup_free_ char *want = xasprintf("%s/record", rd);
        return !streq(got, want);
}

/* The directory RW of a writable layer, then (when not NULL) the store's
 * DIR of its container. */
static int remove_layer(const char *rw, const char *dir, struct box_err *err)
{
        /* Removing a directory waits for the file system's journal (about a
         * millisecond each here, far more under load), so the two trees of
         * the overlay are removed at once, in two threads. */
        _cleanup_free_ char *work = xasprintf("%s/work", rw);
        pthread_t t;
        bool threaded = pthread_create(&t, NULL, rm_rf_thread, work) == 0;
        if (!threaded)
                (void)fs_rm_rf(work, NULL);
        _cleanup_free_ char *upper = xasprintf("%s/upper", rw);
        (void)fs_rm_rf(upper, NULL);
        if (threaded)
                pthread_join(t, NULL);
        int r = fs_rm_rf(rw, err);
        if (r >= 0 && dir)
                r = fs_rm_rf(dir, err);
        return r;
}

/* Removes LINK, a symlink of the store's: with RW (an ended transient
 * container's writable layer) moved into it as NAME, for the next
 * container that takes the layer from the pool to remove while it runs
 * (the link's target is too long to live in its inode, and the block it
 * frees waits for a discard here), or removed when the layer is. */
static int drop_link(const char *link, const char *rw, const char *name)
{
        if (rw) {
                _cleanup_free_ char *to = xasprintf("%s/%s", rw, name);
                if (renameat2(AT_FDCWD, link, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
                        return 0;
        }
        return unlink(link);
}

/* run_state_remove; ENDED: a transient container whose sandbox, in this
 * process, has just removed its cgroups (or *LATER, when not NULL, is
 * removing them: joined, and its answer counts, before the layer's fate
 * is decided; *LATER is NULL after): no sweep for them, and its writable
 * layer may go into the pool */
static int remove_container(const char *root, const char *runroot, const char *id,
                            bool remove_volumes, bool ended, struct run_cgroup_destroy **later,
                            struct box_err *err)
{
        if (!run_id_valid(id))
                return box_err_set(err, EINVAL, "'%s' is not a container id", id);
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *name = NULL, *vols = NULL;
        int r;

        _cleanup_free_ char *rw = rw_dir_of(root, id);
        if (!ended && !(later && *later))
                run_cgroup_remove_stale(NULL, id);
        /* after a crash: its addresses, rules and links go back */
        (void)run_net_cleanup(root, runroot, id, NULL);

        /* removed, never followed: nothing behind it is ours */
        if (stray_link(dir, runroot, id)) {
                if (unlink(dir) < 0 && errno != ENOENT)
                        return box_err_errno(err, errno, "remove container %.12s", id);
                r = fs_rm_rf(rw, err);
                return r < 0 ? box_err_prefix(err, "remove container %.12s", id) : 0;
        }

        _cleanup_free_ char *vp = xasprintf("%s/volumes", dir);
        if (remove_volumes)
                (void)fs_read_file_at(AT_FDCWD, vp, 1 << 20, &vols, NULL, NULL);

        /* the name, if it still points at us */
        _cleanup_free_ char *np = xasprintf("%s/name", dir);
        if (fs_read_file_at(AT_FDCWD, np, 4096, &name, NULL, NULL) == 0 && run_name_valid(name)) {
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, name);
                char target[RUN_ID_LEN + 1];
                ssize_t n = readlink(link, target, RUN_ID_LEN);
                if (n == RUN_ID_LEN && strneq(target, id, RUN_ID_LEN))
                        (void)drop_link(link, ended ? rw : NULL, RUN_RW_NAME_LINK);
        }
        /* a transient container's record is in its runtime dir: the
         * store's link to it goes first, so no one finds half of it */
        struct stat st;
        bool transient = lstat(rw, &st) == 0;
        if (transient && drop_link(dir, ended ? rw : NULL, RUN_RW_STORE_LINK) < 0 &&
            errno != ENOENT)
                return box_err_errno(err, errno, "remove container %.12s", id);
        if (runroot) {
                _cleanup_free_ char *rd = run_dir_of(runroot, id);
                (void)fs_rm_rf(rd, NULL);
        }
        if (!transient) {
                free(rw);
                rw = xstrdup(dir);
        }
        if (later && *later) {
                /* the cgroups' removal ran while the record went */
                bool gone = run_cgroup_destroy_finish(*later);
                *later = NULL;
                ended = ended && gone;
                if (!gone)
                        run_cgroup_remove_stale(NULL, id);
        }
        /* the layer of a container that left it untouched is kept for the
         * next one (run/rw-pool.c) */
        if (transient && ended && run_rw_pool_put(root, rw))
                r = 0;
        else
                r = remove_layer(rw, transient ? dir : NULL, err);
        if (r < 0)
                return box_err_prefix(err, "remove container %.12s", id);

        /* its anonymous volumes go with it, unless another container uses
         * one too (by its name): then it stays, as in Docker */
        if (vols) {
                int lock = run_volume_lock(root, true, NULL);
                char *save = NULL;
                for (char *l = strtok_r(vols, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        (void)run_volume_remove(root, l, NULL);
                run_volume_unlock(lock);
        }
        return 0;
}

int run_state_remove(const char *root, const char *runroot, const char *id, bool remove_volumes,
                     struct box_err *err)
{
        return remove_container(root, runroot, id, remove_volumes, false, NULL, err);
}

int run_state_remove_ended(struct run_state *s, const char *runroot,
                           struct run_cgroup_destroy *later, bool gone, struct box_err *err)
{
        bool transient = s->rw_dir && s->dir && !streq(s->rw_dir, s->dir);
        /* its links go where the sweep removes them: done (or, if it
         * never started, done now) */
        if (s->pooled && !s->sweep)
                s->sweep = run_rw_pool_sweep_start(s->rw_dir);
        run_rw_pool_sweep_finish(s->sweep);
        s->sweep = NULL;
        s->pooled = false;
        int r = remove_container(s->root, runroot, s->id, true, transient && gone, &later, err);
        /* not reached there (an early return): still joined */
        if (later && !run_cgroup_destroy_finish(later))
                run_cgroup_remove_stale(NULL, s->id);
        return r;
}

int run_state_prune_leftovers(const char *root, const char *runroot)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        _cleanup_free_ char *rws = xasprintf("%s/containers/" RUN_RW_DIR, root);
        int n = 0;
        struct dirent *de;
        /* the emptied layers kept for the next --rm runs */
        (void)run_rw_pool_clear(root);
        struct stat st;
        _cleanup_closedir_ DIR *d = opendir(dir);
        while (d && (de = readdir(d)))
                if (run_id_valid(de->d_name) &&
                    (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) &&
                    fstatat(dirfd(d), de->d_name, &st, 0) < 0 && errno == ENOENT &&
                    !run_state_is_live(runroot, de->d_name) &&
                    run_state_remove(root, runroot, de->d_name, true, NULL) >= 0)
                        n++;
        /* a box killed while it made or removed a transient container */
        _cleanup_closedir_ DIR *r = d ? opendir(rws) : NULL;
        while (r && (de = readdir(r)))
                if (run_id_valid(de->d_name) &&
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno == ENOENT && !run_state_is_live(runroot, de->d_name) &&
                    fs_rm_rf_at(dirfd(r), de->d_name, NULL) >= 0)
                        n++;
        /* and names that link to no container (their maker is not live:
         * a name is taken before the container's directory is made) */
        _cleanup_free_ char *names = xasprintf("%s/containers/.names", root);
        _cleanup_closedir_ DIR *nd = d ? opendir(names) : NULL;
        while (nd && (de = readdir(nd))) {
                char id[RUN_ID_LEN + 2];
                ssize_t len = readlinkat(dirfd(nd), de->d_name, id, sizeof(id) - 1);
                if (len != RUN_ID_LEN)
                        continue;
                id[len] = '\0';
                if (run_id_valid(id) && fstatat(dirfd(d), id, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno == ENOENT && !run_state_is_live(runroot, id) &&
                    unlinkat(dirfd(nd), de->d_name, 0) == 0)
                        n++;
        }
        return n;
}

char **run_state_list(const char *root)
{
        /* counted, not strv_append: linear in the number of containers */
        char **v = xnew0(char *, 1);
        size_t n = 0;
        _cleanup_free_ char *dir = xasprintf("%s/containers", root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        struct stat st;
        while (d && (de = readdir(d))) {
                if (!run_id_valid(de->d_name))
                        continue;
                /* a transient container's link whose record has gone (its
                 * box was killed and the runroot emptied by a reboot): a
                 * leftover for run_state_prune_leftovers, not a container */
                if ((de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) &&
                    fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        continue;
                v = strv_push_at(v, n++, xstrdup(de->d_name));
        }
        return v;
}

void run_state_pins(const char *root, char ***ret_ids, char ***ret_manifests)
{
        _cleanup_strv_free_ char **all = run_state_list(root);
        char **ids = xnew0(char *, 1), **manifests = xnew0(char *, 1);
        size_t n = 0;
        STRV_FOREACH (id, all) {
                _cleanup_free_ char *p =
                        xasprintf("%s/containers/%s/%s", root, *id, state_files[RUN_FILE_IMAGE]);
                _cleanup_free_ char *buf = NULL;
                if (fs_read_file_at(AT_FDCWD, p, 4096, &buf, NULL, NULL) < 0)
                        continue;
                buf[strcspn(buf, "\n")] = '\0';
                ids = strv_push_at(ids, n, xstrdup(*id));
                manifests = strv_push_at(manifests, n, TAKE_PTR(buf));
                n++;
        }
        if (ret_ids)
                *ret_ids = ids;
        else
                strv_free(ids);
        if (ret_manifests)
                *ret_manifests = manifests;
        else
                strv_free(manifests);
}

int run_state_image(const char *root, const char *id, char **ret_manifest, struct box_err *err)
{
        _cleanup_free_ char *p =
                xasprintf("%s/containers/%s/%s", root, id, state_files[RUN_FILE_IMAGE]);
        _cleanup_free_ char *manifest = NULL;
        if (!run_id_valid(id) || fs_read_file_at(AT_FDCWD, p, 4096, &manifest, NULL, NULL) < 0)
                return -ENOENT;
        manifest[strcspn(manifest, "\n")] = '\0';
        /* read back from disk: a digest, or nothing that becomes a path */
        int r = spec_digest_validate(manifest, err);
        if (r < 0)
                return r;
        *ret_manifest = TAKE_PTR(manifest);
        return 0;
}

int run_state_config_write(const char *root, const char *id, const struct jv *cfg,
                           struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *json = jv_dump(cfg, JV_PRETTY);
        return write_in(dir, state_files[RUN_FILE_CONFIG], json, err);
}

int run_state_spec_write(const char *root, const char *id, const char *text, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        return write_in(dir, state_files[RUN_FILE_SPEC], text, err);
}

int run_state_config(const char *root, const char *id, struct jv **ret, struct box_err *err)
{
        _cleanup_free_ char *p =
                xasprintf("%s/containers/%s/%s", root, id, state_files[RUN_FILE_CONFIG]);
        _cleanup_free_ char *buf = NULL;
        _cleanup_jv_ struct jv *o = NULL;
        int r = fs_read_file_at(AT_FDCWD, p, 1 << 24, &buf, NULL, err);
        if (r >= 0)
                r = jv_parse(buf, strlen(buf), &o, err);
        if (r >= 0 && !jv_is_object(o))
                r = box_err_set(err, EINVAL, "not a JSON object");
        if (r < 0)
                return box_err_prefix(err, "container %.12s: config.json", id);
        *ret = TAKE_PTR(o);
        return 0;
}

char *run_state_upper_dir(const char *root, const char *id)
{
        _cleanup_free_ char *rw = run_state_rw_dir(root, id);
        return xasprintf("%s/upper", rw);
}

int64_t run_state_disk_usage(const char *root, const char *id)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *rw = rw_dir_of(root, id);
        int64_t n = fs_tree_size_at(AT_FDCWD, dir), m = fs_tree_size_at(AT_FDCWD, rw);
        return n + (m > 0 ? m : 0);
}

int run_state_mount_dir(const char *root, char **ret, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/.rootfs", root);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", dir);
        *ret = TAKE_PTR(dir);
        return 0;
}

int run_state_rename(const char *root, const char *id, const char *name, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id), *old = NULL;
        _cleanup_free_ char *np = xasprintf("%s/name", dir);
        if (!run_name_valid(name))
                return box_err_set(err, EINVAL,
                                   "invalid container name '%s', only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                   "are allowed",
                                   name);
        if (fs_read_file_at(AT_FDCWD, np, 4096, &old, NULL, err) < 0)
                return box_err_prefix(err, "container %.12s", id);
        if (streq(old, name))
                return box_err_set(err, EINVAL,
                                   "renaming a container with the same name as its "
                                   "current name");
        /* the new name is taken atomically (symlink), then the old one goes */
        int r = reserve_name(root, name, id, err);
        if (r < 0)
                return r;
        r = write_in(dir, "name", name, err);
        _cleanup_free_ char *cp = xasprintf("%s/config.json", dir);
        _cleanup_jv_ struct jv *cfg = read_json(cp);
        if (r >= 0 && cfg) {
                jv_set_str(cfg, "Name", name);
                _cleanup_free_ char *json = jv_dump(cfg, JV_PRETTY);
                r = write_in(dir, "config.json", json, err);
        }
        _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, r >= 0 ? old : name);
        unlink(link);
        return r;
}

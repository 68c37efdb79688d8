#include "run/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/volume.h"
#include "spec/json.h"

void run_state_free(struct run_state *s)
{
        if (!s)
                return;
        free(s->name);
        free(s->dir);
        free(s->root);
        free(s);
}

bool run_name_valid(const char *name)
{
        if (!name || strlen(name) < 2 || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++) {
                bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                             (*p >= '0' && *p <= '9');
                if (!alnum && (p == name || (*p != '_' && *p != '.' && *p != '-')))
                        return false;
        }
        return true;
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

int run_state_create(const char *root, const char *name, struct run_state **ret,
                     struct box_err *err)
{
        struct run_state *s = xnew0(struct run_state, 1);
        _cleanup_free_ char *gen = NULL;
        int r;

        s->root = xstrdup(root);
        run_random_id(s->id);
        if (name) {
                if (!run_name_valid(name)) {
                        run_state_free(s);
                        return box_err_set(err, EINVAL,
                                           "invalid container name '%s', only "
                                           "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                           name);
                }
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
                run_state_free(s);
                return r;
        }
        s->name = xstrdup(name);
        s->dir = xasprintf("%s/containers/%s", root, s->id);
        if (mkdir(s->dir, 0700) < 0) {
                r = box_err_errno(err, errno, "create '%s'", s->dir);
                goto fail;
        }
        r = run_state_write_file(s, "name", s->name, err);
        if (r < 0)
                goto fail;
        static const char *const subdirs[] = {"upper", "work"};
        for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", s->dir, subdirs[i]);
                if (mkdir(p, 0755) < 0) {
                        r = box_err_errno(err, errno, "create '%s'", p);
                        goto fail;
                }
        }
        *ret = s;
        return 0;
fail:
        run_state_remove(root, s->id, false, NULL);
        {
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, s->name);
                unlink(link);
        }
        run_state_free(s);
        return r;
}

int run_state_write_file(const struct run_state *s, const char *file, const char *data,
                         struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", s->dir, file);
        /* a new file is written in place (one directory operation less,
         * which counts on a busy disk); a replaced one through a rename */
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
                int r = fs_write_full(fd, data, strlen(data));
                if (r < 0)
                        return box_err_errno(err, -r, "write '%s'", p);
                return 0;
        }
        if (errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", p);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", s->dir, file);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return box_err_errno(err, errno, "create '%s'", tmp);
        int r = fs_write_full(fd, data, strlen(data));
        if (r < 0)
                return box_err_errno(err, -r, "write '%s'", tmp);
        if (rename(tmp, p) < 0)
                return box_err_errno(err, errno, "rename '%s'", tmp);
        return 0;
}

static char *now_rfc3339(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
        return xstrdup(buf);
}

int run_state_set(const struct run_state *s, const char *status, pid_t pid, int exit_code,
                  struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        _cleanup_free_ char *prev = NULL, *now = now_rfc3339();
        _cleanup_free_ char *p = xasprintf("%s/state", s->dir);
        if (fs_read_file_at(AT_FDCWD, p, 1 << 16, &prev, NULL, NULL) < 0 ||
            jv_parse(prev, strlen(prev), &o, NULL) < 0 || !jv_is_object(o)) {
                jv_free(o);
                o = jv_object();
        }
        jv_set_str(o, "status", status);
        if (streq(status, "running")) {
                jv_set(o, "pid", jv_int(pid));
                jv_set(o, "monitor_pid", jv_int(getpid()));
                jv_set_str(o, "started_at", now);
        } else if (streq(status, "exited")) {
                jv_set(o, "pid", jv_int(0));
                jv_set(o, "exit_code", jv_int(exit_code));
                jv_set_str(o, "finished_at", now);
        } else {
                jv_set_str(o, "created_at", now);
        }
        _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
        return run_state_write_file(s, "state", json, err);
}

static bool is_id(const char *s)
{
        if (strlen(s) != RUN_ID_LEN)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int run_state_lookup(const char *root, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                     struct box_err *err)
{
        /* a name first, as Docker does */
        if (run_name_valid(name_or_id)) {
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, name_or_id);
                char id[RUN_ID_LEN + 1];
                ssize_t n = readlink(link, id, RUN_ID_LEN);
                if (n == RUN_ID_LEN) {
                        id[n] = '\0';
                        memcpy(ret_id, id, sizeof(id));
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
                        if (!is_id(de->d_name) || !strneq(de->d_name, name_or_id, len))
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

pid_t run_state_running_pid(const char *root, const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/state", root, id), *buf = NULL;
        _cleanup_jv_ struct jv *o = NULL;
        if (fs_read_file_at(AT_FDCWD, p, 1 << 16, &buf, NULL, NULL) < 0 ||
            jv_parse(buf, strlen(buf), &o, NULL) < 0)
                return 0;
        const char *status = jv_get_str(o, "status");
        pid_t pid = (pid_t)jv_int_value(jv_get(o, "pid"));
        pid_t mon = (pid_t)jv_int_value(jv_get(o, "monitor_pid"));
        if (!status || !streq(status, "running") || pid <= 0 || mon <= 0)
                return 0;
        if (kill(mon, 0) < 0 && errno == ESRCH)
                return 0;
        if (kill(pid, 0) < 0 && errno == ESRCH)
                return 0;
        return pid;
}

static void *rm_rf_thread(void *path)
{
        (void)fs_rm_rf(path, NULL);
        return NULL;
}

int run_state_remove(const char *root, const char *id, bool remove_volumes, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *name = NULL, *vols = NULL;
        int r;

        run_cgroup_remove_stale(NULL, id);

        /* anonymous volumes go with their container */
        _cleanup_free_ char *vp = xasprintf("%s/volumes", dir);
        if (remove_volumes && fs_read_file_at(AT_FDCWD, vp, 1 << 20, &vols, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(vols, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        (void)run_volume_remove(root, l, true, NULL);
        }

        /* the name, if it still points at us */
        _cleanup_free_ char *np = xasprintf("%s/name", dir);
        if (fs_read_file_at(AT_FDCWD, np, 4096, &name, NULL, NULL) == 0 && run_name_valid(name)) {
                _cleanup_free_ char *link = xasprintf("%s/containers/.names/%s", root, name);
                char target[RUN_ID_LEN + 1];
                ssize_t n = readlink(link, target, RUN_ID_LEN);
                if (n == RUN_ID_LEN && strneq(target, id, RUN_ID_LEN))
                        unlink(link);
        }
        /* Removing a directory waits for the file system's journal (about a
         * millisecond each here, far more under load), so the two trees of
         * the overlay are removed at once, in two threads. */
        _cleanup_free_ char *work = xasprintf("%s/work", dir);
        pthread_t t;
        bool threaded = pthread_create(&t, NULL, rm_rf_thread, work) == 0;
        if (!threaded)
                (void)fs_rm_rf(work, NULL);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        (void)fs_rm_rf(upper, NULL);
        if (threaded)
                pthread_join(t, NULL);
        r = fs_rm_rf(dir, err);
        if (r < 0)
                return box_err_prefix(err, "remove container %.12s", id);
        return 0;
}

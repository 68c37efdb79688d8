/* box's event log (run/events.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/macro.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "spec/json.h"

char *run_events_path(const char *runroot, int rotated)
{
        return xasprintf("%s/events/events.log%s", runroot, rotated ? ".1" : "");
}

int64_t run_events_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Attributes cut to CUT bytes each (0: whole); KEEP_ALL false keeps only
 * the ones every reader filters on. */
static struct jv *attrs_json(char *const *attrs, size_t cut, bool keep_all)
{
        static const char *const kept[] = {"name", "image", "exitCode", "signal", "container"};
        struct jv *o = jv_object();
        for (size_t i = 0; attrs && attrs[i] && attrs[i + 1]; i += 2) {
                bool wanted = keep_all;
                for (size_t k = 0; !wanted && k < ARRAY_SIZE(kept); k++)
                        wanted = streq(attrs[i], kept[k]);
                if (!wanted)
                        continue;
                _cleanup_free_ char *v = cut && strlen(attrs[i + 1]) > cut
                                                 ? xstrndup(attrs[i + 1], cut)
                                                 : xstrdup(attrs[i + 1]);
                jv_set_str(o, attrs[i], v);
        }
        return o;
}

static const char *attr(char *const *attrs, const char *key)
{
        for (size_t i = 0; attrs && attrs[i] && attrs[i + 1]; i += 2)
                if (streq(attrs[i], key))
                        return attrs[i + 1];
        return NULL;
}

static char *format_one(const struct run_event *ev, size_t cut, bool keep_all)
{
        int64_t t = ev->time_ns ? ev->time_ns : run_events_now();
        _cleanup_jv_ struct jv *o = jv_object();
        /* Docker's older fields, which its API still sends for these two */
        bool legacy = streq(ev->type, "container") || streq(ev->type, "image");
        if (legacy) {
                jv_set_str(o, "status", ev->action);
                jv_set_str(o, "id", ev->id);
                if (streq(ev->type, "container"))
                        jv_set_str(o, "from", attr(ev->attrs, "image"));
        }
        jv_set_str(o, "Type", ev->type);
        jv_set_str(o, "Action", ev->action);
        struct jv *actor = jv_object();
        jv_set_str(actor, "ID", ev->id);
        jv_set(actor, "Attributes", attrs_json(ev->attrs, cut, keep_all));
        jv_set(o, "Actor", actor);
        jv_set_str(o, "scope", "local");
        jv_set(o, "time", jv_int(t / 1000000000));
        jv_set(o, "timeNano", jv_int(t));
        return jv_dump(o, 0);
}

char *run_events_format(const struct run_event *evs, size_t n)
{
        char *out = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                /* one record fits one write whatever its labels hold */
                _cleanup_free_ char *l = format_one(&evs[i], 0, true);
                if (strlen(l) >= RUN_EVENTS_MAX) {
                        free(l);
                        l = format_one(&evs[i], 256, true);
                }
                if (strlen(l) >= RUN_EVENTS_MAX) {
                        free(l);
                        l = format_one(&evs[i], 256, false);
                }
                char *next = xasprintf("%s%s\n", out, l);
                free(out);
                out = next;
        }
        return out;
}

/* The log past its size goes to events.log.1: under the lock the first
 * writer to see it renames it; the others, seeing a new file there, go on
 * with theirs. */
static int rotate(const char *runroot, int fd)
{
        if (flock(fd, LOCK_EX) < 0)
                return -errno;
        _cleanup_free_ char *p = run_events_path(runroot, 0);
        _cleanup_free_ char *old = run_events_path(runroot, 1);
        struct stat a, b;
        int r = 0;
        if (fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev && rename(p, old) < 0)
                r = -errno;
        (void)flock(fd, LOCK_UN);
        return r;
}

static int open_log(const char *runroot, struct box_err *err)
{
        _cleanup_free_ char *p = run_events_path(runroot, 0);
        int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == ENOENT) {
                _cleanup_free_ char *dir = xasprintf("%s/events", runroot);
                int r = fs_mkdir_p(dir, 0700, err);
                if (r < 0)
                        return r;
                fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        }
        if (fd < 0)
                return box_err_errno(err, errno, "open the event log '%s'", p);
        return fd;
}

static int write_chunk(int fd, const char *p, size_t n, const char *runroot, struct box_err *err)
{
        ssize_t w = write(fd, p, n);
        if (w < 0)
                return box_err_errno(err, errno, "write the event log of '%s'", runroot);
        if ((size_t)w != n)
                return box_err_set(err, EIO, "write the event log of '%s': short write", runroot);
        return 0;
}

int run_events_write(const char *runroot, const char *lines, struct box_err *err)
{
        _cleanup_close_ int fd = open_log(runroot, err);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size >= RUN_EVENTS_LOG_MAX) {
                (void)rotate(runroot, fd);
                close(TAKE_FD(fd));
                fd = open_log(runroot, err);
                if (fd < 0)
                        return fd;
        }
        /* whole lines, each write under RUN_EVENTS_MAX bytes */
        const char *p = lines;
        size_t len = strlen(lines);
        while (len > 0) {
                size_t n = 0;
                for (const char *nl; n < len && (nl = memchr(p + n, '\n', len - n));) {
                        size_t next = (size_t)(nl - p) + 1;
                        if (next > RUN_EVENTS_MAX && n > 0)
                                break;
                        n = next;
                }
                if (n == 0)
                        n = len;
                int r = write_chunk(fd, p, n, runroot, err);
                if (r < 0)
                        return r;
                p += n;
                len -= n;
        }
        return 0;
}

int run_events_append(const char *runroot, const struct run_event *evs, size_t n,
                      struct box_err *err)
{
        _cleanup_free_ char *lines = run_events_format(evs, n);
        return run_events_write(runroot, lines, err);
}

/* box events: the event log (run/events.h) as Docker's `docker events`
 * streams its daemon's: past records with --since/--until (or podman's
 * --stream=false), then new ones as box's commands append them, until
 * --until or a signal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/events.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "spec/json.h"

/* --filter keys, as Docker's: values of one key any, keys all */
static const char *const filter_keys[] = {"container", "event", "image", "label",
                                          "network",   "scope", "type",  "volume"};
enum { F_CONTAINER, F_EVENT, F_IMAGE, F_LABEL, F_NETWORK, F_SCOPE, F_TYPE, F_VOLUME, F_N };

struct events_flags {
        int64_t since, until;
        bool has_since, has_until, stream;
        const char *format;
        char **filters[F_N];
};

static int opt_filter(void *opts, const char *arg)
{
        struct events_flags *f = opts;
        const char *eq = strchr(arg, '=');
        for (size_t i = 0; eq && i < F_N; i++) {
                if ((size_t)(eq - arg) == strlen(filter_keys[i]) &&
                    strneq(arg, filter_keys[i], strlen(filter_keys[i]))) {
                        f->filters[i] = strv_append(f->filters[i], eq + 1);
                        return 0;
                }
        }
        return cli_usage_error("events", "invalid filter '%s'", arg);
}

static int opt_when(const char *flag, const char *arg, int64_t *ret, bool *ret_set)
{
        if (cli_parse_when(arg, ret) < 0)
                return cli_usage_error("events", "invalid --%s '%s'", flag, arg);
        *ret_set = true;
        return 0;
}

static int opt_since(void *opts, const char *arg)
{
        struct events_flags *f = opts;
        return opt_when("since", arg, &f->since, &f->has_since);
}

static int opt_until(void *opts, const char *arg)
{
        struct events_flags *f = opts;
        return opt_when("until", arg, &f->until, &f->has_until);
}

#define T struct events_flags
#define R CLI_ARG_REQUIRED
static const struct cli_option events_flag_rows[] = {
        CLI_FUNC("filter", 'f', R, opt_filter, "filter",
                 "container=, event=, image=, label=K[=V], network=, type=, volume="),
        CLI_STRING("format", 0, T, format, "string", "'json' or a Go template"),
        CLI_FUNC("since", 0, R, opt_since, "T",
                 "events since T (2026-01-02T15:04:05Z, a Unix time, or a\n"
                 "duration before now: 10m, 1h30m)"),
        CLI_BOOL("stream", 0, T, stream, "bool",
                 "follow new events (false: the past ones, then exit)"),
        CLI_FUNC("until", 0, R, opt_until, "T", "stream until T (as --since)"),
        CLI_HELP("help", 'h'),
};
#undef R
#undef T

static const struct cli_options events_options =
        CLI_OPTIONS("events", events_flag_rows, 17,
                    "Usage: box events [OPTIONS]\n\nGet real time events from box's commands.\n\n"
                    "Options:\n");

/* ---- matching, as Docker's events filter ---- */

/* No such filter, or one of its values S equals (or, PREFIX: begins, as
 * Docker's FuzzyMatch) */
static bool any_match(char *const *want, const char *s, bool prefix)
{
        if (!want)
                return true;
        STRV_FOREACH (w, want)
                if (s && (prefix ? startswith(s, *w) : streq(s, *w)))
                        return true;
        return false;
}

static bool fuzzy(char *const *want, const char *s)
{
        return any_match(want, s, true);
}

static bool exact(char *const *want, const char *s)
{
        return any_match(want, s, false);
}

static char *strip_tag(const char *s)
{
        const char *slash = strrchr(s, '/'), *colon = strrchr(s, ':');
        if (colon && (!slash || colon > slash) && !strchr(s, '@'))
                return xstrndup(s, (size_t)(colon - s));
        return xstrdup(s);
}

static bool image_match(char *const *want, const char *type, const char *id, const struct jv *attrs)
{
        if (!want)
                return true;
        const char *name = jv_get_str(attrs, streq(type, "image") ? "name" : "image");
        _cleanup_free_ char *id_bare = strip_tag(id);
        _cleanup_free_ char *name_bare = name ? strip_tag(name) : NULL;
        return exact(want, id) || exact(want, name) || exact(want, id_bare) ||
               exact(want, name_bare);
}

/* health_status, exec_create and exec_start carry their detail after a
 * colon: Docker matches those by prefix */
static bool event_match(char *const *want, const char *action)
{
        STRV_FOREACH (w, want)
                if (streq(*w, "health_status") || streq(*w, "exec_create") ||
                    streq(*w, "exec_start"))
                        return fuzzy(want, action);
        return exact(want, action);
}

static bool name_match(char *const *want, const char *id, const struct jv *attrs)
{
        return !want || fuzzy(want, id) || fuzzy(want, jv_get_str(attrs, "name"));
}

static bool event_wanted(const struct events_flags *f, const struct jv *ev)
{
        const char *type = jv_get_str(ev, "Type"), *action = jv_get_str(ev, "Action");
        const struct jv *actor = jv_get(ev, "Actor");
        const char *id = jv_get_str(actor, "ID");
        const struct jv *attrs = jv_get(actor, "Attributes");
        if (!type || !action || !id)
                return false;
        int64_t t = jv_int_value(jv_get(ev, "timeNano"));
        if ((f->has_since && t < f->since) || (f->has_until && t > f->until))
                return false;
        /* container=X, volume=, network=: the actor's id or name, whatever
         * its type, as Docker's fuzzyMatchName */
        return name_match(f->filters[F_CONTAINER], id, attrs) &&
               name_match(f->filters[F_VOLUME], id, attrs) &&
               name_match(f->filters[F_NETWORK], id, attrs) &&
               event_match(f->filters[F_EVENT], action) && exact(f->filters[F_TYPE], type) &&
               exact(f->filters[F_SCOPE], "local") &&
               image_match(f->filters[F_IMAGE], type, id, attrs) &&
               cli_labels_match_json(f->filters[F_LABEL], attrs);
}

/* ---- output ---- */

/* Docker's: RFC 3339 with nanoseconds in the local zone, TYPE ACTION ID,
 * then the attributes sorted, "(k=v, k2=v2)" */
static void print_line(const struct jv *ev)
{
        int64_t t = jv_int_value(jv_get(ev, "timeNano"));
        time_t s = (time_t)(t / 1000000000);
        struct tm tm;
        localtime_r(&s, &tm);
        char when[64], zone[16] = "Z";
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        if (tm.tm_gmtoff)
                snprintf(zone, sizeof(zone), "%+03ld:%02ld", tm.tm_gmtoff / 3600,
                         labs(tm.tm_gmtoff) / 60 % 60);
        const struct jv *actor = jv_get(ev, "Actor");
        printf("%s.%09lld%s %s %s %s", when, (long long)(t % 1000000000), zone,
               jv_get_str(ev, "Type"), jv_get_str(ev, "Action"), jv_get_str(actor, "ID"));
        _cleanup_strv_free_ char **kv = cli_labels_kv(jv_get(actor, "Attributes"));
        _cleanup_strv_free_ char **pairs = NULL;
        for (size_t i = 0; kv[i] && kv[i + 1]; i += 2) {
                char *p = xasprintf("%s=%s", kv[i], kv[i + 1]);
                pairs = strv_append(pairs, p);
                free(p);
        }
        strv_sort(pairs);
        STRV_FOREACH (p, pairs)
                printf("%s%s", p == pairs ? " (" : ", ", *p);
        printf("%s\n", pairs ? ")" : "");
}

static int print_event(const struct events_flags *f, const struct jv *ev, struct box_err *err)
{
        if (!f->format || !*f->format) {
                print_line(ev);
                return 0;
        }
        _cleanup_free_ char *out = NULL;
        if (streq(f->format, "json"))
                out = jv_dump(ev, 0);
        else if (cli_format_template(f->format, ev, &out, err) < 0)
                return -err->code;
        printf("%s\n", out);
        return 0;
}

/* The whole lines of BUF (N bytes): each record parsed, filtered, printed;
 * what follows the last newline stays for the next read. */
static int take_lines(const struct events_flags *f, char *buf, size_t *n, struct box_err *err)
{
        char *p = buf, *nl;
        while ((nl = memchr(p, '\n', *n - (size_t)(p - buf)))) {
                _cleanup_jv_ struct jv *ev = NULL;
                struct box_err perr = {0};
                if (jv_parse(p, (size_t)(nl - p), &ev, &perr) == 0 && event_wanted(f, ev) &&
                    print_event(f, ev, err) < 0)
                        return -err->code;
                p = nl + 1;
        }
        *n -= (size_t)(p - buf);
        memmove(buf, p, *n);
        fflush(stdout);
        return 0;
}

/* ---- the log ---- */

struct reader {
        int fd;
        char buf[2 * RUN_EVENTS_MAX];
        size_t n;
};

static int drain(const struct events_flags *f, struct reader *rd, struct box_err *err)
{
        for (;;) {
                ssize_t k = read(rd->fd, rd->buf + rd->n, sizeof(rd->buf) - rd->n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return box_err_errno(err, errno, "read the event log");
                if (k == 0)
                        return 0;
                rd->n += (size_t)k;
                int r = take_lines(f, rd->buf, &rd->n, err);
                if (r < 0)
                        return r;
                if (rd->n == sizeof(rd->buf))
                        rd->n = 0; /* no record is this long: not one of box's */
        }
}

/* The rotated log's records, then the current one's */
static int replay(struct cli_ctx *ctx, const struct events_flags *f, struct reader *rd,
                  struct box_err *err)
{
        _cleanup_free_ char *old = run_events_path(ctx->runroot, 1);
        struct reader o = {.fd = open(old, O_RDONLY | O_CLOEXEC)};
        if (o.fd >= 0) {
                int r = drain(f, &o, err);
                close(o.fd);
                if (r < 0)
                        return r;
        }
        return drain(f, rd, err);
}

/* Has the log been rotated under RD (another file at its path now)? */
static bool rotated(const char *path, int fd)
{
        struct stat a, b;
        return fstat(fd, &a) == 0 &&
               (stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

/* New records as they come (inotify on the log's directory), across
 * rotations, until --until */
static int follow(const struct events_flags *f, const char *dir, const char *path,
                  struct reader *rd, struct box_err *err)
{
        _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        struct stat dst;
        if (in < 0 ||
            inotify_add_watch(in, dir,
                              IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF |
                                      IN_MOVE_SELF) < 0 ||
            stat(dir, &dst) < 0)
                return box_err_errno(err, errno, "watch the event log '%s'", dir);
        for (;;) {
                int r = drain(f, rd, err);
                if (r < 0)
                        return r;
                /* the runroot removed (or moved) under us: no event comes
                 * again, and waiting on would be for ever */
                struct stat now;
                if (stat(dir, &now) < 0 || now.st_ino != dst.st_ino || now.st_dev != dst.st_dev)
                        return box_err_set(err, ENOENT,
                                           "the event log's directory '%s' was removed", dir);
                _cleanup_close_ int fd =
                        rotated(path, rd->fd) ? open(path, O_RDONLY | O_CLOEXEC) : -EBADF;
                if (fd >= 0) {
                        /* what a writer put in the old one meanwhile */
                        r = drain(f, rd, err);
                        if (r < 0)
                                return r;
                        close(rd->fd);
                        rd->fd = TAKE_FD(fd);
                        rd->n = 0;
                        continue;
                }
                /* no log at its path (removed with the runroot, whose
                 * directory our open log keeps from going away in
                 * inotify's eyes; or mid-rotation): look again in a second */
                struct stat lst;
                int timeout = stat(path, &lst) < 0 ? 1000 : -1;
                if (f->has_until) {
                        int64_t left = f->until - run_events_now();
                        if (left <= 0)
                                return 0;
                        if (timeout < 0 || left / 1000000 + 1 < timeout)
                                timeout = (int)(left / 1000000 + 1);
                }
                struct pollfd p = {.fd = in, .events = POLLIN};
                if (poll(&p, 1, timeout) > 0) {
                        char ibuf[4096];
                        while (read(in, ibuf, sizeof(ibuf)) > 0)
                                ;
                }
        }
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
        struct events_flags f = {.stream = true};
        struct box_err err = {0};
        int first = cli_options_parse(&events_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("events", "'box events' accepts no arguments");
        _cleanup_free_ char *dir = xasprintf("%s/events", ctx->runroot);
        _cleanup_free_ char *path = run_events_path(ctx->runroot, 0);
        int r = fs_mkdir_p(dir, 0700, &err);
        struct reader rd = {.fd = -EBADF};
        if (r >= 0) {
                rd.fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (rd.fd < 0)
                        r = box_err_errno(&err, errno, "open the event log '%s'", path);
        }
        /* Docker's: the past with --since or --until, else only what comes */
        if (r >= 0 && (f.has_since || f.has_until || !f.stream))
                r = replay(ctx, &f, &rd, &err);
        else if (r >= 0 && lseek(rd.fd, 0, SEEK_END) < 0)
                r = box_err_errno(&err, errno, "seek the event log '%s'", path);
        if (r >= 0 && f.stream && (!f.has_until || f.until > run_events_now()))
                r = follow(&f, dir, path, &rd, &err);
        if (rd.fd >= 0)
                close(rd.fd);
        for (size_t i = 0; i < F_N; i++)
                strv_free(f.filters[i]);
        return r < 0 ? cli_fail(&err) : 0;
}

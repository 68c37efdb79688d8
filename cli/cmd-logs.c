/* box logs: a container's output from its log, in the CRI format its
 * monitor writes (run/monitor/box-monitor.c):
 *
 *     TIMESTAMP STREAM TAG CONTENT     (TAG F: the line ends; P: it goes on)
 *
 * read oldest first (ctr.log.N ... ctr.log.1, ctr.log), stdout's lines to
 * stdout and stderr's to stderr, as `docker logs` does. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cmd-run-life.h"
#include "cli/container.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

struct log_entry {
        int64_t ns;
        char ts[40];
        bool err;
        bool unended; /* the stream's last bytes, with no newline yet */
        char *text;
        size_t len; /* of text, which may hold NULs (the container's bytes) */
};

struct log_reader {
        int64_t since, until; /* ns; since 0: none */
        bool has_until;       /* a line after UNTIL is not shown (Docker's After) */
        bool timestamps;
        bool print; /* print at once (following), else collect */
        struct log_entry *v;
        size_t n;
        /* P records waiting for their F, per stream (0 stdout, 1 stderr) */
        struct buf partial[2];
        bool partial_set[2];
        struct log_entry partial_head[2];
        bool done; /* past --until */
};

static void emit(struct log_reader *lr, struct log_entry *e)
{
        bool past = lr->has_until && e->ns > lr->until;
        if ((lr->since && e->ns < lr->since) || past) {
                if (past)
                        lr->done = true;
                free(e->text);
                return;
        }
        if (!lr->print) {
                lr->v = xreallocarray(lr->v, lr->n + 1, sizeof(*lr->v));
                lr->v[lr->n++] = *e;
                return;
        }
        FILE *f = e->err ? stderr : stdout;
        if (lr->timestamps)
                fprintf(f, "%s ", e->ts);
        fwrite(e->text, 1, e->len, f);
        if (!e->unended)
                fputc('\n', f);
        fflush(f);
        free(e->text);
}

/* The text a stream's records so far make, taken from LR */
static void take_partial(struct log_reader *lr, int k, struct log_entry *e)
{
        e->len = lr->partial[k].len;
        e->text = lr->partial[k].data ? buf_steal(&lr->partial[k]) : xstrdup("");
        lr->partial[k] = (struct buf){0};
        lr->partial_set[k] = false;
}

/* One record of the file, LEN bytes without its newline. */
static void feed_line(struct log_reader *lr, const char *line, size_t len)
{
        const char *sp1 = strchr(line, ' ');
        const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2 || (sp2[1] != 'F' && sp2[1] != 'P') || (sp2[2] != ' ' && sp2[2]) ||
            (size_t)(sp1 - line) >= sizeof(lr->partial_head[0].ts))
                return; /* not a record: a torn write after a crash */
        const char *content = sp2[2] ? sp2 + 3 : "";
        int k = strneq(sp1 + 1, "stderr ", 7) ? 1 : 0;
        if (!lr->partial_set[k]) {
                struct log_entry *h = &lr->partial_head[k];
                snprintf(h->ts, sizeof(h->ts), "%.*s", (int)(sp1 - line), line);
                if (oci_time_parse_ns(h->ts, &h->ns) < 0)
                        h->ns = -1;
                h->err = k == 1;
                lr->partial_set[k] = true;
        }
        /* a NUL in the container's output is its byte, not the end */
        buf_append(&lr->partial[k], content, sp2[2] ? len - (size_t)(content - line) : 0);
        if (sp2[1] == 'P')
                return;
        struct log_entry e = lr->partial_head[k];
        take_partial(lr, k, &e);
        emit(lr, &e);
}

/* At the end of the log: what a stream wrote after its last newline is
 * shown as it is, as docker logs shows it, not dropped. */
static void flush_unended(struct log_reader *lr)
{
        for (int k = 0; k < 2; k++) {
                if (!lr->partial_set[k])
                        continue;
                struct log_entry e = lr->partial_head[k];
                take_partial(lr, k, &e);
                e.unended = true;
                emit(lr, &e);
        }
}

/* Feeds the complete lines of BUF; returns how many bytes it used. */
static size_t feed(struct log_reader *lr, char *buf, size_t len)
{
        size_t used = 0;
        while (used < len) {
                char *nl = memchr(buf + used, '\n', len - used);
                if (!nl)
                        break;
                *nl = '\0';
                feed_line(lr, buf + used, (size_t)(nl - buf) - used);
                used = (size_t)(nl - buf) + 1;
        }
        return used;
}

static void feed_file(struct log_reader *lr, const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        if (fs_read_file_at(AT_FDCWD, path, 1 << 30, &buf, &len, NULL) == 0)
                feed(lr, buf, len);
}

static bool container_live(struct cli_ctx *ctx, const char *id)
{
        enum run_status st = cli_container_status(ctx, id);
        return st == RUN_STATUS_RUNNING || st == RUN_STATUS_RESTARTING;
}

/* Follows PATH from OFFSET (across rotations) until the container stops. */
static void follow(struct cli_ctx *ctx, const char *id, struct log_reader *lr, const char *path,
                   int fd, off_t offset)
{
        struct buf pending = {0};
        char chunk[65536];
        struct stat st, cur;
        if (fd >= 0)
                (void)lseek(fd, offset, SEEK_SET);
        for (bool last = false; !lr->done;) {
                bool live = container_live(ctx, id);
                ssize_t n;
                bool got = false;
                while (fd >= 0 && (n = read(fd, chunk, sizeof(chunk))) > 0) {
                        buf_append(&pending, chunk, (size_t)n);
                        size_t used = feed(lr, pending.data, pending.len);
                        memmove(pending.data, pending.data + used, pending.len - used);
                        pending.len -= used;
                        got = true;
                }
                /* rotated: the rest of the old file is read, then the new one */
                if (stat(path, &cur) == 0 &&
                    (fd < 0 || (fstat(fd, &st) == 0 && (st.st_ino != cur.st_ino)))) {
                        if (fd >= 0)
                                close(fd);
                        fd = open(path, O_RDONLY | O_CLOEXEC);
                        pending.len = 0;
                        continue;
                }
                if (last || (!live && !got))
                        break;
                if (!live)
                        last = true;
                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
        if (fd >= 0)
                close(fd);
        buf_release(&pending);
}

static void print_collected(struct log_reader *lr, long tail)
{
        size_t first = tail >= 0 && (size_t)tail < lr->n ? lr->n - (size_t)tail : 0;
        lr->print = true;
        for (size_t i = 0; i < lr->n; i++) {
                if (i >= first) {
                        lr->v[i].ns = 0; /* already filtered */
                        int64_t s = lr->since;
                        bool u = lr->has_until;
                        lr->since = 0;
                        lr->has_until = false;
                        emit(lr, &lr->v[i]);
                        lr->since = s;
                        lr->has_until = u;
                } else {
                        free(lr->v[i].text);
                }
        }
        free(lr->v);
        lr->v = NULL;
        lr->n = 0;
}

static int show_logs(struct cli_ctx *ctx, const char *id, struct log_reader *lr, long tail,
                     bool follow_on, struct box_err *err)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const char *driver = jv_get_str(jv_get(jv_get(cfg, "HostConfig"), "LogConfig"), "Type");
        if (driver && !streq(driver, "k8s-file"))
                return box_err_set(err, EOPNOTSUPP,
                                   "configured logging driver does not support reading ('%s')",
                                   driver);
        _cleanup_free_ char *path = cli_container_log_path(ctx, id);
        int last = 0;
        for (int i = 1; i < 1000; i++) {
                _cleanup_free_ char *p = xasprintf("%s.%d", path, i);
                if (access(p, F_OK) < 0)
                        break;
                last = i;
        }
        for (int i = last; i >= 1; i--) {
                _cleanup_free_ char *p = xasprintf("%s.%d", path, i);
                feed_file(lr, p);
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        off_t offset = 0;
        if (fd >= 0) {
                _cleanup_free_ char *buf = NULL;
                size_t len = 0;
                (void)fs_read_fd(fd, 1 << 30, &buf, &len, NULL);
                offset = (off_t)feed(lr, buf, len);
        }
        if (!follow_on)
                flush_unended(lr);
        print_collected(lr, tail);
        if (follow_on) {
                follow(ctx, id, lr, path, fd, offset);
                flush_unended(lr);
        } else if (fd >= 0) {
                close(fd);
        }
        buf_release(&lr->partial[0]);
        buf_release(&lr->partial[1]);
        return 0;
}

struct logs_flags {
        struct log_reader lr;
        bool follow;
        long tail;
};

static int opt_tail(void *opts, const char *arg)
{
        struct logs_flags *f = opts;
        char *end;
        if (streq(arg, "all")) {
                f->tail = -1;
                return 0;
        }
        /* Docker's daemon reads a --tail that is no number as "all" */
        f->tail = strtol(arg, &end, 10);
        if (end == arg || *end)
                f->tail = -1;
        return 0;
}

static int opt_when(int64_t *ret, const char *arg)
{
        if (!*arg) /* Docker's client sends no --since/--until that is empty */
                return 0;
        if (cli_parse_when(arg, ret) < 0)
                return cli_usage_error("logs", "invalid time '%s'", arg);
        return 0;
}

static int opt_since(void *opts, const char *arg)
{
        return opt_when(&((struct logs_flags *)opts)->lr.since, arg);
}

static int opt_until(void *opts, const char *arg)
{
        struct log_reader *lr = &((struct logs_flags *)opts)->lr;
        /* Docker's daemon (daemon/logs.go): "" and "0" are no limit; any
         * other time is one, "0.0" (the epoch) too */
        lr->has_until = *arg && !streq(arg, "0");
        return lr->has_until ? opt_when(&lr->until, arg) : 0;
}

#define T struct logs_flags
#define R CLI_ARG_REQUIRED
static const struct cli_option logs_flag_rows[] = {
        CLI_TRUE("follow", 'f', T, follow, "follow log output until the container stops"),
        CLI_FUNC("since", 0, R, opt_since, "T",
                 "only logs since T (2026-01-02T15:04:05Z, a Unix time, or a\n"
                 "duration before now: 10m, 1h30m)"),
        CLI_FUNC("tail", 'n', R, opt_tail, "N", "the last N lines (default all)"),
        CLI_TRUE("timestamps", 't', T, lr.timestamps, "show timestamps"),
        CLI_FUNC("until", 0, R, opt_until, "T", "only logs before T (as --since)"),
        CLI_IGNORE("details", CLI_ARG_NONE),
        CLI_HELP("help", 'h'),
};
#undef R
#undef T

static const struct cli_options logs_options = CLI_OPTIONS("logs", logs_flag_rows, 17,
                                                           "Usage: box logs [OPTIONS] CONTAINER\n"
                                                           "\n"
                                                           "Fetch the logs of a container.\n"
                                                           "\n"
                                                           "Options:\n");

int cmd_logs(struct cli_ctx *ctx, int argc, char **argv)
{
        struct logs_flags f = {.tail = -1};
        struct box_err err = {0};
        int first = cli_options_parse(&logs_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("logs", "'box logs' requires exactly 1 argument");
        char id[RUN_ID_LEN + 1];
        if (cli_container_find(ctx, argv[first], id, &err) < 0 ||
            show_logs(ctx, id, &f.lr, f.tail, f.follow, &err) < 0)
                return cli_fail(&err);
        return 0;
}

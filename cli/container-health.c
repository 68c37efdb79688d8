/* Health checks: the image's HEALTHCHECK or --health-*, as Docker runs them.
 *
 * The container's monitor runs `box container healthcheck ID` every
 * interval (Config.Healthcheck.Interval, default 30 s) while the container
 * runs; each run is one probe: the check's command through run_exec() (the
 * container's namespaces, cgroup and confinement, as box exec), killed
 * after its timeout (default 30 s).  The record, Docker's State.Health, is
 * <root>/containers/<id>/health.json, replaced atomically under a flock of
 * health.lock beside it:
 *
 *     {"Status": "starting|healthy|unhealthy", "FailingStreak": N,
 *      "Log": [{"Start", "End", "ExitCode", "Output"}, ... the last 5]}
 *
 * Docker's rules (daemon/health.go): exit 0 is healthy and resets the
 * streak; anything else (a timeout is ExitCode -1) adds one to the streak,
 * except while the container is still "starting" within its start period;
 * a streak of Retries (default 3) makes it unhealthy.  Each start resets
 * the status to "starting" and the streak to 0 (the log stays).  A
 * container that no longer runs shows "unhealthy", as Docker's does once
 * its monitor stops.  Output keeps the first 4096 bytes. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/exec.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "store/store.h"

#define HEALTH_OUTPUT_MAX      4096
#define HEALTH_LOG_MAX         5
#define HEALTH_DEFAULT_NS      (30 * 1000000000LL)
#define HEALTH_RETRIES_DEFAULT 3

static const char *root_of(struct cli_ctx *ctx)
{
        struct store *st;
        return cli_store(ctx, &st, NULL) == 0 ? store_root(st) : ctx->root;
}

static const struct jv *healthcheck_of(const struct jv *cfg)
{
        const struct jv *h = jv_get(jv_get(cfg, "Config"), "Healthcheck");
        return jv_is_object(h) ? h : NULL;
}

static int64_t or_default(int64_t v, int64_t dflt)
{
        return v > 0 ? v : dflt;
}

/* Nanoseconds as whole milliseconds, rounded up: an image's interval of
 * under a millisecond must not become 0, which turns the checks off. */
static int64_t ms_of(int64_t ns)
{
        return ns / 1000000 + (ns % 1000000 != 0);
}

int64_t cli_health_interval_ms(const struct jv *cfg)
{
        const struct jv *h = healthcheck_of(cfg);
        if (!h)
                return 0;
        return ms_of(or_default(jv_int_value(jv_get(h, "Interval")), HEALTH_DEFAULT_NS));
}

int64_t cli_health_start_ms(const struct jv *cfg, int64_t *ret_period_ms)
{
        const struct jv *h = healthcheck_of(cfg);
        int64_t interval = h ? jv_int_value(jv_get(h, "StartInterval")) : 0;
        *ret_period_ms = h ? ms_of(jv_int_value(jv_get(h, "StartPeriod"))) : 0;
        return interval > 0 && *ret_period_ms > 0 ? ms_of(interval) : 0;
}

/* Takes the record's lock: the monitor's probes and `box healthcheck run`
 * may overlap. */
static int health_lock(struct cli_ctx *ctx, const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/containers/%s/health.lock", root_of(ctx), id);
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int health_write(struct cli_ctx *ctx, const char *id, const struct jv *h)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root_of(ctx), id);
        _cleanup_free_ char *text = jv_dump(h, JV_PRETTY);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        return fs_write_atomic_at(dfd, "health.json", text, strlen(text), 0644, NULL);
}

static struct jv *health_read(struct cli_ctx *ctx, const char *id)
{
        struct jv *h = run_state_read_json(root_of(ctx), id, "health.json");
        if (!h) {
                h = jv_object();
                jv_set_str(h, "Status", "starting");
                jv_set(h, "FailingStreak", jv_int(0));
        }
        if (!jv_is_array(jv_get(h, "Log")))
                jv_set(h, "Log", jv_array());
        return h;
}

void cli_health_reset(struct cli_ctx *ctx, const char *id, const struct jv *cfg)
{
        if (!healthcheck_of(cfg))
                return;
        _cleanup_close_ int lock = health_lock(ctx, id);
        _cleanup_jv_ struct jv *h = health_read(ctx, id);
        jv_set_str(h, "Status", "starting");
        jv_set(h, "FailingStreak", jv_int(0));
        (void)health_write(ctx, id, h);
}

char *cli_container_health(struct cli_ctx *ctx, const char *id, const struct run_state_info *i)
{
        if (i->status != RUN_STATUS_RUNNING)
                return NULL;
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        if (!healthcheck_of(cfg))
                return NULL;
        _cleanup_jv_ struct jv *h = run_state_read_json(root_of(ctx), id, "health.json");
        const char *st = jv_get_str(h, "Status");
        return xstrdup(st && *st ? st : "starting");
}

struct jv *cli_container_health_json(struct cli_ctx *ctx, const char *id,
                                     const struct run_state_info *i)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        if (!healthcheck_of(cfg))
                return NULL;
        struct jv *h = health_read(ctx, id);
        if (i->status != RUN_STATUS_RUNNING)
                jv_set_str(h, "Status", "unhealthy");
        return h;
}

/* ---- one probe ---- */

struct probe {
        struct timespec start, end;
        int64_t exit_code;
        char output[HEALTH_OUTPUT_MAX + 1];
};

static int64_t ts_ns(const struct timespec *t)
{
        return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* An RFC 3339 time with its fraction -> nanoseconds since the epoch. */
static int64_t time_ns(const char *s)
{
        int64_t sec = s && *s ? oci_time_parse(s) : -1;
        if (sec < 0)
                return 0;
        const char *dot = strchr(s, '.');
        int64_t ns = 0, scale = 100000000;
        for (const char *p = dot ? dot + 1 : ""; *p >= '0' && *p <= '9' && scale > 0; p++) {
                ns += (*p - '0') * scale;
                scale /= 10;
        }
        return sec * 1000000000LL + ns;
}

/* Go's time.Duration.String() for whole units: 30s, 1.5s, 500ms, 1m30s. */
static void format_duration(char *buf, size_t n, int64_t ns)
{
        if (ns < 1000000000LL) {
                snprintf(buf, n, "%lldms", (long long)(ns / 1000000));
                return;
        }
        int64_t m = ns / 60000000000LL, rest = ns % 60000000000LL;
        char sec[32];
        if (rest % 1000000000LL == 0)
                snprintf(sec, sizeof(sec), "%llds", (long long)(rest / 1000000000LL));
        else
                snprintf(sec, sizeof(sec), "%.3gs", (double)rest / 1e9);
        if (m >= 60)
                snprintf(buf, n, "%lldh%lldm%s", (long long)(m / 60), (long long)(m % 60), sec);
        else if (m > 0)
                snprintf(buf, n, "%lldm%s", (long long)m, sec);
        else
                snprintf(buf, n, "%s", sec);
}

/* A child that keeps the first HEALTH_OUTPUT_MAX bytes from IN (the
 * check's stdout and stderr) and reads the rest away, so a chatty check
 * never blocks on a full pipe; at EOF it hands what it kept over OUT. */
static pid_t drain_start(int in, int in_w, int out, int out_r)
{
        pid_t p = fork();
        if (p != 0)
                return p;
        close(in_w);
        close(out_r);
        static char buf[HEALTH_OUTPUT_MAX], sink[4096];
        size_t n = 0;
        for (;;) {
                ssize_t r = n < sizeof(buf) ? read(in, buf + n, sizeof(buf) - n)
                                            : read(in, sink, sizeof(sink));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                if (n < sizeof(buf))
                        n += (size_t)r;
        }
        (void)fs_write_full(out, buf, n);
        _exit(0);
}

/* What the drainer kept, once the check is done (a background process of
 * the check that keeps the pipe open gets 2 s). */
static void drain_collect(pid_t pid, int fd, struct probe *p)
{
        size_t n = 0;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        while (n < HEALTH_OUTPUT_MAX && poll(&pf, 1, 2000) > 0) {
                ssize_t r = read(fd, p->output + n, HEALTH_OUTPUT_MAX - n);
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        p->output[n] = '\0';
        kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
}

/* The check's argv: CMD's words, or CMD-SHELL's through /bin/sh -c. */
static char **probe_argv(const struct jv *h)
{
        _cleanup_strv_free_ char **test = jv_to_strv(jv_get(h, "Test"));
        if (!test || !test[0])
                return NULL;
        if (streq(test[0], "CMD") && test[1])
                return strv_copy(test + 1);
        if (streq(test[0], "CMD-SHELL") && test[1]) {
                char **v = strv_append(strv_append(NULL, "/bin/sh"), "-c");
                return strv_append(v, test[1]);
        }
        return NULL;
}

/* Runs the check once: -ESRCH when the container does not run (nothing
 * to record); else P holds the result. */
static int probe_run(struct cli_ctx *ctx, const char *id, const struct jv *h, struct probe *p,
                     struct box_err *err)
{
        _cleanup_strv_free_ char **argv = probe_argv(h);
        if (!argv)
                return box_err_set(err, EINVAL, "container %.12s has an invalid health check", id);
        int64_t timeout = or_default(jv_int_value(jv_get(h, "Timeout")), HEALTH_DEFAULT_NS);
        _cleanup_close_pair_ int out[2] = {-1, -1}, kept[2] = {-1, -1};
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(kept, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "health check: pipe");
        fflush(NULL);
        pid_t drainer = drain_start(out[0], out[1], kept[1], kept[0]);
        if (drainer < 0)
                return box_err_errno(err, errno, "health check: fork");
        close(TAKE_FD(out[0]));
        close(TAKE_FD(kept[1]));
        int stdio[3] = {null, out[1], out[1]}, status = 0;
        struct run_exec x = {.argv = argv,
                             .stdio = stdio,
                             .timeout_ms =
                                     (int)(ms_of(timeout) < INT_MAX ? ms_of(timeout) : INT_MAX)};
        clock_gettime(CLOCK_REALTIME, &p->start);
        struct box_err e = {0};
        int r = run_exec(root_of(ctx), ctx->runroot, id, &x, &status, &e);
        clock_gettime(CLOCK_REALTIME, &p->end);
        close(TAKE_FD(out[1]));
        drain_collect(drainer, kept[0], p);
        if (r == -ESRCH) {
                *err = e;
                return r;
        }
        if (r < 0) {
                /* could not run it: a failure, with the reason as output */
                p->exit_code = e.exit_code ? e.exit_code : -1;
                snprintf(p->output, sizeof(p->output), "%s", e.msg);
        } else if (status == 137 && ts_ns(&p->end) - ts_ns(&p->start) >= timeout) {
                char d[48];
                format_duration(d, sizeof(d), timeout);
                p->exit_code = -1;
                snprintf(p->output, sizeof(p->output), "Health check exceeded timeout (%s)", d);
        } else {
                p->exit_code = status;
        }
        return 0;
}

/* Adds P to the record by Docker's rules: the new status. */
static const char *probe_record(struct cli_ctx *ctx, const char *id, const struct jv *hc,
                                const struct probe *p)
{
        struct run_state_info i;
        if (cli_container_state(ctx, id, &i) < 0)
                return NULL;
        int64_t started = time_ns(i.started_at);
        run_state_info_release(&i);
        _cleanup_close_ int lock = health_lock(ctx, id);
        _cleanup_jv_ struct jv *h = health_read(ctx, id);
        struct jv *e = jv_object();
        _cleanup_free_ char *start = oci_time_format_ns(p->start.tv_sec, p->start.tv_nsec);
        _cleanup_free_ char *end = oci_time_format_ns(p->end.tv_sec, p->end.tv_nsec);
        jv_set_str(e, "Start", start);
        jv_set_str(e, "End", end);
        jv_set(e, "ExitCode", jv_int(p->exit_code));
        jv_set_str(e, "Output", p->output);
        struct jv *log = jv_array(), *old = jv_get(h, "Log");
        size_t n = jv_len(old), from = n + 1 > HEALTH_LOG_MAX ? n + 1 - HEALTH_LOG_MAX : 0;
        for (size_t k = from; k < n; k++)
                jv_push(log, jv_ref(jv_at(old, k)));
        jv_push(log, e);
        jv_set(h, "Log", log);
        int64_t streak = jv_int_value(jv_get(h, "FailingStreak"));
        const char *status = jv_get_str(h, "Status");
        _cleanup_free_ char *was = xstrdup(strempty(status));
        if (p->exit_code == 0) {
                streak = 0;
                status = "healthy";
        } else {
                int64_t period = jv_int_value(jv_get(hc, "StartPeriod"));
                bool grace =
                        status && streq(status, "starting") && ts_ns(&p->start) - started < period;
                int64_t retries =
                        or_default(jv_int_value(jv_get(hc, "Retries")), HEALTH_RETRIES_DEFAULT);
                if (!grace && ++streak >= retries)
                        status = "unhealthy";
        }
        static const char *const words[] = {"starting", "healthy", "unhealthy"};
        const char *word = "starting";
        for (size_t k = 0; k < ARRAY_SIZE(words); k++)
                if (status && streq(status, words[k]))
                        word = words[k];
        jv_set_str(h, "Status", word);
        jv_set(h, "FailingStreak", jv_int(streak));
        (void)health_write(ctx, id, h);
        /* Docker's: an event when the status changes */
        if (!streq(was, word)) {
                _cleanup_free_ char *action = xasprintf("health_status: %s", word);
                cli_event_container(ctx, id, action, NULL);
        }
        return word;
}

/* One probe of container NAME, recorded: its exit code (0 passed, else
 * failed), -errno (ERR set) when it could not be run. */
static int health_probe(struct cli_ctx *ctx, const char *name, const char **ret_status,
                        struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        int r = cli_container_find(ctx, name, id, err);
        if (r < 0)
                return r;
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const struct jv *hc = healthcheck_of(cfg);
        if (!hc)
                return box_err_set(err, EINVAL, "container '%s' has no defined healthcheck", name);
        if (cli_container_status(ctx, id) != RUN_STATUS_RUNNING)
                return box_err_set(err, ESRCH, "container '%s' is not running", name);
        struct probe *p = xnew0(struct probe, 1);
        r = probe_run(ctx, id, hc, p, err);
        const char *st = r < 0 ? NULL : probe_record(ctx, id, hc, p);
        int code = (int)p->exit_code;
        free(p);
        if (r < 0)
                return r;
        if (ret_status)
                *ret_status = st;
        return code;
}

/* box container healthcheck ID: run by the monitor, quiet. */
int cmd_container_healthcheck(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        int first =
                cli_options_parse_help("container healthcheck",
                                       "Usage: box container healthcheck ID\n", false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1 || !run_id_valid(argv[first]))
                return cli_usage_error("container healthcheck", "requires a container id");
        int r = health_probe(ctx, argv[first], NULL, &err);
        return r < 0 && r != -ESRCH ? cli_fail(&err) : 0;
}

static const char run_help[] =
        "Usage: box healthcheck run CONTAINER\n"
        "\n"
        "Run the container's health check once and record it; prints the\n"
        "result (healthy or unhealthy) and exits 0 when the check passed, 1\n"
        "when it failed.\n";

static int cmd_healthcheck_run(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        int first = cli_options_parse_help("healthcheck run", run_help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("healthcheck run",
                                       "'box healthcheck run' requires exactly 1 argument");
        const char *st = NULL;
        int r = health_probe(ctx, argv[first], &st, &err);
        if (r < 0)
                return cli_fail(&err);
        /* podman's: silent when the check passed, "unhealthy" and 1 when not */
        if (r != 0)
                printf("unhealthy\n");
        return r == 0 ? 0 : 1;
}

static const struct cli_command healthcheck_commands[] = {
        {"run", "Run the health check of a container", cmd_healthcheck_run, 0},
        {},
};

int cmd_healthcheck(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "healthcheck", healthcheck_commands, argc, argv);
}

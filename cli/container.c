/* The container commands' shared half: lookup, config, the detached start
 * and what happens when a container ends (`box container cleanup`, run by
 * its monitor in the same process, holding the lock).
 *
 * The restart policy is Docker's: no, on-failure[:N] (a non-zero exit, at
 * most N restarts), always, unless-stopped (the same without a daemon to
 * restart); stop, kill and rm -f mark the container so it is not restarted.
 * Back-off: 100 ms, doubled after every start that ran less than 10 s, at
 * most a minute. */
#include "cli/container.h"
#include "cli/events.h"
#include "run/events.h"
#include "cli/options.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "run/network.h"
#include "run/spec-file.h"
#include "run/volume.h"
#include "store/image.h"
#include "spec/json.h"
#include "store/store.h"

int cli_container_find(struct cli_ctx *ctx, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                       struct box_err *err)
{
        struct store *st;
        int r = cli_store(ctx, &st, err);
        if (r < 0)
                return r;
        return run_state_lookup(store_root(st), name_or_id, ret_id, err);
}

const char *cli_container_root(struct cli_ctx *ctx)
{
        struct store *st;
        if (cli_store(ctx, &st, NULL) < 0)
                return ctx->root;
        return store_root(st);
}

struct jv *cli_container_config(struct cli_ctx *ctx, const char *id)
{
        return run_state_read_json(cli_container_root(ctx), id, "config.json");
}

int cli_container_spec(struct cli_ctx *ctx, const char *id, struct run_spec_file *ret,
                       struct box_err *err)
{
        _cleanup_free_ char *p =
                xasprintf("%s/containers/%s/spec.json", cli_container_root(ctx), id);
        _cleanup_free_ char *text = NULL;
        int r = fs_read_file_at(AT_FDCWD, p, 1 << 24, &text, NULL, err);
        if (r < 0)
                return box_err_prefix(err, "container %.12s", id);
        return run_spec_file_parse(text, ret, err);
}

char *cli_container_log_path(struct cli_ctx *ctx, const char *id)
{
        return xasprintf("%s/containers/%s/ctr.log", cli_container_root(ctx), id);
}

/* box-monitor: beside box (the build tree), else in libexec (installed). */
static char *monitor_path(const char *self)
{
        _cleanup_free_ char *dir = xstrdup(self);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        char *p = xasprintf("%s/box-monitor", dir);
        if (access(p, X_OK) == 0)
                return p;
        free(p);
        return xasprintf("%s/../libexec/box/box-monitor", dir);
}

static int64_t parse_size_opt(const char *s, int64_t dflt)
{
        int64_t v;
        return s && run_parse_bytes(s, &v) == 0 && v > 0 ? v : dflt;
}

#define LOG_MAX_SIZE_DEFAULT (10 * 1024 * 1024)
#define LOG_MAX_FILE_DEFAULT 3

/* The monitor's settings, from config.json. */
static void monitor_from_config(const struct jv *cfg, struct run_monitor *m)
{
        const struct jv *lc = jv_get(jv_get(cfg, "HostConfig"), "LogConfig");
        const struct jv *lo = jv_get(lc, "Config");
        m->log_driver = jv_get_str(lc, "Type");
        m->log_max_size = parse_size_opt(jv_get_str(lo, "max-size"), LOG_MAX_SIZE_DEFAULT);
        const char *mf = jv_get_str(lo, "max-file");
        m->log_max_file = mf ? strtoll(mf, NULL, 10) : LOG_MAX_FILE_DEFAULT;
        if (m->log_max_file < 1)
                m->log_max_file = 1;
        /* it runs `box container healthcheck ID` that often */
        m->health_interval_ms = cli_health_interval_ms(cfg);
        m->health_start_interval_ms = cli_health_start_ms(cfg, &m->health_start_period_ms);
}

/* Records that container S failed to start (or removes it with --rm). */
static void record_start_failure(struct cli_ctx *ctx, struct run_state *s, const struct jv *cfg,
                                 const struct box_err *e)
{
        if (jv_bool_value(jv_get(jv_get(cfg, "HostConfig"), "AutoRemove"))) {
                if (run_state_remove(cli_container_root(ctx), ctx->runroot, s->id, true, NULL) >= 0)
                        cli_event_container(ctx, s->id, "destroy", NULL);
                return;
        }
        /* Docker's: a container that never ran stays "created" (a box
         * create, a first run -d), one that ran before is "exited"; both
         * with the start's exit code and error */
        _cleanup_jv_ struct jv *st = run_state_read_json(cli_container_root(ctx), s->id, "state");
        const char *prev = jv_get_str(st, "status");
        struct run_state_update u = {.status =
                                             prev && streq(prev, "created") ? "created" : "exited",
                                     .exit_code = e->exit_code ? e->exit_code : EXIT_BOX,
                                     .error = e->msg};
        (void)run_state_change(s, &u, NULL);
}

static int net_setup(pid_t pid, void *userdata, struct box_err *err)
{
        return run_net_attach_netns(userdata, pid, err);
}

/* The host ports' sockets a container's monitor kept for its restart
 * (`box container cleanup --port-fds`), borrowed by start_in_monitor(). */
struct kept_ports {
        const int *fds;
        size_t n;
};

/* --network container:ID (config.json's NetworkMode): the network
 * namespace of that container, which must run. */
static int peer_netns(struct cli_ctx *ctx, const struct jv *cfg, int *ret_fd, int *ret_userns_fd,
                      struct box_err *err)
{
        const char *mode = jv_get_str(jv_get(cfg, "HostConfig"), "NetworkMode");
        char id[RUN_ID_LEN + 1];
        if (!mode || !startswith(mode, "container:"))
                return box_err_set(err, EINVAL, "no container in its network mode '%s'",
                                   strempty(mode));
        int r = run_state_lookup(cli_container_root(ctx), mode + 10, id, err);
        if (r >= 0)
                r = run_state_open_netns(ctx->runroot, id, ret_fd, err);
        /* with maps (the other's): its user namespace, which owns that one */
        if (r >= 0 && ret_userns_fd)
                r = run_state_open_userns(ctx->runroot, id, ret_userns_fd, err);
        if (r < 0)
                return box_err_prefix(err, "--network %s", mode);
        return 0;
}

/* In the monitor-to-be, holding S's lock: starts the container and execs
 * the monitor; returns only on failure, recorded. */
static int start_in_monitor(struct cli_ctx *ctx, struct run_state *s, int ready_fd, bool attach,
                            const struct kept_ports *kept, struct box_err *err)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, s->id);
        struct run_spec_file f;
        int r = cli_container_spec(ctx, s->id, &f, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
        _cleanup_free_ char *mon = self ? monitor_path(self) : NULL;
        _cleanup_free_ char *log = cli_container_log_path(ctx, s->id);
        struct run_monitor m = {
                .monitor_bin = mon,
                .box = self,
                .root = cli_container_root(ctx),
                .runroot = ctx->runroot,
                .log_path = log,
                .ready_fd = ready_fd,
                /* the starter's attach comes within milliseconds; if it
                 * never does, the container goes on after this */
                .attach_wait_ms = attach ? 10000 : 0,
        };
        monitor_from_config(cfg, &m);
        _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, NULL);
        struct run_event start = {"container", "start", s->id, attrs, 0};
        m.start_event = &start;
        _cleanup_free_ char *prelude =
                cli_event_start_prelude(cli_container_root(ctx), s->id, cfg, 0);
        m.start_prelude = prelude;
        _cleanup_free_ char *stopping = xasprintf("%s/" RUN_MARK_STOPPING, s->run_dir);
        (void)unlink(stopping);
        struct run_net_attachment *net = NULL;
        _cleanup_free_ int *port_fds = NULL;
        cli_health_reset(ctx, s->id, cfg);
        if (!self)
                r = box_err_errno(err, errno, "find box's own binary");
        /* a volume with a device, unmounted since (a reboot) */
        if (r >= 0)
                r = run_volume_mount_used(cli_container_root(ctx), s->dir, err);
        if (r >= 0 && f.spec.network == RUN_NETWORK_PRIVATE && cfg)
                r = cli_run_network_attach(cli_container_root(ctx), ctx->runroot, s, cfg,
                                           kept ? kept->fds : NULL, kept ? kept->n : 0, &net, err);
        _cleanup_close_ int peer_ns = -EBADF, peer_userns = -EBADF;
        f.spec.join_userns = f.spec.network == RUN_NETWORK_CONTAINER && f.spec.n_uid_map > 0;
        if (r >= 0 && f.spec.network == RUN_NETWORK_CONTAINER)
                r = peer_netns(ctx, cfg, &peer_ns, f.spec.join_userns ? &peer_userns : NULL, err);
        f.spec.netns_fd = peer_ns;
        f.spec.userns_fd = peer_userns;
        m.net_late = f.spec.network == RUN_NETWORK_PRIVATE;
        int peer[2] = {-EBADF, -EBADF}; /* --pid/--ipc container:ID */
        if (r >= 0 && cfg)
                r = cli_run_peer_open(ctx->runroot, cfg, &f.spec, peer, err);
        if (r >= 0 && net) {
                /* the monitor keeps the host ports bound (the container
                 * closes every fd of box), and hands them to its cleanup */
                r = run_net_attach_keep_ports(net, &port_fds, &m.n_port_fds, err);
                m.port_fds = port_fds;
                f.spec.net_setup = net_setup;
                f.spec.net_userdata = net;
        }
        if (r >= 0)
                r = run_container_start_detached(s, &f.spec, &m, err);
        cli_run_peer_close(peer);
        run_net_detach(net);
        record_start_failure(ctx, s, cfg, err);
        run_spec_file_release(&f);
        return r;
}

/* Closes what box's caller left open without CLOEXEC (a test harness's fd
 * 3, a shell's redirections): the monitor must not keep them. */
static void close_inherited_fds(void)
{
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        int dfd = d ? dirfd(d) : -1;
        FS_FOREACH_DIRENT (de, d) {
                int fd = (int)strtol(de->d_name, NULL, 10);
                int fl = fcntl(fd, F_GETFD);
                if (fd > 2 && fd != dfd && fl >= 0 && !(fl & FD_CLOEXEC))
                        close(fd);
        }
}

int cli_container_start(struct cli_ctx *ctx, const char *id, bool attach, struct box_err *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "pipe");
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return box_err_errno(err, errno, "fork");
        if (pid == 0) {
                struct box_err e = {0};
                struct run_state *s = NULL;
                close(p[0]);
                close_inherited_fds();
                /* out of the user's session: the terminal's signals are not
                 * the monitor's */
                (void)setsid();
                int r = run_state_open(cli_container_root(ctx), ctx->runroot, id, -1, &s, &e);
                if (r >= 0)
                        r = start_in_monitor(ctx, s, p[1], attach, NULL, &e);
                (void)fs_write_full(p[1], &e, sizeof(e));
                _exit(EXIT_BOX);
        }
        close(p[1]);
        struct box_err rec;
        bool got = false, failed = false;
        ssize_t n;
        while ((n = fs_read_full(p[0], &rec, sizeof(rec))) == (ssize_t)sizeof(rec)) {
                got = true;
                failed = rec.code != 0;
                if (failed)
                        *err = rec;
        }
        close(p[0]);
        if (!got) {
                int st;
                (void)waitpid(pid, &st, 0);
                return box_err_set(err, EIO,
                                   "the monitor of container %.12s ended before it started", id);
        }
        if (failed) {
                (void)waitpid(pid, NULL, 0);
                err->msg[sizeof(err->msg) - 1] = '\0';
                return -err->code;
        }
        return 0;
}

/* ---- when a container ends ---- */

static void sleep_ms(int64_t ms)
{
        nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

void cli_container_settle(struct cli_ctx *ctx, const char *id)
{
        struct run_state_info i;
        cli_container_state(ctx, id, &i); /* a dead monitor's exit: recorded */
        bool exiting = i.exiting;
        run_state_info_release(&i);
        if (exiting)
                run_state_wait_settled(cli_container_root(ctx), ctx->runroot, id, 10000);
}

static int64_t parse_time(const char *s)
{
        struct tm tm = {0};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

/* Should the container restart, after how long?  -1: no. */
static int64_t restart_delay(struct cli_ctx *ctx, const struct run_state *s, const struct jv *cfg,
                             int exit_code)
{
        const struct jv *rp = jv_get(jv_get(cfg, "HostConfig"), "RestartPolicy");
        const char *name = jv_get_str(rp, "Name");
        if (!name || !*name || streq(name, "no") ||
            run_state_marked(ctx->runroot, s->id, RUN_MARK_STOPPING))
                return -1;
        /* the store's record itself: run_state_info_read() would open and
         * close the lock file, and closing any fd of it drops the POSIX
         * lock this process holds */
        _cleanup_jv_ struct jv *st = run_state_read_json(cli_container_root(ctx), s->id, "state");
        int64_t count = jv_int_value(jv_get(st, "restart_count"));
        int64_t ran = time(NULL) - parse_time(jv_get_str(st, "started_at"));
        if (streq(name, "on-failure")) {
                int64_t max = jv_int_value(jv_get(rp, "MaximumRetryCount"));
                if (exit_code == 0 || (max > 0 && count >= max))
                        return -1;
        } else if (!streq(name, "always") && !streq(name, "unless-stopped")) {
                return -1;
        }
        _cleanup_free_ char *bp = xasprintf("%s/backoff", s->run_dir), *buf = NULL;
        int64_t delay = 100;
        if (ran < 10 && fs_read_file_at(AT_FDCWD, bp, 64, &buf, NULL, NULL) == 0)
                delay = strtoll(buf, NULL, 10) * 2;
        if (delay < 100)
                delay = 100;
        if (delay > 60000)
                delay = 60000;
        char v[32];
        snprintf(v, sizeof(v), "%lld\n", (long long)delay);
        _cleanup_close_ int fd = open(bp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0)
                (void)fs_write_full(fd, v, strlen(v));
        return delay;
}

/* Whether the OOM killer killed a process of container ID, asked of its
 * cgroup before it goes. */
static bool container_oom_killed(const char *parent, const char *id)
{
        struct run_cgroup *cg = NULL;
        if (run_cgroup_open(parent, id, &cg, NULL) < 0)
                return false;
        bool killed = run_cgroup_oom_killed(cg);
        run_cgroup_free(cg);
        return killed;
}

/* Holding S's lock after its container ended: releases what it held,
 * then restarts it (MAY_RESTART, by its policy: does not return when it
 * runs again), removes it (--rm) or records its exit. */
static int container_finish(struct cli_ctx *ctx, struct run_state *s, int exit_code,
                            const char *finished_at, const char *error, bool may_restart,
                            const struct kept_ports *kept, struct box_err *err)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, s->id);
        struct run_spec_file f;
        /* Docker's "oom" before the die, read before its cgroup goes */
        const char *parent = jv_get_str(jv_get(cfg, "HostConfig"), "CgroupParent");
        bool oom = container_oom_killed(parent, s->id);
        if (oom)
                cli_event_container(ctx, s->id, "oom", NULL);
        /* its addresses, rules and the other members' /etc/hosts lines */
        (void)run_net_cleanup(cli_container_root(ctx), ctx->runroot, s->id, NULL);
        if (cli_container_spec(ctx, s->id, &f, NULL) == 0) {
                run_container_release(&f.spec);
                run_spec_file_release(&f);
        } else {
                run_cgroup_remove_stale(NULL, s->id);
        }
        char code[16];
        snprintf(code, sizeof(code), "%d", exit_code);
        _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, NULL);
        _cleanup_strv_free_ char **die =
                cli_event_container_attrs(cfg, (char *[]){"exitCode", code, NULL});
        cli_event(ctx, "container", "die", s->id, die);
        int64_t delay = may_restart ? restart_delay(ctx, s, cfg, exit_code) : -1;
        if (delay >= 0) {
                struct run_state_update u = {.status = "restarting",
                                             .exit_code = exit_code,
                                             .finished_at = finished_at,
                                             .oom_killed = oom};
                (void)run_state_change(s, &u, NULL);
                sleep_ms(delay);
                if (!run_state_marked(ctx->runroot, s->id, RUN_MARK_STOPPING))
                        return start_in_monitor(ctx, s, -1, false, kept, err);
        }
        /* the host ports it published are free before anyone can read
         * that it exited (the monitor kept them bound for a restart) */
        for (size_t i = 0; kept && i < kept->n; i++)
                close(kept->fds[i]);
        if (jv_bool_value(jv_get(jv_get(cfg, "HostConfig"), "AutoRemove"))) {
                int r = run_state_remove(cli_container_root(ctx), ctx->runroot, s->id, true, err);
                if (r >= 0)
                        cli_event(ctx, "container", "destroy", s->id, attrs);
                return r;
        }
        struct run_state_update u = {.status = "exited",
                                     .exit_code = exit_code,
                                     .finished_at = finished_at,
                                     .error = error,
                                     .oom_killed = oom};
        return run_state_change(s, &u, err);
}

int cli_container_state(struct cli_ctx *ctx, const char *id, struct run_state_info *ret)
{
        int r = run_state_info_read(cli_container_root(ctx), ctx->runroot, id, ret);
        if (r < 0 || !ret->stale)
                return r;
        /* its monitor is gone: whoever takes the lock first records the exit */
        struct run_state *s = NULL;
        if (run_state_open(cli_container_root(ctx), ctx->runroot, id, -1, &s, NULL) == 0) {
                (void)container_finish(ctx, s, ret->exit_code,
                                       *ret->finished_at ? ret->finished_at : NULL, ret->error,
                                       false, NULL, NULL);
                run_state_free(s);
        }
        run_state_info_release(ret);
        return run_state_info_read(cli_container_root(ctx), ctx->runroot, id, ret);
}

/* --port-fds "5,6": sockets, made CLOEXEC (a restart dup's them for its
 * monitor; the rest close with this process). */
static size_t parse_port_fds(const char *s, int *fds, size_t max)
{
        size_t n = 0;
        while (s && *s && n < max) {
                char *end;
                long v = strtol(s, &end, 10);
                struct stat st;
                if (end == s || v < 3 || v > INT_MAX || fstat((int)v, &st) < 0 ||
                    !S_ISSOCK(st.st_mode))
                        break;
                fds[n++] = (int)v;
                (void)fcntl((int)v, F_SETFD, FD_CLOEXEC);
                s = *end == ',' ? end + 1 : end;
        }
        return n;
}

struct cleanup_flags {
        int lock_fd;
        int fds[64];
        size_t n_fds;
};

static int opt_lock_fd(void *opts, const char *arg)
{
        ((struct cleanup_flags *)opts)->lock_fd = (int)strtol(arg, NULL, 10);
        return 0;
}

static int opt_port_fds(void *opts, const char *arg)
{
        struct cleanup_flags *f = opts;
        f->n_fds = parse_port_fds(arg, f->fds, ARRAY_SIZE(f->fds));
        return 0;
}

static const struct cli_option cleanup_flag_rows[] = {
        CLI_FUNC("lock-fd", 0, CLI_ARG_REQUIRED, opt_lock_fd, NULL, NULL),
        CLI_FUNC("port-fds", 0, CLI_ARG_REQUIRED, opt_port_fds, NULL, NULL),
        CLI_HELP("help", 'h'),
};

static const struct cli_options cleanup_options =
        CLI_OPTIONS("container cleanup", cleanup_flag_rows, 0,
                    "Usage: box container cleanup [--lock-fd N] [--port-fds N,N...] ID\n",
                    .stop_at_operand = true);

/* box container cleanup [--lock-fd N] [--port-fds N,N...] ID: run by the
 * monitor, in its own process, when the container has ended. */
int cmd_container_cleanup(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct cleanup_flags f = {.lock_fd = -1};
        int first = cli_options_parse(&cleanup_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        int lock_fd = f.lock_fd;
        struct kept_ports kept = {.fds = f.fds, .n = f.n_fds};
        argc -= first - 1;
        argv += first - 1;
        if (argc != 2 || !run_id_valid(argv[1]))
                return cli_usage_error("container cleanup", "requires a container id");
        struct run_state *s = NULL;
        int r = run_state_open(cli_container_root(ctx), ctx->runroot, argv[1], lock_fd, &s, &err);
        if (r < 0)
                return cli_fail(&err);
        int code = 255;
        _cleanup_free_ char *when = NULL;
        (void)run_state_exit_record(s, &code, &when);
        r = container_finish(ctx, s, code, when, NULL, lock_fd >= 0, &kept, &err);
        run_state_free(s);
        return r < 0 ? cli_fail(&err) : 0;
}

/* ---- signals and stop ---- */

static const struct {
        const char *name;
        int sig;
} signals[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS},
};

int cli_signal_parse(const char *s)
{
        if (!s || !*s)
                return -EINVAL;
        char *end;
        long n = strtol(s, &end, 10);
        if (end != s && !*end)
                return n >= 1 && n <= SIGRTMAX ? (int)n : -EINVAL;
        const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
                if (strcasecmp(name, signals[i].name) == 0)
                        return signals[i].sig;
        if (strcasecmp(name, "RTMIN") == 0)
                return SIGRTMIN;
        if (strcasecmp(name, "RTMAX") == 0)
                return SIGRTMAX;
        if (strncasecmp(name, "RTMIN+", 6) == 0 || strncasecmp(name, "RTMAX-", 6) == 0) {
                n = strtol(name + 6, &end, 10);
                int sig = toupper((unsigned char)name[3]) == 'I' ? SIGRTMIN + (int)n
                                                                 : SIGRTMAX - (int)n;
                if (end != name + 6 && !*end && sig >= SIGRTMIN && sig <= SIGRTMAX)
                        return sig;
        }
        return -EINVAL;
}

int cli_container_stop_signal(const struct jv *cfg)
{
        int sig = cli_signal_parse(jv_get_str(jv_get(cfg, "Config"), "StopSignal"));
        return sig > 0 ? sig : SIGTERM;
}

int cli_container_stop(struct cli_ctx *ctx, const char *id, int timeout, int sig,
                       struct box_err *err)
{
        struct run_state_info i;
        enum run_status st = cli_container_status(ctx, id);
        if (st == RUN_STATUS_RESTARTING) {
                /* its monitor waits to start it again: not any more */
                (void)run_state_mark(ctx->runroot, id, RUN_MARK_STOPPING);
                (void)run_state_wait_monitor(ctx->runroot, id, 70000);
                return 0;
        }
        if (st != RUN_STATUS_RUNNING)
                return 0;
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        if (timeout == CLI_STOP_TIMEOUT_UNSET) {
                const struct jv *t = jv_get(jv_get(cfg, "Config"), "StopTimeout");
                timeout = jv_is_int(t) ? (int)jv_int_value(t) : 10;
        }
        (void)run_state_mark(ctx->runroot, id, RUN_MARK_STOPPING);
        sig = sig > 0 ? sig : cli_container_stop_signal(cfg);
        int r = run_state_signal(ctx->runroot, id, sig, err);
        if (r == -ESRCH)
                box_err_clear(err);
        else if (r < 0)
                return r;
        else
                cli_event_container_signal(ctx, id, sig);
        /* a frozen container cannot act on its signal (Docker thaws it) */
        struct run_spec_file f;
        if (cli_container_spec(ctx, id, &f, NULL) == 0) {
                if (run_cgroup_frozen(f.spec.cgroup_parent, id))
                        (void)run_cgroup_freeze(f.spec.cgroup_parent, id, false, NULL);
                run_spec_file_release(&f);
        }
        if (run_state_wait_exit(ctx->runroot, id, timeout < 0 ? -1 : timeout * 1000) < 0) {
                r = run_state_signal(ctx->runroot, id, SIGKILL, err);
                if (r < 0 && r != -ESRCH)
                        return r;
                if (r >= 0)
                        cli_event_container_signal(ctx, id, SIGKILL);
                box_err_clear(err);
                (void)run_state_wait_exit(ctx->runroot, id, 10000);
        }
        if (run_state_wait_monitor(ctx->runroot, id, 10000) < 0)
                return box_err_set(err, ETIMEDOUT, "the monitor of container %.12s did not end",
                                   id);
        /* a dead monitor's container: recorded now */
        cli_container_state(ctx, id, &i);
        run_state_info_release(&i);
        cli_event_container(ctx, id, "stop", NULL);
        return 0;
}

bool cli_container_paused(struct cli_ctx *ctx, const char *id)
{
        struct run_spec_file f;
        if (cli_container_spec(ctx, id, &f, NULL) < 0)
                return false;
        bool frozen = run_cgroup_frozen(f.spec.cgroup_parent, id);
        run_spec_file_release(&f);
        return frozen;
}

int cli_container_freeze(struct cli_ctx *ctx, const char *id, bool freeze, struct box_err *err)
{
        struct run_spec_file f;
        int r = cli_container_spec(ctx, id, &f, err);
        if (r < 0)
                return r;
        r = run_cgroup_freeze(f.spec.cgroup_parent, id, freeze, err);
        run_spec_file_release(&f);
        return r;
}

enum run_status cli_container_status(struct cli_ctx *ctx, const char *id)
{
        struct run_state_info i;
        cli_container_state(ctx, id, &i);
        enum run_status st = i.status;
        run_state_info_release(&i);
        return st;
}

int cli_containers_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter, int64_t *freed,
                         struct box_err *err)
{
        /* what transient containers left (no record: nothing to list) */
        (void)run_state_prune_leftovers(cli_container_root(ctx), ctx->runroot);
        _cleanup_strv_free_ char **ids = run_state_list(cli_container_root(ctx));
        bool header = false;
        STRV_FOREACH (id, ids) {
                struct run_state_info i;
                struct run_state *s = NULL;
                /* not running, and nobody (a start, a monitor) holds it */
                if (cli_container_state(ctx, *id, &i) < 0)
                        continue;
                bool stopped = i.status == RUN_STATUS_EXITED || i.status == RUN_STATUS_CREATED;
                if (stopped && filter) {
                        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, *id);
                        stopped = cli_prune_filter_takes_json(
                                filter, i.created_at, jv_get(jv_get(cfg, "Config"), "Labels"));
                }
                run_state_info_release(&i);
                if (!stopped ||
                    run_state_open(cli_container_root(ctx), ctx->runroot, *id, -1, &s, NULL) < 0)
                        continue;
                int64_t size = run_state_disk_usage(cli_container_root(ctx), *id);
                _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, *id);
                int r = run_state_remove(cli_container_root(ctx), ctx->runroot, *id, false, err);
                run_state_free(s);
                if (r < 0)
                        return box_err_prefix(err, "remove container %.12s", *id);
                _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, NULL);
                cli_event(ctx, "container", "destroy", *id, attrs);
                if (!header)
                        printf("Deleted Containers:\n");
                header = true;
                printf("%s\n", *id);
                *freed += size > 0 ? size : 0;
        }
        if (header)
                printf("\n");
        return 0;
}

const char *cli_container_state_word(struct cli_ctx *ctx, const char *id,
                                     const struct run_state_info *i, bool *ret_paused)
{
        *ret_paused = false;
        switch (i->status) {
        case RUN_STATUS_CREATED:
                return "created";
        case RUN_STATUS_RESTARTING:
                return "restarting";
        case RUN_STATUS_EXITED:
                return "exited";
        case RUN_STATUS_RUNNING:
                break;
        }
        *ret_paused = cli_container_paused(ctx, id);
        return *ret_paused ? "paused" : "running";
}

void cli_container_sizes(struct cli_ctx *ctx, const char *id, const struct jv *cfg, int64_t *ret_rw,
                         int64_t *ret_rootfs)
{
        struct store *st;
        int64_t rw = 0, image = 0;
        if (cli_store(ctx, &st, NULL) == 0) {
                _cleanup_free_ char *up = run_state_upper_dir(store_root(st), id);
                rw = fs_tree_size_at(AT_FDCWD, up);
                if (rw < 0)
                        rw = 0;
                const char *img = jv_get_str(cfg, "Image");
                _cleanup_image_handle_ struct store_image_handle h = {0};
                if (img && store_image_resolve(st, img, &h, NULL) >= 0)
                        image = cli_image_size(&h);
        }
        *ret_rw = rw;
        *ret_rootfs = rw + image;
}

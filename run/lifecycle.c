/* Starting a detached container and handing it to its monitor. */
#include "run/lifecycle.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "run/network.h"

struct detach_ctx {
        struct run_state *state;
        const struct run_monitor *m;
        bool open_stdin; /* -i: attached clients may write to its stdin */
};

static void send_ready(int fd, const struct box_err *e)
{
        if (fd >= 0)
                (void)fs_write_full(fd, e, sizeof(*e));
}

static int keep_fd(int fd)
{
        int fl = fd >= 0 ? fcntl(fd, F_GETFD) : 0;
        return fl < 0 ? -errno : fd >= 0 ? fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) : 0;
}

/* the monitor's client slots (box-monitor.c's ATTACH_MAX) */
#define ATTACH_BACKLOG 8

/* RUN_DIR/attach, listening, made before the monitor's exec so that the
 * starter's attach (run -t, start -a) connects at its first try: the
 * connection waits in the backlog until the monitor accepts it.  Reached
 * through an fd of the directory: the runroot's path may be longer than
 * sun_path holds.  -1: none (attach then fails; the container runs). */
static int attach_listen(const char *run_dir)
{
        _cleanup_close_ int dfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (dfd < 0)
                return -1;
        snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/attach", dfd);
        (void)unlinkat(dfd, "attach", 0);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        mode_t old = umask(0177);
        if (fd >= 0 &&
            (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, ATTACH_BACKLOG) < 0)) {
                close(fd);
                fd = -1;
        }
        umask(old);
        return fd;
}

static int detach_to_monitor(pid_t pid, int in_fd, int out_fd, int err_fd, void *userdata,
                             struct box_err *err)
{
        struct detach_ctx *c = userdata;
        const struct run_monitor *m = c->m;
        struct run_state *s = c->state;
        int r = run_state_set(s, "running", pid, 0, err);
        if (r < 0)
                return r;
        /* best effort: what it misses is joined at its next start */
        if (m->net_late)
                (void)run_net_attach_late(m->root, m->runroot, s->id, s->name, pid);
        if (m->start_event) {
                _cleanup_free_ char *l = run_events_format(m->start_event, 1);
                _cleanup_free_ char *all =
                        m->start_prelude ? xasprintf("%s%s", m->start_prelude, l) : NULL;
                (void)run_events_write(m->runroot, all ? all : l, NULL);
        }
        int attach_fd = attach_listen(s->run_dir);
        if (keep_fd(s->lock_fd) < 0 || keep_fd(in_fd) < 0 || keep_fd(out_fd) < 0 ||
            keep_fd(err_fd) < 0 || keep_fd(attach_fd) < 0)
                return box_err_errno(err, errno, "pass fds to the monitor");
        /* "5,6,7": the host ports' sockets */
        char port_fds[256] = "";
        for (size_t i = 0, len = 0; i < m->n_port_fds && len + 12 < sizeof(port_fds); i++) {
                if (keep_fd(m->port_fds[i]) < 0)
                        return box_err_errno(err, errno, "pass fds to the monitor");
                len += (size_t)snprintf(port_fds + len, sizeof(port_fds) - len, "%s%d",
                                        i ? "," : "", m->port_fds[i]);
        }
        const char *log_driver = m->log_driver ? m->log_driver : "k8s-file";
        char *argv[48] = {(char *)m->monitor_bin,
                          "--id",
                          s->id,
                          "--name",
                          s->name,
                          "--box",
                          (char *)m->box,
                          "--root",
                          (char *)m->root,
                          "--runroot",
                          (char *)m->runroot,
                          "--run-dir",
                          s->run_dir,
                          "--log-driver",
                          (char *)log_driver};
        size_t n = 15;
        if (m->log_path) {
                argv[n++] = "--log-path";
                argv[n++] = (char *)m->log_path;
        }
        if (port_fds[0]) {
                argv[n++] = "--port-fds";
                argv[n++] = port_fds;
        }
        struct {
                const char *flag;
                int64_t v;
        } nums[] = {
                {"--pid", pid},
                {"--lock-fd", s->lock_fd},
                {"--in-fd", in_fd},
                {"--out-fd", out_fd},
                {"--err-fd", err_fd},
                {"--log-max-size", m->log_max_size},
                {"--log-max-file", m->log_max_file},
                {"--health-interval-ms", m->health_interval_ms},
                {"--health-start-interval-ms", m->health_start_interval_ms},
                {"--health-start-period-ms", m->health_start_period_ms},
                {"--open-stdin", c->open_stdin},
                {"--attach-wait-ms", m->attach_wait_ms},
                {"--attach-fd", attach_fd},
        };
        char vals[ARRAY_SIZE(nums)][24];
        for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
                snprintf(vals[i], sizeof(vals[i]), "%" PRId64, nums[i].v);
                argv[n++] = (char *)nums[i].flag;
                argv[n++] = vals[i];
        }
        /* the record says "running"; EOF when the exec closes the pipe
         * confirms it, an error record after it means the exec failed */
        struct box_err ok = {0};
        send_ready(m->ready_fd, &ok);
        execv(m->monitor_bin, argv);
        return box_err_errno(err, errno, "exec the monitor '%s'", m->monitor_bin);
}

int run_container_start_detached(struct run_state *s, const struct run_spec *spec,
                                 const struct run_monitor *m, struct box_err *err)
{
        struct run_spec copy = *spec;
        struct winsize ws;
        /* -t: the pty gets the size of the terminal box was started on */
        if (spec->tty && (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0)) {
                copy.tty_rows = ws.ws_row;
                copy.tty_cols = ws.ws_col;
        }
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return box_err_errno(err, errno, "open /dev/null");
        /* the user's terminal or pipes stay with the box that returns: the
         * container gets pipes to its monitor */
        for (int i = 0; i < 3; i++)
                if (dup2(null, i) < 0)
                        return box_err_errno(err, errno, "dup2 /dev/null");
        close(null);
        struct detach_ctx c = {.state = s, .m = m, .open_stdin = spec->interactive};
        copy.on_started = NULL;
        copy.detach = detach_to_monitor;
        copy.userdata = &c;
        int status;
        int r = run_sandbox_run(&copy, &status, err);
        if (r >= 0)
                r = box_err_set(err, EIO, "the container ran without its monitor");
        send_ready(m->ready_fd, err);
        return r;
}

void run_container_release(const struct run_spec *spec)
{
        run_cgroup_remove_stale(spec->cgroup_parent, spec->id);
}

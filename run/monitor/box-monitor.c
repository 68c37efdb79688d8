/* box-monitor: what stays of box while a detached container runs.
 *
 * box starts the container, then execs this small static program in the
 * same process (so the container stays its child, and the container's
 * PDEATHSIG and the monitor's lock carry over).  It holds the container's
 * stdout/stderr (pipes, or a pty master with -t), writes them to the log
 * in the CRI format, one line per record:
 *
 *     2026-12-06T03:00:00.123456789Z stdout F a whole line
 *     2026-12-06T03:00:00.123456789Z stderr P the first part of a long line
 *
 * (F: the line ends here, P: it goes on in the next record), rotating the
 * file at --log-max-size into FILE.1 .. FILE.(max-file - 1); it reaps the
 * container, writes "STATUS SECONDS.NANOSECONDS" to RUN_DIR/exit (atomically)
 * and execs `box container cleanup`, which records the exit in the store,
 * releases what the container held and applies --rm and the restart
 * policy.  With --health-interval it runs `box container healthcheck` that
 * often while the container runs.
 *
 * Attach: it listens on RUN_DIR/attach (AF_UNIX, mode 0600, at most 8
 * clients).  Each client gets the live output as Docker's multiplexed
 * stream: an 8-byte header {stream, 0, 0, 0, length (big-endian 32)}, then
 * the bytes; stream 1 is stdout (and a pty's output), 2 stderr, 3 the exit
 * status (decimal) just before the monitor closes it.  A client writes
 * frames with the same header: type 0 is input for the container's stdin
 * (the pty with -t; only when it was started with -i), 1 a window size
 * ("ROWS COLS", set on the pty: TIOCSWINSZ, so its foreground process group
 * gets SIGWINCH), 2 the end of its input (stdin is closed: Docker's
 * StdinOnce).  The monitor never blocks: a client that cannot take a frame
 * whole is dropped, but for the one client a foreground `box run -t` or
 * `box start -a` waits for (--attach-wait-ms): the container's output then
 * waits until that client reads it, as a pipe would make it wait.  Input
 * the container does not read waits in the monitor (one buffer) and then in
 * the clients' sockets.
 *
 * Only libc, no allocation after start: its resident set stays well under
 * a megabyte (docs/lifecycle.md has the number).  The lock fd, the box
 * binary and the root/runroot come on the command line from box itself;
 * nothing here is read from the container. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
        const char *id, *name, *box, *root, *runroot, *run_dir, *log_path, *log_driver;
        const char *port_fds; /* "5,6": host ports' sockets, kept for box's restart */
        int pid, lock_fd, out_fd, err_fd, in_fd, attach_fd;
        long long max_size, max_file, health_interval_ms, open_stdin, attach_wait_ms;
        long long health_start_interval_ms, health_start_period_ms;
};

#define ATTACH_MAX 8

static struct opts o = {
        .lock_fd = -1, .out_fd = -1, .err_fd = -1, .in_fd = -1, .attach_fd = -1, .max_file = 1};
static int log_fd = -1, journal_fd = -1;
static long long log_size;
static char rbuf[16384], line[16384 + 128], frame[8 + 16384];
static int attach_fd = -1, clients[ATTACH_MAX] = {-1, -1, -1, -1, -1, -1, -1, -1};
static bool client_eof[ATTACH_MAX]; /* its input ended: output only */
/* each client's frame being read: its header, then LEFT bytes of type
 * TYPE; a control frame's first bytes are kept in CTL */
static struct {
        unsigned char hdr[8], type;
        size_t hdr_have, left, ctl_have;
        char ctl[32];
} in_frame[ATTACH_MAX];
/* the client box waits for (--attach-wait-ms): its output is never
 * dropped; what it could not take yet is in held[] */
static int sync_client = -1;
static char held[8 + 16384];
static size_t held_off, held_len;
/* input the container's stdin could not take yet */
static char pending[16384];
static size_t pending_off, pending_len;
static bool close_stdin; /* once pending is written */
static int pty_fd = -1;  /* -t: the pty master (out_fd), for input and the window size */

static long long num(const char *s)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                _exit(125);
        return v;
}

static void parse(int argc, char **argv)
{
        for (int i = 1; i + 1 < argc; i += 2) {
                const char *k = argv[i], *v = argv[i + 1];
                if (!strcmp(k, "--id"))
                        o.id = v;
                else if (!strcmp(k, "--name"))
                        o.name = v;
                else if (!strcmp(k, "--box"))
                        o.box = v;
                else if (!strcmp(k, "--root"))
                        o.root = v;
                else if (!strcmp(k, "--runroot"))
                        o.runroot = v;
                else if (!strcmp(k, "--run-dir"))
                        o.run_dir = v;
                else if (!strcmp(k, "--log-path"))
                        o.log_path = v;
                else if (!strcmp(k, "--log-driver"))
                        o.log_driver = v;
                else if (!strcmp(k, "--port-fds"))
                        o.port_fds = v;
                else if (!strcmp(k, "--pid"))
                        o.pid = (int)num(v);
                else if (!strcmp(k, "--lock-fd"))
                        o.lock_fd = (int)num(v);
                else if (!strcmp(k, "--out-fd"))
                        o.out_fd = (int)num(v);
                else if (!strcmp(k, "--err-fd"))
                        o.err_fd = (int)num(v);
                else if (!strcmp(k, "--in-fd"))
                        o.in_fd = (int)num(v);
                else if (!strcmp(k, "--log-max-size"))
                        o.max_size = num(v);
                else if (!strcmp(k, "--log-max-file"))
                        o.max_file = num(v);
                else if (!strcmp(k, "--health-interval-ms"))
                        o.health_interval_ms = num(v);
                else if (!strcmp(k, "--health-start-interval-ms"))
                        o.health_start_interval_ms = num(v);
                else if (!strcmp(k, "--health-start-period-ms"))
                        o.health_start_period_ms = num(v);
                else if (!strcmp(k, "--open-stdin"))
                        o.open_stdin = num(v);
                else if (!strcmp(k, "--attach-wait-ms"))
                        o.attach_wait_ms = num(v);
                else if (!strcmp(k, "--attach-fd"))
                        o.attach_fd = (int)num(v);
                else
                        _exit(125);
        }
        if (!o.id || !o.box || !o.root || !o.runroot || !o.run_dir || o.pid <= 1 || o.lock_fd < 0)
                _exit(125);
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void log_open(void)
{
        struct stat st;
        log_fd = open(o.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
        log_size = log_fd >= 0 && fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

/* FILE.(n-2) -> FILE.(n-1), ..., FILE -> FILE.1, and a new FILE. */
static void log_rotate(void)
{
        char from[PATH_MAX], to[PATH_MAX];
        close(log_fd);
        log_fd = -1;
        if (o.max_file <= 1) {
                (void)truncate(o.log_path, 0);
        } else {
                for (long long i = o.max_file - 1; i >= 1; i--) {
                        snprintf(to, sizeof(to), "%s.%lld", o.log_path, i);
                        if (i == 1)
                                snprintf(from, sizeof(from), "%s", o.log_path);
                        else
                                snprintf(from, sizeof(from), "%s.%lld", o.log_path, i - 1);
                        (void)rename(from, to);
                }
        }
        log_open();
}

static void journal_send(const char *stream, const char *p, size_t n)
{
        if (journal_fd < 0)
                return;
        int len = snprintf(line, sizeof(line),
                           "MESSAGE=%.*s\nPRIORITY=%d\nCONTAINER_ID=%.12s\nCONTAINER_ID_FULL=%s\n"
                           "CONTAINER_NAME=%s\nSYSLOG_IDENTIFIER=%.12s\n",
                           (int)n, p, stream[3] == 'e' ? 3 : 6, o.id, o.id, o.name ? o.name : "",
                           o.id);
        if (len > 0)
                (void)send(journal_fd, line,
                           (size_t)len < sizeof(line) ? (size_t)len : sizeof(line),
                           MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void log_record(const char *stream, const char *p, size_t n, bool full)
{
        if (journal_fd >= 0) {
                journal_send(stream, p, n);
                return;
        }
        if (log_fd < 0)
                return;
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        int h = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec, stream, full ? 'F' : 'P');
        if (h < 0 || (size_t)h + n + 1 > sizeof(line))
                return;
        memcpy(line + h, p, n);
        line[h + n] = '\n';
        size_t len = (size_t)h + n + 1;
        if (o.max_size > 0 && log_size > 0 && log_size + (long long)len > o.max_size)
                log_rotate();
        if (log_fd >= 0 && write_all(log_fd, line, len) == 0)
                log_size += (long long)len;
}

/* ---- attach ---- */

/* RUN_DIR/attach: made and listening before the exec (run/lifecycle.c),
 * so that the starter's attach never waits for this process. */
static void attach_listen(void)
{
        attach_fd = o.attach_fd;
}

static void attach_drop(int i)
{
        close(clients[i]);
        clients[i] = -1;
        if (i == sync_client) {
                sync_client = -1;
                held_len = held_off = 0;
        }
}

/* Sends what is held for the sync client, as much as it takes now; false
 * when it went away. */
static bool held_flush(void)
{
        while (held_off < held_len) {
                ssize_t w = send(clients[sync_client], held + held_off, held_len - held_off,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return true;
                if (w <= 0) {
                        attach_drop(sync_client);
                        return false;
                }
                held_off += (size_t)w;
        }
        held_off = held_len = 0;
        return true;
}

/* How long the sync client may take no byte once the container has
 * ended: Docker's daemon waits 2 s for the attached streams before it
 * records the exit.  A client that stops reading (box run's stdout into a
 * pipe no one reads) held the exit record 10 s, and box stop gave up. */
#define EXIT_STALL_MS 2000

/* The same, waiting up to MS for each read of it (the container has
 * ended); one that reads nothing in MS goes. */
static void held_flush_wait(int ms)
{
        while (sync_client >= 0 && held_len > 0) {
                struct pollfd pf = {.fd = clients[sync_client], .events = POLLOUT};
                if (poll(&pf, 1, ms) <= 0) {
                        attach_drop(sync_client);
                        return;
                }
                (void)held_flush();
        }
}

/* One frame to every client; one that cannot take it whole goes, but the
 * sync client, whose rest is held (nothing more is read from the container
 * until it took it). */
static void attach_send(int stream, const char *p, size_t n)
{
        if (n > sizeof(frame) - 8)
                n = sizeof(frame) - 8;
        frame[0] = (char)stream;
        frame[1] = frame[2] = frame[3] = 0;
        for (int k = 0; k < 4; k++)
                frame[4 + k] = (char)((n >> (24 - 8 * k)) & 0xff);
        memcpy(frame + 8, p, n);
        for (int i = 0; i < ATTACH_MAX; i++) {
                if (clients[i] < 0)
                        continue;
                ssize_t w = send(clients[i], frame, n + 8, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w == (ssize_t)(n + 8))
                        continue;
                if (i == sync_client && (w >= 0 || errno == EAGAIN || errno == EINTR)) {
                        held_off = 0;
                        held_len = n + 8 - (size_t)(w > 0 ? w : 0);
                        memcpy(held, frame + (n + 8 - held_len), held_len);
                        continue;
                }
                attach_drop(i);
        }
}

static void attach_accept(void)
{
        int c = accept4(attach_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        for (int i = 0; c >= 0 && i < ATTACH_MAX; i++) {
                if (clients[i] < 0) {
                        clients[i] = c;
                        client_eof[i] = false;
                        in_frame[i].hdr_have = in_frame[i].left = 0;
                        if (o.attach_wait_ms > 0) {
                                /* the first one is the box that started it */
                                sync_client = i;
                                o.attach_wait_ms = 0;
                        }
                        return;
                }
        }
        if (c >= 0)
                close(c);
}

/* Where input goes: the stdin pipe, or the pty; -1 when nowhere. */
static int input_fd(void)
{
        if (!o.open_stdin)
                return -1;
        return o.in_fd >= 0 ? o.in_fd : pty_fd;
}

static void stdin_close(void)
{
        if (o.in_fd >= 0)
                close(o.in_fd);
        o.in_fd = -1;
        close_stdin = false;
}

/* Writes what is pending to the container's stdin, as much as it takes. */
static void pending_flush(void)
{
        int to = input_fd();
        while (pending_off < pending_len && to >= 0) {
                ssize_t w = write(to, pending + pending_off, pending_len - pending_off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return;
                if (w <= 0)
                        break; /* it closed its stdin: the input goes nowhere */
                pending_off += (size_t)w;
        }
        pending_off = pending_len = 0;
        if (close_stdin)
                stdin_close();
}

/* Input for the container: after what is pending (there is room: clients
 * are read only when nothing is, and one read is at most sizeof(rbuf)). */
static void stdin_write(const char *p, size_t n)
{
        if (input_fd() < 0)
                return;
        if (pending_len + n > sizeof(pending))
                n = sizeof(pending) - pending_len;
        memcpy(pending + pending_len, p, n);
        pending_len += n;
        pending_flush();
}

static void control(int i)
{
        char *c = in_frame[i].ctl;
        c[in_frame[i].ctl_have] = '\0';
        if (in_frame[i].type == 1 && pty_fd >= 0) {
                char *end;
                long rows = strtol(c, &end, 10), cols = strtol(end, NULL, 10);
                struct winsize ws = {.ws_row = (unsigned short)rows,
                                     .ws_col = (unsigned short)cols};
                if (rows > 0 && cols > 0 && rows <= 0xffff && cols <= 0xffff)
                        (void)ioctl(pty_fd, TIOCSWINSZ, &ws);
        } else if (in_frame[i].type == 2 && o.open_stdin && o.in_fd >= 0) {
                close_stdin = true;
                if (pending_len == 0)
                        stdin_close();
        }
}

/* Client I's frames: input to the container's stdin, a window size, the
 * end of its input. */
static void attach_input(int i)
{
        ssize_t n = read(clients[i], rbuf, sizeof(rbuf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n == 0) {
                client_eof[i] = true; /* shut for writing: it still reads */
                return;
        }
        if (n < 0) {
                attach_drop(i);
                return;
        }
        const char *p = rbuf, *end = rbuf + n;
        while (p < end) {
                typeof(in_frame[0]) *f = &in_frame[i];
                if (f->hdr_have < 8) {
                        f->hdr[f->hdr_have++] = (unsigned char)*p++;
                        if (f->hdr_have < 8)
                                continue;
                        f->type = f->hdr[0];
                        f->left = (size_t)f->hdr[4] << 24 | (size_t)f->hdr[5] << 16 |
                                  (size_t)f->hdr[6] << 8 | f->hdr[7];
                        f->ctl_have = 0;
                } else {
                        size_t k = (size_t)(end - p) < f->left ? (size_t)(end - p) : f->left;
                        if (f->type == 0) {
                                stdin_write(p, k);
                        } else {
                                size_t room = sizeof(f->ctl) - 1 - f->ctl_have;
                                memcpy(f->ctl + f->ctl_have, p, k < room ? k : room);
                                f->ctl_have += k < room ? k : room;
                        }
                        p += k;
                        f->left -= k;
                }
                if (f->hdr_have == 8 && f->left == 0) {
                        if (f->type != 0)
                                control(i);
                        f->hdr_have = 0;
                }
        }
}

static void attach_finish(int status)
{
        char b[16];
        int n = snprintf(b, sizeof(b), "%d", status);
        attach_send(3, b, (size_t)n);
        held_flush_wait(EXIT_STALL_MS);
        for (int i = 0; i < ATTACH_MAX; i++)
                if (clients[i] >= 0)
                        attach_drop(i);
        if (attach_fd >= 0)
                close(attach_fd);
}

/* Reads what FD has and logs it line by line; false at EOF. */
static bool pump(int fd, const char *stream)
{
        ssize_t n = read(fd, rbuf, sizeof(rbuf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false; /* EOF; EIO from a pty whose slave is gone */
        attach_send(stream[3] == 'e' ? 2 : 1, rbuf, (size_t)n);
        const char *p = rbuf, *end = rbuf + n;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                /* a pty ends its lines with \r\n */
                size_t keep = nl && len > 0 && p[len - 1] == '\r' ? len - 1 : len;
                log_record(stream, p, keep, nl != NULL);
                p += len + (nl ? 1 : 0);
        }
        return true;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `box container healthcheck ID` in a child of ours, not waited for here:
 * its exit is reaped below. */
static pid_t health_start(void)
{
        pid_t p = fork();
        if (p == 0) {
                char *argv[] = {(char *)o.box, "--root",          (char *)o.root,
                                "--runroot",   (char *)o.runroot, "container",
                                "healthcheck", (char *)o.id,      NULL};
                execv(o.box, argv);
                _exit(125);
        }
        return p;
}

static int status_of(int st)
{
        return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void write_exit(int status)
{
        char tmp[PATH_MAX], path[PATH_MAX], buf[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(tmp, sizeof(tmp), "%s/.exit.tmp", o.run_dir);
        snprintf(path, sizeof(path), "%s/exit", o.run_dir);
        int n = snprintf(buf, sizeof(buf), "%d %lld.%09ld\n", status, (long long)ts.tv_sec,
                         ts.tv_nsec);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return;
        if (write_all(fd, buf, (size_t)n) == 0 && fsync(fd) == 0)
                (void)rename(tmp, path);
        close(fd);
}

/* Is FD one of --port-fds?  With CLEAR, they lose FD_CLOEXEC (for box). */
static bool port_fd(int fd, bool clear)
{
        for (const char *p = o.port_fds; p && *p;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (clear)
                        fcntl((int)v, F_SETFD, 0);
                else if (v == fd)
                        return true;
                p = *end == ',' ? end + 1 : end;
        }
        return false;
}

static void setup(void)
{
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* detached: the terminal's signals are not ours; stop/kill go to the
         * container, through its pidfd */
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        prctl(PR_SET_NAME, "box-monitor");
        if (chdir("/") < 0)
                _exit(125);
        int keep[] = {o.lock_fd, o.out_fd, o.err_fd, o.in_fd, o.attach_fd};
        for (int fd = 3; fd < 1024; fd++) {
                bool k = false;
                for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
                        k |= keep[i] == fd;
                k |= port_fd(fd, false);
                if (!k)
                        close(fd);
                else if (fd >= 0)
                        fcntl(fd, F_SETFD, FD_CLOEXEC); /* not the health check's */
        }
        if (o.log_driver && !strcmp(o.log_driver, "journald")) {
                struct sockaddr_un a = {.sun_family = AF_UNIX,
                                        .sun_path = "/run/systemd/journal/socket"};
                journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (journal_fd >= 0 && connect(journal_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                        close(journal_fd);
                        journal_fd = -1;
                }
        } else if (o.log_path && (!o.log_driver || strcmp(o.log_driver, "none"))) {
                log_open();
        }
        attach_listen();
        /* -t: the pty master is the only fd (no stdin or stderr pipe) */
        if (o.in_fd < 0 && o.err_fd < 0)
                pty_fd = o.out_fd;
        /* input a container does not read must not block the monitor */
        int in = o.in_fd >= 0 ? o.in_fd : pty_fd;
        if (in >= 0)
                fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
}

/* --attach-wait-ms: the box that started the container attaches right
 * after; until it has (or the time is up), its output waits in the pipes
 * and its exit is not taken, so that box sees all of both. */
static void attach_wait(void)
{
        long long until = now_ms() + o.attach_wait_ms;
        while (attach_fd >= 0 && o.attach_wait_ms > 0) {
                long long d = until - now_ms();
                if (d <= 0)
                        break;
                struct pollfd p = {.fd = attach_fd, .events = POLLIN};
                if (poll(&p, 1, d > INT_MAX ? INT_MAX : (int)d) > 0)
                        attach_accept();
        }
        o.attach_wait_ms = 0;
}

/* The time to the next check: --health-start-interval within the start
 * period (from STARTED), else the interval. */
static long long health_interval(long long started)
{
        if (o.health_start_interval_ms > 0 && now_ms() < started + o.health_start_period_ms)
                return o.health_start_interval_ms;
        return o.health_interval_ms;
}

/* Relays the container's output to the log until it exits; its status. */
static int watch(void)
{
        int pidfd = (int)syscall(SYS_pidfd_open, o.pid, 0);
        long long started = now_ms();
        long long next_health = o.health_interval_ms > 0 ? started + health_interval(started) : 0;
        pid_t health = -1;
        int status = -1;
        attach_wait();
        for (;;) {
                /* held output: the container's waits; pending input: the
                 * clients' waits, the stdin pipe (or pty) is watched for room */
                if (input_fd() < 0)
                        pending_off = pending_len = 0; /* the pty went: nowhere to go */
                bool hold = held_len > 0, pend = pending_len > 0;
                struct pollfd p[5 + ATTACH_MAX] = {
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = hold ? -1 : o.out_fd, .events = POLLIN},
                        {.fd = hold ? -1 : o.err_fd, .events = POLLIN},
                        {.fd = attach_fd, .events = POLLIN},
                        {.fd = pend ? input_fd() : -1, .events = POLLOUT}};
                for (int i = 0; i < ATTACH_MAX; i++)
                        p[5 + i] = (struct pollfd){
                                .fd = clients[i],
                                .events = (short)((client_eof[i] || pend ? 0 : POLLIN) |
                                                  (hold && i == sync_client ? POLLOUT : 0))};
                int timeout = -1;
                if (next_health) {
                        long long d = next_health - now_ms();
                        timeout = d < 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
                }
                if (pidfd < 0)
                        timeout = 100; /* no pidfd (old kernel): poll for the exit */
                int n = poll(p, 5 + ATTACH_MAX, timeout);
                if (n < 0 && errno != EINTR)
                        break;
                if (n > 0 && p[4].revents)
                        pending_flush();
                for (int i = 0; n > 0 && i < ATTACH_MAX; i++) {
                        struct pollfd *c = &p[5 + i];
                        if (clients[i] < 0 || c->fd != clients[i])
                                continue;
                        if (c->revents & POLLIN)
                                attach_input(i); /* before a hang-up: its last input */
                        if (clients[i] >= 0 && (c->revents & POLLOUT) && i == sync_client)
                                (void)held_flush();
                        if (clients[i] >= 0 && (c->revents & (POLLHUP | POLLERR)))
                                attach_drop(i);
                }
                if (n > 0 && (p[3].revents & POLLIN))
                        attach_accept();
                for (int i = 1; i < 3; i++)
                        if (n > 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                            !pump(p[i].fd, i == 1 ? "stdout" : "stderr")) {
                                if (p[i].fd == pty_fd)
                                        pty_fd = -1;
                                close(p[i].fd);
                                *(i == 1 ? &o.out_fd : &o.err_fd) = -1;
                        }
                if (health > 0 && waitpid(health, NULL, WNOHANG) == health)
                        health = -1;
                if (next_health && now_ms() >= next_health) {
                        if (health < 0)
                                health = health_start();
                        next_health = now_ms() + health_interval(started);
                }
                int st;
                if ((pidfd < 0 || (n > 0 && (p[0].revents & POLLIN))) &&
                    waitpid(o.pid, &st, WNOHANG) == o.pid) {
                        status = status_of(st);
                        break;
                }
        }
        if (status < 0) {
                int st;
                status = waitpid(o.pid, &st, 0) == o.pid ? status_of(st) : 255;
        }
        /* the container's processes died with its pid 1, so EOF comes (a
         * bounded wait, in case an fd was passed out of the container) */
        for (int i = 0; i < 2; i++) {
                int *fd = i == 0 ? &o.out_fd : &o.err_fd;
                while (*fd >= 0) {
                        struct pollfd pf = {.fd = *fd, .events = POLLIN};
                        held_flush_wait(EXIT_STALL_MS);
                        if (poll(&pf, 1, 2000) <= 0 || !pump(*fd, i == 0 ? "stdout" : "stderr")) {
                                if (*fd == pty_fd)
                                        pty_fd = -1;
                                close(*fd);
                                *fd = -1;
                        }
                }
        }
        if (health > 0) {
                kill(health, SIGKILL);
                waitpid(health, NULL, 0);
        }
        return status;
}

int main(int argc, char **argv)
{
        parse(argc, argv);
        setup();
        int status = watch();
        write_exit(status);
        attach_finish(status);
        if (log_fd >= 0)
                close(log_fd);
        if (o.in_fd >= 0)
                close(o.in_fd);
        /* the lock goes on to box, in this same process */
        int fl = fcntl(o.lock_fd, F_GETFD);
        if (fl >= 0)
                fcntl(o.lock_fd, F_SETFD, fl & ~FD_CLOEXEC);
        char lockfd[16];
        snprintf(lockfd, sizeof(lockfd), "%d", o.lock_fd);
        /* the host ports stay bound: a restart publishes them again */
        port_fd(-1, true);
        char *cargv[14] = {(char *)o.box, "--root",  (char *)o.root, "--runroot", (char *)o.runroot,
                           "container",   "cleanup", "--lock-fd",    lockfd};
        int n = 9;
        if (o.port_fds) {
                cargv[n++] = "--port-fds";
                cargv[n++] = (char *)o.port_fds;
        }
        cargv[n++] = (char *)o.id;
        cargv[n] = NULL;
        execv(o.box, cargv);
        return 125;
}

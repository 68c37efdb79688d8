/* box attach [--no-stdin] [--detach-keys KEYS] [--sig-proxy=BOOL] CONTAINER:
 * the terminal (or pipes) of this shell joined to a detached container's
 * live stdio, through its monitor's attach socket (run/monitor/box-monitor.c
 * has the protocol).  Output from now on (the log has what came before),
 * input when the container was started with -i; with -t the terminal is
 * raw, its size goes to the container's pty (at once and on SIGWINCH), and
 * the detach keys (default ctrl-p ctrl-q) leave the container running.
 * Without -t the signals box gets go to the container (--sig-proxy).
 * Exits with the container's status when it ends, 0 when detached.  box run
 * -t and box start -a attach through the same code. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

#define T struct cli_attach_opts
static const struct cli_option attach_flag_rows[] = {
        CLI_STRING("detach-keys", 0, T, detach_keys, "KEYS",
                   "keys that detach (default ctrl-p,ctrl-q; \"\": none)"),
        CLI_TRUE("no-stdin", 0, T, no_stdin, "do not attach stdin"),
        CLI_BOOL("sig-proxy", 0, T, sig_proxy, "[=BOOL]",
                 "send the signals box gets to the container (default\ntrue; never with -t)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options attach_options =
        CLI_OPTIONS("attach", attach_flag_rows, 21,
                    "Usage: box attach [OPTIONS] CONTAINER\n"
                    "\n"
                    "Attach local standard input, output, and error streams to a running "
                    "container.\n"
                    "\n"
                    "Options:\n");

#define DETACH_MAX 16

/* Docker's --detach-keys: comma-separated "ctrl-X" (X in a-z @ [ \ ] ^ _)
 * or single characters; "" is none. */
int cli_detach_keys_parse(const char *s, unsigned char ret[16], size_t *ret_n)
{
        size_t n = 0;
        if (!*s) {
                *ret_n = 0;
                return 0;
        }
        _cleanup_free_ char *copy = xstrdup(s);
        for (char *p = copy, *k; (k = strsep(&p, ","));) {
                if (n >= DETACH_MAX)
                        return -EINVAL;
                if (strlen(k) == 1) {
                        ret[n++] = (unsigned char)k[0];
                } else if (strncasecmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
                        char c = k[5];
                        if (c >= 'A' && c <= 'Z')
                                c = (char)(c - 'A' + 'a');
                        if (!((c >= 'a' && c <= 'z') || strchr("@[\\]^_", c)))
                                return -EINVAL;
                        ret[n++] = (unsigned char)(c >= 'a' ? c - 'a' + 1 : c - '@');
                } else {
                        return -EINVAL;
                }
        }
        if (n == 0)
                return -EINVAL;
        *ret_n = n;
        return 0;
}

/* The client's frames (the monitor's header): input, a window size, the
 * end of the input. */
enum { FRAME_INPUT = 0, FRAME_RESIZE = 1, FRAME_CLOSE_STDIN = 2 };

struct attach {
        int sock, sigfd;
        bool tty, stdin_open, stdin_once, shut;
        bool drop[3]; /* the output streams not shown (run -a) */
        const char *runroot, *id;
        unsigned char keys[DETACH_MAX];
        size_t nkeys, matched; /* detach keys seen so far, held back */
        char in[8 + 16384];
        size_t have;
        /* frames for the monitor that its socket did not take yet: stdin is
         * not read meanwhile, the output still is */
        char out[3 * 8192];
        size_t out_len;
        int status; /* the container's, from the monitor; -1 until then */
};

/* Sends what is queued, as much as the socket takes now. */
static int attach_flush(struct attach *a)
{
        size_t off = 0;
        while (off < a->out_len) {
                ssize_t w =
                        send(a->sock, a->out + off, a->out_len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        break;
                if (w < 0)
                        return -errno;
                off += (size_t)w;
        }
        memmove(a->out, a->out + off, a->out_len - off);
        a->out_len -= off;
        if (a->out_len == 0 && a->shut && !a->stdin_open)
                (void)shutdown(a->sock, SHUT_WR);
        return 0;
}

static void attach_queue(struct attach *a, int type, const void *p, size_t n)
{
        if (a->out_len + 8 + n > sizeof(a->out))
                return; /* only a resize can come while input is queued */
        unsigned char *h = (unsigned char *)a->out + a->out_len;
        h[0] = (unsigned char)type;
        h[1] = h[2] = h[3] = 0;
        for (int k = 0; k < 4; k++)
                h[4 + k] = (unsigned char)((n >> (24 - 8 * k)) & 0xff);
        if (n > 0)
                memcpy(h + 8, p, n);
        a->out_len += 8 + n;
        (void)attach_flush(a);
}

/* Our terminal's size to the container's pty. */
static void attach_resize(struct attach *a)
{
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) < 0 && ioctl(1, TIOCGWINSZ, &ws) < 0)
                return;
        char b[32];
        int n = snprintf(b, sizeof(b), "%u %u", ws.ws_row, ws.ws_col);
        attach_queue(a, FRAME_RESIZE, b, (size_t)n);
}

/* Frames from the monitor: to stdout, stderr, or the exit status. */
static bool attach_output(struct attach *a)
{
        ssize_t n = read(a->sock, a->in + a->have, sizeof(a->in) - a->have);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        a->have += (size_t)n;
        while (a->have >= 8) {
                const unsigned char *h = (const unsigned char *)a->in;
                size_t len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
                if (len > sizeof(a->in) - 8)
                        return false;
                if (a->have < 8 + len)
                        break;
                if (h[0] == 3) {
                        char b[16] = "";
                        memcpy(b, a->in + 8, len < sizeof(b) - 1 ? len : sizeof(b) - 1);
                        a->status = (int)strtol(b, NULL, 10);
                } else if (!a->drop[h[0] == 2 ? 2 : 1]) {
                        (void)fs_write_full(h[0] == 2 ? 2 : 1, a->in + 8, len);
                }
                memmove(a->in, a->in + 8 + len, a->have - 8 - len);
                a->have -= 8 + len;
        }
        return true;
}

/* Our stdin to the container, watching for the detach keys: true when
 * they were typed. */
static bool attach_input(struct attach *a)
{
        unsigned char buf[4096], out[4096 + DETACH_MAX];
        ssize_t n = read(0, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return false;
        if (n <= 0) {
                /* stdin's end: the container's stdin stays open, as docker
                 * attach leaves it; closed with stdin_once (run -i, start -ai) */
                a->stdin_open = false;
                a->shut = true;
                if (a->stdin_once)
                        attach_queue(a, FRAME_CLOSE_STDIN, NULL, 0);
                else
                        (void)attach_flush(a);
                return false;
        }
        size_t o = 0;
        for (ssize_t i = 0; i < n; i++) {
                if (a->nkeys && buf[i] == a->keys[a->matched]) {
                        if (++a->matched == a->nkeys)
                                return true;
                        continue;
                }
                /* not the sequence after all: what was held back goes on */
                memcpy(out + o, a->keys, a->matched);
                o += a->matched;
                a->matched = 0;
                if (a->nkeys && buf[i] == a->keys[0]) {
                        a->matched = 1;
                        continue;
                }
                out[o++] = buf[i];
        }
        if (o > 0)
                attach_queue(a, FRAME_INPUT, out, o);
        return false;
}

/* A signal box got: the window's size, or one for the container. */
static void attach_signal(struct attach *a)
{
        struct signalfd_siginfo si;
        if (read(a->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                return;
        if (si.ssi_signo == SIGWINCH)
                attach_resize(a);
        else
                (void)run_state_signal(a->runroot, a->id, (int)si.ssi_signo, NULL);
}

/* Until the container ends (its status) or the keys detach (0). */
static int attach_loop(struct attach *a, bool *ret_detached)
{
        for (;;) {
                bool queued = a->out_len > 0;
                struct pollfd p[3] = {
                        {.fd = a->sock, .events = (short)(POLLIN | (queued ? POLLOUT : 0))},
                        {.fd = a->stdin_open && !queued ? 0 : -1, .events = POLLIN},
                        {.fd = a->sigfd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return 125;
                }
                if (p[2].revents & POLLIN)
                        attach_signal(a);
                if ((p[0].revents & POLLOUT) && attach_flush(a) < 0)
                        a->stdin_open = false; /* the monitor is going: its output still comes */
                if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && attach_input(a)) {
                        *ret_detached = true;
                        return 0;
                }
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !attach_output(a))
                        return a->status;
        }
}

static int attach_connect(struct cli_ctx *ctx, const char *id, struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", ctx->runroot, id);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (dfd < 0 || s < 0) {
                int e = errno;
                if (s >= 0)
                        close(s);
                return box_err_errno(err, e, "container %.12s has no attach socket", id);
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
        /* right after `run -d` the monitor may not listen yet: it makes the
         * socket once it has exec()ed, just after the container started */
        int r;
        for (int t = 0; (r = connect(s, (struct sockaddr *)&sa, sizeof(sa))) < 0 &&
                        (errno == ENOENT || errno == ECONNREFUSED) && t < 50;
             t++)
                nanosleep(&(struct timespec){0, 40 * 1000 * 1000}, NULL);
        if (r < 0) {
                int e = errno;
                close(s);
                return box_err_errno(err, e, "attach to container %.12s", id);
        }
        return s;
}

/* Its exit code once its monitor has recorded it (no status came). */
static int wait_status(struct cli_ctx *ctx, const char *id)
{
        struct run_state_info i;
        (void)run_state_wait_exit(ctx->runroot, id, 10000);
        (void)run_state_wait_monitor(ctx->runroot, id, 10000);
        cli_container_state(ctx, id, &i);
        int code = i.exit_code;
        run_state_info_release(&i);
        return code;
}

/* The signals attach takes itself (blocked, read from a signalfd): the
 * window's changes with a terminal, else (--sig-proxy) those Docker's CLI
 * forwards. */
static int attach_signals(const struct attach *a, bool proxy, sigset_t *old)
{
        static const int proxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
        sigset_t set;
        sigemptyset(&set);
        if (a->tty)
                sigaddset(&set, SIGWINCH);
        for (size_t i = 0; proxy && !a->tty && i < ARRAY_SIZE(proxied); i++)
                sigaddset(&set, proxied[i]);
        if (sigprocmask(SIG_BLOCK, &set, old) < 0)
                return -errno;
        int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                (void)sigprocmask(SIG_SETMASK, old, NULL);
        return fd;
}

int cli_container_attach(struct cli_ctx *ctx, const char *id, const struct cli_attach_opts *o,
                         bool *ret_detached, struct box_err *err)
{
        struct attach *a = xnew0(struct attach, 1);
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const struct jv *c = jv_get(cfg, "Config");
        a->tty = jv_bool_value(jv_get(c, "Tty"));
        a->stdin_open = !o->no_stdin && jv_bool_value(jv_get(c, "OpenStdin"));
        a->stdin_once = o->stdin_once;
        a->drop[1] = o->no_stdout;
        a->drop[2] = o->no_stderr;
        a->runroot = ctx->runroot;
        a->id = id;
        a->status = -1;
        const char *keys = o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q";
        if (cli_detach_keys_parse(keys, a->keys, &a->nkeys) < 0) {
                free(a);
                return box_err_set(err, EINVAL, "invalid detach keys '%s'", keys);
        }
        a->sock = attach_connect(ctx, id, err);
        if (a->sock < 0) {
                int r = a->sock;
                free(a);
                return r;
        }
        sigset_t old;
        a->sigfd = attach_signals(a, o->sig_proxy, &old);
        if (a->tty)
                attach_resize(a);
        struct termios saved;
        bool raw = a->tty && a->stdin_open && isatty(0) && tcgetattr(0, &saved) == 0;
        if (raw) {
                struct termios t = saved;
                cfmakeraw(&t);
                (void)tcsetattr(0, TCSADRAIN, &t);
        }
        bool detached = false;
        int status = attach_loop(a, &detached);
        if (raw)
                (void)tcsetattr(0, TCSADRAIN, &saved);
        close(a->sock);
        if (a->sigfd >= 0) {
                close(a->sigfd);
                (void)sigprocmask(SIG_SETMASK, &old, NULL);
        }
        free(a);
        *ret_detached = detached;
        /* the socket closed with no status: the monitor was killed */
        return status < 0 ? wait_status(ctx, id) : status;
}

int cmd_attach(struct cli_ctx *ctx, int argc, char **argv)
{
        struct cli_attach_opts o = {.sig_proxy = true};
        int first = cli_options_parse(&attach_options, &o, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("attach", "'box attach' requires exactly 1 argument");
        struct box_err err = {0};
        char id[RUN_ID_LEN + 1];
        if (cli_container_find(ctx, argv[first], id, &err) < 0)
                return cli_fail(&err);
        /* one whose monitor is cleaning up after its exit is stopped */
        cli_container_settle(ctx, id);
        if (cli_container_status(ctx, id) != RUN_STATUS_RUNNING) {
                box_err_set(&err, EINVAL,
                            "you cannot attach to a stopped container, start it first");
                return cli_fail(&err);
        }
        if (cli_container_paused(ctx, id)) {
                box_err_set(&err, EINVAL,
                            "you cannot attach to a paused container, unpause it first");
                return cli_fail(&err);
        }
        bool detached;
        cli_event_container(ctx, id, "attach", NULL);
        int r = cli_container_attach(ctx, id, &o, &detached, &err);
        return r < 0 ? cli_fail(&err) : r;
}

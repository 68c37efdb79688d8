/* The output of RUN steps: read from a pipe by a thread and shown the way
 * the progress mode asks (streamed as it comes for plain, a compact view of
 * the last few lines redrawn in place on a TTY, nothing when quiet), with
 * the tail kept so a failing step can show why it failed in every mode. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "build/build-internal.h"

#define TAIL_LINES    24
#define LIVE_LINES    6
#define LINE_MAX_KEEP 512

struct build_log {
        int rfd, wfd;
        FILE *out;
        enum build_progress mode;
        pthread_t thread;
        char *lines[TAIL_LINES]; /* ring of the last complete lines */
        size_t n_lines, next;
        struct buf partial;
        int shown; /* lines currently drawn by the compact view */
        int width;
};

static void keep_line(struct build_log *l, const char *s, size_t n)
{
        if (n > LINE_MAX_KEEP)
                n = LINE_MAX_KEEP;
        free(l->lines[l->next]);
        l->lines[l->next] = xstrndup(s, n);
        l->next = (l->next + 1) % TAIL_LINES;
        if (l->n_lines < TAIL_LINES)
                l->n_lines++;
}

static const char *nth_last(struct build_log *l, size_t k) /* k = 0: the newest */
{
        return l->lines[(l->next + TAIL_LINES - 1 - k) % TAIL_LINES];
}

static void erase_live(struct build_log *l)
{
        for (; l->shown > 0; l->shown--)
                fputs("\033[1A\033[2K", l->out);
}

static void draw_live(struct build_log *l)
{
        erase_live(l);
        size_t n = l->n_lines < LIVE_LINES ? l->n_lines : LIVE_LINES;
        for (size_t k = n; k-- > 0;) {
                const char *s = nth_last(l, k);
                fprintf(l->out, "\033[2m  | %.*s\033[0m\n", l->width > 8 ? l->width - 6 : 72, s);
                l->shown++;
        }
        fflush(l->out);
}

static void *pump(void *arg)
{
        struct build_log *l = arg;
        char buf[8192];
        for (;;) {
                ssize_t n = read(l->rfd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (l->mode == BUILD_PROGRESS_PLAIN) {
                        fwrite(buf, 1, (size_t)n, l->out);
                        fflush(l->out);
                }
                int new_line = 0;
                for (ssize_t i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                                keep_line(l, strempty(l->partial.data), l->partial.len);
                                l->partial.len = 0;
                                if (l->partial.data)
                                        l->partial.data[0] = '\0';
                                new_line = 1;
                        } else if (buf[i] != '\r' && l->partial.len < LINE_MAX_KEEP) {
                                buf_putc(&l->partial, buf[i]);
                        }
                }
                if (new_line && l->mode == BUILD_PROGRESS_TTY)
                        draw_live(l);
        }
        if (l->partial.len)
                keep_line(l, l->partial.data, l->partial.len);
        return NULL;
}

int build_log_start(FILE *out, enum build_progress mode, struct build_log **ret,
                    struct box_err *err)
{
        struct build_log *l = xnew0(struct build_log, 1);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                free(l);
                return box_err_errno(err, errno, "pipe");
        }
        l->rfd = p[0];
        l->wfd = p[1];
        /* our own copy of the stream's fd: the step's output is about to be
         * redirected from fd 1 and 2 into the pipe, and would loop back */
        if (out) {
                int ofd = fcntl(fileno(out), F_DUPFD_CLOEXEC, 3);
                l->out = ofd >= 0 ? fdopen(ofd, "w") : NULL;
                if (!l->out && ofd >= 0)
                        close(ofd);
        }
        l->mode = l->out ? mode : BUILD_PROGRESS_QUIET;
        struct winsize ws;
        l->width = out && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
        /* the reader must take no signal: the sandbox waits for SIGCHLD on a
         * signalfd, which only sees signals every thread blocks */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int pr = pthread_create(&l->thread, NULL, pump, l);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pr != 0) {
                close(p[0]);
                close(p[1]);
                if (l->out)
                        fclose(l->out);
                free(l);
                return box_err_set(err, EAGAIN, "start the log reader");
        }
        *ret = l;
        return 0;
}

int build_log_fd(const struct build_log *l)
{
        return l->wfd;
}

void build_log_finish(struct build_log *l, bool failed)
{
        if (!l)
                return;
        close(l->wfd);
        pthread_join(l->thread, NULL);
        close(l->rfd);
        if (l->mode == BUILD_PROGRESS_TTY)
                erase_live(l);
        if (failed && l->out && l->mode != BUILD_PROGRESS_PLAIN) {
                /* plain mode already showed everything */
                for (size_t k = l->n_lines; k-- > 0;)
                        fprintf(l->out, "  | %s\n", nth_last(l, k));
        }
        if (l->out)
                fclose(l->out);
        for (size_t i = 0; i < TAIL_LINES; i++)
                free(l->lines[i]);
        buf_release(&l->partial);
        free(l);
}

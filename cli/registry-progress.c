/* Progress of registry transfers (pull, push, FROM, run --pull): on a TTY
 * a bar per layer, redrawn in place; otherwise one line when a layer
 * starts and one when it ends.  And the pull every command shares. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/registry.h"
#include "spec/ref.h"
#include "lib/xalloc.h"

struct layer_line {
        digest_str digest;
        struct timespec start;
};

struct cli_progress {
        int tty;
        const char *verb; /* "Downloaded", "Pushed" */
        struct layer_line *v;
        size_t n;
};

static double since(const struct timespec *t0)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t line_of(struct cli_progress *p, const char *digest, int *is_new)
{
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->v[i].digest, digest)) {
                        *is_new = 0;
                        return i;
                }
        p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
        snprintf(p->v[p->n].digest, sizeof(digest_str), "%s", digest);
        clock_gettime(CLOCK_MONOTONIC, &p->v[p->n].start);
        *is_new = 1;
        return p->n++;
}

static void draw(struct cli_progress *p, size_t i, uint64_t done, int64_t total, int state)
{
        char d[32], t[32], bar[31];
        cli_format_size(d, sizeof(d), (double)done);
        cli_format_size(t, sizeof(t), total >= 0 ? (double)total : 0);
        int fill = state ? 30 : total > 0 ? (int)(30 * (double)done / (double)total) : 0;
        for (int k = 0; k < 30; k++)
                bar[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
        bar[30] = '\0';
        size_t up = p->n - i;
        fprintf(stderr, "\033[%zuA\r%.19s ", up, p->v[i].digest + 7);
        if (state == 2)
                fprintf(stderr, "%s", p->verb[0] == 'P' ? "already there" : "already in the store");
        else if (state == 1)
                fprintf(stderr, "%s %s", p->verb, d);
        else
                fprintf(stderr, "[%s] %s/%s", bar, d, total >= 0 ? t : "?");
        fprintf(stderr, "\033[K\033[%zuB\r", up);
}

static void on_layer(void *ud, const char *digest, uint64_t done, int64_t total, int state)
{
        struct cli_progress *p = ud;
        int is_new;
        size_t i = line_of(p, digest, &is_new);
        if (p->tty) {
                if (is_new)
                        fputc('\n', stderr);
                draw(p, i, done, total, state);
        } else if (state == 2) {
                fprintf(stderr, "Layer %s: %s\n", digest,
                        p->verb[0] == 'P' ? "already there" : "already in the store");
        } else if (state == 1) {
                char d[32], rate[32];
                double s = since(&p->v[i].start);
                cli_format_size(d, sizeof(d), (double)done);
                cli_format_size(rate, sizeof(rate), s > 0 ? (double)done / s : 0);
                fprintf(stderr, "%s %s: %s in %.1fs (%s/s)\n", p->verb, digest, d, s, rate);
        } else if (is_new) {
                char t[32];
                cli_format_size(t, sizeof(t), total >= 0 ? (double)total : 0);
                fprintf(stderr, "%s %s (%s)\n", p->verb[0] == 'P' ? "Pushing" : "Downloading",
                        digest, total >= 0 ? t : "size unknown");
        }
        fflush(stderr);
}

struct cli_progress *cli_progress_new(const char *verb)
{
        struct cli_progress *p = xnew0(struct cli_progress, 1);
        p->tty = isatty(STDERR_FILENO);
        p->verb = verb;
        return p;
}

void cli_progress_free(struct cli_progress *p)
{
        if (!p)
                return;
        free(p->v);
        free(p);
}

void cli_progress_attach(struct cli_progress *p, struct image_registry_progress *ret)
{
        ret->layer = p ? on_layer : NULL;
        ret->userdata = p;
}

static long pull_timeout(void)
{
        /* BOX_PULL_TIMEOUT: seconds without data before giving up */
        const char *t = getenv("BOX_PULL_TIMEOUT");
        return t && *t ? strtol(t, NULL, 10) : 0;
}

int cli_registry_tags(const char *name, const struct cli_pull_flags *f, char ***ret,
                      struct box_err *err)
{
        _cleanup_image_ref_ struct image_ref ref = {0};
        int r = spec_ref_parse_name(name, &ref, err);
        if (r < 0)
                return r;
        struct image_registry_opts o = {.tls_verify_off = f->tls_verify_off,
                                        .stall_seconds = pull_timeout()};
        _cleanup_registry_ struct image_registry *reg = NULL;
        r = image_registry_open(ref.domain, ref.path, &o, &reg, err);
        return r < 0 ? r : image_registry_tags(reg, ret, err);
}

int cli_registry_pull(struct store *st, const char *ref, const struct cli_pull_flags *f,
                      struct image_loaded *ret, struct box_err *err)
{
        struct cli_progress *p = f->quiet ? NULL : cli_progress_new("Downloaded");
        struct image_registry_pull_opts o = {
                .reg = {.tls_verify_off = f->tls_verify_off, .stall_seconds = pull_timeout()},
                .platform = f->platform,
        };
        cli_progress_attach(p, &o.progress);
        if (!f->quiet) {
                _cleanup_free_ char *fam = spec_ref_familiar_of(ref);
                fprintf(stderr, "Pulling %s\n", fam ? fam : ref);
        }
        int r = image_registry_pull(st, ref, &o, ret, err);
        cli_progress_free(p);
        return r;
}

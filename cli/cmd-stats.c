/* box stats [-a] [--no-stream] [--no-trunc] [--format] [CONTAINER...]: what
 * containers use, as docker stats prints it: CPU % over the last second
 * (the container's CPU time against the host's, times its online CPUs),
 * memory without the inactive page cache against the limit (the host's
 * memory when none is set), network bytes of its own namespace, block I/O
 * bytes, pids.  Streams a table a second until interrupted; --no-stream
 * prints one, after one second of sampling as Docker's does. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "spec/json.h"
#include "store/store.h"

#define DEFAULT_FORMAT                                                                             \
        "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{."     \
        "BlockIO}}\t{{.PIDs}}"

struct sample {
        bool running;
        struct run_stats s;
        uint64_t rx, tx;
};

struct stats_ctr {
        char id[RUN_ID_LEN + 1];
        char *given; /* as the user named it, or the id */
        char *name, *parent;
        struct sample prev, cur;
};

struct stats_opts {
        bool all, no_stream, no_trunc;
        const char *format;
};

/* go-units BytesSize: binary units, 4 significant digits. */
static void bytes_size(char *buf, size_t n, double v)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        size_t u = 0;
        while (v >= 1024.0 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1024.0;
                u++;
        }
        snprintf(buf, n, "%.4g%s", v, units[u]);
}

static void sample(struct cli_ctx *ctx, struct stats_ctr *c)
{
        struct run_state_info i;
        c->prev = c->cur;
        c->cur = (struct sample){0};
        if (cli_container_state(ctx, c->id, &i) < 0)
                return;
        if (i.status == RUN_STATUS_RUNNING && run_stats_read(c->parent, c->id, &c->cur.s) == 0) {
                c->cur.running = true;
                (void)run_stats_net(i.pid, &c->cur.rx, &c->cur.tx);
        }
        run_state_info_release(&i);
}

static struct jv *row_json(const struct stats_ctr *c, uint64_t host_delta, int online, bool trunc)
{
        struct jv *o = jv_object();
        char b[128], x[48], y[48];
        const struct run_stats *s = &c->cur.s;
        snprintf(b, sizeof(b), "%.*s", trunc ? 12 : RUN_ID_LEN, c->id);
        jv_set_str(o, "ID", b);
        jv_set_str(o, "Container", c->given);
        jv_set_str(o, "Name", c->name);
        double cpu = 0;
        if (c->cur.running && c->prev.running && host_delta > 0 && s->cpu_ns > c->prev.s.cpu_ns)
                cpu = (double)(s->cpu_ns - c->prev.s.cpu_ns) / (double)host_delta * online * 100.0;
        snprintf(b, sizeof(b), "%.2f%%", cpu);
        jv_set_str(o, "CPUPerc", b);
        bytes_size(x, sizeof(x), (double)s->mem_usage);
        bytes_size(y, sizeof(y), (double)s->mem_limit);
        snprintf(b, sizeof(b), "%s / %s", x, y);
        jv_set_str(o, "MemUsage", b);
        snprintf(b, sizeof(b), "%.2f%%",
                 s->mem_limit ? (double)s->mem_usage / (double)s->mem_limit * 100.0 : 0.0);
        jv_set_str(o, "MemPerc", b);
        cli_format_size(x, sizeof(x), (double)c->cur.rx);
        cli_format_size(y, sizeof(y), (double)c->cur.tx);
        snprintf(b, sizeof(b), "%s / %s", x, y);
        jv_set_str(o, "NetIO", b);
        cli_format_size(x, sizeof(x), (double)s->blk_read);
        cli_format_size(y, sizeof(y), (double)s->blk_write);
        snprintf(b, sizeof(b), "%s / %s", x, y);
        jv_set_str(o, "BlockIO", b);
        snprintf(b, sizeof(b), "%llu", (unsigned long long)s->pids);
        jv_set_str(o, "PIDs", b);
        return o;
}

static const char *const titles[] = {
        "ID",        "CONTAINER ID", "Container", "CONTAINER", "Name",
        "NAME",      "CPUPerc",      "CPU %",     "MemUsage",  "MEM USAGE / LIMIT",
        "MemPerc",   "MEM %",        "NetIO",     "NET I/O",   "BlockIO",
        "BLOCK I/O", "PIDs",         "PIDS",      NULL,
};

static int print_table(struct stats_ctr *v, size_t n, uint64_t host_delta, int online,
                       const struct stats_opts *o, struct box_err *err)
{
        const char *format = !o->format || streq(o->format, "table") ? DEFAULT_FORMAT : o->format;
        struct jv **rows = xnew0(struct jv *, n + 1);
        for (size_t i = 0; i < n; i++)
                rows[i] = row_json(&v[i], host_delta, online, !o->no_trunc);
        int r = cli_format_rows(format, titles, rows, n, err);
        for (size_t i = 0; i < n; i++)
                jv_free(rows[i]);
        free(rows);
        fflush(stdout);
        return r;
}

static void ctr_add(struct cli_ctx *ctx, struct stats_ctr **v, size_t *n, const char *id,
                    const char *given)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const char *name = jv_get_str(cfg, "Name");
        const char *parent = jv_get_str(jv_get(cfg, "HostConfig"), "CgroupParent");
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        struct stats_ctr *c = &(*v)[(*n)++];
        *c = (struct stats_ctr){0};
        memcpy(c->id, id, sizeof(c->id));
        c->given = xstrdup(given ? given : id);
        c->name = xstrdup(name ? name : "");
        c->parent = parent ? xstrdup(parent) : NULL;
}

/* The named containers (all must exist), else the running ones (-a: all). */
static int collect(struct cli_ctx *ctx, char **names, const struct stats_opts *o,
                   struct stats_ctr **ret, size_t *ret_n, struct box_err *err)
{
        struct stats_ctr *v = NULL;
        size_t n = 0;
        STRV_FOREACH (a, names) {
                char id[RUN_ID_LEN + 1];
                int r = cli_container_find(ctx, *a, id, err);
                if (r < 0) {
                        *ret = v;
                        *ret_n = n;
                        return r;
                }
                ctr_add(ctx, &v, &n, id, *a);
        }
        struct store *st;
        if (!names[0] && cli_store(ctx, &st, NULL) == 0) {
                _cleanup_strv_free_ char **ids = run_state_list(store_root(st));
                STRV_FOREACH (id, ids)
                        if (o->all || cli_container_status(ctx, *id) == RUN_STATUS_RUNNING)
                                ctr_add(ctx, &v, &n, *id, NULL);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

#define T struct stats_opts
static const struct cli_option stats_flag_rows[] = {
        CLI_TRUE("all", 'a', T, all, "all containers (default: running ones)"),
        CLI_STRING("format", 0, T, format, "FORMAT",
                   "'table', 'table TEMPLATE', 'json' or a Go template"),
        CLI_TRUE("no-stream", 0, T, no_stream, "print the first result only"),
        CLI_TRUE("no-trunc", 0, T, no_trunc, "do not truncate output"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options stats_options =
        CLI_OPTIONS("stats", stats_flag_rows, 18,
                    "Usage: box stats [OPTIONS] [CONTAINER...]\n"
                    "\n"
                    "Display a live stream of container resource usage statistics.\n"
                    "\n"
                    "Options:\n");

static void sleep_1s(void)
{
        struct timespec t = {1, 0};
        while (nanosleep(&t, &t) < 0 && errno == EINTR)
                ;
}

int cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
        struct stats_opts o = {0};
        struct box_err err = {0};
        int first = cli_options_parse(&stats_options, &o, argc, argv);
        if (first <= 0)
                return -first;
        struct stats_ctr *v = NULL;
        size_t n = 0;
        int r = collect(ctx, argv + first, &o, &v, &n, &err);
        uint64_t host = 0, host_prev;
        int online = 1;
        for (size_t i = 0; r >= 0 && i < n; i++)
                sample(ctx, &v[i]);
        (void)run_stats_host_cpu(&host, &online);
        while (r >= 0) {
                sleep_1s();
                host_prev = host;
                for (size_t i = 0; i < n; i++)
                        sample(ctx, &v[i]);
                (void)run_stats_host_cpu(&host, &online);
                if (!o.no_stream && isatty(1))
                        printf("\033[2J\033[H");
                r = print_table(v, n, host - host_prev, online, &o, &err);
                if (o.no_stream)
                        break;
        }
        for (size_t i = 0; i < n; i++) {
                free(v[i].given);
                free(v[i].name);
                free(v[i].parent);
        }
        free(v);
        return r < 0 ? cli_fail(&err) : 0;
}

/* box ps: the containers of the store, as `docker ps` prints them. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>

#include "cli/container.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/go-regexp.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/network.h"
#include "run/state.h"
#include "spec/json.h"
#include "store/store.h"

#define DEFAULT_FORMAT                                                                             \
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{."   \
        "Names}}"

struct ps_row {
        char *id;
        char *created; /* RFC 3339 with nanoseconds: sorts as text */
        struct jv *o;  /* the row's fields */
};

static int64_t created_of(const struct jv *cfg)
{
        return jv_int_value(jv_get(cfg, "Created"));
}

/* "Up 3 seconds", "Exited (0) 2 minutes ago", Docker's State.String(). */
static char *status_text(struct cli_ctx *ctx, const char *id, const struct run_state_info *i,
                         const char *health)
{
        char ago[64];
        struct tm tm = {0};
        switch (i->status) {
        case RUN_STATUS_CREATED:
                return xstrdup("Created");
        case RUN_STATUS_RESTARTING:
                if (strptime(i->finished_at, "%Y-%m-%dT%H:%M:%S", &tm))
                        cli_format_ago(ago, sizeof(ago), (long long)timegm(&tm));
                return xasprintf("Restarting (%d) %s", i->exit_code, ago);
        case RUN_STATUS_EXITED:
                if (!strptime(i->finished_at, "%Y-%m-%dT%H:%M:%S", &tm))
                        return xasprintf("Exited (%d)", i->exit_code);
                cli_format_ago(ago, sizeof(ago), (long long)timegm(&tm));
                return xasprintf("Exited (%d) %s", i->exit_code, ago);
        case RUN_STATUS_RUNNING:
                break;
        }
        if (strptime(i->started_at, "%Y-%m-%dT%H:%M:%S", &tm))
                cli_format_ago(ago, sizeof(ago), (long long)timegm(&tm));
        else
                snprintf(ago, sizeof(ago), "Less than a second ago");
        char *sp = strstr(ago, " ago");
        if (sp)
                *sp = '\0';
        if (cli_container_paused(ctx, id))
                return xasprintf("Up %s (Paused)", ago);
        /* Docker's Health.String() */
        if (health && streq(health, "starting"))
                return xasprintf("Up %s (health: starting)", ago);
        if (health && *health)
                return xasprintf("Up %s (%s)", ago, health);
        return xasprintf("Up %s%s", ago, i->monitored ? "" : " (unmonitored)");
}

static char *command_text(const struct jv *cfg, bool no_trunc)
{
        _cleanup_strv_free_ char **args = jv_to_strv(jv_get(cfg, "Args"));
        struct buf b = {0};
        buf_printf(&b, "%s", jv_get_str(cfg, "Path") ? jv_get_str(cfg, "Path") : "");
        STRV_FOREACH (a, args)
                buf_printf(&b, " %s", *a);
        _cleanup_free_ char *cmd = buf_steal(&b);
        _cleanup_free_ char *cut = cli_ellipsis(cmd, no_trunc ? 0 : 20);
        return xasprintf("\"%s\"", cut);
}

/* Docker's: each mount's volume name, or a bind's source, cut to 15
 * characters without --no-trunc, joined with ","  */
static char *mounts_text(const struct jv *cfg, bool no_trunc)
{
        const struct jv *mounts = jv_get(cfg, "Mounts");
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        for (size_t i = 0; i < jv_len(mounts); i++) {
                const struct jv *m = jv_at(mounts, i);
                const char *name = jv_get_str(m, "Name");
                if (!name || !*name)
                        name = jv_get_str(m, "Source");
                v = strv_push(v, cli_ellipsis(strempty(name), no_trunc ? 0 : 15));
        }
        return strv_join(v, ",");
}

/* Docker's: "k=v,k2=v2" (sorted here; Docker's map order is random). */
static struct jv *ps_row_json(struct cli_ctx *ctx, const char *id, const struct jv *cfg,
                              const struct run_state_info *i, bool no_trunc, bool size)
{
        struct jv *o = jv_object();
        _cleanup_free_ char *health = cli_container_health(ctx, id, i);
        char buf[128];
        snprintf(buf, sizeof(buf), "%.*s", no_trunc ? RUN_ID_LEN : 12, id);
        jv_set_str(o, "ID", buf);
        const struct jv *c = jv_get(cfg, "Config");
        jv_set_str(o, "Image", jv_get_str(c, "Image") ? jv_get_str(c, "Image") : "");
        _cleanup_free_ char *cmd = command_text(cfg, no_trunc);
        jv_set_str(o, "Command", cmd);
        time_t t = (time_t)created_of(cfg);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
        jv_set_str(o, "CreatedAt", buf);
        cli_format_ago(buf, sizeof(buf), (long long)t);
        jv_set_str(o, "RunningFor", buf);
        _cleanup_free_ char *status = status_text(ctx, id, i, health);
        jv_set_str(o, "Status", status);
        bool paused;
        jv_set_str(o, "State", cli_container_state_word(ctx, id, i, &paused));
        _cleanup_free_ char *ports = cli_container_ports_text(ctx, id);
        jv_set_str(o, "Ports", ports);
        const char *name = jv_get_str(cfg, "Name");
        jv_set_str(o, "Names", name ? name : "");
        _cleanup_free_ char *labels = cli_labels_text(jv_get(c, "Labels"));
        jv_set_str(o, "Labels", labels);
        _cleanup_free_ char *mounts = mounts_text(cfg, no_trunc);
        jv_set_str(o, "Mounts", mounts);
        _cleanup_free_ char *networks = cli_container_networks_text(cfg);
        jv_set_str(o, "Networks", networks);
        jv_set_str(o, "Health", health ? health : "");
        if (size) {
                /* Docker's: "2B (virtual 2.14MB)" */
                int64_t rw, rootfs;
                cli_container_sizes(ctx, id, cfg, &rw, &rootfs);
                char virt[32];
                cli_format_size(buf, sizeof(buf), (double)rw);
                cli_format_size(virt, sizeof(virt), (double)rootfs);
                _cleanup_free_ char *text = xasprintf("%s (virtual %s)", buf, virt);
                jv_set_str(o, "Size", text);
        }
        return o;
}

/* Any of the values of one key matches; every key must match. */
static bool any_match(char *const *want, const char *have, bool prefix, bool substr)
{
        if (!want)
                return true;
        STRV_FOREACH (w, want) {
                if (have && (streq(*w, have) || (prefix && startswith(have, *w)) ||
                             (substr && strstr(have, *w))))
                        return true;
        }
        return false;
}

struct ps_filter {
        char **status, **name, **id, **ancestor, **label, **health, **exited, **network, **volume,
                **publish, **expose, **before, **since;
        /* before= and since=: the named containers' creation times
         * (RFC 3339 with nanoseconds: they compare as strings) */
        char *before_at, *since_at;
};

#define PS_FILTER_SLOTS(f)                                                                         \
        {                                                                                          \
                &(f)->status, &(f)->name, &(f)->id, &(f)->ancestor, &(f)->label, &(f)->health,     \
                        &(f)->exited, &(f)->network, &(f)->volume, &(f)->publish, &(f)->expose,    \
                        &(f)->before, &(f)->since                                                  \
        }

static void ps_filter_release(struct ps_filter *f)
{
        char ***slots[] = PS_FILTER_SLOTS(f);
        for (size_t i = 0; i < ARRAY_SIZE(slots); i++)
                strv_free(*slots[i]);
        free(f->before_at);
        free(f->since_at);
}

static bool ps_filter_any(const struct ps_filter *f)
{
        char **const *slots[] = PS_FILTER_SLOTS(f);
        for (size_t i = 0; i < ARRAY_SIZE(slots); i++)
                if (*slots[i])
                        return true;
        return false;
}

/* PORT[/PROTO] or FIRST-LAST[/PROTO] (tcp when none), Docker's publish= and
 * expose= values. */
static int port_range_parse(const char *v, unsigned *lo, unsigned *hi, char proto[4])
{
        char *end;
        unsigned long a = strtoul(v, &end, 10), b = a;
        if (end == v || a < 1 || a > 65535)
                return -EINVAL;
        if (*end == '-') {
                const char *p = end + 1;
                b = strtoul(p, &end, 10);
                if (end == p || b < a || b > 65535)
                        return -EINVAL;
        }
        const char *pr = *end == '/' ? end + 1 : "tcp";
        if (*end && *end != '/')
                return -EINVAL;
        if (!streq(pr, "tcp") && !streq(pr, "udp") && !streq(pr, "sctp"))
                return -EINVAL;
        snprintf(proto, 4, "%s", pr);
        *lo = (unsigned)a;
        *hi = (unsigned)b;
        return 0;
}

static int ps_filter_add(struct ps_filter *f, const char *kv)
{
        static const char *const keys[] = {"status", "name",   "id",      "ancestor", "label",
                                           "health", "exited", "network", "volume",   "publish",
                                           "expose", "before", "since"};
        const char *eq = strchr(kv, '=');
        char ***slots[] = PS_FILTER_SLOTS(f);
        for (size_t i = 0; eq && i < ARRAY_SIZE(keys); i++) {
                if ((size_t)(eq - kv) == strlen(keys[i]) && strneq(kv, keys[i], strlen(keys[i]))) {
                        unsigned lo, hi;
                        char proto[4];
                        if ((slots[i] == &f->publish || slots[i] == &f->expose) &&
                            port_range_parse(eq + 1, &lo, &hi, proto) < 0)
                                return -EINVAL;
                        struct go_regexp *re = NULL;
                        if (slots[i] == &f->name && go_regexp_compile(eq + 1, &re, NULL) < 0)
                                return -EINVAL;
                        go_regexp_free(re);
                        /* Docker's daemon refuses a status or health it
                         * does not know (a typo showed nothing) */
                        static const char *const states[] = {"created",  "restarting", "running",
                                                             "removing", "paused",     "exited",
                                                             "dead",     NULL};
                        static const char *const healths[] = {"starting", "healthy", "unhealthy",
                                                              "none", NULL};
                        const char *const *valid = slots[i] == &f->status   ? states
                                                   : slots[i] == &f->health ? healths
                                                                            : NULL;
                        bool ok = !valid;
                        for (size_t k = 0; valid && valid[k]; k++)
                                ok = ok || streq(eq + 1, valid[k]);
                        if (slots[i] == &f->exited) {
                                char *end;
                                errno = 0;
                                (void)strtol(eq + 1, &end, 10);
                                ok = end != eq + 1 && !*end && !errno;
                        }
                        if (!ok)
                                return -EINVAL;
                        *slots[i] = strv_append(*slots[i], eq + 1);
                        return 0;
                }
        }
        return -EINVAL;
}

/* Any of the "PORT/PROTO" ports HAVE is in one of the ranges WANT. */
static bool ports_match(char *const *want, char *const *have)
{
        if (!want)
                return true;
        STRV_FOREACH (w, want) {
                unsigned lo, hi;
                char proto[4];
                if (port_range_parse(*w, &lo, &hi, proto) < 0)
                        continue;
                STRV_FOREACH (h, have) {
                        unsigned p, q;
                        char hp[4];
                        if (port_range_parse(*h, &p, &q, hp) == 0 && streq(hp, proto) && p >= lo &&
                            p <= hi)
                                return true;
                }
        }
        return false;
}

/* The container ports CFG publishes (-p and -P), as "PORT/PROTO". */
static char **published_ports(const struct jv *cfg)
{
        char **v = xnew0(char *, 1);
        const struct jv *pub = jv_get(jv_get(cfg, "HostConfig"), "BoxPublish");
        for (size_t i = 0; i < jv_len(pub); i++) {
                _cleanup_free_ struct run_port *ports = NULL;
                size_t n = 0;
                if (!jv_str(jv_at(pub, i)) ||
                    run_port_parse(jv_str(jv_at(pub, i)), &ports, &n, NULL) < 0)
                        continue;
                for (size_t k = 0; k < n; k++)
                        v = strv_push(v,
                                      xasprintf("%u/%s", ports[k].container_port, ports[k].proto));
        }
        return v;
}

static char **exposed_ports(const struct jv *cfg)
{
        char **v = xnew0(char *, 1);
        struct jv_iter it;
        const char *k;
        struct jv *val;
        const struct jv *e = jv_get(jv_get(cfg, "Config"), "ExposedPorts");
        jv_iter_init(&it, e);
        while (jv_is_object(e) && jv_iter_next(&it, &k, &val))
                v = strv_append(v, k);
        return v;
}

/* volume=: a volume's name (a bind's source) or a mount's destination */
static bool volume_match(char *const *want, const struct jv *cfg)
{
        if (!want)
                return true;
        const struct jv *mounts = jv_get(cfg, "Mounts");
        for (size_t i = 0; i < jv_len(mounts); i++) {
                const struct jv *m = jv_at(mounts, i);
                const char *name = jv_get_str(m, "Name");
                if (!name || !*name)
                        name = jv_get_str(m, "Source");
                if (any_match(want, name, false, false) ||
                    any_match(want, jv_get_str(m, "Destination"), false, false))
                        return true;
        }
        return false;
}

/* network=: one of its networks' names */
static bool network_match(char *const *want, const struct jv *cfg)
{
        if (!want)
                return true;
        _cleanup_free_ char *text = cli_container_networks_text(cfg);
        char *rest = text;
        for (char *n; (n = strsep(&rest, ","));)
                if (*n && any_match(want, n, false, false))
                        return true;
        return false;
}

/* name=: Go regular expressions, as Docker's filters.Args.Match, against
 * the name and the "/name" Docker keeps (so "name=^/web$" is one name) */
static bool name_match(char *const *want, const char *name)
{
        _cleanup_free_ char *slashed = xasprintf("/%s", strempty(name));
        const char *names[] = {strempty(name), slashed};
        return go_regexp_match_any(want, names, 2);
}

static bool ports_filter_match(const struct ps_filter *f, const struct jv *cfg)
{
        if (!f->publish && !f->expose)
                return true;
        _cleanup_strv_free_ char **pub = published_ports(cfg);
        _cleanup_strv_free_ char **exp = exposed_ports(cfg);
        return ports_match(f->publish, pub) && ports_match(f->expose, exp);
}

static bool ps_filter_match(const struct ps_filter *f, const struct jv *row, const char *id,
                            const struct jv *cfg, const struct run_state_info *i)
{
        char code[16];
        snprintf(code, sizeof(code), "%d", i->exit_code);
        const char *image = jv_get_str(jv_get(cfg, "Config"), "Image");
        const char *image_id = jv_get_str(cfg, "Image");
        if (image_id && startswith(image_id, "sha256:"))
                image_id += 7;
        const char *health = jv_get_str(row, "Health");
        bool ancestor = !f->ancestor || any_match(f->ancestor, image, false, false) ||
                        any_match(f->ancestor, image_id, true, false);
        /* every label filter must hold, as Docker's */
        return any_match(f->status, jv_get_str(row, "State"), false, false) &&
               name_match(f->name, jv_get_str(row, "Names")) && any_match(f->id, id, true, false) &&
               ancestor &&
               cli_labels_match_json(f->label, jv_get(jv_get(cfg, "Config"), "Labels")) &&
               any_match(f->health, health && *health ? health : "none", false, false) &&
               (!f->exited ||
                (i->status == RUN_STATUS_EXITED && any_match(f->exited, code, false, false))) &&
               network_match(f->network, cfg) && volume_match(f->volume, cfg) &&
               (!f->before_at || (i->created_at && strcmp(i->created_at, f->before_at) < 0)) &&
               (!f->since_at || (i->created_at && strcmp(i->created_at, f->since_at) > 0)) &&
               ports_filter_match(f, cfg);
}

static int row_cmp(const void *a, const void *b)
{
        const struct ps_row *x = a, *y = b;
        int c = strcmp(y->created, x->created);
        return c ? c : strcmp(x->id, y->id);
}

struct ps_opts {
        bool all, quiet, no_trunc, size;
        int last;
        const char *format;
        struct ps_filter filter;
};

/* A container whose maker was killed between taking its name and writing
 * its config: no monitor holds it, nothing will finish it.  Docker lists
 * such a husk as "Dead"; box rm and container prune remove it. */
static struct ps_row *dead_row(struct cli_ctx *ctx, const char *root, const char *id,
                               const struct ps_opts *o)
{
        if (run_state_is_live(ctx->runroot, id))
                return NULL; /* still being made */
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
        _cleanup_free_ char *np = xasprintf("%s/name", dir), *name = NULL;
        struct stat st;
        if (stat(dir, &st) < 0)
                return NULL;
        (void)fs_read_file_at(AT_FDCWD, np, 4096, &name, NULL, NULL);
        struct jv *row = jv_object();
        char buf[128];
        snprintf(buf, sizeof(buf), "%.*s", o->no_trunc ? RUN_ID_LEN : 12, id);
        jv_set_str(row, "ID", buf);
        jv_set_str(row, "Image", "");
        jv_set_str(row, "Command", "");
        struct tm tm;
        localtime_r(&st.st_mtime, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
        jv_set_str(row, "CreatedAt", buf);
        cli_format_ago(buf, sizeof(buf), (long long)st.st_mtime);
        jv_set_str(row, "RunningFor", buf);
        jv_set_str(row, "Status", "Dead");
        jv_set_str(row, "State", "dead");
        jv_set_str(row, "Ports", "");
        jv_set_str(row, "Names", name ? name : "");
        jv_set_str(row, "Labels", "");
        jv_set_str(row, "Mounts", "");
        jv_set_str(row, "Networks", "");
        jv_set_str(row, "Health", "");
        if (o->size)
                jv_set_str(row, "Size", "0B");
        struct tm utc;
        gmtime_r(&st.st_mtime, &utc);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.000000000Z", &utc);
        struct ps_row *r = xnew0(struct ps_row, 1);
        *r = (struct ps_row){xstrdup(id), xstrdup(buf), row};
        return r;
}

static struct ps_row *collect(struct cli_ctx *ctx, struct ps_opts *o, size_t *ret_n)
{
        struct store *st;
        size_t n = 0;
        struct ps_row *rows = NULL;
        if (cli_store(ctx, &st, NULL) < 0) {
                *ret_n = 0;
                return NULL;
        }
        _cleanup_strv_free_ char **ids = run_state_list(store_root(st));
        STRV_FOREACH (id, ids) {
                _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, *id);
                struct run_state_info i;
                /* a container still being made (or just removed) has no config
                 * yet; one whose maker died never will: -a lists it as Dead
                 * (not with filters, which read what it lacks) */
                if (!cfg) {
                        bool filtered = ps_filter_any(&o->filter);
                        struct ps_row *d =
                                o->all && !filtered ? dead_row(ctx, store_root(st), *id, o) : NULL;
                        if (d) {
                                rows = xreallocarray(rows, n + 1, sizeof(*rows));
                                rows[n++] = *d;
                                free(d);
                        }
                        continue;
                }
                if (cli_container_state(ctx, *id, &i) < 0)
                        continue;
                struct jv *row = ps_row_json(ctx, *id, cfg, &i, o->no_trunc, o->size);
                bool running = i.status == RUN_STATUS_RUNNING || i.status == RUN_STATUS_RESTARTING;
                bool keep = (o->all || running || o->last > 0 || o->filter.status ||
                             o->filter.exited) &&
                            ps_filter_match(&o->filter, row, *id, cfg, &i);
                if (!keep) {
                        run_state_info_release(&i);
                        jv_free(row);
                        continue;
                }
                rows = xreallocarray(rows, n + 1, sizeof(*rows));
                rows[n++] = (struct ps_row){xstrdup(*id), TAKE_PTR(i.created_at), row};
                run_state_info_release(&i);
        }
        if (n > 1) /* qsort of NULL rows is undefined, even of none */
                qsort(rows, n, sizeof(*rows), row_cmp);
        if (o->last > 0 && (size_t)o->last < n) {
                for (size_t k = (size_t)o->last; k < n; k++) {
                        free(rows[k].id);
                        free(rows[k].created);
                        jv_free(rows[k].o);
                }
                n = (size_t)o->last;
        }
        *ret_n = n;
        return rows;
}

static const char *const titles[] = {
        "ID",        "CONTAINER ID", "Image",      "IMAGE",   "Command", "COMMAND",
        "CreatedAt", "CREATED AT",   "RunningFor", "CREATED", "Status",  "STATUS",
        "State",     "STATE",        "Ports",      "PORTS",   "Names",   "NAMES",
        "Size",      "SIZE",         "Labels",     "LABELS",  "Mounts",  "MOUNTS",
        "Networks",  "NETWORKS",     "Health",     "HEALTH",  NULL,
};

static int print_rows(struct ps_row *rows, size_t n, const struct ps_opts *o, struct box_err *err)
{
        const char *format = o->format;
        _cleanup_free_ char *fmt = NULL;
        if (!format || streq(format, "table"))
                format = fmt = o->size ? xasprintf("%s\t{{.Size}}", DEFAULT_FORMAT)
                                       : xstrdup(DEFAULT_FORMAT);
        if (o->quiet && !o->format) {
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", jv_get_str(rows[i].o, "ID"));
                return 0;
        }
        struct jv **v = xnew0(struct jv *, n + 1);
        for (size_t i = 0; i < n; i++)
                v[i] = rows[i].o;
        int r = cli_format_rows(format, titles, v, n, err);
        free(v);
        return r;
}

static int opt_last(void *opts, const char *arg)
{
        struct ps_opts *o = opts;
        char *end;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end || v < INT_MIN || v > INT_MAX)
                return cli_usage_error("ps", "invalid --last '%s'", arg);
        o->last = (int)v;
        return 0;
}

static int opt_filter(void *opts, const char *arg)
{
        struct ps_opts *o = opts;
        if (ps_filter_add(&o->filter, arg) < 0)
                return cli_usage_error("ps", "invalid filter '%s'", arg);
        return 0;
}

#define T struct ps_opts
#define R CLI_ARG_REQUIRED
static const struct cli_option ps_flag_rows[] = {
        CLI_TRUE("all", 'a', T, all, "show all containers"),
        CLI_FUNC("filter", 'f', R, opt_filter, "K=V",
                 "status=, name=, id=, ancestor=, label=, health=, exited=,\nnetwork=, "
                 "volume=, publish=, expose=, before=, since="),
        CLI_STRING("format", 0, T, format, "FORMAT",
                   "'table', 'table TEMPLATE', 'json' or a Go template"),
        CLI_FUNC("last", 'n', R, opt_last, "N", "the N last created containers (all states)"),
        CLI_SET("latest", 'l', T, last, 1, "the latest created container (all states)"),
        CLI_TRUE("no-trunc", 0, T, no_trunc, "do not truncate output"),
        CLI_TRUE("quiet", 'q', T, quiet, "only display container ids"),
        CLI_TRUE("size", 's', T, size, "display total file sizes"),
        CLI_HELP("help", 'h'),
};
#undef R
#undef T

static const struct cli_options ps_options = CLI_OPTIONS("ps", ps_flag_rows, 18,
                                                         "Usage: box ps [OPTIONS]\n"
                                                         "\n"
                                                         "List containers (running ones; -a all).\n"
                                                         "\n"
                                                         "Options:\n");

int cmd_ps(struct cli_ctx *ctx, int argc, char **argv)
{
        struct ps_opts o = {0};
        struct box_err err = {0};
        int first = cli_options_parse(&ps_options, &o, argc, argv);
        if (first <= 0) {
                ps_filter_release(&o.filter);
                return -first;
        }
        /* before= and since= name containers: their creation times */
        const char *const which[] = {"before", "since"};
        char **names[] = {o.filter.before, o.filter.since};
        char **times[] = {&o.filter.before_at, &o.filter.since_at};
        for (size_t k = 0; k < 2; k++) {
                size_t nv = strv_length(names[k]);
                if (!nv)
                        continue;
                char id[RUN_ID_LEN + 1];
                if (cli_container_find(ctx, names[k][nv - 1], id, &err) < 0) {
                        ps_filter_release(&o.filter);
                        box_err_prefix(&err, "filter %s", which[k]);
                        return cli_fail(&err);
                }
                struct run_state_info i;
                if (cli_container_state(ctx, id, &i) < 0 || !i.created_at) {
                        ps_filter_release(&o.filter);
                        box_err_set(&err, ENOENT, "filter %s: container %.12s has no state",
                                    which[k], id);
                        return cli_fail(&err);
                }
                *times[k] = TAKE_PTR(i.created_at);
                run_state_info_release(&i);
        }
        size_t n;
        struct ps_row *rows = collect(ctx, &o, &n);
        int r = print_rows(rows, n, &o, &err);
        for (size_t i = 0; i < n; i++) {
                free(rows[i].id);
                free(rows[i].created);
                jv_free(rows[i].o);
        }
        free(rows);
        ps_filter_release(&o.filter);
        return r < 0 ? cli_fail(&err) : 0;
}

#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd-run-life.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "spec/oci.h"
#include "store/store.h"

void cli_error_line(const char *msg)
{
        /* one line whatever a name or flag in it holds: its control
         * characters but the tab escaped, as Go's %q would */
        fputs("box: error: ", stderr);
        for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", stderr);
                else if (*p == '\r')
                        fputs("\\r", stderr);
                else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        fprintf(stderr, "\\x%02x", *p);
                else
                        fputc(*p, stderr);
        }
        fputc('\n', stderr);
}

int cli_fail(const struct box_err *err)
{
        cli_error_line(err->msg[0] ? err->msg : strerror(err->code));
        return err->exit_code ? err->exit_code : EXIT_BOX;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        _cleanup_free_ char *msg = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                msg = NULL;
        cli_error_line(msg ? msg : "out of memory");
        if (cmd)
                fprintf(stderr, "See 'box %s --help'.\n", cmd);
        else
                fputs("See 'box --help'.\n", stderr);
        return EXIT_BOX;
}

int cli_store(struct cli_ctx *ctx, struct store **ret, struct box_err *err)
{
        if (!ctx->store) {
                int r = store_open(ctx->root, &ctx->store, err);
                if (r < 0)
                        return r;
        }
        *ret = ctx->store;
        return 0;
}

char **cli_container_images(void *store)
{
        char **manifests = NULL;
        run_state_pins(store_root(store), NULL, &manifests);
        return manifests;
}

int cli_help(const char *text)
{
        fputs(text, stdout);
        return 0;
}

int cli_exists_main(struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
                    int (*lookup)(struct cli_ctx *ctx, const char *name, struct box_err *err))
{
        const char *what = strchr(cmd, ' ') ? strndupa(cmd, strcspn(cmd, " ")) : cmd;
        _cleanup_free_ char *help = xasprintf("Usage: box %s %s\n\n"
                                              "Exit 0 if that %s exists, 1 if not (podman's).\n",
                                              cmd, what, what);
        int first = cli_options_parse_help(cmd, help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error(cmd, "'box %s' requires exactly 1 argument", cmd);
        struct box_err err = {0};
        int r = lookup(ctx, argv[first], &err);
        if (r == -ENOENT)
                return 1;
        return r < 0 ? cli_fail(&err) : 0;
}

int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
                 char **argv)
{
        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h") ||
            streq(argv[1], "help")) {
                FILE *f = argc < 2 ? stderr : stdout;
                fprintf(f, "Usage: box %s COMMAND\n\nCommands:\n", group);
                for (const struct cli_command *c = table; c->name; c++)
                        if (!c->hidden)
                                fprintf(f, "  %-10s %s\n", c->name, c->summary);
                fprintf(f, "\nRun 'box %s COMMAND --help' for more information on a command.\n",
                        group);
                return argc < 2 ? EXIT_BOX : 0;
        }
        for (const struct cli_command *c = table; c->name; c++) {
                if (streq(c->name, argv[1])) {
                        optind = 0;
                        return c->run(ctx, argc - 1, argv + 1);
                }
        }
        if (argv[1][0] == '-')
                return cli_usage_error(group, "unknown flag '%s'", argv[1]);
        return cli_usage_error(group, "unknown command 'box %s %s'", group, argv[1]);
}

/* docker's go-units HumanSizeWithPrecision(size, PREC) */
void cli_format_size_prec(char *buf, size_t n, double bytes, int prec)
{
        static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        size_t u = 0;
        while (bytes >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
                bytes /= 1000.0;
                u++;
        }
        snprintf(buf, n, "%.*g%s", prec, bytes, units[u]);
}

void cli_format_size(char *buf, size_t n, double bytes)
{
        cli_format_size_prec(buf, n, bytes, 3);
}

/* docker's go-units HumanDuration, then " ago" */
void cli_format_ago(char *buf, size_t n, long long t)
{
        if (t <= 0) {
                snprintf(buf, n, "N/A");
                return;
        }
        double d = difftime(time(NULL), (time_t)t);
        long long s = (long long)d, m = s / 60, h = (long long)(d / 3600 + 0.5);
        if (s < 1)
                snprintf(buf, n, "Less than a second ago");
        else if (s == 1)
                snprintf(buf, n, "1 second ago");
        else if (s < 60)
                snprintf(buf, n, "%lld seconds ago", s);
        else if (m == 1)
                snprintf(buf, n, "About a minute ago");
        else if (m < 60)
                snprintf(buf, n, "%lld minutes ago", m);
        else if (h == 1)
                snprintf(buf, n, "About an hour ago");
        else if (h < 48)
                snprintf(buf, n, "%lld hours ago", h);
        else if (h < 24 * 7 * 2)
                snprintf(buf, n, "%lld days ago", h / 24);
        else if (h < 24 * 30 * 2)
                snprintf(buf, n, "%lld weeks ago", h / 24 / 7);
        else if (h < 24 * 365 * 2)
                snprintf(buf, n, "%lld months ago", h / 24 / 30);
        else
                snprintf(buf, n, "%lld years ago", (long long)(d / 3600) / 24 / 365);
}

void cli_table_add(struct cli_table *t, ...)
{
        va_list ap;
        char **row = xnew0(char *, 1);
        size_t n = 0;
        va_start(ap, t);
        for (const char *c; (c = va_arg(ap, const char *));) {
                row = strv_append(row, c);
                n++;
        }
        va_end(ap);
        t->rows = xreallocarray(t->rows, t->n_rows + 1, sizeof(*t->rows));
        t->rows[t->n_rows++] = row;
        if (n > t->n_cols)
                t->n_cols = n;
}

void cli_table_flush(struct cli_table *t)
{
        size_t *w = xnew0(size_t, t->n_cols + 1);
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; t->rows[r][c]; c++)
                        if (strlen(t->rows[r][c]) > w[c])
                                w[c] = strlen(t->rows[r][c]);
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t c = 0; t->rows[r][c]; c++) {
                        if (t->rows[r][c + 1])
                                printf("%-*s", (int)(w[c] + 3), t->rows[r][c]);
                        else
                                printf("%s", t->rows[r][c]);
                }
                putchar('\n');
                strv_free(t->rows[r]);
        }
        free(t->rows);
        free(w);
        t->rows = NULL;
        t->n_rows = t->n_cols = 0;
}

int cli_parse_when(const char *s, int64_t *ret_ns)
{
        int64_t d;
        if (cli_parse_duration(s, &d) == 0 && strpbrk(s, "hmsun")) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                *ret_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - d;
                return 0;
        }
        /* Unix seconds[.fraction]: digits only (no "nan", "inf", sign, hex
         * or exponent), counted in integers: a double lost the nanoseconds,
         * and seconds past 2262 overflowed int64's ns (undefined) */
        size_t digits = strspn(s, "0123456789");
        const char *frac = s + digits + (s[digits] == '.');
        if (digits > 0 && (!s[digits] || s[digits] == '.') &&
            strspn(frac, "0123456789") == strlen(frac)) {
                if (digits > 10)
                        return -ERANGE;
                int64_t sec = strtoll(s, NULL, 10), ns = 0;
                const char *f = frac;
                for (int i = 0; i < 9; i++)
                        ns = ns * 10 + (*f ? *f++ - '0' : 0);
                if (sec > (INT64_MAX - ns) / 1000000000)
                        return -ERANGE;
                *ret_ns = sec * 1000000000 + ns;
                return 0;
        }
        return oci_time_parse_ns(s, ret_ns);
}

int cli_confirm(const char *warning)
{
        printf("WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
        fflush(stdout);
        char line[64];
        if (!fgets(line, sizeof(line), stdin))
                return 0;
        return line[0] == 'y' || line[0] == 'Y';
}

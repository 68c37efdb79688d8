/* box image history IMAGE; box image prune [-a] [-f]. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/format.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "store/image.h"

struct history_flags {
        const char *format;
        bool no_trunc, quiet, human;
};

#define T struct history_flags
static const struct cli_option history_flag_rows[] = {
        CLI_STRING("format", 0, T, format, "string",
                   "'table' (default), 'json' (one object a line), or a\n"
                   "Go template ('table TEMPLATE' for a table)"),
        CLI_TRUE("no-trunc", 0, T, no_trunc, "don't truncate output"),
        CLI_TRUE("quiet", 'q', T, quiet, "only show image ids"),
        CLI_BOOL("human", 'H', T, human, "[=BOOL]",
                 "sizes and dates in human readable form (default true)"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options history_options =
        CLI_OPTIONS("image history", history_flag_rows, 18,
                    "Usage: box image history [OPTIONS] IMAGE\n"
                    "\n"
                    "Show the history of an image, newest step first.\n"
                    "\n"
                    "Options:\n");

struct step {
        const char *created, *created_by, *comment;
        int64_t size;
        int empty;
};

/* Docker's RFC 3339 in local time, to the second, as its history prints
 * CreatedAt ("2024-05-01T10:00:00Z" in UTC, else "+02:00") */
static void rfc3339_local(char *buf, size_t len, int64_t t)
{
        struct tm tm;
        time_t tt = (time_t)t;
        if (t < 0 || !localtime_r(&tt, &tm)) {
                snprintf(buf, len, "%s", "");
                return;
        }
        size_t m = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        long off = tm.tm_gmtoff;
        if (off == 0)
                snprintf(buf + m, len - m, "Z");
        else
                snprintf(buf + m, len - m, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                         labs(off) % 3600 / 60);
}

/* One row of docker history's table: its fields are strings, as docker's
 * `--format json` prints them.  ID: the image's, for the newest step. */
static struct jv *step_row(const struct step *s, const char *id, bool no_trunc, bool human)
{
        char at[64], ago[64], size[32];
        int64_t t = s->created ? oci_time_parse(s->created) : -1;
        rfc3339_local(at, sizeof(at), t);
        if (human) {
                cli_format_ago(ago, sizeof(ago), t);
                cli_format_size(size, sizeof(size), (double)s->size);
        } else {
                snprintf(ago, sizeof(ago), "%s", at);
                snprintf(size, sizeof(size), "%" PRId64, s->size);
        }
        _cleanup_free_ char *by = cli_ellipsis(strempty(s->created_by), no_trunc ? 0 : 45);
        struct jv *o = jv_object();
        if (!id)
                jv_set_str(o, "ID", "<missing>");
        else if (no_trunc)
                jv_set_str(o, "ID", id);
        else {
                char shortid[13];
                snprintf(shortid, sizeof(shortid), "%.12s", id + 7);
                jv_set_str(o, "ID", shortid);
        }
        jv_set_str(o, "CreatedAt", at);
        jv_set_str(o, "CreatedSince", ago);
        jv_set_str(o, "CreatedBy", by);
        jv_set_str(o, "Size", size);
        jv_set_str(o, "Comment", strempty(s->comment));
        return o;
}

int cmd_image_history(struct cli_ctx *ctx, int argc, char **argv)
{
        struct history_flags f = {.human = true};
        struct box_err err = {0};
        int first = cli_options_parse(&history_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("image history",
                                       "'box image history' requires exactly 1 argument");
        const char *format = f.format;
        bool no_trunc = f.no_trunc, quiet = f.quiet;
        struct store *st;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        if (store_image_resolve(st, argv[first], &h, &err) < 0) {
                err.exit_code = 1;
                return cli_fail(&err);
        }

        /* history entries in order; each non-empty one owns the next layer */
        size_t n = h.config.n_history ? h.config.n_history : h.m.n_layers;
        struct step *steps = xnew0(struct step, n ? n : 1);
        size_t layer = 0;
        for (size_t i = 0; i < n; i++) {
                struct step *s = &steps[i];
                if (h.config.n_history) {
                        const struct oci_history *hi = &h.config.history[i];
                        s->created = hi->created;
                        s->created_by = hi->created_by;
                        s->comment = hi->comment;
                        s->empty = hi->empty_layer;
                } else {
                        s->created = h.config.created;
                }
                if (!s->empty && layer < h.m.n_layers) {
                        /* docker shows the uncompressed size: the blob's when
                         * it is the plain tar, else the unpacked tree's */
                        const char *diff_id = layer < strv_length(h.config.diff_ids)
                                                      ? h.config.diff_ids[layer]
                                                      : NULL;
                        s->size = h.m.layers[layer].size;
                        if (diff_id && !streq(diff_id, h.m.layers[layer].digest) &&
                            store_layer_exists(st, diff_id)) {
                                _cleanup_free_ char *rel = xasprintf("layers/%s", diff_id + 7);
                                s->size = fs_tree_size_at(store_root_fd(st), rel);
                        }
                        layer++;
                }
        }

        if (quiet) {
                for (size_t k = n; k-- > 0;)
                        if (k == n - 1)
                                printf("%.*s\n", no_trunc ? 71 : 12, no_trunc ? h.id : h.id + 7);
                        else
                                printf("<missing>\n");
                free(steps);
                return 0;
        }
        struct jv **rows = xnew0(struct jv *, n ? n : 1);
        for (size_t k = n, i = 0; k-- > 0; i++)
                rows[i] = step_row(&steps[k], k == n - 1 ? h.id : NULL, no_trunc, f.human);
        static const char *const titles[] = {
                "ID",         "IMAGE",     "CreatedSince", "CREATED", "CreatedAt",
                "CREATED AT", "CreatedBy", "CREATED BY",   "Size",    "SIZE",
                "Comment",    "COMMENT",   NULL,
        };
        const char *fmt = format && !streq(format, "table") ? format
                          : f.human ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t"
                                      "{{.Size}}\t{{.Comment}}"
                                    : "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t"
                                      "{{.Size}}\t{{.Comment}}";
        int r = cli_format_rows(fmt, titles, rows, n, &err);
        for (size_t i = 0; i < n; i++)
                jv_free(rows[i]);
        free(rows);
        free(steps);
        return r < 0 ? cli_fail(&err) : 0;
}

/* box image history IMAGE; box image prune [-a] [-f]. */
#include <stdio.h>

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
        bool no_trunc, quiet;
};

#define T struct history_flags
static const struct cli_option history_flag_rows[] = {
        CLI_STRING("format", 0, T, format, "string",
                   "'table' (default), 'json', or a Go-style template"),
        CLI_TRUE("no-trunc", 0, T, no_trunc, "don't truncate output"),
        CLI_TRUE("quiet", 'q', T, quiet, "only show image ids"),
        CLI_COMPAT("human", 'H', NULL), /* sizes are human */
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

/* Docker's ellipsis: at most N characters, the last one '…' when cut. */
static char *ellipsis(const char *s, size_t n, int no_trunc)
{
        if (no_trunc || strlen(s) <= n)
                return xstrdup(s);
        return xasprintf("%.*s…", (int)(n - 1), s);
}

int cmd_image_history(struct cli_ctx *ctx, int argc, char **argv)
{
        struct history_flags f = {0};
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

        int json = format && streq(format, "json");
        int table = !format || streq(format, "table");
        struct jv *arr = json ? jv_array() : NULL;
        struct cli_table tab = {0};
        if (table && !quiet)
                cli_table_add(&tab, "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT", NULL);
        int r = 0;
        for (size_t k = n; k-- > 0;) {
                const struct step *s = &steps[k];
                char id[80], ago[64], size[32];
                if (k == n - 1)
                        snprintf(id, sizeof(id), "%.*s", no_trunc ? 71 : 12,
                                 no_trunc ? h.id : h.id + 7);
                else
                        snprintf(id, sizeof(id), "<missing>");
                int64_t t = s->created ? oci_time_parse(s->created) : -1;
                cli_format_ago(ago, sizeof(ago), t);
                cli_format_size(size, sizeof(size), (double)s->size);
                _cleanup_free_ char *by = ellipsis(strempty(s->created_by), 45, no_trunc);
                if (quiet) {
                        printf("%s\n", id);
                } else if (json) {
                        struct jv *o = jv_object();
                        jv_set_str(o, "ID", k == n - 1 ? h.id : "<missing>");
                        jv_set_str(o, "CreatedAt", s->created);
                        jv_set_str(o, "CreatedSince", ago);
                        jv_set_str(o, "CreatedBy", strempty(s->created_by));
                        jv_set(o, "Size", jv_int(s->size));
                        jv_set_str(o, "Comment", strempty(s->comment));
                        jv_set(o, "EmptyLayer", jv_bool(s->empty));
                        jv_push(arr, o);
                } else if (table) {
                        cli_table_add(&tab, id, ago, by, size, strempty(s->comment), NULL);
                } else {
                        struct jv *o = jv_object();
                        jv_set_str(o, "ID", id);
                        jv_set_str(o, "CreatedAt", strempty(s->created));
                        jv_set_str(o, "CreatedSince", ago);
                        jv_set_str(o, "CreatedBy", by);
                        jv_set_str(o, "Size", size);
                        jv_set_str(o, "Comment", strempty(s->comment));
                        _cleanup_free_ char *line = NULL;
                        r = cli_format_template(format, o, &line, &err);
                        jv_free(o);
                        if (r < 0)
                                break;
                        printf("%s\n", line);
                }
        }
        if (table && !quiet)
                cli_table_flush(&tab);
        if (json) {
                _cleanup_free_ char *out = jv_dump(arr, JV_PRETTY);
                printf("%s\n", out);
                jv_free(arr);
        }
        free(steps);
        return r < 0 ? cli_fail(&err) : 0;
}

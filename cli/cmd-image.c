/* box images, tag, rmi, image inspect / ls / rm / tag. */
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/state.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "cli/container.h"
#include "store/image.h"

#define EXIT_DAEMON_ERROR 1 /* Docker's status for "no such image" and conflicts */

static int fail_with(struct box_err *err, int code)
{
        err->exit_code = code;
        return cli_fail(err);
}

int64_t cli_image_size(const struct store_image_handle *h)
{
        int64_t s = 0;
        for (size_t i = 0; i < h->m.n_layers; i++)
                s += h->m.layers[i].size;
        return s;
}

/* store_image_resolve(), and also REPO@DIGEST: the image of that
 * repository whose manifest has that digest (docker resolves a canonical
 * reference the same way). */
int cli_image_resolve(struct store *st, const char *arg, struct store_image_handle *ret,
                      struct box_err *err)
{
        int r = store_image_resolve(st, arg, ret, err);
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (r != -ENOENT || !strchr(arg, '@') || spec_ref_parse(arg, &ref, NULL) < 0)
                return r;
        _cleanup_free_ char *repo = spec_ref_repository(&ref);
        struct store_image *imgs = NULL;
        size_t n = 0;
        int found = -1;
        if (ref.digest && store_images_list(st, &imgs, &n, NULL) >= 0) {
                for (size_t i = 0; i < n && found < 0; i++) {
                        _cleanup_image_ref_ struct image_ref have = {0};
                        if (!imgs[i].name || !streq(imgs[i].manifest, ref.digest) ||
                            spec_ref_parse(imgs[i].name, &have, NULL) < 0)
                                continue;
                        _cleanup_free_ char *hrepo = spec_ref_repository(&have);
                        if (streq(hrepo, repo))
                                found = (int)i;
                }
                if (found >= 0) {
                        box_err_clear(err);
                        r = store_image_load(st, imgs[found].manifest, ret, err);
                }
                store_images_free(imgs, n);
        }
        return r;
}

/* ---- images ---- */

struct row {
        char *repo, *tag;
        struct store_image_handle h;
        int64_t created;
};

/* podman's images --sort: created (newest first, docker's order), id,
 * repository, size (largest first) or tag; ties by repository and tag */
enum image_sort { SORT_CREATED, SORT_ID, SORT_REPOSITORY, SORT_SIZE, SORT_TAG };

static int row_cmp(const void *a, const void *b, void *key)
{
        const struct row *x = a, *y = b;
        int c = 0;
        switch (*(enum image_sort *)key) {
        case SORT_CREATED:
                c = x->created == y->created ? 0 : x->created < y->created ? 1 : -1;
                break;
        case SORT_ID:
                c = strcmp(x->h.id, y->h.id);
                break;
        case SORT_SIZE: {
                int64_t sx = cli_image_size(&x->h), sy = cli_image_size(&y->h);
                c = sx == sy ? 0 : sx < sy ? 1 : -1;
                break;
        }
        case SORT_TAG:
                c = strcmp(x->tag, y->tag);
                break;
        case SORT_REPOSITORY:
                break;
        }
        if (c)
                return c;
        c = strcmp(x->repo, y->repo);
        return c ? c : strcmp(x->tag, y->tag);
}

/* Go's time.Time.String() of a Unix time, in local time */
static void created_at(char *buf, size_t n, int64_t t)
{
        struct tm tm;
        time_t tt = (time_t)t;
        localtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
}

static struct jv *image_headers(void)
{
        static const char *const h[][2] = {
                {"ID", "IMAGE ID"},
                {"Repository", "REPOSITORY"},
                {"Tag", "TAG"},
                {"Digest", "DIGEST"},
                {"CreatedSince", "CREATED"},
                {"CreatedAt", "CREATED AT"},
                {"Size", "SIZE"},
                {"Containers", "CONTAINERS"},
                {"VirtualSize", "SIZE"},
                {"SharedSize", "SHARED SIZE"},
                {"UniqueSize", "UNIQUE SIZE"},
        };
        struct jv *o = jv_object();
        for (size_t i = 0; i < ARRAY_SIZE(h); i++)
                jv_set_str(o, h[i][0], h[i][1]);
        return o;
}

static struct jv *image_row(const struct row *r, int no_trunc)
{
        char id[80], since[64], at[80], size[32], vsize[32];
        snprintf(id, sizeof(id), "%.*s", no_trunc ? 71 : 12, no_trunc ? r->h.id : r->h.id + 7);
        cli_format_ago(since, sizeof(since), r->created);
        created_at(at, sizeof(at), r->created);
        cli_format_size_prec(size, sizeof(size), (double)cli_image_size(&r->h), 3);
        cli_format_size_prec(vsize, sizeof(vsize), (double)cli_image_size(&r->h), 4);
        struct jv *o = jv_object();
        jv_set_str(o, "Containers", "N/A");
        jv_set_str(o, "CreatedAt", at);
        jv_set_str(o, "CreatedSince", since);
        jv_set_str(o, "Digest", r->h.manifest);
        jv_set_str(o, "ID", id);
        jv_set_str(o, "Repository", r->repo);
        jv_set_str(o, "SharedSize", "N/A");
        jv_set_str(o, "Size", size);
        jv_set_str(o, "Tag", r->tag);
        jv_set_str(o, "UniqueSize", "N/A");
        jv_set_str(o, "VirtualSize", vsize);
        return o;
}

struct image_filters {
        bool dangling_set, dangling;
        char **refs;   /* patterns (the REPOSITORY[:TAG] argument among them) */
        char **labels; /* "k" or "k=v", all must match */
        char **not_labels;
        int64_t before, since, until; /* 0: unset (before, since), see has_until */
        bool has_until;               /* until=0 is 1970: nothing is older */
};

static void image_filters_release(struct image_filters *f)
{
        strv_free(f->refs);
        strv_free(f->labels);
        strv_free(f->not_labels);
}

static int image_created(struct store *st, const char *name, int64_t *ret, struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = cli_image_resolve(st, name, &h, err);
        if (r < 0)
                return r;
        *ret = oci_time_parse(h.config.created);
        return 0;
}

static int image_filter_add(struct store *st, struct image_filters *f, const char *arg,
                            struct box_err *err)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *key = xstrndup(arg, (size_t)(eq - arg));
        const char *v = eq + 1;
        if (streq(key, "dangling")) {
                if (!streq(v, "true") && !streq(v, "false") && !streq(v, "1") && !streq(v, "0"))
                        return box_err_set(err, EINVAL, "invalid filter 'dangling=%s'", v);
                f->dangling_set = true;
                f->dangling = streq(v, "true") || streq(v, "1");
        } else if (streq(key, "reference")) {
                f->refs = strv_append(f->refs, v);
        } else if (streq(key, "label")) {
                f->labels = strv_append(f->labels, v);
        } else if (streq(key, "label!")) {
                f->not_labels = strv_append(f->not_labels, v);
        } else if (streq(key, "before") || streq(key, "since")) {
                int64_t t;
                int r = image_created(st, v, &t, err);
                if (r < 0)
                        return r;
                *(streq(key, "before") ? &f->before : &f->since) = t;
        } else if (streq(key, "until")) {
                int64_t ns;
                if (cli_parse_when(v, &ns) < 0)
                        return box_err_set(err, EINVAL, "invalid filter 'until=%s'", v);
                f->until = ns / 1000000000;
                f->has_until = true;
        } else {
                return box_err_set(err, EINVAL, "invalid filter '%s'", key);
        }
        return 0;
}

bool cli_labels_match(char *const *want, char *const *labels)
{
        STRV_FOREACH (w, want) {
                const char *eq = strchr(*w, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*w, (size_t)(eq - *w)) : xstrdup(*w);
                const char *have = oci_kv_get(labels, k);
                if (!have || (eq && !streq(have, eq + 1)))
                        return false;
        }
        return true;
}

/* A name matches a pattern as docker's reference filter has it (Go's
 * path.Match on the familiar name, with or without the tag), or when the
 * pattern is the same repository (and tag) written another way
 * ("docker.io/library/busybox"). */
static int ref_matches(const char *pattern, const struct image_ref *ref, struct box_err *err)
{
        int m = spec_ref_familiar_match(pattern, ref, err);
        if (m != 0)
                return m;
        _cleanup_image_ref_ struct image_ref want = {0};
        if (spec_ref_parse_name(pattern, &want, NULL) < 0)
                return 0;
        _cleanup_free_ char *a = spec_ref_repository(&want), *b = spec_ref_repository(ref);
        return streq(a, b) && (!want.tag || streq(want.tag, strempty(ref->tag))) && !want.digest;
}

struct images_flags {
        bool digests, no_trunc, quiet;
        const char *format;
        char **filters;
        enum image_sort sort;
};

static int opt_sort(void *opts, const char *arg)
{
        static const char *const keys[] = {
                [SORT_CREATED] = "created", [SORT_ID] = "id",   [SORT_REPOSITORY] = "repository",
                [SORT_SIZE] = "size",       [SORT_TAG] = "tag",
        };
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                if (streq(arg, keys[i])) {
                        ((struct images_flags *)opts)->sort = (enum image_sort)i;
                        return 0;
                }
        }
        return cli_usage_error("images",
                               "invalid --sort '%s': created, id, repository, size or tag", arg);
}

#define T struct images_flags
static const struct cli_option images_flag_rows[] = {
        /* docker's intermediate images: box keeps none */
        CLI_COMPAT("all", 'a', "accepted for compatibility: box keeps no intermediate images"),
        CLI_TRUE("digests", 0, T, digests, "show digests"),
        CLI_STRV("filter", 'f', T, filters, "filter",
                 "filter output: dangling=true|false, reference=PATTERN,\nlabel=KEY[=VALUE], "
                 "label!=KEY[=VALUE], before=IMAGE,\nsince=IMAGE, until=TIMESTAMP"),
        CLI_STRING("format", 0, T, format, "string",
                   "'table' (default), 'table TEMPLATE', 'json', or a Go\ntemplate such as "
                   "'{{.Repository}}:{{.Tag}}'"),
        CLI_TRUE("no-trunc", 0, T, no_trunc, "don't truncate output"),
        CLI_TRUE("quiet", 'q', T, quiet, "only show image ids"),
        CLI_FUNC("sort", 0, CLI_ARG_REQUIRED, opt_sort, "string",
                 "podman's: order by created (default), id, repository,\nsize or tag"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options images_options =
        CLI_OPTIONS("images", images_flag_rows, 18,
                    "Usage: box images [OPTIONS] [REPOSITORY[:TAG]]\n"
                    "\n"
                    "List images.\n"
                    "\n"
                    "Options:\n");

/* The filters of -f and the REPOSITORY operand (may be NULL).  0 or an
 * exit status. */
static int images_filters(struct store *st, char *const *filters, const char *repo,
                          struct image_filters *flt)
{
        struct box_err err = {0};
        STRV_FOREACH (fl, filters) {
                const char *eq = strchr(*fl, '=');
                if (!eq || eq == *fl)
                        return cli_usage_error(
                                "images", "bad format of filter '%s' (expected name=value)", *fl);
                if (image_filter_add(st, flt, *fl, &err) < 0)
                        return fail_with(&err, EXIT_DAEMON_ERROR);
        }
        if (repo)
                flt->refs = strv_append(flt->refs, repo);
        return 0;
}

/* The name of IMG in R, when the name filters keep it: 1, 0 when they do
 * not, or -EINVAL for a bad pattern. */
static int row_name(const struct store_image *img, const struct image_filters *flt, struct row *r,
                    struct box_err *err)
{
        bool dangling = !img->name;
        if (flt->dangling_set && flt->dangling != dangling)
                return 0;
        if (dangling) {
                /* as docker: untagged images are listed too; a REPOSITORY or
                 * reference filter never matches them */
                if (flt->refs)
                        return 0;
                r->repo = xstrdup("<none>");
                r->tag = xstrdup("<none>");
                return 1;
        }
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(img->name, &ref, NULL) < 0)
                return 0;
        int m = !flt->refs;
        STRV_FOREACH (p, flt->refs) {
                m = ref_matches(*p, &ref, err);
                if (m != 0)
                        break;
        }
        if (m < 0) {
                err->exit_code = EXIT_DAEMON_ERROR;
                return -EINVAL;
        }
        if (m == 0)
                return 0;
        r->repo = spec_ref_familiar_repository(&ref);
        r->tag = xstrdup(ref.tag ? ref.tag : "<none>");
        return 1;
}

static void row_release(struct row *r)
{
        free(r->repo);
        free(r->tag);
        store_image_handle_release(&r->h);
}

/* IMG as a row of the listing (R), when the filters keep it: 1, 0 when
 * they do not, or -errno. */
static int row_make(struct store *st, const struct store_image *img,
                    const struct image_filters *flt, struct row *r, struct box_err *err)
{
        int k = row_name(img, flt, r, err);
        if (k <= 0)
                return k;
        struct box_err lerr = {0};
        if (store_image_load(st, img->manifest, &r->h, &lerr) < 0) {
                /* not hidden without a word: the listing goes on */
                fprintf(stderr, "box: warning: image '%s': %s; 'box rmi -f' removes it\n",
                        img->name ? img->name : img->manifest, lerr.msg);
                free(r->repo);
                free(r->tag);
                return 0;
        }
        r->created = oci_time_parse(r->h.config.created);
        const struct oci_container_config *cfg = &r->h.config.config;
        bool keep = cli_labels_match(flt->labels, cfg->labels) &&
                    (!flt->before || r->created < flt->before) &&
                    (!flt->since || r->created > flt->since) &&
                    (!flt->has_until || r->created < flt->until);
        STRV_FOREACH (nl, flt->not_labels) {
                char *one[] = {*nl, NULL};
                if (cli_labels_match(one, cfg->labels))
                        keep = false;
        }
        if (!keep)
                row_release(r);
        return keep;
}

/* The template of the listing: NULL for -q (ids only). */
static const char *images_format(const struct images_flags *f, char **owned)
{
        const char *format = f->format;
        if (!format || streq(format, "table")) {
                format = f->quiet     ? NULL
                         : f->digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                                        "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{"
                                        "end}}\t{{.Size}}"
                                      : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if "
                                        ".CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}"
                                        "\t{{.Size}}";
        }
        if (format && cli_format_is_table(format) && f->digests && !strstr(format, "{{.Digest}}"))
                format = *owned = xasprintf("%s\t{{.Digest}}", format);
        return format;
}

static int images_print(const struct images_flags *f, const struct row *rows, size_t nr,
                        struct box_err *err)
{
        _cleanup_free_ char *owned = NULL;
        const char *format = images_format(f, &owned);
        _cleanup_strv_free_ char **seen = xnew0(char *, 1);
        _cleanup_strv_free_ char **lines = xnew0(char *, 1);
        bool table = format && cli_format_is_table(format);
        int rc = 0;
        if (table) {
                _cleanup_jv_ struct jv *hd = image_headers();
                char *line = NULL;
                rc = cli_format_header(format, hd, &line, err);
                if (rc >= 0)
                        lines = strv_push(lines, line);
        }
        for (size_t i = 0; i < nr && rc >= 0; i++) {
                _cleanup_jv_ struct jv *o = image_row(&rows[i], f->no_trunc);
                if (!format) { /* -q */
                        const char *id = jv_get_str(o, "ID");
                        if (strv_contains(seen, id))
                                continue;
                        seen = strv_append(seen, id);
                        printf("%s\n", id);
                } else if (streq(format, "json")) {
                        _cleanup_free_ char *line = cli_format_json_line(o);
                        printf("%s\n", line);
                } else {
                        char *line = NULL;
                        rc = cli_format_template_strict(format, o, &line, err);
                        if (rc < 0)
                                break;
                        if (table)
                                lines = strv_push(lines, line);
                        else {
                                printf("%s\n", line);
                                free(line);
                        }
                }
        }
        if (rc >= 0 && table)
                cli_format_tabwrite(lines);
        return rc;
}

int cmd_images(struct cli_ctx *ctx, int argc, char **argv)
{
        struct images_flags f = {0};
        int first = cli_options_parse(&images_options, &f, argc, argv);
        _cleanup_strv_free_ char **filters = f.filters;
        if (first <= 0)
                return -first;
        if (argc - first > 1)
                return cli_usage_error("images", "'box images' accepts at most one argument");

        struct box_err err = {0};
        struct store *st;
        struct store_image *imgs = NULL;
        size_t n = 0;
        _cleanup_(image_filters_release) struct image_filters flt = {0};
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        int rc = images_filters(st, f.filters, first < argc ? argv[first] : NULL, &flt);
        if (rc != 0)
                return rc;
        if (store_images_list(st, &imgs, &n, &err) < 0)
                return cli_fail(&err);

        struct row *rows = xnew0(struct row, n);
        size_t nr = 0;
        for (size_t i = 0; i < n && rc >= 0; i++) {
                rc = row_make(st, &imgs[i], &flt, &rows[nr], &err);
                if (rc > 0)
                        nr++;
        }
        qsort_r(rows, nr, sizeof(rows[0]), row_cmp, &f.sort);
        if (rc >= 0)
                rc = images_print(&f, rows, nr, &err);
        for (size_t i = 0; i < nr; i++)
                row_release(&rows[i]);
        free(rows);
        store_images_free(imgs, n);
        return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- rmi ---- */

/* Returns the short id of a container that uses MANIFEST, or NULL. */
static char *container_using(struct store *st, const char *manifest)
{
        _cleanup_strv_free_ char **ids = NULL, **manifests = NULL;
        run_state_pins(store_root(st), &ids, &manifests);
        for (size_t i = 0; manifests[i]; i++)
                if (streq(manifests[i], manifest))
                        return xstrndup(ids[i], 12);
        return NULL;
}

struct rmi_flags {
        bool force;
};

static const struct cli_option rmi_flag_rows[] = {
        CLI_TRUE("force", 'f', struct rmi_flags, force,
                 "remove even if tagged several times or used by a container"),
        CLI_COMPAT("no-prune", 0, "do not delete untagged parents (accepted; box has no parents)"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options rmi_options =
        CLI_OPTIONS("rmi", rmi_flag_rows, 13,
                    "Usage: box rmi [OPTIONS] IMAGE [IMAGE...]\n"
                    "\n"
                    "Remove one or more images.\n"
                    "\n"
                    "Options:\n");

/* rmi -f of a name whose image is damaged (a blob gone): the name goes,
 * as podman's rmi -f of a corrupt image; by id (H's manifest, the resolver
 * found), each of its names and the image.  The blobs left are
 * store_gc()'s. */
static int rmi_damaged(struct cli_ctx *ctx, struct store *st, const char *arg,
                       const struct store_image_handle *h, struct box_err *err)
{
        if (h->manifest[0]) {
                _cleanup_strv_free_ char **names = xnew0(char *, 1);
                box_err_clear(err);
                int r = cli_image_names(st, h->manifest, &names, err);
                if (r >= 0)
                        r = store_image_delete(st, h->manifest, err);
                if (r < 0)
                        return r;
                const char *id = h->id[0] ? h->id : h->manifest;
                STRV_FOREACH (nm, names) {
                        _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                        printf("Untagged: %s\n", fam ? fam : *nm);
                        cli_event_image(ctx, "untag", id, fam ? fam : *nm);
                }
                printf("Deleted: %s\n", id);
                cli_event_image(ctx, "delete", id, id);
                return 0;
        }
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(arg, &ref, NULL) < 0)
                return -err->code;
        _cleanup_free_ char *full = spec_ref_format(&ref);
        struct box_err uerr = {0};
        if (store_image_untag(st, full, 0, &uerr) < 0)
                return -err->code;
        _cleanup_free_ char *fam = spec_ref_familiar_of(full);
        printf("Untagged: %s\n", fam ? fam : full);
        cli_event_image(ctx, "untag", full, fam ? fam : full);
        box_err_clear(err);
        return 0;
}

static int rmi_one(struct cli_ctx *ctx, struct store *st, const char *arg, int force,
                   struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = store_image_resolve(st, arg, &h, err);
        if (r == -EUCLEAN && force)
                return rmi_damaged(ctx, st, arg, &h, err);
        if (r < 0)
                return r;
        /* the names that point at this image */
        _cleanup_strv_free_ char **names = xnew0(char *, 1);
        r = cli_image_names(st, h.manifest, &names, err);
        if (r < 0)
                return r;

        _cleanup_free_ char *cid = container_using(st, h.manifest);
        if (h.name && strv_length(names) > 1) {
                /* by name, and other names remain: just untag */
                r = store_image_untag(st, h.name, 0, err);
                _cleanup_free_ char *fam = r >= 0 ? spec_ref_familiar_of(h.name) : NULL;
                if (fam)
                        printf("Untagged: %s\n", fam);
                if (fam)
                        cli_event_image(ctx, "untag", h.id, fam);
                return r;
        }
        if (!h.name && strv_length(names) > 1 && !force) {
                r = box_err_set(err, EBUSY,
                                "conflict: unable to delete %.12s (must be forced) - image is "
                                "referenced in multiple repositories",
                                h.id + 7);
                return r;
        }
        if (cid && !force) {
                if (h.name)
                        r = box_err_set(err, EBUSY,
                                        "conflict: unable to remove repository reference '%s' "
                                        "(must force) - container %s is using its referenced "
                                        "image %.12s",
                                        arg, cid, h.id + 7);
                else
                        r = box_err_set(err, EBUSY,
                                        "conflict: unable to delete %.12s (must be forced) - "
                                        "image is being used by container %s",
                                        h.id + 7, cid);
                return r;
        }
        STRV_FOREACH (nm, names) {
                _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                if (fam)
                        printf("Untagged: %s\n", fam);
        }
        r = store_image_delete(st, h.manifest, err);
        if (r < 0)
                return r;
        STRV_FOREACH (nm, names) {
                _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                cli_event_image(ctx, "untag", h.id, fam ? fam : *nm);
        }
        printf("Deleted: %s\n", h.id);
        cli_event_image(ctx, "delete", h.id, h.id); /* Docker's name: its id */
        return 0;
}

int cmd_rmi(struct cli_ctx *ctx, int argc, char **argv)
{
        struct rmi_flags f = {0};
        int status = 0;
        struct box_err err = {0};
        int first = cli_options_parse(&rmi_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("rmi", "'box rmi' requires at least 1 argument");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        for (int i = first; i < argc; i++) {
                box_err_clear(&err);
                if (rmi_one(ctx, st, argv[i], f.force, &err) < 0)
                        status = fail_with(&err, EXIT_DAEMON_ERROR);
        }
        box_err_clear(&err);
        if (store_gc(st, cli_container_images, st, &err) < 0)
                return cli_fail(&err);
        return status;
}

/* ---- image inspect ---- */

/* Docker's ImageInspect, field by field and in its order, plus box's
 * Digest and ManifestMediaType. */
static struct jv *inspect_json(struct store *st, const struct store_image_handle *h)
{
        struct jv *o = jv_object();
        _cleanup_jv_ struct jv *cfg = NULL;
        jv_parse(h->config_json, h->config_len, &cfg, NULL);
        jv_set_str(o, "Id", h->id);
        struct jv *tags = jv_array();
        struct store_image *imgs = NULL;
        size_t n = 0;
        if (store_images_list(st, &imgs, &n, NULL) >= 0)
                for (size_t i = 0; i < n; i++)
                        if (imgs[i].name && streq(imgs[i].manifest, h->manifest)) {
                                _cleanup_free_ char *fam = spec_ref_familiar_of(imgs[i].name);
                                if (fam)
                                        jv_push(tags, jv_string(fam));
                        }
        store_images_free(imgs, n);
        jv_set(o, "RepoTags", tags);
        jv_set(o, "RepoDigests", jv_array());
        jv_set_str(o, "Parent", "");
        const char *comment = "";
        if (h->config.n_history && h->config.history[h->config.n_history - 1].comment)
                comment = h->config.history[h->config.n_history - 1].comment;
        jv_set_str(o, "Comment", comment);
        jv_set(o, "Created", jv_string(h->config.created ? h->config.created : ""));
        jv_set_str(o, "DockerVersion", "");
        jv_set(o, "Author", jv_string(h->config.author ? h->config.author : ""));
        struct jv *c = jv_get(cfg, "config");
        jv_set(o, "Config", c ? jv_ref(c) : jv_object());
        jv_set_str(o, "Architecture", h->config.architecture);
        jv_set_str(o, "Variant", h->config.variant);
        jv_set_str(o, "Os", h->config.os);
        jv_set(o, "Size", jv_int(cli_image_size(h)));
        struct jv *gd = jv_object();
        jv_set(gd, "Data", jv_null());
        jv_set_str(gd, "Name", "overlayfs");
        jv_set(o, "GraphDriver", gd);
        struct jv *rootfs = jv_object();
        jv_set_str(rootfs, "Type", "layers");
        jv_set(rootfs, "Layers", h->config.diff_ids ? jv_strv(h->config.diff_ids) : jv_array());
        jv_set(o, "RootFS", rootfs);
        struct jv *meta = jv_object();
        jv_set_str(meta, "LastTagTime", "0001-01-01T00:00:00Z");
        jv_set(o, "Metadata", meta);
        const char *mt = h->m.media_type ? h->m.media_type : OCI_MEDIA_MANIFEST;
        struct jv *desc = jv_object();
        jv_set_str(desc, "mediaType", mt);
        jv_set_str(desc, "digest", h->manifest);
        jv_set(desc, "size", jv_int(h->manifest_size));
        jv_set(o, "Descriptor", desc);
        struct jv *hist = jv_get(cfg, "history");
        if (hist)
                jv_set(o, "History", jv_ref(hist));
        jv_set_str(o, "Digest", h->manifest);
        jv_set_str(o, "ManifestMediaType", mt);
        return o;
}

struct jv *cli_image_inspect_json(struct cli_ctx *ctx, const char *name, struct box_err *err)
{
        struct store *st;
        _cleanup_image_handle_ struct store_image_handle h = {0};
        if (cli_store(ctx, &st, err) < 0 || cli_image_resolve(st, name, &h, err) < 0)
                return NULL;
        return inspect_json(st, &h);
}

struct image_inspect_flags {
        const char *format;
};

static const struct cli_option inspect_flag_rows[] = {
        CLI_STRING("format", 'f', struct image_inspect_flags, format, "string",
                   "format the output with a Go-style template\n"
                   "('{{.Config.Cmd}}', '{{json .Config}}')"),
        CLI_HELP("help", 'h'),
};

static const struct cli_options inspect_options =
        CLI_OPTIONS("image inspect", inspect_flag_rows, 18,
                    "Usage: box image inspect [OPTIONS] IMAGE [IMAGE...]\n"
                    "\n"
                    "Display detailed information on one or more images.\n"
                    "\n"
                    "Options:\n");

int cmd_image_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        struct image_inspect_flags f = {0};
        int status = 0;
        struct box_err err = {0};
        int first = cli_options_parse(&inspect_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("image inspect",
                                       "'box image inspect' requires at least 1 argument");
        const char *format = f.format;
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct jv *arr = jv_array();
        for (int i = first; i < argc; i++) {
                _cleanup_image_handle_ struct store_image_handle h = {0};
                box_err_clear(&err);
                if (cli_image_resolve(st, argv[i], &h, &err) < 0) {
                        status = fail_with(&err, EXIT_DAEMON_ERROR);
                        continue;
                }
                if (cli_inspect_add(format, arr, inspect_json(st, &h), &err) < 0) {
                        jv_free(arr);
                        return cli_fail(&err);
                }
        }
        cli_inspect_finish(format, arr);
        return status;
}

static const struct cli_command image_cmds[] = {
        {"build", "Build an image from a Dockerfile", cmd_build, 0},
        {"exists", "Exit 0 if an image is in the store, 1 if not", cmd_image_exists, 0},
        {"history", "Show the history of an image", cmd_image_history, 0},
        {"import", "Import a rootfs tarball as an image", cmd_import, 0},
        {"inspect", "Display detailed information on one or more images", cmd_image_inspect, 0},
        {"load", "Load images from a tar archive or an OCI layout", cmd_load, 0},
        {"list", "List images", cmd_images, 1},
        {"ls", "List images", cmd_images, 0},
        {"prune", "Remove unused images", cmd_image_prune, 0},
        {"pull", "Download an image from a registry, or an archive or OCI layout over HTTP(S)",
         cmd_pull, 0},
        {"push", "Upload an image to a registry", cmd_push, 0},
        {"rm", "Remove one or more images", cmd_rmi, 0},
        {"save", "Save one or more images to a tar archive", cmd_save, 0},
        {"tag", "Create a tag that refers to an image", cmd_tag, 0},
        {"untag", "Remove names from an image", cmd_untag, 0},
        {},
};

int cmd_image(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "image", image_cmds, argc, argv);
}

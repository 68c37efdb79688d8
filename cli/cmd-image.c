/* box images, tag, rmi, image inspect / ls / rm / tag. */
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/ref.h"
#include "store/image.h"

#define EXIT_DAEMON_ERROR 1 /* Docker's status for "no such image" and conflicts */

static int fail_with(struct box_err *err, int code)
{
        err->exit_code = code;
        return cli_fail(err);
}

static int64_t image_size(const struct store_image_handle *h)
{
        int64_t s = 0;
        for (size_t i = 0; i < h->m.n_layers; i++)
                s += h->m.layers[i].size;
        return s;
}

/* ---- images ---- */

struct row {
        char *repo, *tag;
        struct store_image_handle h;
        int64_t created;
};

static int row_cmp(const void *a, const void *b)
{
        const struct row *x = a, *y = b;
        if (x->created != y->created)
                return x->created < y->created ? 1 : -1;
        int c = strcmp(x->repo, y->repo);
        return c ? c : strcmp(x->tag, y->tag);
}

static const char images_help[] =
        "Usage: box images [OPTIONS] [REPOSITORY[:TAG]]\n"
        "\n"
        "List images.\n"
        "\n"
        "Options:\n"
        "  -a, --all             show all images (untagged ones too)\n"
        "      --digests         show digests\n"
        "      --format string   'table' (default), 'json', or a Go-style template such as\n"
        "                        '{{.Repository}}:{{.Tag}}'\n"
        "      --no-trunc        don't truncate output\n"
        "  -q, --quiet           only show image ids\n";

int cmd_images(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"digests", no_argument, NULL, 'd'},
                {"format", required_argument, NULL, 'f'},
                {"no-trunc", no_argument, NULL, 'n'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int all = 0, digests = 0, no_trunc = 0, quiet = 0, c;
        const char *format = NULL;
        struct box_err err = {0};

        while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        all = 1;
                        break;
                case 'd':
                        digests = 1;
                        break;
                case 'f':
                        format = optarg;
                        break;
                case 'n':
                        no_trunc = 1;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        return cli_help(images_help);
                default:
                        return cli_usage_error("images", "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("images", "'box images' accepts at most one argument");
        struct image_ref want = {0};
        _cleanup_free_ char *want_repo = NULL;
        if (optind < argc) {
                if (spec_ref_parse_name(argv[optind], &want, &err) < 0)
                        return cli_fail(&err);
                want_repo = spec_ref_repository(&want);
        }

        struct store *st;
        struct store_image *imgs = NULL;
        size_t n = 0;
        if (cli_store(ctx, &st, &err) < 0 || store_images_list(st, &imgs, &n, &err) < 0) {
                spec_ref_release(&want);
                return cli_fail(&err);
        }
        struct row *rows = xnew0(struct row, n);
        size_t nr = 0;
        for (size_t i = 0; i < n; i++) {
                struct row *r = &rows[nr];
                struct image_ref ref = {0};
                if (imgs[i].name) {
                        if (spec_ref_parse(imgs[i].name, &ref, NULL) < 0)
                                continue;
                        _cleanup_free_ char *repo = spec_ref_repository(&ref);
                        if (want_repo && (!streq(repo, want_repo) ||
                                          (want.tag && !streq(want.tag, strempty(ref.tag))))) {
                                spec_ref_release(&ref);
                                continue;
                        }
                        r->repo = spec_ref_familiar_repository(&ref);
                        r->tag = xstrdup(ref.tag ? ref.tag : "<none>");
                        spec_ref_release(&ref);
                } else {
                        if (want_repo || (!all && !quiet))
                                continue;
                        r->repo = xstrdup("<none>");
                        r->tag = xstrdup("<none>");
                }
                if (store_image_load(st, imgs[i].manifest, &r->h, &err) < 0) {
                        free(r->repo);
                        free(r->tag);
                        continue;
                }
                r->created = oci_time_parse(r->h.config.created);
                nr++;
        }
        qsort(rows, nr, sizeof(rows[0]), row_cmp);

        int json = format && streq(format, "json");
        int table = !format || streq(format, "table");
        struct jv *arr = json ? jv_array() : NULL;
        _cleanup_strv_free_ char **seen = xnew0(char *, 1);
        struct cli_table tab = {0};
        if (table && !quiet) {
                if (digests)
                        cli_table_add(&tab, "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED",
                                      "SIZE", NULL);
                else
                        cli_table_add(&tab, "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE",
                                      NULL);
        }
        for (size_t i = 0; i < nr; i++) {
                struct row *r = &rows[i];
                char id[80], created[64], size[32];
                snprintf(id, sizeof(id), "%.*s", no_trunc ? 71 : 12,
                         no_trunc ? r->h.id : r->h.id + 7);
                cli_format_ago(created, sizeof(created), r->created);
                cli_format_size(size, sizeof(size), (double)image_size(&r->h));
                if (quiet) {
                        if (strv_contains(seen, id))
                                continue;
                        seen = strv_append(seen, id);
                        printf("%s\n", id);
                } else if (json) {
                        struct jv *o = jv_object();
                        jv_set_str(o, "Repository", r->repo);
                        jv_set_str(o, "Tag", r->tag);
                        jv_set_str(o, "ID", r->h.id);
                        jv_set_str(o, "Digest", r->h.manifest);
                        jv_set_str(o, "CreatedAt", r->h.config.created);
                        jv_set(o, "Created", jv_int(r->created));
                        jv_set(o, "Size", jv_int(image_size(&r->h)));
                        jv_push(arr, o);
                } else if (table) {
                        if (digests)
                                cli_table_add(&tab, r->repo, r->tag, r->h.manifest, id, created,
                                              size, NULL);
                        else
                                cli_table_add(&tab, r->repo, r->tag, id, created, size, NULL);
                } else {
                        struct jv *o = jv_object();
                        jv_set_str(o, "Repository", r->repo);
                        jv_set_str(o, "Tag", r->tag);
                        jv_set_str(o, "ID", id);
                        jv_set_str(o, "Digest", r->h.manifest);
                        jv_set_str(o, "CreatedSince", created);
                        jv_set_str(o, "CreatedAt", r->h.config.created);
                        jv_set_str(o, "Size", size);
                        _cleanup_free_ char *line = NULL;
                        int rc = cli_format_template(format, o, &line, &err);
                        jv_free(o);
                        if (rc < 0) {
                                jv_free(arr);
                                return cli_fail(&err);
                        }
                        printf("%s\n", line);
                }
        }
        if (table && !quiet)
                cli_table_flush(&tab);
        if (json) {
                _cleanup_free_ char *s = jv_dump(arr, JV_PRETTY);
                printf("%s\n", s);
                jv_free(arr);
        }
        for (size_t i = 0; i < nr; i++) {
                free(rows[i].repo);
                free(rows[i].tag);
                store_image_handle_release(&rows[i].h);
        }
        free(rows);
        store_images_free(imgs, n);
        spec_ref_release(&want);
        return 0;
}

/* ---- tag ---- */

static const char tag_help[] = "Usage: box tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
                               "\n"
                               "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.\n";

int cmd_tag(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        if (cli_wants_help(argc, argv))
                return cli_help(tag_help);
        if (argc != 3)
                return cli_usage_error("tag", "'box tag' requires exactly 2 arguments");
        struct image_ref dst;
        if (spec_ref_parse(argv[2], &dst, &err) < 0)
                return cli_fail(&err);
        if (dst.digest) {
                spec_ref_release(&dst);
                return cli_usage_error("tag", "refusing to create a tag with a digest reference");
        }
        _cleanup_free_ char *full = spec_ref_format(&dst);
        spec_ref_release(&dst);
        struct store *st;
        struct store_image_handle h;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        if (store_image_resolve(st, argv[1], &h, &err) < 0)
                return fail_with(&err, EXIT_DAEMON_ERROR);
        int r = store_image_tag(st, full, h.manifest, h.manifest_size, &err);
        store_image_handle_release(&h);
        if (r < 0)
                return cli_fail(&err);
        return 0;
}

/* ---- rmi ---- */

/* Returns the id of a container that uses MANIFEST, or NULL. */
static char *container_using(struct store *st, const char *manifest)
{
        int fd = openat(store_root_fd(st), "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return NULL;
        }
        char *found = NULL;
        struct dirent *de;
        while (!found && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/image", de->d_name), *buf = NULL;
                if (fs_read_file_at(dirfd(d), p, 4096, &buf, NULL, NULL) < 0)
                        continue;
                buf[strcspn(buf, "\n")] = '\0';
                if (streq(buf, manifest))
                        found = xstrndup(de->d_name, 12);
        }
        closedir(d);
        return found;
}

static const char rmi_help[] =
        "Usage: box rmi [OPTIONS] IMAGE [IMAGE...]\n"
        "\n"
        "Remove one or more images.\n"
        "\n"
        "Options:\n"
        "  -f, --force      remove even if tagged several times or used by a container\n"
        "      --no-prune   do not delete untagged parents (accepted; box has no parents)\n";

static int rmi_one(struct store *st, const char *arg, int force, struct box_err *err)
{
        struct store_image_handle h;
        int r = store_image_resolve(st, arg, &h, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **names = xnew0(char *, 1);
        _cleanup_free_ char *cid = NULL;
        struct store_image *imgs = NULL;
        size_t n = 0;
        r = store_images_list(st, &imgs, &n, err);
        if (r < 0)
                goto out;
        /* the names that point at this image */
        for (size_t i = 0; i < n; i++)
                if (imgs[i].name && streq(imgs[i].manifest, h.manifest))
                        names = strv_append(names, imgs[i].name);

        cid = container_using(st, h.manifest);
        if (h.name && strv_length(names) > 1) {
                /* by name, and other names remain: just untag */
                r = store_image_untag(st, h.name, 0, err);
                if (r >= 0) {
                        struct image_ref ref;
                        if (spec_ref_parse(h.name, &ref, NULL) >= 0) {
                                _cleanup_free_ char *fam = spec_ref_familiar(&ref);
                                printf("Untagged: %s\n", fam);
                                spec_ref_release(&ref);
                        }
                }
                goto out;
        }
        if (!h.name && strv_length(names) > 1 && !force) {
                r = box_err_set(err, EBUSY,
                                "conflict: unable to delete %.12s (must be forced) - image is "
                                "referenced in multiple repositories",
                                h.id + 7);
                goto out;
        }
        if (cid && !force) {
                r = box_err_set(err, EBUSY,
                                "conflict: unable to remove image '%s' (must force) - container "
                                "%s is using it",
                                arg, cid);
                goto out;
        }
        STRV_FOREACH (nm, names) {
                struct image_ref ref;
                if (spec_ref_parse(*nm, &ref, NULL) >= 0) {
                        _cleanup_free_ char *fam = spec_ref_familiar(&ref);
                        printf("Untagged: %s\n", fam);
                        spec_ref_release(&ref);
                }
        }
        r = store_image_delete(st, h.manifest, err);
        if (r >= 0)
                printf("Deleted: %s\n", h.id);
out:
        store_images_free(imgs, n);
        store_image_handle_release(&h);
        return r;
}

int cmd_rmi(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"no-prune", no_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int force = 0, c, status = 0;
        struct box_err err = {0};
        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        force = 1;
                        break;
                case 'n':
                        break;
                case 'h':
                        return cli_help(rmi_help);
                default:
                        return cli_usage_error("rmi", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("rmi", "'box rmi' requires at least 1 argument");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        for (int i = optind; i < argc; i++) {
                box_err_clear(&err);
                if (rmi_one(st, argv[i], force, &err) < 0)
                        status = fail_with(&err, EXIT_DAEMON_ERROR);
        }
        box_err_clear(&err);
        if (store_gc(st, &err) < 0)
                return cli_fail(&err);
        return status;
}

/* ---- image inspect ---- */

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
                                struct image_ref ref;
                                if (spec_ref_parse(imgs[i].name, &ref, NULL) >= 0) {
                                        _cleanup_free_ char *fam = spec_ref_familiar(&ref);
                                        jv_push(tags, jv_string(fam));
                                        spec_ref_release(&ref);
                                }
                        }
        store_images_free(imgs, n);
        jv_set(o, "RepoTags", tags);
        jv_set(o, "RepoDigests", jv_array());
        jv_set_str(o, "Digest", h->manifest);
        jv_set(o, "Created", jv_string(h->config.created ? h->config.created : ""));
        jv_set(o, "Author", jv_string(h->config.author ? h->config.author : ""));
        struct jv *c = jv_get(cfg, "config");
        jv_set(o, "Config", c ? jv_ref(c) : jv_object());
        jv_set_str(o, "Architecture", h->config.architecture);
        jv_set_str(o, "Variant", h->config.variant);
        jv_set_str(o, "Os", h->config.os);
        jv_set(o, "Size", jv_int(image_size(h)));
        struct jv *rootfs = jv_object();
        jv_set_str(rootfs, "Type", "layers");
        jv_set(rootfs, "Layers", jv_strv(h->config.diff_ids));
        jv_set(o, "RootFS", rootfs);
        struct jv *hist = jv_get(cfg, "history");
        if (hist)
                jv_set(o, "History", jv_ref(hist));
        jv_set_str(o, "ManifestMediaType", h->m.media_type ? h->m.media_type : OCI_MEDIA_MANIFEST);
        return o;
}

static const char inspect_help[] =
        "Usage: box image inspect [OPTIONS] IMAGE [IMAGE...]\n"
        "\n"
        "Display detailed information on one or more images.\n"
        "\n"
        "Options:\n"
        "  -f, --format string   format the output with a Go-style template\n"
        "                        ('{{.Config.Cmd}}', '{{json .Config}}')\n";

int cmd_image_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *format = NULL;
        int c, status = 0;
        struct box_err err = {0};
        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                case 'h':
                        return cli_help(inspect_help);
                default:
                        return cli_usage_error("image inspect", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("image inspect",
                                       "'box image inspect' requires at least 1 argument");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct jv *arr = jv_array();
        for (int i = optind; i < argc; i++) {
                struct store_image_handle h;
                box_err_clear(&err);
                if (store_image_resolve(st, argv[i], &h, &err) < 0) {
                        status = fail_with(&err, EXIT_DAEMON_ERROR);
                        continue;
                }
                struct jv *o = inspect_json(st, &h);
                store_image_handle_release(&h);
                if (format) {
                        _cleanup_free_ char *line = NULL;
                        if (cli_format_template(format, o, &line, &err) < 0) {
                                jv_free(o);
                                jv_free(arr);
                                return cli_fail(&err);
                        }
                        printf("%s\n", line);
                        jv_free(o);
                } else {
                        jv_push(arr, o);
                }
        }
        if (!format) {
                _cleanup_free_ char *s = jv_dump(arr, JV_PRETTY);
                printf("%s\n", s);
        }
        jv_free(arr);
        return status;
}

static const struct cli_command image_cmds[] = {
        {"history", "Show the history of an image", cmd_image_history, 0},
        {"inspect", "Display detailed information on one or more images", cmd_image_inspect, 0},
        {"ls", "List images", cmd_images, 0},
        {"prune", "Remove unused images", cmd_image_prune, 0},
        {"rm", "Remove one or more images", cmd_rmi, 0},
        {"tag", "Create a tag that refers to an image", cmd_tag, 0},
        {},
};

int cmd_image(struct cli_ctx *ctx, int argc, char **argv)
{
        return cli_dispatch(ctx, "image", image_cmds, argc, argv);
}

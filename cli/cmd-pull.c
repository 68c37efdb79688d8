/* box pull [--platform P] [--tls-verify=false] [-q] NAME[:TAG|@DIGEST]
 * box pull [--name NAME:TAG] [--tls-verify=false] [-q] URL */
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "cli/registry.h"
#include "image/pull.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

/* The note after the flags keeps the text whole: the rows have no help. */
static const char help[] =
        "Usage: box pull [OPTIONS] NAME[:TAG|@DIGEST]\n"
        "       box pull -a [OPTIONS] NAME\n"
        "       box pull [OPTIONS] URL\n"
        "\n"
        "Download an image from a registry (OCI distribution API): the manifest for this\n"
        "platform, its config, then the layers the store lacks, several at once, each\n"
        "verified and unpacked as it streams.  Names without a registry come from docker.io\n"
        "unless registries.yaml says otherwise (docs/registries.md); credentials come from\n"
        "'box login'.\n"
        "\n"
        "Or download an image archive (docker-archive or oci-archive, plain, gzip or zstd)\n"
        "from an http:// or https:// URL; a URL ending in '/' is an OCI image layout.\n"
        "\n"
        "Options:\n"
        "  -a, --all-tags          download every tagged image of the repository\n"
        "      --disable-content-trust\n"
        "                          accepted; box verifies no image signatures\n"
        "      --name string       tag the image NAME[:TAG] instead of the archive's own names "
        "(URL)\n"
        "      --platform string   os/arch[/variant] to pick from an index (default: the host's)\n"
        "  -q, --quiet             print only the image's name (or id)\n"
        "      --tls-verify bool   verify TLS certificates (default true)\n"
        "\n"
        "A download that receives nothing for 30 seconds (BOX_PULL_TIMEOUT) fails.\n";

struct progress {
        int tty;
        struct timespec start;
};

static double elapsed(const struct timespec *t0)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ud, const char *url, uint64_t done, int64_t total, int finished)
{
        struct progress *p = ud;
        char d[32], t[32], rate[32];
        if (done == 0 && !finished)
                clock_gettime(CLOCK_MONOTONIC, &p->start);
        else if (!p->tty && !finished)
                return;
        double secs = elapsed(&p->start);
        cli_format_size(d, sizeof(d), (double)done);
        cli_format_size(t, sizeof(t), total >= 0 ? (double)total : 0);
        cli_format_size(rate, sizeof(rate), secs > 0 ? (double)done / secs : 0);
        const char *base = strrchr(url, '/');
        base = base && base[1] ? base + 1 : url;
        if (p->tty) {
                char bar[31];
                int fill = total > 0 ? (int)(30 * (double)done / (double)total) : 0;
                for (int i = 0; i < 30; i++)
                        bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
                bar[30] = '\0';
                fprintf(stderr, "\r%-24.24s [%s] %s/%s %s/s\033[K", base, bar, d,
                        total >= 0 ? t : "?", rate);
                if (finished)
                        fputc('\n', stderr);
        } else if (finished) {
                fprintf(stderr, "Downloaded %s: %s in %.1fs (%s/s)\n", url, d, secs, rate);
        } else if (done == 0) {
                fprintf(stderr, "Downloading %s (%s)\n", url, total >= 0 ? t : "size unknown");
        }
        fflush(stderr);
}

/* pull -a NAME: each tag the registry lists, in its order, as docker pull
 * --all-tags; the first failure stops it. */
static int pull_all_tags(struct cli_ctx *ctx, const char *arg, const struct cli_pull_flags *f)
{
        struct box_err err = {0};
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse_name(arg, &ref, &err) < 0)
                return cli_fail(&err);
        if (ref.tag || ref.digest)
                return cli_usage_error("pull", "tag can't be used with --all-tags/-a");
        _cleanup_free_ char *name = spec_ref_format(&ref);
        _cleanup_strv_free_ char **tags = NULL;
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0 || cli_registry_tags(name, f, &tags, &err) < 0)
                return cli_fail(&err);
        if (!tags[0]) {
                box_err_set(&err, ENOENT, "repository '%s' has no tags", name);
                return cli_fail(&err);
        }
        STRV_FOREACH (t, tags) {
                _cleanup_free_ char *full = xasprintf("%s:%s", name, *t);
                struct image_loaded v = {0};
                if (cli_registry_pull(st, full, f, &v, &err) < 0)
                        return cli_fail(&err);
                if (!f->quiet)
                        fprintf(stderr, "%s: Digest: %s\n", *t, v.manifest);
                cli_event_images(ctx, "pull", &v, 1);
                strv_free(v.names);
        }
        /* stdout: the repository, as docker pull -a prints it last */
        printf("%s\n", name);
        return 0;
}

static int pull_registry(struct cli_ctx *ctx, const char *arg, const struct cli_pull_flags *f)
{
        struct box_err err = {0};
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(arg, &ref, &err) < 0)
                return cli_fail(&err);
        _cleanup_free_ char *full = spec_ref_format(&ref);
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct image_loaded v = {0};
        if (cli_registry_pull(st, full, f, &v, &err) < 0)
                return cli_fail(&err);
        if (!f->quiet)
                fprintf(stderr, "Digest: %s\n", v.manifest);
        cli_event_images(ctx, "pull", &v, 1);
        /* stdout: the name pulled (docker pull prints it last), or the id */
        printf("%s\n", v.names && v.names[0] ? v.names[0] : v.id);
        strv_free(v.names);
        return 0;
}

struct pull_flags {
        const char *name, *platform;
        bool quiet, tls_verify, all_tags;
};

#define T struct pull_flags
static const struct cli_option pull_flag_rows[] = {
        CLI_TRUE("all-tags", 'a', T, all_tags, NULL),
        CLI_STRING("name", 0, T, name, NULL, NULL),
        CLI_STRING("platform", 0, T, platform, NULL, NULL),
        CLI_TRUE("quiet", 'q', T, quiet, NULL),
        CLI_TRUE("tls-verify", 0, T, tls_verify, NULL),
        CLI_IGNORE("disable-content-trust", CLI_ARG_NONE),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options pull_options = CLI_OPTIONS("pull", pull_flag_rows, 0, help);

int cmd_pull(struct cli_ctx *ctx, int argc, char **argv)
{
        struct pull_flags fl = {.tls_verify = true};
        struct box_err err = {0};
        int first = cli_options_parse(&pull_options, &fl, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first != 1)
                return cli_usage_error("pull", "'box pull' requires exactly 1 argument");
        const char *name = fl.name, *platform = fl.platform;
        bool quiet = fl.quiet, tls_verify = fl.tls_verify;
        const char *url = argv[first];
        if (!image_pull_is_url(url)) {
                if (name)
                        return cli_usage_error("pull", "--name is for URLs: use 'box tag'");
                struct cli_pull_flags f = {platform, !tls_verify, quiet};
                return fl.all_tags ? pull_all_tags(ctx, url, &f) : pull_registry(ctx, url, &f);
        }
        if (fl.all_tags)
                return cli_usage_error("pull", "--all-tags is for registries, not URLs");
        _cleanup_free_ char *full = NULL;
        if (name) {
                _cleanup_image_ref_ struct image_ref ref = {0};
                if (spec_ref_parse(name, &ref, &err) < 0)
                        return cli_fail(&err);
                if (ref.digest)
                        return cli_usage_error("pull", "--name cannot be a digest reference");
                full = spec_ref_format(&ref);
        }

        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        /* BOX_PULL_TIMEOUT: seconds without data before giving up */
        const char *t = getenv("BOX_PULL_TIMEOUT");
        long stall = t && *t ? strtol(t, NULL, 10) : 0;
        struct progress prog = {.tty = isatty(STDERR_FILENO)};
        clock_gettime(CLOCK_MONOTONIC, &prog.start);
        struct image_pull_opts po = {
                .name = full,
                .insecure = !tls_verify,
                .stall_seconds = stall,
                .progress = quiet ? NULL : on_progress,
                .userdata = &prog,
        };
        struct image_loaded *v = NULL;
        size_t n = 0;
        if (image_pull(st, url, &po, &v, &n, &err) < 0) {
                if (prog.tty && !quiet)
                        fputc('\n', stderr);
                return cli_fail(&err);
        }
        if (quiet) {
                for (size_t i = 0; i < n; i++) {
                        if (!v[i].names[0])
                                printf("%s\n", v[i].id);
                        STRV_FOREACH (nm, v[i].names)
                                printf("%s\n", *nm);
                }
        } else {
                cli_print_loaded(v, n);
        }
        cli_event_images(ctx, "pull", v, n);
        image_loaded_free(v, n);
        return 0;
}

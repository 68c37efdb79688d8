/* box push [--tls-verify=false] [--digestfile F] IMAGE [DESTINATION] */
#include <fcntl.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/options.h"
#include "cli/registry.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

static int parse_size(const char *s, uint64_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || v == 0)
                return -EINVAL;
        uint64_t mul = 1;
        if (*end == 'k' || *end == 'K')
                mul = 1024, end++;
        else if (*end == 'm' || *end == 'M')
                mul = 1024 * 1024, end++;
        if (*end || v > UINT64_MAX / mul)
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

struct push_flags {
        const char *digestfile;
        bool quiet, tls_verify;
        uint64_t chunk;
};

static int opt_chunk_size(void *opts, const char *arg)
{
        struct push_flags *f = opts;
        if (parse_size(arg, &f->chunk) < 0)
                return cli_usage_error("push", "invalid --chunk-size '%s'", arg);
        return 0;
}

#define T struct push_flags
static const struct cli_option push_flag_rows[] = {
        CLI_FUNC("chunk-size", 0, CLI_ARG_REQUIRED, opt_chunk_size, "size",
                 "upload blobs in chunks of this size (default: in one request)"),
        CLI_STRING("digestfile", 0, T, digestfile, "file", "write the manifest digest to FILE"),
        CLI_TRUE("quiet", 'q', T, quiet, "print only the digest"),
        CLI_BOOL("tls-verify", 0, T, tls_verify, "bool", "verify TLS certificates (default true)"),
        CLI_CONTENT_TRUST,
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options push_options = CLI_OPTIONS(
        "push", push_flag_rows, 20,
        "Usage: box push [OPTIONS] IMAGE [DESTINATION]\n"
        "\n"
        "Upload an image to a registry: the layers and config it lacks (a blob it has "
        "is\n"
        "skipped; one in another repository of the same registry is mounted), then the\n"
        "manifest, byte for byte, so the digest printed is the image's manifest "
        "digest.\n"
        "DESTINATION defaults to IMAGE's own name ('box tag' names it for a "
        "registry).\n"
        "\n"
        "Options:\n");

int cmd_push(struct cli_ctx *ctx, int argc, char **argv)
{
        struct push_flags f = {.tls_verify = true};
        struct box_err err = {0};
        int first = cli_options_parse(&push_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first < 1 || argc - first > 2)
                return cli_usage_error("push", "'box push' requires 1 or 2 arguments");
        const char *src = argv[first];
        const char *dst = argc - first == 2 ? argv[first + 1] : src;
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(dst, &ref, &err) < 0)
                return cli_fail(&err);
        _cleanup_free_ char *full = spec_ref_format(&ref);
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct cli_progress *p = f.quiet ? NULL : cli_progress_new("Pushed");
        struct image_registry_push_opts o = {
                .reg = {.tls_verify_off = !f.tls_verify, .push = 1},
                .chunk_size = f.chunk,
        };
        cli_progress_attach(p, &o.progress);
        if (p) {
                _cleanup_free_ char *fam = spec_ref_familiar(&ref);
                fprintf(stderr, "Pushing %s\n", fam);
        }
        digest_str d;
        int r = image_registry_push(st, src, full, &o, d, &err);
        cli_progress_free(p);
        if (r < 0)
                return cli_fail(&err);
        if (f.digestfile) {
                _cleanup_free_ char *line = xasprintf("%s", d);
                if (fs_output_write(f.digestfile, line, strlen(line), 0644, &err) < 0)
                        return cli_fail(&err);
        }
        if (!f.quiet)
                fprintf(stderr, "Digest: %s\n", d);
        _cleanup_free_ char *fam = spec_ref_familiar(&ref);
        cli_event_image(ctx, "push", fam, fam);
        printf("%s\n", d);
        return 0;
}

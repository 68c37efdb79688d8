/* box push [--tls-verify=false] [--digestfile F] IMAGE [DESTINATION] */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/registry.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

static const char help[] =
        "Usage: box push [OPTIONS] IMAGE [DESTINATION]\n"
        "\n"
        "Upload an image to a registry: the layers and config it lacks (a blob it has is\n"
        "skipped; one in another repository of the same registry is mounted), then the\n"
        "manifest, byte for byte, so the digest printed is the image's manifest digest.\n"
        "DESTINATION defaults to IMAGE's own name ('box tag' names it for a registry).\n"
        "\n"
        "Options:\n"
        "      --chunk-size size   upload blobs in chunks of this size (default: in one request)\n"
        "      --digestfile file   write the manifest digest to FILE\n"
        "  -q, --quiet             print only the digest\n"
        "      --tls-verify bool   verify TLS certificates (default true)\n";

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

int cmd_push(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"chunk-size", required_argument, NULL, 'c'},
                {"digestfile", required_argument, NULL, 'd'},
                {"quiet", no_argument, NULL, 'q'},
                {"tls-verify", optional_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *digestfile = NULL;
        int quiet = 0, tls_verify = 1, c;
        uint64_t chunk = 0;
        struct box_err err = {0};
        while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        if (parse_size(optarg, &chunk) < 0)
                                return cli_usage_error("push", "invalid --chunk-size '%s'", optarg);
                        break;
                case 'd':
                        digestfile = optarg;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 't': {
                        int tr = cli_tls_verify_parse("push", optarg, &tls_verify);
                        if (tr)
                                return tr;
                        break;
                }
                case 'h':
                        return cli_help(help);
                default:
                        return cli_usage_error("push", "invalid option");
                }
        }
        if (argc - optind < 1 || argc - optind > 2)
                return cli_usage_error("push", "'box push' requires 1 or 2 arguments");
        const char *src = argv[optind];
        const char *dst = argc - optind == 2 ? argv[optind + 1] : src;
        _cleanup_image_ref_ struct image_ref ref = {0};
        if (spec_ref_parse(dst, &ref, &err) < 0)
                return cli_fail(&err);
        _cleanup_free_ char *full = spec_ref_format(&ref);
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct cli_progress *p = quiet ? NULL : cli_progress_new("Pushed");
        struct image_registry_push_opts o = {
                .reg = {.tls_verify_off = !tls_verify, .push = 1},
                .chunk_size = chunk,
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
        if (digestfile) {
                _cleanup_free_ char *line = xasprintf("%s", d);
                if (fs_write_atomic_at(AT_FDCWD, digestfile, line, strlen(line), 0644, &err) < 0)
                        return cli_fail(&err);
        }
        if (!quiet)
                fprintf(stderr, "Digest: %s\n", d);
        printf("%s\n", d);
        return 0;
}

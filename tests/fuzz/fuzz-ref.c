/* libFuzzer target for image references (spec/ref.c), which arrive from
 * users, Dockerfiles (FROM, COPY --from), archives (RepoTags, annotations)
 * and registries.
 *
 * Round trips, each a fixed point or an abort:
 *  - Parse (raw): formatting gives back the input byte for byte;
 *  - ParseNormalizedNamed and ParseDockerRef: the formatted full reference
 *    parses to itself, and so does the familiar form ("busybox:1" for
 *    "docker.io/library/busybox:1"), unless that is 64 hex digits, which
 *    Docker reads as an image id;
 *  - ParseAnyReference: the formatted reference parses to itself.
 * The input split at its first newline also goes through Go's path.Match
 * and FamiliarMatch as pattern and name. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/go-match.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

typedef int (*parse_fn)(const char *s, struct image_ref *ret, struct box_err *err);

static void fail(const char *what, const char *in, const char *a, const char *b)
{
        fprintf(stderr, "%s: round trip of '%s' not stable: '%s' then '%s'\n", what, in, a,
                b ? b : "(does not parse)");
        abort();
}

/* FORMATTED must parse with PARSE and format to EXPECT. */
static void reparse(const char *what, parse_fn parse, const char *in, const char *formatted,
                    const char *expect)
{
        struct image_ref r;
        /* "docker.io/library/<64 hex>" is a name, but its familiar form is
         * refused as one: it reads as an image id (distribution's rule) */
        if (spec_is_hex64(formatted))
                return;
        if (parse(formatted, &r, NULL) < 0)
                fail(what, in, formatted, NULL);
        char *again = spec_ref_format(&r);
        if (strcmp(again, expect) != 0)
                fail(what, in, expect, again);
        free(again);
        spec_ref_release(&r);
}

static void normalised(const char *what, parse_fn parse, const char *s)
{
        struct image_ref r;
        if (parse(s, &r, NULL) < 0)
                return;
        char *full = spec_ref_format(&r);
        reparse(what, parse, s, full, full);
        if (r.path[0]) { /* not a digest-only reference */
                char *familiar = spec_ref_familiar(&r);
                reparse(what, parse, s, familiar, full);
                free(familiar);
                char *repo = spec_ref_repository(&r), *frepo = spec_ref_familiar_repository(&r);
                reparse(what, spec_ref_parse_name, s, frepo, repo);
                free(repo);
                free(frepo);
        }
        free(full);
        spec_ref_release(&r);
}

static void raw(const char *s)
{
        struct image_ref r;
        if (spec_ref_parse_raw(s, &r, NULL) < 0)
                return;
        char *f = spec_ref_format(&r);
        if (strcmp(f, s) != 0)
                fail("raw", s, s, f);
        free(f);
        spec_ref_release(&r);
}

static void match(const char *s)
{
        const char *nl = strchr(s, '\n');
        if (!nl)
                return;
        char *pattern = xstrndup(s, (size_t)(nl - s));
        const char *name = nl + 1;
        go_path_match(pattern, name, NULL);
        struct image_ref r;
        if (spec_ref_parse(name, &r, NULL) >= 0) {
                spec_ref_familiar_match(pattern, &r, NULL);
                spec_ref_release(&r);
        }
        free(pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 1024)
                return 0;
        char *s = xstrndup((const char *)data, size);
        raw(s);
        normalised("name", spec_ref_parse_name, s);
        normalised("docker ref", spec_ref_parse, s);
        normalised("any", spec_ref_parse_any, s);
        spec_digest_validate(s, NULL);
        match(s);
        free(s);
        return 0;
}

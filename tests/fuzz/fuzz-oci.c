/* libFuzzer target for the JSON documents an image brings: the OCI image
 * manifest, the image index and the image config (spec/oci.c), and the
 * fields box reads out of them afterwards (digests, RFC 3339 times).
 *
 * Every input goes to every reader.  When a reader accepts it, the model is
 * serialised, parsed again and serialised again: the canonical form must
 * be a fixed point (same bytes), or the digest of an image box writes would
 * change each time it is read back.  A mismatch aborts, so libFuzzer keeps
 * the input as a finding. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "spec/ref.h"

static void must_equal(const char *what, const char *a, const char *b)
{
        if (strcmp(a, b) == 0)
                return;
        fprintf(stderr, "%s: round trip not stable:\n first: %s\nsecond: %s\n", what, a, b);
        abort();
}

static void must_parse(const char *what, int r, const struct box_err *err, const char *json)
{
        if (r >= 0)
                return;
        fprintf(stderr, "%s: own output does not parse: %s\n%s\n", what, err->msg, json);
        abort();
}

/* What box does with a descriptor after reading it. */
static void use_descriptor(const struct oci_descriptor *d)
{
        struct box_err err = {0};
        spec_digest_validate(d->digest, &err);
        oci_kv_get(d->annotations, OCI_ANNOTATION_REF_NAME);
}

static void use_time(const char *s)
{
        int64_t t = oci_time_parse(s);
        if (t != -1)
                free(oci_time_format(t));
}

static void fuzz_manifest(const char *data, size_t size)
{
        struct oci_manifest a, b;
        struct box_err err = {0};

        if (oci_manifest_parse(data, size, &a, &err) < 0)
                return;
        use_descriptor(&a.config);
        for (size_t i = 0; i < a.n_layers; i++)
                use_descriptor(&a.layers[i]);
        char *j1 = oci_manifest_to_json(&a);
        must_parse("manifest", oci_manifest_parse(j1, strlen(j1), &b, &err), &err, j1);
        char *j2 = oci_manifest_to_json(&b);
        must_equal("manifest", j1, j2);
        free(j1);
        free(j2);
        oci_manifest_release(&a);
        oci_manifest_release(&b);
}

static void fuzz_index(const char *data, size_t size)
{
        struct oci_index a, b;
        struct box_err err = {0};

        if (oci_index_parse(data, size, &a, &err) < 0)
                return;
        for (size_t i = 0; i < a.n_manifests; i++)
                use_descriptor(&a.manifests[i]);
        char *j1 = oci_index_to_json(&a);
        must_parse("index", oci_index_parse(j1, strlen(j1), &b, &err), &err, j1);
        char *j2 = oci_index_to_json(&b);
        must_equal("index", j1, j2);
        free(j1);
        free(j2);
        oci_index_release(&a);
        oci_index_release(&b);
}

static void fuzz_image(const char *data, size_t size)
{
        struct oci_image a, b;
        struct box_err err = {0};

        if (oci_image_parse(data, size, &a, &err) < 0)
                return;
        use_time(a.created);
        for (size_t i = 0; a.diff_ids[i]; i++)
                spec_digest_validate(a.diff_ids[i], &err);
        for (size_t i = 0; i < a.n_history; i++)
                use_time(a.history[i].created);
        /* a build starts from a copy of the base image's config */
        struct oci_container_config copy;
        oci_container_config_copy(&copy, &a.config);
        oci_container_config_release(&copy);

        char *j1 = oci_image_to_json(&a);
        must_parse("image config", oci_image_parse(j1, strlen(j1), &b, &err), &err, j1);
        char *j2 = oci_image_to_json(&b);
        must_equal("image config", j1, j2);
        free(j1);
        free(j2);
        oci_image_release(&a);
        oci_image_release(&b);
}

/* RFC 3339 as box writes it: "YYYY-MM-DDThh:mm:ssZ" */
static int rfc3339_shaped(const char *s)
{
        static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
        if (strlen(s) != sizeof(shape) - 1)
                return 0;
        for (size_t i = 0; shape[i]; i++)
                if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
                        return 0;
        return 1;
}

/* The first 8 bytes as a time box writes (a config's created, from the
 * clock or SOURCE_DATE_EPOCH): it must read back as itself. */
static void time_round_trip(const uint8_t *data, size_t size)
{
        int64_t t = 0;
        memcpy(&t, data, size < sizeof(t) ? size : sizeof(t));
        char *s = oci_time_format(t);
        if (!rfc3339_shaped(s))
                fprintf(stderr, "time %lld formats as '%s'\n", (long long)t, s), abort();
        char *s2 = oci_time_format(oci_time_parse(s));
        must_equal("time", s, s2);
        /* years 0000 to 9999 are exact */
        if (t >= -62167219200LL && t <= 253402300799LL && oci_time_parse(s) != t)
                fprintf(stderr, "time %lld reads back as %lld\n", (long long)t,
                        (long long)oci_time_parse(s)),
                        abort();
        free(s);
        free(s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;

        fuzz_manifest(s, size);
        fuzz_index(s, size);
        fuzz_image(s, size);
        /* the same bytes as a bare time or digest string */
        char *z = xstrndup(s, size < 256 ? size : 256);
        use_time(z);
        spec_digest_validate(z, NULL);
        free(z);
        time_round_trip(data, size);
        return 0;
}

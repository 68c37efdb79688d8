/* The OCI model: parse -> serialise round trips, canonical bytes, digests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/sha256.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

static const char config_json[] =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05."
        "123456789Z\","
        "\"config\":{\"User\":\"1000:1000\",\"Env\":[\"PATH=/bin\",\"A=b=c\"],"
        "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[],\"WorkingDir\":\"/srv\","
        "\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}},"
        "\"Labels\":{\"a\":\"1\",\"b\":\"two words\"},\"StopSignal\":\"SIGINT\","
        "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":30000000000,\"Retries\":3}"
        ","
        "\"OnBuild\":[\"RUN echo hi\"],\"Shell\":[\"/bin/bash\",\"-c\"]},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\",\"sha256:bb\"]},"
        "\"history\":[{\"created_by\":\"x\",\"empty_layer\":true},{\"created_by\":\"y\","
        "\"comment\":\"c\"}]}";

static void test_config_round_trip(void **state)
{
        (void)state;
        struct oci_image a, b;
        struct box_err err = {0};
        assert_int_equal(oci_image_parse(config_json, sizeof(config_json) - 1, &a, &err), 0);
        assert_string_equal(a.config.user, "1000:1000");
        assert_int_equal(strv_length(a.config.env), 2);
        assert_string_equal(a.config.env[1], "A=b=c");
        assert_non_null(a.config.cmd);
        assert_int_equal(strv_length(a.config.cmd), 0); /* [] is not "unset" */
        assert_string_equal(oci_kv_get(a.config.labels, "b"), "two words");
        assert_int_equal(a.config.healthcheck->interval, 30000000000LL);
        assert_int_equal(a.n_history, 2);
        assert_true(a.history[0].empty_layer);
        char *j1 = oci_image_to_json(&a);
        assert_int_equal(oci_image_parse(j1, strlen(j1), &b, &err), 0);
        char *j2 = oci_image_to_json(&b);
        assert_string_equal(j1, j2); /* canonical: stable bytes */
        /* sorted keys: "architecture" comes before "config" */
        assert_true(strstr(j1, "\"architecture\"") < strstr(j1, "\"config\""));
        free(j1);
        free(j2);
        oci_image_release(&a);
        oci_image_release(&b);
}

static void test_unset_vs_empty(void **state)
{
        (void)state;
        struct oci_image a;
        const char *j = "{\"config\":{\"Cmd\":null},\"rootfs\":{\"diff_ids\":[]}}";
        assert_int_equal(oci_image_parse(j, strlen(j), &a, NULL), 0);
        assert_null(a.config.cmd);
        assert_null(a.config.entrypoint);
        char *out = oci_image_to_json(&a);
        assert_null(strstr(out, "Cmd"));
        free(out);
        oci_image_release(&a);
}

static void test_manifest_round_trip(void **state)
{
        (void)state;
        const char *j =
                "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_MANIFEST "\","
                "\"config\":{\"mediaType\":\"" OCI_MEDIA_CONFIG "\",\"digest\":\"sha256:"
                "0000000000000000000000000000000000000000000000000000000000000000\",\"size\":12},"
                "\"layers\":[{\"mediaType\":\"" OCI_MEDIA_LAYER_GZIP "\",\"digest\":\"sha256:"
                "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":34,"
                "\"annotations\":{\"k\":\"v\"}}]}";
        struct oci_manifest m, m2;
        struct box_err err = {0};
        assert_int_equal(oci_manifest_parse(j, strlen(j), &m, &err), 0);
        assert_int_equal(m.n_layers, 1);
        assert_int_equal(m.layers[0].size, 34);
        assert_string_equal(oci_kv_get(m.layers[0].annotations, "k"), "v");
        char *out = oci_manifest_to_json(&m);
        assert_int_equal(oci_manifest_parse(out, strlen(out), &m2, &err), 0);
        char *out2 = oci_manifest_to_json(&m2);
        assert_string_equal(out, out2);
        free(out);
        free(out2);
        oci_manifest_release(&m);
        oci_manifest_release(&m2);
}

static void test_invalid(void **state)
{
        (void)state;
        struct oci_manifest m;
        struct oci_index x;
        struct box_err err = {0};
        assert_true(oci_manifest_parse("{", 1, &m, &err) < 0);
        assert_non_null(strstr(err.msg, "invalid JSON"));
        const char *v1 = "{\"schemaVersion\":1}";
        assert_true(oci_manifest_parse(v1, strlen(v1), &m, &err) < 0);
        const char *nod = "{\"schemaVersion\":2,\"config\":{}}";
        assert_true(oci_manifest_parse(nod, strlen(nod), &m, &err) < 0);
        assert_non_null(strstr(err.msg, "missing digest"));
        const char *idx = "{\"schemaVersion\":2,\"manifests\":{}}";
        assert_true(oci_index_parse(idx, strlen(idx), &x, &err) < 0);
}

static void test_sha256(void **state)
{
        (void)state;
        char d[SHA256_DIGEST_STR_LEN + 1];
        sha256_buf("", 0, d);
        assert_string_equal(
                d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_buf("abc", 3, d);
        assert_string_equal(
                d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        struct sha256_ctx *c = sha256_new();
        sha256_update(c, "a", 1);
        sha256_update(c, "bc", 2);
        char d2[SHA256_DIGEST_STR_LEN + 1];
        sha256_final_str(c, d2);
        assert_string_equal(d, d2);
}

static void test_time(void **state)
{
        (void)state;
        assert_int_equal(oci_time_parse("1970-01-01T00:00:10Z"), 10);
        assert_int_equal(oci_time_parse("2024-01-02T03:04:05.999999999Z"), 1704164645);
        assert_int_equal(oci_time_parse("2024-01-02T05:04:05+02:00"), 1704164645);
        assert_int_equal(oci_time_parse("garbage"), -1);
        char *s = oci_time_format(1704164645);
        assert_string_equal(s, "2024-01-02T03:04:05Z");
        free(s);
}

/* Go's RFC3339Nano (time.Time's JSON form): trailing zeros of the fraction
 * dropped, no fraction for a whole second; SOURCE_DATE_EPOCH for "created". */
static void test_time_ns(void **state)
{
        (void)state;
        static const struct {
                int64_t t;
                long ns;
                const char *s;
        } cases[] = {
                {1704164645, 0, "2024-01-02T03:04:05Z"},
                {1704164645, 500000000, "2024-01-02T03:04:05.5Z"},
                {1704164645, 120000000, "2024-01-02T03:04:05.12Z"},
                {1704164645, 1, "2024-01-02T03:04:05.000000001Z"},
                {1704164645, 123456789, "2024-01-02T03:04:05.123456789Z"},
                {0, 999999999, "1970-01-01T00:00:00.999999999Z"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = oci_time_format_ns(cases[i].t, cases[i].ns);
                assert_string_equal(s, cases[i].s);
                free(s);
        }
        char *now = oci_time_now(false);
        assert_int_equal(strlen(now), strlen("2024-01-02T03:04:05Z"));
        assert_true(oci_time_parse(now) > 1704164645);
        free(now);
        now = oci_time_now(true);
        assert_true(oci_time_parse(now) > 1704164645);
        free(now);
        setenv("SOURCE_DATE_EPOCH", "10", 1);
        char *c = oci_time_created();
        unsetenv("SOURCE_DATE_EPOCH");
        assert_string_equal(c, "1970-01-01T00:00:10Z");
        free(c);
}

/* Found by fuzz-oci (tests/fuzz/regress-oci/time-*): an offset that
 * overflowed int arithmetic, times outside the years gmtime_r() handles
 * (an uninitialised struct tm was formatted), and years below 1000 written
 * with fewer than the four digits RFC 3339 requires. */
static void test_time_hostile(void **state)
{
        (void)state;
        assert_int_equal(oci_time_parse("5-1-2T0:0:0-1111111"), -1);
        assert_int_equal(oci_time_parse("2024-01-02T03:04:05+2147483647:00"), -1);
        assert_int_equal(oci_time_parse("2024-01-02T03:04:05+02"), -1);
        assert_int_equal(oci_time_parse("2024-01-02T03:04:05-24:00"), -1);
        assert_int_equal(oci_time_parse("2024-01-02T01:04:05-02:00"), 1704164645);
        assert_int_equal(oci_time_parse("0001-01-01T00:00:00Z"), -62135596800LL);
        /* the ns form: fractions, offsets, a date alone; out of int64 ns's years */
        int64_t ns = 0;
        assert_int_equal(oci_time_parse_ns("2024-01-02T01:04:05.25-02:00", &ns), 0);
        assert_true(ns == 1704164645LL * 1000000000 + 250000000);
        assert_int_equal(oci_time_parse_ns("2024-01-02", &ns), 0);
        assert_true(ns == 1704153600LL * 1000000000);
        assert_int_equal(oci_time_parse_ns("2024-01-02T00:00:00", &ns), 0);
        assert_true(ns == 1704153600LL * 1000000000);
        assert_int_equal(oci_time_parse_ns("0001-01-01T00:00:00Z", &ns), -ERANGE);
        assert_int_equal(oci_time_parse_ns("2024-01-02T00:00:00Zjunk", &ns), -EINVAL);
        assert_int_equal(oci_time_parse_ns("2024-01-02junk", &ns), -EINVAL);
        assert_int_equal(oci_time_parse_ns("yesterday", &ns), -EINVAL);
        static const struct {
                int64_t t;
                const char *s;
        } cases[] = {
                {-62135596800LL, "0001-01-01T00:00:00Z"}, /* Go's zero time */
                {INT64_MAX, "9999-12-31T23:59:59Z"},
                {INT64_MIN, "0000-01-01T00:00:00Z"},
                {0x7f00000000000000LL, "9999-12-31T23:59:59Z"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = oci_time_format(cases[i].t);
                assert_string_equal(s, cases[i].s);
                free(s);
        }
}

/* A number far outside int64_t where an integer belongs: the cast was
 * undefined behaviour (tests/fuzz/regress-oci/real-size-overflow). */
static void test_huge_numbers(void **state)
{
        (void)state;
        const char *j = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:aa\",\"size\":1e300},"
                        "\"layers\":[{\"digest\":\"sha256:bb\",\"size\":-1e300},"
                        "{\"digest\":\"sha256:cc\",\"size\":-9.2233720368547758e18},"
                        "{\"digest\":\"sha256:dd\",\"size\":1.5}]}";
        struct oci_manifest m;
        assert_int_equal(oci_manifest_parse(j, strlen(j), &m, NULL), 0);
        assert_true(m.config.size == INT64_MAX);
        assert_true(m.layers[0].size == INT64_MIN);
        assert_true(m.layers[1].size == INT64_MIN);
        assert_int_equal(m.layers[2].size, 1);
        oci_manifest_release(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_round_trip),
                cmocka_unit_test(test_unset_vs_empty),
                cmocka_unit_test(test_manifest_round_trip),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_sha256),
                cmocka_unit_test(test_time),
                cmocka_unit_test(test_time_hostile),
                cmocka_unit_test(test_time_ns),
                cmocka_unit_test(test_huge_numbers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

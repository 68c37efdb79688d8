/* Hostile JSON: nesting deeper than JV_MAX_DEPTH is refused before the
 * (recursive) parser sees it, brackets inside strings do not count, and a
 * config with hundreds of thousands of Env entries or labels parses in
 * linear time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

static char *nested(int depth, const char *open, const char *close)
{
        struct buf b = {0};
        for (int i = 0; i < depth; i++)
                buf_puts(&b, open);
        buf_puts(&b, "1");
        for (int i = 0; i < depth; i++)
                buf_puts(&b, close);
        return buf_steal(&b);
}

static void test_depth(void **state)
{
        (void)state;
        struct jv *v = NULL;
        struct box_err err = {0};
        char *ok = nested(JV_MAX_DEPTH, "[", "]");
        assert_int_equal(jv_parse(ok, strlen(ok), &v, &err), 0);
        jv_free(v);
        char *deep = nested(JV_MAX_DEPTH + 1, "[", "]");
        assert_int_equal(jv_parse(deep, strlen(deep), &v, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nested deeper than 64 levels"));
        char *objs = nested(100000, "{\"a\":", "}");
        assert_int_equal(jv_parse(objs, strlen(objs), &v, &err), -EINVAL);
        struct oci_image img;
        assert_int_equal(oci_image_parse(objs, strlen(objs), &img, &err), -EINVAL);
        free(ok);
        free(deep);
        free(objs);
}

static void test_brackets_in_strings(void **state)
{
        (void)state;
        /* 100 '[' inside a string, an escaped quote before them */
        struct buf b = {0};
        buf_puts(&b, "{\"k\":\"\\\"");
        for (int i = 0; i < 100; i++)
                buf_putc(&b, '[');
        buf_puts(&b, "\"}");
        struct jv *v = NULL;
        struct box_err err = {0};
        if (jv_parse(b.data, b.len, &v, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(strlen(jv_get_str(v, "k")), 101);
        jv_free(v);
        buf_release(&b);
}

static void test_big_arrays_linear(void **state)
{
        (void)state;
        /* 400000 Env entries and 200000 labels: about 6 MB */
        struct buf b = {0};
        buf_puts(&b, "{\"config\":{\"Env\":[");
        for (int i = 0; i < 400000; i++)
                buf_puts(&b, i ? ",\"a\"" : "\"a\"");
        buf_puts(&b, "],\"Labels\":{");
        for (int i = 0; i < 200000; i++)
                buf_printf(&b, "%s\"%d\":\"\"", i ? "," : "", i);
        buf_puts(&b, "}},\"rootfs\":{\"diff_ids\":[]}}");
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct oci_image img;
        struct box_err err = {0};
        if (oci_image_parse(b.data, b.len, &img, &err) < 0)
                fail_msg("%s", err.msg);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(strv_length(img.config.env), 400000);
        assert_int_equal(strv_length(img.config.labels), 400000);
        /* quadratic appends took minutes here; linear is well under a second */
        assert_true(t1.tv_sec - t0.tv_sec < 15);
        oci_image_release(&img);
        buf_release(&b);
}

/* Bytes that are not UTF-8 (a CLI value, a Dockerfile in Latin-1, a
 * container's output) become U+FFFD each, as Go's encoding/json writes
 * them; the dump used to fail and abort box. */
static void test_not_utf8(void **state)
{
        (void)state;
        struct jv *o = jv_object();
        jv_set_str(o, "a", "x\xff\xfey");
        jv_set_str(o, "b", "\xed\xa0\x80");    /* an encoded surrogate */
        jv_set_str(o, "c", "\xc3");            /* truncated */
        jv_set_str(o, "d", "\xe2\x82\xac ok"); /* valid: kept */
        char *s = jv_dump(o, JV_CANONICAL);
        assert_string_equal(s, "{\"a\":\"x\xef\xbf\xbd\xef\xbf\xbdy\","
                               "\"b\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                               "\"c\":\"\xef\xbf\xbd\",\"d\":\"\xe2\x82\xac ok\"}");
        free(s);
        jv_free(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_depth),
                cmocka_unit_test(test_brackets_in_strings),
                cmocka_unit_test(test_big_arrays_linear),
                cmocka_unit_test(test_not_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

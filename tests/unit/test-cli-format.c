/* The --format template engine: what docker's Go templates print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/format.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static const char doc[] =
        "{\"Id\":\"sha256:abc\",\"RepoTags\":[\"busybox:latest\",\"x:1\"],\"RepoDigests\":[],"
        "\"Size\":4096,\"Empty\":\"\",\"Yes\":true,\"No\":false,\"Nothing\":null,"
        "\"Config\":{\"Env\":[\"A=1\",\"B=two words\"],\"Cmd\":null,"
        "\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"ExposedPorts\":{\"8080/tcp\":{}},"
        "\"WorkingDir\":\"/srv\"},\"RootFS\":{\"Type\":\"layers\",\"Layers\":[\"sha256:1\"]}}";

static struct jv *root;

static void expect(const char *tmpl, const char *want)
{
        _cleanup_free_ char *out = NULL;
        struct box_err err = {0};
        if (cli_format_template(tmpl, root, &out, &err) < 0)
                fail_msg("'%s': %s", tmpl, err.msg);
        if (!streq(out, want))
                fail_msg("'%s' gave '%s', want '%s'", tmpl, out, want);
}

static void expect_error(const char *tmpl, const char *part)
{
        _cleanup_free_ char *out = NULL;
        struct box_err err = {0};
        if (cli_format_template(tmpl, root, &out, &err) >= 0)
                fail_msg("'%s' gave '%s', want an error", tmpl, out);
        assert_int_equal(err.code, EINVAL);
        if (!strstr(err.msg, part))
                fail_msg("'%s': '%s' lacks '%s'", tmpl, err.msg, part);
        assert_true(startswith(err.msg, "template: "));
}

static void test_fields(void **state)
{
        (void)state;
        expect("{{.Id}}", "sha256:abc");
        expect("{{ .Id }}", "sha256:abc");
        expect("id={{.Id}}\\tsize={{.Size}}\\n", "id=sha256:abc\tsize=4096\n");
        expect("{{.RepoTags}}", "[busybox:latest x:1]");
        expect("{{.RepoDigests}}", "[]");
        expect("{{.Config.Env}} {{.Config.WorkingDir}}", "[A=1 B=two words] /srv");
        expect("{{.Config.Labels}}", "map[a:1 b:2]");
        expect("{{.Config.ExposedPorts}}", "map[8080/tcp:{}]");
        expect("{{.Nothing}}|{{.Missing}}|{{.Config.Missing.Deeper}}",
               "<no value>|<no value>|<no value>");
        /* unset slices and maps print as Go's nil slices and maps */
        expect("{{.Config.Cmd}} {{.Config.Entrypoint}} {{.Config.Volumes}}", "[] [] map[]");
        expect("{{.Yes}} {{.No}}", "true false");
        expect("{{.RootFS}}", "map[Layers:[sha256:1] Type:layers]");
        expect("{{$.Id}}", "sha256:abc");
        expect("plain text", "plain text");
        expect("table {{.Id}}", "sha256:abc");
        expect("{{/* a comment */}}x", "x");
        expect("a  {{- .Id -}}  b", "asha256:abcb");
        expect("{{\"}}\"}}", "}}");
        expect_error("{{.Id", "unclosed action");
        /* after text (which leaked: make asan, fuzz-format) */
        expect_error("a{{/* c *x}}", "unclosed comment");
        expect_error("{{.Id.Sub}}", "can't evaluate field Sub");
        expect_error("{{nosuch .Id}}", "function \"nosuch\" not defined");
        expect_error("{{.Id .Size}}", "can't give argument to non-function");
        expect_error("{{}}", "missing value");
        expect_error("{{$nope}}", "undefined variable \"$nope\"");
}

static void test_functions(void **state)
{
        (void)state;
        expect("{{json .Config.Env}}", "[\"A=1\",\"B=two words\"]");
        expect("{{json .Config.Cmd}}", "null");
        expect("{{json .Empty}}", "\"\"");
        expect("{{json .Config.ExposedPorts}}", "{\"8080/tcp\":{}}");
        expect("{{json .Size}}", "4096");
        expect("{{index .RepoTags 1}}", "x:1");
        expect("{{index .Config.Labels \"a\"}}", "1");
        expect("{{index .Config.Labels \"zz\"}}", "<no value>");
        expect("{{index .Config \"Env\" 0}}", "A=1");
        expect_error("{{index .RepoTags 5}}", "index out of range: 5");
        expect("{{len .RepoTags}} {{len .Config.Labels}} {{len .Id}}", "2 2 10");
        expect("{{join .RepoTags \", \"}}", "busybox:latest, x:1");
        expect("{{join .Config.Env \"\\n\"}}", "A=1\nB=two words");
        expect("{{upper .Id}} {{lower \"ABC\"}} {{title \"hello world\"}}",
               "SHA256:ABC abc Hello World");
        expect("{{.Id | upper}}", "SHA256:ABC");
        expect("{{.Config.WorkingDir | printf \"%s!\"}}", "/srv!");
        expect("{{printf \"%d-%s-%5s|\" .Size .Id \"ab\"}}", "4096-sha256:abc-   ab|");
        expect("{{split \"a:b:c\" \":\"}}", "[a b c]");
        expect("{{index (split .Id \":\") 1}}", "abc");
        expect("{{pad \"x\" 1 2}}|{{truncate .Id 6}}", " x  |sha256");
        expect("{{print \"a\" 1 2 \"b\"}}|{{println \"x\" 1}}", "a1 2b|x 1\n");
        expect("{{eq .Size 4096}} {{ne .Id \"x\"}} {{lt 1 2}} {{ge .Size 5000}}",
               "true true true false");
        expect("{{eq .Id \"a\" \"sha256:abc\"}}", "true");
        expect("{{and .Yes .Id}} {{or .Empty .No}} {{not .Empty}}", "sha256:abc false true");
        expect("{{len (index .Config \"Env\")}}", "2");
        expect("{{(index .RepoTags 0)}}", "busybox:latest");
}

static void test_control(void **state)
{
        (void)state;
        expect("{{if .Yes}}y{{else}}n{{end}}", "y");
        expect("{{if .No}}y{{else}}n{{end}}", "n");
        expect("{{if .Empty}}e{{else if .Size}}s{{else}}n{{end}}", "s");
        expect("{{if .RepoDigests}}d{{end}}|", "|");
        expect("{{range .RepoTags}}<{{.}}>{{end}}", "<busybox:latest><x:1>");
        expect("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}", "0=busybox:latest 1=x:1 ");
        expect("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}", "a:1,b:2,");
        expect("{{range .RepoDigests}}x{{else}}none{{end}}", "none");
        expect("{{range .Nothing}}x{{else}}none{{end}}", "none");
        expect("{{with .Config}}{{.WorkingDir}}{{end}}", "/srv");
        expect("{{with .Empty}}x{{else}}empty{{end}}", "empty");
        expect("{{$d := .Config.WorkingDir}}{{$d}}{{range .RepoTags}}{{$d}}{{end}}",
               "/srv/srv/srv");
        expect("{{range .RepoTags}}{{$.Size}} {{end}}", "4096 4096 ");
        expect("{{range .RepoTags -}}\n  {{.}}\n{{- end}}", "busybox:latestx:1");
        expect_error("{{if .Yes}}x", "missing {{end}}");
        expect_error("{{end}}", "unexpected {{end}}");
        expect_error("{{template \"x\"}}", "not supported");
}

static void test_header_and_table(void **state)
{
        (void)state;
        struct jv *h = jv_object();
        jv_set_str(h, "ID", "IMAGE ID");
        jv_set_str(h, "CreatedSince", "CREATED");
        _cleanup_free_ char *out = NULL;
        assert_int_equal(cli_format_header("table {{.ID | lower}}\t{{if .CreatedSince}}{{."
                                           "CreatedSince}}{{else}}N/A{{end}}\t{{json .ID}}",
                                           h, &out, NULL),
                         0);
        assert_string_equal(out, "IMAGE ID\tCREATED\tIMAGE ID");
        jv_free(h);
        assert_true(cli_format_is_table("table"));
        assert_true(cli_format_is_table("table {{.ID}}"));
        assert_false(cli_format_is_table("tablex"));
        assert_false(cli_format_is_table("{{.ID}} table"));
        assert_false(cli_format_is_table(NULL));
}

static int setup(void **state)
{
        (void)state;
        return jv_parse(doc, strlen(doc), &root, NULL) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        (void)state;
        jv_free(root);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_functions),
                cmocka_unit_test(test_control),
                cmocka_unit_test(test_header_and_table),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

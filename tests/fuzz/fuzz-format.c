/* libFuzzer target for --format's Go template subset (cli/format.c), which
 * users and scripts write: the input up to its first newline is the
 * template, the rest a JSON value it runs over (a fixed object when that
 * is not JSON); the template also goes through the strict evaluator, the
 * table header and a --format of a list command's rows.  Output goes to
 * stdout: run with -close_fd_mask=3. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static const char fixed[] =
        "{\"ID\":\"abc\",\"Names\":[\"a\",\"b\"],\"Labels\":{\"k\":\"v\",\"z\":\"\"},"
        "\"Size\":12345678901,\"Neg\":-1.5,\"T\":true,\"N\":null,\"Nested\":{\"A\":[{\"B\":[1,2]}]}"
        "}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 4096)
                return 0;
        char *s = xstrndup((const char *)data, size);
        char *nl = strchr(s, '\n');
        struct jv *v = NULL;
        struct box_err err = {0};
        if (nl) {
                *nl = '\0';
                if (jv_parse(nl + 1, strlen(nl + 1), &v, &err) < 0)
                        v = NULL;
        }
        if (!v && jv_parse(fixed, strlen(fixed), &v, &err) < 0)
                abort();
        char *out = NULL;
        if (cli_format_template(s, v, &out, &err) >= 0)
                free(out);
        out = NULL;
        if (cli_format_template_strict(s, v, &out, &err) >= 0)
                free(out);
        out = NULL;
        const char *const titles[] = {"ID", "IMAGE ID", "Names", "NAMES", NULL};
        struct jv *h = cli_format_titles(titles);
        if (cli_format_header(s, h, &out, &err) >= 0)
                free(out);
        jv_free(h);
        struct jv *rows[] = {v, v};
        cli_format_rows(s, titles, rows, 2, &err);
        if (cli_format_is_table(s)) {
                char *line = xasprintf("%s", s);
                char *lines[] = {line, line, NULL};
                cli_format_tabwrite(lines);
                free(line);
        }
        jv_free(v);
        free(s);
        return 0;
}

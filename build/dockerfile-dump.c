/* A parsed Dockerfile written out: BuildKit's AST dump ("dockerfile parse")
 * and the JSON form ("dockerfile parse --format json"). */
#include "build/dockerfile.h"

#include "lib/go-quote.h"
#include "lib/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

/* ---- output ------------------------------------------------------------ */

/* Node.Dump: the result is trimmed with strings.TrimSpace at each level */
static void dump_instr(struct buf *out, const struct dockerfile_instr *in)
{
        _cleanup_free_ char *lower = utf8_to_lower(in->cmd);
        struct buf b = {0};
        size_t start, end;

        buf_puts(&b, lower);
        if (in->flags && in->flags[0]) {
                buf_puts(&b, " [");
                STRV_FOREACH (f, in->flags) {
                        if (f != in->flags)
                                buf_putc(&b, ' ');
                        go_quote(&b, *f);
                }
                buf_putc(&b, ']');
        }
        if (in->trigger) {
                buf_puts(&b, " (");
                dump_instr(&b, in->trigger);
                buf_putc(&b, ')');
        } else {
                STRV_FOREACH (a, in->args) {
                        buf_putc(&b, ' ');
                        go_quote(&b, *a);
                }
        }
        utf8_trim_space(b.data, b.len, &start, &end);
        buf_append(out, b.data + start, end - start);
        buf_release(&b);
}

char *build_dockerfile_dump(const struct dockerfile *df)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (size_t i = 0; i < df->n_instrs; i++) {
                buf_putc(&b, '(');
                dump_instr(&b, &df->instrs[i]);
                buf_puts(&b, ")\n");
        }
        return buf_steal(&b);
}

/* JSON strings must be valid UTF-8: invalid bytes become U+FFFD */
static struct jv *json_str(const char *s)
{
        struct buf b = {0};
        size_t n = strlen(s), w;
        buf_puts(&b, "");
        for (size_t i = 0; i < n; i += w) {
                uint32_t r = utf8_decode(s + i, n - i, &w);
                if (r == UTF8_RUNE_ERROR && w == 1)
                        utf8_put(&b, UTF8_RUNE_ERROR);
                else
                        buf_append(&b, s + i, w);
        }
        struct jv *j = jv_string(b.data);
        buf_release(&b);
        return j;
}

static struct jv *json_strv(char *const *v)
{
        struct jv *a = jv_array();
        STRV_FOREACH (s, v)
                jv_push(a, json_str(*s));
        return a;
}

static void json_set_str(struct jv *o, const char *key, const char *s)
{
        if (s)
                jv_set(o, key, json_str(s));
}

static struct jv *instr_to_json(const struct dockerfile_instr *in)
{
        struct jv *o = jv_object();
        json_set_str(o, "name", in->name);
        jv_set(o, "flags", json_strv(in->flags));
        jv_set(o, "args", json_strv(in->args));
        if (in->pairs) {
                struct jv *pairs = jv_array();
                for (size_t i = 0; i < in->n_pairs; i++) {
                        struct jv *p = jv_array();
                        jv_push(p, json_str(in->pairs[i].key));
                        jv_push(p, json_str(in->pairs[i].value));
                        jv_push(pairs, p);
                }
                jv_set(o, "pairs", pairs);
                jv_set(o, "legacy", jv_bool(in->legacy));
        }
        jv_set(o, "json", jv_bool(in->json));
        struct jv *hd = jv_array();
        for (size_t i = 0; i < in->n_heredocs; i++) {
                struct jv *h = jv_object();
                json_set_str(h, "name", in->heredocs[i].name);
                json_set_str(h, "content", in->heredocs[i].content);
                jv_set(h, "expand", jv_bool(in->heredocs[i].expand));
                jv_set(h, "chomp", jv_bool(in->heredocs[i].chomp));
                jv_set(h, "fd", jv_int((int64_t)in->heredocs[i].fd));
                jv_push(hd, h);
        }
        jv_set(o, "heredocs", hd);
        if (in->trigger)
                jv_set(o, "trigger", instr_to_json(in->trigger));
        jv_set(o, "start_line", jv_int(in->start_line));
        jv_set(o, "end_line", jv_int(in->end_line));
        json_set_str(o, "original", in->original);
        return o;
}

struct jv *build_dockerfile_to_json(const struct dockerfile *df)
{
        struct jv *root = jv_object(), *dirs = jv_object(), *list = jv_array();
        json_set_str(dirs, "syntax", df->syntax);
        json_set_str(dirs, "escape", df->escape);
        json_set_str(dirs, "check", df->check);
        jv_set(root, "directives", dirs);
        for (size_t i = 0; i < df->n_instrs; i++)
                jv_push(list, instr_to_json(&df->instrs[i]));
        jv_set(root, "instructions", list);
        return root;
}

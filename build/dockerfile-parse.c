/* The Dockerfile parser.  It follows BuildKit's frontend/dockerfile/parser
 * step by step: parser directives, comments, continuation lines (with the
 * comment and empty lines Docker skips inside them), the per-instruction
 * argument rules (JSON or shell form, words, key=value pairs), builder
 * flags and heredocs.  Variables are not expanded here. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "lib/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define MAX_LINE 65535 /* bufio.MaxScanTokenSize - 1 */

static const char *const known_instructions[] = {
        "add",    "arg",   "cmd",         "copy",  "entrypoint", "env",
        "expose", "from",  "healthcheck", "label", "maintainer", "onbuild",
        "run",    "shell", "stopsignal",  "user",  "volume",     "workdir",
};

enum arg_rule {
        RULE_IGNORE,
        RULE_MAYBE_JSON,         /* CMD ENTRYPOINT RUN SHELL */
        RULE_MAYBE_JSON_TO_LIST, /* ADD COPY VOLUME */
        RULE_NAME_OR_NAME_VAL,   /* ARG */
        RULE_NAME_VAL,           /* ENV LABEL */
        RULE_WHITESPACE,         /* EXPOSE FROM */
        RULE_STRING,             /* MAINTAINER STOPSIGNAL USER WORKDIR */
        RULE_HEALTH,             /* HEALTHCHECK */
        RULE_SUB_COMMAND,        /* ONBUILD */
};

static const struct {
        const char *name;
        enum arg_rule rule;
} rules[] = {
        {"add", RULE_MAYBE_JSON_TO_LIST},
        {"arg", RULE_NAME_OR_NAME_VAL},
        {"cmd", RULE_MAYBE_JSON},
        {"copy", RULE_MAYBE_JSON_TO_LIST},
        {"entrypoint", RULE_MAYBE_JSON},
        {"env", RULE_NAME_VAL},
        {"expose", RULE_WHITESPACE},
        {"from", RULE_WHITESPACE},
        {"healthcheck", RULE_HEALTH},
        {"label", RULE_NAME_VAL},
        {"maintainer", RULE_STRING},
        {"onbuild", RULE_SUB_COMMAND},
        {"run", RULE_MAYBE_JSON},
        {"shell", RULE_MAYBE_JSON},
        {"stopsignal", RULE_STRING},
        {"user", RULE_STRING},
        {"volume", RULE_MAYBE_JSON_TO_LIST},
        {"workdir", RULE_STRING},
};

static enum arg_rule rule_for(const char *lower)
{
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
                if (streq(rules[i].name, lower))
                        return rules[i].rule;
        return RULE_IGNORE;
}

static bool is_known(const char *lower)
{
        for (size_t i = 0; i < ARRAY_SIZE(known_instructions); i++)
                if (streq(known_instructions[i], lower))
                        return true;
        return false;
}

static char *ascii_lower(const char *s)
{
        char *r = xstrdup(s);
        for (char *p = r; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return r;
}

/* Go's strings.ToLower agrees with ASCII lowering for the names we compare. */

static bool is_ws(char c) /* reWhitespace: [\t\v\f\r ] */
{
        return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* unicode.IsSpace(rune(b)) for a single byte, as Go's byte loops use it */
static bool byte_is_space(unsigned char c)
{
        return c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ' ||
               c == 0x85 || c == 0xA0;
}

/* strings.Builder.WriteRune(rune(b)) for a byte */
static void put_byte_rune(struct buf *b, unsigned char c)
{
        utf8_put(b, c);
}

/* ---- JSON arrays: encoding/json's rules for []any ---------------------- */

struct json_in {
        const char *s;
        size_t n, pos;
        int depth;
};

static void js_ws(struct json_in *j)
{
        while (j->pos < j->n && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
                                 j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
                j->pos++;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int js_hex4(struct json_in *j, uint32_t *ret)
{
        uint32_t v = 0;
        if (j->pos + 4 > j->n)
                return -1;
        for (int i = 0; i < 4; i++) {
                int h = hexval(j->s[j->pos + i]);
                if (h < 0)
                        return -1;
                v = v * 16 + (uint32_t)h;
        }
        j->pos += 4;
        *ret = v;
        return 0;
}

/* Parses a string at j->pos (which is '"'); appends its value to out. */
static int js_string(struct json_in *j, struct buf *out)
{
        j->pos++;
        while (j->pos < j->n) {
                unsigned char c = (unsigned char)j->s[j->pos];
                if (c == '"') {
                        j->pos++;
                        return 0;
                }
                if (c < 0x20)
                        return -1;
                if (c == '\\') {
                        if (++j->pos >= j->n)
                                return -1;
                        char e = j->s[j->pos++];
                        switch (e) {
                        case '"':
                        case '\\':
                        case '/':
                                buf_putc(out, e);
                                break;
                        case 'b':
                                buf_putc(out, '\b');
                                break;
                        case 'f':
                                buf_putc(out, '\f');
                                break;
                        case 'n':
                                buf_putc(out, '\n');
                                break;
                        case 'r':
                                buf_putc(out, '\r');
                                break;
                        case 't':
                                buf_putc(out, '\t');
                                break;
                        case 'u': {
                                uint32_t r, r2;
                                if (js_hex4(j, &r) < 0)
                                        return -1;
                                if (r >= 0xD800 && r < 0xDC00) {
                                        size_t save = j->pos;
                                        if (j->pos + 1 < j->n && j->s[j->pos] == '\\' &&
                                            j->s[j->pos + 1] == 'u') {
                                                j->pos += 2;
                                                if (js_hex4(j, &r2) == 0 && r2 >= 0xDC00 &&
                                                    r2 < 0xE000) {
                                                        r = 0x10000 + ((r - 0xD800) << 10) +
                                                            (r2 - 0xDC00);
                                                } else {
                                                        j->pos = save;
                                                        r = UTF8_RUNE_ERROR;
                                                }
                                        } else {
                                                r = UTF8_RUNE_ERROR;
                                        }
                                } else if (r >= 0xDC00 && r < 0xE000) {
                                        r = UTF8_RUNE_ERROR;
                                }
                                if (r == 0)
                                        buf_append(out, "\xC0\x80", 2); /* NUL, as modified UTF-8 */
                                else
                                        utf8_put(out, r);
                                break;
                        }
                        default:
                                return -1;
                        }
                        continue;
                }
                size_t w;
                uint32_t r = utf8_decode(j->s + j->pos, j->n - j->pos, &w);
                if (r == UTF8_RUNE_ERROR && w == 1)
                        utf8_put(out, UTF8_RUNE_ERROR);
                else
                        buf_append(out, j->s + j->pos, w);
                j->pos += w;
        }
        return -1;
}

static int js_number(struct json_in *j)
{
        size_t p = j->pos;
        if (p < j->n && j->s[p] == '-')
                p++;
        if (p >= j->n)
                return -1;
        if (j->s[p] == '0')
                p++;
        else if (j->s[p] >= '1' && j->s[p] <= '9')
                while (p < j->n && isdigit((unsigned char)j->s[p]))
                        p++;
        else
                return -1;
        if (p < j->n && j->s[p] == '.') {
                p++;
                if (p >= j->n || !isdigit((unsigned char)j->s[p]))
                        return -1;
                while (p < j->n && isdigit((unsigned char)j->s[p]))
                        p++;
        }
        if (p < j->n && (j->s[p] == 'e' || j->s[p] == 'E')) {
                p++;
                if (p < j->n && (j->s[p] == '+' || j->s[p] == '-'))
                        p++;
                if (p >= j->n || !isdigit((unsigned char)j->s[p]))
                        return -1;
                while (p < j->n && isdigit((unsigned char)j->s[p]))
                        p++;
        }
        j->pos = p;
        return 0;
}

/* Any JSON value.  *ret_is_string tells whether it was a string; its value
 * goes to out when out is not NULL. */
static int js_value(struct json_in *j, struct buf *out, bool *ret_is_string)
{
        if (++j->depth > 10000)
                return -1;
        js_ws(j);
        *ret_is_string = false;
        if (j->pos >= j->n)
                return -1;
        char c = j->s[j->pos];
        int r = 0;
        bool dummy;
        if (c == '"') {
                struct buf tmp = {0};
                r = js_string(j, out ? out : &tmp);
                buf_release(&tmp);
                *ret_is_string = true;
        } else if (c == '[') {
                j->pos++;
                js_ws(j);
                if (j->pos < j->n && j->s[j->pos] == ']') {
                        j->pos++;
                } else {
                        for (;;) {
                                if (js_value(j, NULL, &dummy) < 0)
                                        return -1;
                                js_ws(j);
                                if (j->pos < j->n && j->s[j->pos] == ',') {
                                        j->pos++;
                                        continue;
                                }
                                if (j->pos < j->n && j->s[j->pos] == ']') {
                                        j->pos++;
                                        break;
                                }
                                return -1;
                        }
                }
        } else if (c == '{') {
                j->pos++;
                js_ws(j);
                if (j->pos < j->n && j->s[j->pos] == '}') {
                        j->pos++;
                } else {
                        for (;;) {
                                struct buf key = {0};
                                js_ws(j);
                                if (j->pos >= j->n || j->s[j->pos] != '"')
                                        return -1;
                                r = js_string(j, &key);
                                buf_release(&key);
                                if (r < 0)
                                        return -1;
                                js_ws(j);
                                if (j->pos >= j->n || j->s[j->pos] != ':')
                                        return -1;
                                j->pos++;
                                if (js_value(j, NULL, &dummy) < 0)
                                        return -1;
                                js_ws(j);
                                if (j->pos < j->n && j->s[j->pos] == ',') {
                                        j->pos++;
                                        continue;
                                }
                                if (j->pos < j->n && j->s[j->pos] == '}') {
                                        j->pos++;
                                        break;
                                }
                                return -1;
                        }
                }
        } else if (c == 't' || c == 'f' || c == 'n') {
                const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
                size_t l = strlen(lit);
                if (j->pos + l > j->n || memcmp(j->s + j->pos, lit, l) != 0)
                        return -1;
                j->pos += l;
        } else {
                r = js_number(j);
        }
        j->depth--;
        return r;
}

enum { JSON_OK = 0, JSON_INVALID = -1, JSON_NOT_STRINGS = -2 };

/* parseJSON: REST must be a JSON array of strings. */
static int parse_json_array(const char *rest, char ***ret)
{
        size_t n = strlen(rest);
        struct json_in j = {rest, n, utf8_trim_left_space(rest, n), 0};
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        bool not_string = false;

        if (j.pos >= n || rest[j.pos] != '[')
                return JSON_INVALID;
        j.pos++;
        js_ws(&j);
        if (j.pos < n && rest[j.pos] == ']') {
                j.pos++;
        } else {
                for (;;) {
                        struct buf item = {0};
                        bool is_string;
                        buf_puts(&item, "");
                        if (js_value(&j, &item, &is_string) < 0) {
                                buf_release(&item);
                                return JSON_INVALID;
                        }
                        if (is_string)
                                v = strv_push(v, buf_steal(&item));
                        else {
                                not_string = true;
                                buf_release(&item);
                        }
                        js_ws(&j);
                        if (j.pos < n && rest[j.pos] == ',') {
                                j.pos++;
                                continue;
                        }
                        if (j.pos < n && rest[j.pos] == ']') {
                                j.pos++;
                                break;
                        }
                        return JSON_INVALID;
                }
        }
        js_ws(&j);
        if (j.pos != n)
                return JSON_INVALID;
        if (not_string)
                return JSON_NOT_STRINGS;
        *ret = TAKE_PTR(v);
        return JSON_OK;
}

/* ---- the line parsers -------------------------------------------------- */

struct pctx {
        const char *file;
        uint32_t esc;
        struct box_err *err;
};

static char **split_whitespace(const char *s, int max)
{
        char **v = xnew0(char *, 1);
        const char *p = s;
        int count = 1;
        for (;;) {
                const char *q = p;
                if (max < 0 || count < max)
                        while (*q && !is_ws(*q))
                                q++;
                else
                        q = p + strlen(p);
                v = strv_push(v, xstrndup(p, (size_t)(q - p)));
                if (!*q)
                        break;
                while (*q && is_ws(*q))
                        q++;
                p = q;
                count++;
        }
        return v;
}

/* parseWords: words with their quotes and escapes kept */
static char **parse_words(const char *rest, uint32_t esc)
{
        enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
        size_t n = strlen(rest), w = 0;
        char **words = xnew0(char *, 1);
        uint32_t quote = 0, ch = 0;
        bool blank_ok = false;
        struct buf sb = {0};

        buf_puts(&sb, "");
        for (size_t pos = 0; pos <= n; pos += w) {
                if (pos != n)
                        ch = utf8_decode(rest + pos, n - pos, &w);
                if (phase == IN_SPACES) {
                        if (pos == n)
                                break;
                        if (unicode_is_space(ch))
                                continue;
                        phase = IN_WORD;
                }
                if ((phase == IN_WORD || phase == IN_QUOTE) && pos == n) {
                        if (blank_ok || sb.len > 0)
                                words = strv_append(words, sb.data);
                        break;
                }
                if (phase == IN_WORD) {
                        if (unicode_is_space(ch)) {
                                phase = IN_SPACES;
                                if (blank_ok || sb.len > 0)
                                        words = strv_append(words, sb.data);
                                sb.len = 0;
                                sb.data[0] = '\0';
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = IN_QUOTE;
                        }
                        if (ch == esc) {
                                if (pos + w == n)
                                        continue;
                                utf8_put(&sb, ch);
                                pos += w;
                                ch = utf8_decode(rest + pos, n - pos, &w);
                        }
                        utf8_put(&sb, ch);
                        continue;
                }
                if (phase == IN_QUOTE) {
                        if (ch == quote)
                                phase = IN_WORD;
                        if (ch == esc && quote != '\'') {
                                if (pos + w == n) {
                                        phase = IN_WORD;
                                        continue;
                                }
                                pos += w;
                                utf8_put(&sb, ch);
                                ch = utf8_decode(rest + pos, n - pos, &w);
                        }
                        utf8_put(&sb, ch);
                }
        }
        buf_release(&sb);
        return words;
}

/* extractBuilderFlags: byte-wise, as BuildKit does it */
static void extract_flags(const char *line, uint32_t esc, char **ret_rest, char ***ret_flags)
{
        enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
        size_t n = strlen(line);
        char **words = xnew0(char *, 1);
        struct buf sb = {0};
        unsigned char quote = 0, ch = 0;
        bool blank_ok = false;

        buf_puts(&sb, "");
        for (size_t pos = 0; pos <= n; pos++) {
                if (pos != n)
                        ch = (unsigned char)line[pos];
                if (phase == IN_SPACES) {
                        if (pos == n)
                                break;
                        if (byte_is_space(ch))
                                continue;
                        if (ch != '-' || pos + 1 == n || line[pos + 1] != '-') {
                                *ret_rest = xstrdup(line + pos);
                                goto out;
                        }
                        phase = IN_WORD;
                }
                if ((phase == IN_WORD || phase == IN_QUOTE) && pos == n) {
                        if (!streq(sb.data, "--") && (blank_ok || sb.len > 0))
                                words = strv_append(words, sb.data);
                        break;
                }
                if (phase == IN_WORD) {
                        if (byte_is_space(ch)) {
                                phase = IN_SPACES;
                                if (streq(sb.data, "--")) {
                                        *ret_rest = xstrdup(line + pos);
                                        goto out;
                                }
                                if (blank_ok || sb.len > 0)
                                        words = strv_append(words, sb.data);
                                sb.len = 0;
                                sb.data[0] = '\0';
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = IN_QUOTE;
                                continue;
                        }
                        if (ch == esc) {
                                if (pos + 1 == n)
                                        continue;
                                ch = (unsigned char)line[++pos];
                        }
                        put_byte_rune(&sb, ch);
                        continue;
                }
                if (phase == IN_QUOTE) {
                        if (ch == quote) {
                                phase = IN_WORD;
                                continue;
                        }
                        if (ch == esc) {
                                if (pos + 1 == n) {
                                        phase = IN_WORD;
                                        continue;
                                }
                                ch = (unsigned char)line[++pos];
                        }
                        put_byte_rune(&sb, ch);
                }
        }
        *ret_rest = xstrdup("");
out:
        buf_release(&sb);
        *ret_flags = words;
}

static char *trim_space_dup(const char *s)
{
        size_t a, b;
        utf8_trim_space(s, strlen(s), &a, &b);
        return xstrndup(s + a, b - a);
}

static void instr_release(struct dockerfile_instr *in);

static int parse_fail(struct pctx *c, const char *fmt, ...) _printf_(2, 3);
static int parse_fail(struct pctx *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        box_err_setv(c->err, EINVAL, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static void add_pair(struct dockerfile_instr *in, const char *k, const char *v, const char *delim)
{
        in->pairs = xreallocarray(in->pairs, in->n_pairs + 1, sizeof(*in->pairs));
        in->pairs[in->n_pairs].key = xstrdup(k);
        in->pairs[in->n_pairs].value = xstrdup(v);
        in->n_pairs++;
        in->args = strv_append(in->args, k);
        in->args = strv_append(in->args, v);
        in->args = strv_append(in->args, delim);
}

static int node_from_line(struct pctx *c, const char *line, struct dockerfile_instr *in, int depth);

static int parse_args(struct pctx *c, enum arg_rule rule, const char *rest,
                      struct dockerfile_instr *in, int depth)
{
        char **v = NULL;
        int r;

        switch (rule) {
        case RULE_IGNORE:
                in->args = strv_append(in->args, "");
                return 0;
        case RULE_SUB_COMMAND:
                if (!*rest)
                        return 0;
                in->trigger = xnew0(struct dockerfile_instr, 1);
                r = node_from_line(c, rest, in->trigger, depth + 1);
                if (r < 0)
                        return r;
                in->args = strv_append(in->args, in->trigger->cmd);
                STRV_FOREACH (a, in->trigger->args)
                        in->args = strv_append(in->args, *a);
                return 0;
        case RULE_NAME_OR_NAME_VAL:
                strv_free(in->args);
                in->args = parse_words(rest, c->esc);
                return 0;
        case RULE_NAME_VAL: {
                _cleanup_strv_free_ char **words = parse_words(rest, c->esc);
                const char *key = in->name[0] == 'e' ? "ENV" : "LABEL";
                if (!words[0])
                        return 0;
                if (!strchr(words[0], '=')) {
                        _cleanup_strv_free_ char **parts = split_whitespace(rest, 2);
                        if (strv_length(parts) < 2)
                                return parse_fail(c, "%s must have two arguments", key);
                        in->legacy = true;
                        add_pair(in, parts[0], parts[1], "");
                        return 0;
                }
                STRV_FOREACH (w, words) {
                        char *eq = strchr(*w, '=');
                        if (!eq)
                                return parse_fail(c,
                                                  "syntax error - can't find = in '%s'. must be of "
                                                  "the form: name=value",
                                                  *w);
                        _cleanup_free_ char *k = xstrndup(*w, (size_t)(eq - *w));
                        add_pair(in, k, eq + 1, "=");
                }
                return 0;
        }
        case RULE_WHITESPACE:
                if (!*rest)
                        return 0;
                strv_free(in->args);
                in->args = split_whitespace(rest, -1);
                return 0;
        case RULE_STRING:
                if (*rest)
                        in->args = strv_append(in->args, rest);
                return 0;
        case RULE_MAYBE_JSON:
                if (!*rest)
                        return 0;
                r = parse_json_array(rest, &v);
                if (r == JSON_OK) {
                        strv_free(in->args);
                        in->args = v;
                        in->json = true;
                        return 0;
                }
                if (r == JSON_NOT_STRINGS)
                        return parse_fail(c, "when using JSON array syntax, arrays must be "
                                             "comprised of strings only");
                in->args = strv_append(in->args, rest);
                return 0;
        case RULE_MAYBE_JSON_TO_LIST:
                r = parse_json_array(rest, &v);
                if (r == JSON_OK) {
                        strv_free(in->args);
                        in->args = v;
                        in->json = true;
                        return 0;
                }
                if (r == JSON_NOT_STRINGS)
                        return parse_fail(c, "when using JSON array syntax, arrays must be "
                                             "comprised of strings only");
                return parse_args(c, RULE_WHITESPACE, rest, in, depth);
        case RULE_HEALTH: {
                size_t n = strlen(rest), sep = 0, next;
                while (sep < n && !byte_is_space((unsigned char)rest[sep]))
                        sep++;
                next = sep;
                while (next < n && byte_is_space((unsigned char)rest[next]))
                        next++;
                if (sep == 0)
                        return 0;
                _cleanup_free_ char *typ = xstrndup(rest, sep);
                in->args = strv_append(in->args, typ);
                const char *cmd = rest + next;
                if (!*cmd)
                        return 0;
                r = parse_json_array(cmd, &v);
                if (r == JSON_OK) {
                        STRV_FOREACH (a, v)
                                in->args = strv_append(in->args, *a);
                        strv_free(v);
                        in->json = true;
                        return 0;
                }
                if (r == JSON_NOT_STRINGS)
                        return parse_fail(c, "when using JSON array syntax, arrays must be "
                                             "comprised of strings only");
                in->args = strv_append(in->args, cmd);
                return 0;
        }
        }
        return 0;
}

/* newNodeFromLine */
static int node_from_line(struct pctx *c, const char *line, struct dockerfile_instr *in, int depth)
{
        _cleanup_free_ char *trimmed = trim_space_dup(line), *rest = NULL, *args = NULL;

        if (depth > 1000)
                return parse_fail(c, "instruction nested too deeply");
        in->original = xstrdup(line);
        in->args = xnew0(char *, 1);
        size_t i = 0;
        while (trimmed[i] && !is_ws(trimmed[i]))
                i++;
        in->cmd = xstrndup(trimmed, i);
        in->name = utf8_to_lower(in->cmd);
        if (trimmed[i]) {
                while (trimmed[i] && is_ws(trimmed[i]))
                        i++;
                extract_flags(trimmed + i, c->esc, &rest, &in->flags);
                args = trim_space_dup(rest);
        } else {
                in->flags = xnew0(char *, 1);
                args = xstrdup("");
        }
        return parse_args(c, rule_for(in->name), args, in, depth);
}

/* ---- heredocs ---------------------------------------------------------- */

static bool can_contain_heredoc(const struct dockerfile_instr *in)
{
        if (streq(in->name, "onbuild") && in->trigger)
                in = in->trigger;
        if (!streq(in->name, "add") && !streq(in->name, "copy") && !streq(in->name, "run"))
                return false;
        return !in->json;
}

static size_t count_quotes(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (*s == '\'' || *s == '"')
                        n++;
        return n;
}

/* ParseHeredoc: is WORD a heredoc operator?  1 with *ret filled, 0 if not. */
static int heredoc_from_word(const char *word, struct dockerfile_heredoc *ret, struct box_err *err)
{
        const char *p = word;
        uint64_t fd = 0;
        bool overflow = false;

        while (*p >= '0' && *p <= '9') {
                uint64_t d = (uint64_t)(*p - '0');
                if (fd > (UINT64_MAX - d) / 10)
                        overflow = true;
                else
                        fd = fd * 10 + d;
                p++;
        }
        if (overflow)
                fd = UINT64_MAX;
        if (!startswith(p, "<<"))
                return 0;
        p += 2;
        bool chomp = false;
        if (*p == '-') {
                chomp = true;
                p++;
        }
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
                p++;
        if (strchr(p, '<'))
                return 0;
        if (!*p)
                return 0;

        struct shell_env none = {0};
        _cleanup_strv_free_ char **words = NULL, **raw = NULL;
        int r = build_shell_expand_words(p, '\\', SHELL_SKIP_UNSET, &none, &words, err);
        if (r < 0)
                return r;
        if (strv_length(words) != 1)
                return 0;
        r = build_shell_expand_words(p, '\\', SHELL_SKIP_UNSET | SHELL_RAW_QUOTES, &none, &raw,
                                     err);
        if (r < 0)
                return r;
        if (strv_length(raw) != 1)
                return box_err_set(err, EINVAL,
                                   "internal lexing of heredoc produced inconsistent results: %s",
                                   p);
        ret->name = xstrdup(words[0]);
        ret->expand = count_quotes(words[0]) == count_quotes(raw[0]);
        ret->chomp = chomp;
        ret->fd = fd;
        ret->content = NULL;
        return 1;
}

bool build_dockerfile_heredoc_alone(const char *cmd)
{
        struct dockerfile_heredoc hd = {0};
        struct box_err err = {0};
        while (isspace((unsigned char)*cmd))
                cmd++;
        int r = heredoc_from_word(cmd, &hd, &err);
        free(hd.name);
        return r > 0;
}

char *build_dockerfile_heredoc_data(const struct dockerfile_heredoc *hd)
{
        const char *s = hd->content ? hd->content : "";
        if (!hd->chomp)
                return xstrdup(s);
        struct buf out = {0};
        buf_puts(&out, "");
        for (bool bol = true; *s; s++) {
                if (bol && *s == '\t')
                        continue;
                bol = *s == '\n';
                buf_putc(&out, *s);
        }
        return buf_steal(&out);
}

/* ---- reading lines ----------------------------------------------------- */

struct reader {
        const char *data;
        size_t len, pos;
        bool too_long;
};

/* the next line with its ending; false at the end */
static bool next_line(struct reader *rd, const char **ret, size_t *ret_len)
{
        if (rd->pos >= rd->len || rd->too_long)
                return false;
        const char *s = rd->data + rd->pos;
        const char *nl = memchr(s, '\n', rd->len - rd->pos);
        size_t n = nl ? (size_t)(nl - s) + 1 : rd->len - rd->pos;
        size_t content = nl ? n - 1 : n;
        if (content > MAX_LINE) {
                rd->too_long = true;
                return false;
        }
        *ret = s;
        *ret_len = n;
        rd->pos += n;
        return true;
}

static size_t trim_newline(const char *s, size_t n)
{
        while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
                n--;
        return n;
}

static bool is_comment(const char *s, size_t n)
{
        size_t i = utf8_trim_left_space(s, n);
        return i < n && s[i] == '#';
}

/* lineContinuationRegex: strips a trailing escape (and blanks after it);
 * returns true when the line continues. */
static bool trim_continuation(struct buf *line, uint32_t esc)
{
        size_t n = line->len;
        while (n > 0 && (line->data[n - 1] == ' ' || line->data[n - 1] == '\t'))
                n--;
        if (n == 0 || (unsigned char)line->data[n - 1] != esc)
                return false;
        if (n >= 2 && (unsigned char)line->data[n - 2] == esc)
                return false;
        line->len = n - 1;
        line->data[line->len] = '\0';
        return true;
}

struct directives {
        bool done;
        bool seen_syntax, seen_escape, seen_check;
};

static bool dir_is_space(char c) /* RE2 \s */
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* DirectiveParser.ParseLine on a line already left-trimmed. */
static int parse_directive(struct directives *d, struct dockerfile *df, const char *s, size_t n,
                           struct pctx *c, int line)
{
        if (d->done)
                return 0;
        if (n == 0 || s[0] != '#') {
                d->done = true;
                return 0;
        }
        size_t i = 1;
        i += utf8_trim_left_space(s + i, n - i);
        size_t ks = i;
        if (i >= n || !isalpha((unsigned char)s[i])) {
                d->done = true;
                return 0;
        }
        while (i < n && isalnum((unsigned char)s[i]))
                i++;
        size_t ke = i;
        while (i < n && dir_is_space(s[i]))
                i++;
        if (i >= n || s[i] != '=') {
                d->done = true;
                return 0;
        }
        i++;
        if (i >= n) {
                d->done = true;
                return 0;
        }
        /* "(.+?)\s*$" after "\s*": the value is the rest without the blanks
         * around it, or, when only blanks follow '=', the last of them */
        size_t ve = n, vs = i;
        while (vs < n && dir_is_space(s[vs]))
                vs++;
        if (vs == n) {
                vs = n - 1;
        } else {
                while (ve > vs && dir_is_space(s[ve - 1]))
                        ve--;
        }
        i = vs;
        if (memchr(s + i, '\n', ve - i)) {
                d->done = true;
                return 0;
        }
        _cleanup_free_ char *key = xstrndup(s + ks, ke - ks), *lkey = ascii_lower(key);
        _cleanup_free_ char *value = xstrndup(s + i, ve - i);
        bool *seen;
        char **slot;
        if (streq(lkey, "syntax")) {
                seen = &d->seen_syntax;
                slot = &df->syntax;
        } else if (streq(lkey, "escape")) {
                seen = &d->seen_escape;
                slot = &df->escape;
        } else if (streq(lkey, "check")) {
                seen = &d->seen_check;
                slot = &df->check;
        } else {
                d->done = true;
                return 0;
        }
        if (*seen)
                return parse_fail(c, "%s:%d: only one %s parser directive can be used", c->file,
                                  line, lkey);
        *seen = true;
        if (streq(lkey, "escape")) {
                if (!streq(value, "`") && !streq(value, "\\"))
                        return parse_fail(c,
                                          "%s:%d: invalid escape token '%s' does not match ` or \\",
                                          c->file, line, value);
                c->esc = (unsigned char)value[0];
                df->escape_token = c->esc;
        }
        *slot = TAKE_PTR(value);
        return 1;
}

static void add_instr(struct dockerfile *df, struct dockerfile_instr *in)
{
        /* one realloc per instruction copied 600,000 of them each time
         * where realloc cannot grow in place (ASan's never does) */
        df->instrs = xgrowarray(df->instrs, df->n_instrs + 1, sizeof(*df->instrs));
        df->instrs[df->n_instrs++] = *in;
        memset(in, 0, sizeof(*in));
}

static int find_heredocs(struct pctx *c, const char *line, struct dockerfile_instr *in)
{
        struct shell_env none = {0};
        struct box_err ignored = {0};
        _cleanup_strv_free_ char **words = NULL;

        if (build_shell_expand_words(line, '\\',
                                     SHELL_RAW_QUOTES | SHELL_RAW_ESCAPES | SHELL_SKIP_UNSET, &none,
                                     &words, &ignored) < 0)
                return 0;
        STRV_FOREACH (w, words) {
                struct dockerfile_heredoc h;
                int r = heredoc_from_word(*w, &h, c->err);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                in->heredocs = xreallocarray(in->heredocs, in->n_heredocs + 1, sizeof(h));
                in->heredocs[in->n_heredocs++] = h;
        }
        return 0;
}

static int parse(const char *name, const char *data, size_t len, bool check_names,
                 struct dockerfile **ret, struct box_err *err)
{
        struct dockerfile *df = xnew0(struct dockerfile, 1);
        struct pctx c = {name ? name : "Dockerfile", '\\', err};
        struct reader rd = {data, len, 0, false};
        struct directives d = {0};
        struct buf lb = {0};
        const char *raw;
        size_t raw_len;
        int current = 0, r = 0;

        df->escape_token = '\\';
        df->warnings = xnew0(char *, 1);
        while (next_line(&rd, &raw, &raw_len)) {
                if (current == 0 && raw_len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0) {
                        raw += 3;
                        raw_len -= 3;
                }
                size_t n = trim_newline(raw, raw_len);
                size_t lead = utf8_trim_left_space(raw, n);
                const char *s = raw + lead;
                n -= lead;
                r = parse_directive(&d, df, s, n, &c, current + 1);
                if (r < 0)
                        goto fail;
                if (is_comment(s, n))
                        n = 0;
                current++;
                int start = current;
                lb.len = 0;
                buf_append(&lb, s, n);
                bool cont = trim_continuation(&lb, c.esc);
                if (!cont && lb.len == 0)
                        continue;
                bool empty_cont = false;
                while (cont && next_line(&rd, &raw, &raw_len)) {
                        size_t m = trim_newline(raw, raw_len);
                        current++;
                        if (is_comment(raw, raw_len))
                                continue;
                        if (utf8_trim_left_space(raw, m) == m) {
                                empty_cont = true;
                                continue;
                        }
                        struct buf part = {0};
                        buf_append(&part, raw, m);
                        cont = trim_continuation(&part, c.esc);
                        buf_append(&lb, part.data, part.len);
                        buf_release(&part);
                }
                if (rd.too_long)
                        break;
                if (empty_cont)
                        df->warnings = strv_push(
                                df->warnings,
                                xasprintf(
                                        "%s:%d: empty continuation line found in: %s, empty "
                                        "continuation lines will become errors in a future release",
                                        c.file, current, lb.data));

                struct dockerfile_instr in = {0};
                r = node_from_line(&c, lb.data, &in, 0);
                if (r < 0) {
                        instr_release(&in);
                        box_err_prefix(err, "%s:%d", c.file, start);
                        goto fail;
                }
                if (check_names && !is_known(in.name)) {
                        r = box_err_set(err, EINVAL, "%s:%d: unknown instruction '%s'", c.file,
                                        start, in.cmd);
                        instr_release(&in);
                        goto fail;
                }
                if (can_contain_heredoc(&in) && strstr(lb.data, "<<")) {
                        r = find_heredocs(&c, lb.data, &in);
                        if (r < 0) {
                                instr_release(&in);
                                box_err_prefix(err, "%s:%d", c.file, start);
                                goto fail;
                        }
                        for (size_t h = 0; h < in.n_heredocs; h++) {
                                struct dockerfile_heredoc *hd = &in.heredocs[h];
                                struct buf content = {0};
                                bool terminated = false;
                                buf_puts(&content, "");
                                while (next_line(&rd, &raw, &raw_len)) {
                                        current++;
                                        size_t m = trim_newline(raw, raw_len), k = 0;
                                        if (hd->chomp)
                                                while (k < m && raw[k] == '\t')
                                                        k++;
                                        if (m - k == strlen(hd->name) &&
                                            memcmp(raw + k, hd->name, m - k) == 0) {
                                                terminated = true;
                                                break;
                                        }
                                        buf_append(&content, raw, raw_len);
                                }
                                hd->content = buf_steal(&content);
                                if (!terminated) {
                                        r = box_err_set(err, EINVAL, "%s:%d: unterminated heredoc",
                                                        c.file, start);
                                        instr_release(&in);
                                        goto fail;
                                }
                        }
                }
                in.start_line = start;
                in.end_line = current;
                for (struct dockerfile_instr *t = in.trigger; t; t = t->trigger) {
                        t->start_line = start;
                        t->end_line = current;
                }
                add_instr(df, &in);
        }
        if (rd.too_long) {
                r = box_err_set(err, EINVAL,
                                "%s:%d: dockerfile line greater than max allowed size of %d",
                                c.file, current + 1, MAX_LINE);
                goto fail;
        }
        if (df->n_instrs == 0) {
                r = box_err_set(err, EINVAL, "%s: file with no instructions", c.file);
                goto fail;
        }
        buf_release(&lb);
        *ret = df;
        return 0;
fail:
        buf_release(&lb);
        build_dockerfile_free(df);
        return r < 0 ? r : -EINVAL;
}

int build_dockerfile_parse(const char *name, const char *data, size_t len, struct dockerfile **ret,
                           struct box_err *err)
{
        return parse(name, data, len, true, ret, err);
}

int build_dockerfile_parse_ast(const char *name, const char *data, size_t len,
                               struct dockerfile **ret, struct box_err *err)
{
        return parse(name, data, len, false, ret, err);
}

static void instr_release(struct dockerfile_instr *in)
{
        free(in->cmd);
        free(in->name);
        free(in->original);
        strv_free(in->flags);
        strv_free(in->args);
        for (size_t i = 0; i < in->n_pairs; i++) {
                free(in->pairs[i].key);
                free(in->pairs[i].value);
        }
        free(in->pairs);
        for (size_t i = 0; i < in->n_heredocs; i++) {
                free(in->heredocs[i].name);
                free(in->heredocs[i].content);
        }
        free(in->heredocs);
        if (in->trigger) {
                instr_release(in->trigger);
                free(in->trigger);
        }
        memset(in, 0, sizeof(*in));
}

void build_dockerfile_free(struct dockerfile *df)
{
        if (!df)
                return;
        for (size_t i = 0; i < df->n_instrs; i++)
                instr_release(&df->instrs[i]);
        free(df->instrs);
        free(df->syntax);
        free(df->escape);
        free(df->check);
        strv_free(df->warnings);
        free(df);
}

const char *build_dockerfile_flag_value(const struct dockerfile_instr *in, const char *name)
{
        size_t n = strlen(name);
        const char *v = NULL;
        STRV_FOREACH (f, in->flags)
                if (strneq(*f, "--", 2) && strneq(*f + 2, name, n) && (*f)[2 + n] == '=')
                        v = *f + 3 + n;
        return v;
}

/* The `--change` subset of the Dockerfile language: one instruction per
 * flag, no variable expansion (as in `docker import --change`). */
#include <ctype.h>
#include <strings.h>

#include "cli/image-change.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

/* Splits "a 'b c' d=\"e f\"" into words, removing quotes and backslash
 * escapes the way Docker's ENV/LABEL word splitter does. */
static char **split_words(const char *s)
{
        char **v = xnew0(char *, 1);
        struct buf w = {0};
        int in_word = 0;
        char quote = 0;
        for (; *s; s++) {
                char ch = *s;
                if (quote) {
                        if (ch == quote)
                                quote = 0;
                        else if (ch == '\\' && quote == '"' && s[1])
                                buf_putc(&w, *++s);
                        else
                                buf_putc(&w, ch);
                        continue;
                }
                if (isspace((unsigned char)ch)) {
                        if (in_word)
                                v = strv_push(v, buf_steal(&w));
                        in_word = 0;
                        continue;
                }
                in_word = 1;
                if (ch == '"' || ch == '\'')
                        quote = ch;
                else if (ch == '\\' && s[1])
                        buf_putc(&w, *++s);
                else
                        buf_putc(&w, ch);
        }
        if (in_word)
                v = strv_push(v, buf_steal(&w));
        buf_release(&w);
        return v;
}

/* JSON array of strings, or NULL when ARGS is not one. */
static char **json_array(const char *args)
{
        struct jv *j = NULL;
        if (jv_parse(args, strlen(args), &j, NULL) < 0)
                return NULL;
        char **v = NULL;
        if (jv_is_array(j)) {
                v = xnew0(char *, 1);
                for (size_t i = 0; i < jv_len(j); i++) {
                        const char *s = jv_str(jv_at(j, i));
                        if (!s) {
                                strv_free(v);
                                v = NULL;
                                break;
                        }
                        v = strv_append(v, s);
                }
        }
        jv_free(j);
        return v;
}

static char **command_form(const char *args)
{
        char **v = json_array(args);
        if (v)
                return v;
        v = strv_append(NULL, "/bin/sh");
        v = strv_append(v, "-c");
        return strv_append(v, args);
}

static int pairs(const char *args, int legacy_ok, char ***kv_or_env, int env, const char *what,
                 struct box_err *err)
{
        _cleanup_strv_free_ char **w = split_words(args);
        if (!w[0])
                return box_err_set(err, EINVAL, "%s requires at least one argument", what);
        if (!strchr(w[0], '=')) {
                if (!legacy_ok || !w[1])
                        return box_err_set(err, EINVAL, "%s names '%s' without a value", what,
                                           w[0]);
                /* legacy "KEY value with spaces" */
                const char *rest = args;
                while (isspace((unsigned char)*rest))
                        rest++;
                rest += strcspn(rest, " \t");
                while (isspace((unsigned char)*rest))
                        rest++;
                if (env) {
                        _cleanup_free_ char *e = xasprintf("%s=%s", w[0], rest);
                        *kv_or_env = strv_env_set(*kv_or_env, e);
                } else {
                        *kv_or_env = oci_kv_set(*kv_or_env, w[0], rest);
                }
                return 0;
        }
        STRV_FOREACH (p, w) {
                char *eq = strchr(*p, '=');
                if (!eq || eq == *p)
                        return box_err_set(err, EINVAL, "%s: '%s' is not KEY=VALUE", what, *p);
                if (env) {
                        *kv_or_env = strv_env_set(*kv_or_env, *p);
                } else {
                        *eq = '\0';
                        *kv_or_env = oci_kv_set(*kv_or_env, *p, eq + 1);
                }
        }
        return 0;
}

int image_change_apply(struct oci_container_config *c, const char *line, struct box_err *err)
{
        while (isspace((unsigned char)*line))
                line++;
        size_t n = strcspn(line, " \t");
        _cleanup_free_ char *instr = xstrndup(line, n);
        const char *args = line + n;
        while (isspace((unsigned char)*args))
                args++;

        if (strcasecmp(instr, "CMD") == 0) {
                strv_free(c->cmd);
                c->cmd = command_form(args);
        } else if (strcasecmp(instr, "ENTRYPOINT") == 0) {
                strv_free(c->entrypoint);
                c->entrypoint = command_form(args);
        } else if (strcasecmp(instr, "ENV") == 0) {
                if (!c->env)
                        c->env = xnew0(char *, 1);
                return pairs(args, 1, &c->env, 1, "ENV", err);
        } else if (strcasecmp(instr, "LABEL") == 0) {
                if (!c->labels)
                        c->labels = xnew0(char *, 1);
                return pairs(args, 0, &c->labels, 0, "LABEL", err);
        } else if (strcasecmp(instr, "EXPOSE") == 0) {
                _cleanup_strv_free_ char **w = split_words(args);
                if (!w[0])
                        return box_err_set(err, EINVAL, "EXPOSE requires at least one argument");
                STRV_FOREACH (p, w) {
                        _cleanup_free_ char *port =
                                strchr(*p, '/') ? xstrdup(*p) : xasprintf("%s/tcp", *p);
                        char *end;
                        long v = strtol(port, &end, 10);
                        if (end == port || v < 1 || v > 65535 ||
                            !(streq(end, "/tcp") || streq(end, "/udp") || streq(end, "/sctp")))
                                return box_err_set(err, EINVAL, "EXPOSE: invalid port '%s'", *p);
                        if (!strv_contains(c->exposed_ports, port))
                                c->exposed_ports = strv_append(c->exposed_ports, port);
                }
        } else if (strcasecmp(instr, "VOLUME") == 0) {
                _cleanup_strv_free_ char **w = json_array(args);
                if (!w)
                        w = split_words(args);
                if (!w[0])
                        return box_err_set(err, EINVAL, "VOLUME requires at least one argument");
                STRV_FOREACH (p, w)
                        if (!strv_contains(c->volumes, *p))
                                c->volumes = strv_append(c->volumes, *p);
        } else if (strcasecmp(instr, "USER") == 0 || strcasecmp(instr, "WORKDIR") == 0 ||
                   strcasecmp(instr, "STOPSIGNAL") == 0) {
                if (!*args)
                        return box_err_set(err, EINVAL, "%s requires exactly one argument", instr);
                char **field = strcasecmp(instr, "USER") == 0      ? &c->user
                               : strcasecmp(instr, "WORKDIR") == 0 ? &c->working_dir
                                                                   : &c->stop_signal;
                free(*field);
                *field = xstrdup(args);
        } else if (strcasecmp(instr, "ONBUILD") == 0) {
                if (!*args)
                        return box_err_set(err, EINVAL, "ONBUILD requires an instruction");
                c->on_build = strv_append(c->on_build, args);
        } else {
                return box_err_set(err, EINVAL, "unsupported instruction '%s'", instr);
        }
        return 0;
}

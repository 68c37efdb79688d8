/* Checking a parsed Dockerfile the way the builder will read it: every
 * instruction's flags and arguments (BuildKit's instructions/parse.go
 * rules), stages, ARG scoping and variable expansion, and the warnings
 * BuildKit's linter reports for the same file. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <search.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "lib/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/oci.h"

/* ARGs every build knows without a declaration (the proxy variables) */
static const char *const predefined_args[] = {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
        "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

bool build_arg_is_predefined(const char *k)
{
        for (size_t i = 0; i < ARRAY_SIZE(predefined_args); i++)
                if (streq(predefined_args[i], k))
                        return true;
        return false;
}

int build_dockerfile_fail_at(struct box_err *err, const char *file, int line, const char *fmt, ...)
{
        char msg[900];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return box_err_set(err, EINVAL, "%s:%d: %s", file, line, msg);
}

/* ---- durations: Go's time.ParseDuration -------------------------------- */

int build_parse_duration(const char *s, int64_t *ret_ns)
{
        static const struct {
                const char *unit;
                uint64_t ns;
        } units[] = {
                {"ns", 1},
                {"us", 1000},
                {"\xC2\xB5s", 1000},
                {"\xCE\xBCs", 1000},
                {"ms", 1000000},
                {"s", 1000000000ULL},
                {"m", 60000000000ULL},
                {"h", 3600000000000ULL},
        };
        const char *p = s;
        bool neg = false;
        uint64_t total = 0;

        if (*p == '-' || *p == '+') {
                neg = *p == '-';
                p++;
        }
        if (streq(p, "0")) {
                *ret_ns = 0;
                return 0;
        }
        if (!*p)
                return -EINVAL;
        while (*p) {
                uint64_t v = 0, frac = 0, scale = 1;
                bool digits = false, overflow = false;
                while (isdigit((unsigned char)*p)) {
                        if (v > (UINT64_MAX - 9) / 10)
                                overflow = true;
                        v = v * 10 + (uint64_t)(*p - '0');
                        digits = true;
                        p++;
                }
                if (overflow || v > (1ULL << 63))
                        return -ERANGE;
                if (*p == '.') {
                        p++;
                        while (isdigit((unsigned char)*p)) {
                                if (scale < 1000000000000000000ULL) {
                                        frac = frac * 10 + (uint64_t)(*p - '0');
                                        scale *= 10;
                                }
                                digits = true;
                                p++;
                        }
                }
                if (!digits)
                        return -EINVAL;
                const char *u = p;
                while (*p && *p != '.' && !isdigit((unsigned char)*p))
                        p++;
                if (u == p)
                        return -EINVAL; /* missing unit */
                uint64_t mult = 0;
                for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                        if (strlen(units[i].unit) == (size_t)(p - u) &&
                            memcmp(units[i].unit, u, (size_t)(p - u)) == 0)
                                mult = units[i].ns;
                if (!mult)
                        return -EINVAL;
                if (v > (1ULL << 63) / mult)
                        return -ERANGE;
                v *= mult;
                if (frac)
                        v += (uint64_t)((long double)frac * (long double)mult / (long double)scale);
                total += v;
                if (total > (1ULL << 63))
                        return -ERANGE;
        }
        if (!neg && total > (uint64_t)INT64_MAX)
                return -ERANGE;
        *ret_ns = neg ? -(int64_t)(total - 1) - 1 : (int64_t)total;
        if (neg && total == 0)
                *ret_ns = 0;
        return 0;
}

/* ---- stage and scope resolution ---------------------------------------- */

struct stage {
        char *name; /* lowercase, or NULL */
        char *base; /* expanded FROM argument */
        char *platform;
        size_t first, end;
        char **env;  /* "K=V" the stage's environment (ENV and ARG values) */
        char **args; /* declared ARG names */
        char *shell_set;
        int n_cmd, n_entrypoint, n_healthcheck;
        size_t *deps, *dep_instrs, n_deps; /* stages read, by which instruction */
};

struct checker {
        const char *file;
        const struct dockerfile *df;
        char **build_args; /* "K=V" */
        char **used_build_args;
        char **global; /* meta args and platform args: "K=V" */
        char **meta_names;
        char **warnings;
        char *const *contexts; /* --build-context "NAME=VALUE", or NULL */
        char **skip;           /* # check=skip= rules */
        bool skip_all;
        bool as_error;
        struct stage *stages;
        size_t n_stages;
        struct hsearch_data names; /* stage name -> index + 1 */
        bool names_ok;
        size_t n_warnings;
        struct box_err *err;
};

/* The stage named NAME (lowercase), by hash: a Dockerfile of many stages
 * is not a scan of them all per FROM. */
static struct stage *stage_named(struct checker *c, const char *name)
{
        ENTRY e = {.key = (char *)name}, *found = NULL;
        if (!c->names_ok || !hsearch_r(e, FIND, &found, &c->names) || !found)
                return NULL;
        return &c->stages[(uintptr_t)found->data - 1];
}

/* The stage NAME refers to from stage BEFORE on: by its AS name (the
 * first stage of that name) or, when BY_NUMBER, its index; SIZE_MAX when
 * NAME is an image. */
static size_t stage_ref(struct checker *c, const char *name, size_t before, bool by_number)
{
        _cleanup_free_ char *lower = xstrdup(name);
        for (char *p = lower; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        struct stage *s = stage_named(c, lower);
        if (s && (size_t)(s - c->stages) < before)
                return (size_t)(s - c->stages);
        size_t n = strspn(name, "0123456789");
        if (by_number && n && !name[n] && n < 10 && strtoul(name, NULL, 10) < before)
                return strtoul(name, NULL, 10);
        return SIZE_MAX;
}

/* What stage IDX reads, each with the instruction that reads it: FROM an
 * earlier stage by name (FROM 0 is an image), and COPY/ADD --from and RUN
 * --mount from= any stage, earlier or later (BuildKit resolves those among
 * all stages). */
/* Does a --build-context name the stage called NAME (lowercase)? */
static bool stage_is_context(struct checker *c, const char *name)
{
        STRV_FOREACH (x, c->contexts) {
                const char *eq = strchr(*x, '=');
                if (name && eq && (size_t)(eq - *x) == strlen(name) &&
                    strncasecmp(*x, name, strlen(name)) == 0)
                        return true;
        }
        return false;
}

static void stage_deps(struct checker *c, size_t idx)
{
        struct stage *s = &c->stages[idx];
        size_t cap = 0;
        if (stage_is_context(c, s->name))
                return;
        for (size_t i = s->first; i < s->end; i++) {
                const struct dockerfile_instr *in = &c->df->instrs[i];
                _cleanup_strv_free_ char **names = xnew0(char *, 1);
                size_t before = c->n_stages;
                if (i == s->first) {
                        before = idx;
                        names = strv_append(names, s->base);
                } else if (streq(in->name, "copy") || streq(in->name, "add")) {
                        const char *from = build_dockerfile_flag_value(in, "from");
                        if (from)
                                names = strv_append(names, from);
                } else if (streq(in->name, "run")) {
                        STRV_FOREACH (f, in->flags) {
                                const char *fr =
                                        startswith(*f, "--mount=") ? strstr(*f, "from=") : NULL;
                                if (fr && (fr[-1] == ',' || fr[-1] == '='))
                                        names = strv_push(names,
                                                          xstrndup(fr + 5, strcspn(fr + 5, ",")));
                        }
                }
                STRV_FOREACH (nm, names) {
                        size_t d = stage_ref(c, *nm, before, i != s->first);
                        if (d == SIZE_MAX)
                                continue;
                        if (s->n_deps == cap) {
                                cap = cap ? 2 * cap : 4;
                                s->deps = xreallocarray(s->deps, cap, sizeof(*s->deps));
                                s->dep_instrs =
                                        xreallocarray(s->dep_instrs, cap, sizeof(*s->dep_instrs));
                        }
                        s->deps[s->n_deps] = d;
                        s->dep_instrs[s->n_deps++] = i;
                }
        }
}

/* BuildKit's validateCircularDependency: a depth-first walk from each
 * stage in turn (an explicit stack: a Dockerfile of 16 MiB may chain some
 * 300,000 stages); a stage met again on the current path is a cycle,
 * reported for the stage the walk began at and the line of that stage's
 * instruction on the path.  The walk's post-order is *RET_ORDER: every
 * stage after all it reads, so that building in that order never
 * recurses. */
static int stage_order(struct checker *c, size_t **ret_order)
{
        struct frame {
                size_t node, i;
        };
        size_t n = c->n_stages, n_order = 0, depth = 0;
        _cleanup_free_ uint8_t *mark = xnew0(uint8_t, n + 1); /* 1 done, 2 on the path */
        _cleanup_free_ size_t *order = xnew0(size_t, n + 1);
        _cleanup_free_ struct frame *st = xnew0(struct frame, n + 1);
        for (size_t k = 0; k < n; k++)
                stage_deps(c, k);
        for (size_t k = 0; k < n; k++) {
                if (mark[k])
                        continue;
                mark[k] = 2;
                st[0] = (struct frame){.node = k};
                depth = 1;
                while (depth > 0) {
                        struct frame *f = &st[depth - 1];
                        const struct stage *s = &c->stages[f->node];
                        if (f->i == s->n_deps) {
                                mark[f->node] = 1;
                                order[n_order++] = f->node;
                                depth--;
                                continue;
                        }
                        size_t dep = s->deps[f->i++];
                        if (mark[dep] == 2) {
                                const struct stage *root = &c->stages[k];
                                const struct dockerfile_instr *in =
                                        &c->df->instrs[root->dep_instrs[st[0].i - 1]];
                                if (root->name)
                                        return build_dockerfile_fail_at(
                                                c->err, c->file, in->start_line,
                                                "circular dependency detected on stage: %s",
                                                root->name);
                                return build_dockerfile_fail_at(
                                        c->err, c->file, in->start_line,
                                        "circular dependency detected on stage: %zu", k);
                        }
                        if (mark[dep])
                                continue;
                        mark[dep] = 2;
                        st[depth++] = (struct frame){.node = dep};
                }
        }
        *ret_order = TAKE_PTR(order);
        return 0;
}

static void warn(struct checker *c, int line, const char *rule, const char *fmt, ...)
        _printf_(4, 5);
static void warn(struct checker *c, int line, const char *rule, const char *fmt, ...)
{
        char msg[900];
        va_list ap;
        if (c->skip_all || strv_contains(c->skip, rule))
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (!c->warnings || c->warnings[c->n_warnings]) /* pushed elsewhere since */
                c->n_warnings = strv_length(c->warnings);
        c->warnings = strv_push_at(c->warnings, c->n_warnings++,
                                   xasprintf("%s:%d: %s [%s]", c->file, line, msg, rule));
}

static const char *build_arg(struct checker *c, const char *key)
{
        const char *v;
        if (build_shell_env_strv_get(c->build_args, key, &v))
                return v;
        return NULL;
}

static void use_build_arg(struct checker *c, const char *key)
{
        if (build_arg(c, key) && !strv_contains(c->used_build_args, key))
                c->used_build_args = strv_append(c->used_build_args, key);
}

/* expands WORD in the stage and warns about undefined variables */
static int expand(struct checker *c, struct stage *st, const struct dockerfile_instr *in,
                  const char *word, bool words, char **ret, char ***ret_words)
{
        struct shell_env env = SHELL_ENV_STRV(st->env);
        _cleanup_strv_free_ char **unmatched = NULL;
        int r;

        if (words) {
                r = build_shell_expand_words(word, c->df->escape_token, 0, &env, ret_words, c->err);
                if (r < 0)
                        return build_dockerfile_fail_at(c->err, c->file, in->start_line, "%s",
                                                        c->err->msg);
                /* ProcessWords does not report names; look them up once more */
                r = build_shell_expand_word(word, c->df->escape_token, 0, &env, ret, NULL,
                                            &unmatched, c->err);
        } else {
                r = build_shell_expand_word(word, c->df->escape_token, 0, &env, ret, NULL,
                                            &unmatched, c->err);
        }
        if (r < 0)
                return build_dockerfile_fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
        STRV_FOREACH (u, unmatched)
                if (!strv_contains(st->args, *u))
                        warn(c, in->start_line, "UndefinedVar", "usage of undefined variable '$%s'",
                             *u);
        return 0;
}

static int expand_check(struct checker *c, struct stage *st, const struct dockerfile_instr *in,
                        const char *word)
{
        _cleanup_free_ char *out = NULL;
        return expand(c, st, in, word, false, &out, NULL);
}

static void env_set(char ***env, const char *k, const char *v)
{
        _cleanup_free_ char *e = xasprintf("%s=%s", k, v);
        *env = strv_env_set(*env, e);
}

static int do_from(struct checker *c, const struct dockerfile_instr *in, size_t index)
{
        struct shell_env genv = SHELL_ENV_STRV(c->global);
        _cleanup_free_ char *base = NULL, *platform = NULL;
        _cleanup_strv_free_ char **unmatched = NULL, **matched = NULL;
        struct stage st = {0};
        int r;

        r = build_shell_expand_word(in->args[0], c->df->escape_token, 0, &genv, &base, &matched,
                                    &unmatched, c->err);
        if (r < 0)
                return build_dockerfile_fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
        STRV_FOREACH (u, unmatched)
                if (!strv_contains(c->meta_names, *u))
                        warn(c, in->start_line, "UndefinedArgInFrom",
                             "FROM argument '%s' is not declared", *u);
        if (!*base)
                return build_dockerfile_fail_at(c->err, c->file, in->start_line,
                                                "base name '%s' should not be blank", in->args[0]);
        STRV_FOREACH (f, in->flags) {
                if (startswith(*f, "--platform=")) {
                        _cleanup_free_ char *plat = NULL;
                        _cleanup_strv_free_ char **um = NULL;
                        r = build_shell_expand_word(*f + 11, c->df->escape_token, 0, &genv, &plat,
                                                    NULL, &um, c->err);
                        if (r < 0)
                                return build_dockerfile_fail_at(c->err, c->file, in->start_line,
                                                                "%s", c->err->msg);
                        STRV_FOREACH (u, um)
                                if (!strv_contains(c->meta_names, *u))
                                        warn(c, in->start_line, "UndefinedArgInFrom",
                                             "FROM argument '%s' is not declared", *u);
                        if (!*plat)
                                return build_dockerfile_fail_at(
                                        c->err, c->file, in->start_line,
                                        "empty platform value from expression '%s'", *f + 11);
                        free(platform);
                        platform = TAKE_PTR(plat);
                }
        }
        if (in->args[1]) {
                bool lower_cmd = true, upper_cmd = true;
                for (const char *p = in->cmd; *p; p++) {
                        if (isupper((unsigned char)*p))
                                lower_cmd = false;
                        if (islower((unsigned char)*p))
                                upper_cmd = false;
                }
                bool as_lower = streq(in->args[1], "as"), as_upper = streq(in->args[1], "AS");
                if ((lower_cmd && !as_lower) || (upper_cmd && !lower_cmd && !as_upper))
                        warn(c, in->start_line, "FromAsCasing",
                             "'as' and 'FROM' keywords' casing do not match");
                for (const char *p = in->args[2]; *p; p++)
                        if (isupper((unsigned char)*p)) {
                                warn(c, in->start_line, "StageNameCasing",
                                     "stage name '%s' should be lowercase", in->args[2]);
                                break;
                        }
                st.name = xstrdup(in->args[2]);
                for (char *p = st.name; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                if (stage_named(c, st.name)) {
                        free(st.name);
                        return build_dockerfile_fail_at(c->err, c->file, in->start_line,
                                                        "duplicate stage name '%s'", in->args[2]);
                }
        }
        /* a stage built on an earlier one inherits its environment */
        _cleanup_free_ char *lbase = xstrdup(base);
        for (char *p = lbase; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        const struct stage *parent = stage_named(c, lbase);
        if (parent) {
                st.env = strv_copy(parent->env);
                st.args = strv_copy(parent->args);
        } else {
                st.env = xnew0(char *, 1);
                st.args = xnew0(char *, 1);
                if (!streq(lbase, "scratch"))
                        env_set(&st.env, "PATH", OCI_DEFAULT_PATH);
        }
        st.base = xstrdup(base);
        st.platform = TAKE_PTR(platform);
        st.first = index;
        st.end = index + 1;
        if (c->n_stages > 0)
                c->stages[c->n_stages - 1].end = index;
        c->stages = xgrowarray(c->stages, c->n_stages + 1, sizeof(st)); /* 300,000 stages */
        c->stages[c->n_stages++] = st;
        if (st.name && c->names_ok) {
                ENTRY e = {.key = st.name, .data = (void *)(uintptr_t)c->n_stages}, *added;
                hsearch_r(e, ENTER, &added, &c->names);
        }
        return 0;
}

static int do_arg(struct checker *c, struct stage *st, const struct dockerfile_instr *in)
{
        STRV_FOREACH (a, in->args) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *key = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                _cleanup_free_ char *value = NULL;
                const char *bv = build_arg(c, key);
                use_build_arg(c, key);
                if (bv) {
                        value = xstrdup(bv);
                } else if (eq) {
                        if (st) {
                                int r = expand(c, st, in, eq + 1, false, &value, NULL);
                                if (r < 0)
                                        return r;
                        } else {
                                struct shell_env genv = SHELL_ENV_STRV(c->global);
                                int r = build_shell_expand_word(eq + 1, c->df->escape_token, 0,
                                                                &genv, &value, NULL, NULL, c->err);
                                if (r < 0)
                                        return build_dockerfile_fail_at(
                                                c->err, c->file, in->start_line, "%s", c->err->msg);
                        }
                } else if (st) {
                        const char *gv;
                        if (build_shell_env_strv_get(c->global, key, &gv))
                                value = xstrdup(gv);
                }
                if (!st) {
                        if (!strv_contains(c->meta_names, key))
                                c->meta_names = strv_append(c->meta_names, key);
                        if (value)
                                env_set(&c->global, key, value);
                        continue;
                }
                if (!strv_contains(st->args, key))
                        st->args = strv_append(st->args, key);
                if (value)
                        env_set(&st->env, key, value);
        }
        return 0;
}

static int do_instr(struct checker *c, struct stage *st, const struct dockerfile_instr *in)
{
        const char *n = in->name;
        int r = 0;

        if (streq(n, "env") || streq(n, "label")) {
                if (in->legacy)
                        warn(c, in->start_line, "LegacyKeyValueFormat",
                             "'%s key=value' should be used instead of legacy '%s key value' "
                             "format",
                             in->cmd, in->cmd);
                /* every pair is expanded with the environment from before the
                 * instruction: "ENV a=1 b=$a" does not see the new a */
                _cleanup_strv_free_ char **set = xnew0(char *, 1);
                for (size_t i = 0; i < in->n_pairs; i++) {
                        _cleanup_free_ char *k = NULL, *v = NULL;
                        r = expand(c, st, in, in->pairs[i].key, false, &k, NULL);
                        if (r < 0)
                                return r;
                        r = expand(c, st, in, in->pairs[i].value, false, &v, NULL);
                        if (r < 0)
                                return r;
                        set = strv_push(set, xasprintf("%s=%s", k, v));
                }
                if (n[0] == 'e')
                        STRV_FOREACH (e, set)
                                st->env = strv_env_set(st->env, *e);
        } else if (streq(n, "arg")) {
                return do_arg(c, st, in);
        } else if (streq(n, "maintainer")) {
                warn(c, in->start_line, "MaintainerDeprecated",
                     "the MAINTAINER instruction is deprecated, use a label instead to define an "
                     "image author");
        } else if (streq(n, "add") || streq(n, "copy")) {
                STRV_FOREACH (f, in->flags) {
                        if (startswith(*f, "--chown=") || startswith(*f, "--chmod=") ||
                            startswith(*f, "--checksum=")) {
                                r = expand_check(c, st, in, strchr(*f, '=') + 1);
                                if (r < 0)
                                        return r;
                        }
                }
                STRV_FOREACH (a, in->args) {
                        if (build_dockerfile_is_heredoc_word(*a))
                                continue;
                        r = expand_check(c, st, in, *a);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < in->n_heredocs; i++) {
                        if (!in->heredocs[i].expand)
                                continue;
                        _cleanup_free_ char *out = NULL;
                        struct shell_env env = SHELL_ENV_STRV(st->env);
                        r = build_shell_expand_word(in->heredocs[i].content, '\\',
                                                    SHELL_SKIP_QUOTES, &env, &out, NULL, NULL,
                                                    c->err);
                        if (r < 0)
                                return build_dockerfile_fail_at(c->err, c->file, in->start_line,
                                                                "%s", c->err->msg);
                }
        } else if (streq(n, "workdir") || streq(n, "user") || streq(n, "volume")) {
                STRV_FOREACH (a, in->args) {
                        r = expand_check(c, st, in, *a);
                        if (r < 0)
                                return r;
                }
        } else if (streq(n, "stopsignal")) {
                _cleanup_free_ char *sig = NULL;
                r = expand(c, st, in, in->args[0], false, &sig, NULL);
                if (r < 0)
                        return r;
                if (!build_signal_valid(sig))
                        return build_dockerfile_fail_at(c->err, c->file, in->start_line,
                                                        "invalid signal '%s'", sig);
        } else if (streq(n, "expose")) {
                STRV_FOREACH (a, in->args) {
                        _cleanup_free_ char *one = NULL;
                        _cleanup_strv_free_ char **ports = NULL;
                        r = expand(c, st, in, *a, true, &one, &ports);
                        if (r < 0)
                                return r;
                        STRV_FOREACH (p, ports) {
                                bool upper = false;
                                r = build_port_check(c->file, in->start_line, *p, &upper, c->err);
                                if (r < 0)
                                        return r;
                                if (upper)
                                        warn(c, in->start_line, "ExposeProtoCasing",
                                             "defined protocol '%s' in EXPOSE instruction should "
                                             "be lowercase",
                                             *p);
                                if (strchr(*p, ':'))
                                        warn(c, in->start_line, "ExposeInvalidFormat",
                                             "EXPOSE instruction should not define an IP address "
                                             "or host-port mapping, found '%s'",
                                             *p);
                        }
                }
        } else if (streq(n, "shell")) {
                free(st->shell_set);
                st->shell_set = xstrdup("yes");
        } else if (streq(n, "cmd") || streq(n, "entrypoint") || streq(n, "healthcheck")) {
                int *count = n[0] == 'c'   ? &st->n_cmd
                             : n[0] == 'e' ? &st->n_entrypoint
                                           : &st->n_healthcheck;
                if (++*count == 2)
                        warn(c, in->start_line, "MultipleInstructionsDisallowed",
                             "multiple %s instructions should not be used in the same stage "
                             "because only the last one will be used",
                             in->cmd);
                if (!streq(n, "healthcheck") && !in->json && !st->shell_set)
                        warn(c, in->start_line, "JSONArgsRecommended",
                             "JSON arguments recommended for %s to prevent unintended behavior "
                             "related to OS signals",
                             in->cmd);
        }
        return 0;
}

static void parse_check_directive(struct checker *c)
{
        if (!c->df->check)
                return;
        _cleanup_free_ char *copy = xstrdup(c->df->check);
        char *save = NULL;
        for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
                while (isspace((unsigned char)*part))
                        part++;
                if (startswith(part, "skip=")) {
                        char *s2 = NULL;
                        for (char *r = strtok_r(part + 5, ",", &s2); r;
                             r = strtok_r(NULL, ",", &s2)) {
                                while (isspace((unsigned char)*r))
                                        r++;
                                size_t l = strlen(r);
                                while (l && isspace((unsigned char)r[l - 1]))
                                        r[--l] = '\0';
                                if (strcasecmp(r, "all") == 0)
                                        c->skip_all = true;
                                else
                                        c->skip = strv_append(c->skip, r);
                        }
                } else if (startswith(part, "error=")) {
                        c->as_error = strcasecmp(part + 6, "true") == 0;
                }
        }
}

/* One warning naming the build args no ARG consumed, sorted. */
static void warn_unused_build_args(struct checker *c)
{
        _cleanup_strv_free_ char **unused = xnew0(char *, 1);
        STRV_FOREACH (b, c->build_args) {
                _cleanup_free_ char *k = xstrndup(*b, strcspn(*b, "="));
                if (!strv_contains(c->used_build_args, k) && !build_arg_is_predefined(k) &&
                    !strv_contains(unused, k))
                        unused = strv_append(unused, k);
        }
        strv_sort(unused);
        if (unused[0]) {
                struct buf b = {0};
                STRV_FOREACH (u, unused) {
                        if (u != unused)
                                buf_puts(&b, " ");
                        buf_puts(&b, *u);
                }
                if (!c->skip_all)
                        c->warnings = strv_push(
                                c->warnings,
                                xasprintf("%s: one or more build-args [%s] were not consumed",
                                          c->file, b.data));
                buf_release(&b);
        }
}

/* TARGETSTAGE without --target, as BuildKit: the last stage's AS name,
 * "default" when it has none */
static char *last_stage_name(const struct dockerfile *df)
{
        const char *name = NULL;
        for (size_t i = 0; i < df->n_instrs; i++) {
                const struct dockerfile_instr *in = &df->instrs[i];
                if (!streq(in->name, "from"))
                        continue;
                name = strv_length(in->args) == 3 && strcasecmp(in->args[1], "as") == 0
                               ? in->args[2]
                               : NULL;
        }
        return name ? utf8_to_lower(name) : xstrdup("default");
}

int build_dockerfile_resolve_all(const char *file, const struct dockerfile *df,
                                 char *const *build_args, const char *target, char *const *contexts,
                                 struct dockerfile_resolved *ret, struct box_err *err)
{
        struct checker c = {
                .file = file ? file : "Dockerfile", .df = df, .contexts = contexts, .err = err};
        /* before the first goto: a jump past a cleanup variable's
         * initialization frees an uninitialized pointer at out: */
        _cleanup_free_ size_t *order = NULL;
        int r = 0;

        /* Docker: a later --build-arg wins; a bare name takes its value from
         * the environment, and an unset one is ignored */
        c.build_args = xnew0(char *, 1);
        STRV_FOREACH (b, build_args) {
                if (strchr(*b, '=')) {
                        c.build_args = strv_env_set(c.build_args, *b);
                } else {
                        const char *v = getenv(*b);
                        if (v) {
                                _cleanup_free_ char *e = xasprintf("%s=%s", *b, v);
                                c.build_args = strv_env_set(c.build_args, e);
                        }
                }
        }
        size_t n_from = 0;
        for (size_t i = 0; i < df->n_instrs; i++)
                n_from += streq(df->instrs[i].name, "from");
        c.names_ok = hcreate_r(2 * n_from + 16, &c.names) != 0;
        c.used_build_args = xnew0(char *, 1);
        c.global = xnew0(char *, 1);
        c.meta_names = xnew0(char *, 1);
        c.warnings = xnew0(char *, 1);
        c.skip = xnew0(char *, 1);
        parse_check_directive(&c);
        STRV_FOREACH (w, df->warnings) {
                if (!c.skip_all && !strv_contains(c.skip, "NoEmptyContinuation"))
                        c.warnings =
                                strv_push(c.warnings, xasprintf("%s [NoEmptyContinuation]", *w));
        }

        /* the platform ARGs, overridable with --build-arg: box builds for the
         * host, on the host */
        const char *arch = oci_host_arch();
        _cleanup_free_ char *platform = xasprintf("linux/%s", arch);
        _cleanup_free_ char *last_stage = last_stage_name(df);
        const char *const platform_args[][2] = {
                {"BUILDPLATFORM", platform},
                {"BUILDOS", "linux"},
                {"BUILDOSVERSION", ""},
                {"BUILDARCH", arch},
                {"BUILDVARIANT", ""},
                {"TARGETPLATFORM", platform},
                {"TARGETOS", "linux"},
                {"TARGETOSVERSION", ""},
                {"TARGETARCH", arch},
                {"TARGETVARIANT", ""},
                {"TARGETSTAGE", target ? target : last_stage},
        };
        for (size_t i = 0; i < ARRAY_SIZE(platform_args); i++) {
                const char *v = build_arg(&c, platform_args[i][0]);
                env_set(&c.global, platform_args[i][0], v ? v : platform_args[i][1]);
        }

        for (size_t i = 0; i < df->n_instrs; i++) {
                const struct dockerfile_instr *in = &df->instrs[i];
                r = build_dockerfile_instr_validate(c.file, in, err);
                if (r < 0)
                        goto out;
                if (c.n_stages == 0 && !streq(in->name, "from")) {
                        if (streq(in->name, "arg")) {
                                r = do_arg(&c, NULL, in);
                                if (r < 0)
                                        goto out;
                                continue;
                        }
                        r = build_dockerfile_fail_at(
                                err, c.file, in->start_line,
                                "no build stage in current context: '%s' before the first FROM",
                                in->cmd);
                        goto out;
                }
                if (streq(in->name, "from")) {
                        r = do_from(&c, in, i);
                        if (r < 0)
                                goto out;
                        continue;
                }
                r = do_instr(&c, &c.stages[c.n_stages - 1], in);
                if (r < 0)
                        goto out;
        }

        warn_unused_build_args(&c);
        if (c.as_error && c.warnings[0]) {
                r = box_err_set(err, EINVAL, "lint violation: %s", c.warnings[0]);
                goto out;
        }
        if (c.n_stages > 0)
                c.stages[c.n_stages - 1].end = df->n_instrs;
        r = stage_order(&c, &order);
        if (r < 0)
                goto out;
        struct dockerfile_stage *out = xnew0(struct dockerfile_stage, c.n_stages + 1);
        for (size_t i = 0; i < c.n_stages; i++) {
                out[i].name = TAKE_PTR(c.stages[i].name);
                out[i].base = TAKE_PTR(c.stages[i].base);
                out[i].platform = TAKE_PTR(c.stages[i].platform);
                out[i].first = c.stages[i].first;
                out[i].end = c.stages[i].end;
                out[i].env = TAKE_PTR(c.stages[i].env);
                out[i].args = TAKE_PTR(c.stages[i].args);
                out[i].deps = TAKE_PTR(c.stages[i].deps);
                out[i].n_deps = c.stages[i].n_deps;
        }
        *ret = (struct dockerfile_resolved){
                .stages = out,
                .n_stages = c.n_stages,
                .global = TAKE_PTR(c.global),
                .meta_args = TAKE_PTR(c.meta_names),
                .build_args = TAKE_PTR(c.build_args),
                .warnings = TAKE_PTR(c.warnings),
                .order = TAKE_PTR(order),
        };
out:
        for (size_t i = 0; i < c.n_stages; i++) {
                free(c.stages[i].name);
                free(c.stages[i].base);
                free(c.stages[i].platform);
                strv_free(c.stages[i].env);
                strv_free(c.stages[i].args);
                free(c.stages[i].shell_set);
                free(c.stages[i].deps);
                free(c.stages[i].dep_instrs);
        }
        free(c.stages);
        if (c.names_ok)
                hdestroy_r(&c.names);
        strv_free(c.build_args);
        strv_free(c.used_build_args);
        strv_free(c.global);
        strv_free(c.meta_names);
        strv_free(c.warnings);
        strv_free(c.skip);
        return r;
}

int build_dockerfile_resolve(const char *file, const struct dockerfile *df, char *const *build_args,
                             struct dockerfile_stage **ret_stages, size_t *ret_n_stages,
                             char ***ret_warnings, struct box_err *err)
{
        struct dockerfile_resolved res;
        int r = build_dockerfile_resolve_all(file, df, build_args, NULL, NULL, &res, err);
        if (r < 0)
                return r;
        if (ret_stages) {
                *ret_stages = TAKE_PTR(res.stages);
                *ret_n_stages = res.n_stages;
        }
        *ret_warnings = TAKE_PTR(res.warnings);
        build_dockerfile_resolved_release(&res);
        return 0;
}

void build_dockerfile_resolved_release(struct dockerfile_resolved *res)
{
        build_dockerfile_stages_free(res->stages, res->n_stages);
        strv_free(res->global);
        strv_free(res->meta_args);
        strv_free(res->build_args);
        strv_free(res->warnings);
        free(res->order);
        memset(res, 0, sizeof(*res));
}

void build_dockerfile_stages_free(struct dockerfile_stage *stages, size_t n)
{
        if (!stages)
                return;
        for (size_t i = 0; i < n; i++) {
                free(stages[i].name);
                free(stages[i].base);
                free(stages[i].platform);
                strv_free(stages[i].env);
                strv_free(stages[i].args);
                free(stages[i].deps);
        }
        free(stages);
}

int build_dockerfile_check(const char *file, const struct dockerfile *df, char *const *build_args,
                           char ***ret_warnings, struct box_err *err)
{
        return build_dockerfile_resolve(file, df, build_args, NULL, NULL, ret_warnings, err);
}

/* Checking one instruction alone, as BuildKit's instructions/parse.go
 * does before a build: its flags (names, kinds, repeats), the number and
 * shape of its arguments, RUN --mount specs, HEALTHCHECK durations, and the
 * STOPSIGNAL and EXPOSE syntaxes the whole-file checker (dockerfile-check.c)
 * also applies once variables are expanded. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>

#include "lib/utf8.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- flags ------------------------------------------------------------- */

enum flag_type { F_BOOL, F_STRING, F_STRINGS };

struct flag_def {
        const char *name;
        enum flag_type type;
};

struct flag_val {
        bool used;
        char *value;   /* last value (string/bool "true"/"false") */
        char **values; /* F_STRINGS */
};

static int flags_parse(const char *file, const struct dockerfile_instr *in,
                       const struct flag_def *defs, size_t n_defs, struct flag_val *vals,
                       struct box_err *err)
{
        STRV_FOREACH (a, in->flags) {
                if (streq(*a, "--"))
                        return 0;
                if (!startswith(*a, "--"))
                        return build_dockerfile_fail_at(err, file, in->start_line,
                                                        "arg should start with -- : '%s'", *a);
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *fname = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                const char *value = eq ? eq + 1 : NULL;
                size_t i;
                for (i = 0; i < n_defs; i++)
                        if (streq(defs[i].name, fname + 2))
                                break;
                if (i == n_defs)
                        return build_dockerfile_fail_at(err, file, in->start_line,
                                                        "unknown flag '%s' for %s", fname, in->cmd);
                if (vals[i].used && defs[i].type != F_STRINGS)
                        return build_dockerfile_fail_at(err, file, in->start_line,
                                                        "duplicate flag specified: '%s'", fname);
                vals[i].used = true;
                switch (defs[i].type) {
                case F_BOOL: {
                        if (value && !*value)
                                return build_dockerfile_fail_at(err, file, in->start_line,
                                                                "missing a value on flag '%s'",
                                                                fname);
                        _cleanup_free_ char *lower = xstrdup(value ? value : "");
                        for (char *c = lower; *c; c++)
                                *c = (char)tolower((unsigned char)*c);
                        if (!*lower || streq(lower, "true"))
                                vals[i].value = xstrdup("true");
                        else if (streq(lower, "false"))
                                vals[i].value = xstrdup("false");
                        else
                                return build_dockerfile_fail_at(
                                        err, file, in->start_line,
                                        "expecting boolean value for flag '%s', not: '%s'", fname,
                                        value);
                        break;
                }
                case F_STRING:
                        if (!value)
                                return build_dockerfile_fail_at(err, file, in->start_line,
                                                                "missing a value on flag '%s'",
                                                                fname);
                        free(vals[i].value);
                        vals[i].value = xstrdup(value);
                        break;
                case F_STRINGS:
                        if (!value)
                                return build_dockerfile_fail_at(err, file, in->start_line,
                                                                "missing a value on flag '%s'",
                                                                fname);
                        vals[i].values = strv_append(vals[i].values, value);
                        break;
                }
        }
        return 0;
}

static void flag_vals_release(struct flag_val *vals, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(vals[i].value);
                strv_free(vals[i].values);
        }
}

/* ---- per-instruction rules --------------------------------------------- */

bool build_dockerfile_is_heredoc_word(const char *w)
{
        const char *p = w;
        while (*p >= '0' && *p <= '9')
                p++;
        if (!startswith(p, "<<"))
                return false;
        p += 2;
        if (*p == '-')
                p++;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f')
                p++;
        return *p && !strchr(p, '<');
}

static int check_mount(const char *file, int line, const char *spec, struct box_err *err)
{
        static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
        _cleanup_free_ char *copy = xstrdup(spec);
        char *save = NULL;
        for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(f, '=');
                if (!eq) {
                        static const char *const bools[] = {"ro", "rw", "readonly", "readwrite",
                                                            "required"};
                        bool ok = false;
                        for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
                                if (strcasecmp(f, bools[i]) == 0)
                                        ok = true;
                        if (!ok)
                                return build_dockerfile_fail_at(
                                        err, file, line,
                                        "invalid field '%s' must be a key=value pair", f);
                        continue;
                }
                *eq = '\0';
                if (strcasecmp(f, "type") == 0) {
                        bool ok = false;
                        for (size_t i = 0; i < ARRAY_SIZE(types); i++)
                                if (streq(eq + 1, types[i]))
                                        ok = true;
                        if (!ok)
                                return build_dockerfile_fail_at(
                                        err, file, line, "unsupported mount type '%s'", eq + 1);
                }
        }
        return 0;
}

static int check_duration_flag(const char *file, int line, const char *name, const char *v,
                               struct box_err *err)
{
        int64_t ns;
        if (!v || !*v)
                return 0;
        if (build_parse_duration(v, &ns) < 0)
                return build_dockerfile_fail_at(err, file, line, "invalid duration '%s' for --%s",
                                                v, name);
        if (ns != 0 && ns < 1000000)
                return build_dockerfile_fail_at(err, file, line,
                                                "interval '%s' cannot be less than 1ms", name);
        return 0;
}

/* One instruction under its rules: the instruction, its flags' definitions
 * (from instr_rules) and, once check_flags() ran, their values. */
struct instr_check {
        const char *file;
        const struct dockerfile_instr *in;
        const char *cmd; /* as written: "COPY" */
        size_t argc;
        const struct flag_def *defs;
        size_t n_defs;
        struct flag_val vals[8];
        struct box_err *err;
};

static int check_flags(struct instr_check *k)
{
        return flags_parse(k->file, k->in, k->defs, k->n_defs, k->vals, k->err);
}

#define check_fail(k, ...)                                                                         \
        build_dockerfile_fail_at((k)->err, (k)->file, (k)->in->start_line, __VA_ARGS__)

/* ENV, LABEL */
static int check_pairs(struct instr_check *k)
{
        int r = check_flags(k);
        if (r < 0)
                return r;
        if (k->in->n_pairs == 0)
                return check_fail(k, "%s requires at least one argument", k->cmd);
        for (size_t i = 0; i < k->in->n_pairs; i++)
                if (!k->in->pairs[i].key[0])
                        return check_fail(k, "%s names can not be blank", k->cmd);
        return 0;
}

/* WORKDIR, USER, MAINTAINER */
static int check_one_arg(struct instr_check *k)
{
        if (k->argc != 1)
                return check_fail(k, "%s requires exactly one argument",
                                  streq(k->in->name, "maintainer") ? "MAINTAINER" : k->cmd);
        return check_flags(k);
}

/* ADD, COPY */
static int check_copy(struct instr_check *k)
{
        if (k->argc < 2)
                return check_fail(k,
                                  "%s requires at least two arguments, but only one was provided. "
                                  "destination could not be determined",
                                  k->cmd);
        int r = check_flags(k);
        if (r < 0)
                return r;
        if (build_dockerfile_is_heredoc_word(k->in->args[k->argc - 1]))
                return check_fail(k, "%s cannot accept a heredoc as a destination", k->cmd);
        return 0;
}

static int check_from(struct instr_check *k)
{
        char *const *args = k->in->args;
        if (k->argc == 3 && strcasecmp(args[1], "as") == 0) {
                _cleanup_free_ char *lower = xstrdup(args[2]);
                for (char *c = lower; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                bool ok = lower[0] >= 'a' && lower[0] <= 'z';
                for (char *c = lower; ok && *c; c++)
                        ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                             *c == '_' || *c == '.';
                if (!ok)
                        return check_fail(k,
                                          "invalid name for build stage: '%s', name can't start "
                                          "with a number or contain symbols",
                                          args[2]);
        } else if (k->argc != 1) {
                return check_fail(k, "FROM requires either one or three arguments");
        }
        return check_flags(k);
}

static int check_onbuild(struct instr_check *k)
{
        if (k->argc == 0)
                return check_fail(k, "ONBUILD requires at least one argument");
        int r = check_flags(k);
        if (r < 0)
                return r;
        _cleanup_free_ char *t = xstrdup(k->in->args[0]);
        for (char *c = t; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        if (streq(t, "ONBUILD"))
                return check_fail(k, "chaining ONBUILD via 'ONBUILD ONBUILD' isn't allowed");
        if (streq(t, "MAINTAINER") || streq(t, "FROM"))
                return check_fail(k, "%s isn't allowed as an ONBUILD trigger", t);
        return 0;
}

static int check_run(struct instr_check *k)
{
        int r = check_flags(k);
        if (r < 0)
                return r;
        const char *network = k->vals[1].value, *security = k->vals[2].value;
        STRV_FOREACH (m, k->vals[0].values) {
                r = check_mount(k->file, k->in->start_line, *m, k->err);
                if (r < 0)
                        return r;
        }
        if (network && !streq(network, "default") && !streq(network, "none") &&
            !streq(network, "host"))
                return check_fail(k, "invalid network mode '%s'", network);
        if (security && !streq(security, "sandbox") && !streq(security, "insecure"))
                return check_fail(k, "security '%s' is not valid", security);
        return 0;
}

static int check_healthcheck(struct instr_check *k)
{
        if (k->argc == 0)
                return check_fail(k, "HEALTHCHECK requires at least one argument");
        _cleanup_free_ char *typ = xstrdup(k->in->args[0]);
        for (char *c = typ; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        if (streq(typ, "NONE")) {
                if (k->argc != 1)
                        return check_fail(k, "HEALTHCHECK NONE takes no arguments");
                return 0;
        }
        int r = check_flags(k);
        if (r < 0)
                return r;
        if (!streq(typ, "CMD"))
                return check_fail(k, "unknown type '%s' in HEALTHCHECK (try CMD)", typ);
        if (k->argc < 2)
                return check_fail(k, "missing command after HEALTHCHECK CMD");
        /* the first four flags are durations, the fifth --retries */
        for (size_t i = 0; i < 4; i++) {
                r = check_duration_flag(k->file, k->in->start_line, k->defs[i].name,
                                        k->vals[i].value, k->err);
                if (r < 0)
                        return r;
        }
        const char *retries = k->vals[4].value;
        if (retries && *retries) {
                char *end;
                errno = 0;
                long long v = strtoll(retries, &end, 10);
                if (*end || errno || v < INT32_MIN || v > INT32_MAX ||
                    isspace((unsigned char)retries[0]))
                        return check_fail(k, "invalid value '%s' for --retries", retries);
                if (v < 0)
                        return check_fail(k, "--retries cannot be negative (%lld)", v);
        }
        return 0;
}

/* EXPOSE, VOLUME: at least one argument */
static int check_some_args(struct instr_check *k)
{
        if (k->argc == 0)
                return check_fail(k, "%s requires at least one argument",
                                  streq(k->in->name, "expose") ? "EXPOSE" : "VOLUME");
        int r = check_flags(k);
        if (r < 0 || !streq(k->in->name, "volume"))
                return r;
        STRV_FOREACH (v, k->in->args) {
                size_t a, b;
                utf8_trim_space(*v, strlen(*v), &a, &b);
                if (a == b)
                        return check_fail(k, "VOLUME specified can not be an empty string");
        }
        return 0;
}

/* STOPSIGNAL: flags are not looked at (as BuildKit) */
static int check_stopsignal(struct instr_check *k)
{
        if (k->argc != 1)
                return check_fail(k, "STOPSIGNAL requires exactly one argument");
        return 0;
}

/* ARG: flags are not looked at (as BuildKit) */
static int check_arg(struct instr_check *k)
{
        if (k->argc < 1)
                return check_fail(k, "ARG requires at least one argument");
        STRV_FOREACH (a, k->in->args)
                if ((*a)[0] == '=')
                        return check_fail(k, "ARG names can not be blank");
        return 0;
}

static int check_shell(struct instr_check *k)
{
        int r = check_flags(k);
        if (r < 0)
                return r;
        if (k->argc == 0)
                return check_fail(k, "SHELL requires at least one argument");
        if (!k->in->json)
                return check_fail(k, "SHELL requires the arguments to be in JSON form");
        return 0;
}

/* CMD, ENTRYPOINT */
static int check_no_flags(struct instr_check *k)
{
        return check_flags(k);
}

#define FLAGS(...)                                                                                 \
        .defs = (const struct flag_def[]){__VA_ARGS__},                                            \
        .n_defs = sizeof((const struct flag_def[]){__VA_ARGS__}) / sizeof(struct flag_def)

#define NO_FLAGS .defs = NULL, .n_defs = 0

/* Each instruction's rules and flags (BuildKit's instructions/parse.go);
 * a check reads its flags' values by their index here. */
static const struct {
        const char *name;
        int (*check)(struct instr_check *k);
        const struct flag_def *defs;
        size_t n_defs;
} instr_rules[] = {
        {"env", check_pairs, NO_FLAGS},
        {"label", check_pairs, NO_FLAGS},
        {"maintainer", check_one_arg, NO_FLAGS},
        {"add", check_copy,
         FLAGS({"chown", F_STRING}, {"chmod", F_STRING}, {"link", F_BOOL}, {"keep-git-dir", F_BOOL},
               {"checksum", F_STRING}, {"unpack", F_BOOL}, {"exclude", F_STRINGS})},
        {"copy", check_copy,
         FLAGS({"chown", F_STRING}, {"from", F_STRING}, {"chmod", F_STRING}, {"link", F_BOOL},
               {"exclude", F_STRINGS}, {"parents", F_BOOL})},
        {"from", check_from, FLAGS({"platform", F_STRING})},
        {"onbuild", check_onbuild, NO_FLAGS},
        {"workdir", check_one_arg, NO_FLAGS},
        {"user", check_one_arg, NO_FLAGS},
        {"run", check_run,
         FLAGS({"mount", F_STRINGS}, {"network", F_STRING}, {"security", F_STRING},
               {"device", F_STRINGS})},
        {"cmd", check_no_flags, NO_FLAGS},
        {"entrypoint", check_no_flags, NO_FLAGS},
        {"healthcheck", check_healthcheck,
         FLAGS({"interval", F_STRING}, {"timeout", F_STRING}, {"start-period", F_STRING},
               {"start-interval", F_STRING}, {"retries", F_STRING})},
        {"expose", check_some_args, NO_FLAGS},
        {"volume", check_some_args, NO_FLAGS},
        {"stopsignal", check_stopsignal, NO_FLAGS},
        {"arg", check_arg, NO_FLAGS},
        {"shell", check_shell, NO_FLAGS},
};

#undef FLAGS
#undef NO_FLAGS

int build_dockerfile_instr_validate(const char *file, const struct dockerfile_instr *in,
                                    struct box_err *err)
{
        struct instr_check k = {
                .file = file,
                .in = in,
                .cmd = in->cmd,
                .argc = strv_length(in->args),
                .err = err,
        };
        for (size_t i = 0; i < ARRAY_SIZE(instr_rules); i++) {
                if (!streq(in->name, instr_rules[i].name))
                        continue;
                k.defs = instr_rules[i].defs;
                k.n_defs = instr_rules[i].n_defs;
                int r = instr_rules[i].check(&k);
                flag_vals_release(k.vals, ARRAY_SIZE(k.vals));
                return r;
        }
        return build_dockerfile_fail_at(err, file, in->start_line, "unknown instruction '%s'",
                                        in->cmd);
}

/* ---- semantic checks --------------------------------------------------- */

static const struct {
        const char *name;
        int num;
} signals[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
        {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
        {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
        {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
        {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
        {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

/* moby/sys/signal.ParseSignal */
bool build_signal_valid(const char *s)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*s && !*end && !errno && !isspace((unsigned char)s[0]))
                return v != 0 && v >= INT_MIN && v <= INT_MAX;
        _cleanup_free_ char *up = xstrdup(s);
        for (char *c = up; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        const char *name = startswith(up, "SIG") ? up + 3 : up;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
                if (streq(signals[i].name, name))
                        return true;
        if (startswith(name, "RTMIN") || startswith(name, "RTMAX")) {
                const char *t = name + 5;
                if (!*t)
                        return true;
                if ((*t == '+' && name[3] == 'I') || (*t == '-' && name[3] == 'A')) {
                        long k = strtol(t + 1, &end, 10);
                        return !*end && k >= 1 && k <= 15;
                }
        }
        return false;
}

static int port_number(const char *s, int *ret)
{
        char *end;
        if (!*s)
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*end || errno || isspace((unsigned char)s[0]) || v < 0 || v > 65535)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

static int port_range(const char *s, int *lo, int *hi)
{
        if (!*s)
                return -EINVAL;
        const char *dash = strchr(s, '-');
        _cleanup_free_ char *start = dash ? xstrndup(s, (size_t)(dash - s)) : xstrdup(s);
        if (port_number(start, lo) < 0)
                return -EINVAL;
        if (!dash || streq(start, dash + 1)) {
                *hi = *lo;
                return 0;
        }
        if (port_number(dash + 1, hi) < 0 || *hi < *lo)
                return -EINVAL;
        return 0;
}

/* the EXPOSE port syntax: [[ip:]host:]port[-port][/tcp|udp|sctp] */
int build_port_check(const char *file, int line, const char *raw, bool *ret_upper,
                     struct box_err *err)
{
        _cleanup_free_ char *copy = xstrdup(raw);
        char *container = strrchr(copy, ':');
        char *host = NULL;
        if (container) {
                *container++ = '\0';
                char *h = strrchr(copy, ':');
                host = h ? h + 1 : copy;
        } else {
                container = copy;
        }
        char *slash = strchr(container, '/');
        const char *proto = "";
        if (slash) {
                *slash = '\0';
                proto = slash + 1;
        }
        if (!*container)
                return build_dockerfile_fail_at(err, file, line,
                                                "invalid port '%s': no port specified", raw);
        if (*proto && strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") &&
            strcasecmp(proto, "sctp"))
                return build_dockerfile_fail_at(
                        err, file, line, "invalid port '%s': invalid proto '%s'", raw, proto);
        for (const char *c = proto; *c; c++)
                if (isupper((unsigned char)*c))
                        *ret_upper = true;
        int lo, hi, hlo, hhi;
        if (port_range(container, &lo, &hi) < 0)
                return build_dockerfile_fail_at(err, file, line,
                                                "invalid port '%s': invalid containerPort '%s'",
                                                raw, container);
        if (host && *host) {
                if (port_range(host, &hlo, &hhi) < 0)
                        return build_dockerfile_fail_at(err, file, line,
                                                        "invalid port '%s': invalid hostPort '%s'",
                                                        raw, host);
                if (hi - lo != hhi - hlo && hi != lo)
                        return build_dockerfile_fail_at(
                                err, file, line,
                                "invalid ranges specified for container and host ports: "
                                "'%s' and '%s'",
                                container, host);
        }
        return 0;
}

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

static int fail_at(struct box_err *err, const char *file, int line, const char *fmt, ...)
        _printf_(4, 5);
static int fail_at(struct box_err *err, const char *file, int line, const char *fmt, ...)
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
                        return fail_at(err, file, in->start_line, "arg should start with -- : '%s'",
                                       *a);
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *fname = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                const char *value = eq ? eq + 1 : NULL;
                size_t i;
                for (i = 0; i < n_defs; i++)
                        if (streq(defs[i].name, fname + 2))
                                break;
                if (i == n_defs)
                        return fail_at(err, file, in->start_line, "unknown flag '%s' for %s", fname,
                                       in->cmd);
                if (vals[i].used && defs[i].type != F_STRINGS)
                        return fail_at(err, file, in->start_line, "duplicate flag specified: '%s'",
                                       fname);
                vals[i].used = true;
                switch (defs[i].type) {
                case F_BOOL: {
                        if (value && !*value)
                                return fail_at(err, file, in->start_line,
                                               "missing a value on flag '%s'", fname);
                        _cleanup_free_ char *lower = xstrdup(value ? value : "");
                        for (char *c = lower; *c; c++)
                                *c = (char)tolower((unsigned char)*c);
                        if (!*lower || streq(lower, "true"))
                                vals[i].value = xstrdup("true");
                        else if (streq(lower, "false"))
                                vals[i].value = xstrdup("false");
                        else
                                return fail_at(err, file, in->start_line,
                                               "expecting boolean value for flag '%s', not: '%s'",
                                               fname, value);
                        break;
                }
                case F_STRING:
                        if (!value)
                                return fail_at(err, file, in->start_line,
                                               "missing a value on flag '%s'", fname);
                        free(vals[i].value);
                        vals[i].value = xstrdup(value);
                        break;
                case F_STRINGS:
                        if (!value)
                                return fail_at(err, file, in->start_line,
                                               "missing a value on flag '%s'", fname);
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

static bool is_heredoc_word(const char *w)
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
                                return fail_at(err, file, line,
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
                                return fail_at(err, file, line, "unsupported mount type '%s'",
                                               eq + 1);
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
                return fail_at(err, file, line, "invalid duration '%s' for --%s", v, name);
        if (ns != 0 && ns < 1000000)
                return fail_at(err, file, line, "interval '%s' cannot be less than 1ms", name);
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

#define check_fail(k, ...) fail_at((k)->err, (k)->file, (k)->in->start_line, __VA_ARGS__)

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
        if (is_heredoc_word(k->in->args[k->argc - 1]))
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
        return fail_at(err, file, in->start_line, "unknown instruction '%s'", in->cmd);
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
                return fail_at(err, file, line, "invalid port '%s': no port specified", raw);
        if (*proto && strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") &&
            strcasecmp(proto, "sctp"))
                return fail_at(err, file, line, "invalid port '%s': invalid proto '%s'", raw,
                               proto);
        for (const char *c = proto; *c; c++)
                if (isupper((unsigned char)*c))
                        *ret_upper = true;
        int lo, hi, hlo, hhi;
        if (port_range(container, &lo, &hi) < 0)
                return fail_at(err, file, line, "invalid port '%s': invalid containerPort '%s'",
                               raw, container);
        if (host && *host) {
                if (port_range(host, &hlo, &hhi) < 0)
                        return fail_at(err, file, line, "invalid port '%s': invalid hostPort '%s'",
                                       raw, host);
                if (hi - lo != hhi - hlo && hi != lo)
                        return fail_at(err, file, line,
                                       "invalid ranges specified for container and host ports: "
                                       "'%s' and '%s'",
                                       container, host);
        }
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
};

struct checker {
        const char *file;
        const struct dockerfile *df;
        char **build_args; /* "K=V" */
        char **used_build_args;
        char **global; /* meta args and platform args: "K=V" */
        char **meta_names;
        char **warnings;
        char **skip; /* # check=skip= rules */
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
                        return fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
                /* ProcessWords does not report names; look them up once more */
                r = build_shell_expand_word(word, c->df->escape_token, 0, &env, ret, NULL,
                                            &unmatched, c->err);
        } else {
                r = build_shell_expand_word(word, c->df->escape_token, 0, &env, ret, NULL,
                                            &unmatched, c->err);
        }
        if (r < 0)
                return fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
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
                return fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
        STRV_FOREACH (u, unmatched)
                if (!strv_contains(c->meta_names, *u))
                        warn(c, in->start_line, "UndefinedArgInFrom",
                             "FROM argument '%s' is not declared", *u);
        if (!*base)
                return fail_at(c->err, c->file, in->start_line,
                               "base name '%s' should not be blank", in->args[0]);
        STRV_FOREACH (f, in->flags) {
                if (startswith(*f, "--platform=")) {
                        _cleanup_free_ char *plat = NULL;
                        _cleanup_strv_free_ char **um = NULL;
                        r = build_shell_expand_word(*f + 11, c->df->escape_token, 0, &genv, &plat,
                                                    NULL, &um, c->err);
                        if (r < 0)
                                return fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
                        STRV_FOREACH (u, um)
                                if (!strv_contains(c->meta_names, *u))
                                        warn(c, in->start_line, "UndefinedArgInFrom",
                                             "FROM argument '%s' is not declared", *u);
                        if (!*plat)
                                return fail_at(c->err, c->file, in->start_line,
                                               "empty platform value from expression '%s'",
                                               *f + 11);
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
                        return fail_at(c->err, c->file, in->start_line, "duplicate stage name '%s'",
                                       in->args[2]);
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
        c->stages = xreallocarray(c->stages, c->n_stages + 1, sizeof(st));
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
                                        return fail_at(c->err, c->file, in->start_line, "%s",
                                                       c->err->msg);
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
                        if (is_heredoc_word(*a))
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
                                return fail_at(c->err, c->file, in->start_line, "%s", c->err->msg);
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
                        return fail_at(c->err, c->file, in->start_line, "invalid signal '%s'", sig);
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

int build_dockerfile_resolve_all(const char *file, const struct dockerfile *df,
                                 char *const *build_args, const char *target,
                                 struct dockerfile_resolved *ret, struct box_err *err)
{
        struct checker c = {.file = file ? file : "Dockerfile", .df = df, .err = err};
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
                {"TARGETSTAGE", target ? target : "default"},
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
                        r = fail_at(err, c.file, in->start_line,
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
        struct dockerfile_stage *out = xnew0(struct dockerfile_stage, c.n_stages + 1);
        for (size_t i = 0; i < c.n_stages; i++) {
                out[i].name = TAKE_PTR(c.stages[i].name);
                out[i].base = TAKE_PTR(c.stages[i].base);
                out[i].platform = TAKE_PTR(c.stages[i].platform);
                out[i].first = c.stages[i].first;
                out[i].end = c.stages[i].end;
                out[i].env = TAKE_PTR(c.stages[i].env);
                out[i].args = TAKE_PTR(c.stages[i].args);
        }
        *ret = (struct dockerfile_resolved){
                .stages = out,
                .n_stages = c.n_stages,
                .global = TAKE_PTR(c.global),
                .meta_args = TAKE_PTR(c.meta_names),
                .build_args = TAKE_PTR(c.build_args),
                .warnings = TAKE_PTR(c.warnings),
        };
out:
        for (size_t i = 0; i < c.n_stages; i++) {
                free(c.stages[i].name);
                free(c.stages[i].base);
                free(c.stages[i].platform);
                strv_free(c.stages[i].env);
                strv_free(c.stages[i].args);
                free(c.stages[i].shell_set);
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
        int r = build_dockerfile_resolve_all(file, df, build_args, NULL, &res, err);
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
        }
        free(stages);
}

int build_dockerfile_check(const char *file, const struct dockerfile *df, char *const *build_args,
                           char ***ret_warnings, struct box_err *err)
{
        return build_dockerfile_resolve(file, df, build_args, NULL, NULL, ret_warnings, err);
}

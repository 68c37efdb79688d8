/* The pure parts of `box run`: argv, environment and mount flags, with
 * Docker's rules (see cli/cmd-run.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "cli/cmd-run.h"
#include "cli/options.h"
#include "lib/go-path.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/volume.h"
#include "spec/json.h"
#include "spec/oci.h"

char **cli_run_argv(const struct oci_container_config *img, bool entrypoint_set,
                    const char *entrypoint, char *const *args)
{
        char **v = xnew0(char *, 1);
        if (entrypoint_set) {
                _cleanup_jv_ struct jv *j = NULL;
                if (entrypoint[0] == '[' &&
                    jv_parse(entrypoint, strlen(entrypoint), &j, NULL) == 0 && jv_is_array(j)) {
                        _cleanup_strv_free_ char **e = jv_to_strv(j);
                        STRV_FOREACH (s, e)
                                v = strv_append(v, *s);
                } else if (*entrypoint) {
                        v = strv_append(v, entrypoint);
                }
                STRV_FOREACH (s, args)
                        v = strv_append(v, *s);
                return v;
        }
        if (img)
                STRV_FOREACH (s, img->entrypoint)
                        v = strv_append(v, *s);
        if (args && args[0]) {
                STRV_FOREACH (s, args)
                        v = strv_append(v, *s);
        } else if (img) {
                STRV_FOREACH (s, img->cmd)
                        v = strv_append(v, *s);
        }
        return v;
}

/* Docker's parseKeyValueFile: HOST_ENV takes a "K" line's value from
 * box's environment (env files), else keeps "K" as it is (label files). */
static int parse_kv_file(const char *content, const char *path, bool host_env, char ***v,
                         struct box_err *err)
{
        _cleanup_free_ char *copy = xstrdup(content);
        char *line = copy;
        int lineno = 0;
        while (line) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                lineno++;
                char *l = line;
                line = nl ? nl + 1 : NULL;
                if (lineno == 1 && strneq(l, "\xef\xbb\xbf", 3))
                        l += 3;
                while (isspace((unsigned char)*l))
                        l++;
                if (!*l || *l == '#')
                        continue;
                char *eq = strchr(l, '=');
                size_t klen = eq ? (size_t)(eq - l) : strlen(l);
                /* trailing CR of a DOS line ends the value, as in a shell */
                size_t ll = strlen(l);
                if (ll && l[ll - 1] == '\r')
                        l[--ll] = '\0';
                if (!eq)
                        klen = strlen(l);
                for (size_t i = 0; i < klen; i++)
                        if (isspace((unsigned char)l[i]))
                                return box_err_set(err, EINVAL,
                                                   "%s:%d: variable '%.*s' contains whitespaces",
                                                   path, lineno, (int)klen, l);
                if (klen == 0)
                        return box_err_set(err, EINVAL, "%s:%d: no variable name", path, lineno);
                if (eq || !host_env) {
                        *v = strv_append(*v, l);
                } else {
                        const char *val = getenv(l);
                        if (val) {
                                _cleanup_free_ char *kv = xasprintf("%s=%s", l, val);
                                *v = strv_append(*v, kv);
                        }
                }
        }
        return 0;
}

int cli_run_parse_env_file(const char *content, const char *path, char ***v, struct box_err *err)
{
        return parse_kv_file(content, path, true, v, err);
}

int cli_run_parse_label_file(const char *content, const char *path, char ***v, struct box_err *err)
{
        return parse_kv_file(content, path, false, v, err);
}

int cli_run_env(char *const *image_env, char *const *env_files, char *const *env_flags,
                const char *hostname, bool tty, char ***ret, struct box_err *err)
{
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        if (strv_env_find(image_env, "PATH", 4) < 0)
                v = strv_append(v, OCI_DEFAULT_PATH_ENV);
        _cleanup_free_ char *h = xasprintf("HOSTNAME=%s", hostname ? hostname : "");
        v = strv_append(v, h);
        if (tty)
                v = strv_append(v, "TERM=xterm");
        STRV_FOREACH (e, image_env)
                v = strv_env_set(v, *e);
        STRV_FOREACH (e, env_files)
                v = strv_env_set(v, *e);
        int r = cli_env_flags_apply(&v, env_flags, false, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int cli_env_flags_apply(char ***v, char *const *env_flags, bool keep_bare, struct box_err *err)
{
        STRV_FOREACH (e, env_flags) {
                if (**e == '=' || !**e)
                        return box_err_set(err, EINVAL, "invalid environment variable: '%s'", *e);
                if (strchr(*e, '=')) {
                        *v = strv_env_set(*v, *e);
                        continue;
                }
                const char *val = getenv(*e);
                if (val) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", *e, val);
                        *v = strv_env_set(*v, kv);
                } else if (keep_bare) {
                        /* exec's: run_exec() removes K from the container's */
                        *v = strv_env_set(*v, *e);
                } else {
                        /* Docker's daemon takes a bare K as "remove K": the
                         * image's K and its own HOSTNAME go too */
                        strv_env_unset(*v, *e);
                }
        }
        return 0;
}

void cli_mount_release(struct cli_mount *m)
{
        free(m->source);
        free(m->target);
        free(m->data);
        free(m->mode);
        strv_free(m->volume_opts);
        strv_free(m->volume_labels);
        memset(m, 0, sizeof(*m));
}

static bool valid_target(const char *t)
{
        return t && t[0] == '/';
}

/* Canonical form of an absolute path, as Go's path.Clean makes it (and
 * Docker checks): no "//", no "." or ".." components (".." at the top
 * stays at "/"), no trailing '/'. */
char *cli_run_clean_path(const char *p)
{
        if (p[0] != '/')
                return xstrdup(p); /* refused by the caller */
        return go_path_clean(p);
}
#define clean_path cli_run_clean_path

/* The target (clean) of mount M is one run/ accepts, and a volume's name
 * is one that can name a directory. */
static int check_mount(const struct cli_mount *m, const char *spec, struct box_err *err)
{
        if (m->type == RUN_MOUNT_VOLUME && m->source && !run_volume_name_valid(m->source))
                return box_err_set(err, EINVAL,
                                   "invalid volume specification: '%s': invalid volume name '%s': "
                                   "%s",
                                   spec, m->source,
                                   strlen(m->source) < 2
                                           ? "names should be at least two characters"
                                           : "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed; a host "
                                             "directory needs an absolute path");
        int r = run_mount_target_check(m->type, m->target, err);
        if (r < 0)
                return box_err_prefix(err, "invalid volume specification: '%s'", spec);
        return 0;
}

static bool is_propagation(const char *o)
{
        static const char *const props[] = {"shared", "rshared", "slave",
                                            "rslave", "private", "rprivate"};
        for (size_t i = 0; i < ARRAY_SIZE(props); i++)
                if (streq(o, props[i]))
                        return true;
        return false;
}

int cli_run_parse_volume(const char *s, struct cli_mount *ret, struct box_err *err)
{
        _cleanup_strv_free_ char **parts = xnew0(char *, 1);
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        _cleanup_(cli_mount_release) struct cli_mount m = {0};

        if (!*s)
                return box_err_set(err, EINVAL, "invalid volume specification: '%s'", s);
        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
                parts = strv_append(parts, p);
        size_t n = strv_length(parts);
        const char *src = NULL, *dst = NULL, *opts = NULL;
        if (n == 1) {
                dst = parts[0];
        } else if (n == 2) {
                if (parts[1][0] == '/') {
                        src = parts[0];
                        dst = parts[1];
                } else {
                        dst = parts[0];
                        opts = parts[1];
                }
        } else if (n == 3) {
                src = parts[0];
                dst = parts[1];
                opts = parts[2];
        } else {
                return box_err_set(err, EINVAL, "invalid volume specification: '%s'", s);
        }
        if (!valid_target(dst))
                return box_err_set(err, EINVAL,
                                   "invalid volume specification: '%s': the container path must "
                                   "be absolute",
                                   s);
        if (opts) {
                _cleanup_free_ char *o = xstrdup(opts);
                char *save2 = NULL;
                for (char *t = strtok_r(o, ",", &save2); t; t = strtok_r(NULL, ",", &save2)) {
                        if (streq(t, "ro"))
                                m.flags |= MS_RDONLY;
                        else if (streq(t, "rw"))
                                m.flags &= ~(unsigned long)MS_RDONLY;
                        else if (streq(t, "nocopy"))
                                m.nocopy = true;
                        else if (streq(t, "z") || streq(t, "Z") || is_propagation(t) ||
                                 streq(t, "consistent") || streq(t, "cached") ||
                                 streq(t, "delegated"))
                                ; /* no SELinux; mounts are always private */
                        else
                                return box_err_set(err, EINVAL,
                                                   "invalid volume specification: '%s': unknown "
                                                   "option '%s'",
                                                   s, t);
                }
        }
        m.target = clean_path(dst);
        m.mode = xstrdup(opts ? opts : "");
        if (!src) {
                m.type = RUN_MOUNT_VOLUME; /* anonymous */
        } else if (src[0] == '/') {
                m.type = RUN_MOUNT_BIND;
                m.source = clean_path(src);
        } else if (src[0] == '.' || src[0] == '~') {
                return box_err_set(err, EINVAL,
                                   "invalid volume specification: '%s': the host path must be "
                                   "absolute",
                                   s);
        } else {
                m.type = RUN_MOUNT_VOLUME;
                m.source = xstrdup(src);
        }
        int rc = check_mount(&m, s, err);
        if (rc < 0)
                return rc;
        *ret = TAKE_STRUCT(m);
        return 0;
}

/* a --mount option's value: none is true, else Go's ParseBool spellings,
 * as Docker's --mount reads readonly= and the rest */
static int parse_bool(const char *v, bool *ret)
{
        if (!v) {
                *ret = true;
                return 0;
        }
        return cli_bool_value(v, ret);
}

/* One KEY[=V] of --mount S into M (tmpfs options into DATA). */
static int mount_option(struct cli_mount *m, struct buf *data, const char *kv, const char *v,
                        const char *s, struct box_err *err)
{
        bool b;
        if (streq(kv, "type")) {
                if (v && streq(v, "bind"))
                        m->type = RUN_MOUNT_BIND;
                else if (v && streq(v, "volume"))
                        m->type = RUN_MOUNT_VOLUME;
                else if (v && streq(v, "tmpfs"))
                        m->type = RUN_MOUNT_TMPFS;
                else
                        return box_err_set(err, EINVAL, "invalid mount type '%s'", strempty(v));
        } else if (streq(kv, "source") || streq(kv, "src")) {
                free(m->source);
                m->source = xstrdup(strempty(v));
        } else if (streq(kv, "target") || streq(kv, "destination") || streq(kv, "dst")) {
                free(m->target);
                m->target = v ? clean_path(v) : NULL;
        } else if (streq(kv, "readonly") || streq(kv, "ro")) {
                if (parse_bool(v, &b) < 0)
                        return box_err_set(err, EINVAL, "invalid value for readonly: '%s'", v);
                if (b)
                        m->flags |= MS_RDONLY;
                else
                        m->flags &= ~(unsigned long)MS_RDONLY;
        } else if (streq(kv, "volume-nocopy")) {
                if (parse_bool(v, &b) < 0)
                        return box_err_set(err, EINVAL, "invalid value for volume-nocopy: '%s'", v);
                m->nocopy = b;
        } else if (streq(kv, "tmpfs-size")) {
                int64_t bytes;
                if (!v || run_parse_bytes(v, &bytes) < 0)
                        return box_err_set(err, EINVAL, "invalid tmpfs-size '%s'", strempty(v));
                buf_printf(data, "%ssize=%lld", data->len ? "," : "", (long long)bytes);
        } else if (streq(kv, "tmpfs-mode")) {
                if (!v || strspn(v, "01234567") != strlen(v) || !*v)
                        return box_err_set(err, EINVAL, "invalid tmpfs-mode '%s'", strempty(v));
                buf_printf(data, "%smode=%s", data->len ? "," : "", v);
        } else if (streq(kv, "volume-opt") || streq(kv, "volume-label")) {
                /* K=V for the volume when it is made (Docker's local driver) */
                const char *eq = v ? strchr(v, '=') : NULL;
                if (!v || !*v || eq == v || (!eq && streq(kv, "volume-opt")))
                        return box_err_set(err, EINVAL, "invalid %s '%s'", kv, strempty(v));
                char ***to = streq(kv, "volume-opt") ? &m->volume_opts : &m->volume_labels;
                _cleanup_free_ char *k = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v);
                *to = strv_append(*to, k);
                *to = strv_append(*to, eq ? eq + 1 : "");
        } else if (streq(kv, "bind-propagation") || streq(kv, "consistency") ||
                   streq(kv, "bind-nonrecursive") || streq(kv, "volume-driver")) {
                ; /* accepted; box mounts are private and recursive */
        } else {
                return box_err_set(err, EINVAL, "unexpected key '%s' in '%s'", kv, s);
        }
        return 0;
}

/* --mount is a CSV record (Docker reads it with encoding/csv): a field in
 * double quotes may hold commas ("volume-opt=o=size=10m,uid=1000"), and
 * "" in it is a quote.  Ends the field at F in place, unquoted, and sets
 * *RET_NEXT to the next field or NULL.  As encoding/csv, a quote inside
 * an unquoted field and a quoted field not closed, or closed before more
 * text, are errors (-EINVAL): box took 'src=/a"b,dst=/x' as one source. */
static int csv_field_end(char *f, char **ret_next)
{
        char *w = f, *r = f;
        *ret_next = NULL;
        if (*r != '"') {
                for (; *r && *r != ','; r++)
                        if (*r == '"')
                                return -EINVAL;
                if (*r)
                        *ret_next = r + 1;
                *r = '\0';
                return 0;
        }
        for (r++;; r++) {
                if (!*r)
                        return -EINVAL;
                if (*r != '"') {
                        *w++ = *r;
                        continue;
                }
                if (r[1] == '"') {
                        *w++ = *r++;
                        continue;
                }
                if (r[1] != ',' && r[1])
                        return -EINVAL;
                *ret_next = r[1] ? r + 2 : NULL;
                *w = '\0';
                return 0;
        }
}

int cli_run_parse_mount(const char *s, struct cli_mount *ret, struct box_err *err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        _cleanup_(cli_mount_release) struct cli_mount m = {.type = RUN_MOUNT_VOLUME};
        _cleanup_(buf_release) struct buf data = {0};
        bool have_type = false;
        int r;

        for (char *kv = copy, *next; kv; kv = next) {
                if (csv_field_end(kv, &next) < 0)
                        return box_err_set(err, EINVAL,
                                           "invalid mount '%s': a '\"' out of place (a field in "
                                           "quotes is all of it: \"k=v,w\")",
                                           s);
                if (!*kv)
                        continue;
                char *v = strchr(kv, '=');
                if (v)
                        *v++ = '\0';
                r = mount_option(&m, &data, kv, v, s, err);
                if (r < 0)
                        return r;
                have_type = have_type || streq(kv, "type");
        }
        if (!have_type)
                return box_err_set(err, EINVAL, "invalid mount '%s': type is required", s);
        if (!valid_target(m.target))
                return box_err_set(err, EINVAL,
                                   "invalid mount '%s': target must be an absolute path", s);
        if (m.type == RUN_MOUNT_BIND) {
                if (!m.source || m.source[0] != '/')
                        return box_err_set(
                                err, EINVAL,
                                "invalid mount '%s': a bind source must be an absolute path", s);
                if (access(m.source, F_OK) < 0)
                        return box_err_set(err, ENOENT,
                                           "invalid mount config for type \"bind\": bind source "
                                           "path does not exist: '%s'",
                                           m.source);
        } else if (m.type == RUN_MOUNT_TMPFS) {
                if (m.source && *m.source)
                        return box_err_set(err, EINVAL, "invalid mount '%s': tmpfs takes no source",
                                           s);
                m.flags |= MS_NOSUID | MS_NODEV;
                m.data = data.len ? buf_steal(&data) : NULL;
        } else if (m.source && !*m.source) {
                free(m.source);
                m.source = NULL;
        }
        r = check_mount(&m, s, err);
        if (r < 0)
                return r;
        *ret = TAKE_STRUCT(m);
        return 0;
}

int cli_run_parse_tmpfs(const char *s, struct cli_mount *ret, struct box_err *err)
{
        _cleanup_(cli_mount_release) struct cli_mount m = {.type = RUN_MOUNT_TMPFS};
        const char *colon = strchr(s, ':');
        _cleanup_free_ char *target = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
        if (!valid_target(target))
                return box_err_set(err, EINVAL, "invalid tmpfs '%s': the path must be absolute", s);
        m.target = clean_path(target);
        m.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        _cleanup_(buf_release) struct buf data = {0};
        if (colon) {
                _cleanup_free_ char *o = xstrdup(colon + 1);
                char *save = NULL;
                for (char *t = strtok_r(o, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        static const struct {
                                const char *name;
                                unsigned long set, clear;
                        } flags[] = {
                                {"ro", MS_RDONLY, 0},       {"rw", 0, MS_RDONLY},
                                {"noexec", MS_NOEXEC, 0},   {"exec", 0, MS_NOEXEC},
                                {"nosuid", MS_NOSUID, 0},   {"suid", 0, MS_NOSUID},
                                {"nodev", MS_NODEV, 0},     {"dev", 0, MS_NODEV},
                                {"noatime", MS_NOATIME, 0}, {"relatime", MS_RELATIME, 0},
                        };
                        size_t i;
                        for (i = 0; i < ARRAY_SIZE(flags); i++)
                                if (streq(t, flags[i].name))
                                        break;
                        if (i < ARRAY_SIZE(flags)) {
                                m.flags = (m.flags | flags[i].set) & ~flags[i].clear;
                        } else if (startswith(t, "size=") || startswith(t, "mode=") ||
                                   startswith(t, "uid=") || startswith(t, "gid=") ||
                                   startswith(t, "nr_inodes=") || startswith(t, "nr_blocks=")) {
                                buf_printf(&data, "%s%s", data.len ? "," : "", t);
                        } else {
                                return box_err_set(err, EINVAL, "invalid tmpfs option '%s'", t);
                        }
                }
        }
        m.data = data.len ? buf_steal(&data) : NULL;
        int rc = check_mount(&m, s, err);
        if (rc < 0)
                return rc;
        *ret = TAKE_STRUCT(m);
        return 0;
}

static const struct {
        const char *name;
        int resource;
} ulimit_names[] = {
        {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};

static int parse_rlim(const char *s, rlim_t *ret)
{
        if (streq(s, "-1") || streq(s, "unlimited")) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || *s == '-')
                return -EINVAL;
        *ret = (rlim_t)v;
        return 0;
}

int cli_run_parse_ulimit(const char *s, struct run_rlimit *ret, struct box_err *err)
{
        const char *eq = strchr(s, '=');
        if (!eq)
                return box_err_set(err, EINVAL, "invalid ulimit argument: '%s'", s);
        size_t i;
        for (i = 0; i < ARRAY_SIZE(ulimit_names); i++)
                if (strlen(ulimit_names[i].name) == (size_t)(eq - s) &&
                    strneq(s, ulimit_names[i].name, (size_t)(eq - s)))
                        break;
        if (i == ARRAY_SIZE(ulimit_names))
                return box_err_set(err, EINVAL, "invalid ulimit type: '%.*s'", (int)(eq - s), s);
        _cleanup_free_ char *v = xstrdup(eq + 1);
        char *colon = strchr(v, ':');
        if (colon)
                *colon++ = '\0';
        struct run_rlimit rl = {.resource = ulimit_names[i].resource};
        if (parse_rlim(v, &rl.lim.rlim_cur) < 0 ||
            (colon && parse_rlim(colon, &rl.lim.rlim_max) < 0))
                return box_err_set(err, EINVAL, "invalid ulimit value: '%s'", s);
        if (!colon)
                rl.lim.rlim_max = rl.lim.rlim_cur;
        if (rl.lim.rlim_cur > rl.lim.rlim_max)
                return box_err_set(
                        err, EINVAL,
                        "ulimit soft limit must be less than or equal to hard limit: '%s'", s);
        /* box cannot raise a hard limit (no CAP_SYS_RESOURCE on many hosts) */
        struct rlimit cur;
        if (getrlimit(rl.resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
            (rl.lim.rlim_max == RLIM_INFINITY || rl.lim.rlim_max > cur.rlim_max))
                return box_err_set(err, EPERM,
                                   "ulimit '%s': the hard limit may not exceed the current hard "
                                   "limit %llu",
                                   s, (unsigned long long)cur.rlim_max);
        *ret = rl;
        return 0;
}

int cli_security_opt_lsm(const char *s, struct box_err *err)
{
        static const struct {
                const char *key, *name, *noop;
        } lsms[] = {
                {"apparmor", "AppArmor profile", "unconfined"},
                {"label", "SELinux label", "disable"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(lsms); i++) {
                size_t n = strlen(lsms[i].key);
                if (!strneq(s, lsms[i].key, n) || (s[n] != '=' && s[n] != ':'))
                        continue;
                if (streq(s + n + 1, lsms[i].noop))
                        return 1;
                return box_err_set(err, EINVAL,
                                   "--security-opt '%s': box applies no %s (only %s=%s is "
                                   "accepted)",
                                   s, lsms[i].name, lsms[i].key, lsms[i].noop);
        }
        return 0;
}

/* How much of S prints on one line: its messages quote no more. */
static int printable_prefix(const char *s)
{
        int n = 0;
        while (s[n] && isprint((unsigned char)s[n]) && n < 256)
                n++;
        return n;
}

static int bad_word(const char *flag, const char *what, const char *v, struct box_err *err)
{
        int n = printable_prefix(v);
        return box_err_set(err, EINVAL, "invalid %s '%.*s%s': %s", flag, n, v, v[n] ? "..." : "",
                           what);
}

int cli_parse_add_host(const char *flag, const char *arg, bool gateway_ok, char **ret,
                       struct box_err *err)
{
        /* NAME:IP, or Docker's NAME=IP; an IPv6 address may be in [] */
        const char *sep = strpbrk(arg, "=:");
        if (!sep || sep == arg || !sep[1])
                return box_err_set(err, EINVAL, "invalid %s '%s': want NAME:IP", flag, arg);
        _cleanup_free_ char *name = xstrndup(arg, (size_t)(sep - arg));
        const char *ip = sep + 1;
        size_t n = strlen(ip);
        _cleanup_free_ char *bare =
                ip[0] == '[' && ip[n - 1] == ']' ? xstrndup(ip + 1, n - 2) : xstrdup(ip);
        int r = cli_check_host_name(flag, name, 255, err);
        if (r >= 0 && !(gateway_ok && streq(bare, "host-gateway")))
                r = cli_check_ip_address(flag, bare, err);
        if (r < 0)
                return r;
        *ret = xasprintf("%s:%s", name, bare);
        return 0;
}

int cli_check_host_name(const char *flag, const char *name, size_t max, struct box_err *err)
{
        size_t n = strlen(name);
        if (n == 0 || n > max)
                return box_err_set(err, EINVAL, "invalid %s: a host name has 1 to %zu characters",
                                   flag, max);
        for (const char *c = name; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
                        return bad_word(flag,
                                        "a host name has only letters, digits, '-', '_' and '.'",
                                        name, err);
        return 0;
}

int cli_check_ip_address(const char *flag, const char *ip, struct box_err *err)
{
        unsigned char a[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1)
                return 0;
        return bad_word(flag, "not an IP address", ip, err);
}

int cli_check_dns_option(const char *opt, struct box_err *err)
{
        if (!*opt)
                return box_err_set(err, EINVAL, "invalid --dns-option: empty");
        for (const char *c = opt; *c; c++)
                if (!isgraph((unsigned char)*c) || *c == '#' || *c == ';')
                        return bad_word("--dns-option", "one word of printable characters", opt,
                                        err);
        return 0;
}

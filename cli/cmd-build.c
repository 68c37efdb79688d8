/* box build: a Dockerfile and a context in, an image id out. */
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "build/build.h"
#include "build/dockerfile.h"
#include "cli/build-output.h"
#include "cli/cli.h"
#include "cli/events.h"
#include "cli/registry.h"
#include "cli/cmd-run.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "spec/json.h"
#include "spec/oci.h"
#include "store/image.h"
#include "spec/ref.h"
#include "store/store.h"

static int read_all_fd(int fd, char **ret, size_t *len, struct box_err *err)
{
        return fs_read_fd(fd, 16u << 20, ret, len, err);
}

/* `box build -` or `box build URL`: stdin (URL NULL) or the URL's body
 * holds either a tar of the context (plain or compressed) or, as with
 * Docker, a Dockerfile and no context at all.  Returns 1 with *ret_dir set
 * for a context, 0 with *ret_data for a Dockerfile. */
static int context_from_stream(struct store *st, const char *url, char **ret_dir, char **ret_data,
                               size_t *ret_len, struct box_err *err)
{
        char *dir = xasprintf("%s/tmp/context-%d", store_root(st), getpid());
        if (mkdir(dir, 0700) < 0) {
                int e = errno;
                free(dir);
                return box_err_errno(err, e, "create context directory");
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* stdin is not seekable, a download comes once: spool it first */
        _cleanup_free_ char *spool = xasprintf("%s.tar", dir);
        _cleanup_free_ char *from = url ? xasprintf("'%s'", url) : xstrdup("stdin");
        int r = 0;
        if (url) {
                _cleanup_free_ char *name = NULL;
                digest_str d;
                r = build_fetch_url(url, NULL, NULL, AT_FDCWD, spool, &name, d, err);
                if (r < 0) {
                        fs_rm_rf(dir, NULL);
                        free(dir);
                        return box_err_prefix(err, "unable to prepare context");
                }
        }
        _cleanup_close_ int sfd =
                open(spool, O_RDWR | O_CREAT | (url ? 0 : O_TRUNC) | O_CLOEXEC, 0600);
        if (!url)
                r = sfd < 0 ? -errno : fs_copy_fd(STDIN_FILENO, sfd, NULL);
        if (r >= 0 && lseek(sfd, 0, SEEK_SET) < 0)
                r = -errno;
        if (r >= 0)
                r = store_archive_extract_fd(sfd, dfd, err);
        if (r == 0) {
                /* no archive: the Dockerfile itself */
                if (lseek(sfd, 0, SEEK_SET) < 0)
                        r = box_err_errno(err, errno, "read the Dockerfile from %s", from);
                else
                        r = fs_read_fd(sfd, 16u << 20, ret_data, ret_len, err);
                unlink(spool);
                fs_rm_rf(dir, NULL);
                free(dir);
                return r < 0 ? box_err_prefix(err, "read the Dockerfile from %s", from) : 0;
        }
        unlink(spool);
        if (r < 0) {
                fs_rm_rf(dir, NULL);
                free(dir);
                return r < 0 && err->code
                               ? -err->code
                               : box_err_errno(err, -r, "read the context from %s", from);
        }
        *ret_dir = dir;
        return 1;
}

static bool http_url(const char *c)
{
        return startswith(c, "http://") || startswith(c, "https://");
}

/* Contexts box cannot fetch: a Git repository (Docker's rule: git://,
 * git@, ssh://, github.com/, or an http(s) URL whose path ends in .git). */
static bool git_context(const char *c)
{
        static const char *const prefixes[] = {"git://", "git@", "ssh://", "github.com/"};
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (startswith(c, prefixes[i]))
                        return true;
        size_t n = strcspn(c, "#?");
        return http_url(c) && n >= 4 && strneq(c + n - 4, ".git", 4);
}

/* --build-arg-file: K=V lines, '#' comments and blank lines skipped. */
static int read_build_arg_file(const char *path, char ***args, struct box_err *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fs_read_input_at(AT_FDCWD, path, false, 1u << 20, &data, &len, err);
        if (r < 0)
                return box_err_prefix(err, "--build-arg-file");
        char *save = NULL;
        for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                while (*l == ' ' || *l == '\t')
                        l++;
                size_t n = strlen(l);
                while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
                        l[--n] = '\0';
                if (!*l || *l == '#')
                        continue;
                *args = strv_append(*args, l);
        }
        return 0;
}

static bool is_file(const char *path)
{
        struct stat s;
        return stat(path, &s) == 0 && !S_ISDIR(s.st_mode);
}

/* The Dockerfile a context holds when -f is not given: Dockerfile, then
 * Containerfile (podman), then the lowercase names.  Looked up inside the
 * context (CTXFD), as Docker reads it from the context it sent: a symlink
 * there cannot name a host file, only another file of the context. */
static const char *default_dockerfile(int ctxfd)
{
        static const char *const names[] = {"Dockerfile", "Containerfile", "dockerfile",
                                            "containerfile"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct stat s;
                _cleanup_close_ int fd = openat_in_root(ctxfd, names[i], O_PATH | O_NOFOLLOW, 0);
                if (fd >= 0 && fstat(fd, &s) == 0 && !S_ISDIR(s.st_mode))
                        return names[i];
        }
        return NULL;
}

/* Does the context (CTXFD) hold NAME (a symlink counts)? */
static bool in_context(int ctxfd, const char *name)
{
        _cleanup_close_ int fd =
                ctxfd >= 0 ? openat_in_root(ctxfd, name, O_PATH | O_NOFOLLOW, 0) : -EBADF;
        return fd >= 0;
}

/* Reads the context's own Dockerfile NAME inside the context. */
static int read_context_dockerfile(int ctxfd, const char *name, char **ret, size_t *ret_len,
                                   struct box_err *err)
{
        int r = fs_read_input_at(ctxfd, name, true, 16u << 20, ret, ret_len, err);
        if (r == -ENOENT)
                return box_err_set(err, ENOENT,
                                   "'%s' is a symlink that leads nowhere inside the context", name);
        return r;
}

/* A byte count from the environment: 0 when unset (the default). */
static int env_bytes(const char *name, size_t *ret, struct box_err *err)
{
        const char *v = getenv(name);
        *ret = 0;
        if (!v || !*v)
                return 0;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || n == 0 || n > SIZE_MAX || v[0] == '-')
                return box_err_set(err, EINVAL, "%s='%s': want a positive whole number", name, v);
        *ret = (size_t)n;
        return 0;
}

struct secret_list {
        struct build_secret *v;
        size_t n;
};

static void secret_list_release(struct secret_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free((char *)l->v[i].id);
                free((char *)l->v[i].src);
                free((char *)l->v[i].data);
        }
        free(l->v);
}

/* ---- the flags ---- */

static const char usage[] = "Usage: box build [OPTIONS] PATH | URL | -\n"
                            "\n"
                            "Build an image from a Dockerfile.\n"
                            "\n"
                            "Options:\n";

/* What the flags say; build_job_prepare() turns it into a struct build_opts.
 * Strings point into argv; the rest is owned (build_flags_release). */
struct build_flags {
        const char *file;   /* the first -f */
        char **extra_files; /* later -f files, appended to it (podman) */
        char **args;        /* --build-arg and --build-arg-file's lines, in order */
        char **labels, **secrets, **tags, **contexts;
        char **hosts, **dns, **dns_search, **dns_options;
        const char *iidfile, *ignorefile, *logfile, *target, *source_date_epoch;
        const char *network;
        bool allow_network_host; /* --allow network.host */
        const char *metadata_file;
        const char *cgroup_parent;
        int64_t shm_size;
        char **no_cache_stages;         /* --no-cache-filter */
        char **cache_from;              /* --cache-from: image references */
        char **ssh;                     /* --ssh: ID[=SOCKET] */
        char **cache_ignored;           /* --cache-from/--cache-to values box cannot use (warned) */
        bool inline_cache;              /* --cache-to type=inline */
        struct cli_build_output output; /* -o */
        bool has_output;
        struct run_rlimit *rlimits;
        size_t n_rlimits;
        bool no_cache, quiet, no_new_privs, push, tls_verify, fsync;
        enum build_pull pull;
        enum build_progress progress;
};

static void build_flags_release(struct build_flags *f)
{
        strv_free(f->extra_files);
        strv_free(f->args);
        strv_free(f->labels);
        strv_free(f->secrets);
        strv_free(f->tags);
        strv_free(f->contexts);
        strv_free(f->hosts);
        strv_free(f->dns);
        strv_free(f->dns_search);
        strv_free(f->dns_options);
        cli_build_output_release(&f->output);
        strv_free(f->no_cache_stages);
        strv_free(f->cache_from);
        strv_free(f->ssh);
        strv_free(f->cache_ignored);
        free(f->rlimits);
}

/* The value of KEY= in a CSV of BuildKit's cache options, or NULL. */
static char *csv_get(const char *csv, const char *key)
{
        _cleanup_strv_free_ char **fields = strv_split(csv, ',');
        size_t kl = strlen(key);
        STRV_FOREACH (a, fields)
                if (strneq(*a, key, kl) && (*a)[kl] == '=')
                        return xstrdup(*a + kl + 1);
        return NULL;
}

/* --cache-from REF or type=registry,ref=REF: an image whose inline cache
 * (box.cache.v0) seeds box's.  BuildKit goes on without a cache source it
 * cannot read, with a warning; so does box (the other types are BuildKit's
 * cache exports, which box does not read). */
static int opt_cache_from(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (!strchr(arg, '=')) {
                f->cache_from = strv_append(f->cache_from, arg);
                return 0;
        }
        _cleanup_free_ char *type = csv_get(arg, "type"), *ref = csv_get(arg, "ref");
        if (type && streq(type, "registry") && ref && *ref)
                f->cache_from = strv_append(f->cache_from, ref);
        else
                f->cache_ignored = strv_append(f->cache_ignored, arg);
        return 0;
}

/* --cache-to type=inline: the image carries its steps' cache keys */
static int opt_cache_to(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        _cleanup_free_ char *type = csv_get(arg, "type");
        if (type && streq(type, "inline"))
                f->inline_cache = true;
        else
                f->cache_ignored = strv_append(f->cache_ignored, arg);
        return 0;
}

static int opt_shm_size(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (run_parse_bytes(arg, &f->shm_size) < 0)
                return cli_usage_error("build", "invalid --shm-size '%s'", arg);
        return 0;
}

static int opt_cgroup_parent(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (!run_cgroup_parent_valid(arg))
                return cli_usage_error("build",
                                       "--cgroup-parent must be an absolute path without '..'");
        f->cgroup_parent = arg;
        return 0;
}

static int opt_no_cache_filter(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        _cleanup_strv_free_ char **names = strv_split(arg, ',');
        STRV_FOREACH (n, names)
                if (**n)
                        f->no_cache_stages = strv_append(f->no_cache_stages, *n);
        return 0;
}

/* box attaches no attestation to an image: "off" (a false boolean) is what
 * it does, any other value of --FLAG asks for the WHAT it does not make */
static int attestation_flag(const char *flag, const char *what, const char *arg)
{
        bool on = true;
        if (arg && cli_bool_value(arg, &on) == 0 && !on)
                return 0;
        return cli_usage_error("build",
                               "--%s: box attaches no %s attestation to images; only --%s=false "
                               "is accepted",
                               flag, what, flag);
}

static int opt_provenance(void *opts, const char *arg)
{
        (void)opts;
        return attestation_flag("provenance", "provenance", arg);
}

static int opt_sbom(void *opts, const char *arg)
{
        (void)opts;
        return attestation_flag("sbom", "SBOM", arg);
}

static int opt_attest(void *opts, const char *arg)
{
        (void)opts;
        /* type=provenance,disabled=true and the like */
        if (strstr(arg, "disabled=true") && startswith(arg, "type="))
                return 0;
        return cli_usage_error("build",
                               "--attest '%s': box attaches no attestations to images; only "
                               "type=...,disabled=true is accepted",
                               arg);
}

static int opt_output(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (f->has_output)
                return cli_usage_error("build", "--output: only one output is supported");
        if (cli_build_output_parse(arg, &f->output, &err) < 0)
                return cli_usage_error("build", "%s", err.msg);
        f->has_output = true;
        /* name= tags the image in the store too; push=true pushes them */
        if (f->output.name) {
                struct image_ref ref;
                if (spec_ref_parse(f->output.name, &ref, &err) < 0)
                        return cli_usage_error("build", "--output: invalid name '%s'",
                                               f->output.name);
                f->tags = strv_push(f->tags, spec_ref_format(&ref));
                spec_ref_release(&ref);
        }
        if (f->output.push)
                f->push = true;
        return 0;
}

static int opt_build_arg_file(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (read_build_arg_file(arg, &f->args, &err) < 0)
                return cli_fail(&err);
        return 0;
}

static int opt_file(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        /* podman: more -f files are appended to the first */
        if (f->file)
                f->extra_files = strv_append(f->extra_files, arg);
        else
                f->file = arg;
        return 0;
}

static int opt_layers(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        bool layers;
        int r = cli_options_bool("build", "layers", arg, &layers);
        f->no_cache = !layers;
        return r;
}

static int opt_platform(void *opts, const char *arg)
{
        _cleanup_free_ char *host = xasprintf("linux/%s", oci_host_arch());
        if (!streq(arg, "linux") && !streq(arg, host) &&
            !startswith(arg, host) /* linux/arm64/v8 */)
                return cli_usage_error("build",
                                       "unsupported --platform '%s': box builds for '%s' only", arg,
                                       host);
        return 0;
}

static int opt_format(void *opts, const char *arg)
{
        if (strcasecmp(arg, "oci") != 0 && strcasecmp(arg, "docker") != 0)
                return cli_usage_error("build", "invalid --format '%s': want oci or docker", arg);
        return 0;
}

static int opt_add_host(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        _cleanup_free_ char *e = NULL;
        if (cli_parse_add_host("--add-host", arg, false, &e, &err) < 0)
                return cli_fail(&err);
        f->hosts = strv_append(f->hosts, e);
        return 0;
}

static int opt_dns(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (cli_check_ip_address("--dns", arg, &err) < 0)
                return cli_fail(&err);
        f->dns = strv_append(f->dns, arg);
        return 0;
}

static int opt_dns_search(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (cli_check_host_name("--dns-search", arg, 255, &err) < 0)
                return cli_fail(&err);
        f->dns_search = strv_append(f->dns_search, arg);
        return 0;
}

static int opt_dns_option(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (cli_check_dns_option(arg, &err) < 0)
                return cli_fail(&err);
        f->dns_options = strv_append(f->dns_options, arg);
        return 0;
}

static int opt_ulimit(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        f->rlimits = xreallocarray(f->rlimits, f->n_rlimits + 1, sizeof(*f->rlimits));
        if (cli_run_parse_ulimit(arg, &f->rlimits[f->n_rlimits], &err) < 0)
                return cli_fail(&err);
        f->n_rlimits++;
        return 0;
}

static int opt_security_opt(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        if (startswith(arg, "seccomp"))
                return cli_usage_error(
                        "build", "--security-opt '%s': RUN steps keep the default seccomp profile",
                        arg);
        int lsm = cli_security_opt_lsm(arg, &err);
        if (lsm < 0)
                return cli_fail(&err);
        if (lsm > 0)
                return 0;
        if (streq(arg, "no-new-privileges") || streq(arg, "no-new-privileges=true") ||
            streq(arg, "no-new-privileges:true"))
                f->no_new_privs = true;
        else if (streq(arg, "no-new-privileges=false") || streq(arg, "no-new-privileges:false"))
                f->no_new_privs = false;
        else
                return cli_usage_error("build", "invalid --security-opt '%s'", arg);
        return 0;
}

static int opt_authfile(void *opts, const char *arg)
{
        struct box_err err = {0};
        if (access(arg, R_OK) < 0) {
                box_err_set(&err, errno, "--authfile '%s': %s", arg,
                            errno == ENOENT ? "no such file or directory" : "cannot be read");
                return cli_fail(&err);
        }
        return 0;
}

static int opt_build_context(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1])
                return cli_usage_error("build", "invalid --build-context '%s': want NAME=VALUE",
                                       arg);
        if (startswith(eq + 1, "docker-image://") || strstr(eq + 1, "://")) {
                f->contexts = strv_append(f->contexts, arg);
                return 0;
        }
        /* a local directory: absolute, as the build runs elsewhere */
        _cleanup_free_ char *abs = realpath(eq + 1, NULL);
        if (!abs) {
                box_err_errno(&err, errno, "--build-context '%s'", arg);
                return cli_fail(&err);
        }
        _cleanup_free_ char *e = xasprintf("%.*s=%s", (int)(eq - arg), arg, abs);
        f->contexts = strv_append(f->contexts, e);
        return 0;
}

/* --allow ENTITLEMENT: BuildKit's, which a Dockerfile cannot grant itself */
static int opt_allow(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (streq(arg, "network.host"))
                f->allow_network_host = true;
        else if (!streq(arg, "security.insecure")) /* box grants no privilege anyway */
                return cli_usage_error(
                        "build", "invalid --allow '%s': network.host or security.insecure", arg);
        return 0;
}

static int opt_network(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (!streq(arg, "host") && !streq(arg, "none") && !streq(arg, "bridge") &&
            !streq(arg, "default"))
                return cli_usage_error("build",
                                       "invalid --network '%s': want default, host or none", arg);
        f->network = arg;
        return 0;
}

static int opt_progress(void *opts, const char *arg)
{
        static const struct {
                const char *name;
                enum build_progress progress;
        } modes[] = {
                {"plain", BUILD_PROGRESS_PLAIN},
                {"tty", BUILD_PROGRESS_TTY},
                {"auto", BUILD_PROGRESS_AUTO},
                {"quiet", BUILD_PROGRESS_QUIET},
        };
        struct build_flags *f = opts;
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
                if (streq(arg, modes[i].name)) {
                        f->progress = modes[i].progress;
                        return 0;
                }
        }
        return cli_usage_error("build", "invalid --progress '%s': want auto, plain or tty", arg);
}

static int opt_pull(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        if (!arg || streq(arg, "true") || streq(arg, "always"))
                f->pull = BUILD_PULL_ALWAYS;
        else if (streq(arg, "missing") || streq(arg, "false") || streq(arg, "ifmissing"))
                f->pull = BUILD_PULL_MISSING;
        else if (streq(arg, "newer") || streq(arg, "ifnewer"))
                f->pull = BUILD_PULL_NEWER;
        else if (streq(arg, "never"))
                f->pull = BUILD_PULL_NEVER;
        else
                return cli_usage_error(
                        "build", "invalid --pull '%s': want missing, always, newer or never", arg);
        return 0;
}

static int opt_tag(void *opts, const char *arg)
{
        struct build_flags *f = opts;
        struct box_err err = {0};
        struct image_ref ref;
        if (spec_ref_parse(arg, &ref, &err) < 0) {
                box_err_prefix(&err, "invalid tag '%s'", arg);
                return cli_fail(&err);
        }
        f->tags = strv_push(f->tags, spec_ref_format(&ref));
        spec_ref_release(&ref);
        return 0;
}

#define R CLI_ARG_REQUIRED
#define O CLI_ARG_OPTIONAL
#define T struct build_flags

/* in the order of the help; the unlisted ones are podman's and buildx's
 * spellings, accepted so that their scripts run */
static const struct cli_option build_flag_rows[] = {
        CLI_FUNC("add-host", 0, R, opt_add_host, "list",
                 "add a NAME:IP line to /etc/hosts in RUN steps"),
        CLI_FUNC("allow", 0, R, opt_allow, "list",
                 "let RUN steps ask for network.host (RUN --network=host)"),
        CLI_STRV("build-arg", 0, T, args, "list",
                 "set a build-time variable (K=V, or K to take it from the environment)"),
        CLI_FUNC("build-context", 0, R, opt_build_context, "list",
                 "NAME=DIR or NAME=docker-image://REF for FROM, COPY --from and RUN --mount from="),
        CLI_FUNC("cgroup-parent", 0, R, opt_cgroup_parent, "string",
                 "parent cgroup of RUN steps (default /box)"),
        CLI_FUNC("cache-from", 0, R, opt_cache_from, "list",
                 "images whose inline build cache to use (REF or type=registry,ref=REF)"),
        CLI_FUNC("cache-to", 0, R, opt_cache_to, "list",
                 "type=inline: put the build cache keys in the image, for --cache-from"),
        CLI_FUNC("build-arg-file", 0, R, opt_build_arg_file, "file",
                 "read build-time variables from a file of K=V lines"),
        CLI_FUNC("dns", 0, R, opt_dns, "list", "nameserver for RUN steps"),
        CLI_FUNC("dns-option", 0, R, opt_dns_option, "list", "resolver option for RUN steps"),
        CLI_FUNC("dns-search", 0, R, opt_dns_search, "list", "search domain for RUN steps"),
        CLI_FUNC("file", 'f', R, opt_file, "string",
                 "name of the Dockerfile (default 'PATH/Dockerfile' or 'PATH/Containerfile'; '-' "
                 "reads stdin)"),
        CLI_TRUE("fsync", 0, T, fsync,
                 "RUN steps' fsync and sync reach the disk (default: they return\nat once; box "
                 "syncs each layer it writes)"),
        CLI_STRING("iidfile", 0, T, iidfile, "string", "write the image id to the file"),
        CLI_STRING("ignorefile", 0, T, ignorefile, "string",
                   "ignore-pattern file to use instead of .dockerignore"),
        CLI_STRV("label", 0, T, labels, "list", "set metadata on the image (K=V)"),
        CLI_STRING("metadata-file", 0, T, metadata_file, "string",
                   "write the image's digests and names to the file (JSON, as buildx)"),
        CLI_FUNC("layers", 0, O, opt_layers, NULL, "use the build cache (default true)"),
        CLI_STRING("logfile", 0, T, logfile, "string", "write progress and RUN output to the file"),
        CLI_FUNC("network", 0, R, opt_network, "string",
                 "network for RUN steps: default (the bridge), host, none"),
        CLI_FUNC("output", 'o', R, opt_output, "string",
                 "also write the result: type=local|tar|docker|oci,dest=PATH (a bare\nPATH: "
                 "local; '-': a tar on stdout)"),
        CLI_TRUE("no-cache", 0, T, no_cache, "do not use the build cache"),
        CLI_FUNC("no-cache-filter", 0, R, opt_no_cache_filter, "list",
                 "do not use the build cache for these stages"),
        CLI_FUNC("platform", 0, R, opt_platform, "string", "target platform (only the host's)"),
        CLI_FUNC("progress", 0, R, opt_progress, "string", "auto, plain or tty (default \"auto\")"),
        CLI_FUNC("pull", 0, O, opt_pull, "string",
                 "missing, always, newer or never (default \"missing\")"),
        CLI_TRUE("push", 0, T, push, "push the image's tags to their registries"),
        CLI_TRUE("quiet", 'q', T, quiet, "print only the image id"),
        CLI_FUNC("security-opt", 0, R, opt_security_opt, "list",
                 "no-new-privileges for RUN steps; apparmor=unconfined,\nlabel=disable (box "
                 "applies no LSM)"),
        CLI_STRING("source-date-epoch", 0, T, source_date_epoch, "n",
                   "timestamps of the image and its layers (also --timestamp)"),
        CLI_FUNC("shm-size", 0, R, opt_shm_size, "bytes",
                 "size of /dev/shm in RUN steps (default 64m)"),
        CLI_STRV(
                "ssh", 0, T, ssh, "list",
                "SSH agent socket for RUN --mount=type=ssh: default (SSH_AUTH_SOCK) or\nID=SOCKET"),
        CLI_STRV("secret", 0, T, secrets, "list",
                 "secret for RUN --mount=type=secret: id=ID,src=PATH"),
        CLI_FUNC("tag", 't', R, opt_tag, "list", "name and optionally a tag (NAME[:TAG])"),
        CLI_STRING("target", 0, T, target, "string", "build the named stage and stop"),
        CLI_FUNC("ulimit", 0, R, opt_ulimit, "list",
                 "resource limit for RUN steps (nofile=1024:2048)"),
        CLI_STRING("timestamp", 0, T, source_date_epoch, NULL, NULL),
        CLI_SET("pull-never", 0, T, pull, BUILD_PULL_NEVER, NULL),
        CLI_SET("pull-always", 0, T, pull, BUILD_PULL_ALWAYS, NULL),
        CLI_FUNC("format", 0, R, opt_format, NULL, NULL),
        CLI_FUNC("authfile", 0, R, opt_authfile, NULL, NULL),
        /* intermediate containers are never kept; the image is local */
        CLI_BOOL("tls-verify", 0, T, tls_verify, "bool",
                 "verify TLS certificates of registries (default true)"),
        CLI_IGNORE("creds", R),
        CLI_IGNORE("cert-dir", R),
        CLI_IGNORE("load", CLI_ARG_NONE),
        /* buildx's attestations: box makes none, so only "off" */
        CLI_FUNC("provenance", 0, O, opt_provenance, NULL, NULL),
        CLI_FUNC("sbom", 0, O, opt_sbom, NULL, NULL),
        CLI_FUNC("attest", 0, R, opt_attest, NULL, NULL),
        CLI_IGNORE("rm", O),
        CLI_IGNORE("force-rm", O),
        /* Docker's: compress the context sent to the daemon (there is none) */
        CLI_IGNORE("compress", O),
        /* the classic builder's, which `docker build` (buildx) still accepts
         * and ignores, so that old CI scripts run: --squash, --isolation and
         * the resource limits of its intermediate containers */
        CLI_IGNORE("squash", O),
        CLI_IGNORE("isolation", R),
        {.name = "memory", .short_name = 'm', .arg = R, .kind = CLI_OPT_IGNORE},
        CLI_IGNORE("memory-swap", R),
        {.name = "cpu-shares", .short_name = 'c', .arg = R, .kind = CLI_OPT_IGNORE},
        CLI_IGNORE("cpu-period", R),
        CLI_IGNORE("cpu-quota", R),
        CLI_IGNORE("cpuset-cpus", R),
        CLI_IGNORE("cpuset-mems", R),
        CLI_CONTENT_TRUST,
        CLI_HELP("help", 'h'),
};

#undef R
#undef O
#undef T

static const struct cli_options build_options = {
        .cmd = "build",
        .usage = usage,
        .v = build_flag_rows,
        .n = ARRAY_SIZE(build_flag_rows),
        .help_width = 24,
};

/* ---- from the flags to a struct build_opts ---- */

/* One `box build`: what the flags name, read and made ready for build/. */
struct build_job {
        struct build_flags f;
        struct store *st;
        char *default_ctx; /* no PATH operand: the -f file's directory or "." */
        char *ctxdir;      /* absolute */
        bool tmp_context;  /* ctxdir came from stdin: removed at the end */
        bool stdin_dockerfile;
        char *dfpath, *data; /* the Dockerfile: its host path and contents */
        size_t len;
        struct secret_list sl;
        struct secret_list ssh; /* --ssh: id, socket */
        char **cache_from;      /* the --cache-from images the store has (or pulled) */
        FILE *logf;
        struct cli_ctx *ctx; /* its pulls' events */
};

static void build_job_release(struct build_job *j)
{
        if (j->tmp_context)
                fs_rm_rf(j->ctxdir, NULL);
        if (j->logf)
                fclose(j->logf);
        secret_list_release(&j->sl);
        secret_list_release(&j->ssh);
        free(j->default_ctx);
        free(j->ctxdir);
        free(j->dfpath);
        free(j->data);
        strv_free(j->cache_from);
        build_flags_release(&j->f);
}

/* The context PATH: the operand, or with none podman's default, the -f
 * file's directory, else the current directory.  0 or an exit status. */
static int context_arg(struct build_job *j, int n, char **operands, const char **ret)
{
        struct box_err err = {0};
        const char *file = j->f.file;
        if (n > 1)
                return cli_usage_error("build", "'box build' requires exactly 1 argument");
        if (n == 0) {
                if (file && !streq(file, "-") && is_file(file)) {
                        _cleanup_free_ char *abs = realpath(file, NULL);
                        char *slash = abs ? strrchr(abs, '/') : NULL;
                        j->default_ctx = slash ? xstrndup(abs, (size_t)(slash - abs)) : NULL;
                        if (j->default_ctx && !*j->default_ctx) {
                                free(j->default_ctx);
                                j->default_ctx = xstrdup("/");
                        }
                }
                if (!j->default_ctx)
                        j->default_ctx = xstrdup(".");
        }
        const char *context = j->default_ctx ? j->default_ctx : operands[0];
        if (git_context(context)) {
                box_err_set(&err, ENOTSUP,
                            "unable to prepare context: remote context '%s' is not supported: "
                            "clone or download it and pass the directory",
                            context);
                return cli_fail(&err);
        }
        if (file && (git_context(file) || http_url(file))) {
                box_err_set(&err, ENOTSUP,
                            "remote Dockerfile '%s' is not supported: download it and pass "
                            "'-f FILE'",
                            file);
                return cli_fail(&err);
        }
        *ret = context;
        return 0;
}

/* One --secret: id=ID and src=PATH, env=VAR or type=env; a variable's
 * value is spooled to a private file.  0 or an exit status. */
static int add_secret(struct build_job *j, const char *spec)
{
        struct box_err err = {0};
        char *id = NULL, *src = NULL, *env = NULL;
        bool type_env = false;
        _cleanup_free_ char *copy = xstrdup(spec);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (startswith(t, "id="))
                        id = t + 3;
                else if (startswith(t, "src=") || startswith(t, "source="))
                        src = strchr(t, '=') + 1;
                else if (startswith(t, "env="))
                        env = t + 4;
                else if (streq(t, "type=env"))
                        type_env = true;
                else if (!streq(t, "type=file"))
                        return cli_usage_error("build",
                                               "invalid --secret '%s': want id=ID,src=PATH", spec);
        }
        if (type_env && !env) {
                env = src;
                src = NULL;
        }
        if (id && !src && !env) /* as buildx: the variable named like the id */
                env = id;
        if (!id)
                return cli_usage_error("build", "invalid --secret '%s': want id=ID,src=PATH", spec);
        if (env) {
                /* the value stays in memory: RUN steps get a copy on the
                 * build's tmpfs, never a file on a disk */
                const char *v = getenv(env);
                if (!v) {
                        box_err_set(&err, ENOENT,
                                    "--secret '%s': environment variable '%s' is not set", spec,
                                    env);
                        return cli_fail(&err);
                }
                j->sl.v[j->sl.n].id = xstrdup(id);
                j->sl.v[j->sl.n].data = xstrdup(v);
                j->sl.v[j->sl.n].data_len = strlen(v);
                j->sl.n++;
                return 0;
        }
        /* a secret is bound into RUN steps and may be read here (env=):
         * a regular file only, never a FIFO that blocks the build */
        struct stat sst;
        if (access(src, R_OK) < 0 || stat(src, &sst) < 0) {
                box_err_errno(&err, errno, "--secret '%s': '%s'", spec, src);
                return cli_fail(&err);
        }
        if (!S_ISREG(sst.st_mode)) {
                box_err_set(&err, EINVAL, "--secret '%s': '%s' is not a regular file", spec, src);
                return cli_fail(&err);
        }
        /* pinned: the file checked here is the one RUN steps get */
        _cleanup_free_ char *real = realpath(src, NULL);
        struct stat rst;
        if (!real || stat(real, &rst) < 0 || rst.st_dev != sst.st_dev || rst.st_ino != sst.st_ino) {
                box_err_set(&err, ESTALE, "--secret '%s': '%s' changed while it was checked", spec,
                            src);
                return cli_fail(&err);
        }
        j->sl.v[j->sl.n].id = xstrdup(id);
        j->sl.v[j->sl.n].src = TAKE_PTR(real);
        j->sl.v[j->sl.n].dev = rst.st_dev;
        j->sl.v[j->sl.n].ino = rst.st_ino;
        j->sl.n++;
        return 0;
}

/* The context directory: CONTEXT, or stdin's (or an http(s) URL's) tar
 * or Dockerfile.  0 or an exit status. */
static int open_context(struct build_job *j, const char *context)
{
        struct box_err err = {0};
        if (!streq(context, "-") && !http_url(context)) {
                j->ctxdir = realpath(context, NULL);
                struct stat s;
                if (!j->ctxdir || stat(j->ctxdir, &s) < 0 || !S_ISDIR(s.st_mode)) {
                        box_err_set(
                                &err, ENOENT,
                                "unable to prepare context: path '%s' not found or not a directory",
                                context);
                        return cli_fail(&err);
                }
                return 0;
        }
        const char *url = http_url(context) ? context : NULL;
        if (!url && j->f.file && streq(j->f.file, "-"))
                return cli_usage_error("build",
                                       "'-f -' and a context on stdin cannot both read stdin");
        int r = context_from_stream(j->st, url, &j->ctxdir, &j->data, &j->len, &err);
        if (r < 0)
                return cli_fail(&err);
        j->tmp_context = r > 0;
        j->stdin_dockerfile = r == 0;
        return 0;
}

/* The Dockerfile: -f's file (a host path, or the context's), stdin's, or
 * the context's own; BO gets its name and path.  >= 0 or -errno. */
static int read_dockerfile(struct build_job *j, struct build_opts *bo, struct box_err *err)
{
        const char *file = j->f.file;
        int r = 0;
        if (file && streq(file, "-")) {
                bo->dockerfile_name = "Dockerfile";
                return read_all_fd(STDIN_FILENO, &j->data, &j->len, err);
        }
        _cleanup_close_ int ctxfd = -EBADF;
        const char *implicit = NULL;
        if (!file) {
                ctxfd = open(j->ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                implicit = ctxfd >= 0 ? default_dockerfile(ctxfd) : NULL;
                if (!implicit && in_context(ctxfd, "Dockerfile"))
                        /* a directory of that name: saying "not found"
                         * would send the user looking for a missing file */
                        r = box_err_set(err, EISDIR,
                                        "'%s/Dockerfile' is a directory, not a Dockerfile",
                                        j->ctxdir);
                else if (!implicit)
                        r = box_err_set(err, ENOENT,
                                        "no Dockerfile or Containerfile found in context "
                                        "directory '%s': no such file or directory",
                                        j->ctxdir);
                else
                        j->dfpath = xasprintf("%s/%s", j->ctxdir, implicit);
        } else if (file[0] == '/') {
                j->dfpath = xstrdup(file);
        } else {
                /* relative to the current directory (Docker), else to the
                 * context (podman): then it is the context's file */
                j->dfpath = xstrdup(file);
                ctxfd = open(j->ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if ((j->tmp_context || access(j->dfpath, F_OK) < 0) && in_context(ctxfd, file)) {
                        free(j->dfpath);
                        j->dfpath = xasprintf("%s/%s", j->ctxdir, file);
                        implicit = file;
                }
        }
        if (r >= 0) {
                /* -f names a file of the user's choosing, anywhere (as Docker
                 * allows); never one that blocks (a FIFO) */
                struct stat s;
                if (!implicit && stat(j->dfpath, &s) == 0 && S_ISDIR(s.st_mode))
                        r = box_err_set(err, EISDIR,
                                        "the Dockerfile '%s' cannot be path to a directory",
                                        file ? file : j->dfpath);
                else if ((implicit
                                  ? read_context_dockerfile(ctxfd, implicit, &j->data, &j->len, err)
                                  : fs_read_input_at(AT_FDCWD, j->dfpath, false, 16u << 20,
                                                     &j->data, &j->len, err)) < 0)
                        r = box_err_prefix(err, "read the Dockerfile");
        }
        const char *base = j->dfpath ? strrchr(j->dfpath, '/') : NULL;
        bo->dockerfile_name = file ? file : (base ? base + 1 : strempty(j->dfpath));
        bo->dockerfile_path = j->dfpath;
        return r;
}

/* Later -f files, appended to the Dockerfile (podman). */
static int append_extra_files(struct build_job *j, struct box_err *err)
{
        STRV_FOREACH (x, j->f.extra_files) {
                _cleanup_free_ char *xd = NULL;
                size_t xl = 0;
                int r;
                _cleanup_close_ int ctxfd = open(j->ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if ((*x)[0] != '/' && access(*x, F_OK) < 0 && in_context(ctxfd, *x))
                        r = read_context_dockerfile(ctxfd, *x, &xd, &xl, err);
                else
                        r = fs_read_input_at(AT_FDCWD, *x, false, 16u << 20, &xd, &xl, err);
                if (r < 0)
                        return box_err_prefix(err, "read the Dockerfile");
                char *all = xasprintf("%.*s\n%.*s", (int)j->len, strempty(j->data), (int)xl, xd);
                free(j->data);
                j->data = all;
                j->len = strlen(all);
        }
        return 0;
}

/* How the build reports progress, and where (--logfile). */
/* FROM an image the store lacks (build/stage.c decides when) */
static int pull_base(void *ud, const char *ref, struct box_err *err)
{
        struct build_job *j = ud;
        _cleanup_image_ref_ struct image_ref rf = {0};
        int r = spec_ref_parse(ref, &rf, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *full = spec_ref_format(&rf);
        struct cli_pull_flags f = {.tls_verify_off = !j->f.tls_verify, .quiet = j->f.quiet};
        struct image_loaded v = {0};
        r = cli_registry_pull(j->st, full, &f, &v, err);
        if (r >= 0)
                cli_event_images(j->ctx, "pull", &v, 1); /* Docker's, as a pull's */
        if (r >= 0)
                strv_free(v.names);
        return r;
}

/* --push: every tag to its registry, the digest on stderr */
static int push_tags(struct build_job *j, struct box_err *err)
{
        STRV_FOREACH (t, j->f.tags) {
                struct cli_progress *p = j->f.quiet ? NULL : cli_progress_new("Pushed");
                struct image_registry_push_opts o = {
                        .reg = {.tls_verify_off = !j->f.tls_verify, .push = 1},
                };
                cli_progress_attach(p, &o.progress);
                digest_str d;
                int r = image_registry_push(j->st, *t, *t, &o, d, err);
                cli_progress_free(p);
                if (r < 0)
                        return r;
                if (!j->f.quiet)
                        fprintf(stderr, "Pushed %s: %s\n", *t, d);
        }
        return 0;
}

static int open_progress(struct build_job *j, struct build_opts *bo, struct box_err *err)
{
        bo->progress = j->f.progress;
        if (j->f.quiet)
                bo->progress = BUILD_PROGRESS_QUIET;
        else if (bo->progress == BUILD_PROGRESS_AUTO)
                bo->progress = isatty(STDERR_FILENO) && !j->f.logfile ? BUILD_PROGRESS_TTY
                                                                      : BUILD_PROGRESS_PLAIN;
        bo->out = stderr;
        if (!j->f.logfile)
                return 0;
        j->logf = fopen(j->f.logfile, "we");
        if (!j->logf)
                return box_err_errno(err, errno, "--logfile '%s'", j->f.logfile);
        bo->out = j->logf;
        if (bo->progress == BUILD_PROGRESS_TTY)
                bo->progress = BUILD_PROGRESS_PLAIN;
        return 0;
}

/* The limits the environment sets: variable expansion (docs/dockerfile.md)
 * and ADD <url>. */
static int env_limits(struct build_opts *bo, struct box_err *err)
{
        size_t max_word, max_expansion, add_max, add_timeout;
        if (env_bytes("BOX_BUILD_MAX_WORD", &max_word, err) < 0 ||
            env_bytes("BOX_BUILD_MAX_EXPANSION", &max_expansion, err) < 0 ||
            env_bytes("BOX_BUILD_ADD_MAX_BYTES", &add_max, err) < 0 ||
            env_bytes("BOX_BUILD_ADD_TIMEOUT", &add_timeout, err) < 0)
                return -err->code;
        build_shell_limits_set(max_word, max_expansion);
        bo->fetch.max_bytes = add_max;
        bo->fetch.timeout_s = (int64_t)add_timeout;
        return 0;
}

/* Everything after the flags: the context, the Dockerfile, the secrets
 * and the options build/ takes.  0 or an exit status. */
/* --ssh ID[=SOCKET]: "default" is $SSH_AUTH_SOCK.  box forwards an agent's
 * socket into the step; it runs no agent of its own, so a key file (which
 * BuildKit loads into one) is refused with what to do instead. */
static int add_ssh(struct build_job *j, const char *arg, struct box_err *err)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *id = xstrndup(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        const char *path = eq ? eq + 1 : getenv("SSH_AUTH_SOCK");
        if (!*id)
                return box_err_set(err, EINVAL, "--ssh '%s': no id", arg);
        if (!path || !*path)
                return box_err_set(err, EINVAL,
                                   "--ssh '%s': no agent socket: SSH_AUTH_SOCK is not set", arg);
        if (strchr(path, ','))
                return box_err_set(err, EINVAL, "--ssh '%s': one socket per id", arg);
        struct stat st;
        if (stat(path, &st) < 0)
                return box_err_errno(err, errno, "--ssh '%s': '%s'", arg, path);
        if (!S_ISSOCK(st.st_mode))
                return box_err_set(err, EINVAL,
                                   "--ssh '%s': '%s' is not an agent socket (box runs no agent "
                                   "of its own: start ssh-agent, ssh-add the key, then --ssh "
                                   "%s=$SSH_AUTH_SOCK)",
                                   arg, path, id);
        for (size_t i = 0; i < j->ssh.n; i++)
                if (streq(j->ssh.v[i].id, id))
                        return box_err_set(err, EINVAL, "--ssh: id '%s' given twice", id);
        /* pinned: the socket checked here is the one RUN steps get */
        _cleanup_free_ char *real = realpath(path, NULL);
        struct stat rst;
        if (!real || stat(real, &rst) < 0)
                return box_err_errno(err, errno, "--ssh '%s'", arg);
        if (rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)
                return box_err_set(err, ESTALE, "--ssh '%s': '%s' changed while it was checked",
                                   arg, path);
        j->ssh.v[j->ssh.n].id = TAKE_PTR(id);
        j->ssh.v[j->ssh.n].src = TAKE_PTR(real);
        j->ssh.v[j->ssh.n].dev = rst.st_dev;
        j->ssh.v[j->ssh.n].ino = rst.st_ino;
        j->ssh.n++;
        return 0;
}

static int build_job_prepare(struct cli_ctx *ctx, struct build_job *j, int n, char **operands,
                             struct build_opts *bo)
{
        struct box_err err = {0};
        const char *context = NULL;
        int r = context_arg(j, n, operands, &context);
        if (r != 0)
                return r;
        if (j->f.source_date_epoch && setenv("SOURCE_DATE_EPOCH", j->f.source_date_epoch, 1) < 0)
                return cli_usage_error("build", "invalid --source-date-epoch");
        if (cli_store(ctx, &j->st, &err) < 0)
                return cli_fail(&err);
        j->sl.v = xnew0(struct build_secret, strv_length(j->f.secrets) + 1);
        STRV_FOREACH (s, j->f.secrets)
                if ((r = add_secret(j, *s)) != 0)
                        return r;
        r = open_context(j, context);
        if (r != 0)
                return r;
        if (j->stdin_dockerfile) {
                if (j->f.file)
                        return cli_usage_error("build",
                                               "'-f' cannot be used with a Dockerfile on stdin");
                bo->dockerfile_name = "Dockerfile";
        } else if (read_dockerfile(j, bo, &err) < 0) {
                return cli_fail(&err);
        }
        if (append_extra_files(j, &err) < 0)
                return cli_fail(&err);
        /* the host's proxy variables reach RUN as Docker's predefined proxy
         * args (never stored in the image), unless --build-arg sets them */
        static const char *const proxies[] = {
                "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
        for (size_t i = 0; i < ARRAY_SIZE(proxies); i++) {
                const char *v = getenv(proxies[i]);
                if (v && strv_env_find(j->f.args, proxies[i], strlen(proxies[i])) < 0) {
                        _cleanup_free_ char *kv = xasprintf("%s=%s", proxies[i], v);
                        j->f.args = strv_append(j->f.args, kv);
                }
        }
        /* BuildKit takes the epoch from a build arg too */
        STRV_FOREACH (a, j->f.args)
                if (startswith(*a, "SOURCE_DATE_EPOCH="))
                        setenv("SOURCE_DATE_EPOCH", *a + 18, 1);
        bo->context_dir = j->ctxdir;
        bo->dockerfile_data = j->data;
        bo->dockerfile_len = j->len;
        bo->ignorefile = j->f.ignorefile;
        bo->tags = j->f.tags;
        bo->build_args = j->f.args;
        bo->labels = j->f.labels;
        bo->target = j->f.target;
        bo->no_cache = j->f.no_cache;
        bo->no_cache_stages = j->f.no_cache_stages;
        bo->shm_size = j->f.shm_size;
        bo->cgroup_parent = j->f.cgroup_parent;
        /* BuildKit's build-arg spelling of --cache-to type=inline */
        if (strv_contains(j->f.args, "BUILDKIT_INLINE_CACHE=1"))
                j->f.inline_cache = true;
        bo->inline_cache = j->f.inline_cache;
        STRV_FOREACH (c, j->f.cache_ignored)
                fprintf(stderr,
                        "box: warning: cache option '%s' ignored: box reads a build cache from "
                        "images (--cache-from REF) and writes one into them (--cache-to "
                        "type=inline)\n",
                        *c);
        /* a cache source that cannot be had is a warning, as BuildKit's */
        j->cache_from = xnew0(char *, 1);
        STRV_FOREACH (c, j->f.cache_from) {
                struct box_err e = {0};
                _cleanup_image_handle_ struct store_image_handle h = {0};
                int found = store_image_resolve(j->st, *c, &h, &e);
                if (found < 0 && j->f.pull != BUILD_PULL_NEVER)
                        found = pull_base(j, *c, &e);
                if (found < 0)
                        fprintf(stderr, "box: warning: --cache-from '%s': %s\n", *c, e.msg);
                else
                        j->cache_from = strv_append(j->cache_from, *c);
        }
        bo->cache_from = j->cache_from;
        bo->fsync = j->f.fsync;
        bo->pull = j->f.pull;
        bo->pull_image = pull_base;
        bo->pull_userdata = j;
        bo->network = j->f.network;
        bo->allow_network_host = j->f.allow_network_host;
        bo->add_hosts = j->f.hosts;
        bo->rlimits = j->f.rlimits;
        bo->n_rlimits = j->f.n_rlimits;
        bo->no_new_privs = j->f.no_new_privs;
        bo->build_contexts = j->f.contexts;
        bo->dns = j->f.dns;
        bo->dns_search = j->f.dns_search;
        bo->dns_options = j->f.dns_options;
        bo->secrets = j->sl.v;
        bo->n_secrets = j->sl.n;
        j->ssh.v = xnew0(struct build_secret, strv_length(j->f.ssh) + 1);
        STRV_FOREACH (s, j->f.ssh)
                if (add_ssh(j, *s, &err) < 0)
                        return cli_fail(&err);
        bo->ssh = j->ssh.v;
        bo->n_ssh = j->ssh.n;
        if (open_progress(j, bo, &err) < 0 || env_limits(bo, &err) < 0)
                return cli_fail(&err);
        return 0;
}

/* --metadata-file: what buildx writes of an image build */
static int write_metadata(struct build_job *j, const char *id, struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = store_image_resolve(j->st, id, &h, err);
        if (r < 0)
                return box_err_prefix(err, "--metadata-file");
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set_str(o, "containerimage.config.digest", id);
        jv_set_str(o, "containerimage.digest", h.manifest);
        struct jv *d = jv_object();
        jv_set_str(d, "mediaType", h.m.media_type ? h.m.media_type : OCI_MEDIA_MANIFEST);
        jv_set_str(d, "digest", h.manifest);
        jv_set(d, "size", jv_int(h.manifest_size));
        jv_set(o, "containerimage.descriptor", d);
        if (j->f.tags && j->f.tags[0]) {
                _cleanup_free_ char *names = strv_join(j->f.tags, ",");
                jv_set_str(o, "image.name", names);
        }
        _cleanup_free_ char *text = jv_dump(o, JV_PRETTY);
        r = fs_output_write(j->f.metadata_file, text, strlen(text), 0644, err);
        return r < 0 ? box_err_prefix(err, "--metadata-file '%s'", j->f.metadata_file) : 0;
}

/* docker build removes an old --iidfile before it builds: a failed build
 * must not leave an earlier id there for a script to take as its own.  Only
 * a regular file goes: a FIFO, a device or a link (/dev/stdout) stays, to be
 * written through. */
static int iidfile_remove(const char *path, struct box_err *err)
{
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (unlink(path) < 0 && errno != ENOENT)
                return box_err_errno(err, errno, "remove --iidfile '%s'", path);
        return 0;
}

int cmd_build(struct cli_ctx *ctx, int argc, char **argv)
{
        _cleanup_(build_job_release) struct build_job j = {
                .ctx = ctx,
                .f =
                        {
                                .network = "default",
                                .pull = BUILD_PULL_MISSING,
                                .tls_verify = true,
                                .extra_files = xnew0(char *, 1),
                                .args = xnew0(char *, 1),
                                .labels = xnew0(char *, 1),
                                .secrets = xnew0(char *, 1),
                                .tags = xnew0(char *, 1),
                                .contexts = xnew0(char *, 1),
                                .hosts = xnew0(char *, 1),
                                .dns = xnew0(char *, 1),
                                .dns_search = xnew0(char *, 1),
                                .dns_options = xnew0(char *, 1),
                        },
        };
        struct build_opts bo = {0};
        struct box_err err = {0};

        int first = cli_options_parse(&build_options, &j.f, argc, argv);
        if (first <= 0)
                return -first;
        int r = build_job_prepare(ctx, &j, argc - first, argv + first, &bo);
        if (r != 0)
                return r;
        if (j.f.iidfile && iidfile_remove(j.f.iidfile, &err) < 0)
                return cli_fail(&err);
        digest_str id;
        r = build_image(j.st, &bo, id, &err);
        if (r < 0)
                return cli_fail(&err);
        cli_event_image(ctx, "build", id, j.f.tags[0]);
        if (j.f.push && push_tags(&j, &err) < 0)
                return cli_fail(&err);
        if (j.f.iidfile && fs_output_write(j.f.iidfile, id, strlen(id), 0644, &err) < 0)
                return cli_fail(&err);
        if (j.f.metadata_file && write_metadata(&j, id, &err) < 0)
                return cli_fail(&err);
        if (j.f.has_output) {
                /* the last thing done: a tree is written from a mount
                 * namespace of box's own */
                bool out = cli_build_output_to_stdout(&j.f.output);
                if (!out)
                        printf("%s\n", id);
                fflush(stdout);
                if (cli_build_output_write(j.st, &j.f.output, id, &err) < 0)
                        return cli_fail(&err);
                return 0;
        }
        printf("%s\n", id);
        return 0;
}

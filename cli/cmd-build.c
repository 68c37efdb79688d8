/* box build: a Dockerfile and a context in, an image id out. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "build/build.h"
#include "build/dockerfile.h"
#include "cli/cli.h"
#include "cli/cmd-run.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "spec/oci.h"
#include "spec/ref.h"
#include "store/store.h"

static const char help[] =
        "Usage: box build [OPTIONS] PATH | -\n"
        "\n"
        "Build an image from a Dockerfile.\n"
        "\n"
        "Options:\n"
        "      --add-host list         add a NAME:IP line to /etc/hosts in RUN steps\n"
        "      --build-arg list        set a build-time variable (K=V, or K to take it from "
        "the environment)\n"
        "      --build-context list    NAME=DIR or NAME=docker-image://REF for FROM, COPY "
        "--from and RUN --mount from=\n"
        "      --build-arg-file file   read build-time variables from a file of K=V lines\n"
        "      --dns list              nameserver for RUN steps\n"
        "      --dns-option list       resolver option for RUN steps\n"
        "      --dns-search list       search domain for RUN steps\n"
        "  -f, --file string           name of the Dockerfile (default 'PATH/Dockerfile' or "
        "'PATH/Containerfile'; '-' reads stdin)\n"
        "      --iidfile string        write the image id to the file\n"
        "      --ignorefile string     ignore-pattern file to use instead of .dockerignore\n"
        "      --label list            set metadata on the image (K=V)\n"
        "      --layers                use the build cache (default true)\n"
        "      --logfile string        write progress and RUN output to the file\n"
        "      --network string        network for RUN steps: host (default), none\n"
        "      --no-cache              do not use the build cache\n"
        "      --platform string       target platform (only the host's)\n"
        "      --progress string       auto, plain or tty (default \"auto\")\n"
        "      --pull string           missing, always or never (default \"missing\")\n"
        "  -q, --quiet                 print only the image id\n"
        "      --security-opt list     no-new-privileges for RUN steps; apparmor=unconfined,\n"
        "                              label=disable (box applies no LSM)\n"
        "      --source-date-epoch n   timestamps of the image and its layers (also "
        "--timestamp)\n"
        "      --secret list           secret for RUN --mount=type=secret: id=ID,src=PATH\n"
        "  -t, --tag list              name and optionally a tag (NAME[:TAG])\n"
        "      --target string         build the named stage and stop\n"
        "      --ulimit list           resource limit for RUN steps (nofile=1024:2048)\n";

static int read_all_fd(int fd, char **ret, size_t *len, struct box_err *err)
{
        return fs_read_fd(fd, 16u << 20, ret, len, err);
}

/* `box build -`: stdin holds either a tar of the context (plain or
 * compressed) or, as with Docker, a Dockerfile and no context at all.
 * Returns 1 with *ret_dir set for a context, 0 with *ret_data for a
 * Dockerfile. */
static int context_from_stdin(struct store *st, char **ret_dir, char **ret_data, size_t *ret_len,
                              struct box_err *err)
{
        char *dir = xasprintf("%s/tmp/context-%d", store_root(st), getpid());
        if (mkdir(dir, 0700) < 0) {
                int e = errno;
                free(dir);
                return box_err_errno(err, e, "create context directory");
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* stdin is not seekable: spool it first */
        _cleanup_free_ char *spool = xasprintf("%s.tar", dir);
        _cleanup_close_ int sfd = open(spool, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int r = sfd < 0 ? -errno : fs_copy_fd(STDIN_FILENO, sfd, NULL);
        if (r >= 0 && lseek(sfd, 0, SEEK_SET) < 0)
                r = -errno;
        if (r >= 0)
                r = store_archive_extract_fd(sfd, dfd, err);
        if (r == 0) {
                /* no archive: the Dockerfile itself */
                if (lseek(sfd, 0, SEEK_SET) < 0)
                        r = box_err_errno(err, errno, "read the Dockerfile from stdin");
                else
                        r = fs_read_fd(sfd, 16u << 20, ret_data, ret_len, err);
                unlink(spool);
                fs_rm_rf(dir, NULL);
                free(dir);
                return r < 0 ? box_err_prefix(err, "read the Dockerfile from stdin") : 0;
        }
        unlink(spool);
        if (r < 0) {
                fs_rm_rf(dir, NULL);
                free(dir);
                return r < 0 && err->code ? -err->code
                                          : box_err_errno(err, -r, "read the context from stdin");
        }
        *ret_dir = dir;
        return 1;
}

/* Contexts box cannot fetch: a URL or a Git repository. */
static bool remote_context(const char *c)
{
        static const char *const prefixes[] = {"http://", "https://", "git://",
                                               "git@",    "ssh://",   "github.com/"};
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (startswith(c, prefixes[i]))
                        return true;
        return false;
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

/* Removes the files named in *V (secrets spooled from the environment). */
static void unlink_all(char ***v)
{
        STRV_FOREACH (p, *v)
                unlink(*p);
        strv_free(*v);
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
        }
        free(l->v);
}

int cmd_build(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"build-arg", required_argument, NULL, 'a'},
                {"build-arg-file", required_argument, NULL, 'A'},
                {"file", required_argument, NULL, 'f'},
                {"iidfile", required_argument, NULL, 'i'},
                {"ignorefile", required_argument, NULL, 'I'},
                {"label", required_argument, NULL, 'l'},
                {"layers", optional_argument, NULL, 'L'},
                {"logfile", required_argument, NULL, 'O'},
                {"platform", required_argument, NULL, 'F'},
                {"pull-never", no_argument, NULL, 'V'},
                {"pull-always", no_argument, NULL, 'W'},
                {"format", required_argument, NULL, 'm'},
                {"add-host", required_argument, NULL, 'H'},
                {"build-context", required_argument, NULL, 'C'},
                {"ulimit", required_argument, NULL, 'U'},
                {"security-opt", required_argument, NULL, 'X'},
                {"authfile", required_argument, NULL, 'z'},
                {"tls-verify", optional_argument, NULL, 'R'},
                {"creds", required_argument, NULL, 'R'},
                {"cert-dir", required_argument, NULL, 'R'},
                {"source-date-epoch", required_argument, NULL, 'E'},
                {"timestamp", required_argument, NULL, 'E'},
                {"dns", required_argument, NULL, 'D'},
                {"dns-search", required_argument, NULL, 'S'},
                {"dns-option", required_argument, NULL, 'o'},
                {"load", no_argument, NULL, 'R'},
                {"rm", optional_argument, NULL, 'R'},
                {"force-rm", optional_argument, NULL, 'R'},
                {"network", required_argument, NULL, 'n'},
                {"no-cache", no_argument, NULL, 'N'},
                {"progress", required_argument, NULL, 'P'},
                {"pull", optional_argument, NULL, 'p'},
                {"quiet", no_argument, NULL, 'q'},
                {"secret", required_argument, NULL, 's'},
                {"tag", required_argument, NULL, 't'},
                {"target", required_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_strv_free_ char **extra_files = xnew0(char *, 1), **contexts = xnew0(char *, 1);
        _cleanup_free_ struct run_rlimit *rlimits = NULL;
        size_t n_rlimits = 0;
        _cleanup_strv_free_ char **hosts = xnew0(char *, 1), **dns = xnew0(char *, 1),
                                 **dns_search = xnew0(char *, 1), **dns_opts = xnew0(char *, 1);
        _cleanup_strv_free_ char **tags = xnew0(char *, 1), **args = xnew0(char *, 1),
                                 **labels = xnew0(char *, 1), **secret_specs = xnew0(char *, 1);
        const char *file = NULL, *iidfile = NULL, *network = "host", *target = NULL,
                   *logfile = NULL;
        struct build_opts bo = {.pull = BUILD_PULL_MISSING};
        struct box_err err = {0};
        int quiet = 0, c;

        while ((c = getopt_long(argc, argv, "f:qt:h", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        args = strv_append(args, optarg);
                        break;
                case 'A':
                        if (read_build_arg_file(optarg, &args, &err) < 0)
                                return cli_fail(&err);
                        break;
                case 'f':
                        /* podman: more -f files are appended to the first */
                        if (file)
                                extra_files = strv_append(extra_files, optarg);
                        else
                                file = optarg;
                        break;
                case 'E':
                        if (setenv("SOURCE_DATE_EPOCH", optarg, 1) < 0)
                                return cli_usage_error("build", "invalid --source-date-epoch");
                        break;
                case 'i':
                        iidfile = optarg;
                        break;
                case 'I':
                        bo.ignorefile = optarg;
                        break;
                case 'l':
                        /* as Docker: "K" alone is the label K with an empty value */
                        labels = strv_append(labels, optarg);
                        break;
                case 'L':
                        if (!optarg || streq(optarg, "true") || streq(optarg, "1"))
                                bo.no_cache = false;
                        else if (streq(optarg, "false") || streq(optarg, "0"))
                                bo.no_cache = true;
                        else
                                return cli_usage_error("build",
                                                       "invalid --layers '%s': want true or false",
                                                       optarg);
                        break;
                case 'O':
                        logfile = optarg;
                        break;
                case 'F': {
                        _cleanup_free_ char *host = xasprintf("linux/%s", oci_host_arch());
                        if (!streq(optarg, "linux") && !streq(optarg, host) &&
                            !startswith(optarg, host) /* linux/arm64/v8 */)
                                return cli_usage_error(
                                        "build",
                                        "unsupported --platform '%s': box builds for '%s' only",
                                        optarg, host);
                        break;
                }
                case 'V':
                        bo.pull = BUILD_PULL_NEVER;
                        break;
                case 'W':
                        bo.pull = BUILD_PULL_ALWAYS;
                        break;
                case 'm':
                        if (strcasecmp(optarg, "oci") != 0 && strcasecmp(optarg, "docker") != 0)
                                return cli_usage_error("build",
                                                       "invalid --format '%s': want oci or docker",
                                                       optarg);
                        break;
                case 'R':
                        break; /* intermediate containers are never kept; the image is local */
                case 'H': {
                        /* NAME:IP, or Docker's NAME=IP */
                        const char *sep = strpbrk(optarg, "=:");
                        if (!sep || sep == optarg || !sep[1])
                                return cli_usage_error(
                                        "build", "invalid --add-host '%s': want NAME:IP", optarg);
                        _cleanup_free_ char *name = xstrndup(optarg, (size_t)(sep - optarg));
                        if (cli_check_host_name("--add-host", name, 255, &err) < 0 ||
                            cli_check_ip_address("--add-host", sep + 1, &err) < 0)
                                return cli_fail(&err);
                        _cleanup_free_ char *e = xasprintf("%s:%s", name, sep + 1);
                        hosts = strv_append(hosts, e);
                        break;
                }
                case 'D':
                        if (cli_check_ip_address("--dns", optarg, &err) < 0)
                                return cli_fail(&err);
                        dns = strv_append(dns, optarg);
                        break;
                case 'U':
                        rlimits = xreallocarray(rlimits, n_rlimits + 1, sizeof(*rlimits));
                        if (cli_run_parse_ulimit(optarg, &rlimits[n_rlimits], &err) < 0)
                                return cli_fail(&err);
                        n_rlimits++;
                        break;
                case 'X':
                        if (startswith(optarg, "seccomp")) {
                                return cli_usage_error(
                                        "build",
                                        "--security-opt '%s': RUN steps keep the default seccomp "
                                        "profile",
                                        optarg);
                        }
                        int lsm = cli_security_opt_lsm(optarg, &err);
                        if (lsm < 0)
                                return cli_fail(&err);
                        if (lsm > 0)
                                break;
                        if (streq(optarg, "no-new-privileges") ||
                            streq(optarg, "no-new-privileges=true") ||
                            streq(optarg, "no-new-privileges:true"))
                                bo.no_new_privs = true;
                        else if (streq(optarg, "no-new-privileges=false") ||
                                 streq(optarg, "no-new-privileges:false"))
                                bo.no_new_privs = false;
                        else
                                return cli_usage_error("build", "invalid --security-opt '%s'",
                                                       optarg);
                        break;
                case 'z':
                        if (access(optarg, R_OK) < 0) {
                                box_err_set(&err, errno, "--authfile '%s': %s", optarg,
                                            errno == ENOENT ? "no such file or directory"
                                                            : "cannot be read");
                                return cli_fail(&err);
                        }
                        break;
                case 'C': {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg || !eq[1])
                                return cli_usage_error(
                                        "build", "invalid --build-context '%s': want NAME=VALUE",
                                        optarg);
                        if (startswith(eq + 1, "docker-image://") || strstr(eq + 1, "://")) {
                                contexts = strv_append(contexts, optarg);
                        } else {
                                /* a local directory: absolute, as the build runs elsewhere */
                                _cleanup_free_ char *abs = realpath(eq + 1, NULL);
                                if (!abs) {
                                        box_err_errno(&err, errno, "--build-context '%s'", optarg);
                                        return cli_fail(&err);
                                }
                                _cleanup_free_ char *e =
                                        xasprintf("%.*s=%s", (int)(eq - optarg), optarg, abs);
                                contexts = strv_append(contexts, e);
                        }
                        break;
                }
                case 'S':
                        if (cli_check_host_name("--dns-search", optarg, 255, &err) < 0)
                                return cli_fail(&err);
                        dns_search = strv_append(dns_search, optarg);
                        break;
                case 'o':
                        if (cli_check_dns_option(optarg, &err) < 0)
                                return cli_fail(&err);
                        dns_opts = strv_append(dns_opts, optarg);
                        break;
                case 'n':
                        network = optarg;
                        if (!streq(network, "host") && !streq(network, "none") &&
                            !streq(network, "bridge") && !streq(network, "default"))
                                return cli_usage_error("build",
                                                       "invalid --network '%s': want host or none",
                                                       optarg);
                        break;
                case 'N':
                        bo.no_cache = true;
                        break;
                case 'P':
                        if (streq(optarg, "plain"))
                                bo.progress = BUILD_PROGRESS_PLAIN;
                        else if (streq(optarg, "tty"))
                                bo.progress = BUILD_PROGRESS_TTY;
                        else if (streq(optarg, "auto"))
                                bo.progress = BUILD_PROGRESS_AUTO;
                        else if (streq(optarg, "quiet"))
                                bo.progress = BUILD_PROGRESS_QUIET;
                        else
                                return cli_usage_error(
                                        "build", "invalid --progress '%s': want auto, plain or tty",
                                        optarg);
                        break;
                case 'p':
                        if (!optarg || streq(optarg, "true") || streq(optarg, "always"))
                                bo.pull = BUILD_PULL_ALWAYS;
                        else if (streq(optarg, "missing") || streq(optarg, "false") ||
                                 streq(optarg, "newer") || streq(optarg, "ifmissing"))
                                bo.pull = BUILD_PULL_MISSING;
                        else if (streq(optarg, "never") || streq(optarg, "ifnewer"))
                                bo.pull = BUILD_PULL_NEVER;
                        else
                                return cli_usage_error(
                                        "build",
                                        "invalid --pull '%s': want missing, always or never",
                                        optarg);
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 's':
                        secret_specs = strv_append(secret_specs, optarg);
                        break;
                case 't': {
                        struct image_ref ref;
                        if (spec_ref_parse(optarg, &ref, &err) < 0) {
                                box_err_prefix(&err, "invalid tag '%s'", optarg);
                                return cli_fail(&err);
                        }
                        tags = strv_push(tags, spec_ref_format(&ref));
                        spec_ref_release(&ref);
                        break;
                }
                case 'T':
                        target = optarg;
                        break;
                case 'h':
                        return cli_help(help);
                default:
                        return cli_usage_error("build", "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("build", "'box build' requires exactly 1 argument");
        /* no context: podman's default, the -f file's directory, else the
         * current directory */
        _cleanup_free_ char *default_ctx = NULL;
        if (argc - optind == 0) {
                if (file && !streq(file, "-") && is_file(file)) {
                        _cleanup_free_ char *abs = realpath(file, NULL);
                        char *slash = abs ? strrchr(abs, '/') : NULL;
                        default_ctx = slash ? xstrndup(abs, (size_t)(slash - abs)) : NULL;
                        if (default_ctx && !*default_ctx) {
                                free(default_ctx);
                                default_ctx = xstrdup("/");
                        }
                }
                if (!default_ctx)
                        default_ctx = xstrdup(".");
        }
        const char *context = default_ctx ? default_ctx : argv[optind];
        if (remote_context(context)) {
                box_err_set(&err, ENOTSUP,
                            "unable to prepare context: remote context '%s' is not supported: "
                            "clone or download it and pass the directory",
                            context);
                return cli_fail(&err);
        }
        if (file && remote_context(file)) {
                box_err_set(&err, ENOTSUP,
                            "remote Dockerfile '%s' is not supported: download it and pass "
                            "'-f FILE'",
                            file);
                return cli_fail(&err);
        }

        struct store *st;
        int r = cli_store(ctx, &st, &err);
        if (r < 0)
                return cli_fail(&err);

        _cleanup_(secret_list_release) struct secret_list sl = {
                xnew0(struct build_secret, strv_length(secret_specs) + 1), 0};
        _cleanup_(unlink_all) char **secret_tmps = xnew0(char *, 1);
        STRV_FOREACH (s, secret_specs) {
                char *id = NULL, *src = NULL, *env = NULL;
                bool type_env = false;
                _cleanup_strv_free_ char **parts = xnew0(char *, 1);
                char *copy = xstrdup(*s), *save = NULL;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        if (startswith(t, "id="))
                                id = t + 3;
                        else if (startswith(t, "src=") || startswith(t, "source="))
                                src = strchr(t, '=') + 1;
                        else if (startswith(t, "env="))
                                env = t + 4;
                        else if (streq(t, "type=env"))
                                type_env = true;
                        else if (!streq(t, "type=file")) {
                                free(copy);
                                return cli_usage_error(
                                        "build", "invalid --secret '%s': want id=ID,src=PATH", *s);
                        }
                }
                if (type_env && !env) {
                        env = src;
                        src = NULL;
                }
                if (id && !src && !env) /* as buildx: the variable named like the id */
                        env = id;
                if (!id) {
                        free(copy);
                        return cli_usage_error("build",
                                               "invalid --secret '%s': want id=ID,src=PATH", *s);
                }
                if (env) {
                        /* the value goes through a private file, removed after the build */
                        const char *v = getenv(env);
                        if (!v) {
                                box_err_set(&err, ENOENT,
                                            "--secret '%s': environment variable '%s' is not set",
                                            *s, env);
                                free(copy);
                                return cli_fail(&err);
                        }
                        char *tmp =
                                xasprintf("%s/tmp/secret-%d-%zu", store_root(st), getpid(), sl.n);
                        secret_tmps = strv_push(secret_tmps, tmp);
                        if (fs_write_atomic_at(AT_FDCWD, tmp, v, strlen(v), 0600, &err) < 0) {
                                free(copy);
                                return cli_fail(&err);
                        }
                        src = tmp;
                }
                /* a secret is bound into RUN steps and may be read here (env=):
                 * a regular file only, never a FIFO that blocks the build */
                struct stat sst;
                if (access(src, R_OK) < 0 || stat(src, &sst) < 0) {
                        free(copy);
                        box_err_errno(&err, errno, "--secret '%s': '%s'", *s, src);
                        return cli_fail(&err);
                }
                if (!S_ISREG(sst.st_mode)) {
                        box_err_set(&err, EINVAL, "--secret '%s': '%s' is not a regular file", *s,
                                    src);
                        free(copy);
                        return cli_fail(&err);
                }
                sl.v[sl.n].id = xstrdup(id);
                sl.v[sl.n].src = realpath(src, NULL);
                sl.n++;
                free(copy);
        }

        _cleanup_free_ char *ctxdir = NULL, *dfpath = NULL, *data = NULL;
        size_t len = 0;
        bool tmp_context = false, stdin_dockerfile = false;
        if (streq(context, "-")) {
                if (file && streq(file, "-"))
                        return cli_usage_error(
                                "build", "'-f -' and a context on stdin cannot both read stdin");
                r = context_from_stdin(st, &ctxdir, &data, &len, &err);
                if (r < 0)
                        return cli_fail(&err);
                tmp_context = r > 0;
                stdin_dockerfile = r == 0;
        } else {
                ctxdir = realpath(context, NULL);
                struct stat s;
                if (!ctxdir || stat(ctxdir, &s) < 0 || !S_ISDIR(s.st_mode)) {
                        box_err_set(
                                &err, ENOENT,
                                "unable to prepare context: path '%s' not found or not a directory",
                                context);
                        return cli_fail(&err);
                }
        }
        if (stdin_dockerfile) {
                if (file)
                        return cli_usage_error("build",
                                               "'-f' cannot be used with a Dockerfile on stdin");
                bo.dockerfile_name = "Dockerfile";
        } else if (file && streq(file, "-")) {
                r = read_all_fd(STDIN_FILENO, &data, &len, &err);
                bo.dockerfile_name = "Dockerfile";
        } else {
                _cleanup_close_ int ctxfd = -EBADF;
                const char *implicit = NULL;
                if (!file) {
                        ctxfd = open(ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        implicit = ctxfd >= 0 ? default_dockerfile(ctxfd) : NULL;
                        if (!implicit)
                                r = box_err_set(&err, ENOENT,
                                                "no Dockerfile or Containerfile found in context "
                                                "directory '%s': no such file or directory",
                                                ctxdir);
                        else
                                dfpath = xasprintf("%s/%s", ctxdir, implicit);
                } else if (file[0] == '/') {
                        dfpath = xstrdup(file);
                } else {
                        /* relative to the current directory (Docker), else to the
                         * context (podman): then it is the context's file */
                        dfpath = xstrdup(file);
                        ctxfd = open(ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if ((tmp_context || access(dfpath, F_OK) < 0) && in_context(ctxfd, file)) {
                                free(dfpath);
                                dfpath = xasprintf("%s/%s", ctxdir, file);
                                implicit = file;
                        }
                }
                if (r >= 0) {
                        /* -f names a file of the user's choosing, anywhere (as
                         * Docker allows); never one that blocks (a FIFO) */
                        struct stat s;
                        if (!implicit && stat(dfpath, &s) == 0 && S_ISDIR(s.st_mode))
                                r = box_err_set(&err, EISDIR,
                                                "the Dockerfile '%s' cannot be path to a directory",
                                                file ? file : dfpath);
                        else if ((implicit ? read_context_dockerfile(ctxfd, implicit, &data, &len,
                                                                     &err)
                                           : fs_read_input_at(AT_FDCWD, dfpath, false, 16u << 20,
                                                              &data, &len, &err)) < 0)
                                r = box_err_prefix(&err, "read the Dockerfile");
                }
                const char *base = dfpath ? strrchr(dfpath, '/') : NULL;
                bo.dockerfile_name = file ? file : (base ? base + 1 : strempty(dfpath));
                bo.dockerfile_path = dfpath;
        }
        STRV_FOREACH (x, extra_files) {
                if (r < 0)
                        break;
                _cleanup_free_ char *xd = NULL;
                size_t xl = 0;
                _cleanup_close_ int ctxfd = open(ctxdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if ((*x)[0] != '/' && access(*x, F_OK) < 0 && in_context(ctxfd, *x))
                        r = read_context_dockerfile(ctxfd, *x, &xd, &xl, &err);
                else
                        r = fs_read_input_at(AT_FDCWD, *x, false, 16u << 20, &xd, &xl, &err);
                if (r < 0) {
                        box_err_prefix(&err, "read the Dockerfile");
                        break;
                }
                char *all = xasprintf("%.*s\n%.*s", (int)len, strempty(data), (int)xl, xd);
                free(data);
                data = all;
                len = strlen(all);
        }
        /* BuildKit takes the epoch from a build arg too */
        STRV_FOREACH (a, args)
                if (startswith(*a, "SOURCE_DATE_EPOCH="))
                        setenv("SOURCE_DATE_EPOCH", *a + 18, 1);
        if (r < 0) {
                if (tmp_context)
                        fs_rm_rf(ctxdir, NULL);
                return cli_fail(&err);
        }
        bo.context_dir = ctxdir;
        bo.dockerfile_data = data;
        bo.dockerfile_len = len;
        bo.tags = tags;
        bo.build_args = args;
        bo.labels = labels;
        bo.target = target;
        bo.network = network;
        bo.add_hosts = hosts;
        bo.rlimits = rlimits;
        bo.n_rlimits = n_rlimits;
        bo.build_contexts = contexts;
        bo.dns = dns;
        bo.dns_search = dns_search;
        bo.dns_options = dns_opts;
        bo.secrets = sl.v;
        bo.n_secrets = sl.n;
        if (quiet)
                bo.progress = BUILD_PROGRESS_QUIET;
        else if (bo.progress == BUILD_PROGRESS_AUTO)
                bo.progress = isatty(STDERR_FILENO) && !logfile ? BUILD_PROGRESS_TTY
                                                                : BUILD_PROGRESS_PLAIN;
        bo.out = stderr;
        _cleanup_fclose_ FILE *logf = NULL;
        if (logfile) {
                logf = fopen(logfile, "we");
                if (!logf) {
                        box_err_errno(&err, errno, "--logfile '%s'", logfile);
                        if (tmp_context)
                                fs_rm_rf(ctxdir, NULL);
                        return cli_fail(&err);
                }
                bo.out = logf;
                if (bo.progress == BUILD_PROGRESS_TTY)
                        bo.progress = BUILD_PROGRESS_PLAIN;
        }

        /* how far variable expansion may grow (docs/dockerfile.md) */
        size_t max_word, max_expansion, add_max, add_timeout;
        if (env_bytes("BOX_BUILD_MAX_WORD", &max_word, &err) < 0 ||
            env_bytes("BOX_BUILD_MAX_EXPANSION", &max_expansion, &err) < 0 ||
            env_bytes("BOX_BUILD_ADD_MAX_BYTES", &add_max, &err) < 0 ||
            env_bytes("BOX_BUILD_ADD_TIMEOUT", &add_timeout, &err) < 0) {
                if (tmp_context)
                        fs_rm_rf(ctxdir, NULL);
                return cli_fail(&err);
        }
        build_shell_limits_set(max_word, max_expansion);
        bo.fetch.max_bytes = add_max;
        bo.fetch.timeout_s = (int64_t)add_timeout;

        digest_str id;
        r = build_image(st, &bo, id, &err);
        if (tmp_context)
                fs_rm_rf(ctxdir, NULL);
        if (r < 0)
                return cli_fail(&err);
        if (iidfile && fs_write_atomic_at(AT_FDCWD, iidfile, id, strlen(id), 0644, &err) < 0)
                return cli_fail(&err);
        printf("%s\n", id);
        return 0;
}

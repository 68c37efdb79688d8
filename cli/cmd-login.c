/* box login [-u USER] [-p PASS | --password-stdin] REGISTRY; box logout REGISTRY
 * Credentials go to ${XDG_CONFIG_HOME:-~/.config}/box/auth.json (0600) and
 * are never printed; the password is read from stdin, never from argv
 * unless -p asks for it (with a warning, as docker does). */
#include <ctype.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/registry.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

static const char logout_help[] =
        "Usage: box logout [REGISTRY]\n"
        "\n"
        "Remove the credentials stored for REGISTRY (default docker.io).\n";

static int host_arg(const char *s, char **ret, struct box_err *err)
{
        /* "https://host/" and "host/" as docker accepts them */
        if (startswith(s, "https://"))
                s += 8;
        else if (startswith(s, "http://"))
                s += 7;
        size_t n = strcspn(s, "/");
        if (n == 0 || n > 255)
                return box_err_set(err, EINVAL, "invalid registry '%s'", s);
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr(".-:[]_", s[i]))
                        return box_err_set(err, EINVAL, "invalid registry '%s'", s);
        *ret = xstrndup(s, n);
        return 0;
}

static char *read_line(FILE *f, int hide)
{
        struct termios old, t;
        int tty = hide && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
        if (tty) {
                t = old;
                t.c_lflag &= ~(tcflag_t)ECHO;
                tcsetattr(fileno(f), TCSAFLUSH, &t);
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, f);
        if (tty) {
                tcsetattr(fileno(f), TCSAFLUSH, &old);
                fputc('\n', stderr);
        }
        if (n < 0) {
                free(line);
                return NULL;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        return line;
}

struct login_flags {
        const char *user, *password;
        bool password_stdin, tls_verify;
};

#define T struct login_flags
static const struct cli_option login_flag_rows[] = {
        CLI_STRING("password", 'p', T, password, "string",
                   "password (visible to other users: prefer --password-stdin)"),
        CLI_TRUE("password-stdin", 0, T, password_stdin, "read the password from stdin"),
        CLI_BOOL("tls-verify", 0, T, tls_verify, "bool", "verify TLS certificates (default true)"),
        CLI_STRING("username", 'u', T, user, "string", "user name"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options login_options =
        CLI_OPTIONS("login", login_flag_rows, 20,
                    "Usage: box login [OPTIONS] [REGISTRY]\n"
                    "\n"
                    "Check credentials against REGISTRY (default docker.io) and store them in\n"
                    "${XDG_CONFIG_HOME:-~/.config}/box/auth.json (mode 0600, Docker's 'auths' "
                    "format).\n"
                    "Credentials in ~/.docker/config.json are read too.\n"
                    "\n"
                    "Options:\n");

/* The index of REGISTRY (argc when absent), or <= 0: the negated exit
 * status (0 after --help). */
static int parse_login(int argc, char **argv, struct login_flags *f)
{
        int first = cli_options_parse(&login_options, f, argc, argv);
        if (first <= 0)
                return first;
        if (argc - first > 1)
                return -cli_usage_error("login", "'box login' takes at most 1 argument");
        if (f->password && f->password_stdin)
                return -cli_usage_error("login", "--password and --password-stdin are exclusive");
        if (f->password_stdin && !f->user)
                return -cli_usage_error("login", "--password-stdin needs --username");
        return first;
}

int cmd_login(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        struct login_flags f = {.tls_verify = true};
        int first = parse_login(argc, argv, &f);
        if (first <= 0)
                return -first;
        struct box_err err = {0};
        _cleanup_free_ char *host = NULL;
        if (host_arg(first < argc ? argv[first] : REF_DEFAULT_DOMAIN, &host, &err) < 0)
                return cli_fail(&err);
        _cleanup_free_ char *user = f.user ? xstrdup(f.user) : NULL;
        _cleanup_free_ char *pass = f.password ? xstrdup(f.password) : NULL;
        if (f.password)
                fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
                                "--password-stdin.\n");
        if (!user) {
                fprintf(stderr, "Username: ");
                user = read_line(stdin, 0);
        }
        if (!pass) {
                if (!f.password_stdin)
                        fprintf(stderr, "Password: ");
                pass = read_line(stdin, !f.password_stdin);
        }
        if (!user || !*user || !pass)
                return box_err_set(&err, EINVAL, "login to '%s': no user name or password", host),
                       cli_fail(&err);
        struct image_registry_opts o = {
                .tls_verify_off = !f.tls_verify, .user = user, .password = pass};
        struct image_registry *reg = NULL;
        /* any repository: login checks /v2/ itself */
        int r = image_registry_open(host, "library/login", &o, &reg, &err);
        if (r >= 0)
                r = image_registry_check_login(reg, &err);
        image_registry_free(reg);
        if (r >= 0)
                r = image_registry_auth_set(host, user, pass, &err);
        explicit_bzero(pass, strlen(pass));
        if (r < 0)
                return cli_fail(&err);
        printf("Login Succeeded!\n");
        return 0;
}

int cmd_logout(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        int first = cli_options_parse_help("logout", logout_help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (argc - first > 1)
                return cli_usage_error("logout", "'box logout' takes at most 1 argument");
        struct box_err err = {0};
        _cleanup_free_ char *host = NULL;
        if (host_arg(first < argc ? argv[first] : REF_DEFAULT_DOMAIN, &host, &err) < 0)
                return cli_fail(&err);
        int r = image_registry_auth_remove(host, &err);
        if (r < 0)
                return cli_fail(&err);
        if (r == 0) {
                box_err_set(&err, ENOENT, "not logged in to '%s'", host);
                return cli_fail(&err);
        }
        printf("Removed login credentials for %s\n", host);
        return 0;
}

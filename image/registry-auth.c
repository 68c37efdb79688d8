/* Registry credentials in Docker's config.json format:
 *   {"auths": {"HOST": {"auth": base64("user:password")}}}
 * box's own file is ${XDG_CONFIG_HOME:-~/.config}/box/auth.json (0600);
 * Docker's ~/.docker/config.json is read, never written.  Nothing here
 * logs: a password never reaches a message. */
#include "image/registry.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "lib/crypto-dl.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "spec/json.h"

#define AUTH_FILE_MAX (4u << 20)
#define CRED_MAX      4096

static char *config_home(void)
{
        const char *x = getenv("XDG_CONFIG_HOME");
        if (x && x[0] == '/')
                return xstrdup(x);
        const char *home = getenv("HOME");
        return xasprintf("%s/.config", home && *home ? home : "/root");
}

char *image_registry_auth_path(void)
{
        _cleanup_free_ char *h = config_home();
        return xasprintf("%s/box/auth.json", h);
}

static char *docker_config_path(void)
{
        const char *d = getenv("DOCKER_CONFIG");
        if (d && d[0] == '/')
                return xasprintf("%s/config.json", d);
        const char *home = getenv("HOME");
        return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

/* The file's JSON object, an empty one when absent. */
static int read_auth_file(const char *path, struct jv **ret, struct box_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = fs_read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &buf, &len, err);
        if (r == -ENOENT) {
                *ret = jv_object();
                return 0;
        }
        if (r < 0)
                return r;
        r = jv_parse(buf, len, ret, err);
        if (r < 0)
                return box_err_prefix(err, "'%s'", path);
        if (!jv_is_object(*ret)) {
                jv_free(*ret);
                return box_err_set(err, EINVAL, "'%s': not a JSON object", path);
        }
        return 0;
}

static int decode_auth(const char *path, const char *host, const char *b64, char **ret_user,
                       char **ret_password, struct box_err *err)
{
        size_t n = strlen(b64);
        if (n == 0 || n > CRED_MAX || n % 4)
                return box_err_set(err, EINVAL, "'%s': the entry for '%s' is not base64", path,
                                   host);
        size_t k;
        _cleanup_free_ unsigned char *out = crypto_base64_decode(b64, &k);
        if (!out)
                return box_err_set(err, EINVAL, "'%s': the entry for '%s' is not base64", path,
                                   host);
        char *colon = memchr(out, ':', (size_t)k);
        if (!colon || memchr(out, '\0', (size_t)k))
                return box_err_set(err, EINVAL, "'%s': the entry for '%s' is not user:password",
                                   path, host);
        *ret_user = xstrndup((char *)out, (size_t)(colon - (char *)out));
        *ret_password = xstrdup(colon + 1);
        explicit_bzero(out, (size_t)k);
        return 1;
}

static int lookup(const char *path, const char *host, char **ret_user, char **ret_password,
                  struct box_err *err)
{
        _cleanup_jv_ struct jv *o = NULL;
        int r = read_auth_file(path, &o, err);
        if (r < 0)
                return r;
        struct jv *e = jv_get(jv_get(o, "auths"), host);
        if (!e)
                return 0;
        const char *b64 = jv_get_str(e, "auth");
        if (b64)
                return decode_auth(path, host, b64, ret_user, ret_password, err);
        const char *u = jv_get_str(e, "username"), *p = jv_get_str(e, "password");
        if (!u || !p)
                return 0;
        *ret_user = xstrdup(u);
        *ret_password = xstrdup(p);
        return 1;
}

int image_registry_auth_get(const char *host, char **ret_user, char **ret_password,
                            struct box_err *err)
{
        *ret_user = *ret_password = NULL;
        _cleanup_free_ char *mine = image_registry_auth_path();
        int r = lookup(mine, host, ret_user, ret_password, err);
        if (r != 0)
                return r < 0 ? r : 0;
        _cleanup_free_ char *docker = docker_config_path();
        r = lookup(docker, host, ret_user, ret_password, err);
        return r < 0 ? r : 0;
}

static int write_auth_file(const char *path, struct jv *o, struct box_err *err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        int r = fs_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *s = jv_dump(o, 0);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(err, errno, "open '%s'", dir);
        r = fs_write_atomic_at(dfd, "auth.json", s, strlen(s), 0600, err);
        explicit_bzero(s, strlen(s));
        return r;
}

int image_registry_auth_set(const char *host, const char *user, const char *password,
                            struct box_err *err)
{
        if (strchr(user, ':'))
                return box_err_set(err, EINVAL, "a user name cannot hold ':'");
        _cleanup_free_ char *path = image_registry_auth_path();
        _cleanup_jv_ struct jv *o = NULL;
        int r = read_auth_file(path, &o, err);
        if (r < 0)
                return r;
        size_t n = strlen(user) + 1 + strlen(password);
        if (n > CRED_MAX / 2)
                return box_err_set(err, EINVAL, "the credentials are too long");
        _cleanup_free_ char *plain = xasprintf("%s:%s", user, password);
        _cleanup_free_ char *b64 = crypto_base64_encode(plain, n);
        explicit_bzero(plain, n);
        struct jv *auths = jv_get(o, "auths");
        if (!jv_is_object(auths)) {
                auths = jv_object();
                jv_set(o, "auths", auths);
        }
        struct jv *e = jv_object();
        jv_set_str(e, "auth", b64);
        jv_set(auths, host, e);
        r = write_auth_file(path, o, err);
        explicit_bzero(b64, strlen(b64));
        return r;
}

int image_registry_auth_remove(const char *host, struct box_err *err)
{
        _cleanup_free_ char *path = image_registry_auth_path();
        _cleanup_jv_ struct jv *o = NULL;
        int r = read_auth_file(path, &o, err);
        if (r < 0)
                return r;
        struct jv *auths = jv_get(o, "auths");
        if (!jv_get(auths, host))
                return 0;
        jv_del(auths, host);
        r = write_auth_file(path, o, err);
        return r < 0 ? r : 1;
}

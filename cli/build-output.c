/* box build -o: see build-output.h. */
#include "cli/build-output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/export.h"
#include "image/save.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "store/image.h"

static const struct {
        const char *name;
        enum cli_build_output_type type;
} types[] = {
        {"image", CLI_BUILD_OUTPUT_IMAGE},         {"registry", CLI_BUILD_OUTPUT_IMAGE},
        {"local", CLI_BUILD_OUTPUT_LOCAL},         {"tar", CLI_BUILD_OUTPUT_TAR},
        {"docker", CLI_BUILD_OUTPUT_DOCKER},       {"oci", CLI_BUILD_OUTPUT_OCI},
        {"cacheonly", CLI_BUILD_OUTPUT_CACHEONLY},
};

void cli_build_output_release(struct cli_build_output *o)
{
        free(o->dest);
        free(o->name);
        *o = (struct cli_build_output){0};
}

int cli_build_output_parse(const char *arg, struct cli_build_output *ret, struct box_err *err)
{
        struct cli_build_output o = {.type = CLI_BUILD_OUTPUT_IMAGE};
        if (!*arg)
                return box_err_set(err, EINVAL, "--output: empty value");
        /* BuildKit: a value without '=' is a local directory, or "-" a tar */
        if (!strchr(arg, '=')) {
                o.type = streq(arg, "-") ? CLI_BUILD_OUTPUT_TAR : CLI_BUILD_OUTPUT_LOCAL;
                o.dest = xstrdup(arg);
                *ret = o;
                return 0;
        }
        bool typed = false;
        _cleanup_strv_free_ char **items = strv_split(arg, ',');
        STRV_FOREACH (item, items) {
                if (!**item && !item[1])
                        break; /* a trailing comma */
                const char *p = *item, *eq = strchr(*item, '=');
                size_t klen = eq ? (size_t)(eq - p) : strlen(p);
                const char *v = eq ? eq + 1 : "";
                if (klen == 4 && strneq(p, "type", 4)) {
                        size_t i;
                        for (i = 0; i < ARRAY_SIZE(types); i++)
                                if (streq(v, types[i].name))
                                        break;
                        if (i == ARRAY_SIZE(types)) {
                                cli_build_output_release(&o);
                                return box_err_set(err, EINVAL,
                                                   "--output: unknown type '%s' (local, tar, "
                                                   "docker, oci, image, registry, cacheonly)",
                                                   v);
                        }
                        o.type = types[i].type;
                        o.push = o.push || streq(v, "registry");
                        typed = true;
                } else if (klen == 4 && strneq(p, "dest", 4) && *v) {
                        free(o.dest);
                        o.dest = xstrdup(v);
                } else if (klen == 4 && strneq(p, "name", 4) && *v) {
                        free(o.name);
                        o.name = xstrdup(v);
                } else if (klen == 4 && strneq(p, "push", 4) &&
                           (streq(v, "true") || streq(v, "false"))) {
                        o.push = streq(v, "true");
                } else {
                        _cleanup_free_ char *key = xstrndup(p, klen);
                        cli_build_output_release(&o);
                        return box_err_set(err, EINVAL, "--output: unsupported attribute '%s'",
                                           key);
                }
        }
        if (!typed) {
                cli_build_output_release(&o);
                return box_err_set(err, EINVAL,
                                   "--output: '%s' names no type= (type=local,dest=DIR)", arg);
        }
        if ((o.type == CLI_BUILD_OUTPUT_LOCAL || o.type == CLI_BUILD_OUTPUT_TAR ||
             o.type == CLI_BUILD_OUTPUT_OCI) &&
            !o.dest) {
                cli_build_output_release(&o);
                return box_err_set(err, EINVAL, "--output: '%s' needs dest=PATH", arg);
        }
        if (o.type == CLI_BUILD_OUTPUT_LOCAL && streq(o.dest, "-")) {
                cli_build_output_release(&o);
                return box_err_set(err, EINVAL,
                                   "--output: type=local writes a directory, not stdout "
                                   "(type=tar,dest=- does)");
        }
        if (o.push && o.type != CLI_BUILD_OUTPUT_IMAGE) {
                cli_build_output_release(&o);
                return box_err_set(err, EINVAL, "--output: push=true is for type=image");
        }
        *ret = o;
        return 0;
}

bool cli_build_output_to_stdout(const struct cli_build_output *o)
{
        return o->dest && streq(o->dest, "-");
}

/* The final image's file system as a tar stream on FD. */
static int write_tree(struct store *st, const char *image, int fd, struct box_err *err)
{
        _cleanup_image_handle_ struct store_image_handle h = {0};
        int r = store_image_resolve(st, image, &h, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **lower = NULL;
        r = store_image_lowerdirs(st, &h, &lower, err);
        if (r < 0)
                return r;
        return image_export_tree(st, NULL, lower, fd, err);
}

/* type=local: the tree extracted into DEST (made when missing) as each
 * layer is, contained in it whatever names the image holds.  The tree is
 * written by a child: image_export_tree() leaves its process in a mount
 * namespace of its own. */
static int write_local(struct store *st, const char *image, const char *dest, struct box_err *err)
{
        int r = fs_mkdir_p(dest, 0755, err);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return box_err_errno(err, errno, "open '%s'", dest);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "pipe");
        pid_t pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return box_err_errno(err, errno, "fork");
        }
        if (pid == 0) {
                struct box_err e = {0};
                close(p[0]);
                if (write_tree(st, image, p[1], &e) >= 0)
                        _exit(0);
                /* the parent reports; the cause is only known here */
                box_err_prefix(&e, "--output");
                (void)cli_fail(&e);
                _exit(1);
        }
        close(p[1]);
        r = store_archive_extract(store_read_fd, &p[0], dfd,
                                  &(struct store_extract_opts){.host_safe = true}, err);
        close(p[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                return box_err_set(err, EIO, "the image's file system could not be written");
        if (r < 0)
                return box_err_prefix(err, "extract into '%s'", dest);
        return 0;
}

int cli_build_output_write(struct store *st, const struct cli_build_output *o, const char *image,
                           struct box_err *err)
{
        if (o->type == CLI_BUILD_OUTPUT_IMAGE || o->type == CLI_BUILD_OUTPUT_CACHEONLY ||
            (o->type == CLI_BUILD_OUTPUT_DOCKER && !o->dest))
                return 0;
        if (o->type == CLI_BUILD_OUTPUT_LOCAL)
                return write_local(st, image, o->dest, err);
        bool out = streq(o->dest, "-");
        if (out && isatty(STDOUT_FILENO))
                return box_err_set(err, ENOTTY,
                                   "--output: refusing to write an archive to a terminal: "
                                   "give dest=FILE or redirect stdout");
        _cleanup_(fs_output_release) struct fs_output f = {.fd = -EBADF};
        int r = out ? 0 : fs_output_open(&f, o->dest, 0644, err);
        if (r < 0)
                return r;
        int fd = out ? STDOUT_FILENO : f.fd;
        if (o->type == CLI_BUILD_OUTPUT_TAR) {
                r = write_tree(st, image, fd, err);
        } else {
                char *const images[] = {(char *)(o->name ? o->name : image), NULL};
                r = image_save(st, images,
                               o->type == CLI_BUILD_OUTPUT_OCI ? IMAGE_FORMAT_OCI_ARCHIVE
                                                               : IMAGE_FORMAT_DOCKER_ARCHIVE,
                               fd, NULL, err);
        }
        if (r >= 0 && !out)
                r = fs_output_commit(&f, err);
        return r < 0 ? box_err_prefix(err, "--output '%s'", o->dest) : 0;
}

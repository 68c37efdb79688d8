/* --sysctl: which sysctls a container may set (runc's rules: only those of
 * a namespace it has of its own, so that no setting reaches the host), and
 * writing them inside the container before its process starts. */
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/macro.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"

/* the IPC namespace's sysctls, as runc lists them */
static const char *const ipc_sysctls[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* KEY (LEN bytes) as words of [A-Za-z0-9_-] between '.' or '/' */
static bool key_valid(const char *key, size_t len)
{
        bool word = false;
        for (size_t i = 0; i < len; i++) {
                char c = key[i];
                if (c == '.' || c == '/') {
                        if (!word)
                                return false;
                        word = false;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-') {
                        word = true;
                } else {
                        return false;
                }
        }
        return word;
}

int run_sysctl_check(const char *kv, enum run_network network, bool shared_ipc, struct box_err *err)
{
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !key_valid(kv, (size_t)(eq - kv))) {
                /* quoted up to what prints on one line */
                int n = 0;
                while (kv[n] && isprint((unsigned char)kv[n]) && n < 128)
                        n++;
                return box_err_set(err, EINVAL,
                                   "invalid --sysctl '%.*s': want KEY=VALUE, a key of letters, "
                                   "digits, '_' and '-' between dots",
                                   n, kv);
        }
        /* the value is one line of the file */
        if (strchr(eq + 1, '\n'))
                return box_err_set(err, EINVAL, "invalid --sysctl '%.*s': a newline in its value",
                                   (int)(eq - kv), kv);
        _cleanup_free_ char *key = xstrndup(kv, (size_t)(eq - kv));
        for (char *c = key; *c; c++)
                if (*c == '/')
                        *c = '.';
        bool ipc = startswith(key, "fs.mqueue.");
        for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
                ipc = ipc || streq(key, ipc_sysctls[i]);
        if (ipc && shared_ipc)
                return box_err_set(err, EINVAL,
                                   "invalid --sysctl '%s': not allowed in an IPC namespace "
                                   "not its own (--ipc host or container:NAME)",
                                   key);
        if (ipc)
                return 0;
        if (startswith(key, "net.") && network == RUN_NETWORK_HOST)
                return box_err_set(err, EINVAL,
                                   "invalid --sysctl '%s': not allowed in the host's network "
                                   "namespace (--network host)",
                                   key);
        if (startswith(key, "net."))
                return 0;
        return box_err_set(err, EINVAL,
                           "invalid --sysctl '%s': not in a namespace of the container's own, "
                           "it would change the host",
                           key);
}

int run_sysctl_check_netns(int netns_fd, char *const *v, struct box_err *err)
{
        const char *net = NULL;
        for (; v && *v && !net; v++)
                if (startswith(*v, "net.") || startswith(*v, "net/"))
                        net = *v;
        if (!net)
                return 0;
        struct stat joined, own;
        if (fstat(netns_fd, &joined) < 0)
                return box_err_errno(err, errno, "the joined network namespace");
        if (stat("/proc/self/ns/net", &own) < 0)
                return box_err_errno(err, errno, "stat /proc/self/ns/net");
        if (joined.st_dev == own.st_dev && joined.st_ino == own.st_ino)
                return box_err_set(err, EINVAL,
                                   "invalid --sysctl '%.*s': not allowed in the host's network "
                                   "namespace (the container joined has it)",
                                   (int)strcspn(net, "="), net);
        return 0;
}

int run_sysctls_write(int sys_fd, char *const *v, struct box_err *err)
{
        for (; v && *v; v++) {
                const char *eq = strchr(*v, '=');
                if (!eq)
                        continue;
                _cleanup_free_ char *path = xstrndup(*v, (size_t)(eq - *v));
                for (char *c = path; *c; c++)
                        if (*c == '.')
                                *c = '/';
                /* the container's own /proc: nothing of the image is under
                 * it, and the key is words (run_sysctl_check) */
                _cleanup_close_ int fd =
                        sys_openat2(sys_fd, path, O_WRONLY | O_CLOEXEC, 0,
                                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
                if (fd < 0)
                        return box_err_errno(err, errno, "sysctl '%.*s'", (int)(eq - *v), *v);
                size_t n = strlen(eq + 1);
                if (write(fd, eq + 1, n) != (ssize_t)n)
                        return box_err_errno(err, errno, "sysctl '%.*s' = '%s'", (int)(eq - *v), *v,
                                             eq + 1);
        }
        return 0;
}

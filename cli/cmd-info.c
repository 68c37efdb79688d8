/* box info: what this machine offers box. */
#include <stdio.h>
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/magic.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "lib/archive-dl.h"
#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"

static const char help[] = "Usage: box info\n\nShow the store root, kernel and the container "
                           "features box can use here.\n";

static int has_filesystem(const char *name)
{
        _cleanup_free_ char *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, "/proc/filesystems", 0, &buf, NULL, NULL) < 0)
                return 0;
        _cleanup_free_ char *needle = xasprintf("\t%s\n", name);
        return strstr(buf, needle) != NULL;
}

static const char *cgroup_layout(void)
{
        struct statfs s;
        if (statfs("/sys/fs/cgroup", &s) < 0)
                return "none";
        if (s.f_type == CGROUP2_SUPER_MAGIC)
                return "v2";
        if (statfs("/sys/fs/cgroup/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
                return "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)";
        return "v1";
}

static int seccomp_available(void)
{
        _cleanup_free_ char *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, "/proc/self/status", 0, &buf, NULL, NULL) < 0)
                return 0;
        return strstr(buf, "\nSeccomp:") != NULL;
}

int cmd_info(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        int first = cli_options_parse_help("info", help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("info", "'box info' accepts no arguments");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct utsname u;
        uname(&u);
        printf("Store root: %s\n", store_root(st));
        printf("Run root: %s\n", ctx->runroot);
        printf("Kernel: %s %s %s\n", u.sysname, u.release, u.machine);
        printf("Overlayfs: %s\n", has_filesystem("overlay") ? "yes" : "no");
        printf("Cgroups: %s\n", cgroup_layout());
        printf("Seccomp: %s\n", seccomp_available() ? "yes" : "no");
        printf("User namespaces: %s\n", access("/proc/self/ns/user", F_OK) == 0 ? "yes" : "no");
        /* loaded on first use, not at start: say whether that use would work */
        const char *why = NULL, *archive = archive_dl_version(&why);
        printf("Archives: %s\n", archive ? archive : why);
        return 0;
}

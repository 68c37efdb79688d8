/* box info: what this machine offers box. */
#include <stdio.h>
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/magic.h>

#include "cli/container.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/archive-dl.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "store/image.h"
#include "store/store.h"

struct info_flags {
        const char *format;
};

#define T struct info_flags
static const struct cli_option info_flag_rows[] = {
        CLI_STRING("format", 'f', T, format, "string",
                   "'json', or a Go-style template over Docker's info fields"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options info_options =
        CLI_OPTIONS("info", info_flag_rows, 20,
                    "Usage: box info [OPTIONS]\n"
                    "\n"
                    "Show the store root, kernel and the container features box can use here.\n"
                    "\n"
                    "Options:\n");

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

static int64_t mem_total(void)
{
        _cleanup_free_ char *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, "/proc/meminfo", 1 << 16, &buf, NULL, NULL) < 0)
                return 0;
        const char *p = strstr(buf, "MemTotal:");
        return p ? strtoll(p + 9, NULL, 10) * 1024 : 0;
}

/* /etc/os-release's PRETTY_NAME, as Docker's OperatingSystem */
static char *os_name(void)
{
        _cleanup_free_ char *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, "/etc/os-release", 1 << 16, &buf, NULL, NULL) < 0)
                return xstrdup("Linux");
        const char *p = strstr(buf, "PRETTY_NAME=");
        if (!p || (p != buf && p[-1] != '\n'))
                return xstrdup("Linux");
        p += 12;
        if (*p == '"')
                p++;
        return xstrndup(p, strcspn(p, "\"\n"));
}

/* Docker's info fields box has a meaning for, in Docker's names. */
static struct jv *info_json(struct cli_ctx *ctx, struct store *st, const struct utsname *u)
{
        struct jv *o = jv_object();
        int64_t running = 0, paused = 0, stopped = 0, n = 0;
        _cleanup_strv_free_ char **ids = run_state_list(store_root(st));
        STRV_FOREACH (id, ids) {
                n++;
                enum run_status s = cli_container_status(ctx, *id);
                if (s == RUN_STATUS_RUNNING && cli_container_paused(ctx, *id))
                        paused++;
                else if (s == RUN_STATUS_RUNNING)
                        running++;
                else
                        stopped++;
        }
        struct store_image *imgs = NULL;
        size_t nimg = 0;
        if (store_images_list(st, &imgs, &nimg, NULL) < 0)
                nimg = 0;
        store_images_free(imgs, nimg);
        jv_set(o, "Containers", jv_int(n));
        jv_set(o, "ContainersRunning", jv_int(running));
        jv_set(o, "ContainersPaused", jv_int(paused));
        jv_set(o, "ContainersStopped", jv_int(stopped));
        jv_set(o, "Images", jv_int((int64_t)nimg));
        jv_set_str(o, "Driver", "overlay");
        jv_set_str(o, "DockerRootDir", store_root(st));
        jv_set_str(o, "RunRoot", ctx->runroot);
        jv_set_str(o, "CgroupDriver", "cgroupfs");
        const char *cg = cgroup_layout();
        jv_set_str(o, "CgroupVersion", streq(cg, "v2") ? "2" : "1");
        struct jv *sec = jv_array();
        if (seccomp_available())
                jv_push(sec, jv_string("name=seccomp,profile=builtin"));
        jv_set(o, "SecurityOptions", sec);
        jv_set_str(o, "KernelVersion", u->release);
        _cleanup_free_ char *os = os_name();
        jv_set_str(o, "OperatingSystem", os);
        jv_set_str(o, "OSType", "linux");
        jv_set_str(o, "Architecture", u->machine);
        jv_set(o, "NCPU", jv_int(sysconf(_SC_NPROCESSORS_ONLN)));
        jv_set(o, "MemTotal", jv_int(mem_total()));
        jv_set_str(o, "Name", u->nodename);
        jv_set_str(o, "ServerVersion", BOX_VERSION);
        return o;
}

int cmd_info(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        struct info_flags f = {0};
        int first = cli_options_parse(&info_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("info", "'box info' accepts no arguments");
        struct store *st;
        if (cli_store(ctx, &st, &err) < 0)
                return cli_fail(&err);
        struct utsname u;
        uname(&u);
        if (f.format) {
                if (cli_format_object(f.format, info_json(ctx, st, &u), &err) < 0)
                        return cli_fail(&err);
                return 0;
        }
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

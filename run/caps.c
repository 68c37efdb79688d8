/* Capability names and sets.  The default set is Podman's (containers.conf
 * default_capabilities); --cap-add/--cap-drop follow Docker's rules. */
#include <ctype.h>
#include <linux/capability.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run/run.h"

/* Indexed by capability number (capabilities(7)). */
static const char *const cap_names[] = {
        [CAP_CHOWN] = "CHOWN",
        [CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "DAC_READ_SEARCH",
        [CAP_FOWNER] = "FOWNER",
        [CAP_FSETID] = "FSETID",
        [CAP_KILL] = "KILL",
        [CAP_SETGID] = "SETGID",
        [CAP_SETUID] = "SETUID",
        [CAP_SETPCAP] = "SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "NET_BROADCAST",
        [CAP_NET_ADMIN] = "NET_ADMIN",
        [CAP_NET_RAW] = "NET_RAW",
        [CAP_IPC_LOCK] = "IPC_LOCK",
        [CAP_IPC_OWNER] = "IPC_OWNER",
        [CAP_SYS_MODULE] = "SYS_MODULE",
        [CAP_SYS_RAWIO] = "SYS_RAWIO",
        [CAP_SYS_CHROOT] = "SYS_CHROOT",
        [CAP_SYS_PTRACE] = "SYS_PTRACE",
        [CAP_SYS_PACCT] = "SYS_PACCT",
        [CAP_SYS_ADMIN] = "SYS_ADMIN",
        [CAP_SYS_BOOT] = "SYS_BOOT",
        [CAP_SYS_NICE] = "SYS_NICE",
        [CAP_SYS_RESOURCE] = "SYS_RESOURCE",
        [CAP_SYS_TIME] = "SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "SYS_TTY_CONFIG",
        [CAP_MKNOD] = "MKNOD",
        [CAP_LEASE] = "LEASE",
        [CAP_AUDIT_WRITE] = "AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "AUDIT_CONTROL",
        [CAP_SETFCAP] = "SETFCAP",
        [CAP_MAC_OVERRIDE] = "MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "MAC_ADMIN",
        [CAP_SYSLOG] = "SYSLOG",
        [CAP_WAKE_ALARM] = "WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "AUDIT_READ",
        [CAP_PERFMON] = "PERFMON",
        [CAP_BPF] = "BPF",
        [CAP_CHECKPOINT_RESTORE] = "CHECKPOINT_RESTORE",
};

static const int podman_default_caps[] = {
        CAP_CHOWN,   CAP_DAC_OVERRIDE,     CAP_FOWNER,     CAP_FSETID,
        CAP_KILL,    CAP_NET_BIND_SERVICE, CAP_SETFCAP,    CAP_SETGID,
        CAP_SETPCAP, CAP_SETUID,           CAP_SYS_CHROOT,
};

#define CAP_BIT(c) (UINT64_C(1) << (c))

uint64_t run_caps_default(void)
{
        uint64_t caps = 0;
        for (size_t i = 0; i < ARRAY_SIZE(podman_default_caps); i++)
                caps |= CAP_BIT(podman_default_caps[i]);
        return caps;
}

/* BuildKit's RUN steps get containerd's default set: podman's and these
 * three (NET_RAW, so that busybox's ping, which opens only raw sockets,
 * works in a step as in `docker build`) */
uint64_t run_caps_build_default(void)
{
        return run_caps_default() | CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_NET_RAW) |
               CAP_BIT(CAP_AUDIT_WRITE);
}

uint64_t run_caps_all(void)
{
        uint64_t caps = 0;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                caps |= CAP_BIT(i);
        return caps;
}

const char *run_cap_name(int cap)
{
        static char buf[ARRAY_SIZE(cap_names)][32];
        if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names) || !cap_names[cap])
                return NULL;
        snprintf(buf[cap], sizeof(buf[cap]), "CAP_%s", cap_names[cap]);
        return buf[cap];
}

int run_cap_from_name(const char *name)
{
        if (strcasecmp(name, "ALL") == 0)
                return -2;
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (cap_names[i] && strcasecmp(name, cap_names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

int run_caps_apply_flags(uint64_t *caps, char *const *add, char *const *drop, struct box_err *err)
{
        uint64_t a = 0, d = 0;
        bool add_all = false, drop_all = false;
        for (char *const *s = add; s && *s; s++) {
                int c = run_cap_from_name(*s);
                if (c == -EINVAL)
                        return box_err_set(err, EINVAL, "unknown capability: '%s'", *s);
                if (c == -2)
                        add_all = true;
                else
                        a |= CAP_BIT(c);
        }
        for (char *const *s = drop; s && *s; s++) {
                int c = run_cap_from_name(*s);
                if (c == -EINVAL)
                        return box_err_set(err, EINVAL, "unknown capability: '%s'", *s);
                if (c == -2)
                        drop_all = true;
                else
                        d |= CAP_BIT(c);
        }
        /* Docker: "ALL" added wins over everything but explicit drops;
         * "ALL" dropped leaves only the explicit adds. */
        if (add_all)
                *caps = run_caps_all() & ~d;
        else if (drop_all)
                *caps = a;
        else
                *caps = (*caps & ~d) | a;
        return 0;
}

uint64_t run_caps_own(void)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {0};
        if (syscall(SYS_capget, &h, d) < 0)
                return ~UINT64_C(0);
        return (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
}

#include "lib/syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Enough for a walk to get through between renames or mounts even when
 * something makes them in a tight loop (about half the walks fail then; a
 * loop of tmpfs mounts needed more than 128 tries); bounded, so a container
 * that keeps renaming only makes box give up. */
#define OPENAT2_EAGAIN_TRIES 1000

int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
        struct open_how how;
        memset(&how, 0, sizeof(how));
        how.flags = (unsigned long long)flags | O_CLOEXEC;
        if (flags & (O_CREAT | O_TMPFILE))
                how.mode = mode;
        how.resolve = resolve;
        /* A scoped walk that went through ".." fails with EAGAIN when any
         * rename or mount anywhere on the host ran meanwhile (the kernel
         * cannot tell that ".." stayed inside): openat2(2) says to retry.
         * On a busy host a link such as ../../lib/x failed so at random. */
        int fd, tries = 0;
        do
                fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN && (resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) &&
               ++tries < OPENAT2_EAGAIN_TRIES);
        return fd;
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
        return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int sys_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
        return (int)syscall(SYS_close_range, first, last, flags);
}

int sys_pidfd_open(pid_t pid, unsigned int flags)
{
        return (int)syscall(SYS_pidfd_open, pid, flags);
}

int sys_pidfd_send_signal(int pidfd, int sig, unsigned int flags)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

int sys_setresuid(uid_t r, uid_t e, uid_t s)
{
        return (int)syscall(SYS_setresuid, r, e, s);
}

int sys_setresgid(gid_t r, gid_t e, gid_t s)
{
        return (int)syscall(SYS_setresgid, r, e, s);
}

int sys_setgroups(size_t n, const gid_t *groups)
{
        return (int)syscall(SYS_setgroups, n, groups);
}

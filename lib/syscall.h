/* Thin shims for system calls glibc 2.36 lacks or wraps awkwardly.  They
 * return what the kernel returns (-1 and errno set), like libc. */
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);
int sys_pivot_root(const char *new_root, const char *put_old);
int sys_close_range(unsigned int first, unsigned int last, unsigned int flags);
int sys_pidfd_open(pid_t pid, unsigned int flags);
int sys_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/* Credential changes by raw system call.  glibc's wrappers broadcast the
 * change to every thread it knows of; in a child made with clone() from a
 * process that has threads, those threads do not exist and the wrapper
 * waits for them forever. */
int sys_setresuid(uid_t r, uid_t e, uid_t s);
int sys_setresgid(gid_t r, gid_t e, gid_t s);
int sys_setgroups(size_t n, const gid_t *groups);

/* openat() of PATH inside the tree rooted at ROOTFD: symlinks and ".." are
 * resolved as if ROOTFD were "/", so the result never escapes it. */
static inline int openat_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
        return sys_openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

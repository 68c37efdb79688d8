/* Cleanup attributes and small macros shared by every module.
 *
 * Ownership: a variable declared with a _cleanup_*_ attribute owns what it
 * holds until TAKE_PTR()/TAKE_FD()/TAKE_STRUCT() hands it off; fds use -EBADF for "none". */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define streq(a, b)     (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define _unused_        __attribute__((unused))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))
#define _noreturn_      __attribute__((noreturn))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
/* both ends of a pipe or a socketpair */
static inline void close_pairp(int (*p)[2])
{
        for (int i = 0; i < 2; i++)
                if ((*p)[i] >= 0)
                        close((*p)[i]);
}

#define _cleanup_close_      _cleanup_(closep)
#define _cleanup_close_pair_ _cleanup_(close_pairp)
#define _cleanup_fclose_     _cleanup_(fclosep)
#define _cleanup_closedir_   _cleanup_(closedirp)

/* FUNC##p, for _cleanup_(FUNC##p) on a TYPE * variable: FUNC(NULL) must be
 * a no-op.  (An owning struct held by value needs none: its _release(), safe
 * on a zeroed struct, is the cleanup function itself.) */
#define DEFINE_POINTER_CLEANUP(type, func)                                                         \
        static inline void func##p(type **p)                                                       \
        {                                                                                          \
                func(*p);                                                                          \
        }

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _p = (p);                                                            \
                (p) = NULL;                                                                        \
                _p;                                                                                \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _fd = (fd);                                                                    \
                (fd) = -EBADF;                                                                     \
                _fd;                                                                               \
        })

/* Hands off an owning struct held by value, leaving it zeroed. */
#define TAKE_STRUCT(s)                                                                             \
        ({                                                                                         \
                __typeof__(s) _s = (s);                                                            \
                memset(&(s), 0, sizeof(s));                                                        \
                _s;                                                                                \
        })

/* Retry a syscall expression while it fails with EINTR. */
#define RETRY_EINTR(expr)                                                                          \
        ({                                                                                         \
                __typeof__(expr) _r;                                                               \
                do                                                                                 \
                        _r = (expr);                                                               \
                while (_r < 0 && errno == EINTR);                                                  \
                _r;                                                                                \
        })

static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

static inline const char *strempty(const char *s)
{
        return s ? s : "";
}

static inline int startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Banned: unsafe string functions (git's banned.h idea). */
#pragma GCC poison strcpy strcat sprintf vsprintf strtok gets atoi

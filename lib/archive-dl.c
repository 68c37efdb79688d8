/* libarchive through dlopen(): see lib/archive-dl.h. */
#include "lib/archive-dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define ARCHIVE_SONAME "libarchive.so.13"

static void *handle;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        handle = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!handle)
                snprintf(why, sizeof(why), "%s", dlerror());
}

/* Like the dynamic loader when a needed library or symbol is missing: the
 * installation is broken, no caller could do better than stop. */
static _Noreturn void die(const char *what)
{
        fprintf(stderr, "box: error while loading shared libraries: %s\n", what);
        fflush(stderr);
        _exit(127);
}

void *archive_dl_sym(const char *name)
{
        pthread_once(&once, load);
        if (!handle)
                die(why);
        void *p = dlsym(handle, name);
        if (!p) {
                char msg[320];
                snprintf(msg, sizeof(msg), "%s: undefined symbol: %s", ARCHIVE_SONAME, name);
                die(msg);
        }
        return p;
}

const char *archive_dl_version(const char **ret_why)
{
        pthread_once(&once, load);
        const char *(*version)(void) =
                handle ? (const char *(*)(void))dlsym(handle, "archive_version_string") : NULL;
        if (!version) {
                *ret_why = handle ? "no archive_version_string" : why;
                return NULL;
        }
        return version();
}

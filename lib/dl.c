/* Libraries loaded on first use: see lib/dl.h. */
#include "lib/dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static void ensure_loaded(struct dl_lib *lib)
{
        if (__atomic_load_n(&lib->tried, __ATOMIC_ACQUIRE))
                return;
        pthread_mutex_lock(&lib->mu);
        if (!lib->tried) {
                lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
                if (!lib->handle)
                        snprintf(lib->why, sizeof(lib->why), "%s", dlerror());
                else if (lib->after_load)
                        lib->after_load(lib->handle);
                __atomic_store_n(&lib->tried, true, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&lib->mu);
}

static _Noreturn void die(const char *what)
{
        fprintf(stderr, "box: error while loading shared libraries: %s\n", what);
        fflush(stderr);
        _exit(127);
}

void *dl_sym_try(struct dl_lib *lib, const char *name, const char **ret_why)
{
        ensure_loaded(lib);
        if (!lib->handle) {
                *ret_why = lib->why;
                return NULL;
        }
        void *p = dlsym(lib->handle, name);
        if (!p)
                *ret_why = "undefined symbol";
        return p;
}

void *dl_sym(struct dl_lib *lib, const char *name)
{
        const char *why = NULL;
        void *p = dl_sym_try(lib, name, &why);
        if (!p) {
                char msg[400];
                if (!lib->handle)
                        snprintf(msg, sizeof(msg), "%s", why);
                else
                        snprintf(msg, sizeof(msg), "%s: undefined symbol: %s", lib->soname, name);
                die(msg);
        }
        return p;
}

int dl_lib_load(struct dl_lib *lib, struct box_err *err)
{
        ensure_loaded(lib);
        if (!lib->handle)
                return box_err_set(err, ENOSYS, "cannot load %s: %s", lib->soname, lib->why);
        return 0;
}

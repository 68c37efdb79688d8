/* Libraries loaded with dlopen() on first use rather than linked: a library
 * most commands never call (libarchive, libcrypto) should cost them nothing
 * at start-up.  Each is a static struct dl_lib in the one file that holds
 * the library (lib/archive-dl.c, lib/crypto-dl.c; libcurl in image/http.c
 * has its own, for its optional symbols).
 *
 * A library or symbol that cannot be loaded ends box with status 127 and
 * the dynamic loader's message, as a missing DT_NEEDED library would: the
 * installation is broken and no caller could do better. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct dl_lib {
        const char *soname;
        void (*after_load)(void *handle); /* optional: run once, after dlopen */
        pthread_mutex_t mu;               /* held while loading */
        bool tried;
        void *handle;
        char why[256]; /* dlerror() when the load failed */
};

#define DL_LIB(soname_, after_load_)                                                               \
        {                                                                                          \
                .soname = soname_, .after_load = after_load_, .mu = PTHREAD_MUTEX_INITIALIZER      \
        }

/* The address of NAME in LIB, loading LIB on the first call (thread-safe);
 * never NULL. */
void *dl_sym(struct dl_lib *lib, const char *name);
/* The address of NAME, or NULL with *RET_WHY set when LIB or NAME cannot be
 * loaded; never exits (for `box info`). */
void *dl_sym_try(struct dl_lib *lib, const char *name, const char **ret_why);

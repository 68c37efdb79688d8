/* Libraries loaded with dlopen() on first use rather than linked: a library
 * most commands never call (libarchive, libcrypto, libnftables, libyaml)
 * should cost them nothing at start-up.  Each is a static struct dl_lib in
 * the one file that holds the library (lib/archive-dl.c, lib/crypto-dl.c,
 * run/nft.c, image/registries-config.c; libcurl in image/http.c has its
 * own, for its optional symbols).
 *
 * Two ways to fail.  dl_sym(), for libraries every image needs (libarchive,
 * libcrypto): a library or symbol that cannot be loaded ends box with
 * status 127 and the dynamic loader's message, as a missing DT_NEEDED
 * library would.  dl_lib_load() then DL_FN, for libraries only one feature needs
 * (nftables for bridge networks and -p, libyaml for registries.yaml): an
 * error naming the library, which the command reports as any failure
 * (exit 125), so everything else keeps working without it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

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

/* Loads LIB on the first call (thread-safe); when it cannot be loaded:
 * -ENOSYS, "cannot load SONAME: why".  After a success, call the library
 * through DL_FN, whose dl_sym() then only looks symbols up. */
int dl_lib_load(struct dl_lib *lib, struct box_err *err);

/* The library function NAME (declared by the library's header, never
 * linked) from LIB (a struct dl_lib *), looked up with dl_sym() on the
 * first call at this call site, then cached. */
#define DL_FN(lib, name)                                                                           \
        ({                                                                                         \
                static __typeof__(&name) fn_;                                                      \
                __typeof__(&name) f_ = __atomic_load_n(&fn_, __ATOMIC_ACQUIRE);                    \
                if (!f_) {                                                                         \
                        f_ = (__typeof__(&name))dl_sym((lib), #name);                              \
                        __atomic_store_n(&fn_, f_, __ATOMIC_RELEASE);                              \
                }                                                                                  \
                f_;                                                                                \
        })

/* Caps on what one input may cost (see store.h and docs/store.md).  They
 * are read from the environment each time an operation starts, so a
 * long-running process and the unit tests see changes. */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"

/* "64G", "4m", "1024", "0" (no limit).  Suffixes are powers of 1024. */
static uint64_t env_u64(const char *name, uint64_t def, int sizes)
{
        const char *s = getenv(name);
        if (!s || !*s)
                return def;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        uint64_t mul = 1;
        if (sizes && *end) {
                const char *units = "kmgt";
                const char *u = strchr(units, *end | 0x20);
                if (u && *u) {
                        mul = UINT64_C(1) << (10 * (u - units + 1));
                        end++;
                        if (*end == 'i' || *end == 'I')
                                end++;
                        if (*end == 'b' || *end == 'B')
                                end++;
                }
        }
        if (errno || end == s || *end || s[0] == '-') {
                log_warn("%s: invalid value '%s' (want a number%s), using %llu, ignoring", name, s,
                         sizes ? " of bytes with an optional K, M, G or T" : "",
                         (unsigned long long)def);
                return def;
        }
        if (v == 0)
                return UINT64_MAX; /* 0 lifts the cap */
        if (v > UINT64_MAX / mul)
                return UINT64_MAX;
        return v * mul;
}

void store_limits_get(struct store_limits *ret)
{
        ret->layer_size = env_u64("BOX_MAX_LAYER_SIZE", STORE_DEFAULT_LAYER_SIZE, 1);
        ret->layer_entries = env_u64("BOX_MAX_LAYER_ENTRIES", STORE_DEFAULT_LAYER_ENTRIES, 0);
        ret->json_size = env_u64("BOX_MAX_JSON_SIZE", STORE_DEFAULT_JSON_SIZE, 1);
        ret->download_size = env_u64("BOX_PULL_MAX_SIZE", STORE_DEFAULT_DOWNLOAD_SIZE, 1);
        ret->download_deadline = env_u64("BOX_PULL_DEADLINE", STORE_DEFAULT_DOWNLOAD_DEADLINE, 0);
        ret->download_min_speed =
                env_u64("BOX_PULL_MIN_SPEED", STORE_DEFAULT_DOWNLOAD_MIN_SPEED, 1);
}

/* Running a stretch of code in the "C" locale on this thread, whatever the
 * process's locale is.
 *
 * libarchive converts file names between an archive's charset and the
 * current locale's: in a UTF-8 locale it rewrites decomposed (NFD) names to
 * composed ones, in a Latin-1 locale it turns UTF-8 into Latin-1.  box keeps
 * names as the bytes they are, so every archive object is created, used and
 * freed between c_locale_enter() and c_locale_leave(): in "C" a name that is
 * not ASCII cannot be converted and libarchive keeps its bytes as they are.
 * (Writers also set the pax option hdrcharset=BINARY, which converts
 * nothing at all.) */
#pragma once

#include <locale.h>

static inline locale_t c_locale_enter(void)
{
        static locale_t c;
        locale_t l = __atomic_load_n(&c, __ATOMIC_ACQUIRE);
        if (!l) {
                /* "C" is built into libc: this cannot fail for want of files */
                locale_t fresh = newlocale(LC_ALL_MASK, "C", (locale_t)0);
                if (!fresh)
                        return (locale_t)0;
                locale_t expected = (locale_t)0;
                if (__atomic_compare_exchange_n(&c, &expected, fresh, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_ACQUIRE))
                        l = fresh;
                else {
                        freelocale(fresh);
                        l = expected;
                }
        }
        return uselocale(l);
}

static inline void c_locale_leave(locale_t old)
{
        if (old)
                uselocale(old);
}

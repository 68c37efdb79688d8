/* libarchive through dlopen(): see lib/archive-dl.h. */
#include "lib/archive-dl.h"

#include "lib/dl.h"

static struct dl_lib libarchive = DL_LIB("libarchive.so.13", NULL);

void *archive_dl_sym(const char *name)
{
        return dl_sym(&libarchive, name);
}

const char *archive_dl_version(const char **ret_why)
{
        const char *(*version)(void) =
                (const char *(*)(void))dl_sym_try(&libarchive, "archive_version_string", ret_why);
        return version ? version() : NULL;
}

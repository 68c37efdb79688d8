/* libarchive through dlopen(): see lib/archive-dl.h. */
#include "lib/archive-dl.h"

#include "lib/dl.h"

struct dl_lib archive_dl_lib = DL_LIB("libarchive.so.13", NULL);

const char *archive_dl_version(const char **ret_why)
{
        const char *(*version)(void) = (const char *(*)(void))dl_sym_try(
                &archive_dl_lib, "archive_version_string", ret_why);
        return version ? version() : NULL;
}

#include "run/name.h"

#include <string.h>

bool run_name_valid(const char *name)
{
        if (!name || strlen(name) < 2 || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++) {
                bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                             (*p >= '0' && *p <= '9');
                if (!alnum && (p == name || (*p != '_' && *p != '.' && *p != '-')))
                        return false;
        }
        return true;
}

bool run_id_valid(const char *id)
{
        if (!id || strlen(id) != RUN_ID_LEN)
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

#include "lib/log.h"

#include <stdarg.h>
#include <strings.h>

int box_log_level = BOX_LOG_WARN;

int box_log_parse_level(const char *s)
{
        static const char *names[] = {"error", "warn", "info", "debug"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int)i;
        if (strcasecmp(s, "warning") == 0)
                return BOX_LOG_WARN;
        if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
                return s[0] - '0';
        return -EINVAL;
}

void box_log_init(void)
{
        const char *e = getenv("BOX_LOG_LEVEL");
        if (e && *e) {
                int l = box_log_parse_level(e);
                if (l >= 0)
                        box_log_level = l;
        }
}

void box_log(int level, const char *fmt, ...)
{
        static const char *tags[] = {"error", "warning", "info", "debug"};
        if (level > box_log_level)
                return;
        char buf[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        fprintf(stderr, "box: %s: %s\n", tags[level], buf);
}

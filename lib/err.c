#include "lib/err.h"

#include <stdio.h>

int box_err_setv(struct box_err *err, int code, const char *fmt, va_list ap)
{
        if (code < 0)
                code = -code;
        if (code == 0)
                code = EIO;
        if (err) {
                err->code = code;
                err->exit_code = 0;
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        }
        return -code;
}

int box_err_set(struct box_err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = box_err_setv(err, code, fmt, ap);
        va_end(ap);
        return r;
}

int box_err_errno(struct box_err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = box_err_setv(err, code, fmt, ap);
        va_end(ap);
        if (err) {
                size_t n = strlen(err->msg);
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(err->code));
        }
        return r;
}

int box_err_prefix(struct box_err *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;
        if (err->code == 0)
                err->code = EIO;
        char prefix[512], old[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        if (old[0])
                snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
        else
                snprintf(err->msg, sizeof(err->msg), "%s", prefix);
        return -err->code;
}

void box_err_clear(struct box_err *err)
{
        if (err) {
                err->code = 0;
                err->exit_code = 0;
                err->msg[0] = '\0';
        }
}

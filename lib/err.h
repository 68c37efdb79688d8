/* Error reporting: every fallible function returns >= 0 or -errno and fills
 * a caller-owned struct box_err passed last.  The message is built from the
 * inside out ("outer: inner: cause"); only the CLI prints it.
 *
 * Invariant: after a failed call err->code > 0 and err->msg is a non-empty,
 * lowercase, one-line message.  err may be NULL when the caller does not
 * care about the detail. */
#pragma once

#include <stdarg.h>
#include "lib/macro.h"

struct box_err {
        int code;       /* positive errno */
        int exit_code;  /* 0: let the CLI pick (125); else the exit status asked for */
        char msg[1024]; /* "outer: inner: cause" */
};

int box_err_set(struct box_err *err, int code, const char *fmt, ...) _printf_(3, 4);
int box_err_setv(struct box_err *err, int code, const char *fmt, va_list ap);
/* Like box_err_set, and appends ": strerror(code)". */
int box_err_errno(struct box_err *err, int code, const char *fmt, ...) _printf_(3, 4);
int box_err_prefix(struct box_err *err, const char *fmt, ...) _printf_(2, 3);
void box_err_clear(struct box_err *err);

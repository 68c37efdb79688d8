/* What the template interpreter (format.c) and its functions
 * (format-funcs.c) share.  struct tpl is the interpreter's: the functions
 * only pass it back for errors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/macro.h"

struct tpl;
struct jv;
struct buf;

/* "template: ..." into the template's error; returns -EINVAL. */
int cli_tpl_error(struct tpl *t, const char *fmt, ...) _printf_(2, 3);
/* Is the table's header being printed (functions pass their first
 * argument through then, as docker's do for the titles)? */
bool cli_tpl_header(const struct tpl *t);
/* Go's truth: false, 0, "", nil, empty arrays and maps are false. */
bool cli_tpl_truthy(const struct jv *v);
/* V as {{.}} prints it: a string, the caller's. */
char *cli_tpl_text(const struct jv *v);
/* V in Go's %v form (map[k:v] [a b]) into B. */
void cli_tpl_print_go(struct buf *b, const struct jv *v, int depth);
/* Calls the template function NAME on ARGS: *RET a new value. */
int cli_tpl_call(struct tpl *t, const char *name, struct jv **args, size_t n, struct jv **ret);

/* A small subset of Go templates for --format, enough for the common
 * `{{.Field.Sub}}`, `{{json .Field}}`, `{{.}}` and literal text (with \t and
 * \n escapes), printing values the way Go's text/template prints them. */
#pragma once

#include "lib/err.h"

struct jv;

int cli_format_template(const char *tmpl, const struct jv *v, char **ret, struct box_err *err);

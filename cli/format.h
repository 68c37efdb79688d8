/* The Go text/template subset that docker's --format takes, evaluated over
 * JSON values:
 *   text, with \t and \n escapes; {{.Field.Sub}}, {{.}}, {{$}}, {{$var}};
 *   pipelines {{.ID | upper}}; parentheses; "strings", `raw`, numbers,
 *   true/false/nil; {{$x := ...}};
 *   {{if}}/{{else if}}/{{else}}/{{end}}, {{range [$i, $v :=] ...}}
 *   (arrays, and objects in key order) with {{else}}, {{with}}; trim
 *   markers {{- and -}}; comments (a slash-star action);
 *   functions json, index, len, join, split, upper, lower, title, pad,
 *   truncate, print, printf, println, eq, ne, lt, le, gt, ge, and, or, not.
 * Values print as Go prints them: [a b] for arrays, map[k:v] for objects,
 * <no value> for what is missing.  A leading "table " is dropped. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"

struct jv;

int cli_format_template(const char *tmpl, const struct jv *v, char **ret, struct box_err *err);
/* The same, but a field V does not have is an error, as it is for docker's
 * fixed row types ("can't evaluate field Nope"). */
int cli_format_template_strict(const char *tmpl, const struct jv *v, char **ret,
                               struct box_err *err);

/* "table" or "table TEMPLATE" */
bool cli_format_is_table(const char *format);

/* The header line of a table template: each field prints HEADERS' value for
 * it (docker's column titles, "IMAGE ID"), functions pass their argument
 * through, as docker's header functions do. */
int cli_format_header(const char *tmpl, const struct jv *headers, char **ret, struct box_err *err);

/* The HEADERS of cli_format_header() from a NULL-terminated list of
 * field, title pairs: the caller's. */
struct jv *cli_format_titles(const char *const *kv);

/* Prints LINES as Go's tabwriter (minwidth 10, padding 3) with the cells of
 * each line separated by tabs, the way docker prints its tables. */
void cli_format_tabwrite(char *const *lines);

/* A list command's rows (N objects) as docker prints them: FORMAT "json",
 * one object a line; a template, one line each; "table [TEMPLATE]", a
 * header of TITLES (as cli_format_titles()) above the rows, aligned as
 * cli_format_tabwrite().  A field a row lacks is an error, as in docker's
 * fixed row types; nothing is printed then. */
int cli_format_rows(const char *format, const char *const *titles, struct jv *const *rows, size_t n,
                    struct box_err *err);
/* A row as docker's `--format json` prints it: its formatter's map through
 * Go's json.Marshal, so keys sorted and <, > and & escaped (caller frees). */
char *cli_format_json_line(const struct jv *o);

/* Docker's formatter.Ellipsis: S cut to N characters, the last one "…"
 * (caller frees). */
char *cli_ellipsis(const char *s, size_t n);

/* A Labels object as k, v, ... (spec/oci.h's kv form; caller frees). */
char **cli_labels_kv(const struct jv *labels);
/* A Labels object as list commands print it: "k=v,k2=v2", sorted. */
char *cli_labels_text(const struct jv *labels);
/* cli_labels_match() over a Labels object (WANT NULL: true). */
bool cli_labels_match_json(char *const *want, const struct jv *labels);

/* inspect's output, as docker prints it: each object through FORMAT (a
 * template: one line each, printed at once) or, without one or with
 * "json", all of them as one indented JSON array at the end.
 * cli_inspect_add() takes O; < 0 (ERR set) when the template fails. */
int cli_inspect_add(const char *format, struct jv *arr, struct jv *o, struct box_err *err);
/* version --format, info --format: O (taken) as one line of JSON
 * ("json") or through template FORMAT. */
int cli_format_object(const char *format, struct jv *o, struct box_err *err);
/* Prints the array when it is the output, and frees it. */
void cli_inspect_finish(const char *format, struct jv *arr);

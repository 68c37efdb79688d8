/* Go's strconv.Quote, for the strings box must write byte for byte as a Go
 * program would: BuildKit's history entries ("created_by" of CMD,
 * ENTRYPOINT, ... in exec form is fmt's %q of a []string), which go into
 * the image config and so into its digest, and `dockerfile dump`.
 *
 * strconv.Quote: '"' and '\\' are backslashed; a printable rune
 * (unicode.IsPrint, see lib/utf8.h for the tables' Unicode version) is
 * kept as it is; \a \b \f \n \r \t \v by name; other runes below U+0020
 * and U+007F as \xNN, other non-printable runes as \uNNNN or \UNNNNNNNN;
 * a byte that does not start a valid UTF-8 sequence as \xNN.
 *
 * One box convention on top: a C string cannot hold NUL, so the Dockerfile
 * parser stores a "\u0000" of a JSON array as the overlong pair C0 80
 * (modified UTF-8); it is quoted as Go quotes the NUL it stands for,
 * "\x00". */
#pragma once

#include "lib/xalloc.h"

/* Appends S as a double-quoted Go string literal. */
void go_quote(struct buf *b, const char *s);

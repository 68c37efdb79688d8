/* Go's path.Clean (filepath.Clean on Linux), the lexical cleaning Docker
 * and BuildKit apply to Dockerfile paths, ignore patterns and mount
 * targets before they compare them:
 *   1. runs of '/' become one;  2. "." elements go;
 *   3. an inner ".." removes the element before it;
 *   4. ".." at the start of a rooted path goes ("/.." is "/");
 * the result has no trailing '/' but for "/" itself, and is "." when
 * nothing is left.  Nothing is resolved on disk: a symlink is a name. */
#pragma once

/* The cleaned PATH; caller frees. */
char *go_path_clean(const char *path);

/* A transcription of Go's path.Clean (the lazybuf algorithm, writing into
 * a buffer the length of the input plus room for ".."). */
#include "lib/go-path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

char *go_path_clean(const char *path)
{
        size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
        bool rooted;
        char *out;

        if (n == 0)
                return xstrdup(".");
        out = xmalloc(n + 4);
        rooted = path[0] == '/';
        if (rooted) {
                out[w++] = '/';
                r = dotdot = 1;
        }
        while (r < n) {
                if (path[r] == '/') {
                        r++;
                } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
                        r++;
                } else if (path[r] == '.' && path[r + 1] == '.' &&
                           (r + 2 == n || path[r + 2] == '/')) {
                        r += 2;
                        if (w > dotdot) {
                                w--;
                                while (w > dotdot && out[w] != '/')
                                        w--;
                        } else if (!rooted) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                dotdot = w;
                        }
                } else {
                        if ((rooted && w != 1) || (!rooted && w != 0))
                                out[w++] = '/';
                        for (; r < n && path[r] != '/'; r++)
                                out[w++] = path[r];
                }
        }
        if (w == 0) {
                free(out);
                return xstrdup(".");
        }
        out[w] = '\0';
        return out;
}

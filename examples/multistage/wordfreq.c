/* wordfreq: counts the words of its input and prints the N most frequent
 * ones ("count word" lines, most frequent first, ties in byte order).
 * Usage: wordfreq [-n N] < text */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct word {
        char *text;
        unsigned long count;
};

static struct word *words;
static size_t nwords, cap;

static void add(const char *w)
{
        for (size_t i = 0; i < nwords; i++)
                if (strcmp(words[i].text, w) == 0) {
                        words[i].count++;
                        return;
                }
        if (nwords == cap) {
                cap = cap ? cap * 2 : 64;
                words = realloc(words, cap * sizeof(*words));
                if (!words) {
                        perror("wordfreq");
                        exit(2);
                }
        }
        words[nwords].text = strdup(w);
        words[nwords++].count = 1;
}

static int by_count(const void *a, const void *b)
{
        const struct word *x = a, *y = b;
        if (x->count != y->count)
                return x->count < y->count ? 1 : -1;
        return strcmp(x->text, y->text);
}

int main(int argc, char **argv)
{
        long n = 10;
        int opt;
        char buf[256];
        size_t len = 0;
        int c;

        while ((opt = getopt(argc, argv, "n:")) != -1) {
                if (opt != 'n' || (n = strtol(optarg, NULL, 10)) <= 0) {
                        fprintf(stderr, "usage: wordfreq [-n N] < text\n");
                        return 2;
                }
        }
        while ((c = getchar()) != EOF) {
                if (isalnum(c) || c == '\'') {
                        if (len < sizeof(buf) - 1)
                                buf[len++] = (char)tolower(c);
                } else if (len) {
                        buf[len] = 0;
                        add(buf);
                        len = 0;
                }
        }
        if (len) {
                buf[len] = 0;
                add(buf);
        }
        qsort(words, nwords, sizeof(*words), by_count);
        for (size_t i = 0; i < nwords && i < (size_t)n; i++)
                printf("%lu %s\n", words[i].count, words[i].text);
        return 0;
}

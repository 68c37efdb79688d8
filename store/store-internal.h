/* Private to store/: the struct behind struct store. */
#pragma once

#include "store/store.h"

struct store {
        char *root;
        int root_fd;
        int lock_fd;   /* "lock": shared for adders/readers, exclusive for GC */
        int lock_mode; /* -1 none */
};

int store_index_lock(struct store *st, struct box_err *err);
void store_index_unlock(struct store *st, int fd);

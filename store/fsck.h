/* Checking the store: `box system fsck [--repair]`.
 *
 * Every blob is re-hashed; every index entry's manifest, config and layer
 * blobs must be present and intact and every layer it needs unpacked.
 * Leftovers of interrupted writers (tmp/, half-unpacked layers, blobs
 * nothing references) are not problems: they are counted, and GC removes
 * them.  With repair: corrupt blobs are removed, a missing unpacked layer
 * is unpacked again from its blob when that is intact, leftovers are
 * collected, and the images that still lack content are named.
 *
 * Ownership: the report's strvs are the caller's (store_fsck_report_release). */
#pragma once

#include "store/store.h"

struct store_fsck_report {
        char **problems;     /* one line each */
        char **repairs;      /* what --repair did */
        char **needs_repull; /* names (or ids) of images still broken */
        size_t n_blobs;      /* blobs checked */
        size_t n_images;     /* index entries checked */
        size_t n_leftovers;  /* unreferenced blobs/layers and temp files */
        int64_t leftover_bytes;
};

void store_fsck_report_release(struct store_fsck_report *r);

/* PINS and USERDATA go to store_gc (with repair): what else it keeps. */
int store_fsck(struct store *st, int repair, store_pins_fn *pins, void *userdata,
               struct store_fsck_report *ret, struct box_err *err);

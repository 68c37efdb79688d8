/* A container's struct run_spec on disk (spec.json in its state dir), so
 * that `box start`, a restart by its monitor and `box container cleanup`
 * run exactly what `box run`/`box create` prepared, without the image or
 * the flags.  The file is run/'s own: its shape follows struct run_spec
 * field by field and may change with it (a field added to run_spec must be
 * added to both functions of spec-file.c).
 *
 * Ownership: struct run_spec_file owns every string and array its spec
 * points to; run_spec_file_release() frees them. */
#pragma once

#include "run/run.h"

struct jv;

struct run_spec_file {
        struct run_spec spec;
        struct run_resources res;
        struct jv *doc; /* the parsed file: the spec's strings point into it */
        char **lowerdirs, **argv, **env, **group_add, **sysctls, **device_rules, **devices;
        struct run_mount *mounts;
        struct run_idmap *uid_map, *gid_map;
        struct run_rlimit *rlimits;
};

/* SPEC as JSON text (the caller's to free). */
char *run_spec_file_dump(const struct run_spec *spec);
/* Parses TEXT written by run_spec_file_dump() into RET. */
int run_spec_file_parse(const char *text, struct run_spec_file *ret, struct box_err *err);
void run_spec_file_release(struct run_spec_file *f);

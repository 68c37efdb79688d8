/* box's event log, as podman's "file" events backend keeps one: with no
 * daemon to stream them, each box command that acts on a container, image,
 * volume or network appends a record to RUNROOT/events/events.log, and
 * `box events` reads (and follows) that file.
 *
 * A record is one line of JSON, Docker's events message:
 *
 *     {"status":"start","id":"ID","from":"busybox","Type":"container",
 *      "Action":"start","Actor":{"ID":"ID","Attributes":{"image":"busybox",
 *      "name":"web"}},"scope":"local","time":1796590800,
 *      "timeNano":1796590800123456789}
 *
 * Writers never lock: each batch of records is one write(2) with O_APPEND
 * of at most RUN_EVENTS_MAX bytes (under PIPE_BUF, so no reader or writer
 * sees half of another's), attributes cut short to fit.  Past
 * RUN_EVENTS_LOG_MAX bytes the writer that notices renames the log to
 * events.log.1 (under an flock, replacing the older one), so the log keeps
 * between one and two times that much history, as podman's
 * events_logfile_max_size. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define RUN_EVENTS_MAX     4096
#define RUN_EVENTS_LOG_MAX (1024 * 1024)

struct run_event {
        const char *type;   /* container, image, volume, network */
        const char *action; /* start, die, health_status: healthy ... */
        const char *id;     /* the actor: a container's or image's id, a name */
        char *const *attrs; /* k, v, ... (NULL: none); Docker's Attributes */
        int64_t time_ns;    /* 0: now */
};

/* EVS as log lines, appended to BUF (N records; each one line). */
char *run_events_format(const struct run_event *evs, size_t n);
/* Appends LINES (run_events_format()'s) to RUNROOT's log in one write;
 * rotates the log first when it has grown past RUN_EVENTS_LOG_MAX. */
int run_events_write(const char *runroot, const char *lines, struct box_err *err);
/* Both: the records N EVS. */
int run_events_append(const char *runroot, const struct run_event *evs, size_t n,
                      struct box_err *err);
/* Now, in ns since the epoch: an event's time. */
int64_t run_events_now(void);
/* The log's path (ROTATED: the older one, events.log.1): the caller's. */
char *run_events_path(const char *runroot, int rotated);

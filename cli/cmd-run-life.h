/* `box run` and `box create`: the flags about the container's life after
 * the command (cmd-run-life.c).  Strings point into argv. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

struct jv;
struct oci_container_config;

struct cli_run_life {
        bool detach, no_healthcheck;
        const char *restart, *log_driver, *stop_signal, *stop_timeout;
        char **log_opts;
        const char *health_cmd, *health_interval, *health_timeout, *health_retries,
                *health_start_period, *health_start_interval;
        /* filled by cli_run_life_check() */
        const char *restart_name, *max_size, *max_file;
        int restart_max, retries;
        int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
        char **health_test;
};

void cli_run_life_release(struct cli_run_life *l);
/* Checks the flags (RM: --rm was given) and fills the parsed fields. */
int cli_run_life_check(struct cli_run_life *l, bool rm, struct box_err *err);
/* Adds them to config.json's CONFIG and HOST_CONFIG objects, with the
 * image's STOPSIGNAL and HEALTHCHECK as defaults. */
void cli_run_life_config(const struct cli_run_life *l, const struct oci_container_config *img,
                         struct jv *config, struct jv *host_config);
/* Go's duration syntax (10s, 1m30s, 500ms) -> nanoseconds. */
int cli_parse_duration(const char *s, int64_t *ret_ns);

/* The flags of `box run`/`box create` about a container's life after the
 * command: -d, --restart, --log-driver, --log-opt, --stop-signal,
 * --stop-timeout and the health check's, their checks, and what they put
 * in config.json (Docker's HostConfig.RestartPolicy, HostConfig.LogConfig,
 * Config.StopSignal, Config.StopTimeout, Config.Healthcheck). */
#include <sys/stat.h>

#include "cli/cmd-run-life.h"
#include "cli/container.h"
#include "lib/strv.h"
#include "run/run.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

void cli_run_life_release(struct cli_run_life *l)
{
        strv_free(l->log_opts);
        strv_free(l->health_test);
        *l = (struct cli_run_life){0};
}

/* Docker's time.ParseDuration subset: 30s, 1m30s, 500ms, 1.5h, 2us, 10ns.
 * Each number is digits[.digits] (no sign, "nan", "inf", hex or exponent,
 * which strtod() would take) and the total fits in int64 ns. */
int cli_parse_duration(const char *s, int64_t *ret_ns)
{
        static const struct {
                const char *unit;
                int64_t ns;
        } units[] = {{"ns", 1},           {"us", 1000},         {"ms", 1000000},
                     {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
        double total = 0;
        if (!s || !*s)
                return -EINVAL;
        if (streq(s, "0")) {
                *ret_ns = 0;
                return 0;
        }
        while (*s) {
                size_t ip = strspn(s, "0123456789"), fp = 0;
                if (s[ip] == '.')
                        fp = strspn(s + ip + 1, "0123456789");
                if (ip + fp == 0 || ip > 19)
                        return -EINVAL;
                double v = strtod(s, NULL);
                const char *end = s + ip + (s[ip] == '.' ? 1 + fp : 0);
                size_t best = 0, k = ARRAY_SIZE(units);
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strneq(end, units[i].unit, n) && n > best) {
                                best = n;
                                k = i;
                        }
                }
                if (k == ARRAY_SIZE(units))
                        return -EINVAL;
                total += v * (double)units[k].ns;
                if (total >= 9.2e18)
                        return -ERANGE;
                s = end + best;
        }
        *ret_ns = (int64_t)total;
        return 0;
}

static int check_restart(struct cli_run_life *l, struct box_err *err)
{
        const char *p = l->restart;
        if (!p || streq(p, "no") || streq(p, "always") || streq(p, "unless-stopped")) {
                l->restart_name = p ? p : "no";
                return 0;
        }
        if (startswith(p, "on-failure")) {
                l->restart_name = "on-failure";
                if (!p[10])
                        return 0;
                char *end;
                long n = p[10] == ':' ? strtol(p + 11, &end, 10) : -1;
                if (p[10] == ':' && end != p + 11 && !*end && n >= 0) {
                        l->restart_max = (int)n;
                        return 0;
                }
                return box_err_set(err, EINVAL, "invalid restart policy format: '%s'", p);
        }
        if (strchr(p, ':'))
                return box_err_set(err, EINVAL,
                                   "invalid restart policy format: maximum retry count can only be "
                                   "used with 'on-failure'");
        return box_err_set(err, EINVAL, "invalid restart policy '%s'", p);
}

static int check_log(struct cli_run_life *l, struct box_err *err)
{
        const char *d = l->log_driver ? l->log_driver : "k8s-file";
        if (streq(d, "json-file") || streq(d, "local"))
                d = "k8s-file"; /* one on-disk format; the same flags */
        if (!streq(d, "k8s-file") && !streq(d, "none") && !streq(d, "journald"))
                return box_err_set(err, EINVAL,
                                   "log driver '%s' is not supported (k8s-file, journald, none)",
                                   d);
        struct stat st;
        if (streq(d, "journald") && stat("/run/systemd/journal/socket", &st) < 0)
                return box_err_set(err, ENOENT,
                                   "--log-driver journald: journald is not running on this host");
        l->log_driver = d;
        STRV_FOREACH (o, l->log_opts) {
                const char *eq = strchr(*o, '=');
                int64_t v;
                if (!eq)
                        return box_err_set(err, EINVAL,
                                           "invalid --log-opt '%s': expected KEY=VALUE", *o);
                if (startswith(*o, "max-size=")) {
                        if (run_parse_bytes(eq + 1, &v) < 0 || v <= 0)
                                return box_err_set(err, EINVAL, "invalid --log-opt max-size '%s'",
                                                   eq + 1);
                        l->max_size = eq + 1;
                } else if (startswith(*o, "max-file=")) {
                        char *end;
                        long n = strtol(eq + 1, &end, 10);
                        if (end == eq + 1 || *end || n < 1)
                                return box_err_set(err, EINVAL,
                                                   "invalid --log-opt max-file '%s': at least 1",
                                                   eq + 1);
                        l->max_file = eq + 1;
                } else {
                        return box_err_set(err, EINVAL, "unknown --log-opt '%.*s' for '%s'",
                                           (int)(eq - *o), *o, d);
                }
        }
        return 0;
}

static int check_health(struct cli_run_life *l, struct box_err *err)
{
        struct {
                const char *flag, *v;
                int64_t *ret;
        } d[] = {{"--health-interval", l->health_interval, &l->interval_ns},
                 {"--health-timeout", l->health_timeout, &l->timeout_ns},
                 {"--health-start-period", l->health_start_period, &l->start_period_ns},
                 {"--health-start-interval", l->health_start_interval, &l->start_interval_ns}};
        for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
                if (d[i].v && cli_parse_duration(d[i].v, d[i].ret) < 0)
                        return box_err_set(err, EINVAL, "invalid %s '%s'", d[i].flag, d[i].v);
                if (d[i].v && *d[i].ret != 0 && *d[i].ret < 1000000)
                        return box_err_set(err, EINVAL, "%s cannot be less than 1ms", d[i].flag);
        }
        if (l->health_retries) {
                char *end;
                long n = strtol(l->health_retries, &end, 10);
                if (end == l->health_retries || *end || n < 0)
                        return box_err_set(err, EINVAL, "invalid --health-retries '%s'",
                                           l->health_retries);
                l->retries = (int)n;
        }
        if (l->no_healthcheck &&
            (l->health_cmd || l->health_interval || l->health_timeout || l->health_retries ||
             l->health_start_period || l->health_start_interval))
                return box_err_set(err, EINVAL,
                                   "--no-healthcheck conflicts with --health-* options");
        if (l->health_cmd)
                l->health_test = strv_append(strv_append(NULL, "CMD-SHELL"), l->health_cmd);
        return 0;
}

int cli_run_life_check(struct cli_run_life *l, bool rm, struct box_err *err)
{
        int r = check_restart(l, err);
        if (r >= 0 && rm && !streq(l->restart_name, "no"))
                r = box_err_set(err, EINVAL, "conflicting options: --restart and --rm");
        if (r >= 0 && l->stop_signal && cli_signal_parse(l->stop_signal) < 0)
                r = box_err_set(err, EINVAL, "invalid signal: '%s'", l->stop_signal);
        if (r >= 0 && l->stop_timeout) {
                char *end;
                (void)strtol(l->stop_timeout, &end, 10);
                if (end == l->stop_timeout || *end)
                        r = box_err_set(err, EINVAL, "invalid --stop-timeout '%s'",
                                        l->stop_timeout);
        }
        if (r >= 0)
                r = check_log(l, err);
        if (r >= 0)
                r = check_health(l, err);
        return r;
}

static struct jv *healthcheck_json(const struct cli_run_life *l,
                                   const struct oci_container_config *img)
{
        const struct oci_healthcheck *h = img ? img->healthcheck : NULL;
        if (l->no_healthcheck)
                return NULL;
        char *const *test = l->health_test ? l->health_test : h ? h->test : NULL;
        if (!test || !test[0] || streq(test[0], "NONE"))
                return NULL;
        struct jv *o = jv_object();
        jv_set(o, "Test", jv_strv(test));
        jv_set(o, "Interval", jv_int(l->health_interval ? l->interval_ns : h ? h->interval : 0));
        jv_set(o, "Timeout", jv_int(l->health_timeout ? l->timeout_ns : h ? h->timeout : 0));
        jv_set(o, "StartPeriod",
               jv_int(l->health_start_period ? l->start_period_ns
                      : h                    ? h->start_period
                                             : 0));
        jv_set(o, "Retries", jv_int(l->health_retries ? l->retries : h ? h->retries : 0));
        jv_set(o, "StartInterval",
               jv_int(l->health_start_interval ? l->start_interval_ns
                      : h                      ? h->start_interval
                                               : 0));
        return o;
}

void cli_run_life_config(const struct cli_run_life *l, const struct oci_container_config *img,
                         struct jv *config, struct jv *host_config)
{
        const char *sig = l->stop_signal ? l->stop_signal : img ? img->stop_signal : NULL;
        jv_set_str(config, "StopSignal", sig);
        if (l->stop_timeout)
                jv_set(config, "StopTimeout", jv_int(strtol(l->stop_timeout, NULL, 10)));
        struct jv *hc = healthcheck_json(l, img);
        if (hc)
                jv_set(config, "Healthcheck", hc);
        struct jv *rp = jv_object();
        jv_set_str(rp, "Name", l->restart_name ? l->restart_name : "no");
        jv_set(rp, "MaximumRetryCount", jv_int(l->restart_max));
        jv_set(host_config, "RestartPolicy", rp);
        struct jv *lc = jv_object(), *lo = jv_object();
        jv_set_str(lc, "Type", l->log_driver ? l->log_driver : "k8s-file");
        jv_set_str(lo, "max-size", l->max_size);
        jv_set_str(lo, "max-file", l->max_file);
        jv_set(lc, "Config", lo);
        jv_set(host_config, "LogConfig", lc);
}

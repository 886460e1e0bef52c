/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /containers/{id}/update: a new restart policy and new limits (memory, CPUs, pids),
 * kept in the container's config (and its HostConfig, which inspect shows) and, on a running
 * container, applied at once by its backend.
 */
#include "../backend/backend.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../store/db.h"
#include "config.h"
#include "container-events.h"
#include "containers.h"

#define MEMORY_MIN (6 * 1024 * 1024) /* Docker's */

/* An integer field of the body: 1 when it is there (*ret set), 0 absent, or -EINVAL. */
static int int_field(json_t *body, const char *key, json_int_t *ret, RossError *err)
{
        json_t *v = json_object_get(body, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return ross_errx(err, EINVAL, "invalid %s: a number is needed", key);
        *ret = json_integer_value(v);
        return 1;
}

int ross_containers_update(RossContainers *c, const char *ref, json_t *body, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r;
        if (!json_is_object(body))
                return ross_errx(err, EINVAL, "the request body is not a JSON object");
        if ((r = ross_containers_resolve(c, ref, &id, err)) < 0 ||
            (r = ross_containers_config_load(c, id, &row, &cfg, err)) < 0)
                return r;
        json_t *stored = json_object_get(row, "Config");
        json_t *hc = json_object_get(stored, "HostConfig");
        if (!json_is_object(hc)) {
                hc = json_object();
                json_object_set_new(stored, "HostConfig", hc);
        }
        unsigned what = 0;
        json_int_t memory = 0, nano = 0, quota = 0, period = 0, pids = 0;
        int has;
        if ((has = int_field(body, "Memory", &memory, err)) < 0)
                return has;
        if (has) {
                if (memory != 0 && memory < MEMORY_MIN)
                        return ross_errx(err, EINVAL, "Minimum memory limit allowed is 6MB");
                if (memory < 0)
                        memory = 0;
                cfg.memory = memory;
                json_object_set_new(hc, "Memory", json_integer(memory));
                what |= ROSS_UPDATE_MEMORY;
        }
        bool has_nano, has_quota;
        if ((has = int_field(body, "NanoCpus", &nano, err)) < 0)
                return has;
        has_nano = has && nano != 0;
        if ((has = int_field(body, "CpuQuota", &quota, err)) < 0 ||
            int_field(body, "CpuPeriod", &period, err) < 0)
                return has < 0 ? has : -EINVAL;
        has_quota = has && quota != 0;
        if (has_nano && has_quota)
                return ross_errx(err, EINVAL,
                                 "Conflicting options: CPU Quota cannot be updated as NanoCPUs "
                                 "has already been set");
        if (has_nano || json_object_get(body, "NanoCpus")) {
                if (nano < 0)
                        return ross_errx(err, EINVAL, "invalid NanoCpus: negative");
                cfg.nano_cpus = nano;
                json_object_set_new(hc, "NanoCpus", json_integer(nano));
                what |= ROSS_UPDATE_CPUS;
        } else if (has_quota) {
                /* a quota over a period, as CPUs */
                json_int_t p = period > 0 ? period : 100000;
                cfg.nano_cpus = quota > 0 ? quota * 1000000000 / p : 0;
                json_object_set_new(hc, "NanoCpus", json_integer(cfg.nano_cpus));
                what |= ROSS_UPDATE_CPUS;
        }
        if ((has = int_field(body, "PidsLimit", &pids, err)) < 0)
                return has;
        if (has) {
                cfg.pids_limit = pids > 0 ? pids : 0;
                json_object_set_new(hc, "PidsLimit", json_integer(pids));
                what |= ROSS_UPDATE_PIDS;
        }
        json_t *rp = json_object_get(body, "RestartPolicy");
        if (json_is_object(rp) && json_object_size(rp) > 0) {
                const char *name = json_string_value(json_object_get(rp, "Name"));
                json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
                if (STR_EMPTY(name))
                        name = "no";
                if (!STREQ(name, "no") && !STREQ(name, "always") &&
                    !STREQ(name, "unless-stopped") && !STREQ(name, "on-failure"))
                        return ross_errx(err, EINVAL, "invalid restart policy '%s'", name);
                if (max < 0 || max > INT32_MAX || (max > 0 && !STREQ(name, "on-failure")))
                        return ross_errx(err, EINVAL,
                                         "invalid restart policy: maximum retry count can only "
                                         "be used with 'on-failure', and not negative");
                if (cfg.auto_remove && !STREQ(name, "no"))
                        return ross_errx(err, EINVAL,
                                         "Restart policy cannot be updated because AutoRemove is "
                                         "enabled for the container");
                free(cfg.restart);
                cfg.restart = xstrdup(name);
                cfg.restart_max = (int)max;
                json_object_set_new(
                        hc, "RestartPolicy",
                        json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", max));
        }
        if (what && ross_containers_running(c, id)) {
                const RossBackend *be = ross_backend_find(cfg.runtime);
                if (!be || !be->update)
                        return ross_errx(err, EINVAL,
                                         "the %s runtime cannot change the limits of a running "
                                         "container: stop it, update, start it",
                                         cfg.runtime);
                if ((r = be->update(be, c, id, &cfg, what, err)) < 0)
                        return r;
        }
        if ((r = ross_containers_config_store(c, id, row, &cfg, err)) < 0)
                return r;
        log_debug("container %.12s updated", id);
        ross_container_event(c, id, "update", NULL);
        return 0;
}

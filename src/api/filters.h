/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"
#include "../container/containers.h"

/*
 * Docker's list filters: the `filters` query parameter of GET /containers/json and
 * GET /images/json, {"key": ["value", ...]} or the older {"key": {"value": true}}. A key
 * holds a set of values; the filter matches when every key matches (and a key matches
 * when one of its values does, label excepted: every label value must match).
 */
typedef struct RossFilters {
        json_t *fields; /* key -> object used as a set of values */
} RossFilters;

/* Parse text (NULL or "" is no filter). Anything else than the two shapes above is
 * -EINVAL "invalid filter" (Docker's words). On success the caller owns *ret. */
int ross_filters_parse(const char *text, RossFilters *ret, RossError *err);
void ross_filters_done(RossFilters *f);
/* -EINVAL "invalid filter 'KEY'" for the first key not in accepted (NULL-terminated). */
int ross_filters_validate(const RossFilters *f, const char *const *accepted, RossError *err);
bool ross_filters_contains(const RossFilters *f, const char *key);
/* The values of key as an object used as a set (borrowed), or NULL. */
json_t *ross_filters_values(const RossFilters *f, const char *key);
/* true if key has no values, or s is one of them. */
bool ross_filters_exact(const RossFilters *f, const char *key, const char *s);
/* true if key has no values, or s is one of them, or one of them (an extended regular
 * expression, unanchored as Go's regexp.MatchString) matches s. */
bool ross_filters_match(const RossFilters *f, const char *key, const char *s);
/* label=KEY and label=KEY=VALUE: true if key has no values, or labels (an object of
 * strings) has every KEY, with VALUE where one is given. */
bool ross_filters_match_kv(const RossFilters *f, const char *key, json_t *labels);
/* A boolean filter ("1"/"true", "0"/"false"): def if absent; -EINVAL "invalid filter
 * 'KEY=[...]'" if it has no value, another value, or both. */
int ross_filters_bool(const RossFilters *f, const char *key, bool def, bool *ret, RossError *err);
/* The prunes' until: its one value (a duration before now, an RFC 3339 time or Unix seconds)
 * as Unix seconds; -1 when there is none. -EINVAL with Docker's words for two values or one
 * that is none of those. */
int ross_filters_until(const RossFilters *f, double *ret, RossError *err);
/* The prunes' labels: label=KEY[=VALUE] all match, and label!=KEY[=VALUE] not all do. */
bool ross_filters_match_labels(const RossFilters *f, json_t *labels);

/* Turns what a user typed into an id: a container (name, id, prefix) or an image
 * (name[:tag], id, prefix). Errors are the resolver's ("No such container: X"). */
typedef int (*RossFilterResolveFn)(void *ud, const char *ref, char **ret_id, RossError *err);

typedef struct RossFilterResolvers {
        RossFilterResolveFn container;
        RossFilterResolveFn image;
        void *ud;
} RossFilterResolvers;

/* GET /containers/json: what the filters, `all` and `limit` (<= 0: none) keep, picked
 * from the containers newest first (ross_containers_list's RossContainerPick). */
typedef struct RossContainerFilter {
        RossFilters f;
        bool all;
        int limit, n;
        char *before_id; /* skip until this one has gone by */
        char *since_id;  /* stop at this one */
        bool ancestor;
        json_t *ancestor_ids; /* set of image ids */
        json_t *exited;       /* set of exit codes as strings, or NULL */
} RossContainerFilter;

/* Validate (unknown filter, bad status/health/exited value: -EINVAL; before/since of a
 * container that does not exist: the resolver's error) and prepare. */
int ross_container_filter_init(RossContainerFilter *cf, const char *filters, bool all, int limit,
                               const RossFilterResolvers *res, RossError *err);
void ross_container_filter_done(RossContainerFilter *cf);
/* A RossContainerPick: ud is the RossContainerFilter. */
bool ross_container_filter_pick(void *ud, const RossContainerInfo *ci, bool *ret_stop);

/* GET /images/json: keep what the filters (dangling, label, reference, before, since,
 * until) pick of list (Docker's image summaries; consumed), with RepoTags and RepoDigests
 * cut to the references that match a reference filter, as Docker does. */
int ross_filter_images(const char *filters, json_t *list, const RossFilterResolvers *res,
                       json_t **ret, RossError *err);

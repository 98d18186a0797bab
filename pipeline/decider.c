/*
 * decider: one alert per rule per story across a consumer group (see decider.h).
 *
 * Candidates are small JSON documents on an internal topic; deciding one is a parse, a
 * story observation (MinHash over title and lead, about 12 us) and a lookup in a fixed
 * table of (rule, story key) -> when it last fired. The table, like the one the pipeline
 * keeps for a single instance, forgets an older entry on a collision, which can at worst
 * repeat an alert; with 16,384 slots and alerts being rare that is remote.
 */
#include "decider.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "encode.h"
#include "err.h"
#include "story.h"

#define SEEN_SLOTS 16384

typedef struct seen {
    uint64_t hash;
    int64_t at_ms;
} seen_t;

typedef struct undo {
    uint32_t slot;
    seen_t old;
} undo_t;

struct nf_decider {
    nf_story_t *story;
    int64_t window_ms;
    seen_t *seen;
    uint64_t decided, fired;
    undo_t *undo; /* slots changed since the checkpoint, oldest first */
    size_t undo_n, undo_cap;
};

nf_decider_t *nf_decider_new(const nf_decider_opts_t *opts, char *errstr, size_t errstr_size)
{
    nf_decider_t *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    d->window_ms = opts && opts->window_ms > 0 ? opts->window_ms : NF_STORY_WINDOW_MS;
    nf_story_opts_t sopts = {.window_ms = d->window_ms,
                             .max_entries = opts ? opts->max_entries : 0};
    d->story = nf_story_new(&sopts, errstr, errstr_size);
    d->seen = calloc(SEEN_SLOTS, sizeof(*d->seen));
    if (!d->story || !d->seen) {
        if (d->story)
            snprintf(errstr, errstr_size, "out of memory");
        nf_decider_destroy(d);
        return NULL;
    }
    return d;
}

void nf_decider_destroy(nf_decider_t *d)
{
    if (!d)
        return;
    nf_story_destroy(d->story);
    free(d->seen);
    free(d->undo);
    free(d);
}

int nf_candidate_encode(const char *rule, const char *article_id, const char *title,
                        const char *lead, int64_t at_ms, const char *alert_json, size_t len,
                        nf_buf_t *out)
{
    if (!rule || !*rule || !article_id || !*article_id || !alert_json || len == 0 || !out)
        return NF_EINVAL;
    nf_buf_printf(out, "{\"schema\":\"%s\",\"rule\":", NF_CANDIDATE_SCHEMA);
    nf_json_string(out, rule);
    nf_buf_printf(out, ",\"at\":%" PRId64 ",\"article_id\":", at_ms);
    nf_json_string(out, article_id);
    if (title) {
        nf_buf_append(out, ",\"title\":", 9);
        nf_json_string(out, title);
    }
    if (lead && *lead) {
        /* the story stage reads no more than this; cut on a UTF-8 character boundary */
        size_t n = strlen(lead);
        if (n > NF_STORY_LEAD_MAX) {
            n = NF_STORY_LEAD_MAX;
            while (n > 0 && ((unsigned char)lead[n] & 0xC0) == 0x80)
                n--;
        }
        nf_buf_append(out, ",\"lead\":", 8);
        nf_json_string_n(out, lead, n);
    }
    nf_buf_append(out, ",\"alert\":", 9);
    nf_buf_append(out, alert_json, len);
    nf_buf_append(out, "}", 1);
    return NF_OK;
}

static const char *string_field(const cJSON *root, const char *name, bool required,
                                const char **missing)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (cJSON_IsString(item) && item->valuestring)
        return item->valuestring;
    if ((required || item) && !*missing)
        *missing = name; /* absent though required, or present but not a string */
    return NULL;
}

/* Sets obj.name to the string value, replacing or adding it. */
static bool set_string(cJSON *obj, const char *name, const char *value)
{
    cJSON *item = cJSON_CreateString(value);
    if (!item)
        return false;
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);
    return cJSON_AddItemToObject(obj, name, item);
}

int nf_decider_decide(nf_decider_t *d, const char *value, size_t len, bool rebuild,
                      nf_decision_t *dec, nf_buf_t *out, char *errstr, size_t errstr_size)
{
    if (!d || !value || !dec || !out) {
        snprintf(errstr, errstr_size, "no candidate");
        return NF_EINVAL;
    }
    memset(dec, 0, sizeof(*dec));
    cJSON *root = cJSON_ParseWithLengthOpts(value, len, NULL, false);
    if (!cJSON_IsObject(root)) {
        snprintf(errstr, errstr_size, "alert candidate is not a JSON object");
        cJSON_Delete(root);
        return NF_EINVAL;
    }
    const char *missing = NULL;
    const char *schema = string_field(root, "schema", true, &missing);
    const char *rule = string_field(root, "rule", true, &missing);
    const char *article_id = string_field(root, "article_id", true, &missing);
    const char *title = string_field(root, "title", false, &missing);
    const char *lead = string_field(root, "lead", false, &missing);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "at");
    cJSON *alert = cJSON_GetObjectItemCaseSensitive(root, "alert");
    int rc = NF_EINVAL;
    if (missing) {
        snprintf(errstr, errstr_size, "alert candidate without a string \"%s\"", missing);
        goto done;
    }
    if (strcmp(schema, NF_CANDIDATE_SCHEMA)) {
        snprintf(errstr, errstr_size, "alert candidate of unknown schema \"%.64s\"", schema);
        goto done;
    }
    if (!*rule || strlen(rule) >= sizeof(dec->rule) || !*article_id) {
        snprintf(errstr, errstr_size, "alert candidate with an empty or over-long rule or id");
        goto done;
    }
    if (!cJSON_IsNumber(at) || !(at->valuedouble >= 0 && at->valuedouble < 9e15)) {
        snprintf(errstr, errstr_size, "alert candidate without a valid \"at\" time");
        goto done;
    }
    if (!cJSON_IsObject(alert)) {
        snprintf(errstr, errstr_size, "alert candidate without an \"alert\" object");
        goto done;
    }

    int64_t at_ms = (int64_t)at->valuedouble;
    nf_story_info_t info;
    if (nf_story_observe(d->story, article_id, title, lead, at_ms, &info)) {
        snprintf(errstr, errstr_size, "out of memory");
        rc = NF_ENOMEM;
        goto done;
    }
    snprintf(dec->rule, sizeof(dec->rule), "%s", rule);
    snprintf(dec->story_key, sizeof(dec->story_key), "%s", info.key);
    snprintf(dec->article_id, sizeof(dec->article_id), "%s", article_id);
    nf_alert_id_named(rule, info.key, dec->alert_id, sizeof(dec->alert_id));

    uint64_t h = nf_fnv1a(NF_FNV_SEED, rule, strlen(rule) + 1);
    h = nf_fnv1a(h, info.key, strlen(info.key));
    seen_t *slot = &d->seen[h % SEEN_SLOTS];
    bool first = !(slot->hash == h && at_ms - slot->at_ms < d->window_ms);
    if (first && d->undo_n == d->undo_cap) {
        size_t cap = d->undo_cap ? d->undo_cap * 2 : 64;
        undo_t *u = realloc(d->undo, cap * sizeof(*u));
        if (!u) {
            snprintf(errstr, errstr_size, "out of memory");
            rc = NF_ENOMEM;
            goto done;
        }
        d->undo = u;
        d->undo_cap = cap;
    }
    if (first) {
        d->undo[d->undo_n++] = (undo_t){(uint32_t)(h % SEEN_SLOTS), *slot};
        slot->hash = h;
        slot->at_ms = at_ms;
    }
    if (!rebuild) {
        d->decided++;
        dec->fire = first;
    }
    if (dec->fire) {
        d->fired++;
        char *text = NULL;
        if (set_string(alert, "alert_id", dec->alert_id) &&
            set_string(alert, "story_key", dec->story_key))
            text = cJSON_PrintUnformatted(alert);
        if (!text) {
            snprintf(errstr, errstr_size, "out of memory");
            rc = NF_ENOMEM;
            goto done;
        }
        nf_buf_append(out, text, strlen(text));
        cJSON_free(text);
    }
    rc = NF_OK;
done:
    cJSON_Delete(root);
    return rc;
}

void nf_decider_checkpoint(nf_decider_t *d)
{
    if (d)
        d->undo_n = 0;
}

void nf_decider_rollback(nf_decider_t *d)
{
    if (!d)
        return;
    while (d->undo_n > 0) {
        const undo_t *u = &d->undo[--d->undo_n];
        d->seen[u->slot] = u->old;
    }
}

uint64_t nf_decider_decided(const nf_decider_t *d)
{
    return d ? d->decided : 0;
}

uint64_t nf_decider_fired(const nf_decider_t *d)
{
    return d ? d->fired : 0;
}

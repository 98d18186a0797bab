/*
 * Unit test for pipeline/decider: the candidate format, one alert per rule and story
 * across near-copies (different article ids and small edits, as copies arriving from
 * different instances would be), a different rule or story firing on its own, the
 * window, rebuilding the state from replayed candidates (nothing fires, and the next
 * copy is still recognised), the alert document rewritten with the decider's story key
 * and alert id, and every kind of malformed candidate refused with a reason.
 */
#include "alerts.h"
#include "decider.h"
#include "err.h"
#include "test.h"

#include <cjson/cJSON.h>

static const char LEAD[] =
    "Ferrovia Systems agreed to buy the chip-design software maker Quillon for $2.4 billion in "
    "cash, the companies said on Monday, in a deal that would give Ferrovia tools for the "
    "design of AI accelerators. The boards of both companies have approved the transaction.";

static const char ALERT[] =
    "{\"schema\":\"newsflow.alert.v1\",\"alert_id\":\"alr-0000000000000000\","
    "\"rule\":\"big-deals\",\"story_key\":\"sty-local\",\"title\":\"t\"}";

static void candidate(nf_buf_t *out, const char *rule, const char *id, const char *title,
                      const char *lead, int64_t at_ms)
{
    nf_buf_reset(out);
    CHECK_INT(nf_candidate_encode(rule, id, title, lead, at_ms, ALERT, strlen(ALERT), out), NF_OK);
}

static int decide(nf_decider_t *d, const nf_buf_t *cand, bool rebuild, nf_decision_t *dec,
                  nf_buf_t *alert)
{
    char err[256] = "";
    nf_buf_reset(alert);
    int rc = nf_decider_decide(d, cand->data, cand->len, rebuild, dec, alert, err, sizeof(err));
    if (rc)
        fprintf(stderr, "  decide: %s\n", err);
    return rc;
}

static void test_one_alert_per_story(void)
{
    char err[256];
    nf_decider_opts_t opts = {.window_ms = 3600 * 1000};
    nf_decider_t *d = nf_decider_new(&opts, err, sizeof(err));
    CHECK(d != NULL);
    if (!d)
        return;
    nf_buf_t cand = {0}, alert = {0};
    nf_decision_t dec, first;
    const int64_t t0 = 1790000000000LL;

    candidate(&cand, "big-deals", "a-1", "Ferrovia to buy Quillon for $2.4 billion", LEAD, t0);
    CHECK_INT(decide(d, &cand, false, &first, &alert), NF_OK);
    CHECK(first.fire);
    CHECK_STR(first.rule, "big-deals");
    char id[24];
    nf_alert_id_named("big-deals", first.story_key, id, sizeof(id));
    CHECK_STR(first.alert_id, id);
    /* the alert document now carries the decider's story key and alert id */
    nf_buf_append(&alert, "", 1);
    cJSON *doc = cJSON_Parse(alert.data);
    CHECK(doc != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "story_key")), first.story_key);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "alert_id")), first.alert_id);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "title")), "t");
    cJSON_Delete(doc);

    /* a syndicated copy from another instance: other id, other suffix, later */
    candidate(&cand, "big-deals", "b-7", "Ferrovia to buy Quillon for $2.4 billion - Wire", LEAD,
              t0 + 60000);
    CHECK_INT(decide(d, &cand, false, &dec, &alert), NF_OK);
    CHECK(!dec.fire);
    CHECK_INT(alert.len, 0);
    CHECK_STR(dec.story_key, first.story_key);
    CHECK_STR(dec.alert_id, first.alert_id);

    /* the same story under another rule alerts once for that rule */
    candidate(&cand, "watch-ferrovia", "c-2", "Ferrovia to buy Quillon for $2.4 billion", LEAD,
              t0 + 70000);
    CHECK_INT(decide(d, &cand, false, &dec, &alert), NF_OK);
    CHECK(dec.fire);
    CHECK(strcmp(dec.alert_id, first.alert_id) != 0);

    /* another story under the first rule alerts */
    candidate(&cand, "big-deals", "d-1", "Helios Energy buys Tonopah solar farm developer",
              "Helios Energy said it would acquire a Nevada solar developer for $900 million.",
              t0 + 80000);
    CHECK_INT(decide(d, &cand, false, &dec, &alert), NF_OK);
    CHECK(dec.fire);
    CHECK(strcmp(dec.story_key, first.story_key) != 0);

    /* after the window the story may alert again */
    candidate(&cand, "big-deals", "e-3", "Ferrovia to buy Quillon for $2.4 billion", LEAD,
              t0 + 2 * 3600 * 1000);
    CHECK_INT(decide(d, &cand, false, &dec, &alert), NF_OK);
    CHECK(dec.fire);
    CHECK_INT(nf_decider_decided(d), 5);
    CHECK_INT(nf_decider_fired(d), 4);

    nf_buf_free(&cand);
    nf_buf_free(&alert);
    nf_decider_destroy(d);
}

/* A new owner of the partition replays the window in rebuild mode, then carries on. */
static void test_rebuild(void)
{
    char err[256];
    nf_decider_t *d = nf_decider_new(NULL, err, sizeof(err));
    CHECK(d != NULL);
    if (!d)
        return;
    nf_buf_t cand = {0}, alert = {0};
    nf_decision_t dec, first;
    const int64_t t0 = 1790000000000LL;

    candidate(&cand, "big-deals", "a-1", "Ferrovia to buy Quillon for $2.4 billion", LEAD, t0);
    CHECK_INT(decide(d, &cand, true, &first, &alert), NF_OK);
    CHECK(!first.fire); /* rebuilding never fires */
    CHECK_INT(alert.len, 0);
    candidate(&cand, "big-deals", "b-2", "Ferrovia to buy Quillon for $2.4 billion | Daily", LEAD,
              t0 + 1000);
    CHECK_INT(decide(d, &cand, false, &dec, &alert), NF_OK);
    CHECK(!dec.fire); /* already alerted before the rebalance */
    CHECK_STR(dec.story_key, first.story_key);
    CHECK_INT(nf_decider_decided(d), 1);
    CHECK_INT(nf_decider_fired(d), 0);

    /* the same replay in another decider gives the same keys: deterministic */
    nf_decider_t *d2 = nf_decider_new(NULL, err, sizeof(err));
    candidate(&cand, "big-deals", "a-1", "Ferrovia to buy Quillon for $2.4 billion", LEAD, t0);
    nf_decision_t again;
    CHECK_INT(decide(d2, &cand, false, &again, &alert), NF_OK);
    CHECK(again.fire);
    CHECK_STR(again.story_key, first.story_key);
    CHECK_STR(again.alert_id, first.alert_id);
    nf_decider_destroy(d2);

    /* exactly-once: an aborted transaction's decisions are undone */
    nf_decider_checkpoint(d);
    candidate(&cand, "big-deals", "x-1", "Helios Energy buys Tonopah solar farm developer", NULL,
              t0 + 5000);
    nf_decision_t x1, x2;
    CHECK_INT(decide(d, &cand, false, &x1, &alert), NF_OK);
    CHECK(x1.fire);
    nf_decider_rollback(d);
    CHECK_INT(decide(d, &cand, false, &x2, &alert), NF_OK);
    CHECK(x2.fire); /* decided again, and fires again: the first alert was aborted */
    CHECK_STR(x2.alert_id, x1.alert_id);
    nf_decider_checkpoint(d);
    nf_decider_rollback(d); /* nothing since the checkpoint: nothing undone */
    CHECK_INT(decide(d, &cand, false, &x2, &alert), NF_OK);
    CHECK(!x2.fire);

    nf_buf_free(&cand);
    nf_buf_free(&alert);
    nf_decider_destroy(d);
}

static void test_malformed(void)
{
    char err[256];
    nf_decider_t *d = nf_decider_new(NULL, err, sizeof(err));
    CHECK(d != NULL);
    if (!d)
        return;
    static const char *const bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"rule\":\"r\",\"at\":1,\"article_id\":\"a\",\"alert\":{}}", /* no schema */
        "{\"schema\":\"other.v9\",\"rule\":\"r\",\"at\":1,\"article_id\":\"a\",\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"at\":1,\"article_id\":\"a\",\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"\",\"at\":1,\"article_id\":\"a\","
        "\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":\"x\",\"article_id\":"
        "\"a\",\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":-5,\"article_id\":\"a\","
        "\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":1,\"alert\":{}}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":1,\"article_id\":\"a\","
        "\"alert\":[]}",
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":1,\"article_id\":\"a\","
        "\"title\":7,\"alert\":{}}",
    };
    nf_buf_t alert = {0};
    nf_decision_t dec;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        nf_buf_reset(&alert);
        int rc =
            nf_decider_decide(d, bad[i], strlen(bad[i]), false, &dec, &alert, err, sizeof(err));
        if (rc != NF_EINVAL)
            fprintf(stderr, "  accepted bad candidate %zu: %s\n", i, bad[i]);
        CHECK_INT(rc, NF_EINVAL);
        CHECK(err[0] != '\0');
        CHECK(!dec.fire);
        CHECK_INT(alert.len, 0);
    }
    CHECK_INT(nf_decider_decided(d), 0);

    /* an alert document without the two fields gets them */
    static const char minimal[] =
        "{\"schema\":\"newsflow.alert-candidate.v1\",\"rule\":\"r\",\"at\":1,\"article_id\":\"a\","
        "\"alert\":{\"x\":1}}";
    CHECK_INT(nf_decider_decide(d, minimal, strlen(minimal), false, &dec, &alert, err, sizeof(err)),
              NF_OK);
    CHECK(dec.fire);
    nf_buf_append(&alert, "", 1);
    CHECK(strstr(alert.data, "\"alert_id\":\"alr-") != NULL);
    CHECK(strstr(alert.data, "\"story_key\":\"sty-") != NULL);

    /* encoding refuses what cannot make a candidate */
    nf_buf_t out = {0};
    CHECK_INT(nf_candidate_encode(NULL, "a", NULL, NULL, 1, ALERT, strlen(ALERT), &out), NF_EINVAL);
    CHECK_INT(nf_candidate_encode("r", "", NULL, NULL, 1, ALERT, strlen(ALERT), &out), NF_EINVAL);
    CHECK_INT(nf_candidate_encode("r", "a", NULL, NULL, 1, NULL, 0, &out), NF_EINVAL);
    CHECK_INT(out.len, 0);
    /* a long lead is cut to what the story stage reads, on a character boundary */
    char lead[2000];
    for (size_t i = 0; i + 2 < sizeof(lead); i += 2) {
        lead[i] = (char)0xC3;
        lead[i + 1] = (char)0xA9; /* é */
    }
    lead[sizeof(lead) - 2] = 'x';
    lead[sizeof(lead) - 1] = '\0';
    CHECK_INT(nf_candidate_encode("r", "a", "t", lead, 1, ALERT, strlen(ALERT), &out), NF_OK);
    nf_buf_append(&out, "", 1);
    cJSON *doc = cJSON_Parse(out.data);
    CHECK(doc != NULL);
    const char *l = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "lead"));
    CHECK(l && strlen(l) <= 500 && strlen(l) % 2 == 0);
    cJSON_Delete(doc);
    nf_buf_free(&out);
    nf_buf_free(&alert);
    nf_decider_destroy(d);
}

int main(void)
{
    test_one_alert_per_story();
    test_rebuild();
    test_malformed();
    TEST_DONE();
}

/*
 * decider: one alert per rule per story across a consumer group.
 *
 * Each instance of a group sees only its own input partitions, so the copies of one
 * story (syndicated, re-reported) that arrive on different partitions meet different
 * story states, and each instance would alert once. Instead of alerting, an instance
 * publishes an alert candidate to an internal topic (alerts.candidates.topic) keyed by
 * the rule's name: all candidates of a rule land in one partition of that topic, which
 * one member of the group consumes. That member's decider keeps its own story state
 * (the same MinHash near-duplicate detection as the story stage, over the title and
 * lead the candidate carries) and lets the first candidate of each (rule, story)
 * within the novelty window through as the alert; later copies are dropped.
 *
 * Time is the candidate's creation time, never the decider's clock, so replaying the
 * candidates of the last window rebuilds exactly the state that decided them: after a
 * restart or a rebalance the new owner of a partition re-reads the candidates from one
 * window before its committed offset up to it, in rebuild mode (state only, nothing
 * fires), and carries on. The story key in the alert (and the alert id, which is derived
 * from rule and story key) are the decider's; the enriched event's story.key is the
 * instance's own.
 *
 * A decider is for one thread at a time.
 */
#ifndef NF_DECIDER_H
#define NF_DECIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define NF_CANDIDATE_SCHEMA "newsflow.alert-candidate.v1"

typedef struct nf_decider nf_decider_t;

typedef struct nf_decider_opts {
    int64_t window_ms;    /* one alert per rule and story within this; 0: 24 h */
    uint32_t max_entries; /* candidates whose text is held at most; 0: 100,000 */
} nf_decider_opts_t;

/* A decider, or NULL with the reason in errstr. opts may be NULL (defaults). */
nf_decider_t *nf_decider_new(const nf_decider_opts_t *opts, char *errstr, size_t errstr_size);
/* NULL is a no-op. */
void nf_decider_destroy(nf_decider_t *decider);

/*
 * Appends an alert candidate to out (not reset first): rule name, the article's id,
 * title and lead (each may be NULL; the lead is cut to what the story stage reads), the
 * creation time at_ms (epoch ms) and the alert document alert_json (len bytes, a JSON
 * object as nf_alert_encode() writes it). Returns 0, or NF_EINVAL for a missing rule,
 * article id or alert.
 */
int nf_candidate_encode(const char *rule, const char *article_id, const char *title,
                        const char *lead, int64_t at_ms, const char *alert_json, size_t len,
                        nf_buf_t *out);

/* What nf_decider_decide() made of a candidate. */
typedef struct nf_decision {
    bool fire;         /* the first of its (rule, story) in the window: send the alert */
    char rule[65];     /* the rule's name */
    char alert_id[24]; /* "alr-" + 16 hex: rule and the decider's story key */
    char story_key[24];
    char article_id[256]; /* the article that raised the candidate (cut if longer) */
} nf_decision_t;

/*
 * Decides one candidate (value, len bytes, as nf_candidate_encode() wrote it). When
 * rebuild is true only the state is updated and fire is always false. When fire is true
 * the alert document, with story_key and alert_id set to the decider's, is appended to
 * out. Returns 0, or NF_EINVAL with the reason in errstr for a candidate that is not one
 * (the caller dead-letters it); the state is then untouched.
 */
int nf_decider_decide(nf_decider_t *decider, const char *value, size_t len, bool rebuild,
                      nf_decision_t *decision, nf_buf_t *out, char *errstr, size_t errstr_size);

/*
 * Exactly-once: nf_decider_checkpoint() when a transaction begins, and
 * nf_decider_rollback() when it is aborted, so that the candidates decided in it are
 * decided again (and their alerts sent again, in the next transaction) when the input
 * is reprocessed. The story state is not rolled back and need not be: observing an
 * article id again repeats its first result.
 */
void nf_decider_checkpoint(nf_decider_t *decider);
void nf_decider_rollback(nf_decider_t *decider);

/* Candidates decided so far, and of them alerts let through (rebuilds not counted). */
uint64_t nf_decider_decided(const nf_decider_t *decider);
uint64_t nf_decider_fired(const nf_decider_t *decider);

#endif

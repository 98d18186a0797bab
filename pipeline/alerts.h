/*
 * alerts: the alert rules subscribers write (rules/alerts.conf, format in docs/alerts.md),
 * their validation, their evaluation against one enriched article, and the alert
 * document (schema newsflow.alert.v1, docs/schemas/alert.v1.json) a firing rule sends.
 *
 * A rule is a conjunction of conditions, each optional: categories (any of, all of), a
 * minimum category score, a minimum amount in USD (after conversion from the static
 * table of nf_currency_to_usd(), optionally only for some kinds of amount), watch-listed
 * entities with their aliases, the roles those entities must play, a publisher allow
 * list and keywords. It also has a severity and destinations (the alerts topic and/or
 * webhook URLs). A rule set is validated as a whole when it is loaded: anything wrong
 * fails the load with a message that names the file, the line and the rule, so that a
 * bad rule stops start-up or is refused on reload while the old set stays in force.
 *
 * Evaluation reads a neutral view of the article (nf_alert_view_t), not the classifier's
 * or the extractor's structs, so that rules are tested without them and those modules
 * can change freely; the caller fills the view from their results. A loaded rule set is
 * immutable: any number of threads may evaluate it at once.
 *
 * Deciding once per story (one alert per rule and story key within the novelty window)
 * and replay suppression are the caller's: this module only says whether a rule matches
 * and writes the alert.
 */
#ifndef NF_ALERTS_H
#define NF_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define NF_ALERT_MAX_CATEGORIES 3  /* deal, funding, infrastructure */
#define NF_ALERT_ID_LEN         20 /* "alr-" + 16 hex */

/* One money amount of the article. */
typedef struct nf_alert_amount {
    double value;         /* in units of currency; for a range, its low bound */
    const char *currency; /* ISO 4217 code ("USD", "EUR") */
    const char *kind;     /* what it measures: "investment", "round_size", "valuation",
                             "capex", "revenue", "commitment", "price", "other"; NULL */
} nf_alert_amount_t;

/* One entity named in the article. */
typedef struct nf_alert_entity {
    const char *name;         /* canonical or as written */
    const char *type;         /* "organization", "person", "location"; NULL */
    const char *const *roles; /* role names: "investor", "lead_investor", "acquirer",
                                 "target", "seller", "fundraiser", "partner", "operator",
                                 "customer", "supplier" */
    int nroles;
} nf_alert_entity_t;

/*
 * What a rule is evaluated against. The caller owns every pointer; the view and what it
 * points to need to live only for the call. categories lists the categories the
 * classifier assigned ("deal", "funding", "infrastructure"), with their scores in [0, 1];
 * an article of category "other" has ncat = 0. Any string may be NULL, any count 0.
 */
typedef struct nf_alert_view {
    const char *categories[NF_ALERT_MAX_CATEGORIES];
    float scores[NF_ALERT_MAX_CATEGORIES];
    int ncat;
    const nf_alert_amount_t *amounts;
    int namounts;
    const nf_alert_entity_t *entities;
    int nentities;
    const char *source; /* publisher name */
    const char *title;
    const char *summary;
    const char *body;
} nf_alert_view_t;

typedef enum {
    NF_ALERT_INFO = 0,
    NF_ALERT_WARNING = 1,
    NF_ALERT_CRITICAL = 2,
} nf_alert_severity_t;

typedef struct nf_alert_rules nf_alert_rules_t;
typedef struct nf_alert_rule nf_alert_rule_t;

/*
 * Loads and validates the rules file at path. Returns the rule set (owned by the caller;
 * free with nf_alert_rules_destroy), or NULL with a message in errstr naming the file,
 * the line and the rule at fault ("rules/alerts.conf:12: rule \"big-deal\": unknown key
 * \"min_amout\"").
 */
nf_alert_rules_t *nf_alert_rules_load(const char *path, char *errstr, size_t errstr_size);

/*
 * As nf_alert_rules_load(), from the text <text, len> (need not be NUL-terminated);
 * name stands for the file name in messages.
 */
nf_alert_rules_t *nf_alert_rules_parse(const char *name, const char *text, size_t len, char *errstr,
                                       size_t errstr_size);

/* Frees the rule set and every rule in it. NULL is a no-op. */
void nf_alert_rules_destroy(nf_alert_rules_t *rules);

/* Number of rules (0 for NULL). */
int nf_alert_rules_count(const nf_alert_rules_t *rules);

/*
 * Rule i, in file order, or NULL when out of range. Owned by the set: valid until
 * nf_alert_rules_destroy().
 */
const nf_alert_rule_t *nf_alert_rules_get(const nf_alert_rules_t *rules, int i);

/* The rule named name, or NULL. */
const nf_alert_rule_t *nf_alert_rules_find(const nf_alert_rules_t *rules, const char *name);

/* Accessors. Strings are owned by the rule set. */
const char *nf_alert_rule_name(const nf_alert_rule_t *rule);
/* "" when the rule has none. */
const char *nf_alert_rule_description(const nf_alert_rule_t *rule);
/* Line of the rule's [rule NAME] header. */
int nf_alert_rule_line(const nf_alert_rule_t *rule);
nf_alert_severity_t nf_alert_rule_severity(const nf_alert_rule_t *rule);
/* "info", "warning", "critical". */
const char *nf_alert_severity_name(nf_alert_severity_t severity);

/* Destinations, in file order: "topic" (the alerts topic) or an http(s):// URL. */
int nf_alert_rule_destination_count(const nf_alert_rule_t *rule);
const char *nf_alert_rule_destination(const nf_alert_rule_t *rule, int i);
/* Whether the destinations include the alerts topic. */
bool nf_alert_rule_to_topic(const nf_alert_rule_t *rule);

/*
 * Whether every condition of rule holds for view. When why is not NULL, a human-readable
 * account is appended to it: on a match, what matched, "; "-separated ("category deal
 * 0.93; amount USD 50 bn (investment) >= USD 1 bn; watch-list Amazon as investor"); on
 * no match, "no match: " and the first condition that failed (conditions are checked in
 * the order categories and score, sources, amount, watch-list and roles, keywords).
 */
bool nf_alert_rule_matches(const nf_alert_rule_t *rule, const nf_alert_view_t *view, nf_buf_t *why);

/*
 * value in currency iso converted to USD with the static reference table (documented in
 * docs/alerts.md, with its as-of date; legacy euro-zone currencies through their fixed
 * euro rates). *known (may be NULL) says whether iso (case-insensitive) is in the table;
 * when it is not, the result is 0.
 */
double nf_currency_to_usd(double value, const char *iso, bool *known);

/* The date the reference rates are for ("YYYY-MM-DD"). */
const char *nf_currency_table_date(void);

/*
 * The alert id of rule for story_key: "alr-" + 16 hex, the same in every process, so
 * that one story yields one alert id per rule. Use it as the alert's Kafka key.
 */
void nf_alert_id(const nf_alert_rule_t *rule, const char *story_key, char *buf, size_t size);
/* The same, from the rule's name (the alert decider knows rules by name only). */
void nf_alert_id_named(const char *rule_name, const char *story_key, char *buf, size_t size);

/*
 * Appends the alert document (newsflow.alert.v1) for rule firing on view to out (not
 * reset first): schema, alert_id, rule, severity, story_key, fired_at (now_ms, epoch
 * ms), event_id, article_id, title and source (omitted when NULL), the categories with
 * scores, the three largest amounts in USD, the watch-listed entities that matched, and
 * why. Returns 0; NF_EINVAL, appending nothing, when an argument is NULL or the rule
 * does not match the view.
 */
int nf_alert_encode(const nf_alert_rule_t *rule, const nf_alert_view_t *view, const char *event_id,
                    const char *article_id, const char *story_key, int64_t now_ms, nf_buf_t *out);

#endif

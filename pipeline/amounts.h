/*
 * amounts: finds money expressions in a tokenised field and decides what each one
 * measures.
 *
 * An amount needs an explicit currency marker: a symbol or code before the number
 * ("$", "US$", "C$", "€", "£", "¥", "₹", "USD", "Rs"), or a currency word after it
 * ("dollars", "dlrs", "euros", "marks", "yen", "cts", pence as "20.9p"). Scales may be
 * glued ("$50B", "€300m", "$195k") or written out ("50 billion", "26.5 mln", "325
 * crore"). "$1-2 billion" and "$40 to $50 billion" are ranges; "up to", "more than" and
 * "nearly" qualifiers are kept out of the value. Cashtags ("$TMUS") and bare numbers
 * are not money.
 *
 * The kind (investment, round_size, valuation, ...) is scored from the lexical cues of
 * the words around the amount in its sentence, nearer words counting more, with a few
 * fixed constructions ("valued at", "for $X" after an acquisition verb, "raises $X at
 * $Y") taking precedence; the article's categories break ties.
 */
#ifndef NF_AMOUNTS_H
#define NF_AMOUNTS_H

#include <stddef.h>

#include "extract.h"
#include "tokens.h"

typedef struct nf_money {
    double value, value_high; /* value_high 0 unless a range */
    char currency[4];
    size_t first, last; /* token range of the expression, inclusive */
    size_t num;         /* token of the (first) number */
    nf_amount_kind_t kind;
    int confidence; /* kind score, for choosing among mentions of one amount */
} nf_money_t;

/*
 * Finds money expressions in the tokens of text and stores at most max of them in out,
 * in text order, with kinds chosen for an article of the given NF_EXTRACT_{DEAL,FUNDING,INFRA}
 * categories. Returns the number stored.
 */
size_t nf_amounts_find(const char *text, const nf_toks_t *toks, unsigned category_mask,
                       nf_money_t *out, size_t max);

#endif

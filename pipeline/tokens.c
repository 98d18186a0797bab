/*
 * tokens: the one pass over each text field that every extractor shares.
 *
 * Words are runs of ASCII letters and digits and of non-ASCII letters; a '.' between
 * two word characters stays inside the word ("3.9", "Amazon.com", "U.S"), as does a ','
 * between digits ("1,052.86") and an apostrophe inside a name ("D'Ieteren"). The
 * possessive "'s" becomes a token of its own so that "OpenAI's" names OpenAI. Every
 * other character (hyphen, '&', '$', '€', quotes, dashes) is a one-character token.
 * The lexicon is an open-addressing table of word hashes to cue bits; a word can carry
 * several cues ("deal" is both a contract word and a commitment cue for amounts).
 */
#include "tokens.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "err.h"

struct lex_slot {
    uint64_t cues;
    uint32_t tag; /* upper half of the word hash, never 0; 0 marks an empty slot */
    uint16_t word;
    uint16_t pad;
};

struct nf_lexicon {
    struct lex_slot *slots; /* one 16-byte slot per entry: one cache line per probe */
    size_t mask;
};

/*
 * Table slot of a hash: its low bits. Token hashes end in a full finaliser, so every
 * bit is well spread already, and the tag takes the high half.
 */
static size_t lex_slot(const nf_lexicon_t *lexicon, uint64_t h)
{
    return (size_t)h & lexicon->mask;
}

static uint32_t lex_tag(uint64_t h)
{
    return (uint32_t)(h >> 32) | 1u;
}

/* Cue bits and (in *word) the NF_W_* id of a token hash: nf_lexicon_lookup, inlined. */
static inline uint64_t lex_lookup(const nf_lexicon_t *lexicon, uint64_t hash, uint16_t *word)
{
    uint32_t tag = lex_tag(hash);
    const struct lex_slot *slots = lexicon->slots;
    size_t i = lex_slot(lexicon, hash);
    while (slots[i].tag) {
        if (slots[i].tag == tag) {
            *word = slots[i].word;
            return slots[i].cues;
        }
        i = (i + 1) & lexicon->mask;
    }
    *word = NF_W_NONE;
    return 0;
}

typedef struct lex_list {
    int cue;
    const char *const *words;
} lex_list_t;

#define L(name, ...) static const char *const name[] = {__VA_ARGS__, NULL}

L(W_VALUATION, "valuation", "valuations", "valued", "valuing", "values", "value", "post-money",
  "pre-money", "postmoney", "premoney", "capitalization", "capitalisation", "cap", "worth");
L(W_ROUND, "round", "rounds", "series", "seed", "pre-seed", "preseed", "funding", "financing",
  "fundraise", "fundraising", "raise", "raises", "raised", "raising", "venture", "backed",
  "extension", "tranche");
L(W_INVEST, "invest", "invests", "invested", "investing", "investment", "investments", "backs",
  "injects", "inject", "pours", "pour", "check", "cheque", "bet", "infusion", "stake", "takes",
  "take");
L(W_BUILD, "build", "builds", "building", "built", "construct", "constructing", "construction",
  "expand", "expands", "expanding", "expansion", "facility", "facilities", "plant", "plants",
  "factory", "campus", "infrastructure", "capex", "develop", "deploy", "deploying", "deployment",
  "upgrade", "project", "megafab", "fab", "manufacturing", "site", "hub", "centre", "center",
  "centers", "centres", "datacenter", "datacentre", "datacenters", "datacentres", "locations",
  "spend", "spending", "cluster", "supercomputer");
L(W_REVENUE, "revenue", "revenues", "sales", "profit", "profits", "loss", "losses", "earnings",
  "eps", "ffo", "income", "shr", "net", "turnover", "quarter", "quarterly", "beats", "misses",
  "ebitda", "margin", "sales", "billings", "arr", "bookings", "q1", "q2", "q3", "q4", "fiscal",
  "annual", "record");
L(W_COMMIT, "contract", "contracts", "deal", "agreement", "commitment", "commitments", "commit",
  "commits", "committed", "committing", "pledge", "pledges", "pledged", "lease", "leases",
  "spending", "spend", "procurement", "purchase", "month", "monthly", "annually", "year", "years",
  "multiyear", "multi-year", "order", "orders", "award", "awarded", "capacity", "compute", "cloud",
  "computing", "buy");
L(W_PRICE, "price", "priced", "pricing", "pay", "pays", "paid", "paying", "payment", "payments",
  "offer", "offers", "offered", "bid", "bids", "per", "share", "cash-and-stock", "consideration",
  "for", "valuing", "redeem", "redemption", "exercise");
L(W_OTHERMONEY, "loan", "loans", "bond", "bonds", "debt", "notes", "note", "ipo", "offering",
  "grant", "grants", "donation", "donate", "donates", "donated", "fund", "funds", "dividend",
  "dividends", "div", "distribution", "proceeds", "credit", "incentives", "subsidy", "subsidies",
  "tax", "fine", "fined", "penalty", "settlement", "salary", "prices", "charges", "placement",
  "convertible", "lend", "lending", "borrow", "aid", "emergency", "bailout", "reserves", "assets",
  "spent", "costs", "cost", "savings", "wealth", "billionaire", "fortune", "taxpayer", "debentures",
  "debenture", "refinance", "refinancing", "high-yield", "yield", "junk", "banks", "lenders",
  "rights");
L(W_DEBT, "loan", "loans", "bond", "bonds", "debt", "notes", "debentures", "debenture", "ipo",
  "offering", "convertible", "credit", "placement", "lend", "lending", "borrow", "borrowing",
  "banks", "lenders", "refinance", "refinancing", "yield", "junk", "grant", "grants", "donation",
  "donated", "dividend", "dividends", "div", "distribution", "bailout", "rights");
L(W_ACQUIRE, "acquire", "acquires", "acquired", "acquiring", "acquisition", "acquisitions", "buy",
  "buys", "bought", "buying", "buyout", "purchase", "purchases", "purchased", "purchasing",
  "takeover", "takeovers", "snaps", "picks", "scoops", "merger", "snap", "pick", "absorb",
  "absorbs", "gobble", "gobbles", "nab", "nabs", "bid", "bids");
L(W_SELL, "sell", "sells", "sold", "selling", "sale", "divest", "divests", "divested",
  "divestiture", "offload", "offloads", "spin", "spins", "dispose", "disposal");
L(W_MERGE, "merge", "merges", "merged", "merger", "mergers", "merging", "combine", "combines",
  "combination", "tie-up");
L(W_PARTNER, "partner", "partners", "partnered", "partnering", "partnership", "partnerships",
  "teams", "team", "collaborate", "collaborates", "collaboration", "alliance", "allies",
  "cooperation", "joins", "tie-up", "pact");
L(W_CONTRACT, "deal", "deals", "agreement", "agreements", "contract", "contracts", "signs",
  "signed", "sign", "inks", "ink", "inked", "wins", "win", "won", "awarded", "award", "supply",
  "licensing", "license", "licence", "distribute", "distribution", "lease", "leaseback", "offtake",
  "ppa", "order", "tap", "taps", "selects", "chooses", "picks");
L(W_RAISE, "raise", "raises", "raised", "raising", "lands", "land", "landed", "secures", "secure",
  "secured", "closes", "closed", "nabs", "bags", "gets", "got", "pulls", "pulled", "takes",
  "receives", "received", "snags", "scores", "grabs", "collects", "attracts", "emerges",
  "announces", "completes", "completion", "funding", "funds", "hauls", "rakes");
L(W_STAKE, "stake", "stakes", "share", "shares", "holding", "equity", "interest", "majority",
  "minority", "controlling", "remaining", "entire");
L(W_LEAD, "led", "leads", "lead", "co-led", "co-leads", "leading", "spearheaded");
L(W_SUPPLY, "supply", "supplier", "supplies", "license", "licensing", "licence", "distribute",
  "distributor", "distribution", "cloud", "compute", "computing", "chips", "chip", "gpus", "gpu",
  "accelerators", "capacity", "servers", "reseller", "provider", "vendor", "power", "energy",
  "electricity", "nuclear", "paint");
L(W_JV, "joint", "jv", "venture");
L(W_TALKS, "talks", "negotiations", "negotiating", "negotiate", "negotiates", "discussions",
  "discussing", "in-talks", "nearing", "nears", "close");
L(W_RUMOR, "reportedly", "report", "reports", "reported", "sources", "source", "considering",
  "considers", "weighing", "weighs", "exploring", "explores", "eyes", "eyeing", "mulls", "mulling",
  "wsj", "bloomberg", "reuters", "rumor", "rumored", "rumour", "rumoured", "possible", "potential",
  "could", "may", "might", "plans", "wants", "preparing", "seeking", "seeks");
L(W_COMPLETE, "completes", "completed", "complete", "completion", "closes", "closed", "closing",
  "finalizes", "finalises", "finalized", "finalised", "concludes", "concluded");
L(W_TERMINATE, "terminated", "terminate", "terminates", "termination", "abandon", "abandons",
  "abandoned", "abandoning", "scrapped", "scraps", "scrap", "called", "calls", "cancel", "cancels",
  "cancelled", "canceled", "walk", "walks", "walking", "collapse", "collapsed", "collapses", "ends",
  "ended", "drops", "dropped", "pulls", "pull", "plug");
L(W_BLOCK, "blocks", "blocked", "block", "blocking", "rejects", "rejected", "vetoes", "vetoed",
  "prohibits", "prohibited", "bars", "barred");
L(W_PENDING, "pending", "pause", "paused", "pauses", "approval", "approve", "approves", "approved",
  "expected", "awaiting", "await", "review", "reviews", "probe", "antitrust", "regulatory",
  "clearance", "subject", "lawsuit", "suit", "sues", "court", "judge", "enforce");
L(W_ANNOUNCE, "announces", "announced", "announce", "agrees", "agreed", "agree", "signs", "signed",
  "definitive", "unveils", "unveiled", "confirms", "confirmed", "inks", "strikes", "struck",
  "will");
L(W_DC, "datacenter", "datacentre", "datacenters", "datacentres", "data-center", "campus",
  "campuses", "colocation", "hyperscale", "centre", "center", "centers", "centres", "stargate");
L(W_COMPUTE, "computing", "supercomputer", "supercomputers", "cluster", "clusters", "supercluster",
  "gpus", "gpu", "exascale", "compute", "accelerators", "colossus", "superpod", "petaflops",
  "exaflops");
L(W_FAB, "fab", "fabs", "megafab", "foundry", "foundries", "semiconductor", "chipmaking", "wafer",
  "wafers");
L(W_REGION, "region", "regions", "availability", "zone", "zones");
L(W_NETWORK, "fiber", "fibre", "broadband", "ftth", "subsea", "undersea", "submarine", "cable",
  "cables", "5g", "lte", "network", "networks", "towers", "tower", "satellite", "satellites",
  "constellation", "backhaul", "internet", "multi-gig", "gigabit", "wireless", "spectrum", "4g",
  "3g");
L(W_POWER, "power", "nuclear", "reactor", "reactors", "smr", "smrs", "ppa", "electricity", "solar",
  "wind", "geothermal", "gas-fired", "fusion", "megawatts", "gigawatts", "grid", "energy",
  "substation");
L(W_FUNC, "the", "a", "an", "of", "to", "in", "on", "for", "with", "from", "by", "at", "as", "and",
  "or", "is", "are", "was", "were", "be", "been", "its", "their", "his", "her", "it", "they",
  "will", "would", "has", "have", "had", "that", "this", "these", "those", "new", "after", "amid",
  "over", "into", "about", "than", "up", "out", "says", "said", "say", "not", "but", "also", "more",
  "most", "all", "some", "any", "each", "other", "which", "who", "whom", "what", "when", "where",
  "why", "how", "can", "could", "should", "may", "might", "must", "do", "does", "did", "so", "if",
  "then", "just", "now", "today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday",
  "thursday", "friday", "saturday", "sunday", "we", "our", "us", "you", "your", "i", "my", "he",
  "she", "him", "them", "there", "here", "via", "per", "while", "despite", "under", "against",
  "between", "through", "during", "before", "ahead", "within", "without", "across", "behind",
  "beyond", "toward", "towards", "upon", "off", "near", "set", "first", "second", "third", "last",
  "next", "another", "both", "such", "only", "reportedly", "report", "update", "watch", "breaking",
  "exclusive", "why", "inside", "here's", "big", "huge", "major", "massive", "latest", "deal",
  "deals", "sources", "plan", "plans", "agreement", "talks", "report", "its", "what", "whats",
  "back", "january", "february", "march", "april", "june", "july", "august", "september", "october",
  "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
  "nov", "dec");
L(W_DESC, "startup", "start-up", "startups", "firm", "firms", "company", "companies", "maker",
  "makers", "chipmaker", "automaker", "carmaker", "provider", "providers", "platform", "giant",
  "giants", "operator", "developer", "unit", "subsidiary", "division", "business", "service",
  "services", "owner", "rival", "retailer", "insurer", "lender", "carrier", "app", "brand",
  "specialist", "player", "outfit", "group's", "parent", "holder", "manufacturer", "supplier",
  "designer", "producer", "distributor", "builder", "creator", "pioneer", "leader", "vendor",
  "spinout", "spin-off", "spinoff", "venture", "arm", "affiliate", "network", "site", "website",
  "marketplace", "exchange", "bank", "fund", "investor", "investors", "billionaire", "founder",
  "co-founder", "ceo", "chief", "ai", "tech", "fintech", "biotech", "healthtech", "edtech",
  "proptech", "insurtech", "saas", "software", "cybersecurity", "security", "crypto", "blockchain",
  "robotics", "analytics", "media", "energy", "delivery", "health", "data", "backers");
L(W_FROM, "from");
L(W_BY, "by");
L(W_WITH, "with", "alongside");
L(W_IN, "in", "into");
L(W_TO, "to");
L(W_FOR, "for");
L(W_AND, "and", "&", "plus");
L(W_AT, "at");
L(W_OF, "of");
L(W_VERB, "says", "said", "say", "plans", "planned", "plan", "opens", "opened", "open", "launches",
  "launched", "launch", "unveils", "unveiled", "announces", "announced", "announce", "reports",
  "reported", "files", "filed", "hires", "hired", "names", "named", "gets", "got", "wins", "won",
  "makes", "made", "will", "would", "to", "is", "are", "was", "were", "has", "have", "had",
  "becomes", "became", "expands", "expanded", "starts", "started", "begins", "began", "breaks",
  "broke", "switches", "switched", "brings", "brought", "deploys", "deployed", "invests",
  "invested", "leads", "led", "agrees", "agreed", "signs", "signed", "inks", "inked", "teams",
  "joins", "joined", "partners", "partnered", "buys", "bought", "acquires", "acquired", "sells",
  "sold", "raises", "raised", "closes", "closed", "lands", "landed", "secures", "secured", "takes",
  "took", "completes", "completed", "receives", "received", "debuts", "goes", "went", "pulls",
  "eyes", "weighs", "mulls", "considers", "explores", "nears", "offers", "offered", "bids",
  "confirms", "confirmed", "collaborates", "picks", "snaps", "taps", "selects", "backs", "backed",
  "emerges", "nabs", "bags", "scores", "grabs", "hauls", "rakes", "attracts", "collects", "snags",
  "pays", "paid", "builds", "built", "begins", "kicks", "breaks", "moves", "seeks", "wants",
  "drops", "cancels", "scraps", "abandons", "blocks", "approves", "rejects", "terminates", "ends",
  "could", "may", "might", "can", "should", "must", "does", "did", "do", "been", "being", "be",
  "hits", "tops", "reaches", "surges", "soars", "jumps", "falls", "plunges", "valued", "valuing",
  "worth", "commits", "pledges", "unveiling", "announcing", "raising", "acquiring", "buying",
  "selling", "investing", "partnering", "building", "expanding", "launching", "opening", "taking",
  "making", "signing", "closing", "completing", "preparing", "walking", "calls", "called", "gives",
  "gave", "puts", "put", "adds", "added", "cuts", "cut");
L(W_GOV, "government", "governments", "state", "states", "ministry", "minister", "council",
  "councillors", "councils", "regulator", "regulators", "authority", "board", "commission",
  "county", "city", "department", "agency", "administration", "parliament", "senate", "congress",
  "court", "judge", "president", "governor", "mayor", "federal", "national", "eu", "doe", "fcc",
  "ftc", "sec", "doj", "cma", "cfius");
L(W_NATION, "american", "british", "chinese", "japanese", "german", "french", "dutch", "canadian",
  "indian", "italian", "spanish", "swiss", "swedish", "korean", "australian", "brazilian",
  "mexican", "russian", "israeli", "saudi", "emirati", "european", "asian", "african", "irish",
  "scottish", "norwegian", "danish", "finnish", "belgian", "austrian", "polish", "turkish",
  "singaporean", "taiwanese", "vietnamese", "indonesian", "thai", "malaysian", "filipino",
  "nigerian", "kenyan", "egyptian", "argentine", "chilean", "colombian", "peruvian", "portuguese",
  "greek", "czech", "hungarian", "ukrainian", "qatari", "western", "eastern", "northern",
  "southern", "global", "international", "national", "federal", "state", "u.s.-based", "us-based",
  "middle");
L(W_CUSTOMER, "customer", "customers", "client", "clients", "lessee", "tenant", "buyer");
L(W_CURRENCY, "us", "u.s", "c", "ca", "can", "a", "au", "nz", "hk", "s", "sg", "r", "nt", "mx",
  "usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "inr", "cny", "rmb", "hkd", "sgd", "nzd", "sek",
  "nok", "dkk", "krw", "brl", "mxn", "zar", "aed", "sar", "rs", "rp", "dollars", "dollar", "dlrs",
  "dlr", "euros", "euro", "sterling", "pounds", "yen", "yuan", "renminbi", "rupees", "rupee",
  "marks", "francs", "kronor", "kroner", "won", "baht", "kina", "ringgit", "rand", "lire", "lira",
  "guilders", "pesos", "riyals", "dirhams", "cts", "cents", "pence", "american", "canadian",
  "australian", "singapore", "taiwan", "swiss", "french", "german", "thousand", "k", "million",
  "millions", "mln", "mn", "m", "mil", "billion", "billions", "bln", "bn", "b", "t", "trillion",
  "tn", "trn", "crore", "crores", "lakh", "lakhs", "crowns", "norwegian", "swedish", "danish",
  "czech");

static const lex_list_t LEX[] = {
    {NF_CUE_VALUATION, W_VALUATION},
    {NF_CUE_ROUND, W_ROUND},
    {NF_CUE_INVEST, W_INVEST},
    {NF_CUE_BUILD, W_BUILD},
    {NF_CUE_REVENUE, W_REVENUE},
    {NF_CUE_COMMIT, W_COMMIT},
    {NF_CUE_PRICE, W_PRICE},
    {NF_CUE_OTHERMONEY, W_OTHERMONEY},
    {NF_CUE_ACQUIRE, W_ACQUIRE},
    {NF_CUE_SELL, W_SELL},
    {NF_CUE_MERGE, W_MERGE},
    {NF_CUE_PARTNER, W_PARTNER},
    {NF_CUE_CONTRACT, W_CONTRACT},
    {NF_CUE_RAISE, W_RAISE},
    {NF_CUE_STAKE, W_STAKE},
    {NF_CUE_LEAD, W_LEAD},
    {NF_CUE_SUPPLY, W_SUPPLY},
    {NF_CUE_JV, W_JV},
    {NF_CUE_TALKS, W_TALKS},
    {NF_CUE_RUMOR, W_RUMOR},
    {NF_CUE_COMPLETE, W_COMPLETE},
    {NF_CUE_TERMINATE, W_TERMINATE},
    {NF_CUE_BLOCK, W_BLOCK},
    {NF_CUE_PENDING, W_PENDING},
    {NF_CUE_ANNOUNCE, W_ANNOUNCE},
    {NF_CUE_DC, W_DC},
    {NF_CUE_COMPUTE, W_COMPUTE},
    {NF_CUE_FAB, W_FAB},
    {NF_CUE_REGION, W_REGION},
    {NF_CUE_NETWORK, W_NETWORK},
    {NF_CUE_POWER, W_POWER},
    {NF_CUE_FUNC, W_FUNC},
    {NF_CUE_DESC, W_DESC},
    {NF_CUE_FROM, W_FROM},
    {NF_CUE_BY, W_BY},
    {NF_CUE_WITH, W_WITH},
    {NF_CUE_IN, W_IN},
    {NF_CUE_TO, W_TO},
    {NF_CUE_FOR, W_FOR},
    {NF_CUE_AND, W_AND},
    {NF_CUE_AT, W_AT},
    {NF_CUE_OF, W_OF},
    {NF_CUE_VERB, W_VERB},
    {NF_CUE_GOV, W_GOV},
    {NF_CUE_CUSTOMER, W_CUSTOMER},
    {NF_CUE_CURRENCY, W_CURRENCY},
    {NF_CUE_DEBT, W_DEBT},
    {NF_CUE_NATION, W_NATION},
};

/*
 * Byte classes: 1 ASCII letter or digit, 2 upper case, 4 lower case, 8 digit; 16 an
 * ASCII byte that always ends a word (not a letter, digit, '.', ',' or apostrophe).
 */
enum { B_ALNUM = 1, B_UPPER = 2, B_LOWER = 4, B_DIGIT = 8, B_STOP = 16 };
static const uint8_t BYTE_CLASS[256] = {
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 0,  16, 16, 16, 16, 0,  16, 0,  16,
    9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  16, 16, 16, 16, 16, 16, 16, 3,  3,  3,  3,  3,  3,  3,
    3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  16, 16, 16, 16, 16,
    16, 5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
    5,  5,  5,  16, 16, 16, 16, 16, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

/* ASCII lower-casing; every other byte maps to itself. */
static const uint8_t FOLD[256] = {
    0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,  17,  18,
    19,  20,  21,  22,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,
    38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  52,  53,  54,  55,  56,
    57,  58,  59,  60,  61,  62,  63,  64,  97,  98,  99,  100, 101, 102, 103, 104, 105, 106, 107,
    108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 91,  92,  93,  94,
    95,  96,  97,  98,  99,  100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113,
    114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132,
    133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151,
    152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170,
    171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
    190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208,
    209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227,
    228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255,
};

static bool is_word_byte(unsigned char c)
{
    return BYTE_CLASS[c] & B_ALNUM;
}

/*
 * Length of a UTF-8 letter at p (0 when the sequence there is punctuation, a currency
 * sign, a space or invalid). General punctuation (U+2000..U+206F), currency signs
 * (U+20A0..U+20CF) and Latin-1 symbols (U+00A0..U+00BF, U+00D7, U+00F7) are not letters.
 */
static size_t utf8_letter(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    if (c < 0xc2)
        return 0;
    n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xc2)
        return 0;
    if (c == 0xc3 && (p[1] == 0x97 || p[1] == 0xb7))
        return 0;
    if (c == 0xe2 && (p[1] == 0x80 || p[1] == 0x81 || p[1] == 0x82))
        return 0;
    if (c == 0xe3 && p[1] == 0x80)
        return 0;
    if (c == 0xef && (p[1] == 0xbb || p[1] == 0xbc || p[1] == 0xbf))
        return 0;
    return n;
}

/* Length of any UTF-8 sequence at p (1 for ASCII or a stray byte). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if ((size_t)(end - p) < n)
        n = (size_t)(end - p);
    return n ? n : 1;
}

static bool is_apostrophe(const unsigned char *p, const unsigned char *end, size_t *n)
{
    if (p[0] == '\'') {
        *n = 1;
        return true;
    }
    if (end - p >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x99) {
        *n = 3;
        return true;
    }
    return false;
}

static unsigned char fold(unsigned char c)
{
    return FOLD[c];
}

/*
 * The token hash: the normalised bytes (ASCII lower-cased, Latin-1 capitals folded, '.'
 * left out, the typographic apostrophe as ') packed eight to a word and mixed once per
 * word, so hashing costs a shift per byte rather than a multiply. nf_tok_hash and the
 * tokeniser's scan_word feed the same bytes, so their hashes agree.
 */
typedef struct hasher {
    uint64_t h, acc;
    unsigned nb;
} hasher_t;

static inline void hs_init(hasher_t *hs)
{
    hs->h = 0x9ae16a3b2f90404full;
    hs->acc = 0;
    hs->nb = 0;
}

static inline void hs_put(hasher_t *hs, unsigned char b)
{
    hs->acc |= (uint64_t)b << (hs->nb * 8);
    if (++hs->nb == 8) {
        hs->h = (hs->h ^ hs->acc) * 0x9e3779b97f4a7c15ull;
        hs->h ^= hs->h >> 29;
        hs->acc = 0;
        hs->nb = 0;
    }
}

static inline uint64_t hs_end(const hasher_t *hs)
{
    uint64_t h = (hs->h ^ hs->acc ^ ((uint64_t)hs->nb << 59)) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h ? h : 1;
}

/* The 8 bytes at p as the hasher packs them: the first in the low byte. */
static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/*
 * Feeds a run of n ASCII letters and digits, lower-cased (which for these bytes is
 * setting bit 0x20: digits have it already), exactly as n calls of hs_put would: whole
 * words of 8 at a time once the hasher is on a word boundary, and a shorter rest with
 * one load when 8 bytes can be read there (end: the end of the readable text).
 */
static inline void hs_put_alnum(hasher_t *hs, const unsigned char *p, size_t n,
                                const unsigned char *end)
{
    while (n && hs->nb) {
        hs_put(hs, (unsigned char)(*p++ | 0x20));
        n--;
    }
    for (; n >= 8; n -= 8, p += 8) {
        hs->h = (hs->h ^ (load_le64(p) | 0x2020202020202020ull)) * 0x9e3779b97f4a7c15ull;
        hs->h ^= hs->h >> 29;
    }
    if (n && p + 8 <= end) {
        /* the last n < 8 bytes with one load: the hasher is on a word boundary here */
        uint64_t keep = (1ull << (n * 8)) - 1;
        hs->acc = (load_le64(p) | 0x2020202020202020ull) & keep;
        hs->nb = (unsigned)n;
        return;
    }
    for (; n; n--)
        hs_put(hs, (unsigned char)(*p++ | 0x20));
}

uint64_t nf_tok_hash(const char *ptr, size_t len)
{
    hasher_t hs;
    const unsigned char *p = (const unsigned char *)ptr;
    hs_init(&hs);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c == '.' && len > 1)
                continue;
            hs_put(&hs, FOLD[c]);
            continue;
        }
        if (c == 0xc3 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9e && p[i + 1] != 0x97) {
            /* Latin-1 capitals (U+00C0..U+00DE) fold to their small letters */
            hs_put(&hs, c);
            hs_put(&hs, (unsigned char)(p[i + 1] + 0x20));
            i++;
            continue;
        }
        if (c == 0xe2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] == 0x99) {
            c = '\''; /* the typographic apostrophe hashes as ' */
            i += 2;
        }
        hs_put(&hs, c);
    }
    return hs_end(&hs);
}

bool nf_tok_is(const char *text, const nf_tok_t *tok, const char *str)
{
    const char *p = text + tok->start;
    for (uint32_t i = 0; i < tok->len; i++)
        if (!str[i] || fold((unsigned char)p[i]) != fold((unsigned char)str[i]))
            return false;
    return str[tok->len] == '\0';
}

/* Doubles the token array's capacity (256 at first). Returns 0 or NF_ENOMEM. */
static int grow(nf_toks_t *toks)
{
    size_t cap = toks->cap ? toks->cap * 2 : 256;
    nf_tok_t *v = realloc(toks->v, cap * sizeof(*v));
    if (!v)
        return NF_ENOMEM;
    toks->v = v;
    toks->cap = cap;
    return 0;
}

/* Appends a token, written whole once (cues and word are the caller's to fill). */
static inline int push(nf_toks_t *toks, uint32_t start, uint32_t len, uint16_t flags, uint64_t hash)
{
    if (toks->n == toks->cap && grow(toks) != 0)
        return NF_ENOMEM;
    nf_tok_t *t = &toks->v[toks->n++];
    t->start = start;
    t->len = len;
    t->flags = flags;
    t->hash = hash;
    t->cues = 0;
    t->word = NF_W_NONE;
    return 0;
}

/*
 * A '.' ends a sentence unless it closes a known abbreviation or an initial. Only short
 * words can be abbreviations, so longer ones skip the comparisons.
 */
static bool ends_sentence(const char *text, const nf_tok_t *prev)
{
    static const char *const abbrev[] = {"inc", "corp", "co",  "ltd", "mr",  "mrs", "ms",  "dr",
                                         "st",  "jr",   "sr",  "vs",  "no",  "u.s", "u.k", "e.g",
                                         "i.e", "gov",  "sen", "rep", "gen", "mt",  "ft",  NULL};
    if (prev->len == 1 && (prev->flags & NF_TOK_WORD))
        return false;
    if (prev->len > 4 || !(prev->flags & NF_TOK_WORD))
        return true;
    unsigned char c0 = fold((unsigned char)text[prev->start]);
    for (size_t i = 0; abbrev[i]; i++)
        if ((unsigned char)abbrev[i][0] == c0 && nf_tok_is(text, prev, abbrev[i]))
            return false;
    return true;
}

/*
 * The end of the run of ASCII letters and digits at p (p itself is one), adding its
 * upper- and lower-case letters to *up and *lo: sixteen bytes at a time where SSE2 is
 * there and sixteen bytes can be read, else byte by byte. The tokeniser only asks
 * whether a word has no, one, or two or more capitals and whether it has any small
 * letter, so the sixteen-byte steps add at most 2 and 1.
 */
static inline const unsigned char *alnum_run(const unsigned char *p, const unsigned char *end,
                                             size_t *up, size_t *lo)
{
#if defined(__SSE2__)
    const __m128i a_up = _mm_set1_epi8('A'), a_lo = _mm_set1_epi8('a'), a_dig = _mm_set1_epi8('0');
    const __m128i span25 = _mm_set1_epi8(25), span9 = _mm_set1_epi8(9);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* x - base <= span, unsigned: min(d, span) == d */
        __m128i du = _mm_sub_epi8(x, a_up), dl = _mm_sub_epi8(x, a_lo), dd = _mm_sub_epi8(x, a_dig);
        unsigned mu = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(du, span25), du));
        unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dl, span25), dl));
        unsigned md = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dd, span9), dd));
        unsigned run = ~(mu | ml | md) & 0xffffu; /* bits of the bytes that end the run */
        unsigned len = run ? (unsigned)__builtin_ctz(run) : 16;
        unsigned in = len == 16 ? 0xffffu : (1u << len) - 1;
        unsigned u = mu & in;
        *up += (size_t)(u != 0) + (size_t)((u & (u - 1)) != 0); /* 0, 1 or "2 or more" */
        *lo += (size_t)((ml & in) != 0);
        p += len;
        if (len < 16)
            return p;
    }
#endif
    while (p < end && (BYTE_CLASS[*p] & B_ALNUM)) {
        uint8_t k = BYTE_CLASS[*p];
        *up += (k >> 1) & 1;
        *lo += (k >> 2) & 1;
        p++;
    }
    return p;
}

/*
 * Scans the word starting at p: ends it, hashes it (exactly as nf_tok_hash does) and
 * counts its upper- and lower-case letters, all in one pass. Returns the end.
 */
static const unsigned char *scan_word(const unsigned char *w, const unsigned char *end, bool num,
                                      uint64_t *hash, size_t *upper, size_t *lower, bool *wide)
{
    const unsigned char *p = w;
    hasher_t hs;
    size_t up = 0, lo = 0;
    hs_init(&hs);
    while (p < end) {
        unsigned char c = *p;
        size_t n;
        if (BYTE_CLASS[c] & B_ALNUM) {
            /* the common case: a run of ASCII letters and digits, hashed in bulk */
            const unsigned char *r = alnum_run(p, end, &up, &lo);
            hs_put_alnum(&hs, p, (size_t)(r - p), end);
            p = r;
            if (p == end || *p == ' ')
                break; /* how most words end: none of the tests below can pass */
        } else if (c == '.' && p + 1 < end && is_word_byte(p[1]) && p > w && is_word_byte(p[-1])) {
            p++; /* inside "3.9", "Amazon.com", "U.S": not hashed */
        } else if (c == ',' && num && p + 3 < end && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                   p[2] <= '9' && p[3] >= '0' && p[3] <= '9' &&
                   (p + 4 == end || !is_word_byte(p[4]) || p[4] == ',')) {
            hs_put(&hs, ',');
            p++;
        } else if (is_apostrophe(p, end, &n) && p + n < end && is_word_byte(p[n])) {
            /* possessive 's (or s'): stop; other apostrophes stay in the word */
            if ((p[n] == 's' || p[n] == 'S') && (p + n + 1 == end || !is_word_byte(p[n + 1])))
                break;
            hs_put(&hs, '\'');
            *wide |= n > 1;
            p += n;
        } else if (c >= 0xc2 && (n = utf8_letter(p, end)) > 0) {
            *wide = true;
            if (c == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97) {
                hs_put(&hs, c);
                hs_put(&hs, (unsigned char)(p[1] + 0x20));
                up++;
            } else {
                for (size_t i = 0; i < n; i++)
                    hs_put(&hs, p[i]);
                lo++;
            }
            p += n;
        } else {
            break;
        }
    }
    /* "U.S." and "M.I.T." keep their final period when it follows an initial */
    if (p < end && *p == '.' && p - w >= 3 && p[-2] == '.')
        p++;
    *hash = hs_end(&hs);
    *upper = up;
    *lower = lo;
    return p;
}

/* Whether the lexicon is asked about a token (see nf_tokenise). */
static inline bool wants_lexicon(const char *text, const nf_tok_t *t)
{
    return (t->flags & NF_TOK_WORD)  ? !(t->flags & NF_TOK_POSS) && t->len <= 16
           : (t->flags & NF_TOK_NUM) ? t->len <= 4 /* "5G", "4G" */
                                     : text[t->start] == '&';
}

#if defined(__SSE2__)
/* KEEP[n]: the low n bytes of a word (a load's first n bytes, as load_le64 packs them). */
static const uint64_t KEEP[8] = {
    0,
    0xffull,
    0xffffull,
    0xffffffull,
    0xffffffffull,
    0xffffffffffull,
    0xffffffffffffull,
    0xffffffffffffffull,
};

/*
 * The common token, a run of fewer than sixteen ASCII letters and digits at p (p[0] is
 * one and sixteen bytes can be read) that ends at an ASCII byte other than '.', ',' and
 * an apostrophe: for those, scan_word's separator tests cannot pass and there is no final
 * period, so one 16-byte load gives the word's end, its capitals and (two loads of 8,
 * hashed as hs_put_alnum does) its hash. Returns the word's length, or 0 when the word is
 * not of that kind and the general path must scan it.
 */
static inline size_t plain_word(const unsigned char *p, uint64_t *hash, uint16_t *flags)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* x - base <= span, unsigned: min(d, span) == d */
    __m128i du = _mm_sub_epi8(x, _mm_set1_epi8('A')), dl = _mm_sub_epi8(x, _mm_set1_epi8('a'));
    __m128i dd = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    __m128i s25 = _mm_set1_epi8(25);
    unsigned mu = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(du, s25), du));
    unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dl, s25), dl));
    unsigned md =
        (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dd, _mm_set1_epi8(9)), dd));
    unsigned run = ~(mu | ml | md) & 0xffffu;
    if (!run)
        return 0;
    unsigned n = (unsigned)__builtin_ctz(run);
    unsigned char e = p[n];
    if (!(BYTE_CLASS[e] & B_STOP))
        return 0;
    uint64_t h = 0x9ae16a3b2f90404full, v = load_le64(p) | 0x2020202020202020ull;
    if (n >= 8) {
        h = (h ^ v) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        v = load_le64(p + 8) | 0x2020202020202020ull;
    }
    v &= KEEP[n & 7];
    h = (h ^ v ^ ((uint64_t)(n & 7) << 59)) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    *hash = h ? h : 1;
    if (md & 1) {
        *flags = NF_TOK_NUM;
    } else {
        unsigned in = (1u << n) - 1, u = mu & in;
        uint16_t f = NF_TOK_WORD;
        if ((mu & 1) || (u && (ml & 1)))
            f |= NF_TOK_CAP;
        if ((u & (u - 1)) && !(ml & in))
            f |= NF_TOK_UPPER;
        *flags = f;
    }
    return n;
}

/*
 * Tokenises the run of plain words (see plain_word) that starts at p, each followed by
 * at most one space, into out[0..room) and looks each up in the lexicon (when there is
 * one): the loop that most of a text's bytes go through, kept apart so that its few
 * values stay in registers. *ctx is the NF_TOK_SPACE and NF_TOK_SENT bits of the next
 * token, in and out. Stops before the first token of another kind, at the end of the
 * room, or where fewer than sixteen bytes are left; returns where, and the tokens
 * written in *written.
 */
static const unsigned char *plain_words(const unsigned char *s, const unsigned char *p,
                                        const unsigned char *end, const nf_lexicon_t *lexicon,
                                        nf_tok_t *out, size_t room, size_t *written, unsigned *ctx)
{
    nf_tok_t *o = out;
    const nf_tok_t *oend = out + room;
    unsigned cx = *ctx;
    /* the table in locals: a token's uint64_t stores might otherwise alias its mask */
    nf_lexicon_t lex = lexicon ? *lexicon : (nf_lexicon_t){0};
    while (o < oend && end - p >= 16 && is_word_byte(*p)) {
        uint64_t hash, cues = 0;
        uint16_t f, word = NF_W_NONE;
        size_t k = plain_word(p, &hash, &f);
        if (!k)
            break;
        /* wants_lexicon of a plain word: any word (it is under 16 bytes), short numbers */
        if (lex.slots && (f != NF_TOK_NUM || k <= 4))
            cues = lex_lookup(&lex, hash, &word);
        o->start = (uint32_t)(p - s);
        o->len = (uint32_t)k;
        o->hash = hash;
        o->cues = cues;
        o->flags = (uint16_t)(f | cx);
        o->word = word;
        o++;
        p += k;
        /* the space that ends most words, skipped here */
        cx = *p == ' ' ? NF_TOK_SPACE : 0;
        p += cx != 0;
    }
    *ctx = cx;
    *written = (size_t)(o - out);
    return p;
}
#endif

int nf_tokenise(const char *text, size_t len, const nf_lexicon_t *lexicon, nf_toks_t *toks)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len, *p = s;
    /*
     * ctx: the NF_TOK_SPACE and NF_TOK_SENT bits of the next token. tk: the array in a
     * local copy, so that writing a token does not make the compiler reload its count,
     * capacity and base (a token's uint64_t fields may alias them).
     */
    unsigned ctx = NF_TOK_SPACE | NF_TOK_SENT;
    bool wide = false;
    nf_toks_t tk = *toks;
    while (p < end) {
        unsigned char c = *p;
        uint64_t hash;
        uint16_t f;
        size_t k;
#if defined(__SSE2__)
        /* the common token first: none of the tests below applies to a plain word */
        if (is_word_byte(c) && end - p >= 16) {
            if (tk.n == tk.cap && grow(&tk) != 0)
                goto nomem;
            p = plain_words(s, p, end, lexicon, tk.v + tk.n, tk.cap - tk.n, &k, &ctx);
            tk.n += k;
            if (k)
                continue;
        }
#endif
        if (c <= ' ' || c == 0x7f) {
            ctx |= NF_TOK_SPACE;
            p++;
            continue;
        }
        wide |= c >= 0x80;
        if (c == 0xc2 && end - p >= 2 && p[1] == 0xa0) { /* NBSP */
            ctx |= NF_TOK_SPACE;
            p += 2;
            continue;
        }
        const unsigned char *w = p;
        hasher_t hs1;
        if (is_word_byte(c) || (c >= 0xc2 && utf8_letter(p, end) > 0)) {
            bool num = c >= '0' && c <= '9';
            size_t upper, lower;
            p = scan_word(w, end, num, &hash, &upper, &lower, &wide);
            f = num ? NF_TOK_NUM : NF_TOK_WORD;
            if (!num) {
                bool first_upper = (BYTE_CLASS[c] & B_UPPER) ||
                                   (c == 0xc3 && p - w > 1 && w[1] >= 0x80 && w[1] < 0x9f);
                if (first_upper || (upper && (BYTE_CLASS[c] & B_LOWER)))
                    f |= NF_TOK_CAP;
                if (upper >= 2 && !lower)
                    f |= NF_TOK_UPPER;
            }
        } else if (is_apostrophe(p, end, &k) && p + k < end && (p[k] == 's' || p[k] == 'S') &&
                   (p + k + 1 == end || !is_word_byte(p[k + 1])) && tk.n && !(ctx & NF_TOK_SPACE)) {
            p += k + 1;
            f = NF_TOK_WORD | NF_TOK_POSS;
            hash = nf_tok_hash((const char *)w, (size_t)(p - w));
        } else {
            p += utf8_len(p, end);
            f = NF_TOK_PUNCT;
            if (p - w == 1) { /* nf_tok_hash of one byte, without the call */
                hs_init(&hs1);
                hs_put(&hs1, FOLD[c]);
                hash = hs_end(&hs1);
            } else {
                hash = nf_tok_hash((const char *)w, (size_t)(p - w));
            }
        }
        f |= (uint16_t)ctx;
        if (push(&tk, (uint32_t)(w - s), (uint32_t)(p - w), f, hash) != 0)
            goto nomem;
        nf_tok_t *t = &tk.v[tk.n - 1];
        if (lexicon && wants_lexicon(text, t))
            t->cues = lex_lookup(lexicon, t->hash, &t->word);
        ctx = 0;
        if (f & NF_TOK_PUNCT) {
            char ch = text[t->start];
            if ((ch == '.' && tk.n >= 2 && ends_sentence(text, t - 1)) || ch == '!' || ch == '?' ||
                ch == ';')
                ctx = NF_TOK_SENT;
        }
    }
    toks->v = tk.v;
    toks->n = tk.n;
    toks->cap = tk.cap;
    toks->wide = wide;
    return 0;
nomem:
    toks->v = tk.v; /* what was written so far, as before the local copy */
    toks->n = tk.n;
    toks->cap = tk.cap;
    return NF_ENOMEM;
}

void nf_toks_free(nf_toks_t *toks)
{
    if (!toks)
        return;
    free(toks->v);
    memset(toks, 0, sizeof(*toks));
}

static const char *const WORD_STRINGS[] = {"",
#define NF_W_STR(id, str) str,
                                           NF_WORD_LIST(NF_W_STR)
#undef NF_W_STR
};

/* Adds a word with a cue (cue < 0: none) or a word id (id > 0). */
static int lex_add(nf_lexicon_t *lexicon, const char *word, int cue, uint16_t id)
{
    uint64_t h = nf_tok_hash(word, strlen(word));
    uint32_t tag = lex_tag(h);
    size_t i = lex_slot(lexicon, h);
    while (lexicon->slots[i].tag && lexicon->slots[i].tag != tag)
        i = (i + 1) & lexicon->mask;
    lexicon->slots[i].tag = tag;
    if (cue >= 0)
        lexicon->slots[i].cues |= NF_CUE(cue);
    if (id)
        lexicon->slots[i].word = id;
    return 0;
}

nf_lexicon_t *nf_lexicon_new(void)
{
    nf_lexicon_t *lexicon = calloc(1, sizeof(*lexicon));
    size_t words = 0, size = 64;
    if (!lexicon)
        return NULL;
    for (size_t l = 0; l < sizeof(LEX) / sizeof(LEX[0]); l++)
        for (size_t i = 0; LEX[l].words[i]; i++)
            words++;
    words += NF_W__CNT;
    while (size < words * 2)
        size *= 2;
    lexicon->slots = calloc(size, sizeof(*lexicon->slots));
    if (!lexicon->slots) {
        nf_lexicon_destroy(lexicon);
        return NULL;
    }
    lexicon->mask = size - 1;
    for (size_t l = 0; l < sizeof(LEX) / sizeof(LEX[0]); l++)
        for (size_t i = 0; LEX[l].words[i]; i++)
            lex_add(lexicon, LEX[l].words[i], LEX[l].cue, 0);
    for (uint16_t w = 1; w < NF_W__CNT; w++)
        lex_add(lexicon, WORD_STRINGS[w], -1, w);
    return lexicon;
}

void nf_lexicon_destroy(nf_lexicon_t *lexicon)
{
    if (!lexicon)
        return;
    free(lexicon->slots);
    free(lexicon);
}

uint64_t nf_lexicon_cues(const nf_lexicon_t *lexicon, uint64_t hash)
{
    uint16_t word;
    return nf_lexicon_lookup(lexicon, hash, &word);
}

uint64_t nf_lexicon_lookup(const nf_lexicon_t *lexicon, uint64_t hash, uint16_t *word)
{
    return lex_lookup(lexicon, hash, word);
}

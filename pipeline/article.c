/*
 * article: the in-memory model of one news article as it moves through the pipeline.
 *
 * The decoder fills an article from one input message, later stages read it and add
 * their results, and the encoder writes the enriched event from it. Every string in it
 * is owned by the article, so one call to nf_article_clear() releases everything and
 * leaves a zeroed struct that the next message can be decoded into.
 */
#include "article.h"

#include <stdlib.h>
#include <string.h>

void nf_article_clear(nf_article_t *article)
{
    if (!article)
        return;
    free(article->id);
    free(article->title);
    free(article->body);
    free(article->summary);
    free(article->url);
    free(article->source);
    free(article->published_at);
    free(article->language);
    if (article->authors) {
        for (size_t i = 0; i < article->authors_n; i++)
            free(article->authors[i]);
        free(article->authors);
    }
    memset(article, 0, sizeof(*article));
}

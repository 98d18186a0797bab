/*
 * test: the few macros every newsflow test executable uses. A failed CHECK prints
 * where and what, and makes the executable exit non-zero at the end; TEST_SKIP exits
 * with CTest's skip code (77) and a reason.
 */
#ifndef NF_TEST_H
#define NF_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        test_checks++;                                                                             \
        if (!a_ || !b_ || strcmp(a_, b_)) {                                                        \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s is \"%s\", expected \"%s\"\n", __FILE__,  \
                    __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                         \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        test_checks++;                                                                             \
        if (a_ != b_) {                                                                            \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s is %lld, expected %lld\n", __FILE__,      \
                    __LINE__, #a, a_, b_);                                                         \
        }                                                                                          \
    } while (0)

#define TEST_SKIP(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "SKIP: " __VA_ARGS__);                                                     \
        fprintf(stderr, "\n");                                                                     \
        exit(77);                                                                                  \
    } while (0)

#define TEST_DONE()                                                                                \
    do {                                                                                           \
        fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, test_checks, test_failures);       \
        return test_failures ? 1 : 0;                                                              \
    } while (0)

#endif

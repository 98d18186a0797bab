/*
 * Error codes shared by every newsflow module.
 *
 * Actions return int: 0 (NF_OK) on success or a negative NF_E... code. nf_strerror()
 * turns a code into a short English phrase for logs and error messages. Predicates
 * return bool and never use these codes.
 */
#ifndef NF_ERR_H
#define NF_ERR_H

enum {
    NF_OK = 0,
    NF_EINVAL = -1,     /* invalid argument or value */
    NF_ENOMEM = -2,     /* out of memory */
    NF_EIO = -3,        /* file or socket I/O failed */
    NF_ECONFIG = -4,    /* configuration is invalid */
    NF_EKAFKA = -5,     /* a librdkafka call failed */
    NF_EQUEUEFULL = -6, /* producer queue is full: retry after deliveries drain */
    NF_EDECODE = -7,    /* input message rejected by the decoder */
    NF_EFATAL = -8,     /* unrecoverable client state: the process must exit */
    NF_ENOENT = -9,     /* no such file or item */
    NF_ETIMEDOUT = -10, /* operation did not finish in time */
    NF_EREJECTED = -11, /* Kafka will never accept this message (too large, unknown topic) */
    NF_EABORT = -12,    /* the Kafka transaction must be aborted and the input rewound */
};

/* Returns a static string describing code (never NULL). */
const char *nf_strerror(int code);

#endif

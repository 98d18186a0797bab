/*
 * err: the text behind every NF_E... code, so that log lines and user-facing errors
 * describe failures the same way everywhere.
 */
#include "err.h"

const char *nf_strerror(int code)
{
    switch (code) {
    case NF_OK:
        return "success";
    case NF_EINVAL:
        return "invalid argument";
    case NF_ENOMEM:
        return "out of memory";
    case NF_EIO:
        return "input/output error";
    case NF_ECONFIG:
        return "invalid configuration";
    case NF_EKAFKA:
        return "Kafka client error";
    case NF_EQUEUEFULL:
        return "producer queue full";
    case NF_EDECODE:
        return "input rejected";
    case NF_EFATAL:
        return "fatal error";
    case NF_ENOENT:
        return "not found";
    case NF_ETIMEDOUT:
        return "timed out";
    case NF_EREJECTED:
        return "message rejected by Kafka";
    case NF_EABORT:
        return "transaction aborted";
    default:
        return "unknown error";
    }
}

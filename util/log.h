/*
 * log - syslog (mail facility) and, in the foreground, stderr.
 *
 * SYNOPSIS
 *	log_open("dmarcwarden", use_syslog, "mail", to_stderr);
 *	log_info("%s: dmarc=%s", qid, result);
 *	log_warn(...); log_err(...); log_debug(...);
 *	log_ratelimited(&last, 60, LOG_WARNING, "...")  (once per interval)
 *
 * DESCRIPTION
 *	Thread-safe (syslog(3) and one fprintf per line).  Callers make
 *	untrusted bytes printable (str_printable) before logging them.  Until
 *	log_open() is called, messages go to stderr only.
 */
#ifndef MILTER_LOG_H
#define MILTER_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <time.h>

int log_open(const char *ident, bool use_syslog, const char *facility,
    bool to_stderr);
/* Switch the copy to stderr on or off after log_open() (start-up errors
 * go to stderr until the daemon is running). */
void log_to_stderr(bool on);
void log_close(void);
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
/* Log only when at least `interval` seconds passed since *last; returns
 * true when it logged.  *last is updated atomically enough for counters
 * (a rare duplicate line is harmless). */
bool log_ratelimited(time_t *last, int interval, int prio, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* Facility name ("mail", "local0".."local7", "daemon") to LOG_*; -1 if
 * unknown. */
int log_facility(const char *name);

#endif

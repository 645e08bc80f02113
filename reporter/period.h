/*
 * period - the time range of a report run.
 *
 * SYNOPSIS
 *	period_yesterday(time(NULL), &begin, &end);
 *	if (period_parse("2026-11-23", &t) < 0) ... bad time
 *
 * DESCRIPTION
 *	period_yesterday() gives the previous whole UTC day: begin is its
 *	00:00:00, end the next midnight (exclusive), the default period of a
 *	nightly run.
 *
 *	period_parse() reads a time in UTC: seconds since the epoch (digits
 *	only, at most 12), "YYYY-MM-DD" (midnight), or "YYYY-MM-DDTHH:MM:SS"
 *	(a space instead of the T is accepted).  Fields are range-checked
 *	(month 1..12, day 1..31 and valid for the month, hour 0..23, ...).
 *	Returns 0 or -1.
 */
#ifndef REPORTER_PERIOD_H
#define REPORTER_PERIOD_H

#include <time.h>

void period_yesterday(time_t now, time_t *begin, time_t *end);
int period_parse(const char *s, time_t *out);

#endif

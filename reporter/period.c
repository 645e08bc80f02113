/*
 * period - report periods.  See period.h.
 */
#include "period.h"

#include <stdbool.h>
#include <string.h>

void period_yesterday(time_t now, time_t *begin, time_t *end)
{
	*end = now - now % 86400;
	*begin = *end - 86400;
}

/* n digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int period_parse(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	size_t len = strlen(s);
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0;

	if (len > 0 && len <= 12 && strspn(s, "0123456789") == len) {
		long long v = 0;

		for (size_t i = 0; i < len; i++)
			v = v * 10 + (s[i] - '0');
		*out = (time_t)v;
		return 0;
	}
	if ((len != 10 && len != 19) || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (len == 19) {
		if ((s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
		    s[16] != ':')
			return -1;
		h = digits(s + 11, 2);
		mi = digits(s + 14, 2);
		se = digits(s + 17, 2);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm(&tm);
	return 0;
}

/*
 * log - syslog and stderr logging.  See log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static bool log_syslog_on;
static bool log_stderr_on = true;
static const char *log_ident = "dmarcwarden";

static const struct {
	const char *name;
	int facility;
} log_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int log_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (str_ieq(name, log_facilities[i].name))
			return log_facilities[i].facility;
	return -1;
}

int log_open(const char *ident, bool use_syslog, const char *facility,
    bool to_stderr)
{
	int fac = log_facility(facility ? facility : "mail");

	if (fac < 0)
		return -1;
	log_ident = ident;
	log_stderr_on = to_stderr;
	log_syslog_on = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, fac);
	return 0;
}

void log_to_stderr(bool on)
{
	log_stderr_on = on;
}

void log_close(void)
{
	if (log_syslog_on)
		closelog();
	log_syslog_on = false;
}

static void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog_on)
		syslog(prio, "%s", line);
	if (log_stderr_on || !log_syslog_on)
		fprintf(stderr, "%s: %s\n", log_ident, line);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

bool log_ratelimited(time_t *last, int interval, int prio, const char *fmt,
    ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (*last != 0 && now - *last < interval)
		return false;
	*last = now;
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
	return true;
}

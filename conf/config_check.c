/*
 * config_check - value checks for dmarcwarden.conf keys.  See
 * config_check.h.
 */
#include "config_check.h"

#include <stdarg.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../policy/from_header.h"
#include "../util/strbuf.h"
#include "config.h"
#include "../util/log.h"

#define SUN_PATH_MAX 107        /* sizeof(sun_path) - 1 on Linux */

static int fail(char *why, size_t len, const char *reason)
{
	str_copy(why, len, reason);
	return -1;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* 1..65535, digits only. */
static int port_parse(const char *p, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* Host part of an inet/inet6 socket: a name or an address literal. */
static bool socket_host_ok(const char *h, bool v6)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		if (is_alnum(h[i]) || h[i] == '.' || h[i] == '-' ||
		    (v6 && (h[i] == ':' || h[i] == '[' || h[i] == ']')))
			continue;
		return false;
	}
	return true;
}

int config_check_socket(char *v, char *why, size_t len)
{
	const char *p, *at;
	bool v6;

	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
		p = strchr(v, ':') + 1;
		if (*p != '/')
			return fail(why, len, "the socket path must be absolute");
		if (strlen(p) > SUN_PATH_MAX)
			return fail(why, len, "socket path longer than 107 bytes");
		if (strpbrk(p, " \t") != NULL)
			return fail(why, len, "whitespace in socket path");
		return 0;
	}
	v6 = strncmp(v, "inet6:", 6) == 0;
	if (!v6 && strncmp(v, "inet:", 5) != 0)
		return fail(why, len, "expected unix:/path, local:/path, "
		    "inet:port@host or inet6:port@host");
	p = v + (v6 ? 6 : 5);
	at = strchr(p, '@');
	if (port_parse(p, at ? (size_t)(at - p) : strlen(p)) < 0)
		return fail(why, len, "the port must be a number 1..65535 "
		    "(the form is inet:port@host)");
	if (at && !socket_host_ok(at + 1, v6))
		return fail(why, len, "bad host name or address after '@'");
	return 0;
}

int config_check_authserv_id(char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (n > 255)
		return fail(why, len, "longer than 255 bytes");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		/* RFC 8601 authserv-id is a value: an RFC 2045 token. */
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			return fail(why, len, "expected a host name (an RFC "
			    "2045 token: no spaces or ()<>@,;:\\\"/[]?=)");
	}
	return 0;
}

static int nameserver_check(const char *tok, size_t n)
{
	char addr[64];
	unsigned char bin[16];
	const char *at = memchr(tok, '@', n);
	size_t alen = at ? (size_t)(at - tok) : n;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return -1;
	if (at && port_parse(at + 1, n - alen - 1) < 0)
		return -1;
	return 0;
}

int config_check_nameservers(char *v, char *why, size_t len)
{
	const char *p = v, *start;
	unsigned count = 0;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		start = p;
		p += strcspn(p, ", \t");
		if (++count > CONFIG_NAMESERVERS_MAX)
			return fail(why, len, "more than 16 name servers");
		if (nameserver_check(start, (size_t)(p - start)) < 0)
			return fail(why, len, "expected IP addresses, each "
			    "with an optional @port");
	}
}

static bool name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 32 || p[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(p[i]) && p[i] != '_' && p[i] != '.' && p[i] != '-')
			return false;
	return true;
}

int config_check_user(char *v, char *why, size_t len)
{
	const char *colon = strchr(v, ':');
	size_t ulen = colon ? (size_t)(colon - v) : strlen(v);

	if (!name_ok(v, ulen) || (colon && !name_ok(colon + 1,
	    strlen(colon + 1))))
		return fail(why, len, "expected user or user:group");
	return 0;
}

/* Printable ASCII, at most CONFIG_TEXT_MAX bytes, '%' only in "%%" and
 * (when domain_ok) "%d". */
static int text_check(const char *v, bool domain_ok, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (n > CONFIG_TEXT_MAX)
		return fail(why, len, "longer than 200 bytes");
	for (i = 0; i < n; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e)
			return fail(why, len, "only printable ASCII is allowed");
		if (v[i] != '%')
			continue;
		if (v[i + 1] == '%' || (domain_ok && v[i + 1] == 'd')) {
			i++;
			continue;
		}
		return fail(why, len, domain_ok ?
		    "'%' must be followed by d (the domain) or % (a percent)" :
		    "'%' must be doubled (%% is a percent)");
	}
	return 0;
}

int config_check_reject_text(char *v, char *why, size_t len)
{
	return text_check(v, true, why, len);
}

int config_check_reply_text(char *v, char *why, size_t len)
{
	return text_check(v, false, why, len);
}

int config_check_header_name(char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (n > 64)
		return fail(why, len, "longer than 64 bytes");
	for (i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == ':')
			return fail(why, len, "a header field name is printable "
			    "ASCII without spaces or ':'");
	return 0;
}

int config_check_facility(char *v, char *why, size_t len)
{
	if (log_facility(v) < 0)
		return fail(why, len, "expected mail, daemon, user or "
		    "local0..local7");
	str_lower(v);
	return 0;
}

/* An SQLite path, or a PostgreSQL URI (history/hdb.h). */
int config_check_history_db(char *v, char *why, size_t len)
{
	if (strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0)
		return config_check_path(v, why, len);
	for (size_t i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
			return fail(why, len, "space or control character in "
			    "URI");
	return 0;
}

int config_check_path(char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (v[0] != '/')
		return fail(why, len, "expected an absolute path");
	if (n >= PATH_MAX)
		return fail(why, len, "path too long");
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(why, len, "control character in path");
	return 0;
}

int config_domain_normalize(const char *in, size_t inlen, char *out,
    size_t outlen, char *why, size_t len)
{
	/* The same normalisation as author domains get, so that list
	 * entries compare equal to what from_header returns. */
	if (domain_normalize_reason(in, inlen, out, outlen, why, len) < 0) {
		if (why && len && why[0] == '\0')
			str_copy(why, len, "invalid domain name");
		return -1;
	}
	return 0;
}

int config_read_file(const char *path, char **text, size_t *textlen,
    char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		str_format(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		str_format(err, errlen, "%s: is a directory", path);
		close(fd);
		return -1;
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 2)) == NULL)
		abort();
	/* Read one byte past the limit to tell "full" from "too large". */
	while (len <= CONFIG_FILE_MAX) {
		n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0 || len > CONFIG_FILE_MAX) {
		if (n < 0)
			str_format(err, errlen, "%s: read error: %s", path,
			    strerror(errno));
		else
			str_format(err, errlen, "%s: larger than %d bytes", path,
			    CONFIG_FILE_MAX);
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	*textlen = len;
	return 0;
}

/* Lines in err (0 when empty). */
static unsigned error_lines(const char *err)
{
	unsigned n = 0;

	if (*err == '\0')
		return 0;
	for (n = 1; (err = strchr(err, '\n')) != NULL; err++)
		n++;
	return n;
}

void config_file_error(char *err, size_t errlen, const char *file,
    unsigned line, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX], one[CONFIG_ERR_MAX + 256];
	size_t used = strlen(err), need;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		str_format(one, sizeof(one), "%s:%u: %s", file, line, msg);
	else
		str_format(one, sizeof(one), "%s: %s", file, msg);
	if (used == 0) {        /* the first error always shows (truncated) */
		str_copy(err, errlen, one);
		return;
	}
	/* Later ones whole or not at all, leaving room for the tail. */
	need = used + 1 + strlen(one) + CONFIG_ERR_TAIL;
	if (error_lines(err) >= CONFIG_ERR_LINES || need >= errlen)
		return;
	str_format(err + used, errlen - used, "\n%s", one);
}

void config_errors_done(char *err, size_t errlen, unsigned total)
{
	unsigned shown = error_lines(err);
	size_t used = strlen(err);

	if (total > shown && shown > 0)
		str_format(err + used, errlen - used, "\n... and %u more",
		    total - shown);
}

typedef struct prefixed {
	char *out;
	size_t outlen;
	const char *prefix;
} prefixed_t;

static void add_prefixed(void *ctx, const char *line)
{
	prefixed_t *p = ctx;
	size_t used = strlen(p->out);

	str_format(p->out + used, p->outlen - used, "%s%s%s",
	    used ? "\n" : "", p->prefix, line);
}

void config_errors_prefix(char *out, size_t outlen, const char *prefix,
    const char *err)
{
	prefixed_t p = { out, outlen, prefix };

	out[0] = '\0';
	config_error_lines(err, add_prefixed, &p);
}

void config_error_lines(const char *err, config_line_fn fn, void *ctx)
{
	char line[CONFIG_ERR_MAX + 256];
	const char *nl;

	while (*err) {
		nl = strchr(err, '\n');
		str_copy(line, sizeof(line), err);
		if (nl && (size_t)(nl - err) < sizeof(line))
			line[nl - err] = '\0';
		fn(ctx, line);
		if (nl == NULL)
			break;
		err = nl + 1;
	}
}

/*
 * mload_corpus - load the corpus milterload replays.  See mload_corpus.h.
 */
#include "mload_corpus.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/strbuf.h"

/* Files at least this large are mapped, smaller ones read: mappings are
 * limited per process (vm.max_map_count), big files are few. */
#define MLOAD_MAP_MIN (1024 * 1024)
#define MLOAD_HEADER_MAX (1024 * 1024)
#define MLOAD_ENV_FILE_MAX (64 * 1024)

/* Format a message into err; returns -1. */
static int failf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		abort();
	return p;
}

/* Length of the field name if line starts a header field ("Name:" with
 * optional blanks before the colon), and the offset after the colon. */
static bool header_start(const unsigned char *line, size_t n,
    size_t *name_len, size_t *value_off)
{
	size_t i = 0, j;

	while (i < n && line[i] >= 0x21 && line[i] <= 0x7e && line[i] != ':')
		i++;
	if (i == 0)
		return false;
	j = i;
	while (j < n && (line[j] == ' ' || line[j] == '\t'))
		j++;
	if (j >= n || line[j] != ':')
		return false;
	*name_len = i;
	*value_off = j + 1;
	return true;
}

static int add_header(mload_msg_t *m, const unsigned char *line, size_t n,
    size_t name_len, size_t value_off, char *err, size_t errlen)
{
	if (m->nhdr >= MLOAD_MAX_HEADERS) {
		str_format(err, errlen, "more than %d header fields",
		    MLOAD_MAX_HEADERS);
		return -1;
	}
	if (memchr(line, '\0', n) != NULL) {
		str_copy(err, errlen, "NUL byte in a header field");
		return -1;
	}
	if (m->nhdr % 16 == 0) {
		m->hdr = realloc(m->hdr, (m->nhdr + 16) * sizeof(*m->hdr));
		if (m->hdr == NULL)
			abort();
	}
	m->hdr[m->nhdr].name = xstrndup((const char *)line, name_len);
	m->hdr[m->nhdr].value = xstrndup((const char *)line + value_off,
	    n - value_off);
	m->nhdr++;
	return 0;
}

static int continue_header(mload_msg_t *m, const unsigned char *line,
    size_t n, char *err, size_t errlen)
{
	mload_header_t *h = &m->hdr[m->nhdr - 1];
	strbuf_t sb;

	if (memchr(line, '\0', n) != NULL) {
		str_copy(err, errlen, "NUL byte in a header field");
		return -1;
	}
	strbuf_init(&sb, MLOAD_HEADER_MAX);
	strbuf_puts(&sb, h->value);
	strbuf_putc(&sb, '\n');
	strbuf_append(&sb, (const char *)line, n);
	if (sb.truncated) {
		strbuf_free(&sb);
		str_format(err, errlen, "header field %s longer than %d bytes",
		    h->name, MLOAD_HEADER_MAX);
		return -1;
	}
	free(h->value);
	h->value = strbuf_steal(&sb);
	return 0;
}

/* True when the body bytes are exactly what the milter must get: every
 * LF preceded by CR and the last line terminated. */
static bool body_is_crlf(const unsigned char *p, size_t n)
{
	const unsigned char *lf = p, *end = p + n;

	if (n == 0)
		return true;
	if (p[n - 1] != '\n')
		return false;
	while ((lf = memchr(lf, '\n', (size_t)(end - lf))) != NULL) {
		if (lf == p || lf[-1] != '\r')
			return false;
		lf++;
	}
	return true;
}

/* Each line (LF or CRLF ended, or unterminated at the end) becomes the
 * line without its line end followed by CRLF. */
static void body_convert(mload_msg_t *m, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *eol;
	size_t out = 0, len, lines = 1;

	for (eol = p; (eol = memchr(eol, '\n', (size_t)(end - eol))); eol++)
		lines++;
	m->body_copy = xcalloc(n + lines + 1, 1);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((eol ? eol : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		memcpy(m->body_copy + out, p, len);
		out += len;
		m->body_copy[out++] = '\r';
		m->body_copy[out++] = '\n';
		p = eol ? eol + 1 : end;
	}
	m->body = m->body_copy;
	m->body_len = out;
}

int mload_msg_parse(mload_msg_t *m, const unsigned char *raw, size_t len,
    char *err, size_t errlen)
{
	size_t pos = 0, ll, next, name_len, value_off;
	const unsigned char *eol;

	while (pos < len) {
		eol = memchr(raw + pos, '\n', len - pos);
		next = eol ? (size_t)(eol - raw) + 1 : len;
		ll = (eol ? (size_t)(eol - raw) : len) - pos;
		if (ll > 0 && raw[pos + ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			pos = next;
			break;
		}
		if ((raw[pos] == ' ' || raw[pos] == '\t') && m->nhdr > 0) {
			if (continue_header(m, raw + pos, ll, err, errlen) < 0)
				return -1;
		} else if (header_start(raw + pos, ll, &name_len, &value_off)) {
			if (add_header(m, raw + pos, ll, name_len, value_off,
			    err, errlen) < 0)
				return -1;
		} else
			break;
		pos = next;
	}
	if (body_is_crlf(raw + pos, len - pos)) {
		m->body = raw + pos;
		m->body_len = len - pos;
	} else
		body_convert(m, raw + pos, len - pos);
	return 0;
}

static int env_client(mload_msg_t *m, char *val, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char *name = val + strcspn(val, " \t");

	if (*name) {
		*name++ = '\0';
		name += strspn(name, " \t");
	}
	if (inet_pton(AF_INET, val, buf) != 1 &&
	    inet_pton(AF_INET6, val, buf) != 1) {
		str_format(err, errlen, "bad client address \"%.64s\"", val);
		return -1;
	}
	if (str_copy(m->client_ip, sizeof(m->client_ip), val) < 0 ||
	    str_copy(m->client_name, sizeof(m->client_name), name) < 0) {
		str_copy(err, errlen, "client name too long");
		return -1;
	}
	return 0;
}

static int env_addr(char *dst, size_t size, const char *val)
{
	if (val[0] == '<')
		return str_copy(dst, size, val);
	return str_format(dst, size, "<%s>", val) < 0 ? -1 : 0;
}

static int env_rcpt(mload_msg_t *m, const char *val, char *err,
    size_t errlen)
{
	char buf[MLOAD_ADDR_MAX];

	if (m->nrcpt >= MLOAD_MAX_RCPT)
		return failf(err, errlen, "too many rcpt lines");
	if (env_addr(buf, sizeof(buf), val) < 0)
		return failf(err, errlen, "rcpt address too long");
	m->rcpt[m->nrcpt++] = xstrndup(buf, strlen(buf));
	return 0;
}

static int env_keyword(mload_msg_t *m, const char *key, char *val,
    char *err, size_t errlen)
{
	if (strcmp(key, "client") == 0 && m->client_ip[0] == '\0')
		return env_client(m, val, err, errlen);
	if (strcmp(key, "helo") == 0 && m->helo[0] == '\0') {
		if (str_copy(m->helo, sizeof(m->helo), val) < 0)
			return failf(err, errlen, "helo too long");
		return 0;
	}
	if (strcmp(key, "mail") == 0 && m->mail_from[0] == '\0') {
		if (env_addr(m->mail_from, sizeof(m->mail_from), val) < 0)
			return failf(err, errlen, "mail address too long");
		return 0;
	}
	if (strcmp(key, "auth") == 0 && m->auth[0] == '\0') {
		if (str_copy(m->auth, sizeof(m->auth), val) < 0)
			return failf(err, errlen, "auth user too long");
		return 0;
	}
	if (strcmp(key, "rcpt") == 0)
		return env_rcpt(m, val, err, errlen);
	str_format(err, errlen, "unknown or repeated keyword \"%.32s\"", key);
	return -1;
}

static int env_line(mload_msg_t *m, char *line, char *err, size_t errlen)
{
	char *key, *val, *end;

	key = line + strspn(line, " \t");
	if (*key == '\0' || *key == '#')
		return 0;
	val = key + strcspn(key, " \t");
	if (*val == '\0') {
		str_format(err, errlen, "keyword \"%.32s\" without value", key);
		return -1;
	}
	*val++ = '\0';
	val += strspn(val, " \t");
	end = val + strlen(val);
	while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*val == '\0') {
		str_format(err, errlen, "keyword \"%.32s\" without value", key);
		return -1;
	}
	return env_keyword(m, key, val, err, errlen);
}

int mload_env_parse(mload_msg_t *m, const char *text, size_t len,
    char *err, size_t errlen)
{
	char line[MLOAD_ENV_LINE_MAX], why[200];
	size_t pos = 0, n, lineno = 0;
	const char *eol;

	if (m->rcpt == NULL)
		m->rcpt = xcalloc(MLOAD_MAX_RCPT, sizeof(*m->rcpt));
	if (memchr(text, '\0', len) != NULL)
		return failf(err, errlen, "NUL byte in envelope");
	while (pos < len) {
		lineno++;
		eol = memchr(text + pos, '\n', len - pos);
		n = (eol ? (size_t)(eol - text) : len) - pos;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			return failf(err, errlen, "%zu: line too long",
			    lineno);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (env_line(m, line, why, sizeof(why)) < 0)
			return failf(err, errlen, "%zu: %s", lineno,
			    why);
		pos = eol ? (size_t)(eol - text) + 1 : len;
	}
	if (m->client_ip[0] == '\0' || m->mail_from[0] == '\0' ||
	    m->nrcpt == 0)
		return failf(err, errlen, "needs client, mail and rcpt");
	if (m->helo[0] == '\0' && (m->client_name[0] ?
	    str_copy(m->helo, sizeof(m->helo), m->client_name) :
	    str_format(m->helo, sizeof(m->helo), "[%s]", m->client_ip)) < 0)
		return failf(err, errlen, "helo too long");
	return 0;
}

void mload_msg_free(mload_msg_t *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; m->hdr && i < m->nhdr; i++) {
		free(m->hdr[i].name);
		free(m->hdr[i].value);
	}
	for (i = 0; m->rcpt && i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->hdr);
	free(m->rcpt);
	free(m->body_copy);
	if (m->map)
		munmap(m->map, m->map_len);
	free(m->file);
	memset(m, 0, sizeof(*m));
}

/* Read or map path; *heap is set when the data must be freed. */
static int load_file(const char *path, size_t limit, unsigned char **data,
    size_t *len, bool *mapped, char *err, size_t errlen)
{
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*mapped = false;
	if (fd < 0 || fstat(fd, &st) < 0) {
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (limit && (size_t)st.st_size > limit)) {
		str_format(err, errlen, "%s: not a regular file or too big",
		    path);
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	if (*len >= MLOAD_MAP_MIN) {
		void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);

		close(fd);
		if (p == MAP_FAILED)
			return failf(err, errlen, "%s: mmap: %s", path,
			    strerror(errno));
		*data = p;
		*mapped = true;
		return 0;
	}
	*data = xcalloc(*len + 1, 1);
	while (off < *len && (got = read(fd, *data + off, *len - off)) > 0)
		off += (size_t)got;
	close(fd);
	*len = off;
	return 0;
}

static int load_one(const char *dir, const char *name, mload_msg_t *m,
    char *err, size_t errlen)
{
	char path[4096], why[512];
	unsigned char *data;
	size_t len, base = strlen(name) - 4;
	bool mapped;
	int rc;

	m->file = xstrndup(name, base);
	if (str_format(path, sizeof(path), "%s/%s", dir, name) < 0)
		return failf(err, errlen, "path too long");
	if (load_file(path, 0, &data, &len, &mapped, err, errlen) < 0)
		return -1;
	if (mapped) {
		m->map = data;
		m->map_len = len;
	}
	rc = mload_msg_parse(m, data, len, why, sizeof(why));
	if (rc == 0 && !mapped && m->body != m->body_copy) {
		/* Keep the read buffer: the body points into it. */
		m->body_copy = data;
	} else if (!mapped)
		free(data);
	if (rc < 0)
		return failf(err, errlen, "%s: %s", path, why);
	str_format(path, sizeof(path), "%s/%.*s.env", dir, (int)base, name);
	if (load_file(path, MLOAD_ENV_FILE_MAX, &data, &len, &mapped, err,
	    errlen) < 0)
		return -1;
	rc = mload_env_parse(m, (const char *)data, len, why, sizeof(why));
	free(data);
	if (rc < 0)
		return failf(err, errlen, "%s:%s", path, why);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_messages(const char *dir, size_t *count, char *err,
    size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names;
	size_t n = 0, cap = 64, len;

	if (d == NULL)
		return str_format(err, errlen, "%s: %s", dir, strerror(errno)),
		    NULL;
	names = xcalloc(cap, sizeof(*names));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		if (n + 1 >= cap) {
			cap *= 2;
			if ((names = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				abort();
		}
		names[n++] = xstrndup(de->d_name, len);
		if (n > MLOAD_MAX_MESSAGES)
			break;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	*count = n;
	return names;
}

int mload_corpus_load(const char *dir, mload_corpus_t *c, char *err,
    size_t errlen)
{
	char **names;
	size_t n, i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if ((names = list_messages(dir, &n, err, errlen)) == NULL)
		return -1;
	if (n == 0 || n > MLOAD_MAX_MESSAGES) {
		str_format(err, errlen, "%s: %s", dir, n ? "too many messages"
		    : "no *.eml files");
		rc = -1;
	}
	c->msg = xcalloc(n, sizeof(*c->msg));
	for (i = 0; rc == 0 && i < n; i++) {
		rc = load_one(dir, names[i], &c->msg[i], err, errlen);
		c->nmsg = i + 1;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc < 0)
		mload_corpus_free(c);
	return rc;
}

void mload_corpus_free(mload_corpus_t *c)
{
	size_t i;

	for (i = 0; c->msg && i < c->nmsg; i++)
		mload_msg_free(&c->msg[i]);
	free(c->msg);
	memset(c, 0, sizeof(*c));
}

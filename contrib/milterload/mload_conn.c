/*
 * mload_conn - MTA side of one milter connection.  See mload_conn.h.
 */
#include "mload_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../util/strbuf.h"

#define OUTBUF_MAX (64 * 1024)
#define INBUF_SIZE (MLOAD_MAX_PACKET + 4)
#define REJECT_TEXT "550 5.7.1 Command rejected"
#define TEMPFAIL_TEXT "451 4.7.1 Service unavailable - try again later"
#define SHUTDOWN_TEXT "421 4.7.0 Server closing connection"

/* ------------------------------------------------------------ endpoint */

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


static int endpoint_inet(const char *rest, int family, mload_endpoint_t *ep,
    char *err, size_t errlen)
{
	char host[256], port[16];
	const char *at = strchr(rest, '@'), *colon = strrchr(rest, ':');
	struct addrinfo hints, *res = NULL;
	int rc;

	if (at != NULL) {
		if (str_ncopy(port, sizeof(port), rest, (size_t)(at - rest)) <
		    0 || str_copy(host, sizeof(host), at + 1) < 0)
			return failf(err, errlen, "endpoint too long");
	} else if (colon != NULL) {
		if (str_ncopy(host, sizeof(host), rest, (size_t)(colon - rest))
		    < 0 || str_copy(port, sizeof(port), colon + 1) < 0)
			return failf(err, errlen, "endpoint too long");
	} else if (str_copy(port, sizeof(port), rest) < 0 ||
	    str_copy(host, sizeof(host), "") < 0)
		return failf(err, errlen, "endpoint too long");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : (family == AF_INET6 ? "::1" :
	    "127.0.0.1"), port, &hints, &res);
	if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(ep->addr)) {
		str_format(err, errlen, "%s: %s", rest, rc ? gai_strerror(rc) :
		    "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	ep->family = res->ai_family;
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int mload_endpoint_parse(const char *spec, mload_endpoint_t *ep, char *err,
    size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&ep->addr;
	const char *path = NULL;

	memset(ep, 0, sizeof(*ep));
	if (str_copy(ep->spec, sizeof(ep->spec), spec) < 0)
		return failf(err, errlen, "endpoint too long");
	if (spec[0] == '/')
		path = spec;
	else if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	else if (strncmp(spec, "inet:", 5) == 0)
		return endpoint_inet(spec + 5, AF_UNSPEC, ep, err, errlen);
	else if (strncmp(spec, "inet6:", 6) == 0)
		return endpoint_inet(spec + 6, AF_INET6, ep, err, errlen);
	else
		return failf(err, errlen, "%s: unknown endpoint type",
		    spec);
	sun->sun_family = AF_UNIX;
	if (str_copy(sun->sun_path, sizeof(sun->sun_path), path) < 0)
		return failf(err, errlen, "%s: path too long", spec);
	ep->family = AF_UNIX;
	ep->addrlen = sizeof(*sun);
	return 0;
}

/* ------------------------------------------------------------ transport */

static int conn_fail(mload_conn_t *c, const char *what)
{
	if (c->err[0] == '\0')
		str_copy(c->err, sizeof(c->err), what);
	return -1;
}

static int write_all(mload_conn_t *c, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(c->fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			str_format(c->err, sizeof(c->err), "write: %s",
			    errno == EAGAIN ? "timeout" : strerror(errno));
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int mload_conn_flush(mload_conn_t *c)
{
	struct iovec iov;

	if (c->outlen == 0)
		return 0;
	iov.iov_base = c->out;
	iov.iov_len = c->outlen;
	c->outlen = 0;
	return write_all(c, &iov, 1);
}

/* Queue one packet; large data goes out directly after what is queued. */
static int send_packet(mload_conn_t *c, char cmd, const void *data,
    size_t len)
{
	unsigned char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);
	struct iovec iov[3];

	if (c->fd < 0)
		return conn_fail(c, "not connected");
	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	if (c->outlen + 5 + len <= OUTBUF_MAX) {
		memcpy(c->out + c->outlen, hdr, 5);
		if (len)
			memcpy(c->out + c->outlen + 5, data, len);
		c->outlen += 5 + len;
		return 0;
	}
	iov[0].iov_base = c->out;
	iov[0].iov_len = c->outlen;
	iov[1].iov_base = hdr;
	iov[1].iov_len = 5;
	iov[2].iov_base = (void *)data;
	iov[2].iov_len = len;
	c->outlen = 0;
	return write_all(c, iov, 3);
}

static int fill(mload_conn_t *c, size_t need)
{
	ssize_t r;

	if (c->inoff > 0 && c->inlen - c->inoff < need) {
		memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
		c->inlen -= c->inoff;
		c->inoff = 0;
	}
	while (c->inlen - c->inoff < need) {
		r = read(c->fd, c->in + c->inlen, INBUF_SIZE - c->inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return conn_fail(c, "EOF from milter");
		if (r < 0) {
			str_format(c->err, sizeof(c->err), "read: %s",
			    errno == EAGAIN ? "timeout" : strerror(errno));
			return -1;
		}
		c->inlen += (size_t)r;
	}
	return 0;
}

/* Next packet: *cmd, *data (inside the read buffer, valid until the next
 * read), *len. */
static int read_packet(mload_conn_t *c, char *cmd, const unsigned char **data,
    size_t *len)
{
	uint32_t n;

	if (mload_conn_flush(c) < 0 || fill(c, 4) < 0)
		return -1;
	memcpy(&n, c->in + c->inoff, 4);
	n = ntohl(n);
	if (n < 1 || n > MLOAD_MAX_PACKET) {
		str_format(c->err, sizeof(c->err), "bad packet length %u", n);
		return -1;
	}
	if (fill(c, 4 + (size_t)n) < 0)
		return -1;
	*cmd = (char)c->in[c->inoff + 4];
	*data = c->in + c->inoff + 5;
	*len = n - 1;
	c->inoff += 4 + (size_t)n;
	if (c->inoff == c->inlen)
		c->inoff = c->inlen = 0;
	return 0;
}

/* ----------------------------------------------------------- negotiation */

static int stage_of(char event)
{
	static const char map[] = "CHMRTEN";
	const char *p;

	if (event == SMFIC_HEADER)
		return 6;       /* Postfix sends the eoh macros with headers */
	if (event == SMFIC_BODY)
		return 5;       /* and the end-of-data macros with body chunks */
	p = strchr(map, event);
	return p && *p ? (int)(p - map) : -1;
}

/* Keep a stage's macro list as " a b c " with braces removed, so that
 * "{auth_authen}" and "auth_authen" match alike. */
static char *symlist_words(const char *p, size_t n)
{
	strbuf_t sb;
	size_t i = 0, w;

	strbuf_init(&sb, 4096);
	strbuf_putc(&sb, ' ');
	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == ','))
			i++;
		for (w = i; w < n && p[w] != ' ' && p[w] != ','; w++)
			;
		if (w > i + 2 && p[i] == '{' && p[w - 1] == '}')
			strbuf_append(&sb, p + i + 1, w - i - 2);
		else
			strbuf_append(&sb, p + i, w - i);
		strbuf_putc(&sb, ' ');
		i = w;
	}
	return strbuf_steal(&sb);
}

static int read_symlists(mload_conn_t *c, const unsigned char *p, size_t n)
{
	uint32_t stage;
	const unsigned char *nul;

	while (n > 0) {
		if (n < 5)
			return conn_fail(c, "truncated macro list in OPTNEG");
		memcpy(&stage, p, 4);
		stage = ntohl(stage);
		nul = memchr(p + 4, '\0', n - 4);
		if (nul == NULL)
			return conn_fail(c, "unterminated macro list");
		if (stage < MLOAD_STAGES) {
			free(c->symlist[stage]);
			c->symlist[stage] = symlist_words((const char *)p + 4,
			    (size_t)(nul - p - 4));
		}
		n -= (size_t)(nul + 1 - p);
		p = nul + 1;
	}
	return 0;
}

static int negotiate(mload_conn_t *c)
{
	uint32_t w[3] = { htonl(SMFI_PROT_VERSION), htonl(SMFI_CURR_ACTS),
	    htonl(SMFI_CURR_PROT) };
	const unsigned char *data;
	size_t len;
	char cmd;

	if (send_packet(c, SMFIC_OPTNEG, w, sizeof(w)) < 0 ||
	    read_packet(c, &cmd, &data, &len) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || len < 12)
		return conn_fail(c, "bad OPTNEG reply");
	memcpy(w, data, 12);
	c->version = ntohl(w[0]);
	c->actions = ntohl(w[1]);
	c->protocol = ntohl(w[2]);
	if (c->version < 2 || c->version > SMFI_PROT_VERSION)
		return conn_fail(c, "unsupported milter protocol version");
	if (c->actions & ~(unsigned long)SMFI_CURR_ACTS)
		return conn_fail(c, "milter wants actions not offered");
	if (c->protocol & ~(unsigned long)SMFI_CURR_PROT)
		return conn_fail(c, "milter wants protocol steps not offered");
	return read_symlists(c, data + 12, len - 12);
}

int mload_conn_open(mload_conn_t *c, const mload_endpoint_t *ep,
    int timeout_ms)
{
	struct timeval tv;

	memset(c, 0, sizeof(*c));
	c->fd = socket(ep->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		str_format(c->err, sizeof(c->err), "socket: %s",
		    strerror(errno));
		return -1;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (const struct sockaddr *)&ep->addr,
	    ep->addrlen) < 0) {
		str_format(c->err, sizeof(c->err), "connect %s: %s", ep->spec,
		    strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if ((c->out = malloc(OUTBUF_MAX)) == NULL ||
	    (c->in = malloc(INBUF_SIZE)) == NULL)
		abort();
	if (negotiate(c) < 0) {
		mload_conn_close(c);
		return -1;
	}
	return 0;
}

void mload_conn_close(mload_conn_t *c)
{
	int i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < MLOAD_STAGES; i++) {
		free(c->symlist[i]);
		c->symlist[i] = NULL;
	}
	free(c->out);
	free(c->in);
	c->out = c->in = NULL;
	c->outlen = c->inlen = c->inoff = 0;
}

/* ---------------------------------------------------------------- events */

static bool macro_wanted(const char *list, const char *name)
{
	char key[128];
	size_t n = strlen(name);

	if (list == NULL)
		return true;
	if (n > 2 && name[0] == '{' && name[n - 1] == '}') {
		name++;
		n -= 2;
	}
	return str_format(key, sizeof(key), " %.*s ", (int)n, name) > 0 &&
	    strstr(list, key) != NULL;
}

int mload_conn_macros(mload_conn_t *c, char event, const char *const *name,
    const char *const *value, size_t n)
{
	unsigned char buf[4096];
	size_t len = 1, i, nl, vl;
	int stage = stage_of(event);
	const char *list = stage >= 0 ? c->symlist[stage] : NULL;

	buf[0] = (unsigned char)event;
	for (i = 0; i < n; i++) {
		if (value[i] == NULL || !macro_wanted(list, name[i]))
			continue;
		nl = strlen(name[i]) + 1;
		vl = strlen(value[i]) + 1;
		if (len + nl + vl > sizeof(buf))
			return conn_fail(c, "macros too long");
		memcpy(buf + len, name[i], nl);
		memcpy(buf + len + nl, value[i], vl);
		len += nl + vl;
	}
	return send_packet(c, SMFIC_MACRO, buf, len);
}

static const struct {
	char event;
	unsigned long skip;     /* SMFIP_NO*: milter does not want it */
	unsigned long noreply;  /* SMFIP_NR_*: milter does not answer it */
} event_flags[] = {
	{ SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN },
	{ SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO },
	{ SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL },
	{ SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT },
	{ SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA },
	{ SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR },
	{ SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH },
	{ SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY },
	{ SMFIC_UNKNOWN, SMFIP_NOUNKNOWN, SMFIP_NR_UNKN },
	{ SMFIC_BODYEOB, 0, 0 },
};

/* Exactly two NUL-terminated strings. */
static int two_strings(const unsigned char *p, size_t n, const char **a,
    const char **b)
{
	const unsigned char *nul;

	if (n < 2 || p[n - 1] != '\0')
		return -1;
	nul = memchr(p, '\0', n);
	if (nul == NULL || (size_t)(nul - p) + 1 >= n ||
	    memchr(nul + 1, '\0', n - (size_t)(nul - p) - 1) != p + n - 1)
		return -1;
	*a = (const char *)p;
	*b = (const char *)nul + 1;
	return 0;
}

static int add_edit(mload_conn_t *c, mload_reply_t *r, char cmd,
    const unsigned char *p, size_t n, bool indexed)
{
	const char *name, *value;
	uint32_t idx = 0;
	mload_edit_t *e;

	if (indexed) {
		if (n < 4)
			return conn_fail(c, "short header edit");
		memcpy(&idx, p, 4);
		idx = ntohl(idx);
		p += 4;
		n -= 4;
	}
	if (two_strings(p, n, &name, &value) < 0 || name[0] == '\0')
		return conn_fail(c, "malformed header edit");
	if (r->nedit >= MLOAD_MAX_EDITS)
		return conn_fail(c, "too many header edits");
	if (r->nedit % 8 == 0 && (r->edit = realloc(r->edit,
	    (r->nedit + 8) * sizeof(*r->edit))) == NULL)
		abort();
	e = &r->edit[r->nedit++];
	e->cmd = cmd;
	e->index = idx;
	if ((e->name = strdup(name)) == NULL ||
	    (e->value = strdup(value)) == NULL)
		abort();
	return 0;
}

static int need_action(mload_conn_t *c, unsigned long flag)
{
	if (c->actions & flag)
		return 0;
	return conn_fail(c, "modification without its negotiated action");
}

static int modification(mload_conn_t *c, char cmd, const unsigned char *p,
    size_t n, mload_reply_t *r)
{
	switch (cmd) {
	case SMFIR_ADDHEADER:
		if (need_action(c, SMFIF_ADDHDRS) < 0)
			return -1;
		return add_edit(c, r, cmd, p, n, false);
	case SMFIR_INSHEADER:
		if (need_action(c, SMFIF_ADDHDRS) < 0)
			return -1;
		return add_edit(c, r, cmd, p, n, true);
	case SMFIR_CHGHEADER:
		if (need_action(c, SMFIF_CHGHDRS) < 0)
			return -1;
		return add_edit(c, r, cmd, p, n, true);
	case SMFIR_ADDRCPT:
	case SMFIR_ADDRCPT_PAR:
		r->other_mods++;
		return need_action(c, cmd == SMFIR_ADDRCPT ? SMFIF_ADDRCPT :
		    SMFIF_ADDRCPT_PAR);
	case SMFIR_DELRCPT:
		r->other_mods++;
		return need_action(c, SMFIF_DELRCPT);
	case SMFIR_CHGFROM:
		r->other_mods++;
		return need_action(c, SMFIF_CHGFROM);
	case SMFIR_REPLBODY:
		r->other_mods++;
		return need_action(c, SMFIF_CHGBODY);
	default:
		str_format(c->err, sizeof(c->err), "unexpected reply '%c' at "
		    "end of message", cmd > 32 && cmd < 127 ? cmd : '?');
		return -1;
	}
}

static int reply_code(mload_conn_t *c, const unsigned char *p, size_t n,
    mload_reply_t *r)
{
	char text[MLOAD_REPLY_TEXT_MAX];

	if (n == 0 || p[n - 1] != '\0' || memchr(p, '\0', n) != p + n - 1 ||
	    str_copy(text, sizeof(text), (const char *)p) < 0)
		return conn_fail(c, "malformed reply code packet");
	if ((text[0] != '4' && text[0] != '5') || text[1] < '0' ||
	    text[1] > '9' || text[2] < '0' || text[2] > '9' ||
	    (text[3] != ' ' && text[3] != '-' && text[3] != '\0'))
		return conn_fail(c, "malformed SMTP reply code");
	str_copy(r->text, sizeof(r->text), text);
	r->action = text[0] == '5' ? MLOAD_REJECT : MLOAD_TEMPFAIL;
	return 0;
}

/* A reply that ends the event: 1, with reply->action set; 0 otherwise. */
static int final_reply(char cmd, mload_reply_t *r)
{
	switch (cmd) {
	case SMFIR_CONTINUE:
		r->action = MLOAD_CONTINUE;
		return 1;
	case SMFIR_ACCEPT:
		r->action = MLOAD_ACCEPT;
		return 1;
	case SMFIR_DISCARD:
		r->action = MLOAD_DISCARD;
		return 1;
	case SMFIR_SKIP:
		r->action = MLOAD_SKIP;
		return 1;
	case SMFIR_REJECT:
		r->action = MLOAD_REJECT;
		str_copy(r->text, sizeof(r->text), REJECT_TEXT);
		return 1;
	case SMFIR_TEMPFAIL:
		r->action = MLOAD_TEMPFAIL;
		str_copy(r->text, sizeof(r->text), TEMPFAIL_TEXT);
		return 1;
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:
		r->action = MLOAD_TEMPFAIL;
		r->shutdown = true;
		str_copy(r->text, sizeof(r->text), SHUTDOWN_TEXT);
		return 1;
	}
	return 0;
}

static int read_replies(mload_conn_t *c, char event, mload_reply_t *r)
{
	const unsigned char *p;
	size_t n;
	char cmd;

	for (;;) {
		if (read_packet(c, &cmd, &p, &n) < 0)
			return -1;
		if (cmd == SMFIR_PROGRESS)
			continue;
		if (final_reply(cmd, r)) {
			if (n > 0)
				return conn_fail(c, "reply followed by data");
			return 0;
		}
		if (cmd == SMFIR_REPLYCODE)
			return reply_code(c, p, n, r);
		if (cmd == SMFIR_QUARANTINE) {
			if (n == 0 || p[n - 1] != '\0')
				return conn_fail(c, "malformed quarantine");
			r->quarantine = true;
			str_printable(r->quarantine_reason,
			    sizeof(r->quarantine_reason), (const char *)p,
			    n - 1);
			continue;
		}
		if (event != SMFIC_BODYEOB)
			return conn_fail(c, "modification before end of "
			    "message");
		if (modification(c, cmd, p, n, r) < 0)
			return -1;
	}
}

int mload_conn_event(mload_conn_t *c, char event, const void *data,
    size_t len, mload_reply_t *reply)
{
	size_t i;

	memset(reply, 0, sizeof(*reply));
	reply->action = MLOAD_CONTINUE;
	for (i = 0; i < sizeof(event_flags) / sizeof(event_flags[0]); i++)
		if (event_flags[i].event == event)
			break;
	if (i == sizeof(event_flags) / sizeof(event_flags[0]))
		return conn_fail(c, "unknown event");
	if (c->protocol & event_flags[i].skip) {
		reply->action = MLOAD_SKIPPED_EVENT;
		return c->postfix_writes ? mload_conn_flush(c) : 0;
	}
	if (send_packet(c, event, data, len) < 0)
		return -1;
	if (c->protocol & event_flags[i].noreply)
		return c->postfix_writes ? mload_conn_flush(c) : 0;
	return read_replies(c, event, reply);
}

int mload_conn_abort(mload_conn_t *c)
{
	if (send_packet(c, SMFIC_ABORT, NULL, 0) < 0)
		return -1;
	return c->postfix_writes ? mload_conn_flush(c) : 0;
}

int mload_conn_quit(mload_conn_t *c)
{
	int rc = 0;

	if (c->fd >= 0 && (send_packet(c, SMFIC_QUIT, NULL, 0) < 0 ||
	    mload_conn_flush(c) < 0))
		rc = -1;
	mload_conn_close(c);
	return rc;
}

void mload_reply_free(mload_reply_t *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nedit; i++) {
		free(r->edit[i].name);
		free(r->edit[i].value);
	}
	free(r->edit);
	r->edit = NULL;
	r->nedit = 0;
}

const char *mload_action_name(enum mload_action a)
{
	static const char *const names[] = { "continue", "accept", "reject",
	    "tempfail", "discard", "skip", "skipped" };

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] :
	    "?";
}

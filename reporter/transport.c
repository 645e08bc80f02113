/*
 * transport - sendmail(1) and a small SMTP client.  See transport.h.
 */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../util/strbuf.h"

const char *send_status_name(send_status_t s)
{
	switch (s) {
	case SEND_OK: return "sent";
	case SEND_TEMPFAIL: return "temporary failure";
	case SEND_PERMFAIL: return "permanent failure";
	}
	return "?";
}

/* ---- sendmail ------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static send_status_t exit_status(int status, char *why, size_t whylen)
{
	int code;

	if (WIFSIGNALED(status)) {
		str_format(why, whylen, "sendmail killed by signal %d",
		    WTERMSIG(status));
		return SEND_TEMPFAIL;
	}
	code = WEXITSTATUS(status);
	if (code == 0) {
		str_copy(why, whylen, "accepted by sendmail");
		return SEND_OK;
	}
	str_format(why, whylen, "sendmail exit status %d", code);
	switch (code) {
	case EX_DATAERR: case EX_NOUSER: case EX_NOHOST: case EX_NOPERM:
		return SEND_PERMFAIL;
	}
	return SEND_TEMPFAIL;
}

static send_status_t via_sendmail(const transport_t *t, const char *sender,
    const char *rcpt, const char *msg, size_t len, char *why, size_t whylen)
{
	int fds[2], status, wrc;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		str_format(why, whylen, "pipe: %s", strerror(errno));
		return SEND_TEMPFAIL;
	}
	if ((pid = fork()) < 0) {
		str_format(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return SEND_TEMPFAIL;
	}
	if (pid == 0) {
		char *argv[] = { (char *)t->sendmail, "-oi", "-f",
		    (char *)sender, "--", (char *)rcpt, NULL };

		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[0], 0) < 0)
			_exit(EX_OSERR);
		close(fds[0]);
		close(fds[1]);
		execv(t->sendmail, argv);
		_exit(EX_OSERR);     /* cannot run it: temporary */
	}
	close(fds[0]);
	wrc = write_all(fds[1], msg, len);
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			str_format(why, whylen, "waitpid: %s", strerror(errno));
			return SEND_TEMPFAIL;
		}
	if (wrc < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		str_copy(why, whylen, "sendmail did not read the message");
		return SEND_TEMPFAIL;
	}
	return exit_status(status, why, whylen);
}

/* ---- SMTP ----------------------------------------------------------- */

typedef struct smtp {
	int fd;
	SSL_CTX *ctx;                /* after STARTTLS */
	SSL *ssl;
	char host[256];              /* relay name, for SNI */
	bool starttls;               /* the last EHLO reply offered it */
	char buf[TRANSPORT_LINE_MAX * 4];
	size_t have;                 /* bytes in buf */
	char last[TRANSPORT_LINE_MAX];  /* last reply line, printable */
} smtp_t;

static ssize_t smtp_read(smtp_t *s, void *p, size_t n)
{
	int r;

	if (s->ssl == NULL)
		return read(s->fd, p, n);
	r = SSL_read(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	return r > 0 ? r : -1;
}

static int smtp_write(smtp_t *s, const char *p, size_t n)
{
	if (s->ssl == NULL)
		return write_all(s->fd, p, n);
	while (n > 0) {
		int w = SSL_write(s->ssl, p, n > INT32_MAX ? INT32_MAX :
		    (int)n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void smtp_close(smtp_t *s)
{
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	SSL_CTX_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int smtp_connect(const transport_t *t, smtp_t *s, char *why,
    size_t whylen)
{
	char host[256], port[16] = "25";
	const char *r = t->relay, *colon;
	struct addrinfo hints, *ai = NULL, *a;
	struct timeval tv = { t->timeout_s ? t->timeout_s :
	    TRANSPORT_TIMEOUT_S, 0 };
	int rc;

	if (r[0] == '[' && (colon = strchr(r, ']')) != NULL) {
		str_ncopy(host, sizeof(host), r + 1, (size_t)(colon - r - 1));
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = strrchr(r, ':');
		str_ncopy(host, sizeof(host), r, colon ? (size_t)(colon - r) :
		    strlen(r));
	}
	if (colon)
		str_copy(port, sizeof(port), colon + 1);
	str_copy(s->host, sizeof(s->host), r[0] == '[' ? "" : host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		str_format(why, whylen, "relay %s: %s", r, gai_strerror(rc));
		return -1;
	}
	s->fd = -1;
	for (a = ai; a && s->fd < 0; a = a->ai_next) {
		s->fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (s->fd < 0)
			continue;
		setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(s->fd, a->ai_addr, a->ai_addrlen) < 0) {
			str_format(why, whylen, "relay %s: %s", r,
			    strerror(errno));
			close(s->fd);
			s->fd = -1;
		}
	}
	freeaddrinfo(ai);
	return s->fd < 0 ? -1 : 0;
}

/* One line (without CRLF) into line[]; -1 on EOF, timeout, overlong. */
static int smtp_line(smtp_t *s, char *line, size_t size)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(s->buf, '\n', s->have);
		if (nl != NULL) {
			size_t len = (size_t)(nl - s->buf);

			if (len >= size)
				return -1;
			memcpy(line, s->buf, len);
			line[len > 0 && line[len - 1] == '\r' ? len - 1 : len] =
			    '\0';
			memmove(s->buf, nl + 1, s->have - len - 1);
			s->have -= len + 1;
			return 0;
		}
		if (s->have >= TRANSPORT_LINE_MAX)
			return -1;
		n = smtp_read(s, s->buf + s->have, sizeof(s->buf) - s->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s->have += (size_t)n;
	}
}

/* The reply code (200..599) of a possibly multi-line reply, or -1. */
static int smtp_reply(smtp_t *s)
{
	char line[TRANSPORT_LINE_MAX];
	int i, code = -1;

	for (i = 0; i < TRANSPORT_LINES_MAX; i++) {
		if (smtp_line(s, line, sizeof(line)) < 0 || strlen(line) < 3 ||
		    line[0] < '2' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9')
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		str_printable(s->last, sizeof(s->last), line, strlen(line));
		if (code == 250 && strlen(line) >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (line[12] == '\0' || line[12] == ' '))
			s->starttls = true;
		if (line[3] != '-')
			return code;
	}
	return -1;
}

static int smtp_cmd(smtp_t *s, const char *cmd)
{
	char line[TRANSPORT_LINE_MAX];

	str_format(line, sizeof(line), "%s\r\n", cmd);
	s->starttls = false;
	if (smtp_write(s, line, strlen(line)) < 0)
		return -1;
	return smtp_reply(s);
}

/* The message with dot-stuffing and CRLF line ends, then ".". */
static int smtp_data(smtp_t *s, const char *msg, size_t len)
{
	strbuf_t sb;
	size_t i;
	bool bol = true;
	int rc;

	strbuf_init(&sb, len + len / 16 + 64);
	for (i = 0; i < len; i++) {
		if (bol && msg[i] == '.')
			strbuf_putc(&sb, '.');
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			strbuf_putc(&sb, '\r');
		strbuf_putc(&sb, msg[i]);
		bol = msg[i] == '\n';
	}
	if (!bol)
		strbuf_puts(&sb, "\r\n");
	strbuf_puts(&sb, ".\r\n");
	rc = sb.truncated ? -1 : smtp_write(s, sb.s, sb.len);
	strbuf_free(&sb);
	return rc < 0 ? -1 : smtp_reply(s);
}

static send_status_t smtp_status(smtp_t *s, int code, const char *stage,
    char *why, size_t whylen)
{
	if (code < 0) {
		str_format(why, whylen, "relay: no valid reply to %s", stage);
		return SEND_TEMPFAIL;
	}
	str_format(why, whylen, "relay at %s: %s", stage, s->last);
	return code >= 500 ? SEND_PERMFAIL : SEND_TEMPFAIL;
}

/* RFC 3207: 0 when the session is now TLS, 1 when the relay refused
 * STARTTLS (go on without), -1 when the handshake failed (why says so;
 * this connection is unusable). */
static int smtp_starttls(smtp_t *s, char *why, size_t whylen)
{
	unsigned long e;
	int code = smtp_cmd(s, "STARTTLS");

	if (code != 220)
		return code < 0 ? -1 : 1;
	s->have = 0;        /* RFC 3207 5: nothing read before TLS counts */
	if ((s->ctx = SSL_CTX_new(TLS_client_method())) != NULL) {
		/* Opportunistic, like Postfix's "may" level: encrypted, the
		 * certificate not checked (the relay is the local MTA). */
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
		s->ssl = SSL_new(s->ctx);
	}
	if (s->ssl != NULL && SSL_set_fd(s->ssl, s->fd) == 1 &&
	    (s->host[0] == '\0' || SSL_set_tlsext_host_name(s->ssl,
	    s->host) == 1) && SSL_connect(s->ssl) == 1)
		return 0;
	e = ERR_get_error();
	str_format(why, whylen, "relay: TLS handshake failed: %s",
	    e ? ERR_reason_error_string(e) : "connection closed");
	ERR_clear_error();
	SSL_free(s->ssl);
	s->ssl = NULL;
	return -1;
}

static int smtp_hello(const transport_t *t, smtp_t *s, const char **stage)
{
	char cmd[TRANSPORT_LINE_MAX];
	int code;

	str_format(cmd, sizeof(cmd), "EHLO %s", t->helo ? t->helo :
	    "localhost");
	if ((code = smtp_cmd(s, cmd)) == 250)
		return code;
	*stage = "HELO";
	str_format(cmd, sizeof(cmd), "HELO %s", t->helo ? t->helo :
	    "localhost");
	return smtp_cmd(s, cmd);
}

/* One SMTP session; with use_tls, STARTTLS when the relay offers it.
 * *tls_failed: the handshake failed, the caller may try without. */
static send_status_t via_smtp(const transport_t *t, const char *sender,
    const char *rcpt, const char *msg, size_t len, bool use_tls,
    bool *tls_failed, char *why, size_t whylen)
{
	smtp_t *s = calloc(1, sizeof(*s));
	char cmd[TRANSPORT_LINE_MAX];
	send_status_t st = SEND_TEMPFAIL;
	const char *stage = "greeting";
	int code;

	if (s == NULL)
		abort();
	*tls_failed = false;
	if (smtp_connect(t, s, why, whylen) < 0) {
		free(s);
		return SEND_TEMPFAIL;
	}
	if ((code = smtp_reply(s)) != 220)
		goto out;
	stage = "EHLO";
	if ((code = smtp_hello(t, s, &stage)) != 250)
		goto out;
	if (use_tls && s->starttls && strcmp(stage, "EHLO") == 0) {
		stage = "STARTTLS";
		if ((code = smtp_starttls(s, why, whylen)) < 0) {
			*tls_failed = true;
			smtp_close(s);
			return SEND_TEMPFAIL;
		}
		stage = "EHLO after STARTTLS";
		if (code == 0 && (code = smtp_hello(t, s, &stage)) != 250)
			goto out;
	}
	stage = "MAIL FROM";
	str_format(cmd, sizeof(cmd), "MAIL FROM:<%s>", sender);
	if ((code = smtp_cmd(s, cmd)) != 250)
		goto out;
	stage = "RCPT TO";
	str_format(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpt);
	if ((code = smtp_cmd(s, cmd)) != 250 && code != 251)
		goto out;
	stage = "DATA";
	if ((code = smtp_cmd(s, "DATA")) != 354)
		goto out;
	stage = "end of data";
	if ((code = smtp_data(s, msg, len)) != 250)
		goto out;
	st = SEND_OK;
	str_format(why, whylen, "relay%s: %s", s->ssl ? " (TLS)" : "",
	    s->last);
	smtp_cmd(s, "QUIT");
out:
	if (st != SEND_OK)
		st = smtp_status(s, code, stage, why, whylen);
	smtp_close(s);
	return st;
}

send_status_t transport_send(const transport_t *t, const char *sender,
    const char *rcpt, const char *msg, size_t len, char *why, size_t whylen)
{
	char first[512], sent[512];
	bool tls_failed;
	send_status_t st;

	if (t->relay && t->relay[0]) {
		st = via_smtp(t, sender, rcpt, msg, len, true, &tls_failed,
		    why, whylen);
		if (!tls_failed)
			return st;
		/* As an MTA does at its "may" level: once more in clear. */
		str_copy(first, sizeof(first), why);
		st = via_smtp(t, sender, rcpt, msg, len, false, &tls_failed,
		    why, whylen);
		if (st == SEND_OK) {
			str_copy(sent, sizeof(sent), why);
			str_format(why, whylen, "%s (without TLS: %s)", sent,
			    first);
		}
		return st;
	}
	return via_sendmail(t, sender, rcpt, msg, len, why, whylen);
}

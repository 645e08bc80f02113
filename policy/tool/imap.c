/*
 * imap - report emails from an IMAP mailbox, with libcurl.  See imap.h.
 */
#include "imap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "../../util/strbuf.h"

#define SEARCH_MAX (1u << 20)     /* bytes of the UID SEARCH answer */

typedef struct session {
	CURL *curl;
	char base[IMAP_URL_MAX];     /* scheme://[userinfo@]host[:port] */
	char label[IMAP_URL_MAX];    /* the same without the password */
	char mailbox[IMAP_URL_MAX];  /* as in the URL (percent-encoded) */
	char errbuf[CURL_ERROR_SIZE];
	strbuf_t buf;
	bool url_password;           /* the URL carries one */
} session_t;

bool imap_folder_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= IMAP_FOLDER_MAX && strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-/") == n && name[0] != '/';
}

/* Split the URL into base, label and mailbox. */
static int parse_url(session_t *s, const char *url, bool *tls, char *err,
    size_t errlen)
{
	const char *rest, *slash, *at, *colon, *end;
	size_t schemelen;

	if (strncasecmp(url, "imaps://", 8) == 0)
		schemelen = 8, *tls = true;
	else if (strncasecmp(url, "imap://", 7) == 0)
		schemelen = 7, *tls = false;
	else {
		str_copy(err, errlen, "--imap: the URL must start with imap:// "
		    "or imaps://");
		return -1;
	}
	rest = url + schemelen;
	slash = strchr(rest, '/');
	end = slash ? slash : rest + strlen(rest);
	if (end == rest || strlen(url) >= IMAP_URL_MAX ||
	    strpbrk(url, " \t\r\n") != NULL) {
		str_copy(err, errlen, "--imap: bad URL (no host, too long, or "
		    "blanks)");
		return -1;
	}
	str_ncopy(s->base, sizeof(s->base), url, (size_t)(end - url));
	/* the label leaves the password out */
	at = memchr(rest, '@', (size_t)(end - rest));
	while (at && memchr(at + 1, '@', (size_t)(end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(end - at - 1));
	colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
	s->url_password = colon != NULL;
	str_format(s->label, sizeof(s->label), "%.*s%.*s%s", (int)(schemelen +
	    (size_t)((colon ? colon : at ? at : rest) - rest)), url,
	    at ? (int)(end - at) : (int)(end - rest), at ? at : rest, "");
	if (slash && slash[1]) {
		size_t n = strcspn(slash + 1, ";?");

		str_ncopy(s->mailbox, sizeof(s->mailbox), slash + 1, n);
	}
	if (s->mailbox[0] == '\0')
		str_copy(s->mailbox, sizeof(s->mailbox), "INBOX");
	return 0;
}

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	strbuf_t *sb = ctx;

	if (strbuf_append(sb, p, size * n) < 0)
		return 0;                /* over the cap: abort the transfer */
	return size * n;
}

/* One request: URL base/path, optional custom command; answer in buf. */
static CURLcode request(session_t *s, const char *path, const char *cmd,
    size_t max)
{
	char url[IMAP_URL_MAX * 2];

	strbuf_free(&s->buf);
	strbuf_init(&s->buf, max);
	str_format(url, sizeof(url), "%s/%s", s->base, path);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, cmd);
	s->errbuf[0] = '\0';
	return curl_easy_perform(s->curl);
}

static int fail(session_t *s, CURLcode rc, const char *what, char *err,
    size_t errlen)
{
	char why[CURL_ERROR_SIZE + 64];

	str_format(why, sizeof(why), "%s: %s", what, s->errbuf[0] ?
	    s->errbuf : curl_easy_strerror(rc));
	str_printable(err, errlen, why, strlen(why));
	return -1;
}

static int setup(session_t *s, const imap_opts_t *o, bool tls, char *err,
    size_t errlen)
{
	const char *pw = getenv("DMARCWARDEN_IMAP_PASSWORD");

	if ((s->curl = curl_easy_init()) == NULL) {
		str_copy(err, errlen, "libcurl: cannot initialise");
		return -1;
	}
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->buf);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, o->timeout_s);
	curl_easy_setopt(s->curl, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (pw && pw[0] && !s->url_password)
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, pw);
	if (!tls && !o->no_tls)
		curl_easy_setopt(s->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	return 0;
}

/* UIDs from "* SEARCH 1 2 3" lines, ascending, at most IMAP_MAX_MESSAGES. */
static size_t search_uids(const strbuf_t *b, unsigned long *uids)
{
	const char *p = strbuf_str(b);
	size_t n = 0;

	while ((p = strstr(p, "* SEARCH")) != NULL) {
		char *end;

		p += 8;
		while (*p == ' ' && n < IMAP_MAX_MESSAGES) {
			unsigned long u = strtoul(p + 1, &end, 10);

			if (end == p + 1 || u == 0)
				break;
			uids[n++] = u;
			p = end;
		}
	}
	return n;
}

static int by_uid(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Fetch, hand over and maybe move each message. */
static int each_message(session_t *s, const imap_opts_t *o,
    const unsigned long *uids, size_t n, imap_each_fn each, void *ctx,
    char *err, size_t errlen)
{
	char path[IMAP_URL_MAX + 32], cmd[IMAP_FOLDER_MAX + 64];
	char label[IMAP_URL_MAX + 64];
	CURLcode rc;
	size_t i;
	int keep;

	for (i = 0; i < n; i++) {
		str_format(path, sizeof(path), "%s;UID=%lu", s->mailbox, uids[i]);
		str_format(label, sizeof(label), "%s/%s", s->label, path);
		rc = request(s, path, NULL, o->max);
		if (rc != CURLE_OK && !s->buf.truncated)
			return fail(s, rc, "IMAP FETCH", err, errlen);
		keep = s->buf.truncated ? each(ctx, label, NULL, 0) :
		    each(ctx, label, strbuf_str(&s->buf), s->buf.len);
		if (keep < 0) {
			str_copy(err, errlen, "stopped (database error)");
			return -1;
		}
		if (keep == 0)
			continue;
		str_format(cmd, sizeof(cmd), "UID MOVE %lu %s", uids[i],
		    o->processed);
		if ((rc = request(s, s->mailbox, cmd, SEARCH_MAX)) != CURLE_OK)
			return fail(s, rc, "IMAP UID MOVE", err, errlen);
	}
	return 0;
}

int imap_fetch(const imap_opts_t *o, imap_each_fn each, void *ctx, char *err,
    size_t errlen)
{
	session_t *s = calloc(1, sizeof(*s));
	unsigned long *uids = NULL;
	char cmd[IMAP_FOLDER_MAX + 16];
	CURLcode rc;
	bool tls;
	int ret = -1;
	size_t n = 0;

	if (s == NULL)
		abort();
	strbuf_init(&s->buf, SEARCH_MAX);
	if (!imap_folder_ok(o->processed))
		str_copy(err, errlen, "--imap-processed: use letters, digits "
		    "and . _ - / only");
	else if (parse_url(s, o->url, &tls, err, errlen) == 0 &&
	    setup(s, o, tls, err, errlen) == 0) {
		/* CREATE fails when the folder exists: that is fine */
		str_format(cmd, sizeof(cmd), "CREATE %s", o->processed);
		request(s, "", cmd, SEARCH_MAX);
		if ((uids = calloc(IMAP_MAX_MESSAGES, sizeof(*uids))) == NULL)
			abort();
		rc = request(s, s->mailbox, "UID SEARCH ALL", SEARCH_MAX);
		if (rc != CURLE_OK) {
			fail(s, rc, "IMAP login, SELECT or SEARCH", err, errlen);
		} else {
			n = search_uids(&s->buf, uids);
			qsort(uids, n, sizeof(*uids), by_uid);
			if (each_message(s, o, uids, n, each, ctx, err,
			    errlen) == 0)
				ret = (int)n;
		}
	}
	if (s->curl)
		curl_easy_cleanup(s->curl);
	strbuf_free(&s->buf);
	free(uids);
	free(s);
	return ret;
}

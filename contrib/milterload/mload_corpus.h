/*
 * mload_corpus - the messages and envelopes milterload replays.
 *
 * SYNOPSIS
 *	mload_corpus_t c;
 *	if (mload_corpus_load("dir", &c, err, sizeof(err)) < 0) ...;
 *	const mload_msg_t *m = &c.msg[i];
 *	mload_corpus_free(&c);
 *
 *	int mload_msg_parse(mload_msg_t *m, const unsigned char *raw,
 *	    size_t len, char *err, size_t errlen);
 *	int mload_env_parse(mload_msg_t *m, const char *text, size_t len,
 *	    char *err, size_t errlen);
 *
 * DESCRIPTION
 *	A corpus directory holds NAME.eml files (RFC 5322 messages, CRLF or
 *	LF line ends) and, next to each, NAME.env, its SMTP envelope: one
 *	"keyword value" per line, '#' starts a comment line:
 *
 *	    client 198.51.100.7 mail.shop.test   client IP, optional name
 *	    helo mail.shop.test                  HELO/EHLO argument
 *	    mail <bounce@shop.test>              MAIL FROM (<> for null)
 *	    rcpt <user@mx.test.local>            RCPT TO, once per recipient
 *	    auth alice                           optional SMTP AUTH user
 *
 *	client, mail and at least one rcpt are required; helo defaults to
 *	the client name, else "[IP]".  Messages are sorted by file name.
 *
 *	A message is split the way Postfix hands it to a milter (as
 *	t/lib/milterclient.py's parse_message does): header fields with
 *	their folded lines joined by "\n" (CR removed) and the value kept
 *	from right after the colon, leading space included; the body with
 *	CRLF line ends.  A line that is neither a header field nor a
 *	continuation ends the header block.  When the file's body already
 *	has CRLF line ends throughout, the body points into the read-only
 *	mapping of the file (zero copy, pages shared by every connection
 *	that replays it); otherwise a converted copy is made.
 *
 *	Bounds: MLOAD_MAX_HEADERS header fields, MLOAD_MAX_RCPT recipients,
 *	envelope lines of MLOAD_ENV_LINE_MAX bytes, MLOAD_MAX_MESSAGES
 *	messages; anything beyond is an error naming the file.
 *
 *	The corpus owns every string and mapping; mload_corpus_free()
 *	releases them (it accepts a zeroed corpus).  The corpus is
 *	read-only after loading, so worker threads share it.
 *
 * DIAGNOSTICS
 *	-1 with a message "FILE: reason" (or "FILE:LINE: reason") in err.
 */
#ifndef MLOAD_CORPUS_H
#define MLOAD_CORPUS_H

#include <stddef.h>

#define MLOAD_MAX_HEADERS 2000
#define MLOAD_MAX_RCPT 100
#define MLOAD_ENV_LINE_MAX 1024
#define MLOAD_MAX_MESSAGES 1000000
#define MLOAD_ADDR_MAX 512
#define MLOAD_NAME_MAX 256

typedef struct mload_header {
	char *name;         /* NUL-terminated field name */
	char *value;        /* after the colon, folds as "\n", no CR */
} mload_header_t;

typedef struct mload_msg {
	char *file;                         /* base name without .eml */
	char client_ip[64];
	char client_name[MLOAD_NAME_MAX];   /* "" when unknown */
	char helo[MLOAD_NAME_MAX];
	char mail_from[MLOAD_ADDR_MAX];     /* with the angle brackets */
	char auth[MLOAD_NAME_MAX];          /* "" when not authenticated */
	char **rcpt;
	size_t nrcpt;
	mload_header_t *hdr;
	size_t nhdr;
	const unsigned char *body;          /* CRLF line ends */
	size_t body_len;
	void *map;                          /* mmap of the file, or NULL */
	size_t map_len;
	unsigned char *body_copy;           /* converted body, or NULL */
} mload_msg_t;

typedef struct mload_corpus {
	mload_msg_t *msg;
	size_t nmsg;
} mload_corpus_t;

int mload_corpus_load(const char *dir, mload_corpus_t *c, char *err,
    size_t errlen);
void mload_corpus_free(mload_corpus_t *c);
int mload_msg_parse(mload_msg_t *m, const unsigned char *raw, size_t len,
    char *err, size_t errlen);
int mload_env_parse(mload_msg_t *m, const char *text, size_t len,
    char *err, size_t errlen);
void mload_msg_free(mload_msg_t *m);

#endif

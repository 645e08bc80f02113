/*
 * imap - fetch report emails from an IMAP mailbox (libcurl) and move the
 * ones handled to a processed folder.
 *
 * SYNOPSIS
 *	imap_opts_t o = { "imaps://user@host/INBOX", "Processed", false,
 *	    64 << 20, 60 };
 *	n = imap_fetch(&o, each, ctx, err, sizeof(err));
 *
 * DESCRIPTION
 *	The URL is imap:// or imaps://[user[:password]@]host[:port][/MAILBOX]
 *	(RFC 5092; MAILBOX defaults to INBOX).  The password, when not in
 *	the URL (where a process listing can show it), comes from
 *	$DMARCWARDEN_IMAP_PASSWORD, else from ~/.netrc
 *	(libcurl's netrc support).  imaps:// is TLS from the start; imap://
 *	requires STARTTLS unless no_tls is set (a server on loopback, a
 *	test).  Certificates are verified by libcurl's defaults.
 *
 *	imap_fetch() logs in, creates the processed folder when it does not
 *	exist, selects MAILBOX, lists every message (UID SEARCH ALL; at
 *	most IMAP_MAX_MESSAGES per run, lowest UIDs first) and fetches each
 *	whole message (BODY[], at most o->max bytes; a larger one is passed
 *	with data NULL and len 0, and left in place).  each(ctx, label,
 *	data, len) returns 1 to move the message to the processed folder
 *	(UID MOVE, RFC 6851), 0 to leave it, -1 to stop.  label is the
 *	message's URL without the password ("imap://user@host/INBOX;UID=7").
 *
 *	The processed folder name must be 1..100 characters of letters,
 *	digits and . _ - / (so it needs no quoting in an IMAP command and
 *	cannot inject one).
 *
 * DIAGNOSTICS
 *	imap_fetch() returns the number of messages fetched, or -1 with a
 *	printable reason in err (bad URL or folder, connection, login,
 *	SELECT, SEARCH or MOVE failure, each() asked to stop).
 */
#ifndef PTOOL_IMAP_H
#define PTOOL_IMAP_H

#include <stdbool.h>
#include <stddef.h>

#define IMAP_MAX_MESSAGES 10000
#define IMAP_URL_MAX 2048
#define IMAP_FOLDER_MAX 100

typedef struct imap_opts {
	const char *url;
	const char *processed;      /* folder the handled messages move to */
	bool no_tls;                /* allow imap:// without STARTTLS */
	size_t max;                 /* bytes of one message */
	long timeout_s;             /* connect and idle timeout */
} imap_opts_t;

typedef int (*imap_each_fn)(void *ctx, const char *label, const char *data,
    size_t len);

int imap_fetch(const imap_opts_t *o, imap_each_fn each, void *ctx, char *err,
    size_t errlen);
/* Is name a folder name imap_fetch() accepts? */
bool imap_folder_ok(const char *name);

#endif

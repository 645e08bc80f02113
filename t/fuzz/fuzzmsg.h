/*
 * fuzzmsg - split a fuzz input into a DNS zone, an envelope and a message,
 * and walk the message's header fields the way libmilter hands them over.
 *
 * SYNOPSIS
 *	fuzz_msg_t m;
 *	fuzz_msg_split(data, size, &m);
 *	fakedns_load(m.zone, m.zonelen);
 *	body = fuzz_msg_headers(m.msg, m.msglen, on_header, ctx);
 *
 * DESCRIPTION
 *	Input layout (the seeds in t/fuzz/corpus/ show it):
 *	    zone lines (fakedns.h syntax)
 *	    %%
 *	    CLIENT-IP HELO MAIL-FROM [OPTIONS]   (one line; "<>" for null;
 *	                                          OPTIONS: a word targets read)
 *	    header fields, an empty line, the body
 *	Without a "%%" line the whole input is the message, the zone is empty
 *	and the envelope is 192.0.2.1 / mail.example.org /
 *	sender@example.org.
 *
 *	fuzz_msg_headers() calls fn(ctx, name, value) for each header field:
 *	name is the text before the first ':', value every byte after it
 *	(leading space kept, as with SMFIP_HDR_LEADSPC), continuation lines
 *	joined with "\n" (libmilter's folding).  CR before LF is dropped.
 *	Lines without a colon are skipped, as an MTA would refuse them.  A
 *	NUL byte ends a name or value early, as it would in libmilter's C
 *	strings.  Returns the offset of the body (after the empty line, or
 *	len when there is none).
 */
#ifndef T_FUZZ_FUZZMSG_H
#define T_FUZZ_FUZZMSG_H

#include <stddef.h>
#include <stdint.h>

typedef struct fuzz_msg {
	const char *zone;
	size_t zonelen;
	char ip[64];
	char helo[256];
	char mailfrom[512];
	char options[64];
	const uint8_t *msg;
	size_t msglen;
} fuzz_msg_t;

typedef void (*fuzz_header_fn)(void *ctx, const char *name,
    const char *value);

void fuzz_msg_split(const uint8_t *data, size_t size, fuzz_msg_t *m);
size_t fuzz_msg_headers(const uint8_t *msg, size_t len, fuzz_header_fn fn,
    void *ctx);

#endif

/*
 * nullmilter - the libmilter floor for `make bench`.
 *
 *	nullmilter SOCKET
 *
 * A milter that does nothing but speak the protocol exactly as
 * dmarcwarden does (milter/milter.c): it negotiates the same actions and
 * the same no-reply and not-sent steps, answers connect, MAIL FROM and
 * end-of-headers, and at end of message inserts one Authentication-
 * Results header of typical size and accepts.  It reads no header, hashes
 * nothing, asks no DNS and writes no history.  Its latency and CPU per
 * message under the same load are what any libmilter filter pays on this
 * machine before doing any work (thread hand-offs of libmilter's worker
 * pool, one poll() and two read()s per milter command), the baseline
 * dmarcwarden's figures are compared with.  Runs in the foreground until
 * SIGTERM or SIGINT.
 */
#include <libmilter/mfapi.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define NULL_NO_REPLY (SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
	SMFIP_NR_BODY)
#define NULL_NOT_SENT (SMFIP_NODATA | SMFIP_NOUNKNOWN)

/* About the size of dmarcwarden's header for a signed message. */
static char null_authres[] = " mx.example; dkim=pass header.d=example.com "
	"header.s=sel1 header.a=rsa-sha256 header.b=AbCdEfGh; "
	"spf=pass smtp.mailfrom=example.com; "
	"dmarc=pass (p=reject sp=reject pct=100) header.from=example.com";

static _Atomic unsigned long null_noreply;

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0,
    unsigned long f1, unsigned long f2, unsigned long f3,
    unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | NULL_NO_REPLY | NULL_NOT_SENT);
	*pf2 = 0;
	*pf3 = 0;
	null_noreply = f1 & NULL_NO_REPLY;  /* same for every connection */
	return SMFIS_CONTINUE;
}

static sfsistat null_step(unsigned long step)
{
	return (null_noreply & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat null_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return null_step(SMFIP_NR_HELO);
}

static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return null_step(SMFIP_NR_RCPT);
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return null_step(SMFIP_NR_HDR);
}

static sfsistat null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return null_step(SMFIP_NR_BODY);
}

static sfsistat null_eom(SMFICTX *ctx)
{
	smfi_insheader(ctx, 0, "Authentication-Results", null_authres);
	return SMFIS_ACCEPT;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 2;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot open %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

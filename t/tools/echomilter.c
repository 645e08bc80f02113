/*
 * echomilter - tiny libmilter test milter used to check t/lib/milterclient.py
 *
 * SYNOPSIS
 *	echomilter -p unix:/path [-l logfile] [-f hexflags] [-M eom-macros]
 *
 * DESCRIPTION
 *	Logs every callback, one line each, to logfile (O_APPEND), with the
 *	macros and arguments it saw; control characters in values are shown
 *	as \n, \r, \t, \xHH.  At end of message it adds "X-Echo: headers=N
 *	body=M chunks=C", deletes the first X-Delete-Me header, and decides by
 *	the Subject: "reject" -> 550 5.7.1 rejected by echomilter; "temp" ->
 *	SMFIS_TEMPFAIL; "hold" -> quarantine "held by echomilter"; "discard"
 *	-> SMFIS_DISCARD; "insert" -> insert "X-Inserted: top" at index 0.
 *	A recipient containing "reject-rcpt" gets 550 5.1.1; a client host
 *	name containing "reject-connect" is rejected at connect; a header
 *	X-Skip-Body makes the body callback answer SMFIS_SKIP.
 *
 *	-f asks for exactly these protocol flags (SMFIP_*, hex) in the
 *	negotiate callback, to test the client's handling of skipped events
 *	and no-reply flags; -M sets the end-of-message macro list.
 *
 *	Runs until SIGTERM/SIGINT (libmilter's smfi_main).
 */
#include <errno.h>
#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

typedef struct echo_priv {
	int headers;
	size_t body;
	int chunks;
	int delete_me;
	int skip_body;
	char subject[256];
} echo_priv_t;

static int log_fd = -1;
static unsigned long want_flags;
static int have_flags;
static char *eom_macros;

/* Append value to line at *pos, escaping control bytes; bounded by cap. */
static void esc_append(char *line, size_t cap, size_t *pos, const char *val)
{
	const unsigned char *p = (const unsigned char *) (val ? val : "(null)");
	int n;

	for (; *p && *pos + 5 < cap; p++) {
		if (*p == '\n')
			n = snprintf(line + *pos, cap - *pos, "\\n");
		else if (*p == '\r')
			n = snprintf(line + *pos, cap - *pos, "\\r");
		else if (*p == '\t')
			n = snprintf(line + *pos, cap - *pos, "\\t");
		else if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n = snprintf(line + *pos, cap - *pos, "\\x%02x", *p);
		else {
			line[(*pos)++] = (char) *p;
			line[*pos] = 0;
			continue;
		}
		if (n > 0)
			*pos += (size_t) n;
	}
}

/* Log "event k1=v1 k2=v2 ..." from a NULL-ended list of key, value. */
static void log_line(const char *event, ...)
{
	char line[LINE_MAX_LEN];
	size_t pos = 0;
	const char *key;
	va_list ap;

	if (log_fd < 0)
		return;
	line[0] = 0;
	esc_append(line, sizeof(line), &pos, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);
		esc_append(line, sizeof(line), &pos, " ");
		esc_append(line, sizeof(line), &pos, key);
		esc_append(line, sizeof(line), &pos, "=");
		esc_append(line, sizeof(line), &pos, val);
	}
	va_end(ap);
	if (pos < sizeof(line) - 1)
		line[pos++] = '\n';
	if (write(log_fd, line, pos) < 0)
		(void) 0;
}

static const char *sym(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *) name);
	return v ? v : "(none)";
}

static sfsistat echo_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	char buf[64];

	(void) f2; (void) f3;
	snprintf(buf, sizeof(buf), "actions=0x%lx protocol=0x%lx", f0, f1);
	log_line("negotiate", "offer", buf, (char *) NULL);
	if (eom_macros != NULL)
		smfi_setsymlist(ctx, SMFIM_EOM, eom_macros);
	if (!have_flags && eom_macros == NULL)
		return SMFIS_ALL_OPTS;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE
	    | (eom_macros ? SMFIF_SETSYMLIST : 0));
	*pf1 = have_flags ? (f1 & want_flags) : (f1 & SMFIP_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat echo_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	echo_priv_t *priv = calloc(1, sizeof(*priv));
	const char *fam = sa == NULL ? "none" : sa->sa_family == AF_INET ? "inet"
	    : sa->sa_family == AF_INET6 ? "inet6" : "other";

	if (priv == NULL)
		return SMFIS_TEMPFAIL;
	smfi_setpriv(ctx, priv);
	log_line("connect", "host", host, "family", fam,
	    "j", sym(ctx, "j"), "daemon_name", sym(ctx, "{daemon_name}"),
	    "_", sym(ctx, "_"), "v", sym(ctx, "v"), (char *) NULL);
	if (strstr(host, "reject-connect") != NULL)
		return SMFIS_REJECT;
	return SMFIS_CONTINUE;
}

static sfsistat echo_helo(SMFICTX *ctx, char *helo)
{
	(void) ctx;
	log_line("helo", "name", helo, (char *) NULL);
	return SMFIS_CONTINUE;
}

static void reset_message(echo_priv_t *priv)
{
	if (priv != NULL)
		memset(priv, 0, sizeof(*priv));
}

static sfsistat echo_envfrom(SMFICTX *ctx, char **argv)
{
	echo_priv_t *priv = smfi_getpriv(ctx);

	reset_message(priv);
	log_line("mail", "from", argv[0], "args", argv[1] ? argv[1] : "",
	    "i", sym(ctx, "i"), "auth_authen", sym(ctx, "{auth_authen}"),
	    "auth_type", sym(ctx, "{auth_type}"),
	    "mail_addr", sym(ctx, "{mail_addr}"), (char *) NULL);
	return SMFIS_CONTINUE;
}

static sfsistat echo_envrcpt(SMFICTX *ctx, char **argv)
{
	log_line("rcpt", "to", argv[0], "rcpt_addr", sym(ctx, "{rcpt_addr}"),
	    (char *) NULL);
	if (strstr(argv[0], "reject-rcpt") != NULL) {
		smfi_setreply(ctx, "550", "5.1.1", "no such user here");
		return SMFIS_REJECT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat echo_data(SMFICTX *ctx)
{
	log_line("data", "i", sym(ctx, "i"), (char *) NULL);
	return SMFIS_CONTINUE;
}

static sfsistat echo_header(SMFICTX *ctx, char *name, char *value)
{
	echo_priv_t *priv = smfi_getpriv(ctx);

	log_line("header", "name", name, "value", value, (char *) NULL);
	if (priv == NULL)
		return SMFIS_CONTINUE;
	priv->headers++;
	if (strcasecmp(name, "Subject") == 0)
		snprintf(priv->subject, sizeof(priv->subject), "%s", value);
	if (strcasecmp(name, "X-Delete-Me") == 0)
		priv->delete_me = 1;
	if (strcasecmp(name, "X-Skip-Body") == 0)
		priv->skip_body = 1;
	return SMFIS_CONTINUE;
}

static sfsistat echo_eoh(SMFICTX *ctx)
{
	log_line("eoh", "i", sym(ctx, "i"), (char *) NULL);
	return SMFIS_CONTINUE;
}

static sfsistat echo_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	echo_priv_t *priv = smfi_getpriv(ctx);
	char buf[32];

	(void) chunk;
	snprintf(buf, sizeof(buf), "%zu", len);
	log_line("body", "len", buf, (char *) NULL);
	if (priv == NULL)
		return SMFIS_CONTINUE;
	priv->body += len;
	priv->chunks++;
	return priv->skip_body ? SMFIS_SKIP : SMFIS_CONTINUE;
}

static sfsistat echo_eom(SMFICTX *ctx)
{
	echo_priv_t *priv = smfi_getpriv(ctx);
	char buf[128];

	if (priv == NULL)
		return SMFIS_TEMPFAIL;
	snprintf(buf, sizeof(buf), "headers=%d body=%zu chunks=%d",
	    priv->headers, priv->body, priv->chunks);
	log_line("eom", "i", sym(ctx, "i"), "auth_authen",
	    sym(ctx, "{auth_authen}"), "stats", buf, (char *) NULL);
	smfi_addheader(ctx, "X-Echo", buf);
	if (priv->delete_me)
		smfi_chgheader(ctx, "X-Delete-Me", 1, NULL);
	if (strstr(priv->subject, "insert") != NULL)
		smfi_insheader(ctx, 0, "X-Inserted", "top");
	if (strstr(priv->subject, "reject") != NULL) {
		smfi_setreply(ctx, "550", "5.7.1", "rejected by echomilter");
		return SMFIS_REJECT;
	}
	if (strstr(priv->subject, "temp") != NULL)
		return SMFIS_TEMPFAIL;
	if (strstr(priv->subject, "discard") != NULL)
		return SMFIS_DISCARD;
	if (strstr(priv->subject, "hold") != NULL)
		smfi_quarantine(ctx, "held by echomilter");
	return SMFIS_ACCEPT;
}

static sfsistat echo_abort(SMFICTX *ctx)
{
	log_line("abort", (char *) NULL);
	reset_message(smfi_getpriv(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat echo_close(SMFICTX *ctx)
{
	log_line("close", (char *) NULL);
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc echo_desc = {
	"echomilter", SMFI_VERSION,
	SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	echo_connect, echo_helo, echo_envfrom, echo_envrcpt, echo_header,
	echo_eoh, echo_body, echo_eom, echo_abort, echo_close,
	NULL, echo_data, echo_negotiate,
};

int main(int argc, char **argv)
{
	const char *spec = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:l:f:M:")) != -1) {
		switch (ch) {
		case 'p': spec = optarg; break;
		case 'l':
			log_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (log_fd < 0) {
				perror(optarg);
				return 1;
			}
			break;
		case 'f':
			want_flags = strtoul(optarg, NULL, 16);
			have_flags = 1;
			break;
		case 'M': eom_macros = optarg; break;
		default:
			fprintf(stderr, "usage: echomilter -p spec [-l log] [-f hex] [-M macros]\n");
			return 2;
		}
	}
	if (spec == NULL) {
		fprintf(stderr, "echomilter: -p spec required\n");
		return 2;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		(void) unlink(spec + 5);
	if (smfi_setconn((char *) spec) == MI_FAILURE
	    || smfi_register(echo_desc) == MI_FAILURE) {
		fprintf(stderr, "echomilter: cannot set up %s\n", spec);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

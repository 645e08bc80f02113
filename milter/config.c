/*
 * config - dmarcwarden.conf loader.  See config.h.
 *
 *	Every key is one row of config_keys[]: name, type, default (as the
 *	text a user would write), offset of the field in config_t, and a
 *	check for string values or the names of enum values.  Defaults are
 *	parsed through the same code as file values, so a bad default fails
 *	the unit tests, not a production start.
 */
#include "config.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../policy/evaluate.h"
#include "../policy/strbuf.h"
#include "config_check.h"
#include "forwarder.h"

typedef enum cfg_type {
	CT_STRING,      /* char *, validated by check */
	CT_PATH,        /* char *, absolute path */
	CT_BOOL,        /* bool: yes/no/true/false/on/off/1/0 */
	CT_ONOFF,       /* bool: on/off only */
	CT_UINT,        /* unsigned, decimal, min..max */
	CT_OCTAL,       /* unsigned, octal, min..max */
	CT_ENUM,        /* int-sized enum, index into names */
	CT_NETLIST,     /* netlist_t * */
	CT_DOMAINLIST,  /* char **, NULL-ended */
} cfg_type_t;

#define F_EMPTY_OK 1    /* "" is a valid value */
#define F_RESTART 2     /* a running daemon keeps its value (SIGHUP) */

typedef struct cfg_key {
	const char *name;
	cfg_type_t type;
	const char *def;            /* NULL: computed (AuthservID) */
	size_t offset;
	int flags;
	config_check_fn check;      /* CT_STRING */
	const char *const *names;   /* CT_ENUM, NULL-ended, index = value */
	unsigned min, max;          /* CT_UINT, CT_OCTAL */
} cfg_key_t;

_Static_assert(sizeof(temperror_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(quarantine_mode_t) == sizeof(int), "enum size");
_Static_assert(sizeof(multifrom_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(badfrom_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(discovery_method_t) == sizeof(int), "enum size");
_Static_assert(sizeof(report_format_t) == sizeof(int), "enum size");
_Static_assert(sizeof(enforce_stage_t) == sizeof(int), "enum size");
_Static_assert(sizeof(forwarder_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(list_action_t) == sizeof(int), "enum size");

static const char *const discovery_names[] = { "treewalk", "psl", NULL };
static const char *const temperror_names[] = { "accept", "tempfail", NULL };
static const char *const quarantine_names[] = { "hold", "header", NULL };
static const char *const multifrom_names[] = { "reject", "strictest", NULL };
static const char *const badfrom_names[] = { "reject", "accept", NULL };
static const char *const report_format_names[] = { "rfc9990", "rfc7489",
	NULL };
/* Index = enum value (override.h keeps off = 0, on = 1). */
static const char *const enforcement_names[] = { "monitor", "reject",
	"quarantine", NULL };
static const char *const forwarder_action_names[] = { "none", "quarantine",
	NULL };
static const char *const list_action_names[] = { "quarantine", "none",
	"policy", NULL };

/* Other spellings of enum values, accepted but never written. */
static const struct {
	const char *const *names;
	const char *alias;
	int value;
} enum_aliases[] = {
	{ enforcement_names, "off", ENFORCE_MONITOR },
	{ enforcement_names, "on", ENFORCE_REJECT },
};

/* Checks of the reporter's keys (dmarcwarden-report(8)). */
static int check_fail(char *why, size_t len, const char *msg)
{
	str_copy(why, len, msg);
	return -1;
}

/* local@domain: printable ASCII local part, a valid domain. */
static int check_address(char *v, char *why, size_t len)
{
	char dom[CONFIG_DOMAIN_MAX];
	char *at = strrchr(v, '@');
	size_t i;

	if (at == NULL || at == v || strlen(v) > 254)
		return check_fail(why, len, "expected local@domain");
	for (i = 0; v + i < at; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || strchr("<>()[],;:\\\"",
		    v[i]) != NULL)
			return check_fail(why, len, "bad local part");
	if (config_domain_normalize(at + 1, strlen(at + 1), dom, sizeof(dom),
	    why, len) < 0)
		return -1;
	return 0;
}

static int check_domain(char *v, char *why, size_t len)
{
	char dom[CONFIG_DOMAIN_MAX];

	if (config_domain_normalize(v, strlen(v), dom, sizeof(dom), why,
	    len) < 0)
		return -1;
	if (strlen(dom) > strlen(v))
		return check_fail(why, len, "write the domain as A-labels");
	str_copy(v, strlen(v) + 1, dom);
	return 0;
}

/* host or [address], optionally :port */
static int check_hostport(char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (n > 255)
		return check_fail(why, len, "longer than 255 bytes");
	for (i = 0; i < n; i++)
		if (!(v[i] >= 'a' && v[i] <= 'z') && !(v[i] >= 'A' &&
		    v[i] <= 'Z') && !(v[i] >= '0' && v[i] <= '9') &&
		    strchr(".-:[]", v[i]) == NULL)
			return check_fail(why, len, "expected host[:port]");
	return 0;
}

/* Items separated by commas or spaces, each checked by one function. */
static int check_items(char *v, config_check_fn item, char *why, size_t len)
{
	char buf[CONFIG_LINE_MAX + 1];
	const char *p = v;
	size_t n;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		str_ncopy(buf, sizeof(buf), p, n);
		if (item(buf, why, len) < 0)
			return -1;
		p += n;
	}
}

static int check_noreport_item(char *v, char *why, size_t len)
{
	return strchr(v, '@') ? check_address(v, why, len) :
	    check_domain(v, why, len);
}

static int check_noreports(char *v, char *why, size_t len)
{
	return check_items(v, check_noreport_item, why, len);
}

static int check_header_list(char *v, char *why, size_t len)
{
	return check_items(v, config_check_header_name, why, len);
}

/* TrustedForwarders: networks and host names (forwarder.h). */
static int check_forwarders(char *v, char *why, size_t len)
{
	forwarders_t *f = forwarders_parse(v, why, len);
	int rc = f ? 0 : -1;

	forwarders_free(f);
	return rc;
}

#define OFF(f) offsetof(config_t, f)
#define STR(n, d, f, fl, chk) { n, CT_STRING, d, OFF(f), fl, chk, NULL, 0, 0 }
#define PATHK(n, d, f, fl) { n, CT_PATH, d, OFF(f), fl, NULL, NULL, 0, 0 }
#define TYPED(n, t, d, f, fl) { n, t, d, OFF(f), fl, NULL, NULL, 0, 0 }
#define UINT(n, d, f, lo, hi) { n, CT_UINT, d, OFF(f), 0, NULL, NULL, lo, hi }
#define UINTR(n, d, f, lo, hi) { n, CT_UINT, d, OFF(f), F_RESTART, NULL, \
	NULL, lo, hi }
#define ENUM(n, d, f, names) { n, CT_ENUM, d, OFF(f), 0, NULL, names, 0, 0 }

static const cfg_key_t config_keys[] = {
	STR("Socket", "unix:/run/dmarcwarden/dmarcwarden.sock", socket, F_RESTART,
	    config_check_socket),
	STR("AuthservID", NULL, authserv_id, 0, config_check_authserv_id),
	PATHK("HistoryDB", "/var/lib/dmarcwarden/history.db", history_db,
	    F_EMPTY_OK | F_RESTART),
	UINTR("HistoryBufferRows", "10000", history_buffer, 1, 1000000),
	STR("Nameservers", "", nameservers, F_EMPTY_OK | F_RESTART,
	    config_check_nameservers),
	UINTR("DNSTimeout", "5", dns_timeout, 1, 60),
	TYPED("DNSSEC", CT_BOOL, "no", dnssec, F_RESTART),
	PATHK("TrustAnchorFile", "/usr/share/dns/root.key", trust_anchor,
	    F_EMPTY_OK | F_RESTART),
	ENUM("Enforcement", "reject", enforcement, enforcement_names),
	PATHK("PublicSuffixList",
	    "/usr/share/publicsuffix/public_suffix_list.dat", psl_file,
	    F_EMPTY_OK),
	ENUM("PolicyDiscovery", "treewalk", discovery, discovery_names),
	STR("UserID", "", user, F_EMPTY_OK | F_RESTART, config_check_user),
	PATHK("PidFile", "", pid_file, F_EMPTY_OK | F_RESTART),
	UINT("MaximumSignatures", "10", max_signatures, 1, EVAL_MAX_DKIM),
	ENUM("TempErrorAction", "accept", temperror_action, temperror_names),
	STR("RejectText", "DMARC policy of %d rejects this message",
	    reject_text, 0, config_check_reject_text),
	ENUM("QuarantineMode", "hold", quarantine_mode, quarantine_names),
	STR("QuarantineHeader", "X-Dmarcwarden-Quarantine",
	    quarantine_header, 0, config_check_header_name),
	ENUM("MultipleFrom", "reject", multiple_from, multifrom_names),
	ENUM("BadFromAction", "reject", bad_from, badfrom_names),
	STR("BadFromText", "Message has no valid From header (RFC 5322)",
	    bad_from_text, 0, config_check_reply_text),
	TYPED("IgnoreNetworks", CT_NETLIST, "127.0.0.0/8, ::1/128",
	    ignore_networks, F_EMPTY_OK),
	TYPED("IgnoreAuthenticated", CT_BOOL, "yes", ignore_authenticated, 0),
	TYPED("IgnoreSenderDomains", CT_DOMAINLIST, "", ignore_sender_domains,
	    F_EMPTY_OK),
	TYPED("IgnoreRecipientDomains", CT_DOMAINLIST, "",
	    ignore_recipient_domains, F_EMPTY_OK),
	TYPED("Syslog", CT_BOOL, "yes", syslog, F_RESTART),
	STR("SyslogFacility", "mail", syslog_facility, F_RESTART,
	    config_check_facility),
	{ "UMask", CT_OCTAL, "007", OFF(umask), F_RESTART, NULL, NULL, 0,
	    0777 },
	TYPED("RunAsRoot", CT_BOOL, "no", run_as_root, F_RESTART),
	PATHK("ChrootDirectory", "", chroot, F_EMPTY_OK | F_RESTART),
	PATHK("StatsFile", "", stats_file, F_EMPTY_OK | F_RESTART),
	UINTR("StatsInterval", "60", stats_interval, 1, 86400),
	STR("ReportOrgName", "", report_org_name, F_EMPTY_OK,
	    config_check_reply_text),
	STR("ReportSender", "", report_sender, F_EMPTY_OK, check_address),
	STR("ReportContactInfo", "", report_contact, F_EMPTY_OK,
	    config_check_reply_text),
	ENUM("ReportFormat", "rfc9990", report_format, report_format_names),
	PATHK("ReportSendmail", "/usr/sbin/sendmail", report_sendmail, 0),
	STR("ReportSMTPRelay", "", report_smtp_relay, F_EMPTY_OK,
	    check_hostport),
	PATHK("ReportSigningKey", "", report_sign_key, F_EMPTY_OK),
	STR("ReportSigningSelector", "", report_sign_selector, F_EMPTY_OK,
	    check_domain),
	STR("ReportSigningDomain", "", report_sign_domain, F_EMPTY_OK,
	    check_domain),
	UINT("ReportMaxAttempts", "5", report_max_attempts, 1, 100),
	STR("NoReportsList", "", no_reports, F_EMPTY_OK, check_noreports),
	TYPED("FailureReports", CT_BOOL, "no", failure_reports, 0),
	STR("FailureReportHeaders", "From, Date, Subject, Message-ID, "
	    "Reply-To, Sender, MIME-Version, Content-Type, DKIM-Signature, "
	    "Authentication-Results, Received", failure_headers, 0,
	    check_header_list),
	UINT("FailureReportHourlyCap", "10", failure_hourly_cap, 1, 100000),
	STR("TrustedForwarders", "", trusted_forwarders, F_EMPTY_OK,
	    check_forwarders),
	ENUM("TrustedForwarderAction", "none", forwarder_action,
	    forwarder_action_names),
	TYPED("ArcTrustedSealers", CT_DOMAINLIST, "", arc_trusted_sealers,
	    F_EMPTY_OK),
	ENUM("MailingListAction", "quarantine", list_action, list_action_names),
	PATHK("LocalPolicyFile", "", local_policy_file, F_EMPTY_OK),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->offset))


static const cfg_key_t *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (str_ieq(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

static void domainlist_free(char **list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Release whatever the field of k holds. */
static void field_release(config_t *cfg, const cfg_key_t *k)
{
	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = NULL;
		break;
	case CT_NETLIST:
		netlist_free(*FIELD(cfg, k, netlist_t *));
		*FIELD(cfg, k, netlist_t *) = NULL;
		break;
	case CT_DOMAINLIST:
		domainlist_free(*FIELD(cfg, k, char **));
		*FIELD(cfg, k, char **) = NULL;
		break;
	default:
		break;
	}
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static int parse_bool(const char *v, bool onoff_only, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i, n = onoff_only ? 1 : 4;

	for (i = 0; i < n; i++) {
		if (str_ieq(v, yes[i]) || str_ieq(v, no[i])) {
			*out = str_ieq(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

/* Unsigned number in base 8 or 10, digits only, within min..max. */
static int parse_uint(const char *v, unsigned base, unsigned min,
    unsigned max, unsigned *out)
{
	unsigned long long n = 0;
	const char *p;

	if (*v == '\0' || strlen(v) > 12)
		return -1;
	for (p = v; *p; p++) {
		if (*p < '0' || *p >= (char)('0' + base))
			return -1;
		n = n * base + (unsigned)(*p - '0');
	}
	if (n < min || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_enum(const char *v, const char *const *names, int *out)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		if (str_ieq(v, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	for (i = 0; i < sizeof(enum_aliases) / sizeof(enum_aliases[0]); i++) {
		if (enum_aliases[i].names == names &&
		    str_ieq(v, enum_aliases[i].alias)) {
			*out = enum_aliases[i].value;
			return 0;
		}
	}
	return -1;
}

static void enum_expected(const char *const *names, char *why, size_t len)
{
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, len ? len - 1 : 0);
	strbuf_puts(&sb, "expected ");
	for (i = 0; names[i]; i++)
		strbuf_appendf(&sb, "%s%s", i == 0 ? "" : names[i + 1] ? ", " :
		    " or ", names[i]);
	for (i = 0; i < sizeof(enum_aliases) / sizeof(enum_aliases[0]); i++)
		if (enum_aliases[i].names == names)
			strbuf_appendf(&sb, "; %s = %s", enum_aliases[i].alias,
			    names[enum_aliases[i].value]);
	str_copy(why, len, strbuf_str(&sb));
	strbuf_free(&sb);
}

/* Parse "a, b c" into a NULL-ended array of normalised domain names. */
static int parse_domainlist(const char *v, char ***out, char *why,
    size_t len)
{
	char **list = calloc(CONFIG_DOMAINS_MAX + 1, sizeof(*list));
	char dom[CONFIG_DOMAIN_MAX], reason[128], shown[CONFIG_SHOW_MAX];
	const char *p = v, *start;
	size_t n = 0;

	if (list == NULL)
		abort();
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (start = p; *p && *p != ',' && *p != ' ' && *p != '\t'; p++)
			;
		if (n == CONFIG_DOMAINS_MAX) {
			str_format(why, len, "more than %d domains",
			    CONFIG_DOMAINS_MAX);
			goto fail;
		}
		if (config_domain_normalize(start, (size_t)(p - start), dom,
		    sizeof(dom), reason, sizeof(reason)) < 0) {
			str_printable(shown, sizeof(shown), start,
			    (size_t)(p - start));
			str_format(why, len, "'%s': %s", shown, reason);
			goto fail;
		}
		list[n++] = xstrdup(dom);
	}
	*out = list;
	return 0;
fail:
	domainlist_free(list);
	return -1;
}

static int set_string(config_t *cfg, const cfg_key_t *k, const char *v,
    char *why, size_t len)
{
	char *copy = xstrdup(v);

	if (*v && (k->type == CT_PATH ? config_check_path(copy, why, len) :
	    k->check(copy, why, len)) < 0) {
		free(copy);
		return -1;
	}
	field_release(cfg, k);
	*FIELD(cfg, k, char *) = copy;
	return 0;
}

/* Store value v in the field of key k; -1 with the reason in why. */
static int set_value(config_t *cfg, const cfg_key_t *k, const char *v,
    char *why, size_t len)
{
	netlist_t *nl;
	char **list;

	if (*v == '\0' && !(k->flags & F_EMPTY_OK)) {
		str_copy(why, len, "must not be empty");
		return -1;
	}
	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		return set_string(cfg, k, v, why, len);
	case CT_BOOL:
	case CT_ONOFF:
		if (parse_bool(v, k->type == CT_ONOFF, FIELD(cfg, k, bool)) == 0)
			return 0;
		str_copy(why, len, k->type == CT_ONOFF ? "expected on or off" :
		    "expected yes or no");
		return -1;
	case CT_UINT:
	case CT_OCTAL:
		if (parse_uint(v, k->type == CT_OCTAL ? 8 : 10, k->min, k->max,
		    FIELD(cfg, k, unsigned)) == 0)
			return 0;
		if (k->type == CT_OCTAL)
			str_format(why, len, "expected an octal number %o..%o",
			    k->min, k->max);
		else
			str_format(why, len, "expected a number %u..%u", k->min,
			    k->max);
		return -1;
	case CT_ENUM:
		if (parse_enum(v, k->names, FIELD(cfg, k, int)) == 0)
			return 0;
		enum_expected(k->names, why, len);
		return -1;
	case CT_NETLIST:
		if ((nl = netlist_parse(v, why, len)) == NULL)
			return -1;
		field_release(cfg, k);
		*FIELD(cfg, k, netlist_t *) = nl;
		return 0;
	case CT_DOMAINLIST:
		if (parse_domainlist(v, &list, why, len) < 0)
			return -1;
		field_release(cfg, k);
		*FIELD(cfg, k, char **) = list;
		return 0;
	}
	return -1;
}

/* The FQDN of this host when it has one, else the host name. */
static char *default_authserv_id(void)
{
	char host[256], why[64];
	struct addrinfo hints, *ai = NULL;
	char *id;

	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		return xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai &&
		    ai->ai_canonname && strchr(ai->ai_canonname, '.'))
			str_copy(host, sizeof(host), ai->ai_canonname);
		if (ai)
			freeaddrinfo(ai);
	}
	id = xstrdup(host);
	if (config_check_authserv_id(id, why, sizeof(why)) < 0) {
		free(id);
		return xstrdup("localhost");
	}
	return id;
}

static int config_defaults(config_t *cfg, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const cfg_key_t *k = &config_keys[i];

		if (k->def == NULL)     /* computed after the file is read */
			continue;
		if (set_value(cfg, k, k->def, why, sizeof(why)) < 0) {
			str_format(err, errlen, "default for %s: %s", k->name,
			    why);
			return -1;
		}
	}
	return 0;
}

static void trim(char **start, char **end)
{
	while (*start < *end && (**start == ' ' || **start == '\t'))
		(*start)++;
	while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t' ||
	    (*end)[-1] == '\r'))
		(*end)--;
}

/* One line, NUL-terminated and trimmed: "Key value" or comment. */
static int parse_line(config_t *cfg, const char *file, unsigned lineno,
    char *line, unsigned *seen, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX], shown[CONFIG_SHOW_MAX];
	const cfg_key_t *k;
	char *value;
	size_t idx;

	if (line[0] == '\0' || line[0] == '#')
		return 0;
	value = line + strcspn(line, " \t");
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t");
	str_printable(shown, sizeof(shown), line, strlen(line));
	if ((k = key_find(line)) == NULL) {
		config_file_error(err, errlen, file, lineno, "unknown key '%s'", shown);
		return -1;
	}
	idx = (size_t)(k - config_keys);
	if (seen[idx]) {
		config_file_error(err, errlen, file, lineno,
		    "duplicate key %s (first set at line %u)", k->name, seen[idx]);
		return -1;
	}
	seen[idx] = lineno;
	if (*value == '\0') {
		config_file_error(err, errlen, file, lineno, "missing value for %s "
		    "(write \"\" for an empty value)", k->name);
		return -1;
	}
	if (strcmp(value, "\"\"") == 0)
		value[0] = '\0';
	if (set_value(cfg, k, value, why, sizeof(why)) < 0) {
		str_printable(shown, sizeof(shown), value, strlen(value));
		config_file_error(err, errlen, file, lineno,
		    "bad value for %s: '%s' (%s)", k->name, shown, why);
		return -1;
	}
	return 0;
}

/* Check the raw bytes of line lineno (len bytes, no newline). */
static int line_bytes_ok(const char *file, unsigned lineno, const char *p,
    size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > CONFIG_LINE_MAX) {
		config_file_error(err, errlen, file, lineno,
		    "line too long (more than %d bytes)", CONFIG_LINE_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0') {
			config_file_error(err, errlen, file, lineno, "NUL byte in line");
			return -1;
		}
		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == len - 1)) ||
		    c == 0x7f) {
			config_file_error(err, errlen, file, lineno,
			    "control character 0x%02x in line", c);
			return -1;
		}
	}
	return 0;
}

static int parse_text(config_t *cfg, const char *file, const char *text,
    size_t len, unsigned *seen, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX + 1];
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0;
	char *s, *e;
	size_t n;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (line_bytes_ok(file, lineno, p, n, err, errlen) < 0)
			return -1;
		memcpy(line, p, n);
		line[n] = '\0';
		s = line;
		e = line + n;
		trim(&s, &e);
		*e = '\0';
		if (parse_line(cfg, file, lineno, s, seen, err, errlen) < 0)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Settings that are valid alone but not together. */
static int cross_check(const config_t *cfg, const char *file,
    const unsigned *seen, char *err, size_t errlen)
{
	const cfg_key_t *k;

	if (cfg->dnssec && cfg->trust_anchor[0] == '\0') {
		k = key_find("DNSSEC");
		config_file_error(err, errlen, file, seen[k - config_keys],
		    "DNSSEC yes needs a TrustAnchorFile");
		return -1;
	}
	if (cfg->discovery == DISCOVERY_PSL && cfg->psl_file[0] == '\0') {
		k = key_find("PolicyDiscovery");
		config_file_error(err, errlen, file, seen[k - config_keys],
		    "PolicyDiscovery psl needs a PublicSuffixList");
		return -1;
	}
	return 0;
}

config_t *config_load_buffer(const char *name, const char *text, size_t len,
    char *err, size_t errlen)
{
	unsigned seen[NKEYS];
	char dummy[CONFIG_ERR_MAX];
	config_t *cfg;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	memset(seen, 0, sizeof(seen));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		abort();
	if (config_defaults(cfg, err, errlen) < 0)
		goto fail;
	if (name != NULL) {
		cfg->path = xstrdup(name);
		if (parse_text(cfg, name, text ? text : "", text ? len : 0,
		    seen, err, errlen) < 0 ||
		    cross_check(cfg, name, seen, err, errlen) < 0)
			goto fail;
	}
	/* Only now: the host name lookup may consult DNS. */
	if (cfg->authserv_id == NULL) {
		cfg->authserv_id = default_authserv_id();
		cfg->authserv_id_computed = true;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

config_t *config_load(const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	config_t *cfg;

	if (path == NULL)
		return config_load_buffer(NULL, NULL, 0, err, errlen);
	if (config_read_file(path, &text, &len, err, errlen) < 0)
		return NULL;
	cfg = config_load_buffer(path, text, len, err, errlen);
	free(text);
	return cfg;
}

void config_free(config_t *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		field_release(cfg, &config_keys[i]);
	free(cfg->path);
	free(cfg);
}

static void dump_value(const config_t *cfg, const cfg_key_t *k, strbuf_t *sb)
{
	char *const *list;
	size_t i;

	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		strbuf_puts(sb, *FIELD(cfg, k, char *));
		break;
	case CT_BOOL:
		strbuf_puts(sb, *FIELD(cfg, k, bool) ? "yes" : "no");
		break;
	case CT_ONOFF:
		strbuf_puts(sb, *FIELD(cfg, k, bool) ? "on" : "off");
		break;
	case CT_UINT:
		strbuf_appendf(sb, "%u", *FIELD(cfg, k, unsigned));
		break;
	case CT_OCTAL:
		strbuf_appendf(sb, "%03o", *FIELD(cfg, k, unsigned));
		break;
	case CT_ENUM:
		strbuf_puts(sb, k->names[*FIELD(cfg, k, int)]);
		break;
	case CT_NETLIST:
		netlist_format(*FIELD(cfg, k, netlist_t *), sb);
		break;
	case CT_DOMAINLIST:
		list = *FIELD(cfg, k, char **);
		for (i = 0; list && list[i]; i++)
			strbuf_appendf(sb, "%s%s", i ? ", " : "", list[i]);
		break;
	}
}

void config_dump(const config_t *cfg, FILE *fp)
{
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, 64 * 1024);
	for (i = 0; i < NKEYS; i++) {
		strbuf_reset(&sb);
		dump_value(cfg, &config_keys[i], &sb);
		fprintf(fp, "%s %s\n", config_keys[i].name,
		    sb.len ? strbuf_str(&sb) : "\"\"");
	}
	strbuf_free(&sb);
}

bool config_domain_listed(char *const *list, const char *domain)
{
	size_t i, dlen, elen;

	if (list == NULL || domain == NULL)
		return false;
	dlen = strlen(domain);
	for (i = 0; list[i]; i++) {
		elen = strlen(list[i]);
		if (elen > dlen)
			continue;
		if (elen == dlen && str_ieq(domain, list[i]))
			return true;
		if (elen < dlen && domain[dlen - elen - 1] == '.' &&
		    str_ieq(domain + dlen - elen, list[i]))
			return true;
	}
	return false;
}

/* The restart-only keys of next that differ from running get running's
 * value back; their names go to changed (at most max, the count is
 * returned either way).  Values travel as text through the parser, the
 * way config_dump() writes them. */
size_t config_keep_restart_keys(config_t *next, const config_t *running,
    const char **changed, size_t max)
{
	char why[CONFIG_ERR_MAX];
	strbuf_t a, b;
	size_t i, n = 0;

	strbuf_init(&a, CONFIG_LINE_MAX);
	strbuf_init(&b, CONFIG_LINE_MAX);
	for (i = 0; i < NKEYS; i++) {
		const cfg_key_t *k = &config_keys[i];

		if (!(k->flags & F_RESTART))
			continue;
		strbuf_reset(&a);
		strbuf_reset(&b);
		dump_value(running, k, &a);
		dump_value(next, k, &b);
		if (strcmp(strbuf_str(&a), strbuf_str(&b)) == 0)
			continue;
		if (n < max)
			changed[n] = k->name;
		n++;
		if (set_value(next, k, strbuf_str(&a), why, sizeof(why)) < 0)
			abort();        /* a value it held: cannot be bad */
	}
	strbuf_free(&a);
	strbuf_free(&b);
	/* The host name, looked up again, may come out different after
	 * chroot (no resolver files): the running one stays. */
	if (next->authserv_id_computed && running->authserv_id_computed) {
		free(next->authserv_id);
		next->authserv_id = xstrdup(running->authserv_id);
	}
	return n;
}

bool config_key_restart(size_t i)
{
	return i < NKEYS && (config_keys[i].flags & F_RESTART) != 0;
}

size_t config_key_count(void)
{
	return NKEYS;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? config_keys[i].name : NULL;
}

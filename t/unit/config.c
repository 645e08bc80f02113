/*
 * Unit tests for conf/config: defaults, every key with good and bad
 * values, golden bad configs (t/data/config/bad/NAME.conf with the exact
 * error in NAME.ref), golden dumps (good/NAME.conf, NAME.ref), the sample
 * config and the man page staying in step with the key table.
 */
#include "../../conf/config.h"
#include "../../conf/config_check.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Dump cfg into a heap string (caller frees). */
static char *dump_string(const config_t *cfg)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	config_dump(cfg, fp);
	fclose(fp);
	return s;
}

/* The dumped value of key, or NULL. */
static const char *dump_get(const config_t *cfg, const char *key,
    char *out, size_t outlen)
{
	char *s = dump_string(cfg), pat[128], *p;
	const char *found = NULL;

	str_format(pat, sizeof(pat), "%s ", key);
	for (p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, pat, strlen(pat)) == 0) {
			str_ncopy(out, outlen, p + strlen(pat),
			    strcspn(p + strlen(pat), "\n"));
			found = out;
			break;
		}
	}
	free(s);
	return found;
}

static char *slurp(const char *path, size_t *lenp)
{
	char *text, err[CONFIG_ERR_MAX];
	size_t len;

	if (config_read_file(path, &text, &len, err, sizeof(err)) < 0)
		return NULL;
	if (lenp)
		*lenp = len;
	return text;
}

static void test_defaults(void)
{
	char err[CONFIG_ERR_MAX];
	config_t *cfg = config_load(NULL, err, sizeof(err));

	if (!ok(cfg != NULL, "defaults load")) {
		diag("%s", err);
		return;
	}
	ok(cfg->path == NULL, "no path for defaults");
	is_str(cfg->socket, "unix:/run/dmarcwarden/dmarcwarden.sock", "Socket");
	ok(cfg->authserv_id && cfg->authserv_id[0], "AuthservID from host: %s",
	    cfg->authserv_id);
	is_str(cfg->history_db, "/var/lib/dmarcwarden/history.db", "HistoryDB");
	is_int(cfg->history_buffer, 10000, "HistoryBufferRows");
	is_str(cfg->history_host, "", "HistoryHost");
	is_str(cfg->history_spool, "/var/lib/dmarcwarden/spool",
	    "HistorySpool");
	is_int(cfg->history_spool_max, 1073741824, "HistorySpoolMax");
	is_str(cfg->nameservers, "", "Nameservers");
	is_int(cfg->dns_timeout, 5, "DNSTimeout");
	is_int(cfg->dns_per_domain, 32, "DNSLookupsPerDomain");
	is_int(cfg->policy_cache_time, 86400, "PolicyCacheTime");
	is_int(cfg->dnssec, false, "DNSSEC");
	is_str(cfg->trust_anchor, "/usr/share/dns/root.key", "TrustAnchorFile");
	is_int(cfg->enforcement, true, "Enforcement");
	is_str(cfg->psl_file, "/usr/share/publicsuffix/public_suffix_list.dat",
	    "PublicSuffixList");
	is_int(cfg->discovery, DISCOVERY_TREEWALK, "PolicyDiscovery");
	is_str(cfg->user, "", "UserID");
	is_str(cfg->pid_file, "", "PidFile");
	is_int(cfg->max_signatures, 10, "MaximumSignatures");
	is_int(cfg->max_header_fields, 1000, "MaxHeaderFields");
	is_int(cfg->dkim_trust_length, 0, "DKIMTrustLengthTag");
	is_int(cfg->milter_timeout, 600, "MilterTimeout");
	is_int(cfg->max_header_bytes, 262144, "MaxHeaderBytes");
	is_int(cfg->temperror_action, TEMPERROR_ACCEPT, "TempErrorAction");
	is_str(cfg->reject_text, "DMARC policy of %d rejects this message",
	    "RejectText");
	is_int(cfg->quarantine_mode, QUARANTINE_HOLD, "QuarantineMode");
	is_str(cfg->quarantine_header, "X-Dmarcwarden-Quarantine",
	    "QuarantineHeader");
	is_int(cfg->multiple_from, MULTIFROM_REJECT, "MultipleFrom");
	is_int(cfg->bad_from, BADFROM_REJECT, "BadFromAction");
	is_str(cfg->bad_from_text, "Message has no valid From header "
	    "(RFC 5322)", "BadFromText");
	is_int(netlist_count(cfg->ignore_networks), 2, "IgnoreNetworks count");
	ok(netlist_match(cfg->ignore_networks, "127.0.0.1") &&
	    netlist_match(cfg->ignore_networks, "::1") &&
	    !netlist_match(cfg->ignore_networks, "192.0.2.1"),
	    "IgnoreNetworks loopback only");
	is_int(cfg->ignore_authenticated, true, "IgnoreAuthenticated");
	ok(cfg->ignore_sender_domains && !cfg->ignore_sender_domains[0],
	    "IgnoreSenderDomains empty list");
	ok(cfg->ignore_recipient_domains && !cfg->ignore_recipient_domains[0],
	    "IgnoreRecipientDomains empty list");
	is_int(cfg->syslog, true, "Syslog");
	is_str(cfg->syslog_facility, "mail", "SyslogFacility");
	is_int(cfg->umask, 07, "UMask");
	is_int(cfg->run_as_root, false, "RunAsRoot");
	is_str(cfg->chroot, "", "ChrootDirectory");
	is_str(cfg->stats_file, "", "StatsFile");
	is_int(cfg->stats_interval, 60, "StatsInterval");
	config_free(cfg);
	config_free(NULL);
}

struct key_case {
	const char *key, *value;
	const char *want;   /* dumped value, or NULL: must fail */
	const char *why;    /* with want NULL: the reason in parentheses */
};

#define P10 "0123456789"
#define P100 P10 P10 P10 P10 P10 P10 P10 P10 P10 P10

static const struct key_case key_cases[] = {
	{ "Socket", "unix:/run/x.sock", "unix:/run/x.sock", NULL },
	{ "Socket", "local:/run/x.sock", "local:/run/x.sock", NULL },
	{ "Socket", "inet:8893", "inet:8893", NULL },
	{ "Socket", "inet:8893@localhost", "inet:8893@localhost", NULL },
	{ "Socket", "inet:65535@127.0.0.1", "inet:65535@127.0.0.1", NULL },
	{ "Socket", "inet6:8893@::1", "inet6:8893@::1", NULL },
	{ "Socket", "inet6:1", "inet6:1", NULL },
	{ "Socket", "unix:run/x.sock", NULL, "the socket path must be absolute" },
	{ "Socket", "inet:0@localhost", NULL, "the port must be a number "
	    "1..65535 (the form is inet:port@host)" },
	{ "Socket", "inet:65536", NULL, "the port must be a number 1..65535 "
	    "(the form is inet:port@host)" },
	{ "Socket", "inet:88a3", NULL, "the port must be a number 1..65535 "
	    "(the form is inet:port@host)" },
	{ "Socket", "inet:@localhost", NULL, "the port must be a number "
	    "1..65535 (the form is inet:port@host)" },
	{ "Socket", "inet:8893@", NULL, "bad host name or address after '@'" },
	{ "Socket", "inet:8893@::1", NULL, "bad host name or address after '@'" },
	{ "Socket", "inet:8893@a b", NULL, "bad host name or address after '@'" },
	{ "Socket", "/run/x.sock", NULL, "expected unix:/path, local:/path, "
	    "inet:port@host or inet6:port@host" },
	{ "Socket", "UNIX:/run/x", NULL, "expected unix:/path, local:/path, "
	    "inet:port@host or inet6:port@host" },
	{ "Socket", "unix:/run/a b", NULL, "whitespace in socket path" },
	/* sun_path holds 107 bytes and a NUL */
	{ "Socket", "unix:/" P100 "123456", "unix:/" P100 "123456", NULL },
	{ "Socket", "unix:/" P100 "1234567", NULL,
	    "socket path longer than 107 bytes" },
	{ "AuthservID", "mx.example.com", "mx.example.com", NULL },
	{ "AuthservID", "MX.Example.COM", "MX.Example.COM", NULL },
	{ "AuthservID", "mx example", NULL, "expected a host name (an RFC "
	    "2045 token: no spaces or ()<>@,;:\\\"/[]?=)" },
	{ "AuthservID", "mx;dmarc=pass", NULL, "expected a host name (an RFC "
	    "2045 token: no spaces or ()<>@,;:\\\"/[]?=)" },
	{ "AuthservID", "\"\"", NULL, "must not be empty" },
	{ "HistoryDB", "/tmp/h.db", "/tmp/h.db", NULL },
	{ "HistoryDB", "\"\"", "\"\"", NULL },
	{ "HistoryDB", "./h.db", NULL, "expected an absolute path" },
	{ "HistoryDB", "postgresql://dw@db.example/dw?sslmode=require",
	    "postgresql://dw@db.example/dw?sslmode=require", NULL },
	{ "HistoryDB", "postgres:///dw", "postgres:///dw", NULL },
	{ "HistoryDB", "postgresql://dw@db.example/d\tw", NULL,
	    "space or control character in URI" },
	{ "HistoryDB", "mysql://dw@db.example/dw", NULL,
	    "expected an absolute path" },
	{ "HistoryHost", "mx1.example.net", "mx1.example.net", NULL },
	{ "HistoryHost", "\"\"", "\"\"", NULL },
	{ "HistoryHost", "mx 1", NULL,
	    "expected a host name (printable ASCII, no spaces)" },
	{ "HistorySpool", "/var/spool/dw", "/var/spool/dw", NULL },
	{ "HistorySpool", "spool", NULL, "expected an absolute path" },
	{ "HistorySpool", "\"\"", NULL, "must not be empty" },
	{ "HistorySpoolMax", "1048576", "1048576", NULL },
	{ "HistorySpoolMax", "4294967295", "4294967295", NULL },
	{ "HistorySpoolMax", "1048575", NULL,
	    "expected a number 1048576..4294967295" },
	{ "HistorySpoolMax", "4294967296", NULL,
	    "expected a number 1048576..4294967295" },
	{ "HistoryBufferRows", "1", "1", NULL },
	{ "HistoryBufferRows", "1000000", "1000000", NULL },
	{ "HistoryBufferRows", "0", NULL, "expected a number 1..1000000" },
	{ "HistoryBufferRows", "1000001", NULL, "expected a number 1..1000000" },
	{ "HistoryBufferRows", "99999999999999999999", NULL,
	    "expected a number 1..1000000" },
	{ "HistoryBufferRows", "-1", NULL, "expected a number 1..1000000" },
	{ "HistoryBufferRows", "1e3", NULL, "expected a number 1..1000000" },
	{ "Nameservers", "192.0.2.1", "192.0.2.1", NULL },
	{ "Nameservers", "192.0.2.1@53 2001:db8::1,::1@5353",
	    "192.0.2.1@53 2001:db8::1,::1@5353", NULL },
	{ "Nameservers", "\"\"", "\"\"", NULL },
	{ "Nameservers", "ns1.example.com", NULL, "expected IP addresses, each "
	    "with an optional @port" },
	{ "Nameservers", "192.0.2.1@0", NULL, "expected IP addresses, each "
	    "with an optional @port" },
	{ "Nameservers", "192.0.2.1@", NULL, "expected IP addresses, each "
	    "with an optional @port" },
	{ "Nameservers", "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
	    "1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 "
	    "1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17", NULL,
	    "more than 16 name servers" },
	{ "DNSTimeout", "1", "1", NULL },
	{ "DNSTimeout", "60", "60", NULL },
	{ "DNSTimeout", "61", NULL, "expected a number 1..60" },
	{ "DNSTimeout", " 5", "5", NULL },
	{ "DNSTimeout", "5s", NULL, "expected a number 1..60" },
	{ "DNSTimeout", "0x5", NULL, "expected a number 1..60" },
	{ "DNSLookupsPerDomain", "0", "0", NULL },
	{ "DNSLookupsPerDomain", "100000", "100000", NULL },
	{ "DNSLookupsPerDomain", "100001", NULL,
	    "expected a number 0..100000" },
	{ "DNSLookupsPerDomain", "-1", NULL, "expected a number 0..100000" },
	{ "PolicyCacheTime", "0", "0", NULL },
	{ "PolicyCacheTime", "2592000", "2592000", NULL },
	{ "PolicyCacheTime", "2592001", NULL, "expected a number 0..2592000" },
	{ "PolicyCacheTime", "1d", NULL, "expected a number 0..2592000" },
	{ "DNSSEC", "yes", "yes", NULL },
	{ "DNSSEC", "TRUE", "yes", NULL },
	{ "DNSSEC", "on", "yes", NULL },
	{ "DNSSEC", "1", "yes", NULL },
	{ "DNSSEC", "No", "no", NULL },
	{ "DNSSEC", "false", "no", NULL },
	{ "DNSSEC", "off", "no", NULL },
	{ "DNSSEC", "0", "no", NULL },
	{ "DNSSEC", "y", NULL, "expected yes or no" },
	{ "DNSSEC", "yes please", NULL, "expected yes or no" },
	{ "TrustAnchorFile", "/etc/root.key", "/etc/root.key", NULL },
	{ "TrustAnchorFile", "root.key", NULL, "expected an absolute path" },
	{ "Enforcement", "on", "reject", NULL },
	{ "Enforcement", "Off", "monitor", NULL },
	{ "Enforcement", "Quarantine", "quarantine", NULL },
	{ "Enforcement", "monitor", "monitor", NULL },
	{ "Enforcement", "reject", "reject", NULL },
	{ "Enforcement", "yes", NULL, "expected monitor, reject or quarantine; "
	    "off = monitor; on = reject" },
	{ "Enforcement", "0", NULL, "expected monitor, reject or quarantine; "
	    "off = monitor; on = reject" },
	{ "PublicSuffixList", "/p.dat", "/p.dat", NULL },
	{ "PublicSuffixList", "p.dat", NULL, "expected an absolute path" },
	{ "PolicyDiscovery", "treewalk", "treewalk", NULL },
	{ "PolicyDiscovery", "psl", "psl", NULL },
	{ "PolicyDiscovery", "tree-walk", NULL, "expected treewalk or psl" },
	{ "UserID", "dmarcwarden", "dmarcwarden", NULL },
	{ "UserID", "dw:mail", "dw:mail", NULL },
	{ "UserID", "-x", NULL, "expected user or user:group" },
	{ "UserID", "a:", NULL, "expected user or user:group" },
	{ "UserID", "a b", NULL, "expected user or user:group" },
	{ "UserID", "a:b:c", NULL, "expected user or user:group" },
	{ "PidFile", "/run/dw.pid", "/run/dw.pid", NULL },
	{ "PidFile", "dw.pid", NULL, "expected an absolute path" },
	{ "MaximumSignatures", "32", "32", NULL },
	{ "MaximumSignatures", "33", NULL, "expected a number 1..32" },
	{ "MaximumSignatures", "0", NULL, "expected a number 1..32" },
	{ "DKIMTrustLengthTag", "yes", "yes", NULL },
	{ "DKIMTrustLengthTag", "off", "no", NULL },
	{ "DKIMTrustLengthTag", "maybe", NULL, "expected yes or no" },
	{ "MilterTimeout", "5", "5", NULL },
	{ "MilterTimeout", "86400", "86400", NULL },
	{ "MilterTimeout", "4", NULL, "expected a number 5..86400" },
	{ "MilterTimeout", "86401", NULL, "expected a number 5..86400" },
	{ "MaxHeaderFields", "16", "16", NULL },
	{ "MaxHeaderFields", "4096", "4096", NULL },
	{ "MaxHeaderFields", "15", NULL, "expected a number 16..4096" },
	{ "MaxHeaderFields", "4097", NULL, "expected a number 16..4096" },
	{ "MaxHeaderBytes", "4096", "4096", NULL },
	{ "MaxHeaderBytes", "1048576", "1048576", NULL },
	{ "MaxHeaderBytes", "4095", NULL, "expected a number 4096..1048576" },
	{ "MaxHeaderBytes", "1048577", NULL,
	    "expected a number 4096..1048576" },
	{ "TempErrorAction", "tempfail", "tempfail", NULL },
	{ "TempErrorAction", "ACCEPT", "accept", NULL },
	{ "TempErrorAction", "reject", NULL, "expected accept or tempfail" },
	{ "RejectText", "%d: no", "%d: no", NULL },
	{ "RejectText", "100%% sure", "100%% sure", NULL },
	{ "RejectText", "100% sure", NULL, "'%' must be followed by d (the "
	    "domain) or % (a percent)" },
	{ "RejectText", "ends in %", NULL, "'%' must be followed by d (the "
	    "domain) or % (a percent)" },
	{ "RejectText", "%s", NULL, "'%' must be followed by d (the domain) "
	    "or % (a percent)" },
	{ "RejectText", "caf\xc3\xa9", NULL, "only printable ASCII is allowed" },
	{ "RejectText", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL, "longer than 200 bytes" },
	{ "QuarantineMode", "header", "header", NULL },
	{ "QuarantineMode", "hold", "hold", NULL },
	{ "QuarantineMode", "quarantine", NULL, "expected hold or header" },
	{ "QuarantineHeader", "X-Q", "X-Q", NULL },
	{ "QuarantineHeader", "X-Q:", NULL, "a header field name is printable "
	    "ASCII without spaces or ':'" },
	{ "QuarantineHeader", "X Q", NULL, "a header field name is printable "
	    "ASCII without spaces or ':'" },
	{ "MultipleFrom", "strictest", "strictest", NULL },
	{ "MultipleFrom", "accept", NULL, "expected reject or strictest" },
	{ "BadFromAction", "accept", "accept", NULL },
	{ "BadFromAction", "tempfail", NULL, "expected reject or accept" },
	{ "BadFromText", "No From", "No From", NULL },
	{ "BadFromText", "100%% bad", "100%% bad", NULL },
	{ "BadFromText", "%d bad", NULL, "'%' must be doubled (%% is a "
	    "percent)" },
	{ "IgnoreNetworks", "\"\"", "\"\"", NULL },
	{ "IgnoreNetworks", "192.0.2.0/24 2001:db8::/48",
	    "192.0.2.0/24, 2001:db8::/48", NULL },
	{ "IgnoreNetworks", "192.0.2.0/33", NULL,
	    "bad prefix length in '192.0.2.0/33' (0..32)" },
	{ "IgnoreAuthenticated", "no", "no", NULL },
	{ "IgnoreAuthenticated", "maybe", NULL, "expected yes or no" },
	{ "IgnoreSenderDomains", "EXAMPLE.com, b.example.", "example.com, "
	    "b.example", NULL },
	{ "IgnoreSenderDomains", "\"\"", "\"\"", NULL },
	{ "IgnoreSenderDomains", "-bad.example", NULL,
	    "'-bad.example': label starts or ends with '-'" },
	{ "IgnoreSenderDomains", "b\xc3\xbc" "cher.example",
	    "xn--bcher-kva.example", NULL },            /* U-label to A-label */
	{ "IgnoreSenderDomains", "_a.example", "_a.example", NULL },
	{ "IgnoreSenderDomains", "ok.example .", NULL, "'.': empty label" },
	{ "IgnoreSenderDomains", "a..b", NULL, "'a..b': empty label" },
	{ "IgnoreSenderDomains", "a.b\xff", NULL, "'a.b?': invalid UTF-8 in domain" },
	{ "IgnoreSenderDomains", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxx.example", NULL, "'xxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example': label longer "
	    "than 63 octets" },
	{ "IgnoreRecipientDomains", "example.org", "example.org", NULL },
	{ "IgnoreRecipientDomains", "exa mple.org", "exa, mple.org", NULL },
	{ "IgnoreRecipientDomains", "example.org;", NULL, "'example.org;': "
	    "invalid character 0x3b in domain" },
	{ "Syslog", "no", "no", NULL },
	{ "Syslog", "syslog", NULL, "expected yes or no" },
	{ "SyslogFacility", "local7", "local7", NULL },
	{ "SyslogFacility", "Daemon", "daemon", NULL },
	{ "SyslogFacility", "user", "user", NULL },
	{ "SyslogFacility", "local8", NULL, "expected mail, daemon, user or "
	    "local0..local7" },
	{ "UMask", "027", "027", NULL },
	{ "UMask", "777", "777", NULL },
	{ "UMask", "0777", "777", NULL },
	{ "UMask", "1000", NULL, "expected an octal number 0..777" },
	{ "UMask", "9", NULL, "expected an octal number 0..777" },
	{ "umask", "022", "022", NULL },        /* keys are case-insensitive */
	{ "RunAsRoot", "yes", "yes", NULL },
	{ "RunAsRoot", "root", NULL, "expected yes or no" },
	{ "ChrootDirectory", "/var/lib/dmarcwarden", "/var/lib/dmarcwarden",
	    NULL },
	{ "ChrootDirectory", "relative", NULL, "expected an absolute path" },
	{ "StatsFile", "/var/lib/prometheus/node-exporter/dmarcwarden.prom",
	    "/var/lib/prometheus/node-exporter/dmarcwarden.prom", NULL },
	{ "StatsFile", "stats.prom", NULL, "expected an absolute path" },
	{ "StatsInterval", "15", "15", NULL },
	{ "StatsInterval", "0", NULL, "expected a number 1..86400" },
	{ "StatsInterval", "86401", NULL, "expected a number 1..86400" },
	{ "ReportOrgName", "Example Mail", "Example Mail", NULL },
	{ "ReportSender", "dmarc@Example.ORG", "dmarc@Example.ORG", NULL },
	{ "ReportSender", "example.org", NULL, "expected local@domain" },
	{ "ReportSender", "a b@example.org", NULL, "bad local part" },
	{ "ReportContactInfo", "https://example.org/dmarc",
	    "https://example.org/dmarc", NULL },
	{ "ReportFormat", "RFC7489", "rfc7489", NULL },
	{ "ReportFormat", "xml", NULL, "expected rfc9990 or rfc7489" },
	{ "ReportSendmail", "/usr/lib/sendmail", "/usr/lib/sendmail", NULL },
	{ "ReportSMTPRelay", "[127.0.0.1]:2525", "[127.0.0.1]:2525", NULL },
	{ "ReportSMTPRelay", "relay example", NULL, "expected host[:port]" },
	{ "ReportSigningKey", "/etc/dmarcwarden/dkim.pem",
	    "/etc/dmarcwarden/dkim.pem", NULL },
	{ "ReportSigningSelector", "Rep2026", "rep2026", NULL },
	{ "ReportSigningDomain", "Example.ORG", "example.org", NULL },
	{ "ReportMaxAttempts", "0", NULL, "expected a number 1..100" },
	{ "ReportRetryBackoff", "0", "0", NULL },
	{ "ReportRetryBackoff", "86401", NULL, "expected a number 0..86400" },
	{ "ReportCatchUpDays", "30", "30", NULL },
	{ "ReportCatchUpDays", "367", NULL, "expected a number 0..366" },
	{ "ReportSendConcurrency", "16", "16", NULL },
	{ "ReportSendConcurrency", "0", NULL, "expected a number 1..64" },
	{ "NoReportsList", "example.org, dmarc@example.net",
	    "example.org, dmarc@example.net", NULL },
	{ "NoReportsList", "example.org mple@", NULL, "empty domain" },
	{ "FailureReports", "yes", "yes", NULL },
	{ "FailureReportHeaders", "From Subject", "From Subject", NULL },
	{ "FailureReportHeaders", "From, Sub:ject", NULL, "a header field "
	    "name is printable ASCII without spaces or ':'" },
	{ "FailureReportHourlyCap", "100001", NULL,
	    "expected a number 1..100000" },
	{ "TrustedForwarders", "192.0.2.0/24 fwd.Example.ORG, .relay.example",
	    "192.0.2.0/24 fwd.Example.ORG, .relay.example", NULL },
	{ "TrustedForwarders", "192.0.2.1/24", NULL, "host bits set beyond "
	    "the prefix in '192.0.2.1/24'" },
	{ "TrustedForwarders", "fwd..example", NULL, "'fwd..example': not a "
	    "network or host name" },
	{ "TrustedForwarderAction", "Quarantine", "quarantine", NULL },
	{ "TrustedForwarderAction", "reject", NULL, "expected none or "
	    "quarantine" },
	{ "ArcTrustedSealers", "Lists.Example.ORG google.com",
	    "lists.example.org, google.com", NULL },
	{ "ArcTrustedSealers", "lists..example.org", NULL,
	    "'lists..example.org': empty label" },
	{ "MailingListAction", "none", "none", NULL },
	{ "MailingListAction", "policy", "policy", NULL },
	{ "MailingListAction", "accept", NULL, "expected quarantine, none or "
	    "policy" },
	{ "LocalPolicyFile", "/etc/dmarcwarden/local.policy",
	    "/etc/dmarcwarden/local.policy", NULL },
	{ "LocalPolicyFile", "local.policy", NULL, "expected an absolute path" },
};

static void test_keys(void)
{
	char text[1024], err[CONFIG_ERR_MAX], got[1024], want_err[1024];
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *c = &key_cases[i];
		config_t *cfg;
		const char *canon;

		str_format(text, sizeof(text), "# test\n%s %s\n", c->key,
		    c->value);
		cfg = config_load_buffer("t.conf", text, strlen(text), err,
		    sizeof(err));
		if (c->want) {
			if (!ok(cfg != NULL, "%s '%s' accepted", c->key,
			    c->value)) {
				diag("%s", err);
				continue;
			}
			canon = c->key[0] == 'u' ? "UMask" : c->key;
			is_str(dump_get(cfg, canon, got, sizeof(got)), c->want,
			    "%s '%s' value", c->key, c->value);
		} else {
			ok(cfg == NULL, "%s '%.40s' refused", c->key, c->value);
			str_format(want_err, sizeof(want_err), ") (%s)", c->why);
			ok(strncmp(err, "t.conf:2: bad value for ", 24) == 0 &&
			    strlen(err) >= strlen(want_err) &&
			    strcmp(err + strlen(err) - strlen(want_err) + 1,
			    want_err + 1) == 0, "%s error: %s", c->key, err);
		}
		config_free(cfg);
	}
}

/* Every key is in the table test at least once. */
static void test_key_coverage(void)
{
	size_t i, j, missing = 0;

	for (i = 0; i < config_key_count(); i++) {
		for (j = 0; j < sizeof(key_cases) / sizeof(key_cases[0]); j++)
			if (strcmp(key_cases[j].key, config_key_name(i)) == 0)
				break;
		if (j == sizeof(key_cases) / sizeof(key_cases[0])) {
			diag("no test case for %s", config_key_name(i));
			missing++;
		}
	}
	is_int(missing, 0, "every key has test cases");
	ok(config_key_count() >= 32, "at least the 32 keys of this version "
	    "(%zu)", config_key_count());
	ok(config_key_name(config_key_count()) == NULL, "name past the end");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of dir/NAME.conf paths (at most max). */
static size_t list_confs(const char *dir, char paths[][256], size_t max)
{
	char *names[256];
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, i, len;

	while (d && (de = readdir(d)) != NULL && n < max && n < 256) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0)
			names[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		str_format(paths[i], 256, "%s/%s", dir, names[i]);
		free(names[i]);
	}
	return n;
}

static char *ref_for(const char *conf)
{
	char ref[256];

	str_format(ref, sizeof(ref), "%.*s.ref", (int)(strlen(conf) - 5), conf);
	return slurp(ref, NULL);
}

static void test_golden_bad(void)
{
	static char paths[64][256];
	char err[CONFIG_ERR_MAX], *want;
	size_t i, n = list_confs("bad", paths, 64);
	config_t *cfg;

	ok(n >= 20, "found %zu bad configs", n);
	for (i = 0; i < n; i++) {
		cfg = config_load(paths[i], err, sizeof(err));
		ok(cfg == NULL, "%s refused", paths[i]);
		config_free(cfg);
		if ((want = ref_for(paths[i])) == NULL) {
			ok(0, "%s has a .ref", paths[i]);
			continue;
		}
		want[strcspn(want, "\n")] = '\0';
		is_str(err, want, "%s error", paths[i]);
		free(want);
	}
}

static void test_golden_good(void)
{
	char err[CONFIG_ERR_MAX], got[256], *want, *dump;
	config_t *cfg;

	cfg = config_load("good/full.conf", err, sizeof(err));
	if (ok(cfg != NULL, "good/full.conf loads") &&
	    (want = ref_for("good/full.conf")) != NULL) {
		dump = dump_string(cfg);
		is_str(dump, want, "good/full.conf dump matches full.ref");
		free(dump);
		free(want);
		ok(!cfg->enforcement && cfg->discovery == DISCOVERY_PSL &&
		    cfg->temperror_action == TEMPERROR_TEMPFAIL &&
		    cfg->quarantine_mode == QUARANTINE_HEADER &&
		    cfg->multiple_from == MULTIFROM_STRICTEST &&
		    cfg->bad_from == BADFROM_ACCEPT && cfg->umask == 0 &&
		    cfg->dnssec && !cfg->syslog && !cfg->ignore_authenticated,
		    "full.conf struct fields");
		is_str(cfg->path, "good/full.conf", "path recorded");
		ok(config_domain_listed(cfg->ignore_sender_domains,
		    "mail.example.com"), "subdomain of listed sender domain");
	} else {
		diag("%s", err);
	}
	config_free(cfg);
	cfg = config_load("good/crlf.conf", err, sizeof(err));
	ok(cfg != NULL, "CRLF line ends accepted");
	if (cfg) {
		is_int(cfg->dns_timeout, 7, "CRLF value");
		is_str(dump_get(cfg, "Socket", got, sizeof(got)),
		    "unix:/var/spool/postfix/dmarcwarden/sock", "CRLF string");
	}
	config_free(cfg);
	cfg = config_load("good/no-final-newline.conf", err, sizeof(err));
	ok(cfg != NULL && cfg->dns_timeout == 7, "no final newline");
	config_free(cfg);
}

/* Dump the defaults, load the dump, dump again: same text. */
static void test_roundtrip(void)
{
	char err[CONFIG_ERR_MAX];
	config_t *a, *b;
	char *da, *db;

	a = config_load("good/full.conf", err, sizeof(err));
	if (!a)
		return;
	da = dump_string(a);
	b = config_load_buffer("dump", da, strlen(da), err, sizeof(err));
	ok(b != NULL, "dump of full.conf loads: %s", b ? "" : err);
	db = b ? dump_string(b) : NULL;
	is_str(db, da, "dump round-trips");
	free(da);
	free(db);
	config_free(a);
	config_free(b);
}

static void test_domain_listed(void)
{
	char *list[] = { "example.com", "b.example.org", NULL };

	ok(config_domain_listed(list, "example.com"), "exact");
	ok(config_domain_listed(list, "a.example.com"), "subdomain");
	ok(config_domain_listed(list, "x.y.example.com"), "deep subdomain");
	ok(config_domain_listed(list, "EXAMPLE.com"), "case folded");
	ok(!config_domain_listed(list, "badexample.com"), "suffix, no dot");
	ok(!config_domain_listed(list, "example.com.evil"), "prefix");
	ok(!config_domain_listed(list, "example.org"), "parent of entry");
	ok(config_domain_listed(list, "b.example.org"), "second entry");
	ok(!config_domain_listed(list, ""), "empty domain");
	ok(!config_domain_listed(NULL, "example.com"), "NULL list");
	ok(!config_domain_listed(list, NULL), "NULL domain");
}

static void test_files(void)
{
	char err[CONFIG_ERR_MAX], path[64];
	config_t *cfg;
	FILE *fp;
	size_t i;

	cfg = config_load("does/not/exist.conf", err, sizeof(err));
	ok(cfg == NULL, "missing file is an error");
	is_str(err, "does/not/exist.conf: cannot open: No such file or "
	    "directory", "missing file error");
	cfg = config_load("bad", err, sizeof(err));
	ok(cfg == NULL, "directory refused");
	is_str(err, "bad: is a directory", "directory error");

	str_format(path, sizeof(path), "/tmp/dwconf-%ld.conf", (long)getpid());
	fp = fopen(path, "w");
	for (i = 0; i < CONFIG_FILE_MAX / 16 + 1; i++)
		fputs("# padding line.\n", fp);
	fclose(fp);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg == NULL, "file over CONFIG_FILE_MAX refused");
	ok(strstr(err, ": larger than 1048576 bytes") != NULL, "%s", err);
	fp = fopen(path, "w");
	for (i = 0; i < 100; i++)
		fputs("#\n", fp);
	fputs("Socket inet:1\n", fp);
	fclose(fp);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg != NULL && strcmp(cfg->socket, "inet:1") == 0, "plain file");
	config_free(cfg);
	unlink(path);

	cfg = config_load_buffer("x", "Foo 1\n", 6, NULL, 0);
	ok(cfg == NULL, "NULL err buffer tolerated");
	config_free(cfg);
	cfg = config_load_buffer("x", "Foo 1\n", 6, err, 12);
	ok(cfg == NULL && strcmp(err, "x:1: unknow") == 0,
	    "short err buffer truncates: %s", err);
	config_free(cfg);
	cfg = config_load_buffer("x", "", 0, err, sizeof(err));
	ok(cfg != NULL && strcmp(cfg->path, "x") == 0, "empty file gives "
	    "defaults");
	config_free(cfg);
	cfg = config_load_buffer("x", "\n\n   \n\t#\n", 9, err, sizeof(err));
	ok(cfg != NULL, "blank and comment lines only");
	config_free(cfg);
	cfg = config_load_buffer("x", "DNSTimeout 5\nDNSTimeout 5\n", 26, err,
	    sizeof(err));
	is_str(err, "x:2: duplicate key DNSTimeout (first set at line 1)",
	    "same value twice is still a duplicate");
	config_free(cfg);
	cfg = config_load_buffer("x", "Socket inet:1\x7f\n", 15, err,
	    sizeof(err));
	is_str(err, "x:1: control character 0x7f in line", "DEL refused");
	config_free(cfg);
	cfg = config_load_buffer("x", "Socket inet:1\r\r\n", 16, err,
	    sizeof(err));
	is_str(err, "x:1: control character 0x0d in line", "bare CR refused");
	config_free(cfg);
}

/* Every bad line is reported, one "file:line: message" each, and the
 * file is still refused. */
static void test_all_errors(void)
{
	const char three[] =
	    "Socket inet:1\n"
	    "Foo 1\n"                   /* line 2: unknown key */
	    "DNSTimeout 0\n"            /* line 3: bad value */
	    "# comment\n"
	    "Socket inet:2\n"           /* line 5: duplicate */
	    "Enforcement monitor\n";
	char err[CONFIG_ERRS_MAX], text[8192], tail[64], small[160];
	config_t *cfg;
	size_t i;

	cfg = config_load_buffer("t.conf", three, strlen(three), err,
	    sizeof(err));
	ok(cfg == NULL, "three bad lines: refused");
	is_str(err, "t.conf:2: unknown key 'Foo'\n"
	    "t.conf:3: bad value for DNSTimeout: '0' (expected a number "
	    "1..60)\n"
	    "t.conf:5: duplicate key Socket (first set at line 1)",
	    "three bad lines: three messages");
	config_free(cfg);

	/* A control character and a too-long line do not stop it either;
	 * cross-checks wait for a clean file. */
	str_copy(text, sizeof(text), "Socket inet:1\x01\nDNSSEC yes\nBar 2\n");
	cfg = config_load_buffer("t.conf", text, strlen(text), err,
	    sizeof(err));
	is_str(err, "t.conf:1: control character 0x01 in line\n"
	    "t.conf:3: unknown key 'Bar'", "control character, then more");
	config_free(cfg);

	/* Bounded: CONFIG_ERR_LINES lines, then the count of the rest. */
	text[0] = '\0';
	for (i = 0; i < CONFIG_ERR_LINES + 7; i++)
		str_format(text + strlen(text), sizeof(text) - strlen(text),
		    "K%zu 1\n", i);
	cfg = config_load_buffer("t.conf", text, strlen(text), err,
	    sizeof(err));
	ok(cfg == NULL, "many bad lines: refused");
	ok(strstr(err, "t.conf:100: unknown key 'K99'\n... and 7 more") !=
	    NULL && strstr(err, "K100") == NULL, "many bad lines: 100 shown, "
	    "then '... and 7 more'");
	/* A small buffer keeps whole lines and still counts the rest. */
	cfg = config_load_buffer("t.conf", text, strlen(text), small,
	    sizeof(small));
	str_format(tail, sizeof(tail), "t.conf:4: unknown key 'K3'\n"
	    "... and %d more", CONFIG_ERR_LINES + 7 - 4);
	ok(cfg == NULL && strlen(small) > strlen(tail) &&
	    strcmp(small + strlen(small) - strlen(tail), tail) == 0,
	    "small buffer: whole lines, then the count: %s", small);
}

/* The sample config shows every key, commented, with its default. */
static void test_sample(const char *sample, const char *man)
{
	char err[CONFIG_ERR_MAX], pat[128], *text, *line, *next;
	strbuf_t sb;
	config_t *cfg, *def;
	char *d1, *d2;
	size_t i, len;

	if (!ok((text = slurp(sample, &len)) != NULL, "read %s", sample))
		return;
	cfg = config_load(sample, err, sizeof(err));
	ok(cfg != NULL, "sample config loads as is: %s", cfg ? "" : err);
	config_free(cfg);
	/* Uncomment every "#Key value" line for a known key. */
	strbuf_init(&sb, CONFIG_FILE_MAX);
	for (line = text; *line; line = next) {
		next = line + strcspn(line, "\n");
		next += *next == '\n';
		for (i = 0; i < config_key_count(); i++) {
			str_format(pat, sizeof(pat), "#%s ", config_key_name(i));
			if (strncmp(line, pat, strlen(pat)) == 0)
				break;
		}
		strbuf_appendf(&sb, "%.*s", (int)(next - line) -
		    (i < config_key_count()), line + (i < config_key_count()));
	}
	cfg = config_load_buffer("sample", strbuf_str(&sb), sb.len, err,
	    sizeof(err));
	ok(cfg != NULL, "uncommented sample loads: %s", cfg ? "" : err);
	def = config_load(NULL, err, sizeof(err));
	if (cfg && def) {
		free(def->authserv_id);
		def->authserv_id = strdup(cfg->authserv_id);
		d1 = dump_string(cfg);
		d2 = dump_string(def);
		is_str(d1, d2, "sample shows the built-in defaults");
		free(d1);
		free(d2);
	}
	for (i = 0; i < config_key_count(); i++) {
		str_format(pat, sizeof(pat), "\n#%s ", config_key_name(i));
		ok(strstr(text, pat) != NULL, "sample has %s", config_key_name(i));
	}
	config_free(cfg);
	config_free(def);
	strbuf_free(&sb);
	free(text);
	if (!ok((text = slurp(man, NULL)) != NULL, "read %s", man))
		return;
	for (i = 0; i < config_key_count(); i++) {
		str_format(pat, sizeof(pat), "\n.B %s\n", config_key_name(i));
		ok(strstr(text, pat) != NULL, "man page has %s",
		    config_key_name(i));
	}
	free(text);
}

/* dmarcwarden.conf(5), Reloading, lists exactly the keys that need a
 * restart (config_key_restart), in its first .nf block. */
static void test_restart_doc(const char *man)
{
	char *text, *block, *end, word[64];
	size_t i, n, listed = 0;

	if (!ok((text = slurp(man, NULL)) != NULL, "read %s", man))
		return;
	block = strstr(text, "\n.SS Reloading\n");
	block = block ? strstr(block, "\n.nf\n") : NULL;
	end = block ? strstr(block, "\n.fi\n") : NULL;
	if (!ok(block && end, "Reloading section with a key list")) {
		free(text);
		return;
	}
	*end = '\0';
	for (i = 0; i < config_key_count(); i++) {
		const char *p = block + 5;
		bool found = false;

		while (*p) {
			p += strspn(p, " \n");
			n = strcspn(p, " \n");
			str_ncopy(word, sizeof(word), p, n);
			found |= n > 0 && strcmp(word, config_key_name(i)) == 0;
			p += n;
		}
		listed += found;
		if (found != config_key_restart(i))
			ok(0, "%s %s in the Reloading list", config_key_name(i),
			    found ? "wrongly" : "missing");
	}
	ok(listed > 10, "Reloading lists the %zu restart-only keys", listed);
	free(text);
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;

	/* Run from t/data/config, found relative to this binary. */
	if (slash)
		str_format(dir, sizeof(dir), "%.*s/../data/config",
		    (int)(slash - argv[0]), argv[0]);
	else
		str_copy(dir, sizeof(dir), "../data/config");
	if (chdir(dir) < 0) {
		printf("Bail out! cannot chdir to %s\n", dir);
		return 1;
	}
	test_defaults();
	test_keys();
	test_key_coverage();
	test_golden_bad();
	test_golden_good();
	test_roundtrip();
	test_domain_listed();
	test_files();
	test_all_errors();
	test_sample("../../../contrib/dmarcwarden.conf",
	    "../../../doc/dmarcwarden.conf.5");
	test_restart_doc("../../../doc/dmarcwarden.conf.5");
	return tap_done();
}

/*
 * history_schema - the SQLite schema of the verdict history, and the one
 * place every table and column is documented (for both backends).
 *
 * SYNOPSIS
 *	#include "schema.h"
 *	HISTORY_SCHEMA_VERSION, HISTORY_SCHEMA_SQL, HISTORY_UPGRADE_Vn_SQL
 *
 * DESCRIPTION
 *	The milter writes this schema; the aggregate reporter, the failure
 *	reporter and the policy tool read it.  The history lives in SQLite
 *	(this file's DDL) or in PostgreSQL (schema_pg.h: the same tables,
 *	columns, names and meanings, with the differences listed there).
 *	Nobody creates or upgrades it but migrate.c (hist_schema_open()).
 *
 *	Changing a table means raising HISTORY_SCHEMA_VERSION, adding an
 *	upgrade step here and in schema_pg.h, adding it to migrate.c's step
 *	table, and updating this comment.  hist_schema_open() refuses a
 *	database whose version is higher than HISTORY_SCHEMA_VERSION, and one
 *	without a version that already holds tables (not ours).
 *
 *	Version.  SQLite: PRAGMA user_version, also in meta; PostgreSQL:
 *	meta only.  Version 1: the first; 2: report bookkeeping, failure
 *	samples, per-row copies of rua/ruf and children; 3: action and
 *	smtp_reply; 4: row_uid and host (fleets, PostgreSQL).
 *
 *	Conventions.  Times are integer seconds since the epoch, UTC.
 *	Booleans are integers 0 or 1.  Enumerations are stored as the RFC
 *	text names produced by the *_name() functions of the policy core, so
 *	the reporter copies them into XML unchanged.  Domain names are stored
 *	as the milter saw them (lower-cased by the parsers, no trailing dot);
 *	text never contains a NUL.  Text columns declared NOT NULL hold ''
 *	when the value is unknown or empty.  The SQLite database runs in WAL
 *	mode, so a reporter may read while the milter writes; it should open
 *	with a busy timeout and enable PRAGMA foreign_keys if it deletes rows
 *	(children are declared ON DELETE CASCADE).  Readers name the columns
 *	they read (never SELECT * by position): columns are only ever added.
 *
 * TABLE meta
 *	key TEXT PRIMARY KEY, value TEXT.  Keys written by migrate.c:
 *	"schema_version" (SQLite: same as user_version) and "created" (epoch
 *	time the database was created).  A reporter may keep its own keys
 *	here, prefixed "report." (the failure reporter's instance tag,
 *	"report.instance", which names its Message-IDs: failstore.c).
 *
 * TABLE messages - one row per message and evaluated author domain
 *	(a message with two header-From domains gives two rows).
 *	id            INTEGER PRIMARY KEY; children refer to it.
 *	time          when the message was evaluated (end of message).
 *	qid           MTA queue id ('' if the MTA did not tell).
 *	source_ip     connecting client address, textual IPv4/IPv6
 *	              (report: row/source_ip).
 *	helo          HELO/EHLO name given by the client.
 *	envelope_from domain of the RFC5321.MailFrom, '' for the null
 *	              reverse-path <> (report: identifiers/envelope_from).
 *	header_from   the RFC5322.From domain this row is about, the author
 *	              domain (report: identifiers/header_from).
 *	policy_domain the domain whose DMARC record applied (may be the
 *	              organizational or PSD domain, not the author domain);
 *	              '' when no policy was found.  Reports are grouped by
 *	              this column (report: policy_published/domain).
 *	org_domain    organizational domain of header_from, '' if unknown.
 *	discovery     "treewalk" (RFC 9989 DNS tree walk) or "psl" (public
 *	              suffix list, RFC 7489) (report: policy_published/
 *	              discovery_method).
 *	policy_found  1 when a DMARC record was found; all policy_* columns
 *	              below are NULL when 0.
 *	policy_p, policy_sp, policy_np
 *	              published p, sp, np as "none", "quarantine", "reject",
 *	              with the RFC defaults applied (sp defaults to p, np to
 *	              sp).
 *	policy_adkim, policy_aspf
 *	              "r" (relaxed) or "s" (strict), defaults applied.
 *	policy_pct    0..100 (RFC 7489 pct, 100 when absent).
 *	policy_testing "y" or "n" (RFC 9989 t tag, "n" when absent).
 *	policy_fo     validated fo value, e.g. "0", "1:d".
 *	policy_psd    "y", "n" or "u" (RFC 9989 psd tag).
 *	result        DMARC result: "none", "pass", "fail", "temperror",
 *	              "permerror".
 *	disposition_requested
 *	              what the published policy asked for after choosing
 *	              p, sp or np: "none", "quarantine", "reject"; NULL when
 *	              no policy applied.
 *	disposition_evaluated
 *	              what full local enforcement would do; NULL as above.
 *	disposition_applied
 *	              what was actually done (report: policy_evaluated/
 *	              disposition); NULL as above (report it as "none").
 *	np_applied    1 when the np policy was used (author domain does not
 *	              exist).
 *	sampled_out   1 when pct sampling said not to apply the policy.
 *	spf_domain    the domain SPF was checked for (MAIL FROM domain, or
 *	              the HELO name when scope is "helo")
 *	              (report: auth_results/spf/domain).
 *	spf_scope     "mfrom" or "helo" (report: auth_results/spf/scope).
 *	spf_result    "none", "pass", "fail", "softfail", "neutral",
 *	              "temperror", "permerror"
 *	              (report: auth_results/spf/result).
 *	spf_aligned   1 when SPF passed and was aligned with header_from
 *	              (report: policy_evaluated/spf is "pass" when 1,
 *	              "fail" when 0).
 *	dkim_aligned  1 when some DKIM signature passed and was aligned
 *	              (any message_dkim row with result "pass" and
 *	              aligned 1) (report: policy_evaluated/dkim).
 *	arc_result    ARC chain validation result ("none", "pass", "fail");
 *	              '' until ARC is implemented.
 *	arc_sealers   the ARC sealing domains (d= of the ARC-Seals), comma
 *	              separated, oldest first; '' when none.
 *	reported      NULL until the reporter includes this row in an
 *	              aggregate report; then that report's id, or "-" when
 *	              no report was requested (the record has no rua).  The
 *	              milter never reads or writes it after the insert.
 *	policy_rua, policy_ruf  (version 2)
 *	              the rua= and ruf= URIs of the record that applied,
 *	              comma-separated in record order, each followed by
 *	              "!" and its RFC 7489 size limit in bytes when the record
 *	              gave one ("mailto:a@example.com!10485760"); '' when
 *	              the record has none; NULL when policy_found is 0 (and
 *	              in rows written by version 1).  Reports go to these
 *	              destinations (as seen when the message was evaluated).
 *	envelope_to   (version 2) the first recipient domain (message_rcpt
 *	              seq 0), '' when none (report: identifiers/envelope_to).
 *	dkim_summary  (version 2) every message_dkim row of the message in
 *	              seq order, joined by 0x1e, each as domain, selector,
 *	              result, human_result joined by 0x1d; '' when no
 *	              signature; NULL in rows written by version 1.
 *	override_summary  (version 2) every message_override row, joined
 *	              by 0x1e, each as reason 0x1d comment; '' when none;
 *	              NULL in version 1 rows.  These three copy what the
 *	              child tables hold so that the reporter reads one row
 *	              per message (the child tables stay the reference).
 *	is_report     (version 2) 1 when the message is itself a DMARC
 *	              report (its Subject starts with "Report Domain:"); the
 *	              reporter does not count such rows, so two reporters
 *	              cannot feed each other's reports back forever.
 *	action        (version 3) what the milter told the MTA: "accept",
 *	              "quarantine", "reject" or "tempfail"; '' in rows
 *	              written before version 3.
 *	smtp_reply    (version 3) the SMTP reply the MTA gave the client
 *	              for a refused message, "550 5.7.1" (reject) or
 *	              "451 4.7.5" (tempfail); '' when the message was
 *	              accepted or quarantined.  The reporter does not count
 *	              rows with action "tempfail": the sender retries such a
 *	              message, and the retry gets its own row.
 *	row_uid       (version 4) the writer's unique id of the row,
 *	              "<instance>-<seq>": instance is a random 64-bit number
 *	              in hex chosen each time a writer opens the history,
 *	              seq counts its rows from 1.  A writer that replays a
 *	              spooled batch skips rows whose row_uid is already
 *	              there.  NULL in rows written before version 4.
 *	              PostgreSQL: UNIQUE index messages_row_uid; SQLite: no
 *	              index (one writer per file, nothing to replay).
 *	host          (version 4) the MX host that evaluated the message
 *	              (HistoryHost, by default the system's host name); ''
 *	              in rows written before version 4.
 *	Indexes: messages_time (time), messages_policy_time (policy_domain,
 *	time), messages_reported (reported, time); PostgreSQL also
 *	messages_row_uid (row_uid, UNIQUE).
 *
 * TABLE message_rcpt - envelope recipient domains of the message
 *	message_id    messages.id.
 *	seq           0-based position, distinct recipient domains in the
 *	              order first seen; at most HISTORY_MAX_RCPT_DOMAINS.
 *	domain        recipient domain (report: identifiers/envelope_to).
 *
 * TABLE message_dkim - every DKIM signature evaluated for the message
 *	message_id    messages.id.
 *	seq           0-based position of the signature in the message.
 *	domain        d= of the signature (report: auth_results/dkim/domain).
 *	selector      s= of the signature (report: auth_results/dkim/
 *	              selector).
 *	result        "none", "pass", "fail", "policy", "neutral",
 *	              "temperror", "permerror" (report: auth_results/dkim/
 *	              result).
 *	aligned       1 when d= is aligned with header_from (as the policy
 *	              core decided for this signature).
 *	human_result  short reason given by the verifier, '' when none
 *	              (report: auth_results/dkim/human_result).
 *
 * TABLE message_override - why the applied disposition differs from the
 *	requested one (report: policy_evaluated/reason)
 *	message_id    messages.id.
 *	seq           0-based position.
 *	reason        "forwarded", "sampled_out", "trusted_forwarder",
 *	              "mailing_list", "local_policy", "policy_test_mode",
 *	              "other" (RFC 7489 PolicyOverrideType; RFC 9990 adds
 *	              policy_test_mode).
 *	comment       free text, '' when none (report: reason/comment).
 *
 * TABLE report_log - (version 2) one row per aggregate report the reporter
 *	(dmarcwarden-report) started; written by the reporter only.
 *	report_id     PRIMARY KEY, the report's unique id (report_metadata/
 *	              report_id, Subject Report-ID, file name unique-id).
 *	policy_domain the domain reported on.
 *	begin, end    the period, epoch seconds (end exclusive; the XML's
 *	              date_range/end is end - 1).
 *	created       when the report was first built.
 *	state         "pending" (some destination still to be tried),
 *	              "complete" (every destination sent, skipped or failed
 *	              for good; rows not yet marked) or "done" (the rows are
 *	              marked reported = report_id).
 *	messages      messages counted in the report.
 *	Index: report_log_domain (policy_domain, begin, end).
 *
 * TABLE report_dest - (version 2) delivery state of one report to one
 *	destination URI.
 *	report_id     report_log.report_id (ON DELETE CASCADE).
 *	uri           the destination as published (without "!size").
 *	state         "pending", "sent", "skipped" (not mailto, size limit,
 *	              external destination not verified, NoReportsList) or
 *	              "failed" (permanent: a 5xx or too many attempts).
 *	attempts      delivery attempts so far.
 *	last_attempt  epoch time of the last attempt, NULL before the first.
 *	detail        last error or skip reason, '' when none.
 *	PRIMARY KEY (report_id, uri).
 *
 * TABLE failure_samples - (version 2) a failed message kept for a failure
 *	report (RFC 9991, AFRF RFC 6591); written by the milter only when
 *	FailureReports is on and the record has ruf= and its fo= asks for it.
 *	id            INTEGER PRIMARY KEY.
 *	message_id    messages.id (ON DELETE CASCADE).
 *	time          when the message was evaluated.
 *	policy_domain, header_from, source_ip  as in messages.
 *	mail_from     the RFC5321.MailFrom address ('' for <>).
 *	ruf           destinations, in the form of messages.policy_ruf.
 *	auth_failure  RFC 6591 Auth-Failure: "dmarc", "dkim" or "spf".
 *	headers       the message's header section, CRLF line ends, with
 *	              fields outside FailureReportHeaders redacted.
 *	reported      NULL until the reporter handled it; then the epoch
 *	              time it was sent, or 0 when it was skipped for good.
 *	detail        why it was skipped, '' otherwise.
 *	Index: failure_samples_reported (reported, time).
 *
 * UPGRADE from version 1: HISTORY_UPGRADE_V1_SQL adds the version 2
 *	columns (NULL/0 in old rows) and tables; from version 2:
 *	HISTORY_UPGRADE_V2_SQL adds the version 3 columns ('' in old rows);
 *	from version 3: HISTORY_UPGRADE_V3_SQL adds the version 4 columns
 *	(NULL and '' in old rows).  Each step also sets the version.
 *	hist_schema_open() runs the steps a database needs, in one
 *	transaction (migrate.h).
 */
#ifndef MILTER_HISTORY_SCHEMA_H
#define MILTER_HISTORY_SCHEMA_H

#define HISTORY_SCHEMA_VERSION 4

#define HISTORY_SCHEMA_SQL \
	"CREATE TABLE meta (\n" \
	"  key TEXT PRIMARY KEY,\n" \
	"  value TEXT\n" \
	");\n" \
	"CREATE TABLE messages (\n" \
	"  id INTEGER PRIMARY KEY,\n" \
	"  time INTEGER NOT NULL,\n" \
	"  qid TEXT NOT NULL DEFAULT '',\n" \
	"  source_ip TEXT NOT NULL DEFAULT '',\n" \
	"  helo TEXT NOT NULL DEFAULT '',\n" \
	"  envelope_from TEXT NOT NULL DEFAULT '',\n" \
	"  header_from TEXT NOT NULL DEFAULT '',\n" \
	"  policy_domain TEXT NOT NULL DEFAULT '',\n" \
	"  org_domain TEXT NOT NULL DEFAULT '',\n" \
	"  discovery TEXT NOT NULL,\n" \
	"  policy_found INTEGER NOT NULL,\n" \
	"  policy_p TEXT,\n" \
	"  policy_sp TEXT,\n" \
	"  policy_np TEXT,\n" \
	"  policy_adkim TEXT,\n" \
	"  policy_aspf TEXT,\n" \
	"  policy_pct INTEGER,\n" \
	"  policy_testing TEXT,\n" \
	"  policy_fo TEXT,\n" \
	"  policy_psd TEXT,\n" \
	"  result TEXT NOT NULL,\n" \
	"  disposition_requested TEXT,\n" \
	"  disposition_evaluated TEXT,\n" \
	"  disposition_applied TEXT,\n" \
	"  np_applied INTEGER NOT NULL DEFAULT 0,\n" \
	"  sampled_out INTEGER NOT NULL DEFAULT 0,\n" \
	"  spf_domain TEXT NOT NULL DEFAULT '',\n" \
	"  spf_scope TEXT NOT NULL,\n" \
	"  spf_result TEXT NOT NULL,\n" \
	"  spf_aligned INTEGER NOT NULL DEFAULT 0,\n" \
	"  dkim_aligned INTEGER NOT NULL DEFAULT 0,\n" \
	"  arc_result TEXT NOT NULL DEFAULT '',\n" \
	"  arc_sealers TEXT NOT NULL DEFAULT '',\n" \
	"  reported TEXT,\n" \
	"  policy_rua TEXT,\n" \
	"  policy_ruf TEXT,\n" \
	"  envelope_to TEXT NOT NULL DEFAULT '',\n" \
	"  dkim_summary TEXT,\n" \
	"  override_summary TEXT,\n" \
	"  is_report INTEGER NOT NULL DEFAULT 0,\n" \
	"  action TEXT NOT NULL DEFAULT '',\n" \
	"  smtp_reply TEXT NOT NULL DEFAULT '',\n" \
	"  row_uid TEXT,\n" \
	"  host TEXT NOT NULL DEFAULT ''\n" \
	");\n" \
	"CREATE INDEX messages_time ON messages (time);\n" \
	"CREATE INDEX messages_policy_time\n" \
	"  ON messages (policy_domain, time);\n" \
	"CREATE INDEX messages_reported ON messages (reported, time);\n" \
	"CREATE TABLE message_rcpt (\n" \
	"  message_id INTEGER NOT NULL\n" \
	"    REFERENCES messages (id) ON DELETE CASCADE,\n" \
	"  seq INTEGER NOT NULL,\n" \
	"  domain TEXT NOT NULL,\n" \
	"  PRIMARY KEY (message_id, seq)\n" \
	");\n" \
	"CREATE TABLE message_dkim (\n" \
	"  message_id INTEGER NOT NULL\n" \
	"    REFERENCES messages (id) ON DELETE CASCADE,\n" \
	"  seq INTEGER NOT NULL,\n" \
	"  domain TEXT NOT NULL,\n" \
	"  selector TEXT NOT NULL DEFAULT '',\n" \
	"  result TEXT NOT NULL,\n" \
	"  aligned INTEGER NOT NULL DEFAULT 0,\n" \
	"  human_result TEXT NOT NULL DEFAULT '',\n" \
	"  PRIMARY KEY (message_id, seq)\n" \
	");\n" \
	"CREATE TABLE message_override (\n" \
	"  message_id INTEGER NOT NULL\n" \
	"    REFERENCES messages (id) ON DELETE CASCADE,\n" \
	"  seq INTEGER NOT NULL,\n" \
	"  reason TEXT NOT NULL,\n" \
	"  comment TEXT NOT NULL DEFAULT '',\n" \
	"  PRIMARY KEY (message_id, seq)\n" \
	");\n" \
	HISTORY_V2_TABLES_SQL

/* Tables new in version 2 (also created by the upgrade from version 1). */
#define HISTORY_V2_TABLES_SQL \
	"CREATE TABLE report_log (\n" \
	"  report_id TEXT PRIMARY KEY,\n" \
	"  policy_domain TEXT NOT NULL,\n" \
	"  begin INTEGER NOT NULL,\n" \
	"  end INTEGER NOT NULL,\n" \
	"  created INTEGER NOT NULL,\n" \
	"  state TEXT NOT NULL,\n" \
	"  messages INTEGER NOT NULL DEFAULT 0\n" \
	");\n" \
	"CREATE INDEX report_log_domain\n" \
	"  ON report_log (policy_domain, begin, end);\n" \
	"CREATE TABLE report_dest (\n" \
	"  report_id TEXT NOT NULL\n" \
	"    REFERENCES report_log (report_id) ON DELETE CASCADE,\n" \
	"  uri TEXT NOT NULL,\n" \
	"  state TEXT NOT NULL,\n" \
	"  attempts INTEGER NOT NULL DEFAULT 0,\n" \
	"  last_attempt INTEGER,\n" \
	"  detail TEXT NOT NULL DEFAULT '',\n" \
	"  PRIMARY KEY (report_id, uri)\n" \
	");\n" \
	"CREATE TABLE failure_samples (\n" \
	"  id INTEGER PRIMARY KEY,\n" \
	"  message_id INTEGER NOT NULL\n" \
	"    REFERENCES messages (id) ON DELETE CASCADE,\n" \
	"  time INTEGER NOT NULL,\n" \
	"  policy_domain TEXT NOT NULL,\n" \
	"  header_from TEXT NOT NULL,\n" \
	"  source_ip TEXT NOT NULL DEFAULT '',\n" \
	"  mail_from TEXT NOT NULL DEFAULT '',\n" \
	"  ruf TEXT NOT NULL,\n" \
	"  auth_failure TEXT NOT NULL,\n" \
	"  headers TEXT NOT NULL,\n" \
	"  reported INTEGER,\n" \
	"  detail TEXT NOT NULL DEFAULT ''\n" \
	");\n" \
	"CREATE INDEX failure_samples_reported\n" \
	"  ON failure_samples (reported, time);\n"

/* Version 1 -> 2, run inside one transaction. */
#define HISTORY_UPGRADE_V1_SQL \
	"ALTER TABLE messages ADD COLUMN policy_rua TEXT;\n" \
	"ALTER TABLE messages ADD COLUMN policy_ruf TEXT;\n" \
	"ALTER TABLE messages ADD COLUMN envelope_to TEXT NOT NULL" \
	" DEFAULT '';\n" \
	"ALTER TABLE messages ADD COLUMN dkim_summary TEXT;\n" \
	"ALTER TABLE messages ADD COLUMN override_summary TEXT;\n" \
	"UPDATE messages SET envelope_to = coalesce((SELECT domain FROM" \
	" message_rcpt WHERE message_id = messages.id AND seq = 0), '');\n" \
	"ALTER TABLE messages ADD COLUMN is_report INTEGER NOT NULL" \
	" DEFAULT 0;\n" \
	HISTORY_V2_TABLES_SQL \
	"UPDATE meta SET value = '2' WHERE key = 'schema_version';\n" \
	"PRAGMA user_version = 2;\n"

/* Version 2 -> 3, run inside one transaction (after the step from 1). */
#define HISTORY_UPGRADE_V2_SQL \
	"ALTER TABLE messages ADD COLUMN action TEXT NOT NULL DEFAULT '';\n" \
	"ALTER TABLE messages ADD COLUMN smtp_reply TEXT NOT NULL" \
	" DEFAULT '';\n" \
	"UPDATE meta SET value = '3' WHERE key = 'schema_version';\n" \
	"PRAGMA user_version = 3;\n"

/* Version 3 -> 4, run inside one transaction (after the steps before). */
#define HISTORY_UPGRADE_V3_SQL \
	"ALTER TABLE messages ADD COLUMN row_uid TEXT;\n" \
	"ALTER TABLE messages ADD COLUMN host TEXT NOT NULL DEFAULT '';\n" \
	"UPDATE meta SET value = '4' WHERE key = 'schema_version';\n" \
	"PRAGMA user_version = 4;\n"

#endif

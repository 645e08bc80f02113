-- dmarcwarden history schema version 2, as milter/history_schema.h
-- of commit 25b15ae created it (test fixture: history_upgrade.t,
-- t/unit/migrate.c).  Do not edit: old databases look like this.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  qid TEXT NOT NULL DEFAULT '',
  source_ip TEXT NOT NULL DEFAULT '',
  helo TEXT NOT NULL DEFAULT '',
  envelope_from TEXT NOT NULL DEFAULT '',
  header_from TEXT NOT NULL DEFAULT '',
  policy_domain TEXT NOT NULL DEFAULT '',
  org_domain TEXT NOT NULL DEFAULT '',
  discovery TEXT NOT NULL,
  policy_found INTEGER NOT NULL,
  policy_p TEXT,
  policy_sp TEXT,
  policy_np TEXT,
  policy_adkim TEXT,
  policy_aspf TEXT,
  policy_pct INTEGER,
  policy_testing TEXT,
  policy_fo TEXT,
  policy_psd TEXT,
  result TEXT NOT NULL,
  disposition_requested TEXT,
  disposition_evaluated TEXT,
  disposition_applied TEXT,
  np_applied INTEGER NOT NULL DEFAULT 0,
  sampled_out INTEGER NOT NULL DEFAULT 0,
  spf_domain TEXT NOT NULL DEFAULT '',
  spf_scope TEXT NOT NULL,
  spf_result TEXT NOT NULL,
  spf_aligned INTEGER NOT NULL DEFAULT 0,
  dkim_aligned INTEGER NOT NULL DEFAULT 0,
  arc_result TEXT NOT NULL DEFAULT '',
  arc_sealers TEXT NOT NULL DEFAULT '',
  reported TEXT,
  policy_rua TEXT,
  policy_ruf TEXT,
  envelope_to TEXT NOT NULL DEFAULT '',
  dkim_summary TEXT,
  override_summary TEXT,
  is_report INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_time ON messages (time);
CREATE INDEX messages_policy_time
  ON messages (policy_domain, time);
CREATE INDEX messages_reported ON messages (reported, time);
CREATE TABLE message_rcpt (
  message_id INTEGER NOT NULL
    REFERENCES messages (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  domain TEXT NOT NULL,
  PRIMARY KEY (message_id, seq)
);
CREATE TABLE message_dkim (
  message_id INTEGER NOT NULL
    REFERENCES messages (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  domain TEXT NOT NULL,
  selector TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL,
  aligned INTEGER NOT NULL DEFAULT 0,
  human_result TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (message_id, seq)
);
CREATE TABLE message_override (
  message_id INTEGER NOT NULL
    REFERENCES messages (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  reason TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (message_id, seq)
);
CREATE TABLE report_log (
  report_id TEXT PRIMARY KEY,
  policy_domain TEXT NOT NULL,
  begin INTEGER NOT NULL,
  end INTEGER NOT NULL,
  created INTEGER NOT NULL,
  state TEXT NOT NULL,
  messages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX report_log_domain
  ON report_log (policy_domain, begin, end);
CREATE TABLE report_dest (
  report_id TEXT NOT NULL
    REFERENCES report_log (report_id) ON DELETE CASCADE,
  uri TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt INTEGER,
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (report_id, uri)
);
CREATE TABLE failure_samples (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL
    REFERENCES messages (id) ON DELETE CASCADE,
  time INTEGER NOT NULL,
  policy_domain TEXT NOT NULL,
  header_from TEXT NOT NULL,
  source_ip TEXT NOT NULL DEFAULT '',
  mail_from TEXT NOT NULL DEFAULT '',
  ruf TEXT NOT NULL,
  auth_failure TEXT NOT NULL,
  headers TEXT NOT NULL,
  reported INTEGER,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX failure_samples_reported
  ON failure_samples (reported, time);
INSERT INTO meta (key, value) VALUES ('schema_version', '2'), ('created', '1700000000');
PRAGMA user_version = 2;

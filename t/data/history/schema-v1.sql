-- dmarcwarden history schema version 1, as milter/history_schema.h
-- of commit d83026e created it (test fixture: history_upgrade.t,
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
  reported TEXT
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
INSERT INTO meta (key, value) VALUES ('schema_version', '1'), ('created', '1700000000');
PRAGMA user_version = 1;

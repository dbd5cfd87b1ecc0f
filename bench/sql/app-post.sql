-- Keys, indexes and statistics of the app-like dataset (after app-data.sql).
\set ON_ERROR_STOP 1
ALTER TABLE events ADD PRIMARY KEY (id);
ALTER TABLE events ADD FOREIGN KEY (account_id) REFERENCES accounts(id);
CREATE INDEX events_account_created ON events (account_id, created_at);
CREATE INDEX users_account ON users (account_id);
CREATE UNIQUE INDEX users_email ON users (email, id);
CREATE INDEX invoices_account ON invoices (account_id, issued_at);
CREATE SEQUENCE events_id_seq OWNED BY events.id;
SELECT setval('events_id_seq', (SELECT max(id) FROM events));
ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq');
VACUUM ANALYZE;

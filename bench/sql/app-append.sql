-- What an application does between two backups: 1% new events (like the old ones, newest timestamps),
-- 0.1% of the table's rows updated among the newest 1%, a few logins, 1% new invoices.
\set ON_ERROR_STOP 1
SELECT count(*) AS n, max(id) AS maxid FROM events \gset
SELECT max(id) AS maxinv, count(*) AS ninv FROM invoices \gset
SELECT count(*) AS n_accounts FROM accounts \gset
SELECT :maxid + 1 AS lo, :maxid + :n / 100 AS hi \gset
\ir app-events.sql
SELECT setval('events_id_seq', :hi);
-- 0.1% of the rows, among the newest 1% (those written since about the last backup): e.g. an order's
-- status changes.
UPDATE events SET payload = payload || jsonb_build_object('processed_at', now()::text)
WHERE id > :maxid - :n / 100 AND id <= :maxid AND random() < 0.1;
UPDATE users SET last_login_at = now() WHERE random() < 0.01;
INSERT INTO invoices
SELECT :maxinv + g, 1 + (g * 7) % :n_accounts, 'INV-2024-' || lpad((:maxinv + g)::text, 7, '0'), 'open', 'USD',
       round((random() * 2000)::numeric, 2), now(), now() + interval '30 days', '[]'::jsonb
FROM generate_series(1, greatest(1, :ninv / 100)) g;
VACUUM ANALYZE;

-- The issue's "append" change: 1% new rows, nothing else (1% new events, like the old ones with the newest
-- timestamps, and 1% new invoices), then VACUUM ANALYZE as autovacuum would. No row is updated or deleted.
\set ON_ERROR_STOP 1
SELECT count(*) AS n, max(id) AS maxid FROM events \gset
SELECT max(id) AS maxinv, count(*) AS ninv FROM invoices \gset
SELECT count(*) AS n_accounts FROM accounts \gset
SELECT :maxid + 1 AS lo, :maxid + :n / 100 AS hi \gset
\ir app-events.sql
SELECT setval('events_id_seq', :hi);
INSERT INTO invoices
SELECT :maxinv + g, 1 + (g * 7) % :n_accounts, 'INV-2024-' || lpad((:maxinv + g)::text, 7, '0'), 'open', 'USD',
       round((random() * 2000)::numeric, 2), now(), now() + interval '30 days', '[]'::jsonb
FROM generate_series(1, greatest(1, :ninv / 100)) g;
VACUUM ANALYZE;

-- The issue's "append" change on pgbench's tables: 1% new accounts rows and history rows, nothing updated,
-- then VACUUM ANALYZE as autovacuum would.
\set ON_ERROR_STOP 1
SELECT count(*) AS n, max(aid) AS maxaid FROM pgbench_accounts \gset
INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
SELECT :maxaid + g, (:maxaid + g - 1) / 100000 + 1, 0, '' FROM generate_series(1, :n / 100) g;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
SELECT 1 + (g % 10), 1, 1 + (g * 7919) % :n, 10, now() FROM generate_series(1, :n / 1000) g;
VACUUM ANALYZE;

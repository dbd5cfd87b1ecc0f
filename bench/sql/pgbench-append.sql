-- What an application does between two backups, on pgbench's tables: 1% new accounts rows, 0.1% of the
-- rows updated among the newest 1%, history rows.
\set ON_ERROR_STOP 1
SELECT count(*) AS n, max(aid) AS maxaid FROM pgbench_accounts \gset
INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
SELECT :maxaid + g, (:maxaid + g - 1) / 100000 + 1, 0, '' FROM generate_series(1, :n / 100) g;
UPDATE pgbench_accounts SET abalance = abalance + 10 WHERE aid > :maxaid - :n / 100 AND aid <= :maxaid AND random() < 0.1;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
SELECT 1 + (g % 10), 1, 1 + (g * 7919) % :n, 10, now() FROM generate_series(1, :n / 1000) g;
VACUUM ANALYZE;

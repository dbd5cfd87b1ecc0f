-- The worst case for deduplication of a logical backup: 1% of pgbench_accounts updated, uniformly.
\set ON_ERROR_STOP 1
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.01;
VACUUM ANALYZE;

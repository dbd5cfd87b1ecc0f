-- The worst case for deduplication of a logical backup: 1% of the big table's rows updated, uniformly.
\set ON_ERROR_STOP 1
UPDATE events SET payload = payload || '{"reviewed": true}' WHERE random() < 0.01;
VACUUM ANALYZE;

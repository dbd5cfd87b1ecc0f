-- Fills the app-like dataset (after app.sql). Variable: scale.
-- One session on purpose: parallel sessions would interleave the events rows on disk, and the newest rows
-- would not be at the end of the table as they are in an application's database.
\set ON_ERROR_STOP 1
SELECT (:scale * 32000)::bigint AS n_events, (:scale * 40)::int AS n_accounts, (:scale * 600)::int AS n_users,
       (:scale * 1500)::int AS n_invoices \gset
INSERT INTO accounts
SELECT a,
       initcap(bench_word((a * 7919) % 16000)) || ' ' || (ARRAY['Inc','GmbH','Ltd','LLC','SAS','BV','AB','Oy'])[1 + a % 8],
       bench_word((a * 104729) % 16000) || '.' || (ARRAY['com','io','de','fr','co.uk','net','app','dev'])[1 + a % 8],
       (ARRAY['free','starter','team','business','enterprise'])[1 + floor(random()^2 * 5)::int],
       timestamptz '2019-01-01' + (a::float8 / :n_accounts) * interval '1500 days' + random() * interval '1 day',
       round((random() * 5000)::numeric, 2),
       jsonb_build_object('timezone', (ARRAY['UTC','Europe/Berlin','America/New_York','Asia/Tokyo','Europe/Paris'])[1 + a % 5],
                          'seats', 1 + (random() * 200)::int,
                          'features', jsonb_build_array('sso', 'audit', 'export'),
                          'billing_email', 'billing@' || bench_word((a * 104729) % 16000) || '.com')
FROM generate_series(1, :n_accounts) a;

INSERT INTO users
SELECT gen_random_uuid(),
       1 + (u % :n_accounts),
       lower(first) || '.' || lower(last) || CASE WHEN u % 3 = 0 THEN (u % 97)::text ELSE '' END || '@'
           || (ARRAY['gmail.com','outlook.com','yahoo.com','proton.me','icloud.com','example.org'])[1 + u % 6],
       first || ' ' || last,
       (ARRAY['en-US','en-GB','de-DE','fr-FR','es-ES','ja-JP','pt-BR'])[1 + floor(random()^2 * 7)::int],
       created,
       CASE WHEN random() < 0.9 THEN created + random() * interval '400 days' END,
       jsonb_build_object('theme', (ARRAY['light','dark','system'])[1 + u % 3],
                          'newsletter', random() < 0.3,
                          'bio', bench_text(3 + u % 12),
                          'avatar', 'https://cdn.example.com/a/' || md5(u::text) || '.png')
FROM (SELECT u,
             initcap(bench_word((u * 31) % 1600)) AS first,
             initcap(bench_word((u * 7 + 13) % 16000)) AS last,
             timestamptz '2019-01-01' + (u::float8 / :n_users) * interval '1500 days' + random() * interval '1 day' AS created
      FROM generate_series(1, :n_users) u) s;

INSERT INTO invoices
SELECT i,
       1 + (i * 7) % :n_accounts,
       'INV-' || to_char(issued, 'YYYY') || '-' || lpad(i::text, 7, '0'),
       (ARRAY['paid','paid','paid','open','void','uncollectible'])[1 + floor(random() * 6)::int],
       (ARRAY['USD','EUR','GBP'])[1 + floor(random()^3 * 3)::int],
       round((random() * 2000)::numeric, 2),
       issued,
       issued + interval '30 days',
       (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || (1000 + (random() * 500)::int),
                                            'description', bench_text(2 + l),
                                            'qty', 1 + (random() * 10)::int,
                                            'unit_price', round((random() * 300)::numeric, 2)))
        FROM generate_series(1, 1 + i % 4) l)
FROM (SELECT i, timestamptz '2019-01-01' + (i::float8 / :n_invoices) * interval '1500 days' AS issued
      FROM generate_series(1, :n_invoices) i) s;

SELECT 1 AS lo, :n_events AS hi \gset
\ir app-events.sql

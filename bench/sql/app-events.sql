-- Inserts events rows with ids :lo to :hi (one every minute or so, from 2023-01-01 on); :n_accounts accounts.
-- Used by app-data.sql (the initial rows) and app-append.sql (new rows like the old ones).
INSERT INTO events
SELECT e,
       acc,
       gen_random_uuid(),
       date_trunc('milliseconds', timestamptz '2023-01-01' + e * interval '1 minute' + random() * interval '10 minutes'),
       kind,
       CASE WHEN random() < 0.8 THEN ('10.' || (acc % 256) || '.' || (random() * 255)::int || '.' || (random() * 255)::int)::inet END,
       CASE WHEN kind IN ('payment.succeeded', 'payment.failed', 'order.created') THEN round((random() * 500)::numeric, 2) END,
       jsonb_build_object('source', (ARRAY['web','ios','android','api'])[1 + floor(random()^2 * 4)::int],
                          'request_id', substr(md5(random()::text), 1, 12),
                          'duration_ms', (random() * random() * 2000)::int,
                          'status', (ARRAY[200, 200, 200, 201, 204, 400, 404, 500])[1 + floor(random() * 8)::int],
                          'path', '/' || bench_word(r16 % 1600) || '/' || (r15 % 1000),
                          'user_agent', (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
                                               'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
                                               'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
                                               'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36',
                                               'okhttp/4.12.0', 'python-requests/2.31.0', 'curl/8.4.0'])[1 + floor(random()^2 * 7)::int]),
       bench_text16(4 + floor(random() * 13)::int, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16)
FROM (SELECT e, 1 + floor(random()^2 * :n_accounts)::int AS acc,
             (ARRAY['page.viewed','page.viewed','page.viewed','api.call','api.call','login','logout',
                    'payment.succeeded','payment.failed','order.created','email.sent','search'])[1 + floor(random() * 12)::int] AS kind,
             bench_rank() AS r1, bench_rank() AS r2, bench_rank() AS r3, bench_rank() AS r4, bench_rank() AS r5, bench_rank() AS r6, bench_rank() AS r7, bench_rank() AS r8, bench_rank() AS r9, bench_rank() AS r10, bench_rank() AS r11, bench_rank() AS r12, bench_rank() AS r13, bench_rank() AS r14, bench_rank() AS r15, bench_rank() AS r16
      FROM generate_series(:lo::bigint, :hi::bigint) e) s;

-- App-like dataset for the Lifeboat benchmark: a SaaS application's database.
-- Usage: psql -v scale=N -v part=K -v parts=P -f app.sql  (see bench/run: schema once, then the events
-- table is filled by P concurrent sessions, one per part).
-- Sizes per scale unit (about the on-disk size of pgbench scale 1, ~15 MB):
--   accounts 40 rows, users 600, invoices 1,500, events 32,000 (the big table, ~85% of the bytes).
-- Content: random uuids, increasing timestamps with jitter, emails, numeric amounts, jsonb documents, and
-- free text drawn from a Zipf-like vocabulary, so the COPY text compresses about 3-4x with zstd, like real
-- application data (not 35x like pgbench's blank filler).

\set ON_ERROR_STOP 1

-- bench_word(n): the n-th word of a synthetic vocabulary (deterministic; 2-3 syllables); ranks 16000 and
-- above are numbers. An expression the planner inlines when n is a column.
CREATE OR REPLACE FUNCTION bench_word(n int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN n >= 16000 THEN ((n * 7919) % 10000)::text
         ELSE (ARRAY['ka','lo','mi','ne','ru','sa','te','vo','pa','di','gu','ha','je','zo','bi','fe',
                     'an','el','or','us','im','ta','re','mo','li','na','co','de','pre','con','ver','ing',
                     'str','ble','ment','tion','ly','er','ous','al'])[1 + n % 40]
           || (ARRAY['ka','lo','mi','ne','ru','sa','te','vo','pa','di','gu','ha','je','zo','bi','fe',
                     'an','el','or','us','im','ta','re','mo','li','na','co','de','pre','con','ver','ing',
                     'str','ble','ment','tion','ly','er','ous','al'])[1 + (n / 40) % 40]
           || CASE WHEN n >= 1600 THEN (ARRAY['s','ed','er','ing','al','y','ic','ment','ness','ful'])[1 + (n / 1600) % 10]
                   ELSE '' END END
$$;

-- bench_rank(): a word rank with a Zipf-like frequency (log-uniform over 16,500 ranks, skewed to the front).
CREATE OR REPLACE FUNCTION bench_rank() RETURNS int LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT floor(exp(power(random(), 1.4) * ln(16500)))::int - 1
$$;

CREATE OR REPLACE FUNCTION bench_punct() RETURNS text LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT CASE WHEN random() < 0.1 THEN (ARRAY[',', ',', '.', '!', '?', ':'])[1 + floor(random() * 6)::int] ELSE '' END
$$;

-- bench_text16(k, r1..r16): the first k (1-16) of 16 words of free text, given their ranks (columns, so
-- that every function here is inlined: a per-row subquery would be 20x slower).
CREATE OR REPLACE FUNCTION bench_text16(k int, r1 int, r2 int, r3 int, r4 int, r5 int, r6 int, r7 int, r8 int, r9 int, r10 int, r11 int, r12 int, r13 int, r14 int, r15 int, r16 int) RETURNS text LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT array_to_string((ARRAY[
      bench_word(r1) || bench_punct(),
      bench_word(r2) || bench_punct(),
      bench_word(r3) || bench_punct(),
      bench_word(r4) || bench_punct(),
      bench_word(r5) || bench_punct(),
      bench_word(r6) || bench_punct(),
      bench_word(r7) || bench_punct(),
      bench_word(r8) || bench_punct(),
      bench_word(r9) || bench_punct(),
      bench_word(r10) || bench_punct(),
      bench_word(r11) || bench_punct(),
      bench_word(r12) || bench_punct(),
      bench_word(r13) || bench_punct(),
      bench_word(r14) || bench_punct(),
      bench_word(r15) || bench_punct(),
      bench_word(r16) || bench_punct()])[1:k], ' ')
$$;

-- bench_text(k): k words of free text (a slower form for the small tables).
CREATE OR REPLACE FUNCTION bench_text(k int) RETURNS text LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT string_agg(bench_word(r) || bench_punct(), ' ') FROM (SELECT bench_rank() AS r FROM generate_series(1, k)) s
$$;

CREATE TABLE IF NOT EXISTS accounts (
    id          int PRIMARY KEY,
    name        text NOT NULL,
    domain      text NOT NULL,
    plan        text NOT NULL,
    created_at  timestamptz NOT NULL,
    balance     numeric(12,2) NOT NULL,
    settings    jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id            uuid PRIMARY KEY,
    account_id    int NOT NULL REFERENCES accounts(id),
    email         text NOT NULL,
    full_name     text NOT NULL,
    locale        text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz,
    profile       jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS invoices (
    id          bigint PRIMARY KEY,
    account_id  int NOT NULL REFERENCES accounts(id),
    number      text NOT NULL,
    status      text NOT NULL,
    currency    text NOT NULL,
    amount      numeric(12,2) NOT NULL,
    issued_at   timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    lines       jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    id          bigint NOT NULL,
    account_id  int NOT NULL,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    kind        text NOT NULL,
    ip          inet,
    amount      numeric(10,2),
    payload     jsonb NOT NULL,
    message     text NOT NULL
);

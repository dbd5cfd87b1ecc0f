-- A Supabase-like database exercising what a logical backup must carry. Run as superuser.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN BYPASSRLS; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN CREATE ROLE supabase_auth_admin NOLOGIN; END IF;
END $$;

CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION citext WITH SCHEMA extensions;
CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
CREATE SCHEMA storage;
CREATE SCHEMA "My Schema";
GRANT USAGE ON SCHEMA auth, storage TO anon, authenticated, service_role;

-- auth
CREATE TABLE auth.users (
  id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
  email extensions.citext UNIQUE NOT NULL,
  encrypted_password text,
  raw_user_meta_data jsonb NOT NULL DEFAULT '{}',
  roles text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  banned boolean NOT NULL DEFAULT false
);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;
CREATE TABLE auth.identities (
  provider text NOT NULL,
  provider_id text NOT NULL,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  identity_data jsonb,
  PRIMARY KEY (provider, provider_id)
);
ALTER TABLE auth.identities OWNER TO supabase_auth_admin;
COMMENT ON TABLE auth.users IS 'Auth: stores user login data';
COMMENT ON COLUMN auth.users.email IS 'case-insensitive e-mail';
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
INSERT INTO auth.users (id, email, encrypted_password, raw_user_meta_data, roles, created_at)
SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'User' || g || '@Example.com',
       extensions.crypt('pw' || g, '$2a$06$abcdefghijklmnopqrstuu'),
       jsonb_build_object('name', 'user ' || g, 'n', g, 'nested', jsonb_build_object('a', array[g, g + 1])),
       array['r' || (g % 3), 'all'], timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 300) g;
INSERT INTO auth.identities SELECT 'email', 'id' || g, ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, '{"x":1}' FROM generate_series(1, 300) g;

-- storage with RLS
CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, public boolean DEFAULT false);
CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(),
  bucket_id text REFERENCES storage.buckets (id),
  name text NOT NULL,
  owner uuid REFERENCES auth.users (id),
  metadata jsonb,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  UNIQUE (bucket_id, name)
);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "owner can read" ON storage.objects FOR SELECT TO authenticated USING (owner = auth.uid());
CREATE POLICY "owner can write" ON storage.objects FOR INSERT TO authenticated WITH CHECK (owner = auth.uid());
CREATE POLICY "public buckets" ON storage.objects FOR SELECT TO anon USING (bucket_id IN (SELECT id FROM storage.buckets WHERE public));
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY "all read" ON storage.buckets FOR SELECT USING (true);
GRANT SELECT ON ALL TABLES IN SCHEMA storage TO anon, authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO service_role;
INSERT INTO storage.buckets VALUES ('avatars', 'avatars', true), ('private', 'private', false);
INSERT INTO storage.objects (id, bucket_id, name, owner, metadata)
SELECT ('10000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, CASE WHEN g % 2 = 0 THEN 'avatars' ELSE 'private' END,
       'folder/' || g || '/file.png', ('00000000-0000-0000-0000-' || lpad((g % 300 + 1)::text, 12, '0'))::uuid,
       jsonb_build_object('size', g * 100, 'mimetype', 'image/png')
FROM generate_series(1, 500) g;

-- public: types
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.positive_int AS integer CHECK (VALUE > 0);
CREATE TYPE public.address AS (street text, city text, zip text);

CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id),
  n integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  username text UNIQUE,
  mood public.mood,
  score public.positive_int,
  home public.address,
  tags text[],
  matrix integer[][],
  avatar bytea,
  bio text,
  settings jsonb,
  updated_at timestamptz
);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "profiles are public" ON public.profiles FOR SELECT USING (true);
CREATE POLICY "own profile" ON public.profiles FOR UPDATE TO authenticated USING (id = auth.uid());
GRANT SELECT ON public.profiles TO anon, authenticated;
GRANT UPDATE (username, bio) ON public.profiles TO authenticated;
INSERT INTO public.profiles (id, username, mood, score, home, tags, matrix, avatar, bio, settings)
SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'user_' || g, (array['sad','ok','happy'])[g % 3 + 1]::public.mood, g,
       ROW('Main St ' || g, 'Town', lpad(g::text, 5, '0'))::public.address,
       array['a', 'b c', 'd"e', NULL, E'tab\there'], array[[g, 2], [3, 4]],
       decode('00ff00' || lpad(to_hex(g), 4, '0') || '0000', 'hex'),
       CASE WHEN g % 50 = 0 THEN repeat('TOAST me ' || g || ' ', 5000) ELSE 'bio ' || g END,
       jsonb_build_object('theme', 'dark', 'flags', jsonb_build_array(true, false, null), 'emoji', '🚣')
FROM generate_series(1, 200) g;

-- awkward text
CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text, raw bytea);
INSERT INTO public.notes (body, raw) VALUES
  (E'tab\tand newline\nand CR\r and backslash \\ end', '\x00'),
  (E'\\.', '\x5c2e'),
  (E'line one\n\\.\nline three', '\x000000'),
  (E'a lone dot line follows\n.\n', NULL),
  ('', ''),
  (NULL, NULL),
  ('unicode: żółć ∑ 🚀 日本', '\xdeadbeef'),
  (repeat('x', 100000), decode(repeat('00', 5000), 'hex'));

-- serial + standalone sequence
CREATE TABLE public.counters (id serial PRIMARY KEY, label text NOT NULL DEFAULT 'c');
INSERT INTO public.counters (label) SELECT 'c' || g FROM generate_series(1, 25) g;
DELETE FROM public.counters WHERE id > 20;
CREATE SEQUENCE public.invoice_numbers START 1000 INCREMENT 7;
SELECT setval('public.invoice_numbers', 4242);
CREATE SEQUENCE public.unused_seq;

-- partitioned (two levels) and inherited
CREATE TABLE public.measurements (id bigint GENERATED BY DEFAULT AS IDENTITY, ts timestamptz NOT NULL, device text, value double precision,
  PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE public.measurements_2024 PARTITION OF public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY RANGE (ts);
CREATE TABLE public.measurements_2024_a PARTITION OF public.measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-09-01');
CREATE TABLE public.measurements_2024_other PARTITION OF public.measurements_2024 DEFAULT;
CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.measurements_default PARTITION OF public.measurements DEFAULT;
ALTER TABLE public.measurements ENABLE ROW LEVEL SECURITY;
CREATE POLICY "devices" ON public.measurements USING (device <> 'secret');
INSERT INTO public.measurements (ts, device, value)
SELECT timestamptz '2024-06-01 00:00:00+00' + (g * interval '37 hours'), (array['a','b','c'])[g % 3 + 1], g * 1.5
FROM generate_series(1, 600) g;
CREATE INDEX ON public.measurements (device, ts);

CREATE TABLE public.cities (name text, population real, elevation int);
CREATE TABLE public.capitals (state char(2)) INHERITS (public.cities);
INSERT INTO public.cities VALUES ('Las Vegas', 2.583e+05, 2174), ('Mariposa', 1200, 1953);
INSERT INTO public.capitals VALUES ('Sacramento', 3.694e+05, 30, 'CA'), ('Madison', 1.913e+05, 845, 'WI');

-- views, matviews, functions, triggers
CREATE VIEW public.active_users AS SELECT u.id, u.email FROM auth.users u WHERE NOT u.banned;
CREATE MATERIALIZED VIEW public.device_stats AS SELECT device, count(*) AS n, sum(value) AS total FROM public.measurements GROUP BY device;
CREATE UNIQUE INDEX ON public.device_stats (device);
CREATE MATERIALIZED VIEW public.device_stats_top AS SELECT * FROM public.device_stats WHERE n > 1;
CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER profiles_touch BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
CREATE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
COMMENT ON FUNCTION public.add(integer, integer) IS 'adds';

-- foreign keys: composite, self-referencing, deferred circular
CREATE TABLE public.orders (tenant_id int, order_id int, placed_at date, PRIMARY KEY (tenant_id, order_id));
CREATE TABLE public.order_items (tenant_id int, order_id int, line int, sku text, qty int CHECK (qty > 0),
  PRIMARY KEY (tenant_id, order_id, line), FOREIGN KEY (tenant_id, order_id) REFERENCES public.orders);
INSERT INTO public.orders SELECT t, o, date '2024-01-01' + o FROM generate_series(1, 3) t, generate_series(1, 40) o;
INSERT INTO public.order_items SELECT t, o, l, 'sku-' || l, l FROM generate_series(1, 3) t, generate_series(1, 40) o, generate_series(1, 3) l;
CREATE TABLE public.employees (id int PRIMARY KEY, name text, manager_id int REFERENCES public.employees (id));
INSERT INTO public.employees VALUES (1, 'boss', NULL), (2, 'mid', 1), (3, 'low', 2), (4, 'low2', 2);
CREATE TABLE public.chicken (id int PRIMARY KEY, egg_id int);
CREATE TABLE public.egg (id int PRIMARY KEY, chicken_id int REFERENCES public.chicken (id) DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE public.chicken ADD FOREIGN KEY (egg_id) REFERENCES public.egg (id) DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO public.chicken VALUES (1, 1), (2, 2);
INSERT INTO public.egg VALUES (1, 1), (2, 2);
COMMIT;

-- odd names, no primary key, empty, dropped columns, unlogged
CREATE TABLE "My Schema"."odd ""name"" with spaces" ("Mixed Case" text, "select" int, "a.b" text);
INSERT INTO "My Schema"."odd ""name"" with spaces" VALUES ('x', 1, 'y'), ('"quoted"', 2, E'back\\slash');
CREATE TABLE public.events_log (at timestamptz, kind text, payload jsonb);
INSERT INTO public.events_log SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', 'k' || (g % 4), '{"dup":true}' FROM generate_series(1, 400) g;
INSERT INTO public.events_log SELECT * FROM public.events_log WHERE kind = 'k1';
UPDATE public.events_log SET payload = '{"updated":1}' WHERE kind = 'k2';
DELETE FROM public.events_log WHERE kind = 'k3' AND at < '2024-01-01 03:00:00+00';
-- indexes that rely on the rows' physical order: a restore never loads these tables in parts
CREATE INDEX events_log_at_brin ON public.events_log USING brin (at);
ALTER TABLE public.employees CLUSTER ON employees_pkey;
CREATE TABLE public.empty_table (id int PRIMARY KEY, note text);
CREATE TABLE public.evolving (a int, b text, c text, d int);
INSERT INTO public.evolving VALUES (1, 'b1', 'c1', 10), (2, 'b2', 'c2', 20);
ALTER TABLE public.evolving DROP COLUMN b;
ALTER TABLE public.evolving ADD COLUMN e text DEFAULT 'later';
INSERT INTO public.evolving (a, c, d) VALUES (3, 'c3', 30);
CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY, v text);
INSERT INTO public.cache VALUES ('a', '1');
CREATE TABLE public.no_columns ();
INSERT INTO public.no_columns DEFAULT VALUES;
INSERT INTO public.no_columns DEFAULT VALUES;

-- large objects: small with zeros, and one of 1.5 MiB (two lo_get pieces)
SELECT lo_from_bytea(0, '\x00000100'::bytea);
SELECT lo_from_bytea(0, decode(repeat('0123456789abcdef', 196608), 'hex'));
DO $$ DECLARE o oid; BEGIN SELECT min(oid) INTO o FROM pg_largeobject_metadata; EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', o, 'small blob'); END $$;

ANALYZE;

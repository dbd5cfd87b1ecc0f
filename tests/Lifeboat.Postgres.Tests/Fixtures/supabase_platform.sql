-- What a new Supabase-like project has before any application data: the platform's roles,
-- schemas, extensions and tables (empty). The target of --profile supabase restores in tests.
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


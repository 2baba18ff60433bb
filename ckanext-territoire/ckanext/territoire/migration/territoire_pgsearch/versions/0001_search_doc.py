"""Search documents table, French text-search configurations.

Revision ID: 0001_search_doc
Revises:
Create Date: 2026-11-22
"""
from alembic import op

revision = "0001_search_doc"
down_revision = None
branch_labels = None
depends_on = None

# The text-search configurations live outside tables: CKAN's test fixture
# `clean_db` drops tables only, so they must be created idempotently.
TS_CONFIGS = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'territoire_fr') THEN
    CREATE TEXT SEARCH CONFIGURATION territoire_fr (COPY = pg_catalog.french);
    ALTER TEXT SEARCH CONFIGURATION territoire_fr
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'territoire_simple') THEN
    CREATE TEXT SEARCH CONFIGURATION territoire_simple (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION territoire_simple
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
  END IF;
END
$$;
"""

TABLE = """
CREATE TABLE IF NOT EXISTS territoire_search_doc (
    index_id text PRIMARY KEY,
    id text NOT NULL,
    site_id text NOT NULL,
    entity_type text,
    dataset_type text,
    state text,
    capacity text,
    name text,
    title text,
    title_string text COLLATE "C",
    owner_org text,
    organization text,
    license_id text,
    creator_user_id text,
    metadata_created timestamptz,
    metadata_modified timestamptz,
    indexed_ts timestamptz NOT NULL DEFAULT now(),
    tags text[] NOT NULL DEFAULT '{}',
    groups text[] NOT NULL DEFAULT '{}',
    res_format text[] NOT NULL DEFAULT '{}',
    permission_labels text[] NOT NULL DEFAULT '{}',
    terms text[] NOT NULL DEFAULT '{}',
    tsv tsvector NOT NULL,
    ac tsvector NOT NULL,
    doc jsonb NOT NULL,
    data_dict text,
    validated_data_dict text
);
CREATE INDEX IF NOT EXISTS territoire_search_doc_id ON territoire_search_doc (id);
CREATE INDEX IF NOT EXISTS territoire_search_doc_name ON territoire_search_doc (name);
CREATE INDEX IF NOT EXISTS territoire_search_doc_owner_org ON territoire_search_doc (owner_org);
CREATE INDEX IF NOT EXISTS territoire_search_doc_organization ON territoire_search_doc (organization);
CREATE INDEX IF NOT EXISTS territoire_search_doc_license ON territoire_search_doc (license_id);
CREATE INDEX IF NOT EXISTS territoire_search_doc_modified ON territoire_search_doc (metadata_modified);
CREATE INDEX IF NOT EXISTS territoire_search_doc_created ON territoire_search_doc (metadata_created);
CREATE INDEX IF NOT EXISTS territoire_search_doc_title ON territoire_search_doc (title_string);
CREATE INDEX IF NOT EXISTS territoire_search_doc_tags ON territoire_search_doc USING gin (tags);
CREATE INDEX IF NOT EXISTS territoire_search_doc_groups ON territoire_search_doc USING gin (groups);
CREATE INDEX IF NOT EXISTS territoire_search_doc_res_format ON territoire_search_doc USING gin (res_format);
CREATE INDEX IF NOT EXISTS territoire_search_doc_labels ON territoire_search_doc USING gin (permission_labels);
CREATE INDEX IF NOT EXISTS territoire_search_doc_terms ON territoire_search_doc USING gin (terms);
CREATE INDEX IF NOT EXISTS territoire_search_doc_tsv ON territoire_search_doc USING gin (tsv);
CREATE INDEX IF NOT EXISTS territoire_search_doc_ac ON territoire_search_doc USING gin (ac);
-- One row: a token that changes whenever the table is re-created, and a
-- generation bumped in the same transaction as every index write. Together
-- they key the per-process answer cache.
CREATE TABLE IF NOT EXISTS territoire_search_meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    token text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text),
    generation bigint NOT NULL DEFAULT 0
);
INSERT INTO territoire_search_meta DEFAULT VALUES ON CONFLICT DO NOTHING;
"""


def upgrade():
    op.execute(TS_CONFIGS)
    op.execute(TABLE)


def downgrade():
    op.execute("DROP TABLE IF EXISTS territoire_search_meta")
    op.execute("DROP TABLE IF EXISTS territoire_search_doc")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS territoire_fr")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS territoire_simple")

"""COG territories, former commune codes, load metadata.

Revision ID: 0001_cog_territory
Revises:
Create Date: 2026-11-24
"""
from alembic import op

revision = "0001_cog_territory"
down_revision = None
branch_labels = None
depends_on = None

# Reference data lives in its own schema: it is not portal content, it is
# reloaded from the shipped file, and it survives what empties the portal's
# tables (CKAN's `ckan db clean` and test resets drop the public schema's
# tables only). Every statement is idempotent: after such a reset the
# migration runs again over the surviving schema.
TABLES = """
CREATE SCHEMA IF NOT EXISTS territoire_ref;
CREATE TABLE IF NOT EXISTS territoire_ref.territoire_territory (
    code text PRIMARY KEY,
    level text NOT NULL
        CHECK (level IN ('commune', 'epci', 'departement', 'region', 'pays')),
    insee text NOT NULL,
    name text NOT NULL,
    name_norm text NOT NULL,
    parents text[] NOT NULL DEFAULT '{}',
    population integer,
    siren text
);
CREATE INDEX IF NOT EXISTS territoire_territory_name_norm
    ON territoire_ref.territoire_territory (name_norm text_pattern_ops);
CREATE INDEX IF NOT EXISTS territoire_territory_parents
    ON territoire_ref.territoire_territory USING gin (parents);

CREATE TABLE IF NOT EXISTS territoire_ref.territoire_territory_former (
    old_code text PRIMARY KEY,
    code text NOT NULL REFERENCES territoire_ref.territoire_territory (code) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS territoire_territory_former_code
    ON territoire_ref.territoire_territory_former (code);

-- One row, written by the loader in the same transaction as the data:
-- readers compare loaded_at to know when their copy is stale.
CREATE TABLE IF NOT EXISTS territoire_ref.territoire_cog_meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    source text NOT NULL,
    version text NOT NULL,
    cog integer NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    counts jsonb NOT NULL DEFAULT '{}'
);
"""


def upgrade():
    op.execute(TABLES)


def downgrade():
    op.execute("DROP TABLE IF EXISTS territoire_ref.territoire_cog_meta")
    op.execute("DROP TABLE IF EXISTS territoire_ref.territoire_territory_former")
    op.execute("DROP TABLE IF EXISTS territoire_ref.territoire_territory")
    op.execute("DROP SCHEMA IF EXISTS territoire_ref")

"""Harvest records: one stable identity per remote dataset.

Revision ID: 0002_harvest_record
Revises: 0001_cog_territory
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002_harvest_record"
down_revision = "0001_cog_territory"
branch_labels = None
depends_on = None

# One row per (harvest source, remote id): the dataset it became, the hash of
# the remote record last imported (an unchanged record is skipped without a
# write), and the withdrawal state of a record gone from the source. The row
# is the identity: a remote title or URL change never creates a duplicate.
# No foreign key to package: CKAN's own resets drop and empty its tables
# without CASCADE; a row whose dataset was purged is treated as new.
SQL = """
CREATE TABLE IF NOT EXISTS territoire_harvest_record (
    source_id text NOT NULL,
    remote_id text NOT NULL,
    package_id text NOT NULL,
    content_hash text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    missing_since timestamptz,
    withdrawn_at timestamptz,
    PRIMARY KEY (source_id, remote_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS territoire_harvest_record_package
    ON territoire_harvest_record (package_id);
"""


def upgrade():
    op.execute(SQL)


def downgrade():
    op.execute("DROP TABLE IF EXISTS territoire_harvest_record")

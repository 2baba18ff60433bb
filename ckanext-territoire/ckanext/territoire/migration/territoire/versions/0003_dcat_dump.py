"""DCAT dump contents, and the datasets that left the public set.

Revision ID: 0003_dcat_dump
Revises: 0002_harvest_record
Create Date: 2026-12-06
"""

from alembic import op

revision = "0003_dcat_dump"
down_revision = "0002_harvest_record"
branch_labels = None
depends_on = None

# One row per dump written by `ckan territoire dcat dump` (its generation id
# is written in the files' header; oldest_txid: the oldest transaction running
# when it started reading), one entry per dataset it holds, written as the
# dump goes; the dump is complete once its files are in place. No foreign key
# to package: a purged dataset must leave its entry behind.
#
# territoire_dcat_unpublished: the datasets that left the public set (made
# private, deleted or drafted, purged), with the transaction that did it,
# kept by two triggers on CKAN's package table whatever the path (actions,
# bulk actions, harvest withdrawal, a direct change of the model, SQL). The
# dump endpoints compare it with the dump's entries and the package table's
# current state: the check costs the number of such departures, not the size
# of the dump. A departure is forgotten once its transaction ended before
# every recorded dump started reading (no dump can hold the dataset from
# before it). The triggers only write to our table; if it is missing they do
# nothing (and the endpoints fail closed: their check needs it).
SQL = """
CREATE TABLE IF NOT EXISTS territoire_dcat_dump (
    generation text PRIMARY KEY,
    generated timestamptz NOT NULL,
    oldest_txid bigint NOT NULL,
    complete boolean NOT NULL DEFAULT false,
    entries integer NOT NULL DEFAULT 0,
    seconds double precision NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS territoire_dcat_dump_entry (
    generation text NOT NULL
        REFERENCES territoire_dcat_dump (generation) ON DELETE CASCADE,
    package_id text NOT NULL,
    PRIMARY KEY (generation, package_id)
);
CREATE INDEX IF NOT EXISTS territoire_dcat_dump_entry_package
    ON territoire_dcat_dump_entry (package_id);

CREATE TABLE IF NOT EXISTS territoire_dcat_unpublished (
    package_id text PRIMARY KEY,
    txid bigint NOT NULL,
    at timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION territoire_dcat_unpublished() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO territoire_dcat_unpublished (package_id, txid, at)
    VALUES (OLD.id, txid_current(), clock_timestamp())
    ON CONFLICT (package_id)
        DO UPDATE SET txid = EXCLUDED.txid, at = EXCLUDED.at;
    RETURN NULL;
EXCEPTION WHEN undefined_table THEN
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS territoire_dcat_unpublished_update ON package;
CREATE TRIGGER territoire_dcat_unpublished_update
    AFTER UPDATE OF private, state ON package
    FOR EACH ROW
    WHEN (OLD.state = 'active' AND OLD.private IS NOT TRUE
          AND (NEW.state IS DISTINCT FROM 'active' OR NEW.private IS TRUE))
    EXECUTE FUNCTION territoire_dcat_unpublished();

DROP TRIGGER IF EXISTS territoire_dcat_unpublished_delete ON package;
CREATE TRIGGER territoire_dcat_unpublished_delete
    AFTER DELETE ON package
    FOR EACH ROW
    WHEN (OLD.state = 'active' AND OLD.private IS NOT TRUE)
    EXECUTE FUNCTION territoire_dcat_unpublished();
"""

DOWN = """
DROP TRIGGER IF EXISTS territoire_dcat_unpublished_update ON package;
DROP TRIGGER IF EXISTS territoire_dcat_unpublished_delete ON package;
DROP FUNCTION IF EXISTS territoire_dcat_unpublished();
DROP TABLE IF EXISTS territoire_dcat_unpublished;
DROP TABLE IF EXISTS territoire_dcat_dump_entry;
DROP TABLE IF EXISTS territoire_dcat_dump;
"""


def upgrade():
    op.execute(SQL)


def downgrade():
    op.execute(DOWN)

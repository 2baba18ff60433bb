"""Validation reports of resources against their Table Schema.

Revision ID: 0004_validation_report
Revises: 0003_dcat_dump
Create Date: 2026-12-06
"""

from alembic import op

revision = "0004_validation_report"
down_revision = "0003_dcat_dump"
branch_labels = None
depends_on = None

# One row per resource: its last validation (the report of an earlier run
# is of no use once the file changed). No foreign key to resource: a purged
# resource's row is removed by the action, and a missing one costs nothing.
# url/schema/schema_version: what was validated, compared by the draft gate
# with what the resource declares now. status: pending, running, success,
# failure, error.
SQL = """
CREATE TABLE IF NOT EXISTS territoire_validation_report (
    resource_id text PRIMARY KEY,
    package_id text NOT NULL,
    status text NOT NULL,
    url text,
    schema text,
    schema_version text,
    fingerprint text,
    error_count integer NOT NULL DEFAULT 0,
    created timestamptz NOT NULL DEFAULT now(),
    finished timestamptz,
    report jsonb
);
CREATE INDEX IF NOT EXISTS territoire_validation_report_package
    ON territoire_validation_report (package_id);
"""


def upgrade():
    op.execute(SQL)


def downgrade():
    op.execute("DROP TABLE IF EXISTS territoire_validation_report")

"""Facet counts per base filter, kept in step with every index write.

Revision ID: 0002_facet_summary
Revises: 0001_search_doc
Create Date: 2026-11-22
"""
from alembic import op

revision = "0002_facet_summary"
down_revision = "0001_search_doc"
branch_labels = None
depends_on = None

SQL = """
-- For each combination of the fields every CKAN search filters on (site,
-- type, state, capacity, organisation, permission labels), the number of
-- documents (field = '') and of each value of the summarised facet fields.
-- A search that filters on those fields only (the dataset list, an
-- organisation page, the API's *:*) reads its count and facets here.
CREATE TABLE IF NOT EXISTS territoire_search_facets (
    site_id text NOT NULL,
    dataset_type text NOT NULL,
    state text NOT NULL,
    capacity text NOT NULL,
    owner_org text NOT NULL,
    permission_labels text[] NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (site_id, dataset_type, state, capacity, owner_org,
                 permission_labels, field, value)
);
-- Counters that fell to zero are deleted after each write: found by this index.
CREATE INDEX IF NOT EXISTS territoire_search_facets_spent
    ON territoire_search_facets (field) WHERE n <= 0;
-- The summarised fields; NULL until the first write builds the summary, and
-- whenever it no longer matches the configuration (searches then count live).
ALTER TABLE territoire_search_meta ADD COLUMN IF NOT EXISTS facet_fields text;
UPDATE territoire_search_meta SET facet_fields = NULL;

-- Indexes in the exact order of CKAN's usual sorts (the backend always adds
-- NULLS LAST and index_id as tie-break), so that a page — even a deep one —
-- reads the index instead of sorting every match.
CREATE INDEX IF NOT EXISTS territoire_search_doc_modified_sort
    ON territoire_search_doc (metadata_modified DESC NULLS LAST, index_id);
CREATE INDEX IF NOT EXISTS territoire_search_doc_created_sort
    ON territoire_search_doc (metadata_created DESC NULLS LAST, index_id);
CREATE INDEX IF NOT EXISTS territoire_search_doc_title_sort
    ON territoire_search_doc ((title_string COLLATE "C"), index_id);
CREATE INDEX IF NOT EXISTS territoire_search_doc_name_sort
    ON territoire_search_doc ((name COLLATE "C"), index_id);
"""


def upgrade():
    op.execute(SQL)


def downgrade():
    for name in ("modified_sort", "created_sort", "title_sort", "name_sort"):
        op.execute(f"DROP INDEX IF EXISTS territoire_search_doc_{name}")
    op.execute("DROP TABLE IF EXISTS territoire_search_facets")
    op.execute("ALTER TABLE territoire_search_meta DROP COLUMN IF EXISTS facet_fields")

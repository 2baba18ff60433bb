"""Join requests of partner collectivités, and the invitations of their admins.

Revision ID: 0005_join_requests
Revises: 0004_validation_report
Create Date: 2026-12-06
"""

from alembic import op

revision = "0005_join_requests"
down_revision = "0004_validation_report"
branch_labels = None
depends_on = None

# territoire_join_request: one row per request ("Rejoindre la plateforme").
# intent: create (no organisation had the territory's code when it was asked)
# or join (organization_id names the existing one). state: pending, approved,
# rejected. At most one pending request per person and territory, and one
# pending creation request per territory: both enforced by partial unique
# indexes, so that two requests sent at once cannot both be stored.
#
# territoire_invitation: one row per invitation sent through user_invite, to
# expire its link and to tell a used link from a wrong one. key_hash: the
# SHA-256 of the reset key the invitation e-mail carries (never the key).
SQL = """
CREATE TABLE IF NOT EXISTS territoire_join_request (
    id text PRIMARY KEY,
    user_id text NOT NULL,
    territory text NOT NULL,
    intent text NOT NULL,
    organization_id text,
    email text NOT NULL,
    role text NOT NULL,
    message text,
    state text NOT NULL DEFAULT 'pending',
    created timestamptz NOT NULL DEFAULT now(),
    decided timestamptz,
    decided_by text,
    reason text
);
CREATE UNIQUE INDEX IF NOT EXISTS territoire_join_request_one_pending
    ON territoire_join_request (user_id, territory) WHERE state = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS territoire_join_request_one_creation
    ON territoire_join_request (territory)
    WHERE state = 'pending' AND intent = 'create';
CREATE INDEX IF NOT EXISTS territoire_join_request_state
    ON territoire_join_request (state, created);

CREATE TABLE IF NOT EXISTS territoire_invitation (
    user_id text PRIMARY KEY,
    group_id text NOT NULL,
    role text NOT NULL,
    email text NOT NULL,
    invited_by text,
    key_hash text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    accepted timestamptz
);
CREATE INDEX IF NOT EXISTS territoire_invitation_group
    ON territoire_invitation (group_id);
"""


def upgrade():
    op.execute(SQL)


def downgrade():
    op.execute("DROP TABLE IF EXISTS territoire_invitation")
    op.execute("DROP TABLE IF EXISTS territoire_join_request")

"""The first schema: organisations, partnerships, vectors, feedback, keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("aims", sa.Text, nullable=False),
        sa.Column("offers", sa.Text, nullable=False),
        sa.Column("needs", sa.Text, nullable=False),
        sa.Column("target_groups", sa.Text, nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("stages", sa.Text, nullable=False),
        sa.Column("activities", sa.Text, nullable=False),
        sa.Column("town", sa.String(100)),
        sa.Column("postcode", sa.String(10)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("region", sa.String(30)),
        sa.Column("reach", sa.String(10), nullable=False),
        sa.Column("website", sa.String(300)),
        sa.Column("contact_email", sa.String(200)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )
    op.create_index("ix_organisations_kind", "organisations", ["kind"])
    op.create_index("ix_organisations_region", "organisations", ["region"])
    op.create_table(
        "partnerships",
        sa.Column(
            "a",
            sa.String(80),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "b",
            sa.String(80),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("activity", sa.String(200), nullable=False),
        sa.Column("since", sa.Integer),
        sa.Column("until", sa.Integer),
        sa.Column("status", sa.String(10), nullable=False),
        sa.CheckConstraint("a < b", name="ck_partnerships_ordered"),
    )
    op.create_index("ix_partnerships_b", "partnerships", ["b"])
    op.create_table(
        "vectors",
        sa.Column("model", sa.String(120), primary_key=True),
        sa.Column("text_hash", sa.String(64), primary_key=True),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "organisation_id",
            sa.String(80),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "suggested_id",
            sa.String(80),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )
    op.create_index("ix_feedback_organisation_id", "feedback", ["organisation_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column(
            "organisation_id",
            sa.String(80),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "learned_weights",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )
    op.create_table(
        "store_state",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the first schema."""
    for table in (
        "store_state",
        "learned_weights",
        "api_keys",
        "feedback",
        "vectors",
        "partnerships",
        "organisations",
    ):
        op.drop_table(table)

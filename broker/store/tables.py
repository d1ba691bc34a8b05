"""SQLAlchemy tables: the store's schema.

Tag lists are stored as text joined and wrapped by ``;`` (``;physics;chemistry;``)
so that one ``LIKE '%;physics;%'`` filters them the same way on SQLite and
PostgreSQL. The schema is created and changed only by the Alembic migrations
in ``migrations/``; a test checks that they agree with these classes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class OrganisationRow(Base):
    """One organisation profile."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    aims: Mapped[str] = mapped_column(Text)
    offers: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    target_groups: Mapped[str] = mapped_column(Text, default="")
    subjects: Mapped[str] = mapped_column(Text, default="")
    stages: Mapped[str] = mapped_column(Text, default="")
    activities: Mapped[str] = mapped_column(Text, default="")
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(30), index=True)
    reach: Mapped[str] = mapped_column(String(10), default="local")
    website: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class PartnershipRow(Base):
    """An unordered pair, stored with ``a < b``."""

    __tablename__ = "partnerships"
    __table_args__ = (
        CheckConstraint("a < b", name="ck_partnerships_ordered"),
        Index("ix_partnerships_b", "b"),
    )

    a: Mapped[str] = mapped_column(
        String(80), ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    b: Mapped[str] = mapped_column(
        String(80), ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    activity: Mapped[str] = mapped_column(String(200), default="")
    since: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")


class VectorRow(Base):
    """A cached text embedding, keyed by the model and the text's hash.

    ``vector`` holds float32 bytes; on PostgreSQL with pgvector, migration
    0002 makes it a pgvector ``vector`` instead (see ``vectors.py``).
    """

    __tablename__ = "vectors"

    model: Mapped[str] = mapped_column(String(120), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class FeedbackRow(Base):
    """What an organisation did with a suggestion."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    suggested_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("organisations.id", ondelete="CASCADE")
    )
    verdict: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ApiKeyRow(Base):
    """An API key, stored as a hash of the secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(10))
    organisation_id: Mapped[str | None] = mapped_column(
        String(80), ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearnedWeightsRow(Base):
    """Component weights fitted by ``broker learn``, with what they came from."""

    __tablename__ = "learned_weights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    weights: Mapped[str] = mapped_column(Text)
    report: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class StateRow(Base):
    """Single-row counters; ``version`` changes on every committed write."""

    __tablename__ = "store_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)

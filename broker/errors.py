"""The exception tree of broker.

::

    BrokerError                  root: every error broker raises on purpose
    ├── ValidationFailed         input broke the profile format; lists problems
    ├── NotFound                 an id that the store does not hold
    ├── Conflict                 a write that contradicts what is stored
    ├── PermissionDenied         an API key that may not do this
    └── ModelUnavailable         the configured embedder cannot be loaded

Every message names the bad value, what was expected and how to fix it. The
API turns these into RFC 9457 problem details in one handler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemDetail:
    """One problem in an input: where, what and how to fix it."""

    field: str
    problem: str
    fix: str
    row: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        where += f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.problem} ({self.fix})"

    def as_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready mapping."""
        found: dict[str, object] = {
            "field": self.field,
            "problem": self.problem,
            "fix": self.fix,
        }
        if self.row is not None:
            found["row"] = self.row
        if self.source is not None:
            found["source"] = self.source
        return found


class BrokerError(Exception):
    """Root of every error that broker raises on purpose."""

    status = 500
    title = "Broker error"


class ValidationFailed(BrokerError):
    """Input that breaks the profile format; carries every problem found."""

    status = 422
    title = "Invalid input"

    def __init__(self, problems: list[ProblemDetail]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = len(problems) - 20
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(shown)


class NotFound(BrokerError):
    """An id that the store does not hold."""

    status = 404
    title = "Not found"


class Conflict(BrokerError):
    """A write that contradicts what is stored."""

    status = 409
    title = "Conflict"


class PermissionDenied(BrokerError):
    """A missing or insufficient API key."""

    status = 403
    title = "Forbidden"


class Unauthenticated(PermissionDenied):
    """No API key, or one that broker does not know."""

    status = 401
    title = "Unauthorized"


class ModelUnavailable(BrokerError):
    """The configured embedding model cannot be loaded."""

    status = 503
    title = "Embedding model unavailable"

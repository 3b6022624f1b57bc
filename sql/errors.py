"""Domain errors shared by every package.

They live beside the SQL layer because every domain package depends on it and
repositories raise them (a unique violation becomes a ``ConflictError``). They know
nothing of HTTP: ``api/errors.py`` maps them to statuses.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a user can cause; ``code`` is stable and documented."""

    code = "error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFoundError(AppError):
    code = "not-found"


class ConflictError(AppError):
    code = "conflict"


class ValidationError(AppError):
    code = "validation"


class PermissionDeniedError(AppError):
    code = "permission-denied"


class AuthenticationError(AppError):
    code = "unauthorized"


class UpstreamError(AppError):
    """A platform or remote server could not be used (unreachable, refused, bad token)."""

    code = "upstream"


class GoneError(AppError):
    """Something that existed and was withdrawn: a revoked or expired share link."""

    code = "gone"

"""Errors the services raise; every message is Russian and safe to show a user."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action; `message` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(DomainError):
    def __init__(self, message: str = "Недостаточно прав для этого действия.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    def __init__(self, message: str = "Запись не найдена.") -> None:
        super().__init__(message)


class ValidationError(DomainError):
    """Bad input: nothing was changed."""


class ConflictError(DomainError):
    """Someone else changed the record first; `current` is what is stored now."""

    def __init__(self, message: str, current: Any = None) -> None:
        super().__init__(message)
        self.current = current

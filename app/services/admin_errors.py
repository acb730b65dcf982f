"""The error every admin service raises for a value it refuses: which field, and why."""
from __future__ import annotations


class AdminError(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

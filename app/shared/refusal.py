"""The one error for a value that is refused: which field, why, and the HTTP status.

Every feature raises it (admin forms show it under the field, the API answers with its status and
`{"errors": [{"field", "message"}]}`, the CLI prints it); the message is already translated."""
from __future__ import annotations


class Refusal(ValueError):
    def __init__(self, field: str | None, message: str, status: int = 400,
                 errors: list[tuple[str | None, str]] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
        # several refused values at once (an API submission); the first is field/message
        self.errors = errors if errors is not None else [(field, message)]

    @classmethod
    def of(cls, errors: list[tuple[str | None, str]], status: int = 400) -> Refusal:
        field, message = errors[0]
        return cls(field, message, status, errors)

"""Typed failures of runtime operations, each carrying one sentence an operator understands.

Runtimes raise these and nothing else for expected failures, so the UI never shows a traceback:
it shows ``str(error)`` and, where useful, ``error.hint``.
"""

from __future__ import annotations


class OperationError(Exception):
    """Base class: ``str(exc)`` is the sentence to show."""

    kind = "error"
    retryable = False

    def __init__(self, sentence: str, *, hint: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.hint = hint


class Unreachable(OperationError):
    kind = "unreachable"
    retryable = True


class TlsFailure(OperationError):
    kind = "tls"


class Unauthorized(OperationError):
    kind = "unauthorized"


class Forbidden(OperationError):
    kind = "forbidden"


class NotFound(OperationError):
    kind = "not-found"


class Conflict(OperationError):
    """Someone else changed the object since it was read."""

    kind = "conflict"


class Invalid(OperationError):
    kind = "invalid"


class TimedOut(OperationError):
    kind = "timeout"
    retryable = True


class ServerError(OperationError):
    kind = "server"
    retryable = True


class Expired(OperationError):
    """A watch asked for a resourceVersion the server no longer has (410): list again."""

    kind = "expired"
    retryable = True


class Refused(OperationError):
    """The operation cannot proceed for a reason known before sending anything."""

    kind = "refused"


class Cancelled(OperationError):
    kind = "cancelled"

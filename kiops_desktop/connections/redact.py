"""The one redactor: console output, log records and error sentences pass through ``redact``.

Two layers:

* known secrets - every secret the credential store reads or writes is registered here
  (``register_secret``) for the life of the process and replaced by ``MASK`` wherever it appears;
* patterns - secrets we were never told about but can recognise by their surroundings:
  ``Authorization: Bearer ...`` / ``Basic ...`` headers, a bare ``Bearer <token>``,
  ``password=...`` / ``token: ...`` / ``"client-key-data": "..."`` style key-value pairs,
  ``--token abc`` style flags and ``user:password@`` in URLs. The key is kept, the value masked.

``install_log_redaction(handler)`` adds a ``logging.Filter`` that redacts every record the handler
emits (message, arguments, exception and stack text).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "••••••"
MIN_SECRET_LENGTH = 4
"""Shorter strings are not registered: masking every "abc" in a console would wreck the output
and a 3-character secret protects nothing anyway."""

_lock = threading.Lock()
_known: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret inside a longer one cannot leak a part

# --------------------------------------------------------------------------- known secrets


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` for the rest of the process: ``redact`` masks it from now on."""
    global _ordered
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if secret in _known:
            return
        _known.add(secret)
        _ordered = tuple(sorted(_known, key=len, reverse=True))


def forget_secret(secret: str) -> None:
    global _ordered
    with _lock:
        _known.discard(secret)
        _ordered = tuple(sorted(_known, key=len, reverse=True))


def forget_all_secrets() -> None:
    """Empty the registry (tests)."""
    global _ordered
    with _lock:
        _known.clear()
        _ordered = ()


def is_known_secret(text: str) -> bool:
    with _lock:
        return text in _known


# --------------------------------------------------------------------------- patterns

_VALUE = r"[^\s\"'&,;}\]]+"
_SECRET_KEYS = (
    r"password|passwd|pwd|secret|client[-_]?secret|token|access[-_]?token|refresh[-_]?token"
    r"|id[-_]?token|api[-_]?key|apikey|private[-_]?key|client[-_]?key[-_]?data|bearer[-_]?token"
    r"|identitytoken|registrytoken"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / Proxy-Authorization: Basic abc= / authorization="Bearer abc"
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)"
            r"[A-Za-z0-9._~+/=-]+"
        ),
        rf"\1{MASK}",
    ),
    # a bare bearer token: "Bearer eyJhbGciOi..."
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*"), rf"\1{MASK}"),
    # --token abc / --password=abc (command lines)
    (
        re.compile(rf"(?i)(--(?:{_SECRET_KEYS})(?:\s+|=))(?!-)(\"[^\"]*\"|'[^']*'|{_VALUE})"),
        rf"\1{MASK}",
    ),
    # password=abc, token: abc, "password": "abc", client-key-data: LS0t...
    (
        re.compile(
            rf"(?i)(?<![\w-])((?:{_SECRET_KEYS})[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|{_VALUE})"
        ),
        r"\1" + MASK,
    ),
    # docker config.json: "auth": "dXNlcjpwYXNz"
    (re.compile(r"(?i)(\"auth\"\s*:\s*)\"[^\"]+\""), rf'\1"{MASK}"'),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(@)"), rf"\1{MASK}\2"),
)


def redact_patterns(text: str) -> str:
    """Mask values that look like secrets by their surroundings (no registry involved)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_known(text: str, extra: Iterable[str] = ()) -> str:
    """Mask every registered secret and every string of ``extra`` (not registered)."""
    with _lock:
        known = _ordered
    more = [s for s in extra if s and len(s) >= MIN_SECRET_LENGTH and s not in known]
    secrets = sorted((*known, *more), key=len, reverse=True) if more else known
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Known secrets first (they may not look like secrets), then the patterns."""
    if not text:
        return text
    return redact_patterns(redact_known(text, extra))


# --------------------------------------------------------------------------- logging


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no handler after it sees a secret. Never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we have, as text
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(handler: logging.Handler) -> RedactingFilter:
    """Add the redacting filter to ``handler`` (once) and return it."""
    for existing in handler.filters:
        if isinstance(existing, RedactingFilter):
            return existing
    filt = RedactingFilter()
    handler.addFilter(filt)
    return filt

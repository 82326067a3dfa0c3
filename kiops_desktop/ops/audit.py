"""The audit log: one JSON object per line, appended atomically, never holding secrets."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

FIELDS = ("time", "user", "connection", "service", "action", "from", "to", "outcome", "detail")


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("kiops-desktop", "KIOPS")) / "audit.jsonl"


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name in containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def append(
        self,
        *,
        connection: str,
        service: str,
        action: str,
        outcome: str,
        from_: str = "",
        to: str = "",
        detail: str = "",
    ) -> dict[str, Any]:
        # Only these named fields are ever written: callers cannot smuggle in a token or env dump.
        entry = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "user": current_user(),
            "connection": connection,
            "service": service,
            "action": action,
            "from": from_,
            "to": to,
            "outcome": outcome,
            "detail": detail,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND + a single write: concurrent writers never interleave inside a line.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """All entries, oldest first; a torn last line (crash mid-write) is skipped."""
        if not self.path.exists():
            return []
        out = []
        for raw in self.path.read_text("utf-8").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(raw)
                if isinstance(item, dict):
                    out.append(item)
        return out

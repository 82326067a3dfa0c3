"""The Activity page's table: audit entries as pure records (redacted, texts computed off the UI
thread), a column spec, a ``QAbstractTableModel`` that prepends new entries incrementally (the
log only grows), and a filter proxy (action + text)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from ..connections.redact import redact
from ..ops.audit import FIELDS

AnyIndex = QModelIndex | QPersistentModelIndex
EntryRole = Qt.ItemDataRole.UserRole + 1

# Shown first in the action filter, in this order, whether or not the log has them yet.
KNOWN_ACTIONS = ("deploy", "restore", "rollback", "console command")

Tone = Literal["good", "warn", "bad", ""]
TONE_COLOURS = {"good": "#2e7d32", "warn": "#b26a00", "bad": "#c62828"}
MUTED_COLOUR = "#757575"


def outcome_tone(action: str, outcome: str) -> Tone:
    """How an outcome should look: green when it did what was asked, amber when nothing (or
    not all) happened, red when it failed."""
    text = outcome.lower()
    if any(word in text for word in ("fail", "crash", "stuck", "could not", "error")):
        return "bad"
    if action == "deploy" and text == "restored":
        return "warn"  # the deploy failed; the previous version was put back
    if text in ("refused", "stopped", "cancelled") or "not verified" in text:
        return "warn"
    if text in ("succeeded", "deployed", "restored", "deleted", "ok", "verified"):
        return "good"
    return ""


def local_time(text: str) -> str:
    """``2026-11-29 21:24:30`` in the machine's time zone; the raw text when it does not
    parse."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ActivityEntry:
    """One audit line, every field passed through the redactor (the audit log holds no
    secrets by construction; this is the second lock on the door)."""

    time: str
    user: str
    connection: str
    service: str
    action: str
    from_: str
    to: str
    outcome: str
    detail: str
    local_time: str
    search: str  # lower-cased text of every field, for the filter box
    context: str = ""  # what the Context column shows (``connection`` or its known name)

    @classmethod
    def of(cls, raw: Mapping[str, Any], aliases: Mapping[str, str] | None = None) -> ActivityEntry:
        """``aliases``: shorter names for connections, e.g. "docker:unix:///run/docker.sock"
        -> "docker:default" (deploys record the engine's address, screens show the name)."""
        values = {name: redact(str(raw.get(name, "") or "")) for name in FIELDS}
        context = (aliases or {}).get(values["connection"], values["connection"])
        return cls(
            time=values["time"],
            user=values["user"],
            connection=values["connection"],
            service=values["service"],
            action=values["action"],
            from_=values["from"],
            to=values["to"],
            outcome=values["outcome"],
            detail=values["detail"],
            local_time=local_time(values["time"]),
            search="\x00".join((*values.values(), context)).lower(),
            context=context,
        )

    @property
    def change(self) -> str:
        if self.from_ and self.to:
            return f"{self.from_} → {self.to}"
        if self.to:
            return f"→ {self.to}"
        return f"{self.from_} →" if self.from_ else ""

    @property
    def tone(self) -> Tone:
        return outcome_tone(self.action, self.outcome)

    def as_fields(self) -> dict[str, str]:
        """The audit line's own field names (the CSV header)."""
        return {
            "time": self.time,
            "user": self.user,
            "connection": self.connection,
            "service": self.service,
            "action": self.action,
            "from": self.from_,
            "to": self.to,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def _tooltip(entry: ActivityEntry) -> str:
    parts = [f"{entry.local_time} ({entry.time} UTC) · {entry.user}"]
    if entry.context != entry.connection:
        parts.append(f"{entry.context}: {entry.connection}")
    if entry.change:
        parts.append(entry.change)
    parts.append(entry.detail or "(no detail)")
    return "\n".join(parts)


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[ActivityEntry], str]
    width: int = 0


ACTIVITY_COLUMNS: Sequence[Column] = (
    Column("Time", lambda e: e.local_time, 145),
    Column("User", lambda e: e.user, 80),
    Column("Context", lambda e: e.context or e.connection, 185),
    Column("Service", lambda e: e.service, 150),
    Column("Action", lambda e: e.action, 130),
    # A console command has no from/to: its command line (the detail) says what changed.
    Column("From → To", lambda e: e.change or e.detail, 400),
    Column("Outcome", lambda e: e.outcome, 160),
)
CHANGE_COLUMN = 5
OUTCOME_COLUMN = 6


class ActivityModel(QAbstractTableModel):
    """Newest first. ``set_entries`` takes the whole log (oldest first, as AuditLog returns it)
    and, when the old rows are a prefix of it (the usual case: lines were appended), only
    inserts the new ones at the top."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = ACTIVITY_COLUMNS
        self.entries: list[ActivityEntry] = []  # newest first, as shown

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].header
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()].text(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if (
            index.column() == CHANGE_COLUMN
            and not entry.change
            and role == Qt.ItemDataRole.ForegroundRole
        ):
            return QBrush(QColor(MUTED_COLOUR))  # the detail standing in, not a from/to
        if index.column() == OUTCOME_COLUMN and entry.tone:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(TONE_COLOURS[entry.tone]))
            if role == Qt.ItemDataRole.FontRole and entry.tone == "bad":
                font = QFont()
                font.setBold(True)
                return font
        if role == EntryRole:
            return entry
        return None

    def set_entries(self, oldest_first: Sequence[ActivityEntry]) -> None:
        count = len(self.entries)
        if count and (
            len(oldest_first) < count or list(oldest_first[count - 1 :: -1]) != self.entries
        ):
            # The log was rotated, truncated or rewritten: start over.
            self.beginResetModel()
            self.entries = list(reversed(oldest_first))
            self.endResetModel()
            return
        new = list(reversed(oldest_first[count:]))
        if new:
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self.entries[:0] = new
            self.endInsertRows()


class ActivityFilter(QSortFilterProxyModel):
    """Rows whose action is the chosen one (all when empty) and whose text contains every
    word typed in the filter box."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._action = ""
        self._words: tuple[str, ...] = ()

    def set_action(self, action: str) -> None:
        if action != self._action:
            # Qt 6.9's begin/endFilterChange replaces the deprecated invalidateFilter().
            self.beginFilterChange()
            self._action = action
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        words = tuple(text.lower().split())
        if words != self._words:
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, ActivityModel) or not 0 <= source_row < len(model.entries):
            return False
        entry = model.entries[source_row]
        if self._action and entry.action != self._action:
            return False
        return all(word in entry.search for word in self._words)

    def shown_entries(self) -> list[ActivityEntry]:
        model = self.sourceModel()
        if not isinstance(model, ActivityModel):
            return []
        return [
            model.entries[self.mapToSource(self.index(r, 0)).row()] for r in range(self.rowCount())
        ]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's CSV injection advice): text a
    command or an image name put there cannot become ``=HYPERLINK(...)`` on an auditor's
    machine."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def write_csv(path: Path, entries: Iterable[ActivityEntry]) -> int:
    """Write entries (already redacted) with the audit log's field names; returns the count.
    Written to a temporary name and renamed, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(FIELDS))
            writer.writeheader()
            for entry in entries:
                writer.writerow({k: csv_cell(redact(v)) for k, v in entry.as_fields().items()})
                count += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written file left beside the target
        raise
    return count

"""The revisions table of the Deployment tab: a pure column spec (what each cell says) and a
``QAbstractTableModel`` that only adapts it, updated incrementally so the selection survives a
refresh (STYLE.md §3, §4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ..core.history import Revision

LIVE_TEXT = "● live"
LIVE_COLOUR = "#2e7d32"
ATTENTION_COLOUR = "#c62828"

# The revision object itself, for views and tests that want more than the cell text.
RevisionRole = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def _age(seconds: float) -> str:
    """kubectl-style coarse age: 45s, 12m, 5h, 3d, 2y."""
    seconds = max(seconds, 0)
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def created_text(created: str, now: datetime | None = None) -> str:
    """``2024-05-02 14:03 (3d)`` in local time; the raw value when it does not parse."""
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return created
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return f"{when.astimezone():%Y-%m-%d %H:%M} ({_age((now - when).total_seconds())})"


def pods_text(revision: Revision) -> str:
    return f"{revision.ready_replicas}/{revision.replicas}"


def _pods_attention(revision: Revision) -> bool:
    # Pods that exist but are not ready: a crash loop or a stuck rollout on this revision.
    return revision.ready_replicas < revision.replicas


def _images_tooltip(revision: Revision) -> str:
    return "\n".join(revision.images) or "(no containers)"


def _created_tooltip(revision: Revision) -> str:
    return f"ReplicaSet {revision.replica_set}, created {revision.created} (age in brackets)"


def _revision_tooltip(revision: Revision) -> str:
    if revision.previous_numbers:
        earlier = ", ".join(str(n) for n in revision.previous_numbers)
        return f"Earlier numbers of this revision: {earlier} (re-used by a rollback)"
    return f"ReplicaSet {revision.replica_set}"


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[Revision], str]
    tooltip: Callable[[Revision], str] | None = None
    align_right: bool = False
    attention: Callable[[Revision], bool] | None = None  # cell text in the attention colour


COLUMNS: tuple[Column, ...] = (
    Column("Revision", lambda r: str(r.number), _revision_tooltip, align_right=True),
    Column("Change-cause", lambda r: r.change_cause or "<none>", lambda r: r.label),
    Column("Images", lambda r: ", ".join(r.images), _images_tooltip),
    Column("Created", lambda r: created_text(r.created), _created_tooltip),
    Column(
        "Pods",
        pods_text,
        lambda r: f"{r.ready_replicas} ready of {r.replicas} wanted",
        align_right=True,
        attention=_pods_attention,
    ),
    Column(
        "Live",
        lambda r: LIVE_TEXT if r.live else "",
        lambda r: "The Deployment runs this revision now" if r.live else "",
    ),
)


class RevisionsModel(QAbstractTableModel):
    """Revisions newest first (the live one and its predecessors are what a rollback needs)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Revision] = []

    # -- the model API -------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section].header
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(COLUMNS):
            return None
        revision = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(revision)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(revision) if column.tooltip else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and revision.live:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.attention is not None and column.attention(revision):
                return QBrush(QColor(ATTENTION_COLOUR))
            if column.header == "Live" and revision.live:
                return QBrush(QColor(LIVE_COLOUR))
            return None
        if role == RevisionRole:
            return revision
        return None

    # -- updates -------------------------------------------------------------------------
    def set_revisions(self, revisions: Sequence[Revision]) -> None:
        """Merge in a new history: rows that went away are removed, new ones inserted, changed
        ones updated in place. Both lists are sorted by number (descending), so after the
        removals the old rows are a subsequence of the new list and one walk places them."""
        incoming = sorted(revisions, key=lambda r: r.number, reverse=True)
        numbers = {r.number for r in incoming}
        for row in reversed(range(len(self._rows))):
            if self._rows[row].number not in numbers:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        for row, revision in enumerate(incoming):
            if row < len(self._rows) and self._rows[row].number == revision.number:
                changed = self._rows[row] != revision
                self._rows[row] = revision  # the template is not compared; keep the newest
                if changed:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            else:
                self.beginInsertRows(QModelIndex(), row, row)
                self._rows.insert(row, revision)
                self.endInsertRows()

    def revision_at(self, row: int) -> Revision | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, number: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.number == number), None)

    @property
    def revisions(self) -> tuple[Revision, ...]:
        return tuple(self._rows)

"""Qt item models of the Pod List: the deployment's pods and its events.

Both are keyed lists updated incrementally (insert / remove / move / dataChanged, never a reset
per event: STYLE.md §4), so a watch that reports one pod at a time repaints one row, and a
selection or scroll position survives the updates.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap

from .pods_columns import (
    AGE_COLUMN,
    EVENT_COL,
    EVENT_HEADERS,
    POD_COL,
    POD_COLUMNS,
    PodRow,
    ReplicaSetInfo,
    age_text,
    event_tone,
    parse_time,
    pod_sort_key,
    status_tone,
    with_info,
)

if TYPE_CHECKING:
    # Only for annotations: the runtime module pulls in urllib3, which the tab need not load.
    from ..runtimes.kubernetes import EventSummary

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself (PodRow / EventSummary)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the column correctly

# Medium tones read on light backgrounds; the lighter set on dark ones (system dark mode).
_TONES_LIGHT = {
    "error": "#c62828",
    "pending": "#b26a00",
    "ok": "#2e7d32",
    "warning": "#c2410c",
}
_TONES_DARK = {
    "error": "#ff6b6b",
    "pending": "#ffb74d",
    "ok": "#66bb6a",
    "warning": "#ff8a50",
}


def _dark_palette() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return bool(app.palette().base().color().lightness() < 128)


class _KeyedTableModel(QAbstractTableModel):
    """A list of rows with a key each, updated in place from newer lists or single rows."""

    def __init__(self, key: Callable[[Any], Hashable], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key = key
        self._rows: list[Any] = []
        self._positions: dict[Hashable, int] | None = {}
        self._tones = _TONES_DARK if _dark_palette() else _TONES_LIGHT

    # -- reading -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def rows(self) -> list[Any]:
        return list(self._rows)

    def keys(self) -> list[Hashable]:
        return [self._key(r) for r in self._rows]

    def position(self, key: Hashable) -> int | None:
        if self._positions is None:
            self._positions = {self._key(r): i for i, r in enumerate(self._rows)}
        return self._positions.get(key)

    def tone_brush(self, tone: str) -> QBrush | None:
        colour = self._tones.get(tone)
        return QBrush(QColor(colour)) if colour else None

    # -- writing -------------------------------------------------------------------------------
    def _changed_row(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _set(self, row: int, item: Any) -> None:
        if self._rows[row] != item:
            self._rows[row] = item
            self._changed_row(row)

    def _insert(self, row: int, item: Any) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, item)
        self._positions = None
        self.endInsertRows()

    def _remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        del self._rows[first : last + 1]
        self._positions = None
        self.endRemoveRows()

    def remove_key(self, key: Hashable) -> bool:
        row = self.position(key)
        if row is None:
            return False
        self._remove(row, row)
        return True

    def sync(self, items: Sequence[Any]) -> None:
        """Make the rows equal ``items`` (in that order) with the fewest structural changes."""
        wanted = {self._key(i) for i in items}
        # Removals bottom-up, contiguous runs in one go, so the rows above keep their numbers.
        row = len(self._rows) - 1
        while row >= 0:
            if self._key(self._rows[row]) in wanted:
                row -= 1
                continue
            last = row
            while row - 1 >= 0 and self._key(self._rows[row - 1]) not in wanted:
                row -= 1
            self._remove(row, last)
            row -= 1
        for target, item in enumerate(items):
            key = self._key(item)
            if target < len(self._rows) and self._key(self._rows[target]) == key:
                self._set(target, item)
                continue
            source = self.position(key)
            if source is None:
                self._insert(target, item)
                continue
            # Rows above ``target`` already match, so the row sits below it: move it up.
            self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), target)
            self._rows.insert(target, self._rows.pop(source))
            self._positions = None
            self.endMoveRows()
            self._set(target, item)

    def clear(self) -> None:
        if self._rows:
            self._remove(0, len(self._rows) - 1)


class PodsModel(_KeyedTableModel):
    """The deployment's pods, one :class:`PodRow` each, kept in kubectl's order (by name)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(lambda r: r.summary.name, parent)
        self._now = datetime.now(UTC)
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons: dict[str, QIcon] = {}

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(POD_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(POD_COLUMNS):
            return None
        column = POD_COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def row_at(self, row: int) -> PodRow:
        item: PodRow = self._rows[row]
        return item

    def pod(self, name: str) -> PodRow | None:
        row = self.position(name)
        return None if row is None else self.row_at(row)

    def names(self) -> list[str]:
        return [r.summary.name for r in self._rows]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: PodRow = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return POD_COLUMNS[col].text(row, self._now)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self._sort_value(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == POD_COL["Status"]:
                return self.tone_brush(status_tone(row.summary))
            if col == POD_COL["Restarts"] and row.summary.restarts:
                return self.tone_brush("pending")
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if row.current else None
        if role == Qt.ItemDataRole.DecorationRole and col == POD_COL["Name"]:
            return self._dot(status_tone(row.summary))
        if role == Qt.ItemDataRole.TextAlignmentRole and POD_COLUMNS[col].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        return None

    def _sort_value(self, row: PodRow, col: int) -> Any:
        s = row.summary
        if col == POD_COL["Restarts"]:
            return s.restarts
        if col == POD_COL["Age"]:
            # Oldest first when sorted ascending, as kubectl's --sort-by=.metadata.creationTimestamp
            return s.created
        if col == POD_COL["ReplicaSet"]:
            return (s.revision or 0, s.replica_set, s.name)
        if col == POD_COL["Ready"]:
            return (s.ready, s.containers)
        return POD_COLUMNS[col].text(row, self._now)

    def _tooltip(self, row: PodRow, col: int) -> str | None:
        s = row.summary
        if col == POD_COL["Name"] or col == POD_COL["ReplicaSet"]:
            where = f"revision {s.revision}" if s.revision else "an unknown revision"
            if row.current:
                return f"{s.name}\nPod of the new ReplicaSet {s.replica_set} ({where})."
            return f"{s.name}\nPod of the old ReplicaSet {s.replica_set} ({where})."
        if col == POD_COL["Status"]:
            tone = status_tone(s)
            if tone == "error":
                return f"{s.status_text}: a container keeps failing; its logs say why (Logs…)."
            if s.waiting_reason:
                return f"Waiting: {s.waiting_reason} (phase {s.phase})"
            return f"Phase {s.phase}"
        if col == POD_COL["Age"]:
            return f"Created {s.created}" if s.created else None
        if col == POD_COL["Image"]:
            return "\n".join(s.images) or None
        return None

    def _dot(self, tone: str) -> QIcon | None:
        if not tone:
            return None
        icon = self._icons.get(tone)
        if icon is None:
            pixmap = QPixmap(10, 10)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self._tones[tone]))
            painter.drawEllipse(1, 1, 8, 8)
            painter.end()
            icon = self._icons[tone] = QIcon(pixmap)
        return icon

    # -- updates -------------------------------------------------------------------------------
    def replace_all(self, rows: Sequence[PodRow]) -> None:
        """A fresh listing (the watch's first list, or a relist): incremental, not a reset."""
        self.sync(sorted(rows, key=pod_sort_key))

    def upsert(self, row: PodRow) -> None:
        at = self.position(row.summary.name)
        if at is not None:
            self._set(at, row)
            return
        keys = [pod_sort_key(r) for r in self._rows]
        self._insert(bisect.bisect_left(keys, pod_sort_key(row)), row)

    def remove(self, name: str) -> bool:
        return self.remove_key(name)

    def apply_replica_sets(self, info: ReplicaSetInfo) -> None:
        """Re-read every row against newer ReplicaSet facts: only rows that change repaint."""
        for i, row in enumerate(self._rows):
            self._set(i, with_info(row, info))

    def tick(self, now: datetime | None = None) -> None:
        """Ages move on: repaint the Age column only (one dataChanged for the whole column)."""
        self._now = now or datetime.now(UTC)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, AGE_COLUMN),
                self.index(len(self._rows) - 1, AGE_COLUMN),
                [Qt.ItemDataRole.DisplayRole],
            )


def event_key(event: EventSummary) -> Hashable:
    # An event is updated in place (count, last seen) under the same object, reason and message.
    return (event.object, event.type, event.reason, event.message)


class EventsModel(_KeyedTableModel):
    """The deployment's events, newest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(event_key, parent)
        self._now = datetime.now(UTC)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(EVENT_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(EVENT_HEADERS)
        ):
            return EVENT_HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def event_at(self, row: int) -> EventSummary:
        item: EventSummary = self._rows[row]
        return item

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        event: EventSummary = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(event, col)
        if role == ROW_ROLE:
            return event
        if role == Qt.ItemDataRole.ForegroundRole and col in (
            EVENT_COL["Type"],
            EVENT_COL["Reason"],
        ):
            return self.tone_brush(event_tone(event.type))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == EVENT_COL["Count"]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == EVENT_COL["Last seen"]:
                return event.last_seen or None
            if col == EVENT_COL["Message"]:
                return event.message or None
        return None

    def _text(self, event: EventSummary, col: int) -> str:
        if col == EVENT_COL["Last seen"]:
            age = age_text(event.last_seen, self._now)
            return f"{age} ago" if age else ""
        if col == EVENT_COL["Type"]:
            return event.type
        if col == EVENT_COL["Reason"]:
            return event.reason
        if col == EVENT_COL["Object"]:
            return event.object
        if col == EVENT_COL["Count"]:
            return str(event.count)
        return event.message

    def set_events(self, events: Sequence[EventSummary]) -> None:
        def newest_first(e: EventSummary) -> float:
            when = parse_time(e.last_seen)
            return -when.timestamp() if when else 0.0

        # The runtime lists oldest first: within one second, the later in its list is newer.
        ordered = sorted(enumerate(events), key=lambda pair: (newest_first(pair[1]), -pair[0]))
        self.sync([event for _, event in ordered])

    def tick(self, now: datetime | None = None) -> None:
        self._now = now or datetime.now(UTC)
        col = EVENT_COL["Last seen"]
        if self._rows:
            self.dataChanged.emit(
                self.index(0, col),
                self.index(len(self._rows) - 1, col),
                [Qt.ItemDataRole.DisplayRole],
            )

"""Qt item models of the Pod List: the deployment's pods and its events.

Both are keyed lists updated incrementally (insert / remove / move / dataChanged, never a reset
per event: STYLE.md §4), so a watch that reports one pod at a time repaints one row, and a
selection or scroll position survives the updates.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from .keyed_table_model import ROW_ROLE, SORT_ROLE, KeyedTableModel
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

__all__ = ["ROW_ROLE", "SORT_ROLE", "EventsModel", "PodsModel"]


class PodsModel(KeyedTableModel):
    """The deployment's pods, one :class:`PodRow` each, kept in kubectl's order (by name)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(lambda r: r.summary.name, parent)
        self._now = datetime.now(UTC)
        self._bold = QFont()
        self._bold.setBold(True)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(POD_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self.column_header(POD_COLUMNS, section, orientation, role)

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
            return self.tone_dot(status_tone(row.summary))
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
        self.repaint_column(AGE_COLUMN)


def event_key(event: EventSummary) -> Hashable:
    # An event is updated in place (count, last seen) under the same object, reason and message.
    return (event.object, event.type, event.reason, event.message)


class EventsModel(KeyedTableModel):
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
        self.repaint_column(EVENT_COL["Last seen"])

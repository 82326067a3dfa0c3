"""The Container List's Qt model: a service's containers, one ``ContainerInfo`` per row, keyed by
name (a deploy replaces the container under the same name: its row updates in place)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from ..runtimes.containers import ContainerInfo
from .containers_columns import (
    CONTAINER_COL,
    CONTAINER_COLUMNS,
    CREATED_COLUMN,
    health_tone,
    state_tone,
    tooltip,
)
from .keyed_table_model import ROW_ROLE, SORT_ROLE, KeyedTableModel

Index = QModelIndex | QPersistentModelIndex

__all__ = ["ROW_ROLE", "SORT_ROLE", "ContainersModel"]


class ContainersModel(KeyedTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(lambda c: c.name, parent)
        self._now = datetime.now(UTC)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(CONTAINER_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self.column_header(CONTAINER_COLUMNS, section, orientation, role)

    def container_at(self, row: int) -> ContainerInfo:
        item: ContainerInfo = self._rows[row]
        return item

    def container(self, name: str) -> ContainerInfo | None:
        row = self.position(name)
        return None if row is None else self.container_at(row)

    def names(self) -> list[str]:
        return [c.name for c in self._rows]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c: ContainerInfo = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return CONTAINER_COLUMNS[col].text(c, self._now)
        if role == ROW_ROLE:
            return c
        if role == SORT_ROLE:
            if col == CONTAINER_COL["Restarts"]:
                return c.restart_count
            if col == CREATED_COLUMN:
                # Oldest first when ascending; a container without a time sorts first.
                return c.created.timestamp() if c.created else 0.0
            return CONTAINER_COLUMNS[col].text(c, self._now)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == CONTAINER_COL["State"]:
                return self.tone_brush(state_tone(c))
            if col == CONTAINER_COL["Health"]:
                return self.tone_brush(health_tone(c))
            if col == CONTAINER_COL["Restarts"] and c.restart_count:
                return self.tone_brush("pending")
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == CONTAINER_COL["Name"]:
            return self.tone_dot(state_tone(c))
        if role == Qt.ItemDataRole.TextAlignmentRole and CONTAINER_COLUMNS[col].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(c, col, self._now)
        return None

    # -- updates -------------------------------------------------------------------------------
    def replace_all(self, containers: Sequence[ContainerInfo]) -> None:
        """A fresh listing: incremental (insert/remove/dataChanged), never a reset."""
        self.sync(sorted(containers, key=lambda c: c.name))

    def tick(self, now: datetime | None = None) -> None:
        """Ages move on: repaint the Created column only."""
        self._now = now or datetime.now(UTC)
        self.repaint_column(CREATED_COLUMN)

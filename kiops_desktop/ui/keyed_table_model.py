"""The base of the incremental table models: a list of rows, each with a key, that newer
lists or single rows update in place (insert / remove / move / dataChanged, never a reset:
STYLE.md §4), so a selection or scroll position survives the updates.

It also holds what the live tables' models share: the tone colours (light or dark palette), a
cached coloured dot per tone, header cells from a column spec, and repainting one column when
ages move on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QIcon, QPainter, QPixmap

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself (PodRow / EventSummary)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the column correctly

# Medium tones read on light backgrounds; the lighter set on dark ones (system dark mode).
TONES_LIGHT = {
    "error": "#c62828",
    "pending": "#b26a00",
    "ok": "#2e7d32",
    "warning": "#c2410c",
}
TONES_DARK = {
    "error": "#ff6b6b",
    "pending": "#ffb74d",
    "ok": "#66bb6a",
    "warning": "#ff8a50",
}


class HeaderSpec(Protocol):
    """What ``column_header`` reads of a column."""

    @property
    def header(self) -> str: ...

    @property
    def tooltip(self) -> str: ...


def _dark_palette() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return bool(app.palette().base().color().lightness() < 128)


class KeyedTableModel(QAbstractTableModel):
    """A list of rows with a key each, updated in place from newer lists or single rows."""

    def __init__(self, key: Callable[[Any], Hashable], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key = key
        self._rows: list[Any] = []
        self._positions: dict[Hashable, int] | None = {}
        self._tones = TONES_DARK if _dark_palette() else TONES_LIGHT
        self._icons: dict[str, QIcon] = {}

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

    # -- what the live tables' models share ----------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @staticmethod
    def column_header(
        columns: Sequence[HeaderSpec], section: int, orientation: Qt.Orientation, role: int
    ) -> Any:
        """``headerData`` from a column spec: the header, and its tooltip when it has one."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
            return None
        column = columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip
        return None

    def tone_dot(self, tone: str) -> QIcon | None:
        """A small dot in the tone's colour (one icon per tone, made once); None for none."""
        colour = self._tones.get(tone)
        if not colour:
            return None
        icon = self._icons.get(tone)
        if icon is None:
            pixmap = QPixmap(10, 10)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawEllipse(1, 1, 8, 8)
            painter.end()
            icon = self._icons[tone] = QIcon(pixmap)
        return icon

    def repaint_column(self, column: int) -> None:
        """One dataChanged for the whole column (ages moved on)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, column),
                self.index(len(self._rows) - 1, column),
                [Qt.ItemDataRole.DisplayRole],
            )

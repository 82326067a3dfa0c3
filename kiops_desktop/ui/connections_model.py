"""The small keyed table model behind every list of the Connections dialog.

Contexts, engine endpoints, registry logins and added clusters are a handful of rows each, but
they still go through a real ``QAbstractTableModel`` (STYLE.md §4): a row's state changes in
place (``dataChanged``) when its connection test answers, so the selection and the scroll
position survive a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication

Index = QModelIndex | QPersistentModelIndex
KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's key (context name, host, ...)

# The same medium/light tone pairs as the pods table, so states read alike everywhere.
_TONES_LIGHT = {"ok": "#2e7d32", "error": "#c62828", "pending": "#b26a00", "muted": "#757575"}
_TONES_DARK = {"ok": "#66bb6a", "error": "#ff6b6b", "pending": "#ffb74d", "muted": "#9e9e9e"}


def _dark_palette() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return bool(app.palette().base().color().lightness() < 128)


@dataclass(frozen=True)
class ConnectionRow:
    """One row: its cells as text; ``tone`` colours the ``tone_column`` cell (the state)."""

    key: str
    cells: tuple[str, ...]
    tone: str = ""
    tone_column: int = -1
    tooltip: str = ""  # shown on every cell: the hint behind a short state
    bold: bool = False  # the current context / engine: its name cell is in bold
    name_column: int = 0


class ConnectionsTableModel(QAbstractTableModel):
    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = tuple(headers)
        self._rows: list[ConnectionRow] = []
        self._tones = _TONES_DARK if _dark_palette() else _TONES_LIGHT

    # -- reading -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[column] if column < len(row.cells) else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip or None
        if role == Qt.ItemDataRole.ForegroundRole and column == row.tone_column:
            colour = self._tones.get(row.tone)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.FontRole and row.bold and column == row.name_column:
            font = QGuiApplication.font()
            font.setBold(True)
            return font
        if role == KEY_ROLE:
            return row.key
        return None

    def rows(self) -> list[ConnectionRow]:
        return list(self._rows)

    def row_of(self, key: str) -> ConnectionRow | None:
        return next((r for r in self._rows if r.key == key), None)

    def text(self, key: str, column: int) -> str:
        row = self.row_of(key)
        return row.cells[column] if row is not None and column < len(row.cells) else ""

    # -- writing -------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[ConnectionRow]) -> None:
        """Replace the list (a handful of rows: a reset is cheaper than diffing)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def update_row(self, row: ConnectionRow) -> None:
        """Replace the row with the same key in place; ignored when it is gone (a reload
        raced the test that produced it)."""
        for i, existing in enumerate(self._rows):
            if existing.key == row.key:
                if existing != row:
                    self._rows[i] = row
                    self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))
                return

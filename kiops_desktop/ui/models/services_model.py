"""The services table's model and its sort/filter proxy.

Updates are incremental — a refresh of one context inserts, removes and changes only the rows
that differ — so 10,000 rows stay smooth and the selection survives a refresh.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from ...core.services import Service
from ..columns import SERVICE_COLUMNS, Column, haystack

ServiceRole = Qt.ItemDataRole.UserRole + 1
STEP_ROWS = 1000  # rows per UI-thread step when a context brings many new ones (~8 ms)
Index = QModelIndex | QPersistentModelIndex

ATTENTION = QColor("#c77700")
PRODUCTION_RED = QColor("#c62828")


@cache
def production_icon() -> QIcon:
    """A small red "PROD" tag drawn once (no image file needed)."""
    pixmap = QPixmap(38, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(PRODUCTION_RED)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, 38, 16, 3, 3)
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "PROD")
    painter.end()
    return QIcon(pixmap)


class ServicesModel(QAbstractTableModel):
    def __init__(
        self, parent: QObject | None = None, columns: Sequence[Column[Service]] = SERVICE_COLUMNS
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.services: list[Service] = []
        self.haystacks: list[str] = []
        self._row_of: dict[str, int] = {}
        # Bumped before every change is announced, so a filter's cached verdicts are never
        # read for rows that moved or changed.
        self.generation = 0
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- Qt's interface ---------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.services)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header
            if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.services):
            return None
        service = self.services[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(service)
        if role == ServiceRole:
            return service
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(service) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.attention is not None and column.attention(service):
                return QBrush(ATTENTION)
            if column.header == "Context" and service.production:
                return QBrush(PRODUCTION_RED)
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column.header == "Context"
            and service.production
        ):
            return production_icon()
        return None

    # -- updates ----------------------------------------------------------------------------
    def service_at(self, row: int) -> Service:
        return self.services[row]

    def row_of(self, key: str) -> int | None:
        return self._row_of.get(key)

    def replace_context(self, runtime: str, context: str, services: Iterable[Service]) -> None:
        """Make the rows of (runtime, context) equal ``services`` in one go."""
        for _ in self.replace_context_steps(runtime, context, services):
            pass

    def replace_context_steps(
        self, runtime: str, context: str, services: Iterable[Service], *, step: int = STEP_ROWS
    ) -> Iterator[None]:
        """The same, as steps of at most ``step`` rows; the window runs one step per event-loop
        turn so that 10,000 new rows never freeze the UI. Changed rows are updated in place,
        gone rows removed, new rows appended, then sorted once."""
        fresh = {s.key: s for s in services}
        gone = [
            row
            for row, s in enumerate(self.services)
            if s.runtime == runtime and s.context == context and s.key not in fresh
        ]
        self._remove_rows(gone)
        yield  # the pass over every row above is a step of its own at 10,000 rows
        last_column = len(self.columns) - 1
        added: list[Service] = []
        done = 0
        for key, service in fresh.items():
            row = self._row_of.get(key)
            if row is None:
                added.append(service)
            elif self.services[row] != service:
                self.services[row] = service
                self.generation += 1
                self.haystacks[row] = haystack(service)
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
                done += 1
                if done % step == 0:
                    yield
        for begin in range(0, len(added), step):
            yield
            chunk = [s for s in added[begin : begin + step] if s.key not in self._row_of]
            if not chunk:
                continue
            first = len(self.services)
            self.beginInsertRows(QModelIndex(), first, first + len(chunk) - 1)
            for offset, service in enumerate(chunk):
                self.services.append(service)
                self.haystacks.append(haystack(service))
                self._row_of[service.key] = first + offset
            self.generation += 1
            self.endInsertRows()
        # Rows that arrived in order (a worker sorted them) onto an empty or disjoint table need
        # no re-sort, which at 10,000 rows would be the longest UI step of a load.
        if added and self._sort_column >= 0:
            yield
            if not self._in_order():
                yield
                self.sort(self._sort_column, self._sort_order)

    # Sorting happens here, with Python's sort over precomputed keys, not in the proxy: the
    # proxy's lessThan would be a C++ -> Python call per comparison (n log n of them), which
    # stalls the UI for half a second at 10,000 rows.
    def order_key(self) -> Callable[[Service], object] | None:
        """The current row order as a key function (None: unsorted). Pure: workers use it to
        hand over rows already in order, so that adding them needs no re-sort."""
        if not 0 <= self._sort_column < len(self.columns):
            return None
        spec = self.columns[self._sort_column]
        key = spec.sort_key or spec.text
        return lambda s: (key(s), s.name, s.key)

    @property
    def descending(self) -> bool:
        return self._sort_order == Qt.SortOrder.DescendingOrder

    def _in_order(self) -> bool:
        key = self.order_key()
        if key is None:
            return True
        keys = [key(s) for s in self.services]
        pairs = itertools.pairwise(keys)
        if self.descending:
            return all(not a < b for a, b in pairs)  # type: ignore[operator]
        return all(not b < a for a, b in pairs)  # type: ignore[operator]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort_column, self._sort_order = column, order
        spec = self.columns[column]
        key = spec.sort_key or spec.text
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(self.services[i.row()].key, i.column()) for i in persistent]
        pairs = sorted(
            zip(self.services, self.haystacks, strict=True),
            key=lambda pair: (key(pair[0]), pair[0].name, pair[0].key),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self.services = [p[0] for p in pairs]
        self.haystacks = [p[1] for p in pairs]
        self._row_of = {s.key: row for row, s in enumerate(self.services)}
        self.changePersistentIndexList(
            persistent, [self.index(self._row_of[k], c) for k, c in remembered]
        )
        self.generation += 1
        self.layoutChanged.emit()

    def _remove_rows(self, rows: list[int]) -> None:
        if not rows:
            return
        # Contiguous runs from the bottom up, so earlier row numbers stay valid.
        runs: list[tuple[int, int]] = []
        for row in sorted(rows):
            if runs and runs[-1][1] == row - 1:
                runs[-1] = (runs[-1][0], row)
            else:
                runs.append((row, row))
        for first, last in reversed(runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self.services[first : last + 1]
            del self.haystacks[first : last + 1]
            self.generation += 1
            self.endRemoveRows()
        self._row_of = {s.key: row for row, s in enumerate(self.services)}

    def refresh_column(self, header: str) -> None:
        """Re-render one column (ages grow while the window is open)."""
        for number, column in enumerate(self.columns):
            if column.header == header and self.services:
                self.dataChanged.emit(
                    self.index(0, number),
                    self.index(len(self.services) - 1, number),
                    [Qt.ItemDataRole.DisplayRole],
                )


class ServicesFilter(QSortFilterProxyModel):
    """Text filter over every column, plus the context and namespace selectors.

    ``filterAcceptsRow`` reads the model's precomputed lower-cased haystacks instead of asking
    ``data()`` for every cell: that keeps a keystroke on 10,000 rows in a few milliseconds.
    """

    def __init__(self, source: ServicesModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)
        self._needles: list[str] = []
        self._context: str | None = None
        self._namespace: str | None = None
        self._verdicts: list[bool] = []
        self._verdicts_key = (-1, -1)
        self.setDynamicSortFilter(True)

    def _refilter(self, change: Callable[[], None]) -> None:
        # Qt 6.9's begin/endFilterChange replaces the deprecated invalidateRowsFilter().
        self.beginFilterChange()
        change()
        self._verdicts_key = (-1, -1)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        needles = text.lower().split()
        if needles != self._needles:
            self._refilter(lambda: setattr(self, "_needles", needles))

    def set_context(self, context: str | None) -> None:
        if context != self._context:
            self._refilter(lambda: setattr(self, "_context", context))

    def set_namespace(self, namespace: str | None) -> None:
        if namespace != self._namespace:
            self._refilter(lambda: setattr(self, "_namespace", namespace))

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        # Qt asks row by row; the verdicts for all rows are computed in one Python pass and
        # cached until the model or the filter changes (a keystroke on 10,000 rows: one list
        # comprehension instead of 10,000 rounds of Python work).
        source = self._source
        if self._verdicts_key != (source.generation, len(source.services)):
            self._verdicts = self._compute_verdicts()
            self._verdicts_key = (source.generation, len(source.services))
        return self._verdicts[source_row]

    def _compute_verdicts(self) -> list[bool]:
        source = self._source
        context, namespace, needles = self._context, self._namespace, self._needles
        if context is None and namespace is None and not needles:
            return [True] * len(source.services)
        return [
            (context is None or s.connection == context)
            and (namespace is None or s.namespace == namespace)
            and all(n in text for n in needles)
            for s, text in zip(source.services, source.haystacks, strict=True)
        ]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The view's header asks the proxy; the source model sorts (see ServicesModel.sort)."""
        self._source.sort(column, order)

    def service_at(self, row: int) -> Service:
        return self._source.services[self.mapToSource(self.index(row, 0)).row()]

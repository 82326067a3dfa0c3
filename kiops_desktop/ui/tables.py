"""How the app's read-only tables look: whole rows selected, no editing, no wrapping, alternating
rows, no row numbers; columns start at their spec's width and one column takes the spare room.
One function for the services table, the pages, the revisions table and the live tabs."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

Selection = QAbstractItemView.SelectionMode


def setup_row_table(
    table: QTableView,
    *,
    selection: Selection = Selection.SingleSelection,
    elide: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
    row_height: int | None = None,
) -> None:
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    # Middle by default: image references and names differ at the end (the tag).
    table.setTextElideMode(elide)
    table.verticalHeader().hide()
    if row_height is not None:
        table.verticalHeader().setDefaultSectionSize(row_height)
    table.horizontalHeader().setHighlightSections(False)


def size_columns(table: QTableView, widths: Iterable[int], *, stretch: int) -> None:
    """Interactive columns at their initial widths (0: the header decides); ``stretch`` takes
    the width that is left."""
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for number, width in enumerate(widths):
        if width:
            table.setColumnWidth(number, width)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

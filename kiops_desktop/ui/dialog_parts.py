"""Small pieces the deploy and rollback dialogs are both built from: rich text labels, section
headings, the red confirm button's style, the "what and where" header row, and the ``open_for``
seam that shows a dialog without blocking."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from .guard import production_badge

MUTED = "#6b7280"

W = TypeVar("W", bound=QWidget)


def rich_label(parent: QWidget, object_name: str = "") -> QLabel:
    """A word-wrapped, selectable rich-text label."""
    label = QLabel(parent)
    if object_name:
        label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def section_label(text: str, parent: QWidget, *, margin_top: int) -> QLabel:
    """A bold heading over a section of a dialog."""
    label = QLabel(text, parent)
    label.setStyleSheet(f"font-weight:600; font-size:10.5pt; margin-top:{margin_top}px;")
    return label


def danger_button_style(object_name: str) -> str:
    """The style sheet of a red confirm button (only while it is enabled)."""
    return (
        f"QPushButton#{object_name}:enabled {{ background:#c62828; color:white;"
        " font-weight:bold; border:1px solid #8e1b1b; border-radius:3px; padding:4px 14px; }"
        f"QPushButton#{object_name}:hover:enabled {{ background:#b71c1c; }}"
    )


def header_row(
    parent: QWidget, title_html: str, where_html: str, *, production: bool
) -> QHBoxLayout:
    """What the dialog does (large), where (muted), and the production badge when it applies."""
    row = QHBoxLayout()
    title = QLabel(f"<span style='font-size:14pt; font-weight:600'>{title_html}</span>", parent)
    row.addWidget(title)
    where = QLabel(f"<span style='color:{MUTED}'>{where_html}</span>", parent)
    row.addWidget(where)
    if production:
        row.addWidget(production_badge(parent))
    row.addStretch(1)
    return row


def present(dialog: W) -> W:
    """The ``open_for`` seam: show (never ``exec()``: nothing blocks), activate, return."""
    # A newly shown window is already on top; raise_() would only add a warning on
    # platforms that cannot raise (offscreen).
    dialog.show()
    dialog.activateWindow()
    return dialog

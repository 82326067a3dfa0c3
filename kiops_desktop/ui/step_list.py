"""The checklist a dialog shows while an operation runs (the deploy's and the rollback's steps):
one row per step with a mark for its state, its name, and optionally a line of detail."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from .dialog_parts import MUTED

MARKS = {
    "pending": ("○", "#9e9e9e"),
    "running": ("◐", "#1565c0"),
    "done": ("✓", "#2e7d32"),
    "failed": ("✗", "#c62828"),
    "skipped": ("—", "#9e9e9e"),
    "warning": ("!", "#b45309"),
}


class StepList:
    """``steps``: (key, name) in order. ``object_prefix`` names each row's labels
    (``{prefix}_{key}`` for the name, ``{prefix}Detail_{key}`` for the detail) for tests and
    accessibility; ``details`` adds the detail column."""

    def __init__(
        self,
        parent: QWidget,
        steps: Sequence[tuple[str, str]],
        *,
        object_prefix: str = "",
        details: bool = False,
    ) -> None:
        self.layout = QGridLayout()
        self.layout.setHorizontalSpacing(10)
        self.layout.setVerticalSpacing(4)
        self._rows: dict[str, tuple[QLabel, ...]] = {}
        self._states: dict[str, str] = {}
        for row, (key, text) in enumerate(steps):
            mark = QLabel(parent)
            mark.setFixedWidth(18)
            mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label = QLabel(text, parent)
            if object_prefix:
                label.setObjectName(f"{object_prefix}_{key}")
            self.layout.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
            self.layout.addWidget(label, row, 1, Qt.AlignmentFlag.AlignTop)
            widgets: tuple[QLabel, ...] = (mark, label)
            if details:
                detail = QLabel(parent)
                if object_prefix:
                    detail.setObjectName(f"{object_prefix}Detail_{key}")
                detail.setStyleSheet(f"color:{MUTED};")
                detail.setWordWrap(True)
                detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.layout.addWidget(detail, row, 2)
                widgets += (detail,)
            self._rows[key] = widgets
            self.set(key, "pending")
        self.layout.setColumnStretch(len(widgets) - 1, 1)

    def set(self, key: str, state: str, detail: str | None = None) -> None:
        """Show ``key`` in ``state`` (a key of ``MARKS``); ``detail`` replaces the detail line
        (None keeps it)."""
        mark, label, *rest = self._rows[key]
        symbol, colour = MARKS[state]
        mark.setText(f"<b style='color:{colour}'>{symbol}</b>")
        label.setStyleSheet(
            "font-weight:600;"
            if state == "running"
            else ("color:#9e9e9e;" if state == "skipped" else "")
        )
        if detail is not None and rest:
            rest[0].setText(detail)
        self._states[key] = state

    def state(self, key: str) -> str:
        """pending, running, done, failed, skipped or warning."""
        return self._states.get(key, "pending")

    def show_row(self, key: str, visible: bool) -> None:
        for widget in self._rows[key]:
            widget.setVisible(visible)

"""The production guard: a red badge on production contexts, and a typed-name field that must
match before any mutating action on them is allowed (k9s' confirm dialog, STYLE.md)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

BADGE_STYLE = (
    "QLabel#productionBadge { background:#c62828; color:white; font-weight:bold;"
    " border-radius:3px; padding:1px 6px; }"
)


def production_badge(parent: QWidget | None = None) -> QLabel:
    badge = QLabel("PROD", parent)
    badge.setObjectName("productionBadge")
    badge.setStyleSheet(BADGE_STYLE)
    badge.setToolTip("This context matches a production pattern: changes ask for the name.")
    return badge


class TypedNameGuard(QWidget):
    """Shown only on production contexts; ``satisfied`` once the exact name is typed."""

    satisfied_changed = Signal(bool)

    def __init__(self, expected: str, context: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.expected = expected
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(
            f"<b style='color:#c62828'>Production context “{context}”.</b> "
            f"Type <b>{expected}</b> to confirm.",
            self,
        )
        label.setWordWrap(True)
        self.input = QLineEdit(self)
        self.input.setObjectName("typedNameInput")
        self.input.setPlaceholderText(expected)
        self.input.textChanged.connect(lambda _: self.satisfied_changed.emit(self.satisfied))
        layout.addWidget(label)
        layout.addWidget(self.input)

    @property
    def satisfied(self) -> bool:
        return self.input.text().strip() == self.expected

"""The verification report after a rollback: a one-sentence verdict, then each check with its
outcome and the evidence behind it (what the operator pastes into the incident ticket)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from ..core.verification import VerificationReport

OUTCOME_STYLE: dict[str, tuple[str, str]] = {
    "passed": ("#2e7d32", "PASSED"),
    "failed": ("#c62828", "FAILED"),
    "skipped": ("#6b7280", "SKIPPED"),
}


class VerificationView(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verificationReport")
        self.report: VerificationReport | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.summary = QLabel(self)
        self.summary.setObjectName("verificationSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self._grid_host = QWidget(self)
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(2, 1)
        layout.addWidget(self._grid_host)
        self.clear()

    def clear(self) -> None:
        self.report = None
        self.summary.setText("")
        self._clear_rows()
        self.hide()

    def _clear_rows(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def set_report(self, report: VerificationReport) -> None:
        self.report = report
        colour = "#2e7d32" if report.passed else "#c62828"
        self.summary.setText(f"<b style='color:{colour}'>{escape(report.summary)}</b>")
        self._clear_rows()
        for row, check in enumerate(report.checks):
            colour, word = OUTCOME_STYLE.get(check.outcome, OUTCOME_STYLE["skipped"])
            badge = QLabel(word, self._grid_host)
            badge.setObjectName(f"checkOutcome_{row}")
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            badge.setStyleSheet(
                f"background:{colour}; color:white; font-weight:bold; border-radius:3px;"
                " padding:1px 6px;"
            )
            name = QLabel(f"<b>{escape(check.name)}</b>", self._grid_host)
            name.setTextFormat(Qt.TextFormat.RichText)
            # Evidence quotes pod names, log lines and quotes: plain text, never markup.
            evidence = QLabel(check.evidence or "—", self._grid_host)
            evidence.setTextFormat(Qt.TextFormat.PlainText)
            evidence.setObjectName(f"checkEvidence_{row}")
            evidence.setWordWrap(True)
            evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            top = Qt.AlignmentFlag.AlignTop
            self._grid.addWidget(badge, row, 0, top)
            self._grid.addWidget(name, row, 1, top)
            self._grid.addWidget(evidence, row, 2, top)
        self.show()

    def set_unavailable(self, sentence: str) -> None:
        """Verification could not run (e.g. the API went away): say so instead of a report."""
        self.report = None
        self._clear_rows()
        self.summary.setText(
            f"<b style='color:#b45309'>Verification could not run:</b> {escape(sentence)}"
        )
        self.show()

"""Activity (``activityPage``): the audit log — deploys, restores, rollbacks, console commands —
as a filterable table, newest first, exportable to CSV.

It reloads when a service changed (session.events) and, while visible, when the audit file
changed: a 2 s timer compares the file's size and modification time (one ``stat``, no read),
which also catches entries written by another instance of the app. A timer rather than
QFileSystemWatcher: the watcher cannot watch a file that does not exist yet (a fresh install),
loses the file when it is replaced, and is unreliable on network home directories.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .activity_model import (
    CHANGE_COLUMN,
    KNOWN_ACTIONS,
    ActivityEntry,
    ActivityFilter,
    ActivityModel,
    EntryRole,
    write_csv,
)
from .banner import Banner
from .session import Session
from .tables import setup_row_table, size_columns
from .tasks import TaskContext

log = logging.getLogger(__name__)

POLL_MS = 2000

Signature = tuple[int, int] | None  # (size, mtime_ns) of the audit file; None when absent


def _signature(path: Path) -> Signature:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class ActivityPage(QWidget):
    refreshed = Signal()  # a reload arrived and is shown
    exported = Signal(str, int)  # path, number of entries written
    export_failed = Signal(str, str)  # path, the reason

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activityPage")
        self.session = session
        self._signature: Signature = None
        self._loaded = False
        self._refresh_again = False
        self._closed = False
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        session.events.service_changed.connect(self._on_service_changed)
        self.refresh()

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        self.banner = Banner(self)
        layout.addWidget(self.banner)

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(QLabel("<b style='font-size:15px'>Activity</b>", self))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("activityCount")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(QLabel("Action", self))
        self.action_combo = QComboBox(self)
        self.action_combo.setObjectName("activityActionFilter")
        self.action_combo.addItem("All actions", "")
        for action in KNOWN_ACTIONS:
            self.action_combo.addItem(action, action)
        self.action_combo.setMinimumWidth(150)
        top.addWidget(self.action_combo)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("activityFilter")
        self.filter.setPlaceholderText("Filter by any text…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setToolTip(
            "Service, context, user, image, outcome, detail: every word must match"
        )
        self.filter.setMinimumWidth(260)
        top.addWidget(self.filter)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("exportActivityButton")
        self.export_button.setToolTip("Save the entries shown (filters applied) as a CSV file")
        top.addWidget(self.export_button)
        layout.addLayout(top)

        self.model = ActivityModel(self)
        self.proxy = ActivityFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("activityTable")
        self.table.setModel(self.proxy)
        setup_row_table(self.table, row_height=26)
        # The change takes the spare width (image names and rollback captions are long).
        size_columns(self.table, (c.width for c in self.model.columns), stretch=CHANGE_COLUMN)
        layout.addWidget(self.table, 1)

        self.detail = QLabel(self)
        self.detail.setObjectName("activityDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.detail)

        self.action_combo.currentIndexChanged.connect(self._on_filters)
        self.filter.textChanged.connect(self._on_filters)
        self.export_button.clicked.connect(self._ask_export)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_detail())
        self.model.rowsInserted.connect(lambda *_: self._update_count())
        self.model.modelReset.connect(self._update_count)
        self._show_detail()

    # -- loading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the audit log (off the UI thread) and show what is new."""
        if self._closed:
            return
        path = self.session.audit.path
        audit = self.session.audit
        # Deploys record an engine's address; the rest of the app calls it by its connection.
        aliases = {f"{e.engine}:{e.host}": key for key, e in self.session.endpoints.items()}

        def job(ctx: TaskContext) -> tuple[Signature, list[ActivityEntry]]:
            # The signature first: an entry written while we read shows on the next poll.
            signature = _signature(path)
            return signature, [ActivityEntry.of(raw, aliases) for raw in audit.entries()]

        handle = self.session.runner.submit(
            job,
            description="read the activity log",
            on_done=self._on_loaded,
            on_error=self._on_load_failed,
            owner=self,
            key=f"activity-page:{id(self)}",
        )
        if handle is None:
            self._refresh_again = True  # one is running; what made us refresh may be newer

    def _on_loaded(self, result: tuple[Signature, list[ActivityEntry]]) -> None:
        if self._closed:
            return
        self._signature, entries = result
        self._loaded = True
        for action in dict.fromkeys(e.action for e in entries):
            if action and self.action_combo.findData(action) < 0:
                self.action_combo.addItem(action, action)
        self.model.set_entries(entries)
        self._update_count()
        self.refreshed.emit()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _on_load_failed(self, error: BaseException) -> None:
        if self._closed:
            return
        self.banner.show_error(error, context="Could not read the activity log")
        self._refresh_again = False

    def _poll(self) -> None:
        # One stat per tick, on the UI thread: cheap (no read); the read itself is a job.
        if _signature(self.session.audit.path) != self._signature or not self._loaded:
            self.refresh()

    def _on_service_changed(self, _key: str) -> None:
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._closed:
            self._poll()
            self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()  # nobody looks: no polling

    # -- filters and details -----------------------------------------------------------------
    def _on_filters(self, *_: Any) -> None:
        self.proxy.set_action(str(self.action_combo.currentData() or ""))
        self.proxy.set_text(self.filter.text())
        self._update_count()
        self._show_detail()

    def set_action_filter(self, action: str) -> None:
        """Show only one action ("" for all)."""
        index = self.action_combo.findData(action)
        if index < 0:
            self.action_combo.addItem(action, action)
            index = self.action_combo.count() - 1
        self.action_combo.setCurrentIndex(index)

    def shown_entries(self) -> list[ActivityEntry]:
        """The entries the table shows, top to bottom."""
        return self.proxy.shown_entries()

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        if not total:
            text = "nothing recorded yet: deploys, restores, rollbacks and console commands appear here"
        elif shown == total:
            text = f"{total} entries"
        else:
            text = f"{shown} of {total} entries"
        self.count_label.setText(text)
        self.export_button.setEnabled(shown > 0)

    def _show_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        entry = rows[0].data(EntryRole) if rows else None
        if isinstance(entry, ActivityEntry):
            self.detail.setText(entry.detail or "(no detail recorded)")
        else:
            self.detail.setText("Select an entry to read its detail.")

    # -- export ------------------------------------------------------------------------------
    def _ask_export(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        default = str(Path.home() / f"kiops-activity-{stamp}.csv")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export activity", default, "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the entries shown (filters applied, newest first) to ``path`` off the UI
        thread; ``exported`` or ``export_failed`` says how it went."""
        target = Path(path)
        entries = self.shown_entries()  # a snapshot: the table may change while it writes

        def job(ctx: TaskContext) -> int:
            return write_csv(target, entries)

        def done(count: int) -> None:
            self.banner.show_message(
                f"Exported {count} entries to {target}.", "success", timeout_ms=6000
            )
            self.exported.emit(str(target), count)

        def failed(error: BaseException) -> None:
            reason = str(error.strerror or error) if isinstance(error, OSError) else str(error)
            self.banner.show_error(f"Could not export to {target}: {reason}")
            self.export_failed.emit(str(target), reason)

        self.session.runner.submit(
            job,
            description=f"export the activity to {target}",
            on_done=done,
            on_error=failed,
            owner=self,
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        with contextlib.suppress(RuntimeError, TypeError, RuntimeWarning):
            self.session.events.service_changed.disconnect(self._on_service_changed)

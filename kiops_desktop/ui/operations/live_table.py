"""What the Pod List and the Container List share: a sorted table that follows a live stream.

A :class:`LiveTableTab` owns the header (summary, live indicator, Logs… and Refresh), the table
over a keyed model behind a sort proxy (Ctrl+L / Enter / double-click open the logs), one log
window per row, the age timer that runs while the tab is visible, and the stream job itself:
started with a generation number (late messages of an old stream are dropped), stopped through
a :class:`StopSlot`, restarted with a back-off when it fails, and stopped at application exit.

A subclass says what its stream is (``_watch_job``), what its messages mean
(``_on_watch_message``), how its logs open (``open_logs``) and how its ages move (``_tick``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from ...core.services import Service
from ..keyed_table_model import ROW_ROLE, SORT_ROLE, KeyedTableModel
from ..pods_watch import StopSlot
from ..session import Session
from ..tables import setup_row_table
from ..tasks import TaskContext
from .base import OperationsTab

AGE_TICK_MS = 1000
RETRY_DELAYS_S = (1, 2, 5, 10, 30)  # between attempts to get a failed stream back


def setup_table(table: QTableView) -> None:
    """The look of the live tables: the app's row tables, compact, headers aligned left."""
    setup_row_table(table, row_height=table.fontMetrics().height() + 8)
    table.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )


class NamedRow(Protocol):
    """A row of a live table: its name keys the model and names its log window."""

    @property
    def name(self) -> str: ...


class LiveTableTab(OperationsTab):
    """Base of the tabs whose table follows a stream. See the module's docstring."""

    row_type: ClassVar[type[NamedRow]]  # what ROW_ROLE holds in this tab's table
    updates_name: ClassVar[str] = "row"  # "Live {updates_name} updates stopped"
    live_tooltip: ClassVar[str] = "The list follows the stream."
    idle_tooltip: ClassVar[str] = "The list is not following the stream right now."

    model: KeyedTableModel
    summary_label: QLabel
    live_label: QLabel
    logs_button: QPushButton
    refresh_button: QPushButton
    proxy: QSortFilterProxyModel
    table: QTableView

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self._closed = False
        self._live = False
        self._generation = 0  # bumped per stream started: late messages of an old one are dropped
        self._slot: StopSlot | None = None
        self._failures = 0
        self._log_dialogs: dict[str, QWidget] = {}

    # -- building (called by the subclass's __init__, in this order) ----------------------------
    def _build_header(
        self,
        *,
        loading: str,
        summary_name: str,
        live_name: str,
        logs_name: str,
        logs_tooltip: str,
        refresh_name: str,
        refresh_tooltip: str,
    ) -> None:
        """Summary, live indicator, Logs…, what ``_add_actions`` adds, Refresh."""
        header = QHBoxLayout()
        self.summary_label = QLabel(loading, self)
        self.summary_label.setObjectName(summary_name)
        header.addWidget(self.summary_label)
        header.addSpacing(12)
        self.live_label = QLabel(self)
        self.live_label.setObjectName(live_name)
        header.addWidget(self.live_label)
        header.addStretch(1)
        self.logs_button = QPushButton("Logs…", self)
        self.logs_button.setObjectName(logs_name)
        self.logs_button.setToolTip(logs_tooltip)
        self.logs_button.setEnabled(False)
        header.addWidget(self.logs_button)
        self._add_actions(header)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName(refresh_name)
        self.refresh_button.setToolTip(refresh_tooltip)
        header.addWidget(self.refresh_button)
        self.body.addLayout(header)
        self._set_live(False, "")

    def _add_actions(self, header: QHBoxLayout) -> None:
        """More buttons of the header, between Logs… and Refresh."""

    def _build_table(self, model: QAbstractItemModel, name: str, sort_column: int) -> QTableView:
        """The sorted table over ``model`` (``self.proxy`` between them)."""
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = QTableView(self)
        self.table.setObjectName(name)
        self.table.setModel(self.proxy)
        setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
        return self.table

    def _wire(self) -> None:
        """Connect the table and the header, make the timers, and stop at application exit."""
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.logs_button.clicked.connect(lambda: self.open_logs())
        self.refresh_button.clicked.connect(self.refresh)
        # Scoped to this tab: another tab of the dialog may bind the same keys.
        logs_key = QShortcut(QKeySequence("Ctrl+L"), self, lambda: self.open_logs())
        logs_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, lambda: self.open_logs())
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)

        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_TICK_MS)
        self._age_timer.timeout.connect(self._tick)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._start_watch)
        app = QCoreApplication.instance()
        if app is not None:
            # A dialog left open at exit is never closed: stop the stream anyway, or the
            # runner's shutdown would wait for a stream that only the server or engine ends.
            app.aboutToQuit.connect(self.shutdown)

    # -- what a subclass says -------------------------------------------------------------------
    def _watch_job(self, slot: StopSlot) -> Callable[[TaskContext], None]:
        """The long job that reads the stream (stopped through ``slot``) and reports by
        ``ctx.progress``."""
        raise NotImplementedError

    def _watch_description(self) -> str:
        raise NotImplementedError

    def _on_watch_message(self, message: Any) -> None:
        """A message of the current stream, on the UI thread."""
        raise NotImplementedError

    def open_logs(self, name: str | None = None, *, follow: bool = False) -> QWidget | None:
        raise NotImplementedError

    def _tick(self) -> None:
        """Ages move on."""

    # -- OperationsTab ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Follow the stream afresh."""
        if self._closed:
            return
        self._failures = 0
        self._start_watch()

    def shutdown(self) -> None:
        """Stop the stream, the log viewers and the timers; nothing keeps running after."""
        self._closed = True
        self._generation += 1
        self._retry_timer.stop()
        self._age_timer.stop()
        self._stop_watch()
        for dialog in list(self._log_dialogs.values()):
            with contextlib.suppress(RuntimeError):  # already deleted by Qt
                dialog.close()
        self._log_dialogs.clear()
        self._set_live(False, "stopped")

    @property
    def live(self) -> bool:
        """True while the stream is open and the table follows it."""
        return self._live

    # -- the stream -----------------------------------------------------------------------------
    def _stop_watch(self) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            slot.stop()

    def _start_watch(self) -> None:
        if self._closed:
            return
        self._retry_timer.stop()
        self._stop_watch()
        self._generation += 1
        generation = self._generation
        slot = self._slot = StopSlot()
        job = self._watch_job(slot)
        self._set_live(False, "connecting")
        self.session.runner.submit(
            job,
            description=self._watch_description(),
            on_progress=lambda message: self._on_watch_progress(generation, message),
            on_done=lambda _: self._on_watch_ended(generation, None),
            on_error=lambda error: self._on_watch_ended(generation, error),
            owner=self,
        )

    def _on_watch_progress(self, generation: int, message: Any) -> None:
        if generation != self._generation or self._closed:
            return
        self._on_watch_message(message)

    def _watch_connected(self) -> None:
        """The stream is open: a banner of earlier failures goes, the indicator says live."""
        if self._failures:
            self._failures = 0
            self.banner.hide()
        self._set_live(True, "")

    def _on_watch_ended(self, generation: int, error: BaseException | None) -> None:
        if generation != self._generation or self._closed:
            return  # a stream we stopped on purpose (refresh or shutdown)
        self._slot = None
        delay = RETRY_DELAYS_S[min(self._failures, len(RETRY_DELAYS_S) - 1)]
        self._failures += 1
        if error is not None:
            self.banner.show_error(
                error,
                context=f"Live {self.updates_name} updates stopped (retrying in {delay} s)",
            )
        self._set_live(False, f"reconnecting in {delay} s")
        self._retry_timer.start(delay * 1000)

    def _set_live(self, live: bool, state: str) -> None:
        self._live = live
        if live:
            self.live_label.setText("<span style='color:#2e7d32'>●</span> live")
            self.live_label.setToolTip(self.live_tooltip)
        else:
            self.live_label.setText(
                f"<span style='color:#9e9e9e'>○</span> {state}" if state else ""
            )
            self.live_label.setToolTip(self.idle_tooltip)

    # -- rows and their logs --------------------------------------------------------------------
    def _selected_row(self) -> Any:
        """The selected row's object, or None."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].data(ROW_ROLE)
        return row if isinstance(row, self.row_type) else None

    def _select_key(self, key: str) -> bool:
        source = self.model.position(key)
        if source is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        self.table.selectRow(index.row())
        return True

    def _keep_log_dialog(self, name: str, dialog: QWidget) -> None:
        """Show ``dialog`` as the one log window of ``name`` until it is destroyed."""
        self._log_dialogs[name] = dialog
        dialog.destroyed.connect(lambda _=None, name=name: self._log_dialogs.pop(name, None))
        dialog.show()

    def _on_double_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, self.row_type):
            self.open_logs(row.name)

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self.logs_button.setEnabled(self._selected_row() is not None)

    # -- ages ---------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._closed:
            self._tick()
            self._age_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody sees the ages of a hidden tab: no need to repaint them every second.
        self._age_timer.stop()
        super().hideEvent(event)

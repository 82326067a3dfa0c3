"""Pod List: the deployment's pods, live from a watch, with their logs and the events.

The watch runs as one long task-runner job that reports each change by ``ctx.progress``; the
table applies it as a single-row insert, remove or repaint. A watch that fails is restarted with
a back-off and a banner; ``refresh()`` (a mutation of this service) starts a fresh one, so the
revision numbers and the "new ReplicaSet" mark are read again at once.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
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
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.services import Service
from ..pod_logs import PodLogsDialog
from ..pods_columns import POD_COL, PodRow, summary_line
from ..pods_model import ROW_ROLE, SORT_ROLE, EventsModel, PodsModel
from ..pods_watch import (
    PodChanged,
    PodDeleted,
    PodsListed,
    ReplicaSetsChanged,
    StopSlot,
    watch_pods,
)
from ..session import Session
from ..tasks import TaskContext
from .base import OperationsTab

if TYPE_CHECKING:
    from ...runtimes.kubernetes import EventSummary

AGE_TICK_MS = 1000
RETRY_DELAYS_S = (1, 2, 5, 10, 30)  # between attempts to get a failed watch back
EVENTS_SETTLE_MS = 1500  # pods changed: read the events once the burst is over


class PodsTab(OperationsTab):
    title = "Pod List"

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("podsTab")
        self._generation = 0  # bumped per watch started: late messages of an old one are dropped
        self._slot: StopSlot | None = None
        self._failures = 0
        self._closed = False
        self._live = False
        self._events_loading = False
        self._events_again = False
        self._log_dialogs: dict[str, PodLogsDialog] = {}

        # -- header: what the list says, whether it is live, actions ------------------------
        header = QHBoxLayout()
        self.summary_label = QLabel("Loading pods…", self)
        self.summary_label.setObjectName("podsSummary")
        header.addWidget(self.summary_label)
        header.addSpacing(12)
        self.live_label = QLabel(self)
        self.live_label.setObjectName("podsLiveLabel")
        header.addWidget(self.live_label)
        header.addStretch(1)
        self.logs_button = QPushButton("Logs…", self)
        self.logs_button.setObjectName("podLogsButton")
        self.logs_button.setToolTip("Logs of the selected pod (Ctrl+L, or double-click a pod)")
        self.logs_button.setEnabled(False)
        header.addWidget(self.logs_button)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("podsRefreshButton")
        self.refresh_button.setToolTip("List the pods and the events again")
        header.addWidget(self.refresh_button)
        self.body.addLayout(header)

        # -- pods -------------------------------------------------------------------------------
        self.model = PodsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = QTableView(self)
        self.table.setObjectName("podsTable")
        self.table.setModel(self.proxy)
        self._setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(POD_COL["Name"], Qt.SortOrder.AscendingOrder)
        pods_header = self.table.horizontalHeader()
        for column in ("Name", "ReplicaSet", "Status", "Ready", "Restarts", "Age", "Node"):
            pods_header.setSectionResizeMode(
                POD_COL[column], QHeaderView.ResizeMode.ResizeToContents
            )
        pods_header.setStretchLastSection(True)  # Image

        # -- events -----------------------------------------------------------------------------
        events_pane = QWidget(self)
        events_layout = QVBoxLayout(events_pane)
        events_layout.setContentsMargins(0, 6, 0, 0)
        events_header = QHBoxLayout()
        self.events_toggle = QToolButton(events_pane)
        self.events_toggle.setObjectName("podEventsToggle")
        self.events_toggle.setCheckable(True)
        self.events_toggle.setChecked(True)
        self.events_toggle.setAutoRaise(True)
        self.events_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.events_toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.events_toggle.setText("Events")
        self.events_toggle.setStyleSheet("QToolButton { font-weight: 600; border: none; }")
        self.events_toggle.setToolTip("Show or hide the deployment's events")
        events_header.addWidget(self.events_toggle)
        self.events_label = QLabel(events_pane)
        self.events_label.setObjectName("podEventsSummary")
        events_header.addWidget(self.events_label)
        events_header.addStretch(1)
        self.events_refresh_button = QPushButton("Refresh events", events_pane)
        self.events_refresh_button.setObjectName("podEventsRefreshButton")
        events_header.addWidget(self.events_refresh_button)
        events_layout.addLayout(events_header)
        self.events_model = EventsModel(self)
        self.events_table = QTableView(events_pane)
        self.events_table.setObjectName("podEventsTable")
        self.events_table.setModel(self.events_model)
        self._setup_table(self.events_table)
        events_head = self.events_table.horizontalHeader()
        for section in range(self.events_model.columnCount() - 1):
            events_head.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        events_head.setStretchLastSection(True)  # Message
        events_layout.addWidget(self.events_table, 1)

        self._events_pane = events_pane
        self._expanded_sizes: list[int] = []
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("podsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(events_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.body.addWidget(self.splitter, 1)

        # -- wiring -----------------------------------------------------------------------------
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.logs_button.clicked.connect(lambda: self.open_logs())
        self.refresh_button.clicked.connect(self.refresh)
        self.events_refresh_button.clicked.connect(self.load_events)
        self.events_toggle.toggled.connect(self._on_events_toggled)
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
        self._events_timer = QTimer(self)
        self._events_timer.setSingleShot(True)
        self._events_timer.setInterval(EVENTS_SETTLE_MS)
        self._events_timer.timeout.connect(self.load_events)
        self._set_live(False, "")
        app = QCoreApplication.instance()
        if app is not None:
            # A dialog left open at exit is never closed: stop the watch anyway, or the
            # runner's shutdown would wait for a stream that only the server ends.
            app.aboutToQuit.connect(self.shutdown)

    @staticmethod
    def _setup_table(table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )

    # -- OperationsTab ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Start the watch afresh (list + follow) and read the events again."""
        if self._closed:
            return
        self._failures = 0
        self._start_watch()
        self.load_events()

    def shutdown(self) -> None:
        """Stop the watch, any open log viewer and the timers; nothing keeps running after."""
        self._closed = True
        self._generation += 1
        self._retry_timer.stop()
        self._events_timer.stop()
        self._age_timer.stop()
        self._stop_watch()
        for dialog in list(self._log_dialogs.values()):
            with contextlib.suppress(RuntimeError):  # already deleted by Qt
                dialog.close()
        self._log_dialogs.clear()
        self._set_live(False, "stopped")

    @property
    def live(self) -> bool:
        """True while the watch is connected and the table follows the cluster."""
        return self._live

    # -- the watch ------------------------------------------------------------------------------
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
        session, context = self.session, self.service.context
        namespace, name = self.service.namespace, self.service.name

        def job(ctx: TaskContext) -> None:
            watch_pods(ctx, session.kube(context), namespace, name, slot)

        self._set_live(False, "connecting")
        self.session.runner.submit(
            job,
            description=f"Watch the pods of {self.service.title}",
            on_progress=lambda message: self._on_watch_message(generation, message),
            on_done=lambda _: self._on_watch_ended(generation, None),
            on_error=lambda error: self._on_watch_ended(generation, error),
            owner=self,
        )

    def _on_watch_message(self, generation: int, message: Any) -> None:
        if generation != self._generation:
            return
        if isinstance(message, PodsListed):
            self.model.replace_all(message.rows)
            if self._failures:
                self._failures = 0
                self.banner.hide()
            self._set_live(True, "")
            self._after_pods_changed(events=False)
        elif isinstance(message, PodChanged):
            before = self.model.pod(message.row.name)
            self.model.upsert(message.row)
            # A crash, a restart or a new pod comes with events worth seeing.
            noteworthy = before is None or (
                before.summary.restarts,
                before.summary.status_text,
            ) != (message.row.summary.restarts, message.row.summary.status_text)
            self._after_pods_changed(events=noteworthy)
        elif isinstance(message, PodDeleted):
            self.model.remove(message.name)
            self._after_pods_changed(events=True)
        elif isinstance(message, ReplicaSetsChanged):
            self.model.apply_replica_sets(message.info)

    def _on_watch_ended(self, generation: int, error: BaseException | None) -> None:
        if generation != self._generation or self._closed:
            return  # a watch we stopped on purpose (refresh or shutdown)
        self._slot = None
        delay = RETRY_DELAYS_S[min(self._failures, len(RETRY_DELAYS_S) - 1)]
        self._failures += 1
        if error is not None:
            self.banner.show_error(
                error, context=f"Live pod updates stopped (retrying in {delay} s)"
            )
        self._set_live(False, f"reconnecting in {delay} s")
        self._retry_timer.start(delay * 1000)

    def _set_live(self, live: bool, state: str) -> None:
        self._live = live
        if live:
            self.live_label.setText("<span style='color:#2e7d32'>●</span> live")
            self.live_label.setToolTip("The list follows the cluster as pods change.")
        else:
            self.live_label.setText(
                f"<span style='color:#9e9e9e'>○</span> {state}" if state else ""
            )
            self.live_label.setToolTip("The list is not following the cluster right now.")

    def _after_pods_changed(self, *, events: bool) -> None:
        rows: list[PodRow] = self.model.rows()
        current = next((r for r in rows if r.current), None)
        line = summary_line(rows)
        if current is not None and current.summary.revision:
            line += f" · new ReplicaSet: revision {current.summary.revision}"
        self.summary_label.setText(line)
        self._on_selection_changed()
        if events and not self._events_timer.isActive():
            self._events_timer.start()

    # -- events -------------------------------------------------------------------------------
    def load_events(self) -> None:
        """Read the deployment's events (a read already on its way is followed by one more)."""
        if self._closed:
            return
        if self._events_loading:
            self._events_again = True
            return
        self._events_loading = True
        session, context = self.session, self.service.context
        namespace, name = self.service.namespace, self.service.name

        def job(ctx: TaskContext) -> list[EventSummary]:
            return session.kube(context).events(namespace, name)

        handle = self.session.runner.submit(
            job,
            description=f"Read the events of {self.service.title}",
            on_done=self._on_events,
            on_error=self._on_events_error,
            owner=self,
        )
        if handle is None:  # the runner is shutting down
            self._events_loading = False

    def _on_events(self, events: list[EventSummary]) -> None:
        self._events_loading = False
        if self._closed:
            return
        self.events_model.set_events(events)
        warnings = sum(1 for e in events if e.type == "Warning")
        text = f"{len(events)} event{'s' if len(events) != 1 else ''}"
        if warnings:
            text += (
                f" · <span style='color:#c2410c'>{warnings} warning{'s' * (warnings != 1)}</span>"
            )
        self.events_label.setText(text)
        self._load_events_again()

    def _on_events_error(self, error: BaseException) -> None:
        self._events_loading = False
        if self._closed:
            return
        self.banner.show_error(error, context="Could not read the events")
        self._load_events_again()

    def _load_events_again(self) -> None:
        if self._events_again:
            self._events_again = False
            self.load_events()

    def _on_events_toggled(self, shown: bool) -> None:
        self.events_table.setVisible(shown)
        self.events_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        # Collapsed, the pane shrinks to its header line and the pods get the room.
        if shown:
            self._events_pane.setMaximumHeight(16_777_215)  # QWIDGETSIZE_MAX
            if self._expanded_sizes:
                self.splitter.setSizes(self._expanded_sizes)
        else:
            self._expanded_sizes = self.splitter.sizes()
            self._events_pane.setMaximumHeight(self._events_pane.minimumSizeHint().height())

    # -- logs ---------------------------------------------------------------------------------
    def selected_pod(self) -> PodRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].data(ROW_ROLE)
        return row if isinstance(row, PodRow) else None

    def select_pod(self, name: str) -> bool:
        source = self.model.position(name)
        if source is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        self.table.selectRow(index.row())
        return True

    def open_logs(self, pod: str | None = None, *, follow: bool = False) -> PodLogsDialog | None:
        """The log viewer of ``pod`` (default: the selected one); one window per pod."""
        row = self.model.pod(pod) if pod else self.selected_pod()
        if row is None:
            return None
        existing = self._log_dialogs.get(row.name)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        dialog = PodLogsDialog(
            self.session,
            self.service.context,
            self.service.namespace,
            row.name,
            row.containers,
            init_containers=row.init_containers,
            follow=follow,
            parent=self,
        )
        self._log_dialogs[row.name] = dialog
        dialog.destroyed.connect(lambda _=None, name=row.name: self._log_dialogs.pop(name, None))
        dialog.show()
        return dialog

    def _on_double_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, PodRow):
            self.open_logs(row.name)

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self.logs_button.setEnabled(self.selected_pod() is not None)

    # -- ages ---------------------------------------------------------------------------------
    def _tick(self) -> None:
        now = datetime.now(UTC)
        self.model.tick(now)
        self.events_model.tick(now)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._closed:
            self._tick()
            self._age_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody sees the ages of a hidden tab: no need to repaint them every second.
        self._age_timer.stop()
        super().hideEvent(event)

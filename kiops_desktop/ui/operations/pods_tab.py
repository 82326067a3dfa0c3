"""Pod List: the deployment's pods, live from a watch, with their logs and the events.

The watch runs as one long task-runner job that reports each change by ``ctx.progress``; the
table applies it as a single-row insert, remove or repaint. A watch that fails is restarted with
a back-off and a banner; ``refresh()`` (a mutation of this service) starts a fresh one, so the
revision numbers and the "new ReplicaSet" mark are read again at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
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
from ..pods_model import EventsModel, PodsModel
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
from .live_table import LiveTableTab, setup_table

if TYPE_CHECKING:
    from ...runtimes.kubernetes import EventSummary

EVENTS_SETTLE_MS = 1500  # pods changed: read the events once the burst is over


class PodsTab(LiveTableTab):
    title = "Pod List"
    row_type = PodRow
    updates_name = "pod"
    live_tooltip = "The list follows the cluster as pods change."
    idle_tooltip = "The list is not following the cluster right now."
    model: PodsModel

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("podsTab")
        self._events_loading = False
        self._events_again = False

        # -- header: what the list says, whether it is live, actions ------------------------
        self._build_header(
            loading="Loading pods…",
            summary_name="podsSummary",
            live_name="podsLiveLabel",
            logs_name="podLogsButton",
            logs_tooltip="Logs of the selected pod (Ctrl+L, or double-click a pod)",
            refresh_name="podsRefreshButton",
            refresh_tooltip="List the pods and the events again",
        )

        # -- pods -------------------------------------------------------------------------------
        self.model = PodsModel(self)
        self._build_table(self.model, "podsTable", POD_COL["Name"])
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
        setup_table(self.events_table)
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
        self._wire()
        self.events_refresh_button.clicked.connect(self.load_events)
        self.events_toggle.toggled.connect(self._on_events_toggled)
        self._events_timer = QTimer(self)
        self._events_timer.setSingleShot(True)
        self._events_timer.setInterval(EVENTS_SETTLE_MS)
        self._events_timer.timeout.connect(self.load_events)

    # -- OperationsTab ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Start the watch afresh (list + follow) and read the events again."""
        super().refresh()
        self.load_events()

    def shutdown(self) -> None:
        """Stop the watch, any open log viewer and the timers; nothing keeps running after."""
        self._events_timer.stop()
        super().shutdown()

    # -- the watch ------------------------------------------------------------------------------
    def _watch_job(self, slot: StopSlot) -> Callable[[TaskContext], None]:
        session, context = self.session, self.service.context
        namespace, name = self.service.namespace, self.service.name

        def job(ctx: TaskContext) -> None:
            watch_pods(ctx, session.kube(context), namespace, name, slot)

        return job

    def _watch_description(self) -> str:
        return f"Watch the pods of {self.service.title}"

    def _on_watch_message(self, message: Any) -> None:
        if isinstance(message, PodsListed):
            self.model.replace_all(message.rows)
            self._watch_connected()
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
        row: PodRow | None = self._selected_row()
        return row

    def select_pod(self, name: str) -> bool:
        return self._select_key(name)

    def open_logs(self, pod: str | None = None, *, follow: bool = False) -> PodLogsDialog | None:
        """The log viewer of ``pod`` (default: the selected one); one window per pod."""
        row = self.model.pod(pod) if pod else self.selected_pod()
        if row is None:
            return None
        existing = self._log_dialogs.get(row.name)
        if isinstance(existing, PodLogsDialog):
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
        self._keep_log_dialog(row.name, dialog)
        return dialog

    # -- ages ---------------------------------------------------------------------------------
    def _tick(self) -> None:
        now = datetime.now(UTC)
        self.model.tick(now)
        self.events_model.tick(now)

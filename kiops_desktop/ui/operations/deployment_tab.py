"""Deployment Management: the rollout history exactly as kubectl prints it, the revisions as a
table with per-revision details and a diff against the live template, rollout-safety advice, and
the two ways into a rollback (the previous revision, or any selected one).

Every runtime call runs in a task-runner job; the tab only renders what comes back. After a
rollback (or any other mutation of this service) the operations dialog calls ``refresh()``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from html import escape
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...core.advice import rollout_safety_advice
from ...core.findings import Finding
from ...core.history import History, Revision
from ...core.rollback import RollbackPlan
from ...core.services import Service
from ...core.template_diff import diff_templates
from ..rollback_dialog import ConfirmRollbackDialog
from ..rollback_render import MUTED_STYLE, diff_html, findings_html
from ..session import Session
from ..tables import setup_row_table, size_columns
from ..tasks import TaskContext
from .base import OperationsTab

log = logging.getLogger(__name__)

IMAGES_COLUMN = 2  # in revisions_model.COLUMNS: the one that takes the spare width
MAX_FITTED_WIDTH = 260


@dataclass(frozen=True)
class DeploymentView:
    """One load of the tab: the history and what is needed to explain and diff it."""

    history: History
    advice: tuple[Finding, ...]
    live_template: Mapping[str, Any] = field(repr=False)
    deployment_spec: Mapping[str, Any] = field(repr=False)
    paused: bool


def load_view(session: Session, service: Service, ctx: TaskContext) -> DeploymentView:
    runtime = session.kube(service.context)
    history = runtime.history(service.namespace, service.name)
    # One more GET for the live template and the advice: a paused Deployment's template has no
    # ReplicaSet yet, so the history alone cannot say what "live" is.
    deployment = runtime.get_deployment(service.namespace, service.name)
    spec = deployment.get("spec") or {}
    return DeploymentView(
        history=history,
        advice=rollout_safety_advice(deployment),
        live_template=spec.get("template") or {},
        deployment_spec=spec,
        paused=bool(spec.get("paused")),
    )


def plan_job(
    session: Session, service: Service, to_revision: int | None, ctx: TaskContext
) -> RollbackPlan:
    return session.kube(service.context).plan_rollback(service.namespace, service.name, to_revision)


def _monospace() -> Any:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class DeploymentTab(OperationsTab):
    """``DeploymentTab(session, service, parent)``."""

    title = "Deployment Management"

    history_loaded = Signal(object)  # History, after every successful load
    confirm_dialog_opened = Signal(object)  # ConfirmRollbackDialog, shown and not blocking

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("deploymentTab")
        self.view: DeploymentView | None = None
        self.confirm_dialog: ConfirmRollbackDialog | None = None
        self._loading = False
        self._reload_when_done = False
        self._planning = False

        self.body.addLayout(self._toolbar())
        self.explanation = QLabel(self)
        self.explanation.setObjectName("historyExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet(
            "QLabel#historyExplanation { background:#e8f4fd; color:#0d3c61;"
            " border:1px solid #b6dcfb; border-radius:4px; padding:6px 8px; }"
        )
        self.explanation.hide()
        self.body.addWidget(self.explanation)

        self.vertical = QSplitter(Qt.Orientation.Vertical, self)
        self.vertical.setObjectName("deploymentVerticalSplitter")
        self.vertical.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.vertical)
        self.splitter.setObjectName("deploymentSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._history_pane())
        self.splitter.addWidget(self._revisions_pane())
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([300, 700])
        self.vertical.addWidget(self.splitter)
        self.vertical.addWidget(self._advice_pane())
        self.vertical.setStretchFactor(0, 4)
        self.vertical.setStretchFactor(1, 1)
        self.vertical.setSizes([520, 110])
        self.body.addWidget(self.vertical, 1)
        self._update_buttons()

    # -- layout --------------------------------------------------------------------------
    def _toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.view_history_button = QPushButton("&View History", self)
        self.view_history_button.setObjectName("viewHistoryButton")
        self.view_history_button.setToolTip("Reload `kubectl rollout history` and the revisions")
        self.view_history_button.clicked.connect(self.refresh)
        self.immediate_button = QPushButton("&Immediate Rollback", self)
        self.immediate_button.setObjectName("immediateRollbackButton")
        self.immediate_button.setToolTip(
            "Roll back to the previous revision (kubectl rollout undo), after a confirmation"
        )
        self.immediate_button.clicked.connect(lambda: self.start_rollback(None))
        self.selected_button = QPushButton("Roll Back to &Selected…", self)
        self.selected_button.setObjectName("rollbackToRevisionButton")
        self.selected_button.setToolTip(
            "Roll back to the revision selected in the table (kubectl rollout undo "
            "--to-revision=N), after a confirmation"
        )
        self.selected_button.clicked.connect(self._roll_back_to_selected)
        for button in (self.view_history_button, self.immediate_button, self.selected_button):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        self.status = QLabel(self)
        self.status.setObjectName("deploymentStatus")
        self.status.setStyleSheet(MUTED_STYLE)
        row.addWidget(self.status)
        return row

    def _history_pane(self) -> QWidget:
        pane = QWidget(self)
        box = QVBoxLayout(pane)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        s = self.service
        command = QLabel(
            f"<b>kubectl rollout history</b> <span style='{MUTED_STYLE}'>"
            f"deployment/{escape(s.name)} -n {escape(s.namespace)}</span>",
            pane,
        )
        command.setToolTip("The text below is exactly what this kubectl command prints.")
        box.addWidget(command)
        self.history_text = QPlainTextEdit(pane)
        self.history_text.setObjectName("historyText")
        self.history_text.setReadOnly(True)
        self.history_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.history_text.setFont(_monospace())
        self.history_text.setPlaceholderText("Press View History to load the rollout history.")
        box.addWidget(self.history_text, 1)
        return pane

    def _revisions_pane(self) -> QWidget:
        from ..revisions_model import RevisionsModel

        pane = QWidget(self)
        box = QVBoxLayout(pane)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(QLabel("<b>Revisions</b>", pane))
        split = QSplitter(Qt.Orientation.Vertical, pane)
        split.setChildrenCollapsible(False)
        self.model = RevisionsModel(self)
        self.table = QTableView(split)
        self.table.setObjectName("revisionsTable")
        self.table.setModel(self.model)
        # Images take the spare width and elide in the middle, so the tag (the part that
        # tells revisions apart) stays visible; the short columns fit their contents.
        setup_row_table(self.table)
        size_columns(self.table, (), stretch=IMAGES_COLUMN)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._activated)
        split.addWidget(self.table)

        self.details_tabs = QTabWidget(split)
        self.details_tabs.setObjectName("revisionDetailsTabs")
        self.diff_view = QTextBrowser(self.details_tabs)
        self.diff_view.setObjectName("revisionDiff")
        self.diff_view.setOpenLinks(False)
        self.details_text = QPlainTextEdit(self.details_tabs)
        self.details_text.setObjectName("revisionDetails")
        self.details_text.setReadOnly(True)
        self.details_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_text.setFont(_monospace())
        self.details_tabs.addTab(self.diff_view, "Changes vs live")
        self.details_tabs.addTab(self.details_text, "Revision details")
        split.addWidget(self.details_tabs)
        split.setSizes([200, 260])
        box.addWidget(split, 1)
        self._show_details(None)
        return pane

    def _advice_pane(self) -> QWidget:
        group = QGroupBox("Rollout safety", self)
        group.setObjectName("rolloutSafety")
        box = QVBoxLayout(group)
        box.setContentsMargins(8, 4, 8, 6)
        scroll = QScrollArea(group)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.advice_label = QLabel(scroll)
        self.advice_label.setObjectName("safetyAdvice")
        self.advice_label.setWordWrap(True)
        self.advice_label.setTextFormat(Qt.TextFormat.RichText)
        self.advice_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.advice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice_label.setText(f"<span style='{MUTED_STYLE}'>Not loaded yet.</span>")
        scroll.setWidget(self.advice_label)
        box.addWidget(scroll)
        return group

    # -- loading -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the history (View History, first show, and after every mutation)."""
        self._loaded = True
        handle = self.session.runner.submit(
            partial(load_view, self.session, self.service),
            description=f"Load the rollout history of {self.service.title}",
            on_done=self._view_loaded,
            on_error=self._load_failed,
            owner=self,
            key=f"history:{self.service.key}",
        )
        if handle is None:
            # A load is already running and may predate the change that asked for this one:
            # load once more when it is done rather than show a stale history.
            self._reload_when_done = True
            return
        self._loading = True
        self.status.setText("Loading history…")
        self.view_history_button.setEnabled(False)

    def _finish_loading(self) -> None:
        self._loading = False
        self.view_history_button.setEnabled(True)
        if self._reload_when_done:
            self._reload_when_done = False
            self.refresh()

    def _load_failed(self, error: BaseException) -> None:
        self.status.setText("")
        self.banner.show_error(error, context="Could not load the rollout history")
        self._finish_loading()

    def _view_loaded(self, view: DeploymentView) -> None:
        self.view = view
        history = view.history
        self.banner.hide()
        if self.history_text.toPlainText() != history.raw_text:
            self.history_text.setPlainText(history.raw_text)
        selected = self.selected_revision()
        self.model.set_revisions(history.revisions)
        self._fit_columns()
        if selected is not None and self.model.row_of(selected.number) is None:
            self.table.clearSelection()
        self._show_details(self.selected_revision())
        notes = [history.explanation] if history.explanation else []
        notes += [f"kubectl would warn: {w}" for w in history.warnings]
        if view.paused:
            notes.append(
                "The Deployment is paused: its current template is not rolled out, and kubectl "
                "refuses to roll back until it is resumed."
            )
        self.explanation.setText(" ".join(escape(n) for n in notes))
        self.explanation.setVisible(bool(notes))
        self.advice_label.setText(
            findings_html(
                view.advice,
                empty="No concerns: readiness probes, progress deadline, rollout strategy and "
                "revision history all allow a safe rollback.",
            )
        )
        self.status.setText(self._summary())
        self._update_buttons()
        self._finish_loading()
        self.history_loaded.emit(history)

    def _summary(self) -> str:
        if self.view is None:
            return ""
        history = self.view.history
        count = len(history.revisions)
        live = history.current_revision
        return f"{count} revision{'s' if count != 1 else ''}" + (
            f" · live: revision {live}" if live is not None else " · no live revision"
        )

    def _fit_columns(self) -> None:
        # Fitted once per load, not live (ResizeToContents re-measures every row on every
        # change); the operator can still drag them wider.
        for column in range(self.model.columnCount()):
            if column == IMAGES_COLUMN:
                continue
            self.table.resizeColumnToContents(column)
            width = self.table.columnWidth(column)
            self.table.setColumnWidth(column, min(width + 8, MAX_FITTED_WIDTH))

    # -- selection -----------------------------------------------------------------------
    def selected_revision(self) -> Revision | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.revision_at(rows[0].row()) if rows else None

    def select_revision(self, number: int) -> bool:
        row = self.model.row_of(number)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._show_details(self.selected_revision())
        self._update_buttons()

    def _show_details(self, revision: Revision | None) -> None:
        if revision is None or self.view is None:
            hint = "Select a revision to see its details and what rolling back to it changes."
            self.diff_view.setHtml(f"<p style='{MUTED_STYLE}'>{escape(hint)}</p>")
            self.details_text.setPlainText("")
            return
        history = self.view.history
        try:
            self.details_text.setPlainText(history.text_for(revision.number))
        except KeyError as exc:
            self.details_text.setPlainText(str(exc))
        if revision.live:
            self.diff_view.setHtml(
                f"<p style='{MUTED_STYLE}'>Revision {revision.number} is live: the Deployment "
                "runs it now.</p>"
            )
            return
        # Pure and small (two pod templates): fine on the UI thread.
        diff = diff_templates(
            self.view.live_template,
            revision.template,
            current_deployment_spec=self.view.deployment_spec,
        )
        live = history.current_revision
        intro = (
            f"<p>Rolling back to revision <b>{revision.number}</b> changes the live template"
            + (f" (revision {live})" if live is not None else "")
            + ":</p>"
        )
        self.diff_view.setHtml(
            intro
            + diff_html(
                diff,
                before="live now",
                after=f"revision {revision.number}",
                empty="Nothing: the templates are the same.",
            )
        )

    def _update_buttons(self) -> None:
        loaded = self.view is not None
        revision = self.selected_revision()
        self.immediate_button.setEnabled(loaded and not self._planning)
        self.selected_button.setEnabled(
            loaded and not self._planning and revision is not None and not revision.live
        )
        if revision is not None and revision.live:
            self.selected_button.setToolTip("The selected revision is the live one.")
        else:
            self.selected_button.setToolTip(
                "Roll back to the revision selected in the table (kubectl rollout undo "
                "--to-revision=N), after a confirmation"
            )

    def _activated(self, index: QModelIndex) -> None:
        # Double-click / Enter on an older revision is the keyboard path to its rollback.
        revision = self.model.revision_at(index.row())
        if revision is not None and not revision.live:
            self.start_rollback(revision.number)

    def _roll_back_to_selected(self) -> None:
        revision = self.selected_revision()
        if revision is not None:
            self.start_rollback(revision.number)

    # -- rollback ------------------------------------------------------------------------
    def start_rollback(self, to_revision: int | None) -> None:
        """Plan off the UI thread, then open the confirmation dialog (None: previous revision)."""
        if self._planning:
            return
        self._planning = True
        self._update_buttons()
        which = "the previous revision" if to_revision is None else f"revision {to_revision}"
        self.status.setText(f"Planning the rollback to {which}…")
        handle = self.session.runner.submit(
            partial(plan_job, self.session, self.service, to_revision),
            description=f"Plan the rollback of {self.service.title} to {which}",
            on_done=self._planned,
            on_error=self._plan_failed,
            owner=self,
        )
        if handle is None:  # the runner is shutting down
            self._planning = False
            self.status.setText(self._summary())
            self._update_buttons()

    def _plan_failed(self, error: BaseException) -> None:
        self._planning = False
        self.status.setText(self._summary())
        self._update_buttons()
        self.banner.show_error(error, context="Could not plan the rollback")

    def _planned(self, rollback_plan: RollbackPlan) -> None:
        self._planning = False
        self.status.setText(self._summary())
        self._update_buttons()
        previous = self.confirm_dialog
        if previous is not None and not previous.busy and previous.outcome is None:
            # A newer plan replaces a question not yet answered; a running rollback stays.
            previous.close()
        dialog = ConfirmRollbackDialog.open_for(self.session, self.service, rollback_plan, self)
        dialog.roll_back_further_requested.connect(self._roll_back_further)
        dialog.view_logs_requested.connect(self.show_pods_tab)
        # The refresh that follows the patch (service_changed) may catch the controller before
        # it renumbered the revisions; one more when the rollout has ended shows the final state.
        dialog.rollback_finished.connect(lambda _outcome: self.refresh())
        dialog.destroyed.connect(lambda *_: self._forget_dialog(dialog))
        self.confirm_dialog = dialog
        self.confirm_dialog_opened.emit(dialog)

    def _forget_dialog(self, dialog: ConfirmRollbackDialog) -> None:
        if self.confirm_dialog is dialog:
            self.confirm_dialog = None

    def _roll_back_further(self, failed: RollbackPlan) -> None:
        """The revision before the one that did not work out: the next step after a failure."""
        history = self.view.history if self.view is not None else None
        target = failed.target_revision
        older = [
            r.number
            for r in (history.revisions if history is not None else ())
            if target is not None and r.number < target and not r.live
        ]
        if not older:
            self.banner.show_message(
                f"No revision older than {target} is left to roll back to.", "warning"
            )
            return
        number = max(older)
        self.select_revision(number)
        self.start_rollback(number)

    def show_pods_tab(self) -> None:
        """Switch the operations dialog to its Pod List (the "view logs" next step)."""
        window = self.window()
        tabs = window.findChild(QTabWidget, "operationsTabs")
        pods = window.findChild(QWidget, "podsTab")
        if tabs is None or pods is None or tabs.indexOf(pods) < 0:
            self.banner.show_message("The Pod List is not available in this window.", "info")
            return
        tabs.setCurrentWidget(pods)
        # Activation brings the operations window forward over the confirmation dialog.
        window.activateWindow()

    def shutdown(self) -> None:
        if self.confirm_dialog is not None:
            self.confirm_dialog.close()

"""The rollback confirmation dialog, and what follows a confirmation: apply, follow the rollout,
verify, report, audit.

It is non-modal and built from a ``RollbackPlan`` that was made off the UI thread: it shows the
plan (from/to revision and images, the template diff, precaution findings, the manual checklist)
or the reason the rollback cannot proceed *instead of* a confirm button. Cancel is the default
button; production contexts ask for the typed name. A server dry run is one click away.

After the operator confirms, the rollback runs as a mutation keyed by the service (the task
runner never lets two changes of one service overlap, and announces the change so the history
and pods refresh themselves); then a follow-up job watches the rollout and verifies it, reporting
progress to the bar. Every outcome - also a failure to apply - is written to the audit log from
the worker thread, so it is recorded even when the dialog was closed meanwhile.

Tests and tools open it with :meth:`ConfirmRollbackDialog.open_for` (shown, never ``exec()``-ed)
and click its buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core.rollback import RollbackPlan, kubectl_undo_stdout
from ..core.rollout import RolloutProgress
from ..core.services import Service
from ..core.verification import VerificationReport
from ..runtimes.errors import Cancelled, OperationError, TimedOut
from .banner import Banner
from .dialog_parts import (
    danger_button_style,
    header_row,
    present,
    rich_label,
    section_label,
)
from .guard import TypedNameGuard
from .rollback_render import (
    MANUAL_CHECKLIST,
    diff_html,
    findings_html,
    images_html,
    revision_caption,
)
from .session import Session
from .step_list import StepList
from .tasks import TaskContext, TaskHandle, error_text
from .verification_view import VerificationView

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Verdict = Literal[
    "succeeded", "verification-failed", "rollout-failed", "rollout-stuck", "not-verified"
]

# What each refusal means for the operator, beyond kubectl's own sentence.
REFUSAL_HINTS: dict[str, str] = {
    "paused": "The command: kubectl rollout resume deployment/{name} -n {ns} (Command Execution "
    "tab). Resuming first rolls out the template staged while paused.",
    "already-current": "The live template already matches that revision: there is nothing to "
    "roll back.",
    "no-history": "The Deployment has no earlier revision to go back to.",
    "not-found": "That revision is no longer in the history; View History shows the ones left.",
    "negative-revision": "Revision numbers start at 1.",
}

SECTION_MARGIN = 6  # px above a section heading
CONFIRM_STYLE = danger_button_style("confirmRollbackButton")


# --------------------------------------------------------------------------------------------
# what runs off the UI thread (no widget is touched here)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollbackOutcome:
    """How a confirmed rollback ended, as the dialog shows it and the audit log records it."""

    verdict: Verdict
    progress: RolloutProgress | None  # the monitor's last evaluation
    report: VerificationReport | None
    problem: str | None  # why the rollout was not followed to the end or not verified

    @property
    def succeeded(self) -> bool:
        return self.verdict == "succeeded"


AUDIT_OUTCOMES: dict[Verdict, str] = {
    "succeeded": "succeeded",
    "verification-failed": "verification failed",
    "rollout-failed": "rollout failed",
    "rollout-stuck": "rollout stuck",
    "not-verified": "applied, not verified",
}


def _detail(reason: str, extra: str = "") -> str:
    return "; ".join(part for part in (reason, extra) if part)


def _audit(
    session: Session, service: Service, plan: RollbackPlan, outcome: str, detail: str
) -> None:
    try:
        session.audit_entry(
            service,
            "rollback",
            outcome,
            from_=revision_caption(plan.current_revision, plan.current_images),
            to=revision_caption(plan.target_revision, plan.target_images),
            detail=detail,
        )
    except OSError:
        # A full disk must not turn a rollback that happened into one that "failed".
        log.exception("Could not write the audit entry for the rollback of %s", service.title)


def apply_rollback(
    session: Session, service: Service, plan: RollbackPlan, reason: str, ctx: TaskContext
) -> list[Obj]:
    """The mutation: remember the pods (for the restart check), then send kubectl's patch."""
    runtime = session.kube(service.context)
    try:
        pods_before = runtime.pods_snapshot(plan.namespace, plan.deployment)
        runtime.execute(plan)
    except Exception as exc:
        _audit(session, service, plan, "failed", _detail(reason, error_text(exc)))
        raise
    return pods_before


def follow_rollback(
    session: Session,
    service: Service,
    plan: RollbackPlan,
    reason: str,
    pods_before: list[Obj],
    timeout: float,
    ctx: TaskContext,
) -> RollbackOutcome:
    """Follow the rollout to its end, verify whatever the end was, record the outcome.

    Verification also runs after a failed or stuck rollout: its evidence (CrashLoopBackOff,
    the error lines in the logs) is what tells the operator what to do next.
    """
    runtime = session.kube(service.context)
    ns, name = plan.namespace, plan.deployment
    progress: RolloutProgress | None = None
    problem: str | None = None
    try:
        # The monitor sets the event it is given when it returns (to release its guard thread);
        # nothing reads ctx.cancel_event after this call, so handing over the task's own is fine.
        progress = runtime.monitor_rollout(
            ns, name, timeout=timeout, cancel=ctx.cancel_event, on_progress=ctx.progress
        )
    except TimedOut as exc:
        problem = exc.sentence
    except Cancelled:
        _audit(session, service, plan, AUDIT_OUTCOMES["not-verified"], _detail(reason))
        raise
    except OperationError as exc:
        _audit(
            session,
            service,
            plan,
            AUDIT_OUTCOMES["not-verified"],
            _detail(reason, f"lost track of the rollout: {exc.sentence}"),
        )
        raise
    report: VerificationReport | None = None
    try:
        report = runtime.verify(ns, name, pods_before=pods_before)
    except OperationError as exc:
        problem = _detail(problem or "", f"verification could not run: {exc.sentence}")
    if progress is not None and progress.failed:
        verdict: Verdict = "rollout-failed"
    elif progress is None:
        verdict = "rollout-stuck"
    elif report is None:
        verdict = "not-verified"
    elif not report.passed:
        verdict = "verification-failed"
    else:
        verdict = "succeeded"
    summary = report.summary if report is not None else ""
    extra = "" if verdict == "succeeded" else (summary or problem or "")
    _audit(session, service, plan, AUDIT_OUTCOMES[verdict], _detail(reason, extra))
    return RollbackOutcome(verdict, progress, report, problem)


def start_follow(
    session: Session,
    service: Service,
    plan: RollbackPlan,
    reason: str,
    pods_before: list[Obj],
    timeout: float,
    *,
    owner: QObject | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[Any], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
) -> TaskHandle | None:
    """Follow and verify an applied rollback. Without a window (closed meanwhile) it still runs
    to the end, so the audit log gets the real outcome; an error then reaches the runner's
    ``failed`` signal (the main window's banner). App shutdown cancels it."""
    return session.runner.submit(
        partial(follow_rollback, session, service, plan, reason, pods_before, timeout),
        description=f"Follow the rollout of {service.title}",
        on_done=on_done,
        on_error=on_error,
        on_progress=on_progress,
        owner=owner,
    )


def dry_run(session: Session, service: Service, plan: RollbackPlan, ctx: TaskContext) -> Obj:
    return session.kube(service.context).execute(plan, dry_run=True)


# --------------------------------------------------------------------------------------------
# the dialog
# --------------------------------------------------------------------------------------------


class ConfirmRollbackDialog(QDialog):
    """``ConfirmRollbackDialog(session, service, plan, parent)``; open with :meth:`open_for`."""

    # Past tense for events (STYLE.md §14).
    # The RollbackOutcome; None when the rollback was not applied or the rollout was lost track of.
    rollback_finished = Signal(object)
    roll_back_further_requested = Signal(object)  # the RollbackPlan that did not work out
    view_logs_requested = Signal()

    def __init__(
        self,
        session: Session,
        service: Service,
        plan: RollbackPlan,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmRollbackDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.session = session
        self.service = service
        self.plan = plan
        self.production = service.production or session.is_production(service.context)
        self.outcome: RollbackOutcome | None = None
        self.reason = ""
        self._apply_handle: TaskHandle | None = None
        self._follow_handle: TaskHandle | None = None
        self._started = False
        target = plan.target_revision
        self.setWindowTitle(
            f"Roll back {service.title}"
            + (f" to revision {target}" if target is not None else "")
            + " — KIOPS Desktop"
        )
        self.resize(780, 760)
        self.setStyleSheet(CONFIRM_STYLE)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(self._header())
        self.banner = Banner(self)
        layout.addWidget(self.banner)
        self.pages = QStackedWidget(self)
        layout.addWidget(self.pages, 1)
        self.confirm_page = self._build_confirm_page()
        self.progress_page = self._build_progress_page()
        self.pages.addWidget(self.confirm_page)
        self.pages.addWidget(self.progress_page)
        self.cancel_button.setFocus()

    @classmethod
    def open_for(
        cls,
        session: Session,
        service: Service,
        plan: RollbackPlan,
        parent: QWidget | None = None,
    ) -> ConfirmRollbackDialog:
        """The seam callers use: build, show (never ``exec()``: nothing blocks) and return."""
        return present(cls(session, service, plan, parent))

    # -- layout --------------------------------------------------------------------------
    def _header(self) -> QHBoxLayout:
        s = self.service
        return header_row(
            self,
            f"Roll back {escape(s.name)}",
            f"{escape(s.runtime)} · <b>{escape(s.context)}</b>"
            f" · namespace <b>{escape(s.namespace)}</b>",
            production=self.production,
        )

    def _revision_card(self, heading: str, number: int | None, images: tuple[str, ...]) -> QFrame:
        card = QFrame(self)
        card.setObjectName("revisionCard")
        card.setStyleSheet(
            "QFrame#revisionCard { border:1px solid palette(mid); border-radius:4px; }"
        )
        box = QVBoxLayout(card)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(2)
        head = QLabel(f"<span style='color:#6b7280'>{escape(heading)}</span>", card)
        revision = QLabel(
            f"<span style='font-size:13pt; font-weight:600'>"
            f"{'revision ' + str(number) if number is not None else '—'}</span>",
            card,
        )
        image = rich_label(card)
        image.setText(images_html(images))
        for widget in (head, revision, image):
            box.addWidget(widget)
        return card

    def _build_confirm_page(self) -> QWidget:
        plan = self.plan
        page = QWidget(self)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(scroll)
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 6, 0)
        body.setSpacing(6)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        cards = QHBoxLayout()
        cards.addWidget(
            self._revision_card("Deployment now", plan.current_revision, plan.current_images), 1
        )
        arrow = QLabel("<span style='font-size:18pt; color:#6b7280'>→</span>", content)
        cards.addWidget(arrow)
        cards.addWidget(
            self._revision_card("After the rollback", plan.target_revision, plan.target_images), 1
        )
        body.addLayout(cards)

        self.refusal_label: QLabel | None = None
        if not plan.can_proceed:
            hint = REFUSAL_HINTS.get(plan.refusal_kind or "", "").format(
                name=plan.deployment, ns=plan.namespace
            )
            refusal = rich_label(content, "rollbackRefusal")
            refusal.setStyleSheet(
                "QLabel#rollbackRefusal { background:#fdecea; color:#611a15;"
                " border:1px solid #f5c2c0; border-radius:4px; padding:8px; }"
            )
            refusal.setText(
                "<b>This rollback cannot proceed:</b> "
                f"{escape(plan.refusal or 'no reason given')}."
                + (f"<br>{escape(hint)}" if hint else "")
            )
            body.addWidget(refusal)
            self.refusal_label = refusal

        body.addWidget(section_label("What changes", content, margin_top=SECTION_MARGIN))
        self.diff_view = QTextBrowser(content)
        self.diff_view.setObjectName("rollbackDiff")
        self.diff_view.setOpenLinks(False)
        self.diff_view.setMinimumHeight(110)
        self.diff_view.setMaximumHeight(230)
        self.diff_view.setHtml(
            diff_html(
                plan.diff,
                before=f"now (revision {plan.current_revision})",
                after=f"revision {plan.target_revision}",
                empty="No difference in the pod template.",
            )
        )
        body.addWidget(self.diff_view)

        body.addWidget(section_label("Precautions", content, margin_top=SECTION_MARGIN))
        self.precautions_label = rich_label(content, "rollbackPrecautions")
        self.precautions_label.setText(
            findings_html(
                plan.precautions,
                empty="No missing ConfigMaps or Secrets, removed variables or migrations found.",
            )
        )
        body.addWidget(self.precautions_label)

        self.checklist: list[QCheckBox] = []
        self.reason_input: QLineEdit | None = None
        self.guard: TypedNameGuard | None = None
        self.preview_result = rich_label(content, "previewResult")
        self.preview_result.hide()
        if plan.can_proceed:
            body.addWidget(
                section_label(
                    "Before you confirm, check what no API can tell",
                    content,
                    margin_top=SECTION_MARGIN,
                )
            )
            for index, (item, why) in enumerate(MANUAL_CHECKLIST):
                box = QCheckBox(item, content)
                box.setObjectName(f"checklistItem{index}")
                box.setToolTip(why)
                self.checklist.append(box)
                body.addWidget(box)
            body.addWidget(section_label("Reason", content, margin_top=SECTION_MARGIN))
            self.reason_input = QLineEdit(content)
            self.reason_input.setObjectName("rollbackReason")
            self.reason_input.setPlaceholderText(
                "Optional: why you roll back (kept in the audit log), e.g. INC-1234 checkout errors"
            )
            body.addWidget(self.reason_input)
            if self.production:
                self.guard = TypedNameGuard(self.service.name, self.service.context, content)
                self.guard.satisfied_changed.connect(lambda _: self._update_confirm())
                body.addWidget(self.guard)
            body.addWidget(self.preview_result)
        body.addStretch(1)

        buttons = QHBoxLayout()
        self.preview_button: QPushButton | None = None
        self.confirm_button: QPushButton | None = None
        if plan.can_proceed:
            self.preview_button = QPushButton("&Preview (server dry run)", page)
            self.preview_button.setObjectName("previewRollbackButton")
            self.preview_button.setToolTip(
                "Send the rollback with dryRun=All: the server validates it, nothing changes."
            )
            self.preview_button.setAutoDefault(False)
            self.preview_button.clicked.connect(self.preview)
            buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel" if plan.can_proceed else "Close", page)
        self.cancel_button.setObjectName("cancelRollbackButton")
        # Cancel is the default: Enter anywhere in the dialog must never roll back production.
        self.cancel_button.setDefault(True)
        self.cancel_button.setAutoDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        if plan.can_proceed:
            self.confirm_button = QPushButton("&Roll Back", page)
            self.confirm_button.setObjectName("confirmRollbackButton")
            self.confirm_button.setAutoDefault(False)
            self.confirm_button.clicked.connect(self.confirm)
            buttons.addWidget(self.confirm_button)
        outer.addLayout(buttons)
        self._update_confirm()
        return page

    def _build_progress_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(8)
        target = self.plan.target_revision
        box.addWidget(
            section_label(
                f"Rolling back {self.service.title}"
                + (f" to revision {target}" if target is not None else ""),
                page,
                margin_top=SECTION_MARGIN,
            )
        )
        self.steps = StepList(
            page,
            (
                ("apply", "Apply the rollback"),
                ("rollout", "Follow the rollout"),
                ("verify", "Verify pods, restarts, health and logs"),
            ),
        )
        box.addLayout(self.steps.layout)

        self.progress_bar = QProgressBar(page)
        self.progress_bar.setObjectName("rolloutProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        box.addWidget(self.progress_bar)
        self.status_label = QLabel("Waiting to start…", page)
        self.status_label.setObjectName("rolloutStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.status_label)

        self.outcome_label = rich_label(page, "rollbackOutcome")
        self.outcome_label.hide()
        box.addWidget(self.outcome_label)

        scroll = QScrollArea(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        holder = QWidget(scroll)
        holder_box = QVBoxLayout(holder)
        holder_box.setContentsMargins(0, 0, 6, 0)
        self.verification = VerificationView(holder)
        holder_box.addWidget(self.verification)
        holder_box.addStretch(1)
        scroll.setWidget(holder)
        box.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.further_button = QPushButton("Roll Back &Further…", page)
        self.further_button.setObjectName("rollBackFurtherButton")
        self.further_button.setToolTip("Plan a rollback to the revision before this target.")
        self.further_button.setAutoDefault(False)
        self.further_button.clicked.connect(self._roll_back_further)
        self.logs_button = QPushButton("View Pods and &Logs", page)
        self.logs_button.setObjectName("viewLogsButton")
        self.logs_button.setAutoDefault(False)
        self.logs_button.clicked.connect(self.view_logs_requested)
        for button in (self.further_button, self.logs_button):
            button.hide()
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.close_button = QPushButton("Close", page)
        self.close_button.setObjectName("closeRollbackButton")
        self.close_button.setToolTip(
            "Close this window. A rollout still in progress is followed, verified and audited "
            "in the background."
        )
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.close_button)
        box.addLayout(buttons)
        return page

    # -- confirm page --------------------------------------------------------------------
    @property
    def may_confirm(self) -> bool:
        return (
            self.plan.can_proceed
            and not self._started
            and (self.guard is None or self.guard.satisfied)
        )

    def _update_confirm(self) -> None:
        if self.confirm_button is not None:
            self.confirm_button.setEnabled(self.may_confirm)
            if self.guard is not None and not self.guard.satisfied:
                self.confirm_button.setToolTip(f"Type {self.service.name} above to enable.")
            else:
                self.confirm_button.setToolTip("")

    def preview(self) -> None:
        if not self.plan.can_proceed or self.preview_button is None:
            return
        handle = self.session.runner.submit(
            partial(dry_run, self.session, self.service, self.plan),
            description=f"Dry run of the rollback of {self.service.title}",
            on_done=self._previewed,
            on_error=self._preview_failed,
            owner=self,
            key=f"preview:{self.service.key}",
        )
        if handle is None:
            return  # the same preview is already on its way
        self.preview_button.setEnabled(False)
        self.preview_result.setText("<i>Asking the server (dry run)…</i>")
        self.preview_result.show()

    def _previewed(self, result: Obj) -> None:
        if self.preview_button is not None:
            self.preview_button.setEnabled(True)
        containers = ((result.get("spec") or {}).get("template") or {}).get("spec") or {}
        images = tuple(str(c.get("image", "")) for c in containers.get("containers") or [])
        line = kubectl_undo_stdout(self.plan, dry_run="server").strip()
        text = (
            f"<b style='color:#2e7d32'>The server accepted the rollback.</b> "
            f"<span style='font-family:monospace'>{escape(line)}</span><br>"
            f"The Deployment would run {images_html(images)}. Nothing was changed."
        )
        if images != self.plan.target_images:
            text += (
                "<br><b style='color:#b45309'>The server's result differs from the plan's "
                "target images</b>: the Deployment may have changed; close and plan again."
            )
        self.preview_result.setText(text)
        self.preview_result.show()

    def _preview_failed(self, error: BaseException) -> None:
        if self.preview_button is not None:
            self.preview_button.setEnabled(True)
        self.preview_result.hide()
        self.banner.show_error(error, context="Dry run")

    def confirm(self) -> None:
        """Apply the plan (the confirm button's action; does nothing unless allowed)."""
        if not self.may_confirm:
            return
        self.reason = self.reason_input.text().strip() if self.reason_input is not None else ""
        self._started = True
        self._update_confirm()
        self.banner.hide()
        session, service, plan, reason = self.session, self.service, self.plan, self.reason
        timeout = float(session.settings.rollout_timeout_s)
        dialog = self

        # No owner on purpose: once sent, the rollback must be followed and its outcome
        # audited even if this window is closed before the server answers. The callbacks
        # check whether the window still exists instead.
        def applied(pods_before: list[Obj]) -> None:
            if shiboken6.isValid(dialog):
                dialog._applied(pods_before)
            else:
                start_follow(session, service, plan, reason, pods_before, timeout)

        def apply_failed(error: BaseException) -> None:
            if shiboken6.isValid(dialog):
                dialog._apply_failed(error)
            else:  # the job wrote the audit entry; nobody is left to show the sentence to
                log.warning("The rollback of %s failed: %s", service.title, error_text(error))

        handle = session.runner.submit(
            partial(apply_rollback, session, service, plan, reason),
            description=f"Roll back {service.title}",
            on_done=applied,
            on_error=apply_failed,
            key=service.key,
            mutation=True,
        )
        if handle is None:  # the runner is shutting down (the app is closing)
            self._started = False
            self._update_confirm()
            return
        self._apply_handle = handle
        self.pages.setCurrentWidget(self.progress_page)
        self.steps.set("apply", "running")
        self.progress_bar.setRange(0, 0)  # busy until the server answers
        self.status_label.setText("Sending the rollback to the API server…")

    # -- progress page -------------------------------------------------------------------
    def _apply_failed(self, error: BaseException) -> None:
        # Nothing was rolled back: back to the plan, with the reason on top.
        self._apply_handle = None
        self._started = False
        self.progress_bar.setRange(0, 1000)
        self.pages.setCurrentWidget(self.confirm_page)
        self._update_confirm()
        self.banner.show_error(error, context="The rollback was not applied")
        self.rollback_finished.emit(None)

    def _applied(self, pods_before: list[Obj]) -> None:
        self._apply_handle = None
        self.steps.set("apply", "done")
        self.steps.set("rollout", "running")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.status_label.setText("Rollback applied; waiting for the controller…")
        self._follow_handle = start_follow(
            self.session,
            self.service,
            self.plan,
            self.reason,
            pods_before,
            float(self.session.settings.rollout_timeout_s),
            owner=self,
            on_done=self._followed,
            on_error=self._follow_failed,
            on_progress=self._progressed,
        )

    def _progressed(self, progress: RolloutProgress) -> None:
        self.progress_bar.setValue(round(progress.fraction * 1000))
        counts = (
            f"{progress.updated} of {progress.desired} updated · {progress.ready} ready · "
            f"{progress.available} available"
        )
        self.status_label.setText(f"{progress.message}\n{counts}")
        if progress.done:
            self.steps.set("rollout", "done")
            self.steps.set("verify", "running")
        elif progress.failed:
            self.steps.set("rollout", "failed")
            self.steps.set("verify", "running")

    def _followed(self, outcome: RollbackOutcome) -> None:
        self._follow_handle = None
        self.outcome = outcome
        progress = outcome.progress
        if progress is None:
            self.steps.set("rollout", "warning")
        elif progress.failed:
            self.steps.set("rollout", "failed")
            self.progress_bar.setValue(round(progress.fraction * 1000))
        else:
            self.steps.set("rollout", "done")
            self.progress_bar.setValue(1000)
        if outcome.report is not None:
            self.steps.set("verify", "done" if outcome.report.passed else "failed")
            self.verification.set_report(outcome.report)
        else:
            self.steps.set("verify", "warning")
            self.verification.set_unavailable(outcome.problem or "no report")
        if progress is not None:
            self.status_label.setText(progress.message)
        elif outcome.problem:
            self.status_label.setText(outcome.problem)
        self._show_outcome(outcome)
        self.rollback_finished.emit(outcome)

    def _show_outcome(self, outcome: RollbackOutcome) -> None:
        target = revision_caption(self.plan.target_revision, self.plan.target_images)
        name = self.service.title
        stuck_line = outcome.progress.message if outcome.progress else ""
        texts: dict[Verdict, tuple[str, str]] = {
            "succeeded": (
                "#2e7d32",
                f"Rolled back: {name} runs {target} again, and verification passed.",
            ),
            "verification-failed": (
                "#c62828",
                (
                    f"The rollout of {target} finished, but verification failed. "
                    "Next step: look at the pods and their logs, or roll back further."
                ),
            ),
            "rollout-failed": (
                "#c62828",
                (
                    f"The rollout failed: {stuck_line}. "
                    "Pods of the previous revision keep serving where they still run. "
                    "Next step: roll back further, or look at the pods and their logs."
                ),
            ),
            "rollout-stuck": (
                "#b45309",
                (
                    f"The rollout is stuck: {outcome.problem or 'it did not finish in time.'} "
                    "It may still finish; otherwise roll back further, or look at the pods and "
                    "their logs."
                ),
            ),
            "not-verified": (
                "#b45309",
                f"The rollout finished, but it could not be verified: {outcome.problem}",
            ),
        }
        colour, text = texts[outcome.verdict]
        self.outcome_label.setText(f"<b style='color:{colour}'>{escape(text)}</b>")
        self.outcome_label.show()
        failed = not outcome.succeeded
        self.further_button.setVisible(failed)
        self.logs_button.setVisible(failed)
        if outcome.succeeded:
            self.close_button.setDefault(True)
        else:
            self.logs_button.setDefault(True)

    def _follow_failed(self, error: BaseException) -> None:
        self._follow_handle = None
        self.steps.set("rollout", "warning")
        self.progress_bar.setRange(0, 1000)
        self.banner.show_error(error, context="Lost track of the rollout")
        self.outcome_label.setText(
            "<b style='color:#b45309'>The rollback was applied, but KIOPS lost track of the "
            "rollout.</b> The Pod List shows where it stands."
        )
        self.outcome_label.show()
        self.logs_button.show()
        self.rollback_finished.emit(None)

    def _roll_back_further(self) -> None:
        self.roll_back_further_requested.emit(self.plan)

    # -- lifetime ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A confirmed rollback is being applied or followed by this window."""
        return self._apply_handle is not None or self._follow_handle is not None

"""The deploy dialog of a Docker/Podman container (the seed's DockerDeployModal).

Choose an image version (local images and registry tags, filterable by text or commit SHA, pin
by digest for overwritten tags), keep "Auto-backup before deploy" on (a warning says what is
lost without it), confirm (typed name on production connections; Cancel is the default), then
watch the steps: pull, backup, replace, start, health check, clean-up. The deploy runs as a
mutation job keyed by the service, so two deploys of one service never overlap and every view of
the service refreshes when it ends. ``ops.deploy.deploy`` writes the audit entry and restores the
previous container when a step fails; this dialog shows which backup it used.

Tests and tools open it with :meth:`DeployDialog.open_for` (shown, never ``exec()``-ed) and
click its buttons; the confirmation is :attr:`DeployDialog.confirm_dialog` once asked.
"""

from __future__ import annotations

import logging
from functools import partial
from html import escape
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.images import ImageVersion
from ..core.services import Service
from ..ops.deploy import DeployResult
from ..ops.versions import resolve_target, short_digest
from ..runtimes.errors import OperationError
from .banner import Banner
from .deploy_versions import (
    VersionList,
    deployable,
    filter_versions,
    load_versions,
    run_deploy,
    target_for,
    version_label,
    version_tooltip,
)
from .dialog_parts import (
    MUTED,
    danger_button_style,
    header_row,
    present,
    rich_label,
    section_label,
)
from .guard import TypedNameGuard, production_badge
from .session import Session
from .step_list import StepList
from .tasks import TaskContext, TaskHandle, error_text

log = logging.getLogger(__name__)

SECTION_MARGIN = 4  # px above a section heading
CARD_STYLE = "QFrame#runningCard { border:1px solid palette(mid); border-radius:4px; }"
WARNING_STYLE = (
    "QLabel#backupWarning { background:#fff4e5; color:#663c00; border:1px solid #ffd8a8;"
    " border-radius:4px; padding:6px 8px; }"
)
CONFIRM_STYLE = danger_button_style("confirmDeployButton")

# The rows of the progress list; ``ops.deploy`` reports finer steps, mapped onto these.
STEP_ROWS: tuple[tuple[str, str], ...] = (
    ("pull", "Resolve and pull the image"),
    ("backup", "Back up configuration and volumes"),
    ("replace", "Replace the container (stop, keep aside, create)"),
    ("start", "Start the new container"),
    ("health", "Health check"),
    ("cleanup", "Remove the old container"),
    ("restore", "Restore the previous version"),
)
ROW_OF_STEP = {
    "pull": "pull",
    "backup": "backup",
    "stop": "replace",
    "create": "replace",
    "start": "start",
    "health": "health",
    "cleanup": "cleanup",
    "restore": "restore",
}
ORDER = [key for key, _ in STEP_ROWS]


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


# --------------------------------------------------------------------------------------------
# the confirmation
# --------------------------------------------------------------------------------------------


class ConfirmDeployDialog(QDialog):
    """The question before a deploy: from -> to, the backup, the typed name on production.

    Non-modal and shown, never ``exec()``-ed; Cancel is the default button, so Enter never
    deploys. ``confirmed`` is emitted once, when the operator clicks Deploy.
    """

    confirmed = Signal()

    def __init__(
        self,
        service: Service,
        container: str,
        from_text: str,
        target: str,
        backup_text: str,
        *,
        backup: bool,
        production: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDeployDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.setWindowTitle(f"Deploy to {container}? — KIOPS Desktop")
        self.setStyleSheet(CONFIRM_STYLE)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)

        head = QHBoxLayout()
        title = QLabel(
            f"<span style='font-size:13pt; font-weight:600'>Deploy to {escape(container)}?</span>",
            self,
        )
        head.addWidget(title)
        if production:
            head.addWidget(production_badge(self))
        head.addStretch(1)
        layout.addLayout(head)

        where = QLabel(
            f"<span style='color:{MUTED}'>{escape(service.title)} · {escape(service.runtime)} · "
            f"<b>{escape(service.context)}</b></span>",
            self,
        )
        layout.addWidget(where)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        for row, (caption, value, name) in enumerate(
            (
                ("Now", from_text, "confirmFrom"),
                ("After", _code(target), "confirmTo"),
                ("Backup", backup_text, "confirmBackup"),
            )
        ):
            key = QLabel(f"<span style='color:{MUTED}'>{caption}</span>", self)
            key.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            text = rich_label(self, name)
            text.setText(value)
            grid.addWidget(key, row, 0)
            grid.addWidget(text, row, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        if not backup:
            warning = rich_label(self, "backupWarning")
            warning.setStyleSheet(WARNING_STYLE)
            warning.setText(
                "<b>No backup.</b> If the new version changes the volumes and then fails, "
                "the changes stay: only the previous container comes back."
            )
            layout.addWidget(warning)

        self.guard: TypedNameGuard | None = None
        if production:
            self.guard = TypedNameGuard(service.name, service.context, self)
            self.guard.satisfied_changed.connect(lambda _: self._update())
            layout.addWidget(self.guard)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelConfirmDeployButton")
        self.cancel_button.setDefault(True)
        self.cancel_button.setAutoDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        self.confirm_button = QPushButton("&Deploy", self)
        self.confirm_button.setObjectName("confirmDeployButton")
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.clicked.connect(self._confirm)
        buttons.addWidget(self.confirm_button)
        layout.addLayout(buttons)
        self._update()
        self.cancel_button.setFocus()

    @property
    def may_confirm(self) -> bool:
        return self.guard is None or self.guard.satisfied

    def _update(self) -> None:
        self.confirm_button.setEnabled(self.may_confirm)
        self.confirm_button.setToolTip(
            "" if self.may_confirm else "Type the service's name above to enable."
        )

    def _confirm(self) -> None:
        if not self.may_confirm:
            return
        self.confirmed.emit()
        self.accept()


# --------------------------------------------------------------------------------------------
# the deploy dialog
# --------------------------------------------------------------------------------------------


class DeployDialog(QDialog):
    """``DeployDialog(session, service, container, parent)``; open with :meth:`open_for`."""

    versions_loaded = Signal()  # the version list arrived (or failed: see the banner)
    deploy_finished = Signal(object)  # the DeployResult; None when the job itself failed

    def __init__(
        self,
        session: Session,
        service: Service,
        container: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dockerDeployDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.session = session
        self.service = service
        self.container = container
        self.production = service.production or session.is_production(service.context)
        self.listing: VersionList | None = None
        self.outcome: DeployResult | None = None
        self.confirm_dialog: ConfirmDeployDialog | None = None
        self._shown: list[ImageVersion] = []
        self._loading = False
        self._handle: TaskHandle | None = None
        self._active_row: str | None = None
        self._cancel_asked = False
        self.setWindowTitle(f"Deploy {service.title} — {service.connection} — KIOPS Desktop")
        self.resize(780, 540)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(self._header())
        self.banner = Banner(self)
        layout.addWidget(self.banner)
        self.pages = QStackedWidget(self)
        layout.addWidget(self.pages, 1)
        self.form_page = self._build_form_page()
        self.progress_page = self._build_progress_page()
        self.pages.addWidget(self.form_page)
        self.pages.addWidget(self.progress_page)
        self._update_backup_warning()
        self._update_target()
        self.cancel_button.setFocus()
        self.load_versions()

    @classmethod
    def open_for(
        cls,
        session: Session,
        service: Service,
        container: str,
        parent: QWidget | None = None,
    ) -> DeployDialog:
        """The seam callers use: build, show (never ``exec()``: nothing blocks) and return."""
        return present(cls(session, service, container, parent))

    # -- layout ----------------------------------------------------------------------------
    def _header(self) -> QHBoxLayout:
        s = self.service
        return header_row(
            self,
            f"Deploy {escape(s.name)}",
            f"{escape(s.runtime)} · <b>{escape(s.context)}</b>"
            + (f" · project <b>{escape(s.namespace)}</b>" if s.namespace else ""),
            production=self.production,
        )

    def _build_form_page(self) -> QWidget:
        page = QWidget(self)
        body = QVBoxLayout(page)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(8)

        card = QFrame(page)
        card.setObjectName("runningCard")
        card.setStyleSheet(CARD_STYLE)
        card_box = QVBoxLayout(card)
        card_box.setContentsMargins(10, 8, 10, 8)
        card_box.setSpacing(2)
        card_box.addWidget(
            QLabel(
                f"<span style='color:{MUTED}'>Running now in container</span> "
                f"<b>{escape(self.container)}</b>",
                card,
            )
        )
        self.running_label = rich_label(card, "runningImage")
        self.running_label.setText(f"<span style='color:{MUTED}'>Reading…</span>")
        card_box.addWidget(self.running_label)
        body.addWidget(card)

        body.addWidget(section_label("Image version", page, margin_top=SECTION_MARGIN))
        filter_row = QHBoxLayout()
        self.filter_input = QLineEdit(page)
        self.filter_input.setObjectName("versionFilter")
        self.filter_input.setPlaceholderText(
            "Filter by tag or digest, or find the build of a commit SHA"
        )
        self.filter_input.setClearButtonEnabled(True)
        filter_row.addWidget(self.filter_input, 1)
        self.reload_button = QPushButton("Reload", page)
        self.reload_button.setObjectName("reloadVersionsButton")
        self.reload_button.setToolTip("Ask the engine and the registry again")
        self.reload_button.setAutoDefault(False)
        filter_row.addWidget(self.reload_button)
        body.addLayout(filter_row)

        self.version_combo = QComboBox(page)
        self.version_combo.setObjectName("imageVersionCombo")
        self.version_combo.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.version_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.version_combo.setMinimumContentsLength(40)
        self.version_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        body.addWidget(self.version_combo)
        self.versions_status = rich_label(page, "versionsStatus")
        body.addWidget(self.versions_status)

        self.pin_check = QCheckBox(
            "Pin by digest: deploy repository@sha256:… instead of the tag", page
        )
        self.pin_check.setObjectName("pinDigestCheck")
        self.pin_check.setToolTip(
            "A tag can be overwritten in the registry; a digest always names the same image. "
            "Use it to go back to an image whose tag now names something else."
        )
        body.addWidget(self.pin_check)
        self.target_label = rich_label(page, "deployTarget")
        body.addWidget(self.target_label)

        body.addWidget(section_label("Safety", page, margin_top=SECTION_MARGIN))
        self.backup_check = QCheckBox(
            "Auto-backup before deploy (container configuration and volume contents)", page
        )
        self.backup_check.setObjectName("autoBackupCheck")
        self.backup_check.setChecked(bool(self.session.settings.auto_backup))
        body.addWidget(self.backup_check)
        self.backup_warning = rich_label(page, "backupWarning")
        self.backup_warning.setStyleSheet(WARNING_STYLE)
        self.backup_warning.setText(
            "<b>No backup will be taken.</b> Should the new version fail, the previous container "
            "comes back, but anything the new version wrote to the volumes stays, and there is "
            "no backup to restore later."
        )
        body.addWidget(self.backup_warning)
        health_row = QHBoxLayout()
        health_row.addWidget(QLabel("Health check: wait up to", page))
        self.health_spin = QSpinBox(page)
        self.health_spin.setObjectName("healthTimeoutSpin")
        self.health_spin.setRange(1, 600)
        self.health_spin.setValue(10)
        self.health_spin.setSuffix(" s")
        self.health_spin.setToolTip(
            "The image's HEALTHCHECK must report healthy within this time; without one, the "
            "container must keep running without a restart for this long."
        )
        health_row.addWidget(self.health_spin)
        health_row.addStretch(1)
        body.addLayout(health_row)
        body.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel", page)
        self.cancel_button.setObjectName("cancelDeployButton")
        # Cancel is the default: Enter in the filter box must never start a deploy.
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        self.deploy_button = QPushButton("&Deploy…", page)
        self.deploy_button.setObjectName("deployButton")
        self.deploy_button.setAutoDefault(False)
        self.deploy_button.clicked.connect(self.ask_confirmation)
        buttons.addWidget(self.deploy_button)
        body.addLayout(buttons)

        self.filter_input.textChanged.connect(lambda _: self._apply_filter())
        self.version_combo.currentIndexChanged.connect(lambda _: self._update_target())
        self.pin_check.toggled.connect(lambda _: self._update_target())
        self.backup_check.toggled.connect(lambda _: self._update_backup_warning())
        self.reload_button.clicked.connect(self.load_versions)
        return page

    def _build_progress_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(8)
        self.progress_title = rich_label(page, "deployProgressTitle")
        box.addWidget(self.progress_title)

        self.steps = StepList(page, STEP_ROWS, object_prefix="deployStep", details=True)
        box.addLayout(self.steps.layout)

        self.progress_bar = QProgressBar(page)
        self.progress_bar.setObjectName("deployProgress")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(8)
        box.addWidget(self.progress_bar)

        self.outcome_label = rich_label(page, "deployOutcome")
        self.outcome_label.hide()
        box.addWidget(self.outcome_label)
        self.backup_used_label = rich_label(page, "deployBackupUsed")
        self.backup_used_label.hide()
        box.addWidget(self.backup_used_label)
        self.failed_logs = QPlainTextEdit(page)
        self.failed_logs.setObjectName("deployFailedLogs")
        self.failed_logs.setReadOnly(True)
        self.failed_logs.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.failed_logs.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.failed_logs_caption = QLabel(
            f"<span style='color:{MUTED}'>The last lines the failed container wrote</span>", page
        )
        self.failed_logs_caption.hide()
        self.failed_logs.hide()
        box.addWidget(self.failed_logs_caption)
        box.addWidget(self.failed_logs, 1)
        box.addStretch(0)

        buttons = QHBoxLayout()
        self.stop_button = QPushButton("Cancel Deploy", page)
        self.stop_button.setObjectName("cancelRunningDeployButton")
        self.stop_button.setToolTip(
            "Possible until the old container is stopped; nothing is changed then."
        )
        self.stop_button.setAutoDefault(False)
        self.stop_button.clicked.connect(self.cancel_deploy)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        self.again_button = QPushButton("Deploy Another Version…", page)
        self.again_button.setObjectName("deployAgainButton")
        self.again_button.setAutoDefault(False)
        self.again_button.clicked.connect(self.back_to_form)
        self.again_button.hide()
        buttons.addWidget(self.again_button)
        self.close_button = QPushButton("Close", page)
        self.close_button.setObjectName("closeDeployButton")
        self.close_button.setToolTip(
            "Close this window. A deploy in progress runs to its end (and restores on failure) "
            "and is written to the activity log."
        )
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.close_button)
        box.addLayout(buttons)
        return page

    # -- versions ------------------------------------------------------------------------------
    def load_versions(self) -> None:
        """Read the running image and the versions off the UI thread."""
        if self._loading:
            return
        session, service, container = self.session, self.service, self.container

        def job(ctx: TaskContext) -> VersionList:
            return load_versions(
                session.engine(service.connection),
                container,
                store=session.backups(),
                service=service.title,
                credentials=session.credentials().registry_lookup(),
            )

        handle = self.session.runner.submit(
            job,
            description=f"List the image versions for {service.title}",
            on_done=self._on_versions,
            on_error=self._on_versions_failed,
            owner=self,
            key=f"deploy-versions/{service.key}/{container}",
        )
        if handle is None:
            return
        self._loading = True
        self.reload_button.setEnabled(False)
        self.versions_status.setText(f"<span style='color:{MUTED}'>Loading versions…</span>")
        self._update_target()

    def _on_versions(self, listing: VersionList) -> None:
        self._loading = False
        self.reload_button.setEnabled(True)
        self.listing = listing
        r = listing.running
        ident = (
            short_digest(r.digest)
            if r.digest
            else "image id " + short_digest(r.image_id).removeprefix("sha256:")
        )
        colour = "#2e7d32" if r.state == "running" else "#c62828"
        self.running_label.setText(
            f"<span style='font-size:11pt'>{_code(r.image or r.image_id)}</span>"
            f"&nbsp;&nbsp;<span style='color:{MUTED}'>{escape(ident)} · </span>"
            f"<span style='color:{colour}'>{escape(r.state)}</span>"
        )
        self._apply_filter(keep_choice=False)
        self.versions_loaded.emit()

    def _on_versions_failed(self, error: BaseException) -> None:
        self._loading = False
        self.reload_button.setEnabled(True)
        self.banner.show_error(error, context="The versions could not be listed")
        self.versions_status.setText(
            "<span style='color:#c62828'>No versions listed.</span> "
            "Type a tag, digest or reference in the filter box, or Reload."
        )
        if self.listing is None:
            self.running_label.setText(f"<span style='color:{MUTED}'>unknown</span>")
        self._update_target()
        self.versions_loaded.emit()

    @property
    def versions(self) -> list[ImageVersion]:
        return list(self.listing.versions) if self.listing else []

    def shown_versions(self) -> list[ImageVersion]:
        """The versions the combo offers now (after the filter)."""
        return list(self._shown)

    def _apply_filter(self, *, keep_choice: bool = True) -> None:
        listing = self.listing
        previous = self.selected_version() if keep_choice else None
        versions = list(listing.versions) if listing else []
        text = self.filter_input.text()
        shown = filter_versions(versions, text, listing.revisions if listing else None)
        self._shown = shown
        combo = self.version_combo
        combo.blockSignals(True)
        combo.clear()
        for index, v in enumerate(shown):
            combo.addItem(version_label(v), index)
            combo.setItemData(index, version_tooltip(v), Qt.ItemDataRole.ToolTipRole)
        choice = self._default_choice(shown, previous)
        combo.setCurrentIndex(choice)
        combo.blockSignals(False)
        if listing is not None:
            self.versions_status.setText(self._status_text(listing, len(shown), text))
        self._update_target()

    @staticmethod
    def _default_choice(shown: list[ImageVersion], previous: ImageVersion | None) -> int:
        """Keep the operator's choice; else the version just before the running one (the usual
        way back), else the newest that is not running."""
        if not shown:
            return -1
        if previous is not None and previous in shown:
            return shown.index(previous)
        running = [i for i, v in enumerate(shown) if v.running]
        if running and running[-1] + 1 < len(shown):
            return running[-1] + 1
        return next((i for i, v in enumerate(shown) if not v.running), 0)

    def _status_text(self, listing: VersionList, shown: int, text: str) -> str:
        total = len(listing.versions)
        local = sum(1 for v in listing.versions if v.local)
        remote = sum(1 for v in listing.versions if v.in_registry)
        if text.strip():
            head = f"{shown} of {total} versions match"
        else:
            head = f"{total} version{'s' if total != 1 else ''}: {local} local"
            if listing.registry:
                head += f", {remote} in {escape(listing.registry)}"
        parts = [f"<span style='color:{MUTED}'>{head}</span>"]
        if listing.registry is None:
            parts.append(
                f"<span style='color:{MUTED}'>· the image comes from no registry, only local "
                "images are listed</span>"
            )
        if listing.registry_problem:
            parts.append(
                f"<br><span style='color:#b45309'>Registry: "
                f"{escape(listing.registry_problem)}</span>"
            )
        return " ".join(parts)

    def selected_version(self) -> ImageVersion | None:
        index = self.version_combo.currentIndex()
        if 0 <= index < len(self._shown):
            return self._shown[index]
        return None

    def select_version(self, *, tag: str | None = None, digest: str | None = None) -> bool:
        """Choose the first shown version with that tag (and/or digest); False when none."""
        for index, v in enumerate(self._shown):
            if (tag is None or v.tag == tag) and (digest is None or v.digest == digest):
                self.version_combo.setCurrentIndex(index)
                return True
        return False

    # -- target ------------------------------------------------------------------------------
    @property
    def target(self) -> str | None:
        """The exact reference Deploy would deploy, None while there is none."""
        return self._resolve()[0]

    def _resolve(self) -> tuple[str | None, str]:
        """(reference, problem): what would be deployed, or why nothing can be."""
        chosen = self.selected_version()
        if chosen is not None:
            if chosen.running and not (self.pin_check.isChecked() and chosen.tag):
                return None, "This version is the one running now: choose another."
            return target_for(chosen, pin=self.pin_check.isChecked()), ""
        text = self.filter_input.text().strip()
        listing = self.listing
        if not text:
            if self._loading:
                return None, ""
            return None, "Choose a version to deploy."
        if listing is None:
            return None, "The versions are not listed yet."
        try:
            # Nothing listed matches: what the operator typed may still name an image exactly
            # (a full digest, a tag the list missed, repo@digest).
            resolved = resolve_target(
                listing.versions,
                text,
                repository=listing.running.repository,
                revisions=listing.revisions,
            )
            return deployable(resolved), ""
        except OperationError as exc:
            return None, exc.sentence

    def _update_target(self) -> None:
        chosen = self.selected_version()
        can_pin = chosen is not None and bool(chosen.digest) and bool(chosen.tag)
        self.pin_check.setEnabled(can_pin)
        if chosen is not None and not chosen.digest:
            self.pin_check.setToolTip(
                "The registry digest of this version is not known (a local image never pushed "
                "or pulled): it can only be deployed by its tag."
            )
        target, problem = self._resolve()
        if target is not None:
            note = ""
            if chosen is None:
                note = f" <span style='color:{MUTED}'>(from what you typed)</span>"
            elif not chosen.tag:
                note = f" <span style='color:{MUTED}'>(by digest: no tag names it now)</span>"
            self.target_label.setText(f"Deploys {_code(target)}{note}")
        elif problem:
            self.target_label.setText(f"<span style='color:#c62828'>{escape(problem)}</span>")
        else:
            self.target_label.setText("")
        self.deploy_button.setEnabled(target is not None and self._handle is None)

    def _update_backup_warning(self) -> None:
        self.backup_warning.setVisible(not self.backup_check.isChecked())

    # -- confirm and deploy ------------------------------------------------------------------
    def _from_text(self) -> str:
        listing = self.listing
        if listing is None:
            return f"<span style='color:{MUTED}'>unknown</span>"
        r = listing.running
        digest = (
            f" <span style='color:{MUTED}'>({short_digest(r.digest)})</span>" if r.digest else ""
        )
        return f"{_code(r.image or r.image_id)}{digest}"

    def _backup_text(self, backup: bool) -> str:
        volumes = self.listing.running.volumes if self.listing else ()
        if not backup:
            return "<b style='color:#b45309'>none</b> (Auto-backup is off)"
        what = (
            f"its configuration and {len(volumes)} volume{'s' if len(volumes) != 1 else ''} "
            f"({escape(', '.join(volumes))})"
            if volumes
            else "its configuration (it mounts no volumes)"
        )
        return (
            f"A backup of {what} is taken first; a failed deploy restores the previous "
            "container from it."
        )

    def ask_confirmation(self) -> ConfirmDeployDialog | None:
        """Deploy's action: the confirmation dialog (shown, not exec'ed) for the current
        target; confirming it starts the deploy."""
        target = self.target
        if target is None or self._handle is not None:
            return None
        existing = self.confirm_dialog
        if existing is not None and shiboken6.isValid(existing):
            existing.close()
        backup = self.backup_check.isChecked()
        dialog = ConfirmDeployDialog(
            self.service,
            self.container,
            self._from_text(),
            target,
            self._backup_text(backup),
            backup=backup,
            production=self.production,
            parent=self,
        )
        dialog.confirmed.connect(partial(self.start_deploy, target, backup))
        self.confirm_dialog = dialog
        dialog.show()
        dialog.activateWindow()
        return dialog

    def start_deploy(self, target: str, backup: bool) -> None:
        """Run the deploy (after the confirmation) as a mutation keyed by the service."""
        if self._handle is not None:
            return
        session, service, container = self.session, self.service, self.container
        health_timeout = float(self.health_spin.value())
        keep = int(session.settings.keep_backups) or None

        def job(ctx: TaskContext) -> DeployResult:
            return run_deploy(
                session.engine(service.connection),
                container,
                target,
                store=session.backups(),
                backup=backup,
                health_timeout=health_timeout,
                service=service.title,
                keep=keep,
                audit=session.audit,
                cancel=ctx.cancel_event,
                progress=lambda step, message: ctx.progress((step, message)),
                credentials=session.credentials().registry_lookup(),
                connection=service.connection,
            )

        handle = session.runner.submit(
            job,
            description=f"Deploy {target} to {container}",
            on_done=self._on_deployed,
            on_error=self._on_deploy_error,
            on_progress=self._on_progress,
            owner=self,
            key=service.key,
            mutation=True,
        )
        if handle is None:  # the runner is shutting down (the app is closing)
            return
        self._handle = handle
        self.outcome = None
        self._cancel_asked = False
        self._reset_progress(target, backup)
        self.pages.setCurrentWidget(self.progress_page)
        self._update_target()

    def _reset_progress(self, target: str, backup: bool) -> None:
        self.progress_title.setText(
            f"<span style='font-size:11pt; font-weight:600'>Deploying {_code(target)} to "
            f"{escape(self.container)}</span>"
        )
        self._active_row = None
        for key, _ in STEP_ROWS:
            self.steps.set(key, "pending", "")
        self.steps.show_row("restore", False)
        if not backup:
            self.steps.set("backup", "skipped", "Auto-backup is off")
        # One notch per row of the normal path (restore excluded): progress the operator can read.
        self.progress_bar.setRange(0, len(ORDER) - 1)
        self.progress_bar.setValue(0)
        self.outcome_label.hide()
        self.backup_used_label.hide()
        self.failed_logs.hide()
        self.failed_logs_caption.hide()
        self.failed_logs.clear()
        self.stop_button.show()
        self.stop_button.setEnabled(True)
        self.stop_button.setText("Cancel Deploy")
        self.again_button.hide()
        self.close_button.setDefault(False)

    def step_state(self, key: str) -> str:
        """pending, running, done, failed, skipped or warning (for tests and tools)."""
        return self.steps.state(key)

    def _on_progress(self, value: Any) -> None:
        step, message = value
        row = ROW_OF_STEP.get(str(step))
        if row is None:
            return
        if row == "restore":
            # The step that was running failed; everything now is about putting back the old.
            if self._active_row is not None:
                self.steps.set(self._active_row, "failed")
            self.steps.show_row("restore", True)
            self.steps.set("restore", "running", str(message))
            self._active_row = "restore"
            self.stop_button.setEnabled(False)
            return
        # Rows before this one are done (or were skipped on purpose).
        for key in ORDER[: ORDER.index(row)]:
            if self.steps.state(key) in ("pending", "running"):
                self.steps.set(key, "done")
        self.steps.set(row, "running", str(message))
        self._active_row = row
        self.progress_bar.setValue(ORDER.index(row))
        if row not in ("pull", "backup"):
            # The old container is being touched: from here the deploy runs to its end.
            self.stop_button.setEnabled(False)
            self.stop_button.setToolTip(
                "The old container is being replaced: the deploy runs to its end now, and "
                "restores the previous version if a step fails."
            )

    def cancel_deploy(self) -> None:
        """Ask the running deploy to stop before it touches the old container."""
        if self._handle is None:
            return
        self._cancel_asked = True
        self._handle.cancel()
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Cancelling…")

    def _on_deployed(self, result: DeployResult) -> None:
        self._handle = None
        self.outcome = result
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.stop_button.hide()
        active = self._active_row
        if result.outcome == "deployed":
            for key in ORDER[:-1]:
                if self.steps.state(key) in ("pending", "running"):
                    self.steps.set(key, "done")
            if result.error is not None:  # only the old container could not be removed
                self.steps.set("cleanup", "warning", error_text(result.error))
            head = f"<b style='color:#2e7d32'>Deployed.</b> {escape(result.sentence)}"
            if self._cancel_asked:
                head += (
                    "<br><span style='color:#b45309'>The cancel came after the old container "
                    "was stopped: the deploy ran to its end.</span>"
                )
            backup = (
                f"Backup taken before the deploy: <b>{escape(result.backup.id)}</b>"
                if result.backup
                else "No backup was taken."
            )
        elif result.outcome in ("restored", "restore-failed"):
            self.steps.show_row("restore", True)
            if self.steps.state("restore") != "running" and active is not None:
                self.steps.set(active, "failed")
            restored = result.outcome == "restored"
            self.steps.set("restore", "done" if restored else "failed", None)
            if restored:
                head = (
                    "<b style='color:#c62828'>The deploy failed; the previous version was "
                    f"restored.</b><br>{escape(result.sentence)}"
                )
            else:
                head = (
                    "<b style='color:#c62828'>The deploy failed, and restoring the previous "
                    f"version failed too.</b><br>{escape(result.sentence)}"
                )
            if result.backup is not None:
                used = (
                    "its volumes were put back from it"
                    if result.volumes_restored
                    else "the volumes were checked against it and are unchanged"
                )
                backup = (
                    f"Backup used: <b>{escape(result.backup.id)}</b> ({used})"
                    if restored
                    else f"The backup <b>{escape(result.backup.id)}</b> holds its configuration "
                    "and volumes (Backups page: Restore)."
                )
            else:
                backup = "No backup was used: the deploy ran without one."
            if result.failed_logs.strip():
                self.failed_logs.setPlainText(result.failed_logs.rstrip("\n"))
                self.failed_logs.show()
                self.failed_logs_caption.show()
        else:  # refused: nothing was changed
            if active is not None:
                cancelled = self._cancel_asked
                self.steps.set(active, "skipped" if cancelled else "failed")
            self.steps.show_row("restore", False)
            colour = "#b45309"
            head = (
                f"<b style='color:{colour}'>"
                + ("Cancelled." if self._cancel_asked else "Not deployed.")
                + f"</b> {escape(result.sentence)}"
            )
            backup = ""
        if result.outcome != "deployed":
            # Steps that never ran after a failure: say so rather than leave them waiting.
            for key in ORDER:
                if self.steps.state(key) == "pending":
                    self.steps.set(key, "skipped")
        self.outcome_label.setText(head)
        self.outcome_label.show()
        self.backup_used_label.setText(backup)
        self.backup_used_label.setVisible(bool(backup))
        self.again_button.show()
        self.close_button.setDefault(True)
        self._update_target()
        self.deploy_finished.emit(result)

    def _on_deploy_error(self, error: BaseException) -> None:
        # The job failed before deploy() could answer (e.g. the engine connection): nothing was
        # changed, back to the form with the reason on top.
        self._handle = None
        self.progress_bar.setRange(0, 1)
        self.pages.setCurrentWidget(self.form_page)
        self.banner.show_error(error, context="The deploy did not start")
        self._update_target()
        self.deploy_finished.emit(None)

    def back_to_form(self) -> None:
        """After a deploy: choose another version (the list is read again)."""
        if self._handle is not None:
            return
        self.pages.setCurrentWidget(self.form_page)
        self.filter_input.clear()
        self.load_versions()

    # -- lifetime ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A deploy started here is running, or the versions are being read."""
        return self._handle is not None or self._loading

    @property
    def deploying(self) -> bool:
        return self._handle is not None

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._handle is not None:
            log.info(
                "The deploy window of %s was closed; the deploy runs to its end in the background.",
                self.service.title,
            )
        super().closeEvent(event)

"""Restore from the Backups page: which engine connection a backup belongs to, what a restore
would replace (read from the engine off the UI thread), the question before it (the same
``confirmDeployDialog`` as a deploy, DESIGN.md), and the restore itself with its audit entry.

The job functions (``plan_restore``, ``run_restore``) block: they run in the task runner only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..ops.backups import Backup
from ..runtimes import errors
from .backups_model import backup_connection_text, human_size, short_digest
from .guard import TypedNameGuard, production_badge
from .revisions_model import created_text

if TYPE_CHECKING:
    from ..connections.engines import EngineEndpoint
    from .session import Session

log = logging.getLogger(__name__)

# What DockerEngine() calls the socket it was given no URL for (see runtimes/docker.py).
_IMPLICIT_DOCKER = "the default Docker socket"


def find_connection(backup: Backup, endpoints: Mapping[str, EngineEndpoint]) -> str | None:
    """The session.endpoints key ("docker:default", "podman:NAME") whose engine and address are
    the ones the backup was taken on; the current context wins when several point there."""
    address = str(backup.manifest.get("connection") or "")
    if address == _IMPLICIT_DOCKER:
        from ..connections.engines import DEFAULT_DOCKER_HOST

        address = DEFAULT_DOCKER_HOST
    if not address:
        return None
    matches = [
        (not endpoint.is_current, key)
        for key, endpoint in endpoints.items()
        if endpoint.engine == backup.engine and endpoint.host.rstrip("/") == address.rstrip("/")
    ]
    return min(matches)[1] if matches else None


def service_key(backup: Backup, connection: str) -> str:
    """``Service.key`` of the backup's service on that connection: the task runner's mutation
    key (a restore never overlaps a deploy of the same service) and what screens reload on.
    A compose service is backed up as "project/service" (``Service.title``)."""
    runtime, _, context = connection.partition(":")
    namespace, _, name = backup.service.rpartition("/")
    return f"{runtime}/{context}/{namespace}/{name}"


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would do, as the engine says right now."""

    backup: Backup
    connection: str  # "docker:default"
    service_key: str
    production: bool
    exists: bool  # a container of that name exists now and will be replaced
    current_image: str = ""  # its image reference
    current_image_id: str = ""
    current_state: str = ""  # running, exited, ...

    @property
    def will_start(self) -> bool:
        return self.backup.manifest.get("state") == "running"


@dataclass(frozen=True)
class RestoreOutcome:
    plan: RestorePlan
    container_id: str
    sentence: str


def unknown_connection_error(backup: Backup) -> errors.NotFound:
    return errors.NotFound(
        f"Cannot restore {backup.container_name}: the backup was taken on {backup.engine} at "
        f"{backup_connection_text(backup)}, and no known Docker context or Podman connection "
        "points there.",
        hint="Add that connection (or point DOCKER_HOST / CONTAINER_HOST at it) and try again.",
    )


def plan_restore(session: Session, backup: Backup) -> RestorePlan:
    """Worker thread: find the backup's connection (discovering again when it is not known
    yet: it may have been added since) and read what a restore would replace."""
    connection = find_connection(backup, session.endpoints)
    if connection is None:
        session.discover_engines()
        connection = find_connection(backup, session.endpoints)
    if connection is None:
        raise unknown_connection_error(backup)
    engine = session.engine(connection)
    name = backup.container_name
    production = session.is_production(connection.partition(":")[2])
    key = service_key(backup, connection)
    if not engine.exists(name):
        return RestorePlan(backup, connection, key, production, exists=False)
    inspect = engine.inspect(name)
    return RestorePlan(
        backup,
        connection,
        key,
        production,
        exists=True,
        current_image=str((inspect.get("Config") or {}).get("Image", "")),
        current_image_id=str(inspect.get("Image", "")),
        current_state=str((inspect.get("State") or {}).get("Status", "")),
    )


def _audit(session: Session, plan: RestorePlan, outcome: str, detail: str) -> None:
    try:
        session.audit.append(
            connection=plan.connection,
            service=plan.backup.service,
            action="restore",
            outcome=outcome,
            from_=plan.current_image if plan.exists else "",
            to=plan.backup.image,
            detail=detail,
        )
    except OSError:
        # A full disk must not turn a restore that happened into one that "failed".
        log.exception("Could not write the audit entry for the restore of %s", plan.backup.id)


def run_restore(session: Session, plan: RestorePlan, progress: Callable[[str], None]) -> Any:
    """Worker thread: restore, then write the audit entry (also for a refusal or a failure)."""
    backup = plan.backup
    try:
        engine = session.engine(plan.connection)
        new_id = session.backups().restore(
            engine,
            backup,
            progress=lambda _step, message: progress(message),
            # the backup's image may have to come back from a registry that needs a login
            credentials=session.credentials().registry_lookup(),
        )
    except Exception as exc:
        sentence = (
            exc.sentence
            if isinstance(exc, errors.OperationError)
            else f"Restoring {backup.container_name} failed: {type(exc).__name__}: {exc}"
        )
        # BackupStore.restore checks before it touches anything; its refusals say so.
        refused = isinstance(exc, errors.Refused) or sentence.startswith("Nothing was restored")
        _audit(session, plan, "refused" if refused else "failed", sentence)
        raise
    state = "runs again" if plan.will_start else "is back (stopped, as it was backed up)"
    volumes = len(backup.volumes)
    sentence = (
        f"Restored {backup.container_name} from the backup of {backup_time(backup)}: "
        f"{backup.image} ({short_digest(backup)}) {state}"
        + (f", with its {volumes} volume(s) as they were." if volumes else ".")
    )
    _audit(session, plan, "restored", f"{sentence} Backup {backup.id}.")
    return RestoreOutcome(plan, new_id, sentence)


# --------------------------------------------------------------------------- the question


def backup_time(backup: Backup) -> str:
    """When the backup was taken, in local time and without an age: it goes into the audit
    log, where "(3m)" would be wrong a minute later."""
    try:
        when = datetime.fromisoformat(backup.created.replace("Z", "+00:00"))
    except ValueError:
        return backup.created
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def replaced_items(plan: RestorePlan) -> list[str]:
    """Exactly what the restore replaces, one rich-text sentence each."""
    b = plan.backup
    name = _html(b.container_name)
    items = []
    if plan.exists:
        items.append(
            f"the container <b>{name}</b>, now on <b>{_html(plan.current_image)}</b> "
            f"({_html(plan.current_image_id[:19])}, {_html(plan.current_state or 'unknown')}): "
            "removed and created again from the backup's configuration"
        )
    else:
        items.append(
            f"no container is called <b>{name}</b> now: it will be created from the backup's "
            "configuration"
        )
    for v in b.volumes:
        if v.type == "volume":
            item = (
                f"the volume <b>{_html(v.name)}</b> (at {_html(v.destination)}): emptied and "
                f"filled with the backup's {human_size(v.size)}; files written since the backup "
                "are lost"
            )
        else:
            item = (
                f"the bind mount <b>{_html(v.source)}</b> (at {_html(v.destination)}): the "
                f"backup's {human_size(v.size)} of files written over it"
            )
        if b.engine == "podman" and v.read_by == "engine":
            # Podman's archive API names its caller as every file's owner (podman#3767).
            item += (
                "; Podman's archive API recorded every file as root's, so files that belonged "
                "to another user come back owned by root"
            )
        items.append(item)
    if not b.volumes:
        items.append("no volumes: the backup holds the configuration only")
    return items


def _fit_height(dialog: QDialog) -> None:
    """Size the dialog to its text at its width: the size hint of word-wrapped labels is taken
    at a narrow width, which leaves a tall dialog with a hole above the buttons."""
    layout = dialog.layout()
    width = dialog.minimumWidth()
    if layout is not None and layout.hasHeightForWidth():
        dialog.resize(width, layout.totalHeightForWidth(width))


class RestoreConfirmDialog(QDialog):
    """Non-blocking (``open()``, then a test clicks; STYLE.md §7); Cancel is the default."""

    def __init__(self, plan: RestorePlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDeployDialog")
        self.setWindowTitle("Restore from backup?")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.plan = plan
        b = plan.backup
        layout = QVBoxLayout(self)
        layout.setSpacing(10)

        headline = QLabel(
            f"<b>Restore {_html(b.container_name)} from its backup of "
            f"{_html(created_text(b.created))}?</b>",
            self,
        )
        headline.setWordWrap(True)
        layout.addWidget(headline)

        where_row = QHBoxLayout()
        where = QLabel(
            f"On <b>{_html(plan.connection)}</b> · service <b>{_html(b.service)}</b>. "
            "This replaces:",
            self,
        )
        where.setWordWrap(True)
        where_row.addWidget(where, 1)
        if plan.production:
            where_row.addWidget(production_badge(self), 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(where_row)

        replaced = QLabel(
            "<ul style='margin-left:-20px'>"
            + "".join(f"<li>{item}</li>" for item in replaced_items(plan))
            + "</ul>",
            self,
        )
        replaced.setObjectName("restoreReplacedText")
        replaced.setWordWrap(True)
        replaced.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(replaced)

        start = "started" if plan.will_start else "left stopped"
        after = QLabel(
            f"It comes back on <b>{_html(b.image)}</b> ({_html(short_digest(b))}) and is {start}, "
            "as it was when backed up. The current container is backed up aside first: if the "
            "restore fails, it is put back as it was. The result goes to the activity log.",
            self,
        )
        after.setWordWrap(True)
        layout.addWidget(after)

        self.guard: TypedNameGuard | None = None
        if plan.production:
            self.guard = TypedNameGuard(b.container_name, plan.connection, self)
            layout.addWidget(self.guard)

        # Spare height goes below the text, not between the paragraphs.
        layout.addStretch(1)
        buttons = QDialogButtonBox(self)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = QPushButton(f"Restore {b.container_name}", self)
        self.confirm_button.setObjectName("confirmDeployButton")
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        # Cancel is what Enter does: a reflex keypress must never replace a container.
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self._accept_if_allowed)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        if self.guard is not None:
            self.guard.satisfied_changed.connect(self.confirm_button.setEnabled)
            self.confirm_button.setEnabled(False)
        self.setMinimumWidth(640)
        _fit_height(self)

    def _accept_if_allowed(self) -> None:
        if self.guard is None or self.guard.satisfied:
            self.accept()


class DeleteBackupsDialog(QDialog):
    """The question before deleting backups: which ones, how much; Cancel is the default."""

    def __init__(self, backups: list[Backup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDeleteBackupDialog")
        self.setWindowTitle("Delete backups?")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.backups = backups
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        count = len(backups)
        total = human_size(sum(b.size for b in backups))
        noun = "this backup" if count == 1 else f"these {count} backups"
        headline = QLabel(f"<b>Delete {noun} ({total})?</b> This cannot be undone.", self)
        headline.setWordWrap(True)
        layout.addWidget(headline)
        shown = backups[:10]
        listing = QLabel(
            "<ul style='margin-left:-20px'>"
            + "".join(
                f"<li><b>{_html(b.service)}</b> · {_html(created_text(b.created))} · "
                f"{_html(b.image)}</li>"
                for b in shown
            )
            + (f"<li>… and {count - len(shown)} more</li>" if count > len(shown) else "")
            + "</ul>",
            self,
        )
        listing.setWordWrap(True)
        listing.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(listing)
        layout.addStretch(1)
        buttons = QDialogButtonBox(self)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = QPushButton("Delete", self)
        self.confirm_button.setObjectName("confirmDeleteBackupButton")
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setDefault(False)
        self.cancel_button.setDefault(True)
        self.confirm_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        _fit_height(self)

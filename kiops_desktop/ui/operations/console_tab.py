"""Command Execution: a console pinned to the service's context (and namespace) that runs
kubectl, docker or podman as an argument list, streams the output, can be stopped, asks before
commands that change something, and makes the other tabs refresh after them.

The rules (what is refused, how commands are pinned, what counts as a change) are pure and live
in :mod:`kiops_desktop.ops.console`; the process is a QProcess in
:mod:`kiops_desktop.ui.console_process`; this module is only the widget.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ...connections.redact import redact
from ...core.services import Service
from ...ops.console import (
    REVISION_PLACEHOLDER,
    RUNTIME_TITLES,
    Command,
    CommandRefused,
    ConsoleTarget,
    Outcome,
    engine_logs_command,
    engine_ps_command,
    prepare,
    rollout_history_command,
    rollout_undo_command,
)
from ..console_confirm import ConsoleConfirmDialog
from ..console_process import ConsoleProcess
from ..guard import production_badge
from ..session import Session
from .base import OperationsTab

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
CAPTURE_LIMIT = 1024 * 1024  # characters of stdout/stderr kept per run for ``last_run``

# Command history per session and service, in memory only: a command line can hold a token or a
# password, so it is never written to disk. Keyed by the session's signal object (a plain,
# hashable QObject that lives as long as the session) so two sessions never share a history.
_HISTORIES: weakref.WeakKeyDictionary[QObject, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def command_history(session: Session, service: Service) -> list[str]:
    """The commands typed for ``service`` in this session, oldest first (a live list)."""
    return _HISTORIES.setdefault(session.events, {}).setdefault(service.key, [])


@dataclass
class ConsoleRun:
    """One finished run, for whoever listens to ``ConsoleTab.run_finished``."""

    command: Command
    outcome: Outcome
    seconds: float
    stdout: str = ""
    stderr: str = ""


@dataclass
class _Capture:
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    size: int = 0

    def add(self, text: str, is_stderr: bool) -> None:
        if self.size >= CAPTURE_LIMIT:
            return
        text = text[: CAPTURE_LIMIT - self.size]
        self.size += len(text)
        (self.stderr if is_stderr else self.stdout).append(text)


class CommandLineEdit(QLineEdit):
    """The input line: Enter and Ctrl+Enter submit, Up/Down walk the history, Esc stops a
    running command (and otherwise leaves Esc to the dialog)."""

    submitted = Signal()
    history_requested = Signal(int)  # -1 older, +1 newer
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.running = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            event.accept()
        elif key == Qt.Key.Key_Up:
            self.history_requested.emit(-1)
            event.accept()
        elif key == Qt.Key.Key_Down:
            self.history_requested.emit(1)
            event.accept()
        elif key == Qt.Key.Key_Escape and self.running:
            self.stop_requested.emit()
            event.accept()
        else:
            super().keyPressEvent(event)


class ConsoleTab(OperationsTab):
    title = "Command Execution"

    run_started = Signal(object)  # Command
    run_finished = Signal(object)  # ConsoleRun
    refused = Signal(str)  # the sentence shown instead of running

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("consoleTab")
        engine_url = None
        if service.runtime != "kubernetes" and "://" in service.context:
            engine_url = service.context  # a connection known only by its URL (DOCKER_HOST)
        self.target = ConsoleTarget(
            runtime=service.runtime,
            context=service.context,
            namespace=service.namespace if service.runtime == "kubernetes" else "",
            engine_url=engine_url,
        )
        self._engine_resolved = service.runtime != "podman" or engine_url is not None
        self._waiting_text: str | None = None  # typed before the podman connection was known

        self.process = ConsoleProcess(self)
        self.process.output_received.connect(self._on_output)
        self.process.finished.connect(self._on_finished)
        self.current: Command | None = None
        self.last_run: ConsoleRun | None = None
        self.confirm_dialog: ConsoleConfirmDialog | None = None
        self._capture = _Capture()
        self._started_at = 0.0
        self._history = command_history(session, service)
        self._history_index = len(self._history)
        self._draft = ""
        self._at_line_start = True

        self._build()
        if not self._engine_resolved:
            self._resolve_podman_connection()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        top = QHBoxLayout()
        top.setSpacing(6)
        self.pin_label = QLabel(self._pin_text(), self)
        self.pin_label.setObjectName("consolePinLabel")
        self.pin_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pin_label.setToolTip(
            "Commands run pinned here unless they name their own "
            + (
                "--context or namespace (-n, -A)."
                if self.service.runtime == "kubernetes"
                else "connection (--context, -H, --connection, --url)."
            )
        )
        top.addWidget(self.pin_label)
        if self.service.production:
            top.addWidget(production_badge(self))
        top.addStretch(1)
        self.quick_buttons: list[QPushButton] = []
        if self.service.runtime == "kubernetes":
            self._quick(top, "Rollout history", "quickHistoryButton", self.insert_history)
            self._quick(top, "Undo to revision…", "quickUndoButton", self.insert_undo)
        else:
            self._quick(top, "Containers", "quickPsButton", self.insert_ps)
            self._quick(top, "Recent logs", "quickLogsButton", self.insert_logs)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("clearOutputButton")
        self.clear_button.setToolTip("Clear the output (Ctrl+L)")
        self.clear_button.clicked.connect(self.clear_output)
        top.addSpacing(12)
        top.addWidget(self.clear_button)
        self.body.addLayout(top)

        self.output = QPlainTextEdit(self)
        self.output.setObjectName("commandOutput")
        self.output.setReadOnly(True)
        self.output.setUndoRedoEnabled(False)
        self.output.setFont(mono)
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # tables stay tables
        self.output.setMaximumBlockCount(max(100, self.session.settings.console_output_cap_lines))
        self.output.setPlaceholderText(self._placeholder())
        self.output.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.body.addWidget(self.output, 1)

        row = QHBoxLayout()
        row.setSpacing(6)
        prompt = QLabel("$", self)
        prompt.setFont(mono)
        row.addWidget(prompt)
        self.input = CommandLineEdit(self)
        self.input.setObjectName("commandInput")
        self.input.setFont(mono)
        self.input.setClearButtonEnabled(True)
        self.input.setPlaceholderText(
            f"{self.target.program} … — Enter runs, ↑/↓ history"
            if self.service.runtime != "kubernetes"
            else f"kubectl rollout history deployment/{self.service.name} — Enter runs, ↑/↓ history"
        )
        self.input.setAccessibleName("Command")
        self.input.submitted.connect(self.run_command)
        self.input.history_requested.connect(self._walk_history)
        self.input.stop_requested.connect(self.stop_command)
        row.addWidget(self.input, 1)
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("runCommandButton")
        self.run_button.setToolTip("Run the command (Enter or Ctrl+Enter)")
        self.run_button.clicked.connect(self.run_command)
        row.addWidget(self.run_button)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopCommandButton")
        self.stop_button.setToolTip("Stop the running command (Esc in the command line)")
        self.stop_button.clicked.connect(self.stop_command)
        self.stop_button.setEnabled(False)
        row.addWidget(self.stop_button)
        self.body.addLayout(row)

        self.status = QLabel(self)
        self.status.setObjectName("consoleStatus")
        self.status.setText(self._idle_status())
        self.body.addWidget(self.status)

        clear = QShortcut(QKeySequence("Ctrl+L"), self)
        clear.activated.connect(self.clear_output)
        self.setFocusProxy(self.input)

    def _quick(self, row: QHBoxLayout, text: str, name: str, slot: Callable[[], None]) -> None:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(lambda _checked=False: slot())
        row.addWidget(button)
        self.quick_buttons.append(button)

    def _pin_text(self) -> str:
        t = self.target
        title = RUNTIME_TITLES.get(t.runtime, t.runtime)
        if t.runtime == "kubernetes":
            text = f"{title} context <b>{_html(t.context)}</b>"
            if t.namespace:
                text += f" · namespace <b>{_html(t.namespace)}</b>"
        else:
            kind = "connection" if t.runtime == "podman" else "context"
            text = f"{title} {kind} <b>{_html(t.context)}</b>"
        return f"<span style='color:palette(placeholder-text)'>Pinned to</span> {text}"

    def _placeholder(self) -> str:
        if self.service.runtime == "kubernetes":
            example = rollout_history_command(self.service.name)
        else:
            example = engine_ps_command(self.target.program, self.service.name)
        return (
            f"Output appears here. Try: {example}\n\n"
            "Commands run without a shell: pipes, redirections and ';' are refused. "
            "Commands that change something ask first."
        )

    def _idle_status(self) -> str:
        return "Ready. Enter or Ctrl+Enter runs · ↑/↓ history · Esc stops · Ctrl+L clears"

    # -- OperationsTab ------------------------------------------------------------------------
    def refresh(self) -> None:
        # Nothing to reload: the console shows what was run. (Called after every change to the
        # service, including the ones this console made.)
        pass

    def shutdown(self) -> None:
        if self.confirm_dialog is not None:
            self.confirm_dialog.reject()
        self.process.kill_now()

    # -- quick commands -----------------------------------------------------------------------
    def insert_history(self) -> None:
        self._insert(rollout_history_command(self.service.name))

    def insert_undo(self, revision: int | None = None) -> None:
        """Insert the undo command for ``revision``, else for the revision selected in the
        Deployment Management tab, else with the ``N`` placeholder selected so the operator
        types the number over it (running it as is is refused)."""
        if revision is None:
            revision = self._selected_revision()
        text = rollout_undo_command(self.service.name, revision)
        self._insert(text)
        if revision is None:
            start = text.rindex(REVISION_PLACEHOLDER)
            self.input.setSelection(start, len(REVISION_PLACEHOLDER))

    def _selected_revision(self) -> int | None:
        # Duck-typed: the Deployment Management tab is a sibling in the same dialog, and the
        # console must work without it (container services, a tab that failed to load).
        deployment_tab = self.window().findChild(QWidget, "deploymentTab")
        selected = getattr(deployment_tab, "selected_revision", None)
        revision = selected() if callable(selected) else None
        number = getattr(revision, "number", None)
        return number if isinstance(number, int) else None

    def insert_ps(self) -> None:
        self._insert(engine_ps_command(self.target.program, self.service.name))

    def insert_logs(self) -> None:
        self._insert(engine_logs_command(self.target.program, self.service.name))

    def _insert(self, text: str) -> None:
        self.input.setText(text)
        self.input.setFocus()
        self.input.end(False)

    # -- history ------------------------------------------------------------------------------
    def _remember(self, text: str) -> None:
        if not self._history or self._history[-1] != text:
            self._history.append(text)
            del self._history[:-HISTORY_LIMIT]
        self._history_index = len(self._history)
        self._draft = ""

    def _walk_history(self, step: int) -> None:
        if not self._history:
            return
        if self._history_index == len(self._history):
            self._draft = self.input.text()  # what was being typed comes back after the newest
        index = min(max(self._history_index + step, 0), len(self._history))
        if index == self._history_index:
            return
        self._history_index = index
        self.input.setText(self._draft if index == len(self._history) else self._history[index])

    # -- running ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process.running

    def run_command(self, text: str | None = None) -> None:
        """Run ``text`` (default: the input line): refused with a sentence, asked about, or
        started."""
        if not isinstance(text, str):
            text = self.input.text()  # called by a signal (clicked(bool), submitted())
        if not text.strip():
            return
        if self.running or self.confirm_dialog is not None:
            self.status.setText("A command is still running or waiting for an answer.")
            return
        self._remember(text)
        self.input.clear()
        if not self._engine_resolved:
            self._waiting_text = text
            self.status.setText("Looking up the Podman connection…")
            return
        self._dispatch(text)

    def _dispatch(self, text: str) -> None:
        try:
            command = prepare(text, self.target)
        except CommandRefused as refusal:
            self._refuse(refusal.sentence)
            return
        if command.mutating:
            self._ask(command)
        else:
            self._start(command)

    def _refuse(self, sentence: str) -> None:
        self._separate()
        self._append_line(f"✗ {sentence}", self._fmt("refusal"))
        # The pane does not wrap (tables stay tables), so the sentence is also shown where it
        # can be read whole.
        self.banner.show_message(sentence, "warning")
        self.status.setText("Not run.")
        self.refused.emit(sentence)

    def _production(self, command: Command) -> bool:
        return self.service.production or self.session.is_production(
            command.context or self.service.context
        )

    def _ask(self, command: Command) -> None:
        dialog = ConsoleConfirmDialog(
            command, self.service, production=self._production(command), parent=self
        )
        self.confirm_dialog = dialog
        dialog.accepted.connect(lambda: self._start(command))
        dialog.rejected.connect(lambda: self._append_line("Cancelled.", self._fmt("outcome")))
        dialog.finished.connect(self._on_dialog_closed)
        self.status.setText("Waiting for confirmation…")
        dialog.open()

    def _on_dialog_closed(self) -> None:
        self.confirm_dialog = None
        if not self.running:
            self.status.setText(self._idle_status())

    def _program_path(self, command: Command) -> str | None:
        if command.program == "kubectl":
            return self.session.kubectl_binary()
        return command.program  # QProcess looks it up on PATH

    def _environment(self) -> dict[str, str]:
        env = {
            # A user's kuberc can alias verbs and add default flags: the command shown (and
            # classified as read or change) must be the command that runs.
            "KUBERC": "off",
        }
        kubeconfig = self.session.kubeconfig_env
        if kubeconfig:
            env["KUBECONFIG"] = kubeconfig
        return env

    def _start(self, command: Command) -> None:
        binary = self._program_path(command)
        self.banner.hide()
        self._separate()
        self._append_line(f"$ {command.display}", self._fmt("echo"))
        if binary is None:
            self._refuse(
                "No kubectl found: the bundled kubectl is missing and none is on PATH "
                "(choose one in Settings)."
            )
            return
        self.current = command
        self._capture = _Capture()
        self._started_at = time.monotonic()
        self._set_running(True)
        self.status.setText(f"Running {command.program}…")
        self.run_started.emit(command)
        self.process.start(binary, command.args, self._environment())

    def stop_command(self) -> None:
        if self.running:
            self.status.setText("Stopping…")
            self.process.stop()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.input.running = running

    def _on_output(self, text: str, is_stderr: bool) -> None:
        self._capture.add(text, is_stderr)
        self._append(text, self._fmt("stderr" if is_stderr else "stdout"))

    def _on_finished(self, outcome: Outcome) -> None:
        command = self.current
        seconds = time.monotonic() - self._started_at
        self.current = None
        self._set_running(False)
        self._append_line(f"— {outcome.sentence} ({seconds:.1f} s)", self._fmt("outcome"))
        self.status.setText(f"{outcome.sentence[:1].upper()}{outcome.sentence[1:]}.")
        if command is None:
            return
        run = ConsoleRun(
            command,
            outcome,
            seconds,
            "".join(self._capture.stdout),
            "".join(self._capture.stderr),
        )
        self.last_run = run
        if command.mutating and not outcome.start_error:
            self.session.audit_entry(
                self.service, "console command", outcome.audit_outcome, detail=command.display
            )
            # Even a failed or stopped change may have changed something: every tab showing
            # this service reloads (the seed's "history may be out of sync" cannot happen).
            self.session.events.service_changed.emit(self.service.key)
        self.run_finished.emit(run)

    # -- podman connection --------------------------------------------------------------------
    def _resolve_podman_connection(self) -> None:
        """A Podman "connection" from discovery may be a local socket or CONTAINER_HOST, which
        podman only reaches by URL: look it up off the UI thread (it runs podman)."""
        name = self.service.context

        def job(_ctx: object) -> str | None:
            from ...connections.engines import podman_endpoints

            for endpoint in podman_endpoints():
                if endpoint.name == name:
                    return None if endpoint.source == "podman connection" else endpoint.host
            return None

        self.session.runner.submit(
            job,
            description=f"look up Podman connection {name}",
            on_done=self._on_podman_resolved,
            on_error=lambda _error: self._on_podman_resolved(None),
            owner=self,
        )

    def _on_podman_resolved(self, url: object) -> None:
        if isinstance(url, str):
            self.target = ConsoleTarget("podman", self.service.context, engine_url=url)
        self._engine_resolved = True
        self.status.setText(self._idle_status())
        waiting, self._waiting_text = self._waiting_text, None
        if waiting is not None:
            self._dispatch(waiting)

    # -- output pane --------------------------------------------------------------------------
    def clear_output(self) -> None:
        self.output.clear()
        self._at_line_start = True

    def _fmt(self, kind: str) -> QTextCharFormat:
        fmt = QTextCharFormat()
        palette = self.output.palette()
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        if kind == "stderr":
            fmt.setForeground(QColor("#ef9a9a" if dark else "#b71c1c"))
        elif kind == "echo":
            fmt.setForeground(palette.color(QPalette.ColorRole.Link))
            fmt.setFontWeight(QFont.Weight.Bold)
        elif kind == "outcome":
            fmt.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
            fmt.setFontItalic(True)
        elif kind == "refusal":
            fmt.setForeground(QColor("#ffb74d" if dark else "#a84300"))
            fmt.setFontWeight(QFont.Weight.Bold)
        return fmt

    def _separate(self) -> None:
        """A blank line between one run and the next, so each command's output stands apart."""
        if not self.output.document().isEmpty():
            self._append_line("", self._fmt("outcome"))

    def _append_line(self, text: str, fmt: QTextCharFormat) -> None:
        self._append(("" if self._at_line_start else "\n") + text + "\n", fmt)

    def _append(self, text: str, fmt: QTextCharFormat) -> None:
        if not text:
            return
        # One redactor for everything shown: a token printed by `kubectl config view --raw`
        # or an Authorization header in `-v=8` output never reaches the screen (or a screenshot).
        text = redact(text)
        bar = self.output.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 2  # keep following unless scrolled up to read
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, fmt)
        self._at_line_start = text.endswith("\n")
        if follow:
            bar.setValue(bar.maximum())


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

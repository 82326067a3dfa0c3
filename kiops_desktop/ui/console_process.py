"""One console run as a QProcess: program + argument list (never a shell), output streamed by
signal as it arrives, Stop = terminate then kill after a grace period, and an
:class:`~kiops_desktop.ops.console.Outcome` that says in words how it ended.

Modelled on qutebrowser's ``misc/guiprocess.py`` (STYLE.md §8): QProcess does the I/O on the
event loop, so there is no thread around ``subprocess`` and nothing blocks the UI thread.
"""

from __future__ import annotations

import codecs
import logging
import sys
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ..ops.console import Outcome

log = logging.getLogger(__name__)

STOP_GRACE_MS = 3000  # after terminate(): time to exit cleanly before kill()
PARTIAL_FLUSH_MS = 150  # a line without its newline yet (a prompt, progress) shows after this
PARTIAL_MAX = 64 * 1024  # ... or once it is this long (binary output has no newlines)


class _Channel:
    """Decodes one output channel incrementally (a UTF-8 sequence split across reads stays
    intact) and hands out whole lines, so stdout and stderr interleave by line, not mid-line."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def feed(self, data: bytes) -> str:
        text = self._partial + self._decoder.decode(data)
        held = ""
        if text.endswith("\r"):  # maybe the first half of a "\r\n" split across reads
            text, held = text[:-1], "\r"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        cut = text.rfind("\n") + 1
        if cut == 0 and len(text) < PARTIAL_MAX:
            self._partial = text + held
            return ""
        if cut == 0:
            cut = len(text)
        self._partial = text[cut:] + held
        return text[:cut]

    def flush(self, final: bool = False) -> str:
        text = self._partial + (self._decoder.decode(b"", final=True) if final else "")
        self._partial = ""
        return text.replace("\r\n", "\n").replace("\r", "\n")

    @property
    def pending(self) -> bool:
        return bool(self._partial)


class ConsoleProcess(QObject):
    """Runs one command at a time. ``output_received(text, is_stderr)`` streams its output;
    ``finished(Outcome)`` fires exactly once per :meth:`start`."""

    started = Signal()
    output_received = Signal(str, bool)
    finished = Signal(object)  # Outcome

    def __init__(self, parent: QObject | None = None, *, grace_ms: int = STOP_GRACE_MS) -> None:
        super().__init__(parent)
        self.grace_ms = grace_ms
        self._proc: QProcess | None = None
        self._stdout = _Channel()
        self._stderr = _Channel()
        self._stop_requested = False
        self._done = True
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill_if_running)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush_partials)

    @property
    def running(self) -> bool:
        return not self._done

    @property
    def pid(self) -> int:
        return int(self._proc.processId()) if self._proc is not None else 0

    def start(self, program: str, args: Sequence[str], env: Mapping[str, str]) -> None:
        """Start ``program`` with ``args`` (exactly these arguments, no shell) and the app's
        environment plus ``env``."""
        if self.running:
            raise RuntimeError("a command is already running")
        self._dispose()
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in env.items():
            environment.insert(key, value)
        proc.setProcessEnvironment(environment)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        proc.started.connect(self.started)
        self._proc = proc
        self._stdout = _Channel()
        self._stderr = _Channel()
        self._stop_requested = False
        self._done = False
        log.debug("console: starting %s with %d arguments", program, len(args))
        proc.start(program, list(args))
        # No stdin: a command that would prompt (a password, an editor's terminal) reads EOF
        # and gives up instead of waiting for input the console cannot give.
        proc.closeWriteChannel()

    def stop(self) -> None:
        """Ask the process to end (SIGTERM), and kill it if it is still there after the grace
        period. Windows console programs cannot be asked politely, so they are killed."""
        if not self.running or self._proc is None:
            return
        self._stop_requested = True
        if sys.platform == "win32":
            self._proc.kill()
            return
        self._proc.terminate()
        self._kill_timer.start(self.grace_ms)

    def kill_now(self, wait_ms: int = 3000) -> None:
        """End the process at once and wait for it (closing the dialog): a QProcess destroyed
        while its process runs leaves a zombie and warns."""
        if self._proc is None:
            return
        if self.running:
            self._stop_requested = True
            self._proc.kill()
            if not self._proc.waitForFinished(wait_ms):
                log.warning("console: process %s did not end after kill", self.pid)

    # -- internals ------------------------------------------------------------------------------
    def _kill_if_running(self) -> None:
        if self.running and self._proc is not None:
            log.info("console: process %s ignored SIGTERM; killing it", self.pid)
            self._proc.kill()

    def _read_stdout(self) -> None:
        if self._proc is not None:
            self._emit(self._stdout.feed(bytes(self._proc.readAllStandardOutput().data())), False)

    def _read_stderr(self) -> None:
        if self._proc is not None:
            self._emit(self._stderr.feed(bytes(self._proc.readAllStandardError().data())), True)

    def _emit(self, text: str, is_stderr: bool) -> None:
        if text:
            self.output_received.emit(text, is_stderr)
        if (self._stdout.pending or self._stderr.pending) and not self._flush_timer.isActive():
            self._flush_timer.start(PARTIAL_FLUSH_MS)

    def _flush_partials(self, final: bool = False) -> None:
        for channel, is_stderr in ((self._stdout, False), (self._stderr, True)):
            text = channel.flush(final)
            if text:
                self.output_received.emit(text, is_stderr)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._done:
            return
        self._read_stdout()
        self._read_stderr()
        self._flush_timer.stop()
        self._flush_partials(final=True)
        crashed = status == QProcess.ExitStatus.CrashExit and not self._stop_requested
        outcome = Outcome(
            code=None if status == QProcess.ExitStatus.CrashExit else code,
            stopped=self._stop_requested,
            crashed=crashed,
        )
        self._finish(outcome)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        # Only a failed start ends a run here; a crash is also reported by ``finished``.
        if error == QProcess.ProcessError.FailedToStart and not self._done:
            reason = self._proc.errorString() if self._proc is not None else "unknown error"
            self._finish(Outcome(start_error=reason))

    def _finish(self, outcome: Outcome) -> None:
        self._done = True
        self._kill_timer.stop()
        self.finished.emit(outcome)

    def _dispose(self) -> None:
        if self._proc is not None:
            self._proc.deleteLater()
            self._proc = None

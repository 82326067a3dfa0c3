"""``kiops-desktop --self-test``: prove that this installation works, then exit.

The installers' smoke test runs it on the installed (frozen) app; it runs from source too. It
does what an operator's first minute does, offscreen unless ``QT_QPA_PLATFORM`` says otherwise:

1. opens the main window on the embedded demo sandbox (as ``--demo``) and times the first paint;
2. waits until ``shop/storefront`` is listed and opens its operations dialog;
3. waits until the Deployment Management tab's history text shows
   ``deployment.apps/storefront`` (what ``kubectl rollout history`` prints);
4. runs ``kubectl version --client`` through the Command Execution tab with the bundled kubectl
   (a kubectl found on ``PATH`` instead would hide a broken bundle, so that is a failure) and
   waits for exit code 0;
5. loads the keyring (``keyring.get_keyring()``) and checks through the app's credential store
   that the keyring answers and is unlocked;
6. runs the kubectl credential plugin the app writes into kubeconfigs (in a frozen app the
   ``kiops-desktop-credential`` executable beside ``kiops-desktop``) for a name that has no
   credential: it must start, reach the keyring and answer "no credential" (exit 1).

It prints one line per check and exits 0, or 1 with a sentence naming the first check that
failed, or 1 when ``--self-test-timeout`` seconds pass (a watchdog ends a wedged process too).

Keyring: a backend that cannot store anything (keyring's ``fail`` or ``null``) fails the test,
because a frozen bundle that lost its backend modules looks exactly like that and the app would
then refuse to keep any secret. ``--self-test-allow-no-keyring`` is for machines that have no
keyring service at all (a bare CI container without D-Bus): the keyring check then passes with
a note, but the backend modules for this OS must still import, so the bundle is still checked.

App files (logs, window state, settings) go to a temporary ``KIOPS_HOME`` unless one is set, so a
self-test leaves nothing behind in the user's directories. ``KIOPS_STARTED_AT`` (a
``time.time()`` value set by a parent process just before it started this one) makes the first
paint count from that moment; the packaging benchmark uses it to compare frozen and source.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

SERVICE = ("storefront", "shop")  # a deployment of the sandbox's demo scenario
HISTORY_MARK = "deployment.apps/storefront"
CONSOLE_COMMAND = "kubectl version --client"
PLUGIN_PROBE_NAME = "kiops-self-test-no-such-cluster"
STARTED_AT_ENV = "KIOPS_STARTED_AT"
# The keyring backends that store nothing: a frozen app missing its real backends ends up here.
NO_KEYRING_MODULES = ("keyring.backends.fail", "keyring.backends.null")
NATIVE_BACKENDS = {
    "linux": ("keyring.backends.SecretService",),
    "darwin": ("keyring.backends.macOS",),
    "win32": ("keyring.backends.Windows",),
}
WATCHDOG_GRACE = 15.0  # seconds past the timeout before a wedged process is ended from outside


class SelfTestFailed(Exception):
    """One check failed; ``str()`` is the sentence to print."""


@dataclass
class Report:
    started: float = field(default_factory=time.perf_counter)
    lines: list[str] = field(default_factory=list)

    def ok(self, check: str, text: str) -> None:
        line = f"ok    {check}: {text}"
        self.lines.append(line)
        print(line, flush=True)

    def note(self, check: str, text: str) -> None:
        line = f"note  {check}: {text}"
        self.lines.append(line)
        print(line, flush=True)


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _deadline_wait(app: QApplication, until: Callable[[], Any], deadline: float, what: str) -> Any:
    """Run the event loop until ``until()`` returns something truthy (and return it)."""
    while True:
        value = until()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SelfTestFailed(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def _platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def check_keyring(report: Report, *, allow_missing: bool) -> None:
    """Step 5: a keyring backend that can hold secrets loads and answers."""
    import keyring

    from .connections.credentials import CredentialStore, KeyringUnavailable

    backend = keyring.get_keyring()
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__name__}"
    # The chainer wraps the real ones: name what is inside, that is what a bundle must carry.
    inner = [f"{type(b).__module__}.{type(b).__name__}" for b in getattr(backend, "backends", [])]
    shown = f"{name} [{', '.join(inner)}]" if inner else name
    missing = cls.__module__ in NO_KEYRING_MODULES or (
        cls.__module__ == "keyring.backends.chainer" and not inner
    )
    if missing:
        native = NATIVE_BACKENDS.get(_platform_key(), ())
        for module in native:  # the bundle must carry them even when the machine has no keyring
            try:
                importlib.import_module(module)
            except Exception as exc:
                raise SelfTestFailed(
                    f"the keyring backend {module} cannot be imported: {exc}"
                ) from exc
        if not allow_missing:
            raise SelfTestFailed(
                f"no usable keyring: keyring.get_keyring() gave {shown}, which stores nothing "
                "(run inside a desktop session, or pass --self-test-allow-no-keyring)"
            )
        report.note(
            "keyring",
            f"{shown}: no keyring service on this machine (allowed); "
            f"{', '.join(native) or 'no native backend'} imports",
        )
        return
    try:
        status = CredentialStore().check()
    except KeyringUnavailable as exc:
        if not allow_missing:
            raise SelfTestFailed(f"the keyring did not answer: {exc.message()}") from exc
        report.note("keyring", f"{shown} loaded but unusable (allowed): {exc.message()}")
        return
    report.ok("keyring", f"{shown} — {status.backend}, reachable and unlocked")


def check_credential_plugin(report: Report, *, keyring_usable: bool) -> None:
    """Step 6: the exec plugin that app-written kubeconfigs call starts and reaches the keyring."""
    from .connections.credential_plugin import EXIT_KEYRING, EXIT_MISSING, plugin_command

    command = [*plugin_command(), PLUGIN_PROBE_NAME]
    if _frozen() and Path(command[0]).resolve() == Path(sys.executable).resolve():
        raise SelfTestFailed(
            "the kiops-desktop-credential executable is missing beside kiops-desktop"
        )
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SelfTestFailed(f"the credential plugin {command[0]} did not run: {exc}") from exc
    expected = {EXIT_MISSING} if keyring_usable else {EXIT_MISSING, EXIT_KEYRING}
    if done.returncode not in expected:
        raise SelfTestFailed(
            f"the credential plugin {command[0]} exited {done.returncode} "
            f"(expected {sorted(expected)}): {done.stderr.strip()[:300]}"
        )
    meaning = "no credential" if done.returncode == EXIT_MISSING else "no keyring"
    report.ok(
        "credential plugin",
        f"{' '.join(command[:-1])} answers (exit {done.returncode}: {meaning}, as expected)",
    )


def _run_checks(app: QApplication, args: argparse.Namespace, report: Report) -> None:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QPlainTextEdit

    from .app import build_main_window
    from .ui.session import bundled_kubectl

    deadline = time.monotonic() + float(args.self_test_timeout)
    started_at_env = os.environ.get(STARTED_AT_ENV)
    origin = float(started_at_env) if started_at_env else time.time()
    since = "after process start" if started_at_env else "after the self-test began"
    painted: list[float] = []

    class PaintProbe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.time() - origin)
            return False

    # 1. the main window on the demo sandbox
    window: Any = build_main_window(["--demo"])
    probe = PaintProbe()
    window.installEventFilter(probe)
    try:
        _deadline_wait(app, lambda: painted, deadline, "the main window's first paint")
        report.ok("first paint", f"{painted[0]:.3f} s {since} ({window.objectName()})")

        # 2. the demo's services, then an operations dialog
        def listed() -> Any:
            try:
                return window.select_service(*SERVICE)
            except KeyError:
                return None

        t0 = time.perf_counter()
        service = _deadline_wait(app, listed, deadline, "the demo sandbox's shop/storefront")
        report.ok(
            "main window",
            f"demo sandbox listed {service.namespace}/{service.name} "
            f"({window.model.rowCount()} services) in {time.perf_counter() - t0:.2f} s",
        )
        dialog: Any = window.open_operations(service)
        report.ok("operations dialog", f"opened ({dialog.objectName()}: {dialog.windowTitle()})")

        # 3. the history
        deployment = dialog.tab("deploymentTab")
        dialog.tabs.setCurrentWidget(deployment)
        history = deployment.findChild(QPlainTextEdit, "historyText")
        if history is None:
            raise SelfTestFailed("the Deployment tab has no historyText")
        t0 = time.perf_counter()
        _deadline_wait(
            app, lambda: HISTORY_MARK in history.toPlainText(), deadline, "the rollout history"
        )
        revisions = sum(1 for line in history.toPlainText().splitlines() if line[:1].isdigit())
        report.ok(
            "history",
            f"{HISTORY_MARK} with {revisions} revisions in {time.perf_counter() - t0:.2f} s",
        )

        # 4. kubectl through the console, the bundled one
        kubectl = bundled_kubectl()
        if kubectl is None or not Path(kubectl).is_file():
            raise SelfTestFailed("the bundled kubectl is missing from this installation")
        console = dialog.tab("consoleTab")
        dialog.tabs.setCurrentWidget(console)
        runs: list[Any] = []
        refusals: list[str] = []
        console.run_finished.connect(runs.append)
        console.refused.connect(refusals.append)
        t0 = time.perf_counter()
        console.run_command(CONSOLE_COMMAND)
        _deadline_wait(app, lambda: runs or refusals, deadline, f"“{CONSOLE_COMMAND}”")
        if refusals:
            raise SelfTestFailed(f"the console refused “{CONSOLE_COMMAND}”: {refusals[0]}")
        run = runs[0]
        if not run.outcome.succeeded:
            raise SelfTestFailed(
                f"“{CONSOLE_COMMAND}” {run.outcome.sentence}: {run.stderr.strip()[:300]}"
            )
        first = (run.stdout.strip().splitlines() or ["(no output)"])[0]
        report.ok(
            "console",
            f"{CONSOLE_COMMAND} exited with code 0 in {time.perf_counter() - t0:.2f} s "
            f"({first}; {kubectl})",
        )
    finally:
        window.close()  # stops the demo sandbox and removes its kubeconfig
        app.processEvents()

    # 5. and 6. the keyring and the credential plugin (after the window: they may block)
    keyring_before = len(report.lines)
    check_keyring(report, allow_missing=bool(args.self_test_allow_no_keyring))
    keyring_usable = report.lines[keyring_before].startswith("ok")
    check_credential_plugin(report, keyring_usable=keyring_usable)


def _watchdog(seconds: float) -> threading.Timer:
    """Ends the process when the event loop is wedged (a blocking call on the UI thread would
    keep the deadline checks from ever running)."""

    def fire() -> None:
        print(
            f"self-test failed: no result after {seconds:.0f} s, the app is stuck",
            file=sys.stderr,
            flush=True,
        )
        os._exit(1)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def run_self_test(args: argparse.Namespace) -> int:
    """The ``--self-test`` entry point (from :func:`kiops_desktop.app.main`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A user's kuberc must not change what the console's kubectl does during the check.
    os.environ.setdefault("KUBERC", "off")
    own_home: Path | None = None
    if not os.environ.get("KIOPS_HOME"):
        own_home = Path(tempfile.mkdtemp(prefix="kiops-self-test-"))
        os.environ["KIOPS_HOME"] = str(own_home)
    watchdog = _watchdog(float(args.self_test_timeout) + WATCHDOG_GRACE)
    report = Report()
    errors: list[str] = []

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        # An exception in a slot: record it and fail (the app's crash dialog would block).
        errors.append(f"{kind.__name__}: {error}")
        traceback.print_exception(kind, error, tb)

    sys.excepthook = hook
    try:
        from PySide6.QtWidgets import QApplication

        from .app import setup_logging

        setup_logging()
        app = QApplication.instance() or QApplication([sys.argv[0]])
        app.setApplicationName("KIOPS Desktop")
        app.setOrganizationName("KIOPS")
        app.setApplicationVersion(__version__)
        how = "frozen" if _frozen() else "from source"
        print(
            f"KIOPS Desktop {__version__} self-test ({how}, Python {sys.version.split()[0]}, "
            f"Qt platform {app.platformName()})",  # type: ignore[attr-defined]
            flush=True,
        )
        _run_checks(app, args, report)  # type: ignore[arg-type]
        if errors:
            raise SelfTestFailed(f"an unexpected error happened: {errors[0]}")
    except SelfTestFailed as failure:
        print(f"self-test failed: {failure}.", flush=True)
        return 1
    except Exception as exc:
        traceback.print_exc()
        print(f"self-test failed: {type(exc).__name__}: {exc}.", flush=True)
        return 1
    finally:
        watchdog.cancel()
        if own_home is not None:
            shutil.rmtree(own_home, ignore_errors=True)
    print(f"self-test passed in {time.perf_counter() - report.started:.2f} s", flush=True)
    return 0

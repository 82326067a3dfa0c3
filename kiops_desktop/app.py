"""Start-up of KIOPS Desktop: arguments, logging, crash reporting, QApplication, main window.

Only Qt is imported before the first paint; the kubernetes client, the kubeconfig and the demo
cluster load in runner jobs after the window is on screen (ENVIRONMENT.md: ~0.25 s to a window
if nothing else is imported first).
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QMainWindow

    from .sandbox import Sandbox

log = logging.getLogger("kiops_desktop")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiops-desktop",
        description="Roll back a bad release on Kubernetes, Docker and Podman, and prove it "
        "worked.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="start the embedded sandbox cluster with demo services"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
    parser.add_argument("--context", help="kubeconfig context to select at start")
    # The installers' smoke test (kiops_desktop/selftest.py says what it checks).
    parser.add_argument("--self-test", action="store_true", help="check this installation, exit")
    parser.add_argument("--self-test-allow-no-keyring", action="store_true", help="(self-test)")
    parser.add_argument("--self-test-timeout", type=float, default=120.0, help="seconds")
    return parser


# ----------------------------------------------------------------------------- demo cluster


class DemoCluster:
    """The sandbox's ``demo`` scenario, in-process, over HTTPS with a random token.

    Its kubeconfig (which holds the token) lives in a private temporary directory that is
    removed when the demo stops.
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="kiops-demo-"))
        self.kubeconfig = self.directory / "kubeconfig"
        self._token = secrets.token_urlsafe(24)
        self._sandbox: Sandbox | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        from .sandbox import Sandbox

        sandbox = Sandbox(
            scenario="demo", tls=True, token=self._token, pod_start_delay=1.0, crash_backoff=5.0
        )
        sandbox.start()
        with self._lock:
            self._sandbox = sandbox
        sandbox.write_kubeconfig(self.kubeconfig)
        print("KIOPS Desktop demo: the sandbox cluster is running.", flush=True)
        print(f"  API server: {sandbox.url}", flush=True)
        print(f"  kubeconfig: {self.kubeconfig}", flush=True)
        print(
            f"  try: kubectl --kubeconfig {self.kubeconfig} -n shop rollout history "
            "deployment/storefront",
            flush=True,
        )

    def stop(self) -> None:
        with self._lock:
            sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# ----------------------------------------------------------------------------- logging, crashes


def setup_logging() -> Path:
    """A rotating log file in the platform's log dir, plus warnings on stderr."""
    from .connections.redact import install_log_redaction
    from .connections.settings import log_dir

    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kiops-desktop.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s")
    )
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for each in (handler, console):
        install_log_redaction(each)  # no token or password reaches a log, whoever logs it
        root.addHandler(each)
    return path


def install_excepthook(log_path: Path | None) -> None:
    """An uncaught exception is logged and shown, never a silent exit."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        log.critical("Uncaught exception", exc_info=(kind, error, tb))
        try:
            from PySide6.QtWidgets import QApplication, QMessageBox

            from .connections.redact import redact

            if QApplication.instance() is not None:
                box = QMessageBox(
                    QMessageBox.Icon.Critical,
                    "KIOPS Desktop — unexpected error",
                    f"Something went wrong that KIOPS Desktop did not expect:\n\n"
                    f"{kind.__name__}: {redact(str(error))}\n\n"
                    + (f"Details are in {log_path}." if log_path else ""),
                )
                box.setObjectName("crashDialog")
                box.setDetailedText(redact("".join(traceback.format_exception(kind, error, tb))))
                box.exec()
        except Exception:  # the crash dialog must never crash the crash handler
            sys.__excepthook__(kind, error, tb)

    sys.excepthook = hook


def apply_theme(app: QApplication) -> None:
    """Fusion follows the system's light/dark colour scheme in Qt 6 and looks the same on every
    OS, which keeps screenshots and colours (attention, production red) predictable."""
    if app.property("kiopsThemed"):
        return
    app.setStyle("Fusion")
    app.setProperty("kiopsThemed", True)


# ----------------------------------------------------------------------------- the window


def repoint_plugin_quietly() -> None:
    """Keep the app's kubeconfig pointing at this installation's credential plugin (runs in the
    first runner job, off the UI thread)."""
    from .connections.clusters import repoint_plugin

    try:
        repoint_plugin()
    except Exception:  # a broken app kubeconfig is reported when it is read, not here
        log.warning("Could not update the app's kubeconfig plugin path", exc_info=True)


def build_main_window(argv: list[str] | None = None) -> QMainWindow:
    """Build and show the main window for these command-line arguments; the caller owns the
    QApplication. Loading starts right after the first paint."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .connections.kubeconfig import kubeconfig_paths_with_app
    from .connections.settings import load_settings
    from .ui.main_window import MainWindow
    from .ui.session import Session, SessionSignals
    from .ui.tasks import TaskRunner

    args = build_parser().parse_args(argv)
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("build_main_window needs a QApplication; create one first")
    apply_theme(app)  # type: ignore[arg-type]
    demo = DemoCluster() if args.demo else None
    # The user's kubeconfig list plus the app's own file (clusters added in the app); the demo
    # shows only its sandbox.
    paths = (demo.kubeconfig,) if demo else kubeconfig_paths_with_app(args.kubeconfig)
    session = Session(
        runner=TaskRunner(),
        events=SessionSignals(),
        kubeconfig_paths=paths,
        settings=load_settings(),
    )
    window = MainWindow(
        session,
        initial_context=args.context or ("kiops-sandbox" if demo else None),
        prepare=demo.start if demo else repoint_plugin_quietly,
        title_suffix="demo cluster" if demo else "",
    )
    if demo is not None:
        window.on_close(demo.stop)
        window.demo = demo  # type: ignore[attr-defined]
    window.show()
    QTimer.singleShot(0, window.start)
    return window


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = build_parser().parse_args(args)  # --help / --version / bad flags exit before Qt
    if parsed.self_test:
        from .selftest import run_self_test

        return run_self_test(parsed)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    log_path = setup_logging()
    install_excepthook(log_path)
    app = QApplication([sys.argv[0], *args])
    app.setApplicationName("KIOPS Desktop")
    app.setOrganizationName("KIOPS")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("kiops-desktop")
    window = build_main_window(args)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        window.close()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # Python runs signal handlers only when it gets control; a idle tick gives it that.
    tick = QTimer()
    tick.start(200)
    tick.timeout.connect(lambda: None)
    code = app.exec()
    logging.shutdown()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())

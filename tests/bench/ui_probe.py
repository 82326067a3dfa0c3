"""Run as a separate process by test_ui_bench: start the app as ``kiops-desktop`` does and
report, as one JSON line, when the window first painted, when all services were listed, the
longest UI-thread stall while loading (timer heartbeat) and the resident memory.

``--baseline`` shows a plain empty QMainWindow instead: the same process, interpreter and Qt
start-up, none of our code — the yardstick for first paint.
"""

from __future__ import annotations

import json
import resource
import sys
import time

HEARTBEAT_MS = 5


def peak_rss_mb() -> float:
    """Peak resident memory of this program. Linux's ``ru_maxrss`` carries over the forking
    parent's peak across exec (the benchmark's parent holds a 10,000-deployment sandbox), so
    read this image's own high-water mark (VmHWM) where /proc has it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    started_at = float(sys.argv[1])  # the parent's time.time() just before it spawned us
    mode = sys.argv[2]
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    report: dict[str, float] = {}

    class PaintProbe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and "first_paint" not in report:
                report["first_paint"] = time.time() - started_at
            return False

    probe = PaintProbe()
    if mode == "--baseline":
        window = QMainWindow()
        window.installEventFilter(probe)
        window.resize(1280, 760)
        window.show()
        QTimer.singleShot(0, lambda: None)
        while "first_paint" not in report:
            app.processEvents()
        print(json.dumps(report), flush=True)
        return 0

    if mode == "--rollback":
        return rollback(app, sys.argv[3])
    if mode == "--deploy":
        return deploy(sys.argv[3], sys.argv[4])
    expect = int(sys.argv[3])
    kubeconfig = sys.argv[4]
    from kiops_desktop.app import build_main_window

    window = build_main_window(["--kubeconfig", kubeconfig])
    window.installEventFilter(probe)
    last = [time.perf_counter()]
    stalls: list[float] = []
    stall_at: list[float] = []
    t_start = time.perf_counter()

    def beat() -> None:
        now = time.perf_counter()
        stalls.append((now - last[0]) * 1000 - HEARTBEAT_MS)
        stall_at.append(now - t_start)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    deadline = time.time() + 120
    while time.time() < deadline:
        app.processEvents()
        if window.model.rowCount() >= expect and "listed" not in report:  # type: ignore[attr-defined]
            report["listed"] = time.time() - started_at
            break
        time.sleep(0.001)
    heartbeat.stop()
    # Filter latency on what was loaded, through the real widget path (keystrokes).
    samples = []
    for text in ("team-00", "deploy-1", "nothing-matches", "", "team"):
        t0 = time.perf_counter()
        window.filter_edit.setText(text)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - t0) * 1000)
    report["filter_ms_max"] = max(samples)
    report["max_stall_ms"] = max(stalls[1:] or [0.0])  # the first beat waits for the loop
    report["rss_mb"] = peak_rss_mb()
    report["rows"] = window.model.rowCount()  # type: ignore[attr-defined]
    import os

    if os.environ.get("KIOPS_PROBE_DEBUG"):
        top = sorted(zip(stalls, stall_at, strict=True), reverse=True)[:5]
        print(
            "top stalls",
            [(round(a), round(b, 3)) for a, b in top],
            "listed",
            time.perf_counter() - t_start,
            file=sys.stderr,
        )
    print(json.dumps(report), flush=True)
    window.close()
    return 0


def rollback(app: object, kubeconfig: str) -> int:
    """The longest UI stall while a rollback is planned, confirmed, applied, followed to the
    end of the rollout and verified through the real dialogs."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiops_desktop.app import build_main_window

    window = build_main_window(["--kubeconfig", kubeconfig])

    def until(check: object, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while not check():  # type: ignore[operator]
            if time.time() > deadline:
                raise SystemExit("timed out")
            QApplication.processEvents()
            time.sleep(0.001)

    until(lambda: window.model.rowCount() >= 9)  # type: ignore[attr-defined]
    dialog = window.open_operations(window.select_service("storefront", "shop"))  # type: ignore[attr-defined]
    tab = dialog.tab("deploymentTab")
    from PySide6.QtWidgets import QPlainTextEdit

    history = tab.findChild(QPlainTextEdit, "historyText")
    until(lambda: bool(history.toPlainText()))
    opened: list[object] = []
    tab.confirm_dialog_opened.connect(opened.append)
    last = [time.perf_counter()]
    stalls: list[float] = []

    def beat() -> None:
        now = time.perf_counter()
        stalls.append((now - last[0]) * 1000 - HEARTBEAT_MS)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    started = time.perf_counter()
    tab.start_rollback(None)
    until(lambda: bool(opened))
    confirm = opened[0]
    finished: list[object] = []
    confirm.rollback_finished.connect(finished.append)  # type: ignore[attr-defined]
    confirm.confirm()  # type: ignore[attr-defined]
    until(lambda: bool(finished))
    heartbeat.stop()
    report = {
        "rollback_s": time.perf_counter() - started,
        "max_stall_ms": max(stalls[1:] or [0.0]),
        "outcome": str(getattr(finished[0], "summary", finished[0]))[:200],
    }
    print(json.dumps(report), flush=True)
    window.close()
    return 0


def deploy(container: str, target: str) -> int:
    """The longest UI stall while the deploy dialog deploys ``target`` to ``container`` with an
    automatic backup (the engine comes from DOCKER_HOST)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiops_desktop.app import build_main_window
    from kiops_desktop.ui.deploy_dialog import DeployDialog

    window = build_main_window(["--kubeconfig", "/nonexistent/kubeconfig"])

    def until(check: object, timeout: float = 300) -> None:
        deadline = time.time() + timeout
        while not check():  # type: ignore[operator]
            if time.time() > deadline:
                raise SystemExit("timed out")
            QApplication.processEvents()
            time.sleep(0.001)

    def service() -> object:
        for s in window.model.services:  # type: ignore[attr-defined]
            if s.name == container:
                return s
        return None

    until(lambda: service() is not None)
    dialog = DeployDialog.open_for(window.session, service(), container, window)  # type: ignore[attr-defined, arg-type]
    until(lambda: dialog.version_combo.count() > 1)
    finished: list[object] = []
    dialog.deploy_finished.connect(finished.append)
    last = [time.perf_counter()]
    stalls: list[float] = []

    def beat() -> None:
        now = time.perf_counter()
        stalls.append((now - last[0]) * 1000 - HEARTBEAT_MS)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    started = time.perf_counter()
    dialog.start_deploy(target, backup=True)
    until(lambda: bool(finished))
    heartbeat.stop()
    result = finished[0]
    report = {
        "deploy_s": time.perf_counter() - started,
        "max_stall_ms": max(stalls[1:] or [0.0]),
        "outcome": str(getattr(result, "outcome", result)),
    }
    print(json.dumps(report), flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

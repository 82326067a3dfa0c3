"""Command Execution against the sandbox with the real (bundled) kubectl: output identical to
kubectl's own, a rollback through the question that changes the live revision and makes the
other tabs refresh, refusals that run nothing, Stop, exit codes, the production guard and the
command history."""

from __future__ import annotations

import importlib.util
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QPushButton

from kiops_desktop.connections.settings import Settings
from kiops_desktop.core.services import Service
from kiops_desktop.ops.console import Outcome
from kiops_desktop.ui.console_confirm import ConsoleConfirmDialog
from kiops_desktop.ui.console_process import ConsoleProcess, _Channel
from kiops_desktop.ui.operations.console_tab import ConsoleRun, ConsoleTab
from kiops_desktop.ui.session import Session
from tests.gui.conftest import Cluster, service_of

pytestmark = [pytest.mark.gui, pytest.mark.integration]

NS = "shop"
NAME = "storefront"
REV_KEY = "deployment.kubernetes.io/revision"


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's kubectl inherits the app's environment: keep its discovery cache (under
    HOME) out of the developer's home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def console(
    qtbot: Any, demo_cluster: Cluster, make_session: Callable[..., Session]
) -> Iterator[Callable[..., ConsoleTab]]:
    made: list[ConsoleTab] = []

    def make(
        name: str = NAME,
        *,
        session: Session | None = None,
        settings: Settings | None = None,
    ) -> ConsoleTab:
        session = session or make_session(demo_cluster.kubeconfig, settings)
        tab = ConsoleTab(session, service_of(session, NS, name))
        qtbot.addWidget(tab)
        tab.resize(1000, 600)
        tab.show()
        made.append(tab)
        return tab

    yield make
    for tab in made:
        tab.shutdown()  # no QProcess may outlive its test


def submit(qtbot: Any, tab: ConsoleTab, text: str) -> None:
    tab.input.setText(text)
    qtbot.keyClick(tab.input, Qt.Key.Key_Return)


def run(qtbot: Any, tab: ConsoleTab, text: str, timeout: int = 30000) -> ConsoleRun:
    with qtbot.waitSignal(tab.run_finished, timeout=timeout) as blocker:
        submit(qtbot, tab, text)
    result = blocker.args[0]
    assert isinstance(result, ConsoleRun)
    return result


def confirm_dialog(qtbot: Any, tab: ConsoleTab) -> ConsoleConfirmDialog:
    qtbot.waitUntil(lambda: tab.findChild(QDialog, "confirmCommandDialog") is not None)
    dialog = tab.findChild(QDialog, "confirmCommandDialog")
    assert isinstance(dialog, ConsoleConfirmDialog)
    assert dialog.isVisible()
    return dialog


def revisions(history: str) -> list[int]:
    return [int(m) for m in re.findall(r"^(\d+)\s", history, re.MULTILINE)]


def live_revision(cluster: Cluster, name: str = NAME) -> int:
    return int(cluster.deployment(name, NS)["metadata"]["annotations"][REV_KEY])


# --------------------------------------------------------------------------- read commands


def test_rollout_history_is_kubectls_own_output(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    tab = console()
    assert tab.objectName() == "consoleTab"
    assert tab.title == "Command Execution"
    with qtbot.assertNotEmitted(tab.session.events.service_changed):
        result = run(qtbot, tab, f"kubectl rollout history deployment/{NAME}")
    expected = demo_cluster.ok("rollout", "history", f"deployment/{NAME}", "-n", NS)
    assert result.outcome.succeeded
    assert result.stdout == expected
    assert result.stderr == ""
    assert not result.command.mutating
    shown = tab.output.toPlainText()
    # The pinned command that actually ran, then kubectl's text, then the exit code.
    echo = f"$ kubectl --context kiops-sandbox -n {NS} rollout history deployment/{NAME}"
    assert shown.startswith(echo + "\n" + expected)
    assert "— exited with code 0" in shown
    assert tab.status.text().startswith("Exited with code 0")
    assert tab.input.text() == ""
    assert tab.session.audit.entries() == []  # reads are not audited


def test_a_failing_command_shows_its_exit_code_and_stderr(
    qtbot: Any, console: Callable[..., ConsoleTab]
) -> None:
    tab = console()
    result = run(qtbot, tab, "kubectl get deployment nope")
    assert result.outcome.code == 1
    assert 'deployments.apps "nope" not found' in result.stderr
    shown = tab.output.toPlainText()
    assert 'deployments.apps "nope" not found' in shown
    assert "— exited with code 1" in shown
    assert tab.run_button.isEnabled()
    assert not tab.stop_button.isEnabled()


def test_a_command_naming_its_own_namespace_is_not_pinned_to_the_dialogs(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    tab = console()
    result = run(qtbot, tab, "kubectl get deployments -n payments -o name")
    assert result.command.args[:2] == ("--context", "kiops-sandbox")
    assert "-n" not in result.command.pinned
    assert result.stdout == demo_cluster.ok("get", "deployments", "-n", "payments", "-o", "name")


# --------------------------------------------------------------------------- changes


def test_rollout_undo_asks_runs_and_makes_the_service_refresh(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    tab = console()
    history = demo_cluster.ok("rollout", "history", f"deployment/{NAME}", "-n", NS)
    before = live_revision(demo_cluster)
    target = min(r for r in revisions(history) if r != before)
    target_image = demo_cluster.ok(
        "rollout",
        "history",
        f"deployment/{NAME}",
        "-n",
        NS,
        f"--revision={target}",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    )

    submit(qtbot, tab, f"kubectl rollout undo deployment/{NAME} --to-revision={target}")
    dialog = confirm_dialog(qtbot, tab)
    assert not tab.running  # nothing runs before the answer
    assert dialog.cancel_button.isDefault()
    assert not dialog.run_button.isDefault()
    assert dialog.guard is None  # not a production context
    assert dialog.findChild(QLineEdit, "typedNameInput") is None
    assert dialog.command.reason == (
        "kubectl rollout undo rolls the deployment back to another revision."
    )
    shown = dialog.command.display
    assert shown == (
        f"kubectl --context kiops-sandbox -n {NS} rollout undo deployment/{NAME} "
        f"--to-revision={target}"
    )
    assert live_revision(demo_cluster) == before

    button = dialog.findChild(QPushButton, "confirmCommandButton")
    assert button is not None
    with (
        qtbot.waitSignal(
            tab.session.events.service_changed,
            timeout=30000,
            check_params_cb=lambda key: key == tab.service.key,
        ),
        qtbot.waitSignal(tab.run_finished, timeout=30000) as finished,
    ):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    result: ConsoleRun = finished.args[0]
    assert result.outcome.succeeded, result.stderr
    assert result.stdout == f"deployment.apps/{NAME} rolled back\n"
    assert f"deployment.apps/{NAME} rolled back" in tab.output.toPlainText()

    # Exactly what `kubectl rollout undo` does: revision N comes back as the newest one.
    after_history = demo_cluster.ok("rollout", "history", f"deployment/{NAME}", "-n", NS)
    assert live_revision(demo_cluster) == max(revisions(history)) + 1
    assert target not in revisions(after_history)
    image = demo_cluster.ok(
        "get",
        "deployment",
        NAME,
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    )
    assert image == target_image

    entry = tab.session.audit.entries()[-1]
    assert entry["action"] == "console command"
    assert entry["outcome"] == "succeeded"
    assert entry["service"] == f"{NS}/{NAME}"
    assert entry["connection"] == "kiops-sandbox"
    assert f"--to-revision={target}" in entry["detail"]


@pytest.mark.skipif(
    importlib.util.find_spec("kiops_desktop.ui.operations.deployment_tab") is None
    or importlib.util.find_spec("kiops_desktop.ui.operations.pods_tab") is None,
    reason="the Deployment Management and Pod List tabs are not in this tree",
)
def test_the_dialogs_history_refreshes_after_a_console_rollback(
    qtbot: Any, demo_cluster: Cluster, make_session: Callable[..., Session]
) -> None:
    from kiops_desktop.ui.operations.dialog import OperationsDialog

    session = make_session(demo_cluster.kubeconfig)
    dialog = OperationsDialog(session, service_of(session, NS, NAME))
    qtbot.addWidget(dialog)
    dialog.show()
    deployment_tab: Any = dialog.tab("deploymentTab")
    history_text = deployment_tab.findChild(object, "historyText")
    before = demo_cluster.ok("rollout", "history", f"deployment/{NAME}", "-n", NS)
    qtbot.waitUntil(lambda: history_text.toPlainText() == before, timeout=30000)

    tab = dialog.tab("consoleTab")
    assert isinstance(tab, ConsoleTab)
    dialog.tabs.setCurrentWidget(tab)
    target = min(revisions(before))
    submit(qtbot, tab, f"kubectl rollout undo deployment/{NAME} --to-revision={target}")
    confirm = confirm_dialog(qtbot, tab)
    with qtbot.waitSignal(tab.run_finished, timeout=30000):
        qtbot.mouseClick(confirm.run_button, Qt.MouseButton.LeftButton)
    after = demo_cluster.ok("rollout", "history", f"deployment/{NAME}", "-n", NS)
    assert after != before
    # No click on View History: the console's change reloaded the other tab by itself.
    qtbot.waitUntil(lambda: history_text.toPlainText() == after, timeout=30000)
    dialog.close()


def test_cancel_is_the_default_and_runs_nothing(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    tab = console()
    replicas = demo_cluster.deployment(NAME, NS)["spec"]["replicas"]
    with (
        qtbot.assertNotEmitted(tab.run_started),
        qtbot.assertNotEmitted(tab.session.events.service_changed),
    ):
        submit(qtbot, tab, f"kubectl scale deployment/{NAME} --replicas={replicas + 2}")
        dialog = confirm_dialog(qtbot, tab)
        # Enter in the question is Cancel: a reflex keypress never runs a change.
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: tab.confirm_dialog is None)
    assert not tab.running
    assert "Cancelled." in tab.output.toPlainText()
    assert demo_cluster.deployment(NAME, NS)["spec"]["replicas"] == replicas
    assert tab.session.audit.entries() == []


def test_production_guard_gates_a_mutating_command(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    settings = Settings(production_patterns=["sandbox"])
    tab = console(settings=settings)
    assert tab.service.production
    submit(qtbot, tab, f"kubectl annotate deployment/{NAME} kiops.test/console=yes")
    dialog = confirm_dialog(qtbot, tab)
    typed = dialog.findChild(QLineEdit, "typedNameInput")
    assert typed is not None
    button = dialog.run_button
    assert not button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert not tab.running
    qtbot.keyClicks(typed, "storefron")
    assert not button.isEnabled()
    qtbot.keyClicks(typed, "t")
    assert button.isEnabled()
    with qtbot.waitSignal(tab.run_finished, timeout=30000) as finished:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert finished.args[0].outcome.succeeded
    annotations = demo_cluster.deployment(NAME, NS)["metadata"]["annotations"]
    assert annotations["kiops.test/console"] == "yes"


def test_a_command_naming_a_production_context_is_guarded(
    qtbot: Any, console: Callable[..., ConsoleTab]
) -> None:
    tab = console()
    assert not tab.service.production
    submit(qtbot, tab, f"kubectl --context prod-eu delete deployment/{NAME}")
    dialog = confirm_dialog(qtbot, tab)
    assert dialog.guard is not None
    assert not dialog.run_button.isEnabled()
    dialog.reject()
    qtbot.waitUntil(lambda: tab.confirm_dialog is None)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("kubectl get pods | grep x", "Pipes (|) are not supported"),
        ("kubectl get pods > pods.txt", "Redirections (>, <) are not supported"),
        ("kubectl get pods; kubectl delete pods --all", "Only one command at a time"),
        ("bash -c 'kubectl get pods'", "“bash” is not allowed here"),
        ("docker ps", "pinned to the Kubernetes context “kiops-sandbox”"),
        (f"kubectl rollout undo deployment/{NAME} --to-revision=N", "Replace “N”"),
    ],
)
def test_refusals_show_a_sentence_and_run_nothing(
    qtbot: Any, console: Callable[..., ConsoleTab], text: str, words: str
) -> None:
    tab = console()
    with (
        qtbot.assertNotEmitted(tab.run_started),
        qtbot.waitSignal(tab.refused, timeout=1000) as refused,
    ):
        submit(qtbot, tab, text)
    assert words in refused.args[0]
    assert not tab.running
    assert tab.confirm_dialog is None
    assert f"✗ {refused.args[0]}" in tab.output.toPlainText()
    assert "$ " not in tab.output.toPlainText()  # nothing was started
    assert tab.session.audit.entries() == []


# --------------------------------------------------------------------------- stop


def test_stop_ends_a_watch(qtbot: Any, console: Callable[..., ConsoleTab]) -> None:
    tab = console()
    with qtbot.waitSignal(tab.run_started, timeout=5000):
        submit(qtbot, tab, "kubectl get pods -w")
    qtbot.waitUntil(lambda: f"{NAME}-" in tab.output.toPlainText(), timeout=30000)
    assert tab.running
    assert tab.stop_button.isEnabled()
    assert not tab.run_button.isEnabled()
    pid = tab.process.pid
    assert pid > 0
    with qtbot.waitSignal(tab.run_finished, timeout=10000) as finished:
        qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    result: ConsoleRun = finished.args[0]
    assert result.outcome.stopped
    assert result.outcome.sentence == "stopped"
    assert "— stopped" in tab.output.toPlainText()
    assert not tab.running
    assert tab.run_button.isEnabled()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped


def test_escape_in_the_command_line_stops(qtbot: Any, console: Callable[..., ConsoleTab]) -> None:
    tab = console()
    with qtbot.waitSignal(tab.run_started, timeout=5000):
        submit(qtbot, tab, "kubectl get deployments -w")
    qtbot.waitUntil(lambda: NAME in tab.output.toPlainText(), timeout=30000)
    with qtbot.waitSignal(tab.run_finished, timeout=10000) as finished:
        qtbot.keyClick(tab.input, Qt.Key.Key_Escape)
    assert finished.args[0].outcome.stopped


def test_shutdown_kills_a_running_command(qtbot: Any, console: Callable[..., ConsoleTab]) -> None:
    tab = console()
    with qtbot.waitSignal(tab.run_started, timeout=5000):
        submit(qtbot, tab, "kubectl get pods -w")
    pid = tab.process.pid
    tab.shutdown()
    assert not tab.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --------------------------------------------------------------------------- history, quick


def test_history_walks_with_up_and_down(
    qtbot: Any, console: Callable[..., ConsoleTab], make_session: Callable[..., Session]
) -> None:
    tab = console()
    first, second = "kubectl get pods | wc -l", "bash"
    submit(qtbot, tab, first)
    submit(qtbot, tab, second)
    submit(qtbot, tab, second)  # a repeat is kept once
    tab.input.setText("kubectl get")  # a draft being typed
    qtbot.keyClick(tab.input, Qt.Key.Key_Up)
    assert tab.input.text() == second
    qtbot.keyClick(tab.input, Qt.Key.Key_Up)
    assert tab.input.text() == first
    qtbot.keyClick(tab.input, Qt.Key.Key_Up)
    assert tab.input.text() == first  # oldest stays
    qtbot.keyClick(tab.input, Qt.Key.Key_Down)
    assert tab.input.text() == second
    qtbot.keyClick(tab.input, Qt.Key.Key_Down)
    assert tab.input.text() == "kubectl get"  # the draft comes back

    # Kept per service for the session (a reopened dialog has it), in memory only.
    again = console(session=tab.session)
    qtbot.keyClick(again.input, Qt.Key.Key_Up)
    assert again.input.text() == second
    other = console("cart", session=tab.session)
    qtbot.keyClick(other.input, Qt.Key.Key_Up)
    assert other.input.text() == ""
    home = Path(os.environ["KIOPS_HOME"])
    stored = [p for p in home.rglob("*") if p.is_file()]
    assert not any("wc -l" in p.read_text(errors="replace") for p in stored)


def test_quick_buttons_insert_history_and_undo(
    qtbot: Any, console: Callable[..., ConsoleTab]
) -> None:
    tab = console()
    history_button = tab.findChild(QPushButton, "quickHistoryButton")
    undo_button = tab.findChild(QPushButton, "quickUndoButton")
    assert history_button is not None
    assert undo_button is not None
    qtbot.mouseClick(history_button, Qt.MouseButton.LeftButton)
    assert tab.input.text() == f"kubectl rollout history deployment/{NAME}"
    qtbot.mouseClick(undo_button, Qt.MouseButton.LeftButton)
    assert tab.input.text() == f"kubectl rollout undo deployment/{NAME} --to-revision=N"
    assert tab.input.selectedText() == "N"  # typing the number replaces the placeholder
    qtbot.keyClicks(tab.input, "2")
    assert tab.input.text() == f"kubectl rollout undo deployment/{NAME} --to-revision=2"


def test_output_is_capped(
    qtbot: Any, console: Callable[..., ConsoleTab], demo_cluster: Cluster
) -> None:
    tab = console(settings=Settings(console_output_cap_lines=100))
    assert tab.output.maximumBlockCount() == 100
    written = 0
    while written <= 150:
        result = run(qtbot, tab, "kubectl get pods -A")
        written += result.stdout.count("\n") + 2  # the echo and the outcome lines
    assert tab.output.document().blockCount() <= 100
    # The newest output is what stays.
    assert tab.output.toPlainText().rstrip().splitlines()[-1].startswith("— exited with code 0")


# --------------------------------------------------------------------------- docker / podman


def engine_service(runtime: str, context: str, name: str = "web") -> Service:
    return Service(
        runtime=runtime,
        context=context,
        namespace="",
        name=name,
        image="kiops-test/app:v1",
        revision="v1",
        ready="1/1",
        status="running",
        last_change="",
    )


@pytest.fixture
def engine_console(
    qtbot: Any, tmp_path: Path, make_session: Callable[..., Session]
) -> Iterator[Callable[[Service], ConsoleTab]]:
    made: list[ConsoleTab] = []
    session = make_session(tmp_path / "no-kubeconfig")

    def make(service: Service) -> ConsoleTab:
        tab = ConsoleTab(session, service)
        qtbot.addWidget(tab)
        tab.show()
        made.append(tab)
        return tab

    yield make
    for tab in made:
        tab.shutdown()


def test_docker_console_is_pinned_to_its_context(
    qtbot: Any, engine_console: Callable[[Service], ConsoleTab]
) -> None:
    tab = engine_console(engine_service("docker", "default"))
    result = run(qtbot, tab, "docker context ls --format '{{.Name}}'")
    assert result.command.pinned == ("--context", "default")
    assert result.outcome.succeeded, result.stderr
    assert "default" in result.stdout.split()
    assert "$ docker --context default context ls --format '{{.Name}}'" in tab.output.toPlainText()


def test_docker_console_on_a_host_url_is_pinned_with_h(
    qtbot: Any, tmp_path: Path, engine_console: Callable[[Service], ConsoleTab]
) -> None:
    url = f"unix://{tmp_path}/no-docker.sock"
    tab = engine_console(engine_service("docker", url))
    result = run(qtbot, tab, "docker ps")
    assert result.command.args == ("-H", url, "ps")
    assert not result.outcome.succeeded
    assert result.outcome.code not in (None, 0)
    assert "no-docker.sock" in result.stderr  # docker really went to the pinned host


def test_podman_console_is_pinned_to_its_connection(
    qtbot: Any, engine_console: Callable[[Service], ConsoleTab]
) -> None:
    tab = engine_console(engine_service("podman", "kiops-no-such-connection"))
    qtbot.waitUntil(lambda: tab._engine_resolved, timeout=15000)
    result = run(qtbot, tab, "podman ps")
    assert result.command.args == ("--connection", "kiops-no-such-connection", "ps")
    assert result.outcome.code == 125
    assert "kiops-no-such-connection" in result.stderr


def test_podman_local_socket_is_reached_by_url(
    qtbot: Any, engine_console: Callable[[Service], ConsoleTab]
) -> None:
    # "rootful" is what discovery calls the local rootful socket: not a connection podman knows.
    tab = engine_console(engine_service("podman", "rootful"))
    qtbot.waitUntil(lambda: tab._engine_resolved, timeout=15000)
    assert tab.target.engine_url == "unix:///run/podman/podman.sock"
    result = run(qtbot, tab, "podman version --format '{{.Client.Version}}'")
    assert result.command.pinned == ("--url", "unix:///run/podman/podman.sock")


def test_engine_consoles_refuse_other_programs_and_ask_before_changes(
    qtbot: Any, engine_console: Callable[[Service], ConsoleTab]
) -> None:
    tab = engine_console(engine_service("docker", "default"))
    with qtbot.waitSignal(tab.refused, timeout=1000) as refused:
        submit(qtbot, tab, "kubectl get pods")
    assert "pinned to the Docker context “default”" in refused.args[0]
    with qtbot.assertNotEmitted(tab.run_started):
        submit(qtbot, tab, "docker rm web")
        dialog = confirm_dialog(qtbot, tab)
        assert dialog.command.reason == "docker rm removes containers."
        dialog.reject()
        qtbot.waitUntil(lambda: tab.confirm_dialog is None)
    quick = tab.findChild(QPushButton, "quickPsButton")
    assert quick is not None
    qtbot.mouseClick(quick, Qt.MouseButton.LeftButton)
    assert tab.input.text() == "docker ps -a --filter name=web"


# --------------------------------------------------------------------------- output decoding


def test_output_channel_keeps_lines_and_utf8_whole() -> None:
    channel = _Channel()
    snowman = "☃".encode()
    assert channel.feed(b"a\r") == ""  # maybe the first half of \r\n
    assert channel.feed(b"\nb" + snowman[:1]) == "a\n"
    assert channel.pending
    assert channel.feed(snowman[1:] + b"c\n") == "b☃c\n"
    assert channel.feed(b"no newline") == ""
    assert channel.flush(final=True) == "no newline"
    assert not channel.pending


def test_stop_kills_a_process_that_ignores_sigterm(qtbot: Any) -> None:
    # A shell here is the test's own stand-in for a stubborn program (the console never runs
    # one): it ignores SIGTERM and becomes `sleep`, which inherits that.
    process = ConsoleProcess(grace_ms=300)
    with qtbot.waitSignal(process.output_received, timeout=5000):  # the trap is set
        process.start("/bin/sh", ["-c", "trap '' TERM; echo ready; exec sleep 30"], {})
    started = time.monotonic()
    with qtbot.waitSignal(process.finished, timeout=10000) as finished:
        process.stop()
    outcome: Outcome = finished.args[0]
    assert outcome.stopped
    assert outcome.sentence == "stopped"
    assert 0.25 <= time.monotonic() - started < 5
    assert not process.running


def test_a_program_that_cannot_start_says_so(qtbot: Any) -> None:
    process = ConsoleProcess()
    with qtbot.waitSignal(process.finished, timeout=5000) as finished:
        process.start("/nonexistent/kiops-no-such-program", [], {})
    outcome: Outcome = finished.args[0]
    assert outcome.start_error
    assert outcome.sentence.startswith("could not start: ")

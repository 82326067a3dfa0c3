"""The Connections dialog against real things: a private gnome-keyring (the keyring suite's
fixture), the sandbox over HTTPS with a bearer token, the real kubectl through the exec plugin,
a real ``podman system service``. After every test, no secret it used is in any file under the
app's directories or in the kubeconfigs it wrote (the keyring suite's scan)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QLineEdit, QMessageBox, QPushButton, QWidget

from kiops_desktop.connections.clusters import discover_with_app
from kiops_desktop.connections.credentials import CredentialStore, registry_service
from kiops_desktop.connections.paths import app_dirs
from kiops_desktop.connections.secure_kubeconfig import BACKUP_SUFFIX
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from kiops_desktop.sandbox.kubeconfig import build_kubeconfig, write_kubeconfig
from kiops_desktop.ui.cluster_form import ClusterForm
from kiops_desktop.ui.connections_dialog import ConnectionsDialog
from kiops_desktop.ui.connections_model import ConnectionRow, ConnectionsTableModel
from kiops_desktop.ui.registry_login_form import RegistryLoginForm
from kiops_desktop.ui.session import Session
from tests.integration.keyring.conftest import (  # the real Secret Service and the secrets scan
    SecretScan,
    _fresh_redactor,
    app_home,
    keyring_env,
    new_secret,
    secret_scan,
    secret_service,
    store,
)
from tests.integration.keyring.secret_service import RunningSecretService
from tests.integration.sandbox.conftest import Cluster, run_kubectl

__all__ = [
    "_fresh_redactor",
    "app_home",
    "keyring_env",
    "new_secret",
    "secret_scan",
    "secret_service",
    "store",
]

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT = 30_000  # ms: the first test connection imports the kubernetes client


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def user_kubeconfig(tmp_path: Path) -> Path:
    """The operator's kubeconfig list: one file, absent unless a test writes it."""
    path = tmp_path / "user-kube" / "config"
    path.parent.mkdir()
    return path


@pytest.fixture
def open_dialog(
    qtbot: Any, make_session: Callable[..., Session]
) -> Callable[..., ConnectionsDialog]:
    def make(*kubeconfigs: Path, **kwargs: Any) -> ConnectionsDialog:
        session = make_session(kubeconfigs[0])
        session.kubeconfig_paths = tuple(kubeconfigs)
        dialog = ConnectionsDialog(session, None, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.keyring_label.text() != "Keyring: checking…", timeout=WAIT)
        return dialog

    return make


def click(qtbot: Any, parent: QWidget, name: str) -> None:
    button = parent.findChild(QPushButton, name)
    assert button is not None, name
    assert button.isVisible(), name
    assert button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(parent: QWidget, name: str, text: str) -> QLineEdit:
    edit = parent.findChild(QLineEdit, name)
    assert edit is not None, name
    edit.clear()
    QTest.keyClicks(edit, text)
    return edit


def show_tab(dialog: ConnectionsDialog, name: str) -> None:
    tab = dialog.findChild(QWidget, name)
    assert tab is not None, name
    dialog.tabs.setCurrentWidget(tab)


def cells(model: ConnectionsTableModel) -> list[tuple[str, ...]]:
    return [row.cells for row in model.rows()]


def fill_cluster_form(
    form: ClusterForm,
    name: str,
    server: str,
    token: str,
    *,
    ca_file: Path | None = None,
    insecure: bool = False,
) -> None:
    type_into(form, "clusterNameInput", name)
    type_into(form, "clusterServerInput", server)
    if ca_file is not None:
        type_into(form, "clusterCaFileInput", str(ca_file))
    if insecure:
        check = form.findChild(QCheckBox, "clusterInsecureCheck")
        assert check is not None
        check.setChecked(True)
    token_input = type_into(form, "clusterTokenInput", token)
    assert token_input.echoMode() == QLineEdit.EchoMode.Password
    assert token_input.displayText() != token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def no_secret_shown(dialog: QWidget, secret: str) -> None:
    """No label, line edit (as displayed) or table cell of the dialog or its children shows
    ``secret``."""
    from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTableView

    for label in dialog.findChildren(QLabel):
        assert secret not in label.text()
    for edit in dialog.findChildren(QLineEdit):
        assert secret not in edit.displayText()
    for text_edit in dialog.findChildren(QPlainTextEdit):
        assert secret not in text_edit.toPlainText()
    for table in dialog.findChildren(QTableView):
        model = table.model()
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                assert secret not in str(model.index(r, c).data() or "")


# --------------------------------------------------------------------------- the model


def test_model_passes_the_model_tester(qapp: Any, qtmodeltester: Any) -> None:
    model = ConnectionsTableModel(("A", "B", "State"))
    model.set_rows(
        [
            ConnectionRow("a", ("a", "1", "ok"), "ok", 2, "tip", bold=True),
            ConnectionRow("b", ("b", "2", "bad"), "error", 2),
        ]
    )
    qtmodeltester.check(model)
    model.update_row(ConnectionRow("b", ("b", "2", "fine"), "ok", 2))
    assert model.text("b", 2) == "fine"
    model.update_row(ConnectionRow("gone", ("x",)))  # a row removed meanwhile: ignored
    assert [r.key for r in model.rows()] == ["a", "b"]


# --------------------------------------------------------------------------- add cluster


def test_add_cluster_through_the_dialog_reaches_the_sandbox_everywhere(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    cluster: Callable[..., Cluster],
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    user_kubeconfig: Path,
    tmp_path: Path,
) -> None:
    token = new_secret("sandbox-token")
    cl = cluster(tls=True, token=token)
    assert cl.sb.ca_pem is not None
    ca_file = tmp_path / "sandbox-ca.pem"
    ca_file.write_bytes(cl.sb.ca_pem)

    dialog = open_dialog(user_kubeconfig)
    assert dialog.keyring_error is None
    assert "Secret Service" in dialog.keyring_label.text()
    assert not dialog.keyring_banner.isVisible()
    assert dialog.isModal() is False

    show_tab(dialog, "addedClustersTab")
    click(qtbot, dialog, "addClusterButton")
    form = dialog.cluster_form
    assert form is not None
    assert form.isVisible()
    fill_cluster_form(form, "sandbox-eu", cl.sb.url, token, ca_file=ca_file)
    no_secret_shown(form, token)
    with qtbot.waitSignal(dialog.clusters_changed, timeout=WAIT):
        click(qtbot, form, "saveClusterButton")
    assert form.token_input.text() == ""  # nothing kept after the save
    assert not form.isVisible()
    assert "Added cluster “sandbox-eu”" in dialog.banner.text

    # the app's kubeconfig: the context, the exec plugin, no token; the token in the keyring
    kubeconfig = secret_scan.watch(app_dirs().config / "kubeconfig")
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    data = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in data["contexts"]] == ["sandbox-eu"]
    assert data["users"][0]["user"]["exec"]["args"] == ["sandbox-eu"]
    assert token not in kubeconfig.read_text()
    assert CredentialStore().get_cluster_token("sandbox-eu") == token

    # the dialog lists it in both tabs and its test connection answers through the plugin
    qtbot.waitUntil(lambda: dialog.clusters_model.row_of("sandbox-eu") is not None, timeout=WAIT)
    assert cells(dialog.clusters_model) == [
        ("sandbox-eu", cl.sb.url, "default", "verified (own CA)")
    ]
    qtbot.waitUntil(lambda: dialog.contexts_model.row_of("sandbox-eu") is not None, timeout=WAIT)
    dialog.tabs.setCurrentIndex(0)
    dialog.select(dialog.contexts_table, "sandbox-eu")
    with qtbot.waitSignal(dialog.context_tested, timeout=WAIT) as tested:
        click(qtbot, dialog, "testContextButton")
    assert tested.args == ["sandbox-eu", True]
    assert dialog.context_state("sandbox-eu").startswith("reachable, server v1.")

    # the runtime, as the session builds it after clusters_changed
    config = discover_with_app(explicit=user_kubeconfig)
    runtime = KubernetesRuntime.for_context(config, "sandbox-eu")
    try:
        assert runtime.version().startswith("v1.")
        assert "default" in runtime.list_namespaces().names
    finally:
        runtime.close()

    # the real kubectl, with nothing but the D-Bus address added to its environment
    home = tmp_path / "kubectl-home"
    home.mkdir()
    res = run_kubectl(
        ["get", "namespace", "default", "-o", "name"],
        home=home,
        kubeconfig=kubeconfig,
        cache_dir=tmp_path / "kube-cache",
        env=keyring_env,
    )
    assert (res.code, res.stdout, res.stderr) == (0, "namespace/default\n", ""), res.describe()
    no_secret_shown(dialog, token)

    # removed through the dialog (after the question): gone from the file and the keyring
    show_tab(dialog, "addedClustersTab")
    dialog.select(dialog.clusters_table, "sandbox-eu")
    click(qtbot, dialog, "removeClusterButton")
    assert dialog.confirm_box is not None
    with qtbot.waitSignal(dialog.clusters_changed, timeout=WAIT):
        click(qtbot, dialog.confirm_box, "confirmRemoveButton")
    qtbot.waitUntil(lambda: dialog.clusters_model.rowCount() == 0, timeout=WAIT)
    assert yaml.safe_load(kubeconfig.read_text())["contexts"] == []
    assert CredentialStore().get_cluster_token("sandbox-eu") is None
    qtbot.waitUntil(lambda: dialog.contexts_model.row_of("sandbox-eu") is None, timeout=WAIT)


def test_cluster_form_errors_are_sentences_and_insecure_warns(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    user_kubeconfig: Path,
) -> None:
    token = new_secret("typo-token")
    dialog = open_dialog(user_kubeconfig)
    form = dialog.open_cluster_form()
    warning = form.findChild(QWidget, "clusterInsecureWarning")
    assert warning is not None
    assert not warning.isVisible()
    fill_cluster_form(form, "plain", "http://k8s.example.com:8080", token)
    click(qtbot, form, "saveClusterButton")
    qtbot.waitUntil(lambda: form.error_text != "", timeout=WAIT)
    assert "plain HTTP" in form.error_text
    assert form.isVisible()
    assert not (app_dirs().config / "kubeconfig").exists()

    form.insecure_check.setChecked(True)
    assert warning.isVisible()
    assert "TLS verification is OFF" in form.insecure_warning.text()
    assert not form.ca_file_input.isEnabled()
    form.reject()
    assert form.token_input.text() == ""  # cleared when the form closes, too


# --------------------------------------------------------------------------- secure a kubeconfig


def test_secure_a_kubeconfig_with_an_embedded_token(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    cluster: Callable[..., Cluster],
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    user_kubeconfig: Path,
    tmp_path: Path,
) -> None:
    token = new_secret("embedded")
    cl = cluster(tls=True, token=token)
    shutil.copyfile(cl.kubeconfig, user_kubeconfig)
    assert token in user_kubeconfig.read_text()

    dialog = open_dialog(user_kubeconfig)
    with qtbot.waitSignal(dialog.scan_finished, timeout=WAIT) as scanned:
        dialog.secure_file(user_kubeconfig)
    findings = scanned.args[0]
    assert [(f.kind, f.movable) for f in findings] == [("token", True)]
    secure = dialog.secure_dialog
    assert secure is not None
    assert secure.isVisible()
    assert secure.model.rows()[0].cells[4] == "moves to the keyring"
    no_secret_shown(secure, token)
    assert user_kubeconfig.read_text().count(token) == 1  # nothing changed before confirming

    with qtbot.waitSignal(dialog.clusters_changed, timeout=WAIT):
        click(qtbot, secure, "confirmSecureButton")
    result = secure.secure_result
    assert result is not None
    backup = result.backup
    assert backup.name.startswith("config" + BACKUP_SUFFIX)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert token in backup.read_text()  # the original, byte for byte, kept aside
    assert str(backup) in secure.message_text
    assert str(backup) in dialog.banner.text
    secret_scan.watch(user_kubeconfig)  # the rewritten file must not hold it
    assert token not in user_kubeconfig.read_text()

    # the rewritten kubeconfig works for the dialog's test, the runtime and kubectl
    qtbot.waitUntil(lambda: dialog.contexts_model.row_of("kiops-sandbox") is not None)
    with qtbot.waitSignal(dialog.context_tested, timeout=WAIT) as tested:
        dialog.test_context("kiops-sandbox")
    assert tested.args == ["kiops-sandbox", True], dialog.context_state("kiops-sandbox")
    res = run_kubectl(
        ["get", "namespace", "default", "-o", "name"],
        home=cl.home,
        kubeconfig=user_kubeconfig,
        cache_dir=tmp_path / "kube-cache",
        env=keyring_env,
    )
    assert (res.code, res.stdout, res.stderr) == (0, "namespace/default\n", ""), res.describe()
    no_secret_shown(dialog, token)


# --------------------------------------------------------------------------- registry logins


def test_registry_login_is_listed_without_its_secret_and_stored_in_the_keyring(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    secret_service: RunningSecretService,
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    user_kubeconfig: Path,
) -> None:
    secret = new_secret("registry-pw")
    dialog = open_dialog(user_kubeconfig)
    show_tab(dialog, "registryLoginsTab")
    click(qtbot, dialog, "registryLoginButton")
    form = dialog.registry_form
    assert isinstance(form, RegistryLoginForm)
    assert form.isVisible()
    type_into(form, "registryHostInput", "Harbor.Example.test:5000")
    type_into(form, "registryUserInput", "deployer")
    secret_input = type_into(form, "registrySecretInput", secret)
    assert secret_input.echoMode() == QLineEdit.EchoMode.Password
    with qtbot.waitSignal(dialog.registry_logins_changed, timeout=WAIT):
        click(qtbot, form, "saveRegistryLoginButton")
    assert form.secret_input.text() == ""
    qtbot.waitUntil(lambda: dialog.registry_model.rowCount() == 1, timeout=WAIT)
    assert cells(dialog.registry_model) == [("harbor.example.test:5000", "deployer")]
    no_secret_shown(dialog, secret)

    # stored in the Secret Service: an outside witness reads it back
    witness = secret_service.secret_tool(
        "lookup", "service", registry_service("harbor.example.test:5000"), "username", "deployer"
    )
    assert (witness.returncode, witness.stdout) == (0, secret), witness.stderr
    index = app_dirs().config / "registry-logins.json"
    assert "deployer" in index.read_text()

    # remove it, after the question
    dialog.select(dialog.registry_table, "harbor.example.test:5000")
    click(qtbot, dialog, "removeRegistryLoginButton")
    box = dialog.confirm_box
    assert isinstance(box, QMessageBox)
    assert box.isVisible()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    with qtbot.waitSignal(dialog.registry_logins_changed, timeout=WAIT):
        click(qtbot, box, "confirmRemoveButton")
    qtbot.waitUntil(lambda: dialog.registry_model.rowCount() == 0, timeout=WAIT)
    assert CredentialStore().get_registry_login("harbor.example.test:5000") is None
    gone = secret_service.secret_tool(
        "lookup", "service", registry_service("harbor.example.test:5000"), "username", "deployer"
    )
    assert gone.stdout == ""


# --------------------------------------------------------------------------- no keyring


def test_without_a_keyring_the_dialog_says_why_and_saves_nothing(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    new_secret: Callable[[str], str],
    user_kubeconfig: Path,
    app_home: Path,
    cluster: Callable[..., Cluster],
) -> None:
    # app_home removed DBUS_SESSION_BUS_ADDRESS; each CredentialStore detects its backend
    # afresh, so the dialog's store finds none.
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ
    token = new_secret("no-keyring-token")
    embedded = new_secret("embedded-no-keyring")
    write_kubeconfig(
        user_kubeconfig,
        build_kubeconfig(
            "https://127.0.0.1:6443", ca_pem=None, token=embedded, context="c", namespace="default"
        ),
    )
    before = user_kubeconfig.read_bytes()

    dialog = open_dialog(user_kubeconfig)
    assert dialog.keyring_error is not None
    assert dialog.keyring_banner.isVisible()
    assert dialog.keyring_banner.level == "error"
    text = dialog.keyring_banner.text
    assert "no OS keyring is available" in text
    assert "Secret Service keyring" in text  # the backend that was tried
    assert "sudo apt install gnome-keyring" in text  # what to install
    assert "unavailable" in dialog.keyring_label.text()
    shots = os.environ.get("KIOPS_SCREENSHOT_DIR")
    if shots:
        assert dialog.grab().save(str(Path(shots) / "connections-no-keyring.png"))

    # add cluster: the form shows the sentence at once, and Save writes nothing
    form = dialog.open_cluster_form()
    assert "no OS keyring is available" in form.error_text
    fill_cluster_form(form, "nokeyring", "https://127.0.0.1:6443", token, insecure=True)
    form.show_error("")
    click(qtbot, form, "saveClusterButton")
    qtbot.waitUntil(lambda: not form.saving, timeout=WAIT)
    assert "no OS keyring is available" in form.error_text
    assert form.isVisible()
    assert not (app_dirs().config / "kubeconfig").exists()
    form.reject()

    # registry login: refused the same way, nothing listed, no index written
    reg = dialog.open_registry_form()
    type_into(reg, "registryHostInput", "registry.example.test")
    type_into(reg, "registryUserInput", "deployer")
    type_into(reg, "registrySecretInput", new_secret("pw"))
    reg.show_error("")
    click(qtbot, reg, "saveRegistryLoginButton")
    qtbot.waitUntil(lambda: not reg.saving, timeout=WAIT)
    assert "no OS keyring is available" in reg.error_text
    assert not (app_dirs().config / "registry-logins.json").exists()
    reg.reject()

    # securing a kubeconfig: the findings show, the confirmation is refused, nothing changes
    with qtbot.waitSignal(dialog.scan_finished, timeout=WAIT):
        dialog.secure_file(user_kubeconfig)
    secure = dialog.secure_dialog
    assert secure is not None
    assert "no OS keyring is available" in secure.message_text
    click(qtbot, secure, "confirmSecureButton")
    qtbot.waitUntil(lambda: not secure.running, timeout=WAIT)
    assert "no OS keyring is available" in secure.message_text
    assert secure.secure_result is None
    assert user_kubeconfig.read_bytes() == before
    assert sorted(p.name for p in user_kubeconfig.parent.iterdir()) == ["config"]  # no backup
    assert not any(p.is_file() for p in app_home.rglob("*") if "kubeconfig" in p.name)


# --------------------------------------------------------------------------- states


def test_test_connection_shows_the_reason_of_a_dead_context(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    demo_cluster: Cluster,
    keyring_env: dict[str, str],
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens there any more
    dead = tmp_path / "dead-kube" / "config"
    write_kubeconfig(
        dead,
        build_kubeconfig(
            f"https://127.0.0.1:{port}",
            ca_pem=None,
            token="not-used",
            context="dead",
            namespace="default",
        ),
    )
    dialog = open_dialog(demo_cluster.kubeconfig, dead)
    qtbot.waitUntil(lambda: dialog.contexts_model.rowCount() == 2, timeout=WAIT)
    assert [r.key for r in dialog.contexts_model.rows()] == ["dead", "kiops-sandbox"]
    assert dialog.context_state("dead") == "not tested"

    results: dict[str, bool] = {}
    dialog.context_tested.connect(lambda name, ok: results.__setitem__(name, ok))
    click(qtbot, dialog, "testAllContextsButton")
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT)
    assert results == {"dead": False, "kiops-sandbox": True}
    state = dialog.context_state("dead")
    assert f"127.0.0.1:{port}" in state, state
    assert "reachable" not in state
    row = dialog.contexts_model.row_of("dead")
    assert row is not None
    assert row.tone == "error"
    assert dialog.context_state("kiops-sandbox").startswith("reachable, server v1.")


@pytest.fixture
def podman_service() -> Iterator[str]:
    """A real ``podman system service`` on a private socket; its URL."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    root = Path(tempfile.mkdtemp(prefix="kiops-pm-", dir="/tmp"))
    sock = root / "podman.sock"
    with (root / "podman.log").open("wb") as log:
        proc = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{sock}"],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert proc.poll() is None, (root / "podman.log").read_text()
            assert time.monotonic() < deadline, "podman system service did not start"
            time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def test_docker_and_podman_connections_with_their_state(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    podman_service: str,
    user_kubeconfig: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = tmp_path / "no-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{missing}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("CONTAINER_HOST", podman_service)
    dialog = open_dialog(user_kubeconfig)
    show_tab(dialog, "enginesTab")
    qtbot.waitUntil(lambda: dialog.engines_model.row_of("podman/CONTAINER_HOST") is not None)
    qtbot.waitUntil(
        lambda: (
            dialog.engine_state("podman/CONTAINER_HOST").startswith("answers")
            and dialog.engine_state("docker/default") not in ("", "testing…")
        ),
        timeout=WAIT,
    )
    assert dialog.engine_state("podman/CONTAINER_HOST").startswith("answers, podman ")
    assert dialog.engine_state("docker/default") == (
        f"There is no docker socket at {missing}: docker is not running there."
    )
    docker_row = dialog.engines_model.row_of("docker/default")
    assert docker_row is not None
    assert docker_row.cells[:4] == (
        "Docker",
        "default  (current)",
        f"unix://{missing}",
        "DOCKER_HOST",
    )
    assert docker_row.tone == "error"
    assert docker_row.bold

    # "Test" again on the selected row asks again
    dialog.select(dialog.engines_table, "podman/CONTAINER_HOST")
    with qtbot.waitSignal(dialog.engine_tested, timeout=WAIT) as tested:
        click(qtbot, dialog, "testEngineButton")
    assert tested.args == ["podman/CONTAINER_HOST", True]


# --------------------------------------------------------------------------- screenshots


def test_screenshots_of_every_tab_and_the_forms(
    qtbot: Any,
    open_dialog: Callable[..., ConnectionsDialog],
    demo_cluster: Cluster,
    keyring_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """Renders what a user sees (KIOPS_SCREENSHOT_DIR keeps the PNGs for a look)."""
    out = Path(os.environ.get("KIOPS_SCREENSHOT_DIR") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    dialog = open_dialog(demo_cluster.kubeconfig)
    qtbot.waitUntil(lambda: dialog.contexts_model.rowCount() == 1, timeout=WAIT)
    with qtbot.waitSignal(dialog.context_tested, timeout=WAIT):
        dialog.test_context("kiops-sandbox")
    for i, name in enumerate(("contexts", "clusters", "engines", "registry")):
        dialog.tabs.setCurrentIndex(i)
        qtbot.wait(50)
        assert dialog.grab().save(str(out / f"connections-{name}.png"))
    form = dialog.open_cluster_form()
    form.insecure_check.setChecked(True)
    qtbot.wait(50)
    assert form.grab().save(str(out / "add-cluster-insecure.png"))
    form.insecure_check.setChecked(False)
    form.show_error('"bad name" cannot name a cluster: use letters, digits and . _ @ : -.')
    qtbot.wait(50)
    assert form.grab().save(str(out / "add-cluster.png"))
    reg = dialog.open_registry_form()
    qtbot.wait(50)
    assert reg.grab().save(str(out / "registry-login.png"))
    with qtbot.waitSignal(dialog.scan_finished, timeout=WAIT):
        dialog.secure_file(demo_cluster.kubeconfig)
    assert dialog.secure_dialog is not None
    qtbot.wait(50)
    assert dialog.secure_dialog.grab().save(str(out / "secure-kubeconfig.png"))


def test_closing_the_dialog_mid_test_drops_the_answer(
    qtbot: Any,
    make_session: Callable[..., Session],
    demo_cluster: Cluster,
    keyring_env: dict[str, str],
) -> None:
    session = make_session(demo_cluster.kubeconfig)
    dialog = ConnectionsDialog(session, None)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.contexts_model.rowCount() == 1, timeout=WAIT)
    dialog.test_context("kiops-sandbox")
    dialog.close()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT)  # answers land on nobody

"""A cluster added in the app: the token goes to the real Secret Service, the app's own
kubeconfig gets an exec-plugin entry, and both the runtime (Python client) and the real kubectl
reach the sandbox (HTTPS + bearer token) through ``kiops-desktop-credential``. The token is in
no file."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kiops_desktop.connections.clusters import (
    AddedCluster,
    ClusterError,
    add_cluster,
    discover_with_app,
    kubeconfig_paths_with_app,
    list_clusters,
    remove_cluster,
)
from kiops_desktop.connections.credential_plugin import SCRIPT_NAME, plugin_command
from kiops_desktop.connections.credentials import CredentialStore
from kiops_desktop.connections.paths import app_dirs
from kiops_desktop.runtimes.errors import Conflict, Unauthorized
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.keyring.conftest import SecretScan
from tests.integration.sandbox.conftest import Cluster, apply_and_settle, nginx_deployment

pytestmark = pytest.mark.integration

VENV_BIN = Path(sys.executable).parent


def _no_user_kubeconfig(tmp_path: Path) -> dict[str, str]:
    """An environment whose ~/.kube/config does not exist: only the app's file is listed."""
    home = tmp_path / "user-home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home)}


@pytest.fixture
def token_cluster(
    cluster: Callable[..., Cluster], new_secret: Callable[[str], str]
) -> tuple[Cluster, str]:
    token = new_secret("sandbox-token")
    cl = cluster(tls=True, token=token)
    apply_and_settle(cl, nginx_deployment())
    return cl, token


def test_plugin_is_the_installed_console_script() -> None:
    # pip install -e . put it next to the interpreter; written kubeconfigs call it by that path
    assert plugin_command() == [str(VENV_BIN / SCRIPT_NAME)]


def test_added_cluster_works_for_runtime_and_kubectl(
    token_cluster: tuple[Cluster, str],
    store: CredentialStore,
    keyring_env: dict[str, str],
    secret_scan: SecretScan,
    tmp_path: Path,
) -> None:
    cl, token = token_cluster
    assert cl.sb.ca_pem is not None
    added = add_cluster(
        "sandbox-eu",
        cl.sb.url,
        f"  {token}\n",  # pasted with blanks around it
        store=store,
        ca_pem=cl.sb.ca_pem.decode(),
        user_kubeconfigs=(),
    )
    kubeconfig = secret_scan.watch(app_dirs().config / "kubeconfig")
    assert added == AddedCluster(
        "sandbox-eu", cl.sb.url, "default", insecure=False, has_ca=True, kubeconfig=kubeconfig
    )
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert stat.S_IMODE(kubeconfig.parent.stat().st_mode) == 0o700
    assert token not in kubeconfig.read_text()
    user = yaml.safe_load(kubeconfig.read_text())["users"][0]
    assert user == {
        "name": "sandbox-eu",
        "user": {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": str(VENV_BIN / SCRIPT_NAME),
                "args": ["sandbox-eu"],
                "interactiveMode": "Never",
                "provideClusterInfo": False,
            }
        },
    }
    assert store.get_cluster_token("sandbox-eu") == token

    # the Python client (KubernetesRuntime) runs the plugin
    config = discover_with_app(environ=_no_user_kubeconfig(tmp_path))
    assert [c.name for c in config.contexts] == ["sandbox-eu"]
    runtime = KubernetesRuntime.for_context(config, "sandbox-eu")
    try:
        assert [d.name for d in runtime.list_deployments("default")] == ["nginx"]
    finally:
        runtime.close()

    # so does the real kubectl, with nothing but the D-Bus address added to its environment
    res = cl.kubectl("get", "deployments", "-o", "name", kubeconfig=kubeconfig, env=keyring_env)
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx\n", ""), res.describe()
    assert [c.name for c in list_clusters()] == ["sandbox-eu"]


def test_plugin_prints_the_exec_credential(
    store: CredentialStore, keyring_env: dict[str, str], new_secret: Callable[[str], str]
) -> None:
    token = new_secret("plugin")
    store.set_cluster_token("direct", token)
    env = {"PATH": "/usr/bin:/bin", **keyring_env}
    out = subprocess.run(
        [str(VENV_BIN / SCRIPT_NAME), "direct"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stderr) == (0, "")
    assert json.loads(out.stdout) == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token},
    }
    # the module form (the fallback when the console script is not installed) is the same
    module = subprocess.run(
        [sys.executable, "-m", "kiops_desktop.connections.credential_plugin", "direct"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (module.returncode, module.stdout) == (0, out.stdout)
    missing = subprocess.run(
        [str(VENV_BIN / SCRIPT_NAME), "never-added"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert 'no credential for cluster "never-added" in the keyring' in missing.stderr


def test_removed_cluster_is_gone_everywhere(
    token_cluster: tuple[Cluster, str],
    store: CredentialStore,
    keyring_env: dict[str, str],
    secret_scan: SecretScan,
) -> None:
    cl, token = token_cluster
    assert cl.sb.ca_pem is not None
    add_cluster(
        "to-remove", cl.sb.url, token, store=store, ca_pem=cl.sb.ca_pem, user_kubeconfigs=()
    )
    kubeconfig = secret_scan.watch(app_dirs().config / "kubeconfig")
    remove_cluster("to-remove", store=store)
    assert list_clusters() == []
    assert store.get_cluster_token("to-remove") is None
    assert yaml.safe_load(kubeconfig.read_text())["contexts"] == []


def test_wrong_token_is_unauthorized_and_the_plugin_error_reaches_kubectl(
    token_cluster: tuple[Cluster, str],
    store: CredentialStore,
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    tmp_path: Path,
) -> None:
    cl, _ = token_cluster
    assert cl.sb.ca_pem is not None
    add_cluster(
        "wrong",
        cl.sb.url,
        new_secret("wrong-token"),
        store=store,
        ca_pem=cl.sb.ca_pem,
        user_kubeconfigs=(),
    )
    kubeconfig = secret_scan.watch(app_dirs().config / "kubeconfig")
    runtime = KubernetesRuntime.for_context(
        discover_with_app(environ=_no_user_kubeconfig(tmp_path)), "wrong"
    )
    try:
        with pytest.raises(Unauthorized):
            runtime.list_deployments()
    finally:
        runtime.close()
    # the keyring entry disappears behind the app's back: kubectl shows the plugin's sentence
    store.delete_cluster_credential("wrong")
    res = cl.kubectl("get", "deployments", kubeconfig=kubeconfig, env=keyring_env)
    assert res.code != 0
    assert 'no credential for cluster "wrong" in the keyring' in res.stderr


def test_skip_tls_verify_is_flagged_and_works_for_kubectl(
    token_cluster: tuple[Cluster, str],
    store: CredentialStore,
    keyring_env: dict[str, str],
    secret_scan: SecretScan,
) -> None:
    cl, token = token_cluster
    add_cluster(
        "no-verify",
        cl.sb.url,
        token,
        store=store,
        insecure_skip_tls_verify=True,
        user_kubeconfigs=(),
    )
    kubeconfig = secret_scan.watch(app_dirs().config / "kubeconfig")
    [added] = list_clusters()
    assert (added.insecure, added.has_ca) == (True, False)
    assert yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"] == {
        "server": cl.sb.url,
        "insecure-skip-tls-verify": True,
    }
    res = cl.kubectl("get", "deployments", "-o", "name", kubeconfig=kubeconfig, env=keyring_env)
    assert (res.code, res.stdout) == (0, "deployment.apps/nginx\n"), res.describe()
    with pytest.raises(ClusterError, match="not both"):
        add_cluster(
            "both",
            cl.sb.url,
            token,
            store=store,
            ca_pem=cl.sb.ca_pem,
            insecure_skip_tls_verify=True,
            user_kubeconfigs=(),
        )


def test_names_the_users_kubeconfig_defines_are_refused(
    token_cluster: tuple[Cluster, str], store: CredentialStore, tmp_path: Path
) -> None:
    cl, token = token_cluster
    with pytest.raises(Conflict, match='already has a context "kiops-sandbox"'):
        add_cluster(
            "kiops-sandbox", cl.sb.url, token, store=store, user_kubeconfigs=(cl.kubeconfig,)
        )
    with pytest.raises(ClusterError, match="plain HTTP"):
        add_cluster("x", "http://k8s.example.com", token, store=store, user_kubeconfigs=())
    with pytest.raises(ClusterError, match="PEM"):
        add_cluster("x", cl.sb.url, token, store=store, ca_pem="junk", user_kubeconfigs=())
    assert not (app_dirs().config / "kubeconfig").exists()
    assert store.get_cluster_token("kiops-sandbox") is None
    # the app's file goes after the user's, which is never rewritten
    before = cl.kubeconfig.read_bytes()
    paths = kubeconfig_paths_with_app(environ={"KUBECONFIG": str(cl.kubeconfig)})
    assert paths == (cl.kubeconfig, app_dirs().config / "kubeconfig")
    assert cl.kubeconfig.read_bytes() == before

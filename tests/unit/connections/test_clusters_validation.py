"""Adding a cluster: validation that runs before the keyring is touched, the list of kubeconfig
files, and reading the app's own kubeconfig. (Adding for real, with the keyring, the sandbox and
kubectl, is in tests/integration/keyring.)"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from kiops_desktop.connections import clusters
from kiops_desktop.connections.clusters import (
    AddedCluster,
    ClusterError,
    kubeconfig_paths_with_app,
    list_clusters,
)
from kiops_desktop.sandbox.tls import make_tls_material


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_tls_material(tmp_path_factory.mktemp("tls"), "127.0.0.1").ca_pem


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://k8s.example.com:6443/", "https://k8s.example.com:6443"),
        (" https://10.0.0.1 ", "https://10.0.0.1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_servers_accepted(server: str, expected: str) -> None:
    assert clusters._check_server(server) == expected


@pytest.mark.parametrize(
    ("server", "why"),
    [
        ("k8s.example.com:6443", "not an API server address"),
        ("ftp://k8s.example.com", "not an API server address"),
        ("http://k8s.example.com", "plain HTTP"),
        ("https://admin:pw@k8s.example.com", "not in the server address"),
    ],
)
def test_servers_refused(server: str, why: str) -> None:
    with pytest.raises(ClusterError, match=why):
        clusters._check_server(server)


@pytest.mark.parametrize("name", ["prod", "prod-eu.1", "arn:aws:eks@x", "a" * 100])
def test_names_accepted(name: str) -> None:
    assert clusters._check_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "a b", "a/b", "a" * 101])
def test_names_refused(name: str) -> None:
    with pytest.raises(ClusterError):
        clusters._check_name(name)


def test_ca_as_pem_base64_or_file(ca_pem: bytes, tmp_path: Path) -> None:
    assert clusters._check_ca(ca_pem.decode(), None) == ca_pem.strip() + b"\n"
    assert clusters._check_ca(base64.b64encode(ca_pem).decode(), None) == ca_pem.strip() + b"\n"
    (tmp_path / "ca.crt").write_bytes(ca_pem)
    assert clusters._check_ca(None, tmp_path / "ca.crt") == ca_pem.strip() + b"\n"
    assert clusters._check_ca(None, None) is None


@pytest.mark.parametrize(
    "bad", ["junk", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"]
)
def test_bad_ca_refused(bad: str) -> None:
    with pytest.raises(ClusterError):
        clusters._check_ca(bad, None)


def test_ca_file_and_paste_together_refused(ca_pem: bytes, tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="not both"):
        clusters._check_ca(ca_pem, tmp_path / "ca.crt")
    with pytest.raises(ClusterError, match="Cannot read the CA file"):
        clusters._check_ca(None, tmp_path / "missing.crt")


def test_app_file_comes_after_the_users(tmp_path: Path) -> None:
    app = tmp_path / "app" / "kubeconfig"
    env = {"KUBECONFIG": f"{tmp_path / 'a'}:{tmp_path / 'b'}"}
    assert kubeconfig_paths_with_app(environ=env, app_kubeconfig=app) == (
        tmp_path / "a",
        tmp_path / "b",
        app,
    )
    home = {"HOME": str(tmp_path / "home")}
    assert kubeconfig_paths_with_app(environ=home, app_kubeconfig=app) == (
        tmp_path / "home" / ".kube" / "config",
        app,
    )
    assert kubeconfig_paths_with_app(explicit=app, app_kubeconfig=app) == (app,)


def test_list_clusters_reads_the_app_file(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    assert list_clusters(path) == []
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [
                    {
                        "name": "b",
                        "cluster": {"server": "https://b", "insecure-skip-tls-verify": True},
                    },
                    {
                        "name": "a",
                        "cluster": {"server": "https://a", "certificate-authority-data": "x"},
                    },
                ],
                "contexts": [
                    {"name": "b", "context": {"cluster": "b", "user": "b"}},
                    {"name": "a", "context": {"cluster": "a", "user": "a", "namespace": "shop"}},
                ],
            }
        )
    )
    assert list_clusters(path) == [
        AddedCluster("a", "https://a", "shop", insecure=False, has_ca=True, kubeconfig=path),
        AddedCluster("b", "https://b", "default", insecure=True, has_ca=False, kubeconfig=path),
    ]
    path.write_text("- not a kubeconfig\n")
    with pytest.raises(ClusterError, match="is not a kubeconfig"):
        list_clusters(path)


def test_the_insecure_warning_is_loud() -> None:
    assert clusters.INSECURE_WARNING.startswith("TLS verification is OFF")


def test_repoint_plugin_updates_only_our_entries(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    assert clusters.repoint_plugin(path) == 0  # no file: nothing to do, nothing created
    assert not path.exists()
    current = clusters.exec_config("prod")["exec"]
    stale = {**current, "command": "/old/venv/bin/kiops-desktop-credential", "args": ["prod"]}
    module_form = {**current, "command": "/usr/bin/python3", "args": ["-m", clusters.MODULE, "lab"]}
    other = {"apiVersion": current["apiVersion"], "command": "aws", "args": ["eks", "get-token"]}
    path.write_text(
        yaml.safe_dump(
            {
                "users": [
                    {"name": "prod", "user": {"exec": stale}},
                    {"name": "lab", "user": {"exec": module_form}},
                    {"name": "eks", "user": {"exec": other}},
                    {"name": "ok", "user": {"exec": clusters.exec_config("ok")["exec"]}},
                ]
            }
        )
    )
    assert clusters.repoint_plugin(path) == 2
    users = {u["name"]: u["user"]["exec"] for u in yaml.safe_load(path.read_text())["users"]}
    assert users["prod"] == current
    assert users["lab"] == clusters.exec_config("lab")["exec"]
    assert users["eks"] == other
    assert clusters.repoint_plugin(path) == 0
    assert path.stat().st_mode & 0o777 == 0o600

"""Pure parts of the credential store: keyring names, registry keys as RegistryClient uses them,
the cluster credential value, backend naming, and the plugin's kubeconfig entry. (Everything
that touches a keyring is in tests/integration/keyring, against a real Secret Service.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kiops_desktop.connections.credential_plugin import (
    API_VERSION,
    MODULE,
    exec_config,
    exec_credential,
    main,
    plugin_command,
)
from kiops_desktop.connections.credentials import (
    ClusterCredential,
    CredentialError,
    CredentialStore,
    backend_name,
    cluster_service,
    is_file_based,
    registry_key,
    registry_service,
)
from kiops_desktop.connections.paths import app_dirs
from kiops_desktop.runtimes.registry import RegistryClient


@pytest.mark.parametrize(
    "host",
    ["harbor.example.com:8443", "HTTPS://Harbor.Example.com:8443/", "harbor.example.com:8443/"],
)
def test_registry_key_matches_the_clients_key(host: str) -> None:
    assert registry_key(host) == "harbor.example.com:8443"
    assert RegistryClient(host).registry == registry_key(host)


@pytest.mark.parametrize("alias", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_aliases(alias: str) -> None:
    assert registry_key(alias) == "docker.io" == RegistryClient(alias).registry


def test_service_names_are_namespaced() -> None:
    assert registry_service("127.0.0.1:5000") == "kiops-desktop/registry/127.0.0.1:5000"
    assert cluster_service("prod-eu") == "kiops-desktop/cluster/prod-eu"
    for bad in ("", "a b", "a/b"):
        with pytest.raises(CredentialError):
            cluster_service(bad)
    with pytest.raises(CredentialError):
        registry_key("harbor.example.com/library")


def test_cluster_credential_json_and_repr() -> None:
    token = ClusterCredential(token="tok-123456")
    assert token.to_json() == '{"token": "tok-123456"}'
    assert ClusterCredential.from_json(token.to_json()) == token
    cert = ClusterCredential(client_certificate_data="CERT", client_key_data="KEY-SECRET")
    assert json.loads(cert.to_json()) == {
        "clientCertificateData": "CERT",
        "clientKeyData": "KEY-SECRET",
    }
    assert "KEY-SECRET" not in repr(cert)
    assert "tok-123456" not in repr(token)
    assert cert.secrets() == ["KEY-SECRET"]
    for bad in ({}, {"client_key_data": "k"}, {"client_certificate_data": "c"}):
        with pytest.raises(CredentialError):
            ClusterCredential(**bad)
    with pytest.raises(ValueError, match="not a JSON object"):
        ClusterCredential.from_json("[]")


def test_backend_names() -> None:
    from keyring.backends import SecretService, fail, null

    assert backend_name(SecretService.Keyring).startswith("the Secret Service keyring")
    assert backend_name(null.Keyring()) == "the null keyring (it stores nothing)"
    assert backend_name(fail.Keyring) == "no keyring"
    assert not is_file_based(SecretService.Keyring)


def test_index_path_follows_kiops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOPS_HOME", str(tmp_path))
    assert app_dirs().config == tmp_path / "config"
    assert app_dirs().log == tmp_path / "logs"
    assert CredentialStore().index_path == tmp_path / "config" / "registry-logins.json"
    assert CredentialStore(index_path=tmp_path / "x.json").index_path == tmp_path / "x.json"
    # listing logins needs no keyring and no file
    assert CredentialStore().list_registry_logins() == []


def test_index_ignores_junk(tmp_path: Path) -> None:
    index = tmp_path / "i.json"
    for text in ("not json", "[]", '{"registries": []}', '{"registries": {"h": {"user": 1}}}'):
        index.write_text(text)
        assert CredentialStore(index_path=index).list_registry_logins() == []


def test_exec_entry_is_an_absolute_command() -> None:
    command = plugin_command()
    assert Path(command[0]).is_absolute()
    if len(command) > 1:
        assert command[1:] == ["-m", MODULE]
    entry = exec_config("prod")["exec"]
    assert entry["apiVersion"] == API_VERSION
    assert [entry["command"], *entry["args"]] == [*command, "prod"]
    assert entry["interactiveMode"] == "Never"
    assert exec_credential({"token": "t"}) == {
        "apiVersion": API_VERSION,
        "kind": "ExecCredential",
        "status": {"token": "t"},
    }


def test_plugin_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: kiops-desktop-credential" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_plugin_module_has_a_main_guard() -> None:
    source = Path(sys.modules[main.__module__].__file__ or "").read_text()
    assert 'if __name__ == "__main__":' in source

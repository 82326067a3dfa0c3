""" "Secure this kubeconfig" on real files: the embedded token of the sandbox's kubeconfig moves
into the real Secret Service, the rewritten file works for kubectl and the runtime without it,
and the original is kept as a 0600 backup. Client certificates and token files move too."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiops_desktop.connections.credentials import CredentialStore
from kiops_desktop.connections.secure_kubeconfig import (
    Finding,
    credential_name,
    mask,
    scan_kubeconfig,
    secure_kubeconfig,
)
from kiops_desktop.runtimes.errors import Conflict
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.keyring.conftest import SecretScan
from tests.integration.sandbox.conftest import Cluster, apply_and_settle, nginx_deployment

pytestmark = pytest.mark.integration


def _client_pair() -> tuple[str, str]:
    """(certificate PEM, private key PEM) of a throw-away client identity."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiops-test-admin")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _run_exec(user: dict, env: dict[str, str]) -> dict:
    """Run a kubeconfig user's exec plugin as kubectl would; its parsed ExecCredential."""
    ex = user["exec"]
    out = subprocess.run(
        [ex["command"], *ex["args"]],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_embedded_token_moves_to_the_keyring_and_the_file_still_works(
    cluster: Callable[..., Cluster],
    store: CredentialStore,
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    tmp_path: Path,
) -> None:
    token = new_secret("embedded")
    cl = cluster(tls=True, token=token)
    apply_and_settle(cl, nginx_deployment())
    path = tmp_path / "dot-kube" / "config"
    path.parent.mkdir()
    shutil.copyfile(cl.kubeconfig, path)
    path.chmod(0o640)
    original = path.read_bytes()
    assert token.encode() in original

    findings = scan_kubeconfig(path)
    assert findings == [
        Finding("kiops-sandbox-user", "token", "token", mask(token), movable=True, note="")
    ]
    assert token not in repr(findings)

    result = secure_kubeconfig(path, store=store, confirmed=findings)
    secret_scan.watch(path)
    name = credential_name(path, "kiops-sandbox-user")
    assert result.path == path.resolve()
    assert result.credentials == {"kiops-sandbox-user": name}
    assert (result.moved, result.left) == (tuple(findings), ())
    # the original, byte for byte, readable by the owner only, next to the file
    assert result.backup.parent == path.parent
    assert result.backup.name.startswith("config.kiops-backup-")
    assert result.backup.read_bytes() == original
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    # the rewritten file: no token, the exec plugin instead, its mode kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    text = path.read_text()
    assert token not in text
    user = yaml.safe_load(text)["users"][0]["user"]
    assert list(user) == ["exec"]
    assert user["exec"]["args"][-1] == name
    assert store.get_cluster_token(name) == token
    assert scan_kubeconfig(path) == []

    res = cl.kubectl("get", "deployments", "-o", "name", kubeconfig=path, env=keyring_env)
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx\n", ""), res.describe()
    runtime = KubernetesRuntime(str(path), "kiops-sandbox")
    try:
        assert [d.name for d in runtime.list_deployments("default")] == ["nginx"]
    finally:
        runtime.close()


def test_client_certificates_and_token_files_move_passwords_stay(
    store: CredentialStore,
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    tmp_path: Path,
) -> None:
    cert_pem, key_pem = _client_pair()
    secret_scan.secret(key_pem)
    file_token = new_secret("from-file")
    password = new_secret("basic")
    kube = tmp_path / "kube"
    kube.mkdir()
    (kube / "admin.crt").write_text(cert_pem)
    (kube / "admin.key").write_text(key_pem)
    (kube / "sa-token").write_text(file_token + "\n")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [
            {
                "name": "inline-cert",
                "user": {
                    "client-certificate-data": base64.b64encode(cert_pem.encode()).decode(),
                    "client-key-data": base64.b64encode(key_pem.encode()).decode(),
                },
            },
            {
                "name": "file-cert",
                "user": {"client-certificate": "admin.crt", "client-key": "admin.key"},
            },
            {"name": "sa", "user": {"tokenFile": "sa-token"}},
            {"name": "old", "user": {"username": "admin", "password": password}},
        ],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "inline-cert"}}],
        "current-context": "c",
    }
    path = kube / "config"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)

    findings = scan_kubeconfig(path)
    assert [(f.user, f.kind, f.movable) for f in findings] == [
        ("inline-cert", "client-key-data", True),
        ("file-cert", "client-key-file", True),
        ("sa", "token-file", True),
        ("old", "password", False),
    ]
    assert findings[0].preview == f"private key (PEM, {len(key_pem)} bytes) ••••••"
    assert "stays as it is" in findings[1].note
    assert "basic auth" in findings[3].note

    # the file changed after the user looked: nothing happens
    stale = [*findings[:2], findings[3]]
    with pytest.raises(Conflict, match="changed since it was scanned"):
        secure_kubeconfig(path, store=store, confirmed=stale)
    assert path.read_text() == yaml.safe_dump(config)

    result = secure_kubeconfig(path, store=store, confirmed=findings)
    secret_scan.files.append(path)
    assert [f.kind for f in result.left] == ["password"]
    users = {u["name"]: u["user"] for u in yaml.safe_load(path.read_text())["users"]}
    assert users["old"] == {"username": "admin", "password": password}  # reported, not moved
    secret_scan.secrets.remove(password)  # the one secret deliberately left in the file

    for name in ("inline-cert", "file-cert"):
        assert list(users[name]) == ["exec"]
        assert _run_exec(users[name], keyring_env) == {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"clientCertificateData": cert_pem, "clientKeyData": key_pem},
        }
    assert _run_exec(users["sa"], keyring_env)["status"] == {"token": file_token}
    # key and token files are not ours to delete: they stay, and the findings said so
    assert (kube / "admin.key").read_text() == key_pem
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600

"""The kubeconfig secret finder (pure): what it finds, where, how it previews, and what it
will and will not move."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from kiops_desktop.connections.redact import MASK
from kiops_desktop.connections.secure_kubeconfig import (
    Finding,
    credential_name,
    find_secrets,
    mask,
)

TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.payload.signature"
KEY_PEM = b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"


def config(*users: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"users": [{"name": n, "user": u} for n, u in users]}


def test_mask_never_shows_a_short_secret_and_only_the_start_of_a_long_one() -> None:
    assert mask("hunter22") == f"{MASK} (8 characters)"
    assert mask(TOKEN) == f"eyJh{MASK} ({len(TOKEN)} characters)"
    assert TOKEN[4:10] not in mask(TOKEN)


def test_token() -> None:
    assert find_secrets(config(("admin", {"token": TOKEN}))) == [
        Finding("admin", "token", "token", mask(TOKEN), True, "")
    ]


def test_nothing_to_find() -> None:
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "x"}}
    assert find_secrets(config(("a", exec_user), ("b", {}), ("c", {"as": "someone"}))) == []
    assert find_secrets({}) == []
    assert find_secrets({"users": "junk"}) == []
    assert find_secrets({"users": [{"name": 1}, "x", {"name": "n", "user": None}]}) == []


def test_client_key_data_needs_its_certificate() -> None:
    key = base64.b64encode(KEY_PEM).decode()
    with_cert = config(("a", {"client-key-data": key, "client-certificate-data": "Y2VydA=="}))
    [found] = find_secrets(with_cert)
    assert (found.kind, found.field, found.movable) == ("client-key-data", "client-key-data", True)
    assert found.preview == f"ec private key (PEM, {len(KEY_PEM)} bytes) {MASK}"
    [alone] = find_secrets(config(("a", {"client-key-data": key})))
    assert (alone.movable, alone.note) == (False, "no client certificate goes with the key")
    [junk] = find_secrets(
        config(("a", {"client-key-data": "not base64!", "client-certificate-data": "x"}))
    )
    assert (junk.movable, junk.preview) == (False, f"not base64 {MASK}")
    assert "not base64!" not in repr(junk)


def test_files_are_resolved_against_the_kubeconfig_directory(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_bytes(KEY_PEM)
    (tmp_path / "c.pem").write_text("cert")
    (tmp_path / "t").write_text(TOKEN)
    found = find_secrets(
        config(
            ("cert", {"client-key": "k.pem", "client-certificate": "c.pem"}),
            ("sa", {"tokenFile": "t"}),
            ("gone", {"tokenFile": "missing"}),
        ),
        base_dir=tmp_path,
    )
    assert [(f.user, f.kind, f.movable) for f in found] == [
        ("cert", "client-key-file", True),
        ("sa", "token-file", True),
        ("gone", "token-file", False),
    ]
    assert found[0].preview == f"file {tmp_path / 'k.pem'}"
    assert (
        found[1].note
        == f"the token is copied from {tmp_path / 't'}; that file itself stays as it is"
    )
    assert found[2].note == f"cannot read {tmp_path / 'missing'}"


def test_reported_but_not_moved() -> None:
    found = find_secrets(
        config(
            ("basic", {"username": "admin", "password": "hunter22"}),
            (
                "oidc",
                {
                    "auth-provider": {
                        "name": "oidc",
                        "config": {
                            "id-token": TOKEN,
                            "refresh-token": "r3fresh-t0ken",
                            "idp-issuer-url": "https://x",
                        },
                    }
                },
            ),
            (
                "aws",
                {
                    "exec": {
                        "command": "aws",
                        "env": [
                            {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG"},
                            {"name": "AWS_PROFILE", "value": "prod"},
                        ],
                    },
                    "token": TOKEN,
                },
            ),
        )
    )
    assert [(f.user, f.kind, f.field, f.movable) for f in found] == [
        ("basic", "password", "password", False),
        ("oidc", "auth-provider", "auth-provider.config.id-token", False),
        ("oidc", "auth-provider", "auth-provider.config.refresh-token", False),
        ("aws", "token", "token", False),
        ("aws", "exec-env", "exec.env.AWS_SECRET_ACCESS_KEY", False),
    ]
    assert "basic auth" in found[0].note
    assert "kubelogin" in found[1].note
    assert found[3].note == "this user already authenticates with an exec plugin"
    text = repr(found)
    for secret in ("hunter22", "r3fresh-t0ken", "wJalrXUtnFEMI/K7MDENG", TOKEN):
        assert secret not in text


def test_credential_names_are_safe_and_differ_per_file(tmp_path: Path) -> None:
    a = credential_name(tmp_path / "a" / "config", "arn:aws:eks:eu-west-1:1:cluster/prod admin")
    b = credential_name(tmp_path / "b" / "config", "arn:aws:eks:eu-west-1:1:cluster/prod admin")
    assert a != b
    assert a.startswith("arn:aws:eks:eu-west-1:1:cluster-prod-admin.")
    assert " " not in a
    assert "/" not in a

"""The kubeconfig the sandbox writes so that kubectl and client libraries work as they are."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml


def build_kubeconfig(
    url: str,
    *,
    ca_pem: bytes | None,
    token: str | None,
    context: str,
    namespace: str,
) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user: dict[str, Any] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": f"{context}-user", "user": user}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": context, "user": f"{context}-user", "namespace": namespace},
            }
        ],
        "current-context": context,
    }


def write_kubeconfig(path: Path, config: dict[str, Any]) -> Path:
    """Write with 0600 permissions from the first byte: it may hold a token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    os.chmod(path, 0o600)
    return path

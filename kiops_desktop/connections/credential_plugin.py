"""``kiops-desktop-credential NAME``: the kubectl exec credential plugin that reads from the keyring.

It prints a ``client.authentication.k8s.io/v1`` ExecCredential whose status holds the token (or
client certificate and key) stored for cluster ``NAME`` by KIOPS Desktop, so the real kubectl in
the console and the Python client both authenticate from the keyring and no kubeconfig written
by the app holds a secret. When the credential is missing or the keyring is locked or absent it
prints one sentence on stderr (kubectl shows it to the user) and exits non-zero.

How kubeconfigs written by the app call it (:func:`exec_config`): by absolute path, so neither
kubectl nor the Python client depends on ``PATH`` (a desktop launcher or the console may have a
different one):

* the ``kiops-desktop-credential`` console script next to the running interpreter (the venv's
  ``bin/`` or ``Scripts\\``), when it is installed there;
* otherwise ``<sys.executable> -m kiops_desktop.connections.credential_plugin`` - the same code,
  found through the interpreter that runs the app.

Both are plain commands with arguments: kubectl (client-go) and the Python client's
``ExecProvider`` run them the same way, pass the user's environment through (the plugin needs
``DBUS_SESSION_BUS_ADDRESS`` to reach the Secret Service) and read the JSON from stdout.

Exit codes: 0 printed; 1 no credential stored for NAME; 2 usage; 3 keyring missing, locked or
failing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SCRIPT_NAME = "kiops-desktop-credential"
MODULE = "kiops_desktop.connections.credential_plugin"
API_VERSION = "client.authentication.k8s.io/v1"
_ACCEPTED_VERSIONS = (API_VERSION, "client.authentication.k8s.io/v1beta1")

EXIT_OK, EXIT_MISSING, EXIT_USAGE, EXIT_KEYRING = 0, 1, 2, 3


def plugin_command() -> list[str]:
    """The command (absolute) that runs this plugin from a kubeconfig, without the name."""
    script = SCRIPT_NAME + (".exe" if os.name == "nt" else "")
    candidates = [Path(sys.executable).parent / script]
    scripts_dir = sysconfig.get_path("scripts")
    if scripts_dir:
        candidates.append(Path(scripts_dir) / script)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", MODULE]


def exec_config(name: str) -> dict[str, Any]:
    """The ``users[].user`` body that makes kubectl and the Python client ask this plugin for
    cluster credential ``name``."""
    command, *args = plugin_command()
    return {
        "exec": {
            "apiVersion": API_VERSION,
            "command": command,
            "args": [*args, name],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
        }
    }


def exec_credential(status: dict[str, str], api_version: str = API_VERSION) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "ExecCredential", "status": status}


def _requested_version() -> str:
    """The apiVersion the caller asked for in KUBERNETES_EXEC_INFO (v1 when absent)."""
    info = os.environ.get("KUBERNETES_EXEC_INFO")
    if info:
        try:
            version = json.loads(info).get("apiVersion")
        except (ValueError, AttributeError):
            version = None
        if version in _ACCEPTED_VERSIONS:
            return str(version)
    return API_VERSION


def _error(text: str) -> None:
    print(f"{SCRIPT_NAME}: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=SCRIPT_NAME,
        description="kubectl exec credential plugin: prints the ExecCredential for a cluster "
        "added to KIOPS Desktop, from the OS keyring.",
    )
    parser.add_argument("name", help="the cluster credential name (as written in the kubeconfig)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE

    from kiops_desktop.connections.credentials import (
        CredentialError,
        CredentialStore,
        KeyringUnavailable,
    )

    store = CredentialStore()
    try:
        credential = store.get_cluster_credential(args.name)
    except KeyringUnavailable as exc:
        _error(exc.message())
        return EXIT_KEYRING
    except CredentialError as exc:
        _error(str(exc))
        return EXIT_USAGE
    if credential is None:
        _error(
            f'no credential for cluster "{args.name}" in the keyring. Add the cluster again in '
            "KIOPS Desktop (Connections), or secure its kubeconfig again."
        )
        return EXIT_MISSING
    status = json.loads(credential.to_json())
    sys.stdout.write(json.dumps(exec_credential(status, _requested_version())) + "\n")
    sys.stdout.flush()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""A kubeconfig whose user is an exec credential plugin (as with cloud clusters) works for the
runtime exactly as for kubectl: the client library runs the plugin, nothing is reinvented."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kiops_desktop.runtimes.errors import Unauthorized
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.kubernetes.conftest import TOKEN
from tests.integration.sandbox.conftest import Cluster, apply_and_settle, nginx_deployment

pytestmark = pytest.mark.integration


def _exec_kubeconfig(cl: Cluster, token: str, name: str) -> Path:
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token},
    }
    config = yaml.safe_load(cl.kubeconfig.read_text())
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
            "interactiveMode": "Never",
        }
    }
    path = cl.workdir / name
    path.write_text(yaml.safe_dump(config))
    return path


def test_exec_plugin_token_is_used_by_runtime_and_kubectl(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    kubeconfig = _exec_kubeconfig(cl, TOKEN, "exec-kubeconfig")
    assert "token" not in yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]
    runtime = runtime_for(cl, kubeconfig=kubeconfig)
    assert [d.name for d in runtime.list_deployments("default")] == ["nginx"]
    res = cl.kubectl("get", "deploy", "-o", "name", kubeconfig=kubeconfig)
    assert (res.code, res.stdout) == (0, "deployment.apps/nginx\n"), res.describe()


def test_exec_plugin_with_a_wrong_token_is_unauthorized(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    runtime = runtime_for(cl, kubeconfig=_exec_kubeconfig(cl, "wrong", "exec-wrong"))
    with pytest.raises(Unauthorized):
        runtime.list_deployments()

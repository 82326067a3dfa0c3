"""A kubelet stand-in: schedules pods onto one node, "starts" their containers after a delay and
reports the states a real node would (spec §6.8), including failure modes by image tag:

- a tag containing ``crashloop``: the container starts, exits with an error, and is restarted
  with a doubling back-off (CrashLoopBackOff, rising restartCount);
- a tag containing ``pullerror``: the image never pulls (ErrImagePull / ImagePullBackOff).

It also keeps each container's log lines in memory for the ``pods/log`` endpoint.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import resources as res
from ..errors import ApiError
from ..registry import Registry
from ..store import Obj, clone, format_time

NODE_NAME = "sandbox-node-1"
HOST_IP = "10.0.0.10"
CRASH_RUN_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
MAX_LOG_LINES = 2_000

Schedule = Callable[..., None]


def image_tag(image: str) -> str:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def image_behaviour(image: str) -> str:
    tag = image_tag(image)
    if "crashloop" in tag:
        return "crash"
    if "pullerror" in tag:
        return "pull"
    return "ok"


@dataclass
class ContainerRun:
    """What the node knows about one container of one pod."""

    name: str
    image: str
    behaviour: str
    state: str = "creating"  # creating, running, backoff, pullerror, pullbackoff
    started_at: str = ""
    ready: bool = False
    restarts: int = 0
    last_terminated: Obj | None = None
    container_id: str = ""


@dataclass
class PodRun:
    uid: str
    namespace: str
    name: str
    containers: list[ContainerRun]
    ip: str
    started: bool = False
    due: dict[str, float] = field(default_factory=dict)


@dataclass
class LogBuffer:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (timestamp, text)
    closed: bool = False


class Kubelet:
    def __init__(
        self,
        registry: Registry,
        schedule: Schedule,
        *,
        pod_start_delay: float,
        crash_backoff: float,
    ) -> None:
        self.reg = registry
        self.clock = registry.clock
        self.schedule = schedule
        self.pod_start_delay = pod_start_delay
        self.crash_backoff = crash_backoff
        self._runs: dict[str, PodRun] = {}
        self._ips = itertools.count(2)
        self.log_cond = threading.Condition()
        self._logs: dict[tuple[str, str, str], LogBuffer] = {}
        # The log of each container's previous run (``kubectl logs --previous``).
        self._previous: dict[tuple[str, str, str], LogBuffer] = {}

    # -- logs ----------------------------------------------------------------------------
    def _log(self, run: PodRun, container: ContainerRun, lines: list[str]) -> None:
        with self.log_cond:
            buffer = self._logs.setdefault((run.namespace, run.name, container.name), LogBuffer())
            now = self.clock.now()
            stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
            short = format_time(now)
            for line in lines:
                buffer.lines.append((stamp, f"{short} {line}"))
            del buffer.lines[:-MAX_LOG_LINES]
            self.log_cond.notify_all()

    def log_buffer(
        self, namespace: str, pod: str, container: str, *, previous: bool = False
    ) -> LogBuffer | None:
        with self.log_cond:
            logs = self._previous if previous else self._logs
            return logs.get((namespace, pod, container))

    def forget(self, namespace: str, name: str, uid: str) -> None:
        self._runs.pop(uid, None)
        with self.log_cond:
            for key in [k for k in self._logs if k[:2] == (namespace, name)]:
                self._logs[key].closed = True
                del self._logs[key]
            for key in [k for k in self._previous if k[:2] == (namespace, name)]:
                del self._previous[key]
            self.log_cond.notify_all()

    # -- the node's loop -----------------------------------------------------------------
    def sync(self, namespace: str, name: str, now: float) -> None:
        pod = self.reg.store.get(res.PODS.key, namespace, name)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        uid = pod["metadata"]["uid"]
        run = self._runs.get(uid)
        if run is None:
            run = self._admit(pod, now)
        self._advance(run, now)
        self._report(pod, run)

    def _admit(self, pod: Obj, now: float) -> PodRun:
        containers = [
            ContainerRun(c["name"], c.get("image", ""), image_behaviour(c.get("image", "")))
            for c in pod["spec"].get("containers") or []
        ]
        n = next(self._ips)
        run = PodRun(
            pod["metadata"]["uid"],
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            containers,
            ip=f"10.244.{(n // 250) % 250}.{n % 250 + 2}",
        )
        run.due["start"] = now + self.pod_start_delay
        self._runs[run.uid] = run
        self.schedule("pod", run.namespace, run.name, self.pod_start_delay)
        return run

    def _advance(self, run: PodRun, now: float) -> None:
        if not run.started:
            if now < run.due.get("start", 0):
                return
            run.started = True
            for container in run.containers:
                self._start(run, container, now)
            return
        for container in run.containers:
            due = run.due.get(container.name)
            if due is None or now < due:
                continue
            del run.due[container.name]
            if container.state == "running" and container.behaviour == "crash":
                self._crash(run, container, now)
            elif container.state == "backoff":
                self._start(run, container, now)
            elif container.state in ("pullerror", "pullbackoff"):
                self._pull_again(run, container, now)

    def _event(self, run: PodRun, event_type: str, reason: str, message: str) -> None:
        """Record an event about the pod, as the kubelet does for failures."""
        involved: Obj = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": run.name, "namespace": run.namespace, "uid": run.uid},
        }
        self.reg.record_event(involved, event_type, reason, message, "kubelet")

    def _container_id(self, run: PodRun, container: ContainerRun) -> str:
        seed = f"{run.uid}/{container.name}/{container.restarts}".encode()
        return "containerd://" + hashlib.sha256(seed).hexdigest()

    def _later(self, run: PodRun, container: ContainerRun, now: float, delay: float) -> None:
        run.due[container.name] = now + delay
        # Failure loops never end: they must not keep the sandbox from "settling".
        self.schedule("pod", run.namespace, run.name, delay, background=True)

    def _start(self, run: PodRun, container: ContainerRun, now: float) -> None:
        if container.behaviour == "pull":
            self._event(
                run,
                "Warning",
                "Failed",
                f'Failed to pull image "{container.image}": failed to resolve reference '
                f'"{container.image}": not found',
            )
            container.state = "pullerror"
            self._later(run, container, now, max(self.crash_backoff, 0.5))
            return
        if container.restarts:
            with self.log_cond:
                self._logs[(run.namespace, run.name, container.name)] = LogBuffer()
        container.state = "running"
        container.started_at = self.clock.timestamp()
        container.container_id = self._container_id(run, container)
        tag = image_tag(container.image)
        if container.behaviour == "crash":
            container.ready = False
            self._log(
                run,
                container,
                [
                    f"INFO  starting {container.name} {tag}",
                    "INFO  loading configuration",
                    "ERROR failed to connect to database: connection refused (retries exhausted)",
                    "FATAL unable to start: dependency check failed",
                ],
            )
            self._later(run, container, now, min(CRASH_RUN_SECONDS, self.crash_backoff))
            return
        container.ready = True
        self._log(
            run,
            container,
            [
                f"INFO  starting {container.name} {tag}",
                "INFO  configuration loaded",
                "INFO  listening on :8080",
                "INFO  readiness probe passed, serving traffic",
            ],
        )

    def _crash(self, run: PodRun, container: ContainerRun, now: float) -> None:
        finished = self.clock.timestamp()
        container.last_terminated = {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": container.started_at or finished,
            "finishedAt": finished,
            "containerID": container.container_id,
        }
        container.restarts += 1
        container.state = "backoff"
        # While it backs off, both the current and the previous log are the crashed run's, as
        # on a real node; the restart below starts a fresh current log.
        with self.log_cond:
            key = (run.namespace, run.name, container.name)
            if key in self._logs:
                self._previous[key] = self._logs[key]
        container.ready = False
        backoff = min(self.crash_backoff * 2 ** (container.restarts - 1), MAX_BACKOFF_SECONDS)
        self._event(
            run,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {container.name} in pod "
            f"{run.name}_{run.namespace}({run.uid})",
        )
        self._later(run, container, now, backoff)

    def _pull_again(self, run: PodRun, container: ContainerRun, now: float) -> None:
        container.state = "pullbackoff" if container.state == "pullerror" else "pullerror"
        self._later(run, container, now, max(self.crash_backoff, 0.5))

    # -- status --------------------------------------------------------------------------
    def _container_status(self, run: PodRun, container: ContainerRun, pod_name: str) -> Obj:
        status: Obj = {"name": container.name}
        if container.state == "creating":
            status["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif container.state == "running":
            status["state"] = {"running": {"startedAt": container.started_at}}
        elif container.state == "backoff":
            backoff = int(
                min(self.crash_backoff * 2 ** (container.restarts - 1), MAX_BACKOFF_SECONDS)
            )
            status["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {backoff}s restarting failed container={container.name} "
                    f"pod={pod_name}_{run.namespace}({run.uid})",
                }
            }
        elif container.state == "pullerror":
            status["state"] = {
                "waiting": {
                    "reason": "ErrImagePull",
                    "message": f'failed to pull and unpack image "{container.image}": failed to '
                    f'resolve reference "{container.image}": not found',
                }
            }
        else:
            status["state"] = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{container.image}"',
                }
            }
        status["lastState"] = (
            {"terminated": dict(container.last_terminated)} if container.last_terminated else {}
        )
        status["ready"] = container.ready
        status["restartCount"] = container.restarts
        status["image"] = container.image
        status["imageID"] = ""
        if container.container_id:
            digest = hashlib.sha256(container.image.encode()).hexdigest()
            status["imageID"] = f"{container.image.split(':')[0]}@sha256:{digest}"
            status["containerID"] = container.container_id
        status["started"] = container.state == "running"
        return status

    def _report(self, pod: Obj, run: PodRun) -> None:
        old_status = pod.get("status") or {}
        started = run.started
        ever_ran = any(c.container_id for c in run.containers)
        all_ready = started and all(c.ready for c in run.containers)
        not_ready = [c.name for c in run.containers if not c.ready]
        now = self.clock.timestamp()

        def condition(cond_type: str, value: bool, reason: str = "", message: str = "") -> Obj:
            state = "True" if value else "False"
            previous = next(
                (c for c in old_status.get("conditions") or [] if c.get("type") == cond_type), None
            )
            since = (
                previous["lastTransitionTime"]
                if previous and previous.get("status") == state
                else now
            )
            cond: Obj = {
                "type": cond_type,
                "status": state,
                "lastProbeTime": None,
                "lastTransitionTime": since,
            }
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            return cond

        unready_message = f"containers with unready status: [{' '.join(not_ready)}]"
        conditions = [
            condition("PodReadyToStartContainers", started),
            condition("Initialized", True),
            condition(
                "Ready", all_ready, *(() if all_ready else ("ContainersNotReady", unready_message))
            ),
            condition(
                "ContainersReady",
                all_ready,
                *(() if all_ready else ("ContainersNotReady", unready_message)),
            ),
            condition("PodScheduled", True),
        ]
        status: Obj = {
            "phase": "Running" if ever_ran else "Pending",
            "conditions": conditions,
            "hostIP": HOST_IP,
            "hostIPs": [{"ip": HOST_IP}],
        }
        if started:
            status["podIP"] = run.ip
            status["podIPs"] = [{"ip": run.ip}]
        status["startTime"] = old_status.get("startTime") or now
        if pod["spec"].get("initContainers"):
            status["initContainerStatuses"] = [
                {
                    "name": c["name"],
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": status["startTime"],
                            "finishedAt": status["startTime"],
                        }
                    },
                    "lastState": {},
                    "ready": True,
                    "restartCount": 0,
                    "image": c.get("image", ""),
                    "imageID": "",
                    "started": False,
                }
                for c in pod["spec"]["initContainers"]
            ]
        status["containerStatuses"] = [
            self._container_status(run, c, run.name) for c in run.containers
        ]
        status["qosClass"] = old_status.get("qosClass", "BestEffort")
        if status == old_status and pod["spec"].get("nodeName") == NODE_NAME:
            return
        new = clone(pod)
        new["spec"]["nodeName"] = NODE_NAME
        new["status"] = status
        try:
            self.reg.write(res.PODS, new, subresource="internal")
        except ApiError as exc:
            if exc.code != 409 and exc.code != 404:
                raise
            if exc.code == 409:
                self.schedule("pod", run.namespace, run.name, 0.01)

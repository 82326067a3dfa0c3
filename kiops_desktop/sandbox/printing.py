"""Server-side Table printing for the sandbox API server (spec §6.2, §6.8).

kubectl asks for ``as=Table;v=v1;g=meta.k8s.io`` and prints whatever cells the server computes, so
the cells must be exactly what kube-apiserver's printers produce. This module ports:

* ``k8s.io/apimachinery/pkg/util/duration.HumanDuration`` (the AGE column),
* the table handlers of ``kubernetes/kubernetes:pkg/printers/internalversion/printers.go``
  (pods, deployments, replicasets, namespaces, events, configmaps, secrets, services, jobs),
  always in the wide variant, because the real server generates ``GenerateOptions{Wide: true}``
  and leaves hiding ``priority: 1`` columns to kubectl,
* ``apiserver/pkg/registry/rest.defaultTableConvertor`` for every other resource,
* the ``includeObject`` handling of ``apiserver/pkg/endpoints/handlers/response.go``.

The printers run on the server's *internal* objects, i.e. after decoding and defaulting. Objects
here are plain JSON dicts, so the few server defaults a printer can observe (``spec.replicas`` 1,
Service ``type`` ClusterIP and port ``protocol`` TCP, Secret ``type`` Opaque, Namespace phase
Active, ``clusterIPs`` from ``clusterIP``, ``podIPs`` from ``podIP``) are applied while reading.

Pure functions: no I/O, no imports from the rest of the application.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, NamedTuple

__all__ = [
    "age",
    "build_table",
    "human_duration",
    "pod_ready",
    "pod_restarts",
    "pod_status_reason",
]

JSON = dict[str, Any]
_Obj = Mapping[str, Any]
_EMPTY: Final[Mapping[str, Any]] = {}

NONE_CELL: Final = "<none>"
UNKNOWN_CELL: Final = "<unknown>"

# ---------------------------------------------------------------------------------- durations

_NS_PER_SECOND: Final = 1_000_000_000
_NS_PER_MINUTE: Final = 60 * _NS_PER_SECOND
_NS_PER_HOUR: Final = 60 * _NS_PER_MINUTE


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``: a succinct age such as ``45s``, ``3m20s``, ``5h12m``, ``2y30d``."""
    # Go works on an int64 count of nanoseconds; rounding to whole nanoseconds keeps float noise
    # (0.3 * 1e9 == 299999999.99999994) from moving a value across a boundary.
    return _human_duration_ns(round(seconds * _NS_PER_SECOND))


def _human_duration_ns(ns: int) -> str:
    # int(d.Seconds()) truncates toward zero, so -1.9s still counts as "-1" and prints "0s":
    # up to two seconds of clock skew between components is tolerated as "now".
    seconds = -(-ns // _NS_PER_SECOND) if ns < 0 else ns // _NS_PER_SECOND
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24
        dy = days % 365
        return f"{days // 365}y" if dy == 0 else f"{days // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


# --------------------------------------------------------------------------------- timestamps

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
# metav1.Time.IsZero() is true for Go's zero time, which serialises as this instant.
_GO_ZERO_TIME_US: Final = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US


def _epoch_us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken to be UTC (as the API's times are)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_US


# Bounded: creation/finish timestamps repeat across the many LISTs a `kubectl get -w` or a
# polling UI issues, but a long-running sandbox must not grow without limit.
@lru_cache(maxsize=16384)
def _parse_rfc3339_us(text: str) -> int | None:
    """Parse an RFC 3339 time (``Z`` or offset, optional fraction); ``None`` if zero or invalid."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:  # RFC 3339 allows a lower-case "t"/"z"; fromisoformat does not.
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            return None
    us = _epoch_us(moment)
    return None if us == _GO_ZERO_TIME_US else us


def _timestamp_us(value: Any) -> int | None:
    if isinstance(value, str):
        return _parse_rfc3339_us(value) if value else None
    if isinstance(value, datetime):
        us = _epoch_us(value)
        return None if us == _GO_ZERO_TIME_US else us
    return None


def _since(value: Any, now_us: int) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a zero/missing time, else its age."""
    us = _timestamp_us(value)
    if us is None:
        return UNKNOWN_CELL
    return _human_duration_ns((now_us - us) * 1000)


def age(creation_timestamp: str | None, now: datetime) -> str:
    """The AGE cell for an object created at ``creation_timestamp`` (RFC 3339), seen at ``now``."""
    return _since(creation_timestamp, _epoch_us(now))


# ----------------------------------------------------------------------------- small helpers


def _int(value: Any) -> int:
    """A JSON integer field; absent (or null) means 0, as for Go's non-pointer ints."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)


def _metadata(obj: _Obj) -> _Obj:
    return obj.get("metadata") or _EMPTY


def _name(obj: _Obj) -> str:
    return _metadata(obj).get("name") or ""


def _go_trim_space(text: str) -> str:
    """``strings.TrimSpace``: Unicode White_Space only (Python's ``strip`` also eats \\x1c-\\x1f)."""
    return text.strip(_GO_WHITESPACE)


_GO_WHITESPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def _container_cells(pod_spec: _Obj) -> tuple[str, str]:
    """``layoutContainerCells``: container names and images, each joined with commas."""
    containers = pod_spec.get("containers") or ()
    names = ",".join(c.get("name") or "" for c in containers)
    images = ",".join(c.get("image") or "" for c in containers)
    return names, images


def _template_spec(obj: _Obj) -> _Obj:
    template = (obj.get("spec") or _EMPTY).get("template") or _EMPTY
    return template.get("spec") or _EMPTY


# ---------------------------------------------------------------------------- label selectors

# apimachinery/pkg/util/validation: qualified names (label keys) and label values.
_QUALIFIED_NAME_RE: Final = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN_RE: Final = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_LABEL_VALUE_RE: Final = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def _is_label_key(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix)):
        return False
    if "/" in prefix:
        return False
    return 0 < len(name) <= 63 and _QUALIFIED_NAME_RE.fullmatch(name) is not None


def _is_label_value(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE_RE.fullmatch(value))


class _InvalidSelector(ValueError):
    pass


def _requirement(key: Any, operator: str, values: Sequence[Any]) -> tuple[str, str]:
    """``labels.NewRequirement`` + ``Requirement.String``: (sort key, rendered requirement)."""
    if not isinstance(key, str) or not _is_label_key(key):
        raise _InvalidSelector(key)
    if not all(_is_label_value(v) for v in values):
        raise _InvalidSelector(key)
    if operator == "=":
        if len(values) != 1:
            raise _InvalidSelector(key)
        return key, f"{key}={values[0]}"
    if operator in ("in", "notin"):
        if not values:
            raise _InvalidSelector(key)
        # Requirement.String sorts the values on output only (the selector keeps their order).
        return key, f"{key} {operator} ({','.join(sorted(values))})"
    if values:
        raise _InvalidSelector(key)
    return key, ("!" + key) if operator == "!" else key


_SELECTOR_OPERATORS: Final = {"In": "in", "NotIn": "notin", "Exists": "", "DoesNotExist": "!"}


def _selector_string(selector: Any) -> str:
    """``metav1.LabelSelectorAsSelector(s).String()``; raises ``_InvalidSelector`` on bad input.

    A missing selector selects nothing and an empty one everything; both render as "".
    """
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or _EMPTY).items():
        requirements.append(_requirement(key, "=", [value]))
    for expression in selector.get("matchExpressions") or ():
        operator = _SELECTOR_OPERATORS.get(expression.get("operator") or "")
        if operator is None:
            raise _InvalidSelector(expression.get("operator"))
        requirements.append(
            _requirement(expression.get("key"), operator, expression.get("values") or ())
        )
    # internalSelector.Add keeps the requirements sorted by key.
    requirements.sort(key=lambda r: r[0])
    return ",".join(text for _, text in requirements)


def _format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` when it selects all/nothing, ``<error>`` if invalid."""
    try:
        text = _selector_string(selector)
    except _InvalidSelector:
        return "<error>"
    return text or NONE_CELL


def _format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted as whole strings, or ``<none>``."""
    if not labels:
        return NONE_CELL
    return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))


# ----------------------------------------------------------------------------------------- pods


class _PodSummary(NamedTuple):
    ready: int
    total: int
    reason: str
    restarts: int
    last_restart_us: int | None


def _is_restartable_init_container(container: _Obj | None) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always`` (runs for the pod's lifetime)."""
    return container is not None and container.get("restartPolicy") == "Always"


def _first_condition_is_true(conditions: Sequence[_Obj], condition_type: str) -> bool:
    # isPodInitializedConditionTrue / hasJobCondition: only the first condition of a type counts.
    for condition in conditions:
        if condition.get("type") == condition_type:
            return condition.get("status") == "True"
    return False


def _has_pod_ready_condition(conditions: Sequence[_Obj]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _last_termination_us(container_status: _Obj) -> int | None:
    terminated = (container_status.get("lastState") or _EMPTY).get("terminated")
    if terminated is None:
        return None
    return _timestamp_us(terminated.get("finishedAt"))


def _newer(current: int | None, candidate: int | None) -> int | None:
    # metav1.Time.Before on the running maximum; a zero time never wins.
    if candidate is not None and (current is None or current < candidate):
        return candidate
    return current


def _terminated_reason(terminated: _Obj, prefix: str) -> str:
    reason = terminated.get("reason") or ""
    if reason:
        return prefix + reason
    signal = _int(terminated.get("signal"))
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{_int(terminated.get('exitCode'))}"


def _summarize_pod(pod: _Obj) -> _PodSummary:
    """Port of ``printPod``'s READY / STATUS / RESTARTS computation (spec §6.8)."""
    spec = pod.get("spec") or _EMPTY
    status = pod.get("status") or _EMPTY
    conditions = status.get("conditions") or ()
    init_specs = spec.get("initContainers") or ()
    phase = status.get("phase") or ""
    status_reason = status.get("reason") or ""

    total = len(spec.get("containers") or ())
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: int | None = None
    last_sidecar_restart: int | None = None

    reason = status_reason or phase
    for condition in conditions:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_by_name: dict[str, _Obj] = {}
    for container in init_specs:
        init_by_name[container.get("name") or ""] = container
        if _is_restartable_init_container(container):
            total += 1

    # Init containers run in order: stop at the first one that has not finished successfully.
    initializing = False
    for index, container_status in enumerate(status.get("initContainerStatuses") or ()):
        restart_count = _int(container_status.get("restartCount"))
        finished = _last_termination_us(container_status)
        restarts += restart_count
        last_restart = _newer(last_restart, finished)
        sidecar = _is_restartable_init_container(
            init_by_name.get(container_status.get("name") or "")
        )
        if sidecar:
            sidecar_restarts += restart_count
            last_sidecar_restart = _newer(last_sidecar_restart, finished)
        state = container_status.get("state") or _EMPTY
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if sidecar and container_status.get("started") is True:
            if container_status.get("ready") is True:
                ready += 1
            continue
        initializing = True
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif (
            waiting is not None
            and (waiting.get("reason") or "PodInitializing") != "PodInitializing"
        ):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        break

    if not initializing or _first_condition_is_true(conditions, "Initialized"):
        # Once the pod is initialised only sidecar restarts still matter among init containers.
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        # Scanned from last to first, so the first container with a problem has the last word.
        for container_status in reversed(status.get("containerStatuses") or ()):
            restarts += _int(container_status.get("restartCount"))
            last_restart = _newer(last_restart, _last_termination_us(container_status))
            state = container_status.get("state") or _EMPTY
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated, "")
            elif container_status.get("ready") is True and state.get("running") is not None:
                has_running = True
                ready += 1
        # A finished container next to one still running: the pod as a whole is not completed.
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(conditions) else "NotReady"

    if _metadata(pod).get("deletionTimestamp"):
        if status_reason == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    return _PodSummary(ready, total, reason, restarts, last_restart)


def _restarts_cell(summary: _PodSummary, now_us: int) -> str:
    if summary.restarts != 0 and summary.last_restart_us is not None:
        ago = _human_duration_ns((now_us - summary.last_restart_us) * 1000)
        return f"{summary.restarts} ({ago} ago)"
    return str(summary.restarts)


def pod_status_reason(pod: Mapping[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods`` (``Running``, ``Init:0/1``, ``CrashLoopBackOff``...)."""
    return _summarize_pod(pod).reason


def pod_ready(pod: Mapping[str, Any]) -> str:
    """The READY column: ready-and-running containers (sidecars included) over all of them."""
    summary = _summarize_pod(pod)
    return f"{summary.ready}/{summary.total}"


def pod_restarts(pod: Mapping[str, Any], now: datetime) -> str:
    """The RESTARTS column: ``"0"``, or ``"5 (30s ago)"`` after the newest termination."""
    return _restarts_cell(_summarize_pod(pod), _epoch_us(now))


def _pod_ip(status: _Obj) -> str:
    # v1->internal conversion makes podIP authoritative and fills podIPs from it when empty.
    ip = status.get("podIP") or ""
    if not ip:
        pod_ips = status.get("podIPs") or ()
        ip = (pod_ips[0].get("ip") or "") if pod_ips else ""
    return ip or NONE_CELL


def _readiness_gates(spec: _Obj, conditions: Sequence[_Obj]) -> str:
    gates = spec.get("readinessGates") or ()
    if not gates:
        return NONE_CELL
    true_conditions = 0
    for gate in gates:
        for condition in conditions:
            if condition.get("type") == gate.get("conditionType"):
                if condition.get("status") == "True":
                    true_conditions += 1
                break
    return f"{true_conditions}/{len(gates)}"


def _pod_cells(pod: _Obj, now_us: int) -> list[Any]:
    summary = _summarize_pod(pod)
    metadata = _metadata(pod)
    spec = pod.get("spec") or _EMPTY
    status = pod.get("status") or _EMPTY
    return [
        metadata.get("name") or "",
        f"{summary.ready}/{summary.total}",
        summary.reason,
        _restarts_cell(summary, now_us),
        _since(metadata.get("creationTimestamp"), now_us),
        _pod_ip(status),
        spec.get("nodeName") or NONE_CELL,
        status.get("nominatedNodeName") or NONE_CELL,
        _readiness_gates(spec, status.get("conditions") or ()),
    ]


def _pod_row_conditions(pod: _Obj) -> list[JSON] | None:
    # printPod marks finished pods with a "Completed" row condition (kubectl's --show-all legacy).
    phase = (pod.get("status") or _EMPTY).get("phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return None
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


# ------------------------------------------------------------------------- other kinds' cells


def _replicas(spec: _Obj) -> int:
    # apps/v1 defaulting turns a missing spec.replicas into 1 before any printer sees it.
    replicas = spec.get("replicas")
    return 1 if replicas is None else _int(replicas)


def _deployment_cells(obj: _Obj, now_us: int) -> list[Any]:
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    try:
        selector = _selector_string(spec.get("selector"))
    except _InvalidSelector:
        selector = "<invalid>"
    names, images = _container_cells(_template_spec(obj))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _since(_metadata(obj).get("creationTimestamp"), now_us),
        names,
        images,
        selector,
    ]


def _replicaset_cells(obj: _Obj, now_us: int) -> list[Any]:
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    names, images = _container_cells(_template_spec(obj))
    return [
        _name(obj),
        _replicas(spec),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _since(_metadata(obj).get("creationTimestamp"), now_us),
        names,
        images,
        _format_label_selector(spec.get("selector")),
    ]


def _job_status(obj: _Obj, conditions: Sequence[_Obj]) -> str:
    if _first_condition_is_true(conditions, "Complete"):
        return "Complete"
    if _first_condition_is_true(conditions, "Failed"):
        return "Failed"
    if _metadata(obj).get("deletionTimestamp"):
        return "Terminating"
    if _first_condition_is_true(conditions, "Suspended"):
        return "Suspended"
    if _first_condition_is_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_completions(spec: _Obj, succeeded: int) -> str:
    completions = spec.get("completions")
    if completions is not None:
        return f"{succeeded}/{_int(completions)}"
    parallelism = _int(spec.get("parallelism"))
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _job_duration(status: _Obj, now_us: int) -> str:
    start = _timestamp_us(status.get("startTime"))
    if start is None:
        return ""
    completion = _timestamp_us(status.get("completionTime"))
    end = now_us if completion is None else completion
    return _human_duration_ns((end - start) * 1000)


def _job_cells(obj: _Obj, now_us: int) -> list[Any]:
    spec = obj.get("spec") or _EMPTY
    status = obj.get("status") or _EMPTY
    names, images = _container_cells(_template_spec(obj))
    return [
        _name(obj),
        _job_status(obj, status.get("conditions") or ()),
        _job_completions(spec, _int(status.get("succeeded"))),
        _job_duration(status, now_us),
        _since(_metadata(obj).get("creationTimestamp"), now_us),
        names,
        images,
        _format_label_selector(spec.get("selector")),
    ]


def _namespace_cells(obj: _Obj, now_us: int) -> list[Any]:
    phase = (obj.get("status") or _EMPTY).get("phase") or "Active"  # SetDefaults_NamespaceStatus
    return [_name(obj), phase, _since(_metadata(obj).get("creationTimestamp"), now_us)]


def _configmap_cells(obj: _Obj, now_us: int) -> list[Any]:
    count = len(obj.get("data") or _EMPTY) + len(obj.get("binaryData") or _EMPTY)
    return [_name(obj), count, _since(_metadata(obj).get("creationTimestamp"), now_us)]


def _secret_cells(obj: _Obj, now_us: int) -> list[Any]:
    # The server folds write-only stringData into data before storing; count the union of keys.
    keys = set(obj.get("data") or _EMPTY)
    keys.update(obj.get("stringData") or _EMPTY)
    secret_type = obj.get("type") or "Opaque"  # SetDefaults_Secret
    return [
        _name(obj),
        secret_type,
        len(keys),
        _since(_metadata(obj).get("creationTimestamp"), now_us),
    ]


def _load_balancer_ips(status: _Obj) -> str:
    ingress = (status.get("loadBalancer") or _EMPTY).get("ingress") or ()
    found = {entry.get("ip") or entry.get("hostname") or "" for entry in ingress} - {""}
    # Wide output, so unlike the 16-character clipped narrow variant nothing is truncated.
    return ",".join(sorted(found))


def _service_external_ip(spec: _Obj, status: _Obj, service_type: str) -> str:
    external_ips = spec.get("externalIPs") or ()
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else NONE_CELL
    if service_type == "LoadBalancer":
        lb_ips = _load_balancer_ips(status)
        if external_ips:
            return ",".join([*(lb_ips.split(",") if lb_ips else ()), *external_ips])
        return lb_ips or "<pending>"
    if service_type == "ExternalName":
        return spec.get("externalName") or ""
    return UNKNOWN_CELL


def _service_ports(spec: _Obj) -> str:
    pieces = []
    for port in spec.get("ports") or ():
        protocol = port.get("protocol") or "TCP"  # SetDefaults_ServicePort
        node_port = _int(port.get("nodePort"))
        number = _int(port.get("port"))
        pieces.append(
            f"{number}:{node_port}/{protocol}" if node_port > 0 else f"{number}/{protocol}"
        )
    return ",".join(pieces) or NONE_CELL


def _service_cells(obj: _Obj, now_us: int) -> list[Any]:
    spec = obj.get("spec") or _EMPTY
    service_type = spec.get("type") or "ClusterIP"  # SetDefaults_Service
    # The printer reads clusterIPs[0]; defaulting fills clusterIPs from a lone clusterIP.
    cluster_ips = spec.get("clusterIPs") or ()
    cluster_ip = cluster_ips[0] if cluster_ips else spec.get("clusterIP") or ""
    return [
        _name(obj),
        service_type,
        cluster_ip or NONE_CELL,
        _service_external_ip(spec, obj.get("status") or _EMPTY, service_type),
        _service_ports(spec),
        _since(_metadata(obj).get("creationTimestamp"), now_us),
        _format_labels(spec.get("selector")),
    ]


def _event_source(obj: _Obj) -> str:
    # core/v1 serialises ReportingController as "reportingComponent".
    source = obj.get("source") or _EMPTY
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _event_cells(obj: _Obj, now_us: int) -> list[Any]:
    if _timestamp_us(obj.get("firstTimestamp")) is None:
        first_seen = _since(obj.get("eventTime"), now_us)  # events.k8s.io-style events
    else:
        first_seen = _since(obj.get("firstTimestamp"), now_us)
    if _timestamp_us(obj.get("lastTimestamp")) is None:
        last_seen = first_seen
    else:
        last_seen = _since(obj.get("lastTimestamp"), now_us)
    count = _int(obj.get("count"))
    series = obj.get("series")
    if series is not None:
        last_seen = _since(series.get("lastObservedTime"), now_us)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    involved = obj.get("involvedObject") or _EMPTY
    kind = (involved.get("kind") or "").lower()
    involved_name = involved.get("name") or ""
    return [
        last_seen,
        obj.get("type") or "",
        obj.get("reason") or "",
        f"{kind}/{involved_name}" if involved_name else kind,
        involved.get("fieldPath") or "",
        _event_source(obj),
        _go_trim_space(obj.get("message") or ""),
        first_seen,
        count,
        _name(obj),
    ]


def _default_cells(obj: _Obj, now_us: int) -> list[Any]:
    # defaultTableConvertor prints the raw creationTimestamp (Go zero time when unset).
    us = _timestamp_us(_metadata(obj).get("creationTimestamp"))
    moment = _EPOCH + timedelta(microseconds=_GO_ZERO_TIME_US if us is None else us)
    # Not strftime: glibc renders year 1 as "1", Go's RFC 3339 layout as "0001".
    stamp = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )
    return [_name(obj), stamp]


# ---------------------------------------------------------------------- column definitions

_NAME_DOC: Final = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_CREATION_DOC: Final = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the "
    "system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_CONTAINERS_DOC: Final = "Names of each container in the template."
_IMAGES_DOC: Final = "Images referenced by each container in the template."


@dataclass(frozen=True)
class _Column:
    name: str
    type: str
    description: str
    priority: int = 0
    format: str = ""

    def as_json(self) -> JSON:
        # Go's TableColumnDefinition has no omitempty: format and priority are always sent.
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


_NAME_COLUMN: Final = _Column("Name", "string", _NAME_DOC, format="name")
_AGE_COLUMN: Final = _Column("Age", "string", _CREATION_DOC)

_POD_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _Column("Status", "string", "The aggregate status of the containers in this pod."),
    _Column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    _AGE_COLUMN,
    _Column(
        "IP",
        "string",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
        "yet allocated.",
        priority=1,
    ),
    _Column(
        "Node",
        "string",
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate "
        "for scheduling by the scheduler defined in schedulerName. Once this field is set, the "
        "kubelet for this node becomes responsible for the lifecycle of this pod. This field should "
        "not be used to express a desire for the pod to be scheduled on a specific node. "
        "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
        priority=1,
    ),
    _Column(
        "Nominated Node",
        "string",
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot "
        "be scheduled right away as preemption victims receive their graceful termination periods. "
        "This field does not guarantee that the pod will be scheduled on this node. Scheduler may "
        "decide to place the pod elsewhere if other nodes become available sooner. Scheduler may "
        "also decide to give the resources on this node to a higher priority pod that is created "
        "after preemption. As a result, this field may be different than PodSpec.nodeName when the "
        "pod is scheduled.",
        priority=1,
    ),
    _Column(
        "Readiness Gates",
        "string",
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when "
        "all its containers are ready AND all conditions specified in the readiness gates have "
        'status equal to "True" More info: '
        "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
        priority=1,
    ),
)

# Deployment/ReplicaSet descriptions come from extensions/v1beta1, as in printers.go.
_DEPLOYMENT_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column("Ready", "string", "Number of the pod with ready state"),
    _Column(
        "Up-to-date",
        "string",
        "Total number of non-terminating pods targeted by this deployment that have the desired "
        "template spec.",
    ),
    _Column(
        "Available",
        "string",
        "Total number of available non-terminating pods (ready for at least minReadySeconds) "
        "targeted by this deployment.",
    ),
    _AGE_COLUMN,
    _Column("Containers", "string", _CONTAINERS_DOC, priority=1),
    _Column("Images", "string", _IMAGES_DOC, priority=1),
    _Column(
        "Selector",
        "string",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
        "ones affected by this deployment.",
        priority=1,
    ),
)

_REPLICASET_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column(
        "Desired",
        "integer",
        "Replicas is the number of desired pods. This is a pointer to distinguish between explicit "
        "zero and unspecified. Defaults to 1. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    ),
    _Column(
        "Current",
        "integer",
        "Replicas is the most recently observed number of non-terminating pods. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    ),
    _Column(
        "Ready",
        "integer",
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    ),
    _AGE_COLUMN,
    _Column("Containers", "string", _CONTAINERS_DOC, priority=1),
    _Column("Images", "string", _IMAGES_DOC, priority=1),
    _Column(
        "Selector",
        "string",
        "Selector is a label query over pods that should match the replica count. If the selector "
        "is empty, it is defaulted to the labels present on the pod template. Label keys and values "
        "that must match in order to be controlled by this replica set. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        priority=1,
    ),
)

_JOB_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column("Status", "string", "Status of the job."),
    _Column(
        "Completions",
        "string",
        "The number of pods which reached phase Succeeded. The value increases monotonically for a "
        "given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
    ),
    _Column("Duration", "string", "Time required to complete the job."),
    _AGE_COLUMN,
    _Column("Containers", "string", _CONTAINERS_DOC, priority=1),
    _Column("Images", "string", _IMAGES_DOC, priority=1),
    _Column(
        "Selector",
        "string",
        "A label query over pods that should match the pod count. Normally, the system sets this "
        "field for you. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        priority=1,
    ),
)

_NAMESPACE_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column("Status", "string", "The status of the namespace"),
    _AGE_COLUMN,
)

_CONFIGMAP_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column(
        "Data",
        "string",
        "Data contains the configuration data. Each key must consist of alphanumeric characters, "
        "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The "
        "keys stored in Data must not overlap with the keys in the BinaryData field, this is "
        "enforced during validation process.",
    ),
    _AGE_COLUMN,
)

_SECRET_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column(
        "Type",
        "string",
        "Used to facilitate programmatic handling of secret data. More info: "
        "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    ),
    _Column(
        "Data",
        "string",
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' "
        "or '.'. The serialized form of the secret data is a base64 encoded string, representing "
        "the arbitrary (possibly non-string) data value here. Described in "
        "https://tools.ietf.org/html/rfc4648#section-4",
    ),
    _AGE_COLUMN,
)

_SERVICE_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column(
        "Type",
        "string",
        "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
        'ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a '
        "cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by "
        "the selector or if that is not specified, by manual construction of an Endpoints object or "
        'EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints '
        'are published as a set of endpoints rather than a virtual IP. "NodePort" builds on '
        "ClusterIP and allocates a port on every node which routes to the same endpoints as the "
        'clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if '
        "supported in the current cloud) which routes to the same endpoints as the clusterIP. "
        '"ExternalName" aliases this service to the specified externalName. Several other fields do '
        "not apply to ExternalName services. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
    ),
    _Column(
        "Cluster-IP",
        "string",
        "clusterIP is the IP address of the service and is usually assigned randomly. If an address "
        "is specified manually, is in-range (as per system configuration), and is not in use, it "
        "will be allocated to the service; otherwise creation of the service will fail. This field "
        "may not be changed through updates unless the type field is also being changed to "
        "ExternalName (which requires this field to be blank) or the type field is being changed "
        "from ExternalName (in which case this field may optionally be specified, as describe "
        'above).  Valid values are "None", empty string (""), or a valid IP address. Setting this '
        'to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint '
        "connections are preferred and proxying is not required.  Only applies to types ClusterIP, "
        "NodePort, and LoadBalancer. If this field is specified when creating a Service of type "
        "ExternalName, creation will fail. This field will be wiped when updating a Service to type "
        "ExternalName. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    ),
    _Column(
        "External-IP",
        "string",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
        "traffic for this service.  These IPs are not managed by Kubernetes.  The user is "
        "responsible for ensuring that traffic arrives at a node with this IP.  A common example is "
        "external load-balancers that are not part of the Kubernetes system.",
    ),
    _Column(
        "Port(s)",
        "string",
        "The list of ports that are exposed by this service. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    ),
    _AGE_COLUMN,
    _Column(
        "Selector",
        "string",
        "Route service traffic to pods with label keys and values matching this selector. If empty "
        "or not present, the service is assumed to have an external process managing its "
        "endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and "
        "LoadBalancer. Ignored if type is ExternalName. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/",
        priority=1,
    ),
)

_EVENT_COLUMNS: Final = (
    _Column(
        "Last Seen",
        "string",
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    _Column(
        "Type",
        "string",
        "Type of this event (Normal, Warning), new types could be added in the future",
    ),
    _Column(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status.",
    ),
    _Column("Object", "string", "The object that this event is about."),
    _Column(
        "Subobject",
        "string",
        "If referring to a piece of an object instead of an entire object, this string should "
        "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. "
        "For example, if the object reference is to a container within a pod, this would take on a "
        'value like: "spec.containers{name}" (where "name" refers to the name of the container that '
        'triggered the event) or if no container name is specified "spec.containers[2]" (container '
        "with index 2 in this pod). This syntax is chosen only to have some well-defined way of "
        "referencing a part of an object.",
        priority=1,
    ),
    _Column(
        "Source",
        "string",
        "The component reporting this event. Should be a short machine understandable string.",
        priority=1,
    ),
    _Column("Message", "string", "A human-readable description of the status of this operation."),
    _Column(
        "First Seen",
        "string",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        priority=1,
    ),
    _Column("Count", "string", "The number of times this event has occurred.", priority=1),
    _Column("Name", "string", _NAME_DOC, priority=1, format="name"),
)

# rest.defaultTableConvertor, used by the real server for types without printers (e.g. CRDs).
_DEFAULT_COLUMNS: Final = (
    _NAME_COLUMN,
    _Column("Created At", "date", _CREATION_DOC),
)


# ---------------------------------------------------------------------------------- the table

_CellsFn = Callable[[_Obj, int], list[Any]]
_ConditionsFn = Callable[[_Obj], list[JSON] | None]


@dataclass(frozen=True)
class _Printer:
    columns: tuple[_Column, ...]
    cells: _CellsFn
    row_conditions: _ConditionsFn | None = None
    api_version: str = ""
    kind: str = ""


_PRINTERS: Final[Mapping[str, _Printer]] = {
    "pods": _Printer(_POD_COLUMNS, _pod_cells, _pod_row_conditions, "v1", "Pod"),
    "deployments": _Printer(_DEPLOYMENT_COLUMNS, _deployment_cells, None, "apps/v1", "Deployment"),
    "replicasets": _Printer(_REPLICASET_COLUMNS, _replicaset_cells, None, "apps/v1", "ReplicaSet"),
    "namespaces": _Printer(_NAMESPACE_COLUMNS, _namespace_cells, None, "v1", "Namespace"),
    "events": _Printer(_EVENT_COLUMNS, _event_cells, None, "v1", "Event"),
    "configmaps": _Printer(_CONFIGMAP_COLUMNS, _configmap_cells, None, "v1", "ConfigMap"),
    "secrets": _Printer(_SECRET_COLUMNS, _secret_cells, None, "v1", "Secret"),
    "services": _Printer(_SERVICE_COLUMNS, _service_cells, None, "v1", "Service"),
    "jobs": _Printer(_JOB_COLUMNS, _job_cells, None, "batch/v1", "Job"),
}
_DEFAULT_PRINTER: Final = _Printer(_DEFAULT_COLUMNS, _default_cells)


def _partial_object_metadata(obj: _Obj) -> JSON:
    metadata = {k: v for k, v in _metadata(obj).items() if k != "managedFields"}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}


def _full_object(printer: _Printer) -> Callable[[_Obj], JSON]:
    def render(obj: _Obj) -> JSON:
        # Stored list items may lack TypeMeta; ConvertToVersion always sets it.
        api_version = printer.api_version or obj.get("apiVersion") or ""
        kind = printer.kind or obj.get("kind") or ""
        rest = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
        return {"kind": kind, "apiVersion": api_version, **rest}

    return render


def _no_object(obj: _Obj) -> None:
    return None


def _object_renderer(include_object: str, printer: _Printer) -> Callable[[_Obj], JSON | None]:
    if include_object in ("Metadata", ""):
        return _partial_object_metadata
    if include_object == "Object":
        return _full_object(printer)
    if include_object == "None":
        # The server sets RawExtension.Object to nil, which serialises as "object": null.
        return _no_object
    raise ValueError(f"unrecognized includeObject value: {json.dumps(include_object)}")


def build_table(
    resource: str,
    objects: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    resource_version: str,
    include_object: str = "Metadata",
) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objects`` (of plural ``resource``) as kube-apiserver prints it.

    ``include_object`` is the request's ``includeObject`` (``Metadata``, ``Object`` or ``None``);
    any other value raises ``ValueError`` carrying the server's BadRequest message.
    """
    printer = _PRINTERS.get(resource, _DEFAULT_PRINTER)
    render_object = _object_renderer(include_object, printer)
    now_us = _epoch_us(now)
    cells = printer.cells
    row_conditions = printer.row_conditions
    rows: list[JSON] = []
    for obj in objects:
        row: JSON = {"cells": cells(obj, now_us)}
        if row_conditions is not None:
            conditions = row_conditions(obj)
            if conditions:
                row["conditions"] = conditions
        row["object"] = render_object(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        # ListMeta.resourceVersion is omitempty.
        "metadata": {"resourceVersion": resource_version} if resource_version else {},
        "columnDefinitions": [column.as_json() for column in printer.columns],
        "rows": rows,
    }

"""The proof that a rollback worked: each check passes, fails or is skipped, with evidence.

After the rollout monitor reports success the runtime gathers pods (before and after a short
watch window), recent log lines and the result of one HTTP health request, and hands them to the
checks here; :func:`verify` bundles the results into a :class:`VerificationReport` that the
operations dialog shows and the audit log records. Nothing in this module performs I/O.

Evidence strings of failed checks start with a short headline followed by ``": "`` and the
details (``"pods not ready (1 of 3 ready): web-abc CrashLoopBackOff"``); the report's summary
quotes those headlines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kiops_desktop.core.revisions import POD_TEMPLATE_HASH_LABEL, annotations_of, metadata_of

Outcome = Literal["passed", "failed", "skipped"]

DEFAULT_ERROR_PATTERNS = ("ERROR", "Exception", "panic", "FATAL")
HEALTH_URL_ANNOTATION = "kiops.io/health-url"

# How much evidence a check quotes: enough to act on, short enough for a dialog and a log line.
MAX_EVIDENCE_ITEMS = 5
MAX_LINE_CHARS = 200

# http(s)://authority[path...]: scheme, a non-empty authority, no whitespace anywhere.
_HTTP_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    evidence: str


@dataclass(frozen=True)
class HealthResult:
    """What the runtime's one HTTP GET of the health URL produced: a status code, or the error
    that prevented one (connection refused, timeout, TLS failure), and how long it took."""

    status: int | None
    error: str | None
    elapsed_ms: float


@dataclass(frozen=True)
class VerificationReport:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """No check failed; a skipped check is not evidence against the rollback."""
        return not any(check.outcome == "failed" for check in self.checks)

    @property
    def summary(self) -> str:
        """One sentence for the result banner and the audit log."""
        failed = [check for check in self.checks if check.outcome == "failed"]
        if failed:
            return "Verification failed: " + "; ".join(_headline(c) for c in failed) + "."
        passed = sum(1 for check in self.checks if check.outcome == "passed")
        skipped = len(self.checks) - passed
        if not self.checks:
            return "Nothing to verify: no checks ran."
        if passed == 0:
            return f"Nothing verified: {_count(skipped, 'check')} skipped."
        text = f"Rollback verified: {_count(passed, 'check')} passed"
        return text + (f", {skipped} skipped." if skipped else ".")


def check_pods_ready(
    pods: Sequence[Mapping[str, Any]], *, replica_set: str, pod_template_hash: str, desired: int
) -> Check:
    """Every live pod of the new ReplicaSet is Running and Ready, and there are ``desired`` of them.

    A pod belongs to the ReplicaSet when it carries its ``pod-template-hash`` label and (when it
    has a controller owner reference at all) is controlled by the ReplicaSet named
    ``replica_set``: two Deployments with identical templates share the hash. Pods being deleted
    and pods that finished (Succeeded/Failed) are left out, as the ReplicaSet controller leaves
    them out of its count: it replaces them.
    """
    name = "pods ready"
    mine = [pod for pod in _pods_of(pods, pod_template_hash, replica_set) if _is_live(pod)]
    ready = [pod for pod in mine if _is_running_and_ready(pod)]
    not_ready = [pod for pod in mine if not _is_running_and_ready(pod)]
    where = f'ReplicaSet "{replica_set}"'
    if not not_ready and len(mine) == desired:
        if desired == 0:
            return Check(name, "passed", f"{where} wants no pods and has none.")
        return Check(name, "passed", f"All {desired} pods of {where} are Running and Ready.")
    details = [f"{_pod_name(pod)} {_why_not_ready(pod)}" for pod in not_ready]
    if len(mine) < desired:
        details.append(f"{desired - len(mine)} of {desired} pods missing")
    elif len(mine) > desired:
        details.append(f"{len(mine) - desired} more than wanted")
    if not not_ready and len(mine) > desired:
        headline = f"too many pods ({len(mine)} where {desired} are wanted)"
    else:
        headline = f"pods not ready ({len(ready)} of {desired} ready)"
    return Check(name, "failed", f"{headline}: {_listing(details)} ({where}).")


def check_no_restarts(
    pods_before: Sequence[Mapping[str, Any]],
    pods_after: Sequence[Mapping[str, Any]],
    *,
    pod_template_hash: str,
) -> Check:
    """No container of the new ReplicaSet's pods restarted during the watch window.

    Restart counts of ``pods_after`` are compared with the same pod (by UID, else by name) and
    container in ``pods_before``; a pod that appeared during the window counts from 0, because
    a replacement pod that already restarted is exactly the crash loop this check looks for.
    Init containers are included: a restartable (sidecar) or failing init container restarts too.
    """
    name = "no restarts"
    before: dict[tuple[str, str, str], int] = {}
    for pod in _pods_of(pods_before, pod_template_hash, None):
        for key, count, _ in _restart_counts(pod):
            before[key] = count
    after = list(_pods_of(pods_after, pod_template_hash, None))
    if not after:
        return Check(name, "skipped", "no pods of the new ReplicaSet to watch")
    findings: list[str] = []
    total = 0
    pods_with_restarts = 0
    for pod in after:
        restarted_here = 0
        for key, count, status in _restart_counts(pod):
            increase = count - before.get(key, 0)
            if increase <= 0:
                continue
            restarted_here += increase
            times = "once" if increase == 1 else f"{increase} times"
            last_exit = _last_exit(status)
            suffix = f" ({last_exit})" if last_exit else ""
            findings.append(f"{_pod_name(pod)}/{key[2]} restarted {times}{suffix}")
        if restarted_here:
            total += restarted_here
            pods_with_restarts += 1
    if not findings:
        return Check(
            name,
            "passed",
            f"No container restarted in {_count(len(after), 'pod')} during the watch.",
        )
    headline = (
        f"containers restarted ({_count(total, 'restart')} in {_count(pods_with_restarts, 'pod')})"
    )
    return Check(name, "failed", f"{headline}: {_listing(findings)}.")


def check_health(url: str | None, result: HealthResult | None) -> Check:
    """The health URL answered with a success status.

    Success is 200-399, the range a Kubernetes HTTP probe accepts (a redirect is the app
    answering). Skipped when there is no URL, or when the runtime did not run the request.
    """
    name = "health check"
    if not url:
        return Check(name, "skipped", "no health URL configured")
    if result is None:
        return Check(name, "skipped", f"health check of {url} was not run")
    took = f"after {result.elapsed_ms:.0f} ms"
    if result.error:
        return Check(name, "failed", f"health check failed ({result.error}): GET {url} {took}.")
    if result.status is None:
        return Check(name, "failed", f"health check failed (no response): GET {url} {took}.")
    if 200 <= result.status < 400:
        return Check(
            name,
            "passed",
            f"GET {url} answered HTTP {result.status} in {result.elapsed_ms:.0f} ms.",
        )
    return Check(
        name,
        "failed",
        f"health check failed (HTTP {result.status}): GET {url} answered {took}.",
    )


def check_logs(
    lines_by_pod: Mapping[str, Sequence[str]], patterns: Sequence[str] = DEFAULT_ERROR_PATTERNS
) -> Check:
    """No recent log line of the new pods contains one of ``patterns``.

    Matching is a case-sensitive substring test: the defaults are the spellings loggers and
    runtimes actually print (``ERROR``, a Java ``Exception``, a Go ``panic``, ``FATAL``), and
    ignoring case would flag every "error=nil" or "0 errors". The evidence quotes the first few
    matches as ``pod: line``. Skipped when there are no pods to read.
    """
    name = "logs clean"
    if not lines_by_pod:
        return Check(name, "skipped", "no pods to read logs from")
    wanted = [pattern for pattern in patterns if pattern]
    if not wanted:
        return Check(name, "skipped", "no error patterns to look for")
    matches: list[str] = []
    total_lines = 0
    pods_hit: set[str] = set()
    for pod, lines in lines_by_pod.items():
        for line in lines:
            total_lines += 1
            if any(pattern in line for pattern in wanted):
                pods_hit.add(pod)
                matches.append(f"{pod}: {_shorten(line.rstrip())}")
    listed = ", ".join(wanted)
    if not matches:
        return Check(
            name,
            "passed",
            f"No line matching {listed} in {_count(total_lines, 'line')} from "
            f"{_count(len(lines_by_pod), 'pod')}.",
        )
    headline = (
        f"errors in logs ({_count(len(matches), 'matching line')} in "
        f"{_count(len(pods_hit), 'pod')})"
    )
    return Check(name, "failed", f"{headline}: {_listing(matches, separator=' | ')}")


def health_url_for(deployment: Mapping[str, Any], configured: str | None) -> str | None:
    """The URL to health-check: the operator's configured one, else the ``kiops.io/health-url``
    annotation of the Deployment, else that of its pod template, else None.

    Only http(s) URLs are accepted; anything else gives None rather than a guess. A configured
    value that is not usable does not fall back to the annotation: the operator chose that URL,
    and checking a different one would verify something they did not ask for.
    """
    if configured is not None and configured.strip():
        return _http_url(configured)
    template = (deployment.get("spec") or {}).get("template") or {}
    for source in (deployment, template):
        value = annotations_of(source).get(HEALTH_URL_ANNOTATION)
        if isinstance(value, str) and value.strip():
            return _http_url(value)
    return None


def verify(*checks: Check) -> VerificationReport:
    return VerificationReport(tuple(checks))


# --------------------------------------------------------------------------------- helpers


def _http_url(text: str) -> str | None:
    url = text.strip()
    return url if _HTTP_URL.fullmatch(url) else None


def _pods_of(
    pods: Sequence[Mapping[str, Any]], pod_template_hash: str, replica_set: str | None
) -> list[Mapping[str, Any]]:
    found = []
    for pod in pods:
        labels = metadata_of(pod).get("labels") or {}
        if labels.get(POD_TEMPLATE_HASH_LABEL) != pod_template_hash:
            continue
        owner = _controller_owner(pod)
        if replica_set is not None and owner is not None and owner != replica_set:
            continue
        found.append(pod)
    return found


def _controller_owner(pod: Mapping[str, Any]) -> str | None:
    for ref in metadata_of(pod).get("ownerReferences") or ():
        if ref.get("controller") and ref.get("kind") == "ReplicaSet":
            return str(ref.get("name") or "")
    return None


def _is_live(pod: Mapping[str, Any]) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return not metadata_of(pod).get("deletionTimestamp") and phase not in ("Succeeded", "Failed")


def _is_running_and_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return False
    return any(
        cond.get("type") == "Ready" and cond.get("status") == "True"
        for cond in status.get("conditions") or ()
    )


def _why_not_ready(pod: Mapping[str, Any]) -> str:
    """What keeps the pod from serving, in the words ``kubectl get pods`` uses: a container's
    waiting reason (the CrashLoopBackOff an operator is looking for), else a terminated reason,
    else the phase; then the restarts and how the last run ended, which tells a crash loop
    caught between back-offs (Running, not Ready) from a pod that is merely slow."""
    status = pod.get("status") or {}
    statuses = [
        *(status.get("initContainerStatuses") or ()),
        *(status.get("containerStatuses") or ()),
    ]
    reason = ""
    restarts = 0
    last_exit = ""
    for container in statuses:
        restarts += _count_of(container.get("restartCount"))
        last_exit = last_exit or _last_exit(container)
        state = container.get("state") or {}
        if reason:
            continue
        waiting = (state.get("waiting") or {}).get("reason")
        terminated = (state.get("terminated") or {}).get("reason")
        if waiting or terminated:
            reason = str(waiting or terminated)
    if not reason:
        phase = status.get("phase") or "Unknown"
        reason = f"{phase}, not Ready" if phase == "Running" else str(phase)
    if restarts:
        reason += f" ({', '.join(filter(None, [_count(restarts, 'restart'), last_exit]))})"
    return reason


def _restart_counts(
    pod: Mapping[str, Any],
) -> list[tuple[tuple[str, str, str], int, Mapping[str, Any]]]:
    """((pod identity, container kind, container name), restartCount, container status)."""
    meta = metadata_of(pod)
    identity = str(meta.get("uid") or meta.get("name") or "")
    status = pod.get("status") or {}
    counts = []
    for kind in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(kind) or ():
            key = (identity, kind, str(container.get("name") or ""))
            counts.append((key, _count_of(container.get("restartCount")), container))
    return counts


def _last_exit(container: Mapping[str, Any]) -> str:
    """``"last exit: Error, code 1"`` from lastState, or "" when the container never ended."""
    terminated = (container.get("lastState") or {}).get("terminated") or {}
    if not terminated:
        return ""
    reason = terminated.get("reason") or "terminated"
    code = terminated.get("exitCode")
    return f"last exit: {reason}, code {code}" if code is not None else f"last exit: {reason}"


def _pod_name(pod: Mapping[str, Any]) -> str:
    return str(metadata_of(pod).get("name") or "<unnamed pod>")


def _count_of(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _listing(items: Sequence[str], *, separator: str = ", ") -> str:
    shown = list(items[:MAX_EVIDENCE_ITEMS])
    if len(items) > MAX_EVIDENCE_ITEMS:
        shown.append(f"and {len(items) - MAX_EVIDENCE_ITEMS} more")
    return separator.join(shown)


def _shorten(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _headline(check: Check) -> str:
    """The part of a failure's evidence before its details (see the module docstring); evidence
    written elsewhere without that shape is quoted whole, prefixed by the check's name."""
    head, sep, _ = check.evidence.partition(": ")
    if sep and head:
        return head
    text = check.evidence.strip().rstrip(".")
    return f"{check.name}: {text}" if text else f"{check.name} failed"

"""Kubernetes runtime: services (Deployments), pods, logs, events, history, rollback, rollout
monitoring and verification, through the official client (K8S_ROLLOUT_SPEC.md §7).

Every method blocks on the network: call them off the UI thread. Every expected failure is an
``OperationError`` with a sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from urllib3.exceptions import HTTPError

from ..connections.kubeconfig import Kubeconfig
from ..core.advice import rollout_safety_advice
from ..core.findings import Finding
from ..core.history import History, build_history
from ..core.revisions import POD_TEMPLATE_HASH_LABEL, selector_string, split_new_old
from ..core.revisions import owned_replica_sets as owned_by
from ..core.rollback import RollbackPlan, plan_rollback
from ..core.rollout import RolloutProgress, evaluate_rollout
from ..core.verification import (
    DEFAULT_ERROR_PATTERNS,
    VerificationReport,
    check_health,
    check_logs,
    check_no_restarts,
    check_pods_ready,
    health_url_for,
    verify,
)
from ..core.workloads import DeploymentSummary, PodSummary, summarize_deployment, summarize_pod
from .errors import Cancelled, Conflict, Forbidden, Invalid, OperationError, Refused, TimedOut
from .health import http_health_check
from .kube_client import KubeClient, abort, iter_lines
from .kube_watch import ResourceWatch

Obj = dict[str, Any]

LIST_CHUNK = 500  # kubectl's default --chunk-size


@dataclass(frozen=True)
class NamespaceListing:
    names: tuple[str, ...]
    note: str | None  # why the list is partial (e.g. listing namespaces is forbidden)


@dataclass(frozen=True)
class EventSummary:
    last_seen: str
    type: str
    reason: str
    object: str
    message: str
    count: int


class LogStream:
    """Followed log lines; iterate, and ``stop()`` from any thread to end it."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._stopped = False

    def __iter__(self) -> Any:
        try:
            for line in iter_lines(self._response):
                if self._stopped:
                    return
                yield line.decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError, HTTPError):
            # stop() shuts the socket down under the reading thread; that ends the stream.
            if not self._stopped:
                raise
        finally:
            self._response.release_conn()

    def stop(self) -> None:
        self._stopped = True
        abort(self._response)


class KubernetesRuntime:
    runtime = "kubernetes"

    def __init__(
        self,
        config_file: str,
        context: str,
        namespace: str = "default",
        *,
        read_timeout: float = 30.0,
    ) -> None:
        self.context = context
        self.default_namespace = namespace
        self.client = KubeClient(config_file, context, read_timeout=read_timeout)

    @classmethod
    def for_context(cls, kubeconfig: Kubeconfig, context: str | None = None) -> KubernetesRuntime:
        ctx = kubeconfig.context(context)
        return cls(kubeconfig.config_file, ctx.name, ctx.namespace)

    def close(self) -> None:
        self.client.close()

    # -- cluster -------------------------------------------------------------------------
    def version(self) -> str:
        from kubernetes import client

        api = client.VersionApi(self.client.api_client())
        body = self.client.read_json(api.get_code, what="the server version")
        return str(body.get("gitVersion", "unknown"))

    def list_namespaces(self) -> NamespaceListing:
        try:
            body = self.client.read_json(self.client.core().list_namespace, what="namespaces")
        except Forbidden as exc:
            return NamespaceListing(
                (self.default_namespace,),
                f"Listing namespaces is not allowed for this context ({exc.sentence}); showing "
                f'its namespace "{self.default_namespace}".',
            )
        names = tuple(item["metadata"]["name"] for item in body.get("items") or [])
        return NamespaceListing(names, None)

    # -- services ------------------------------------------------------------------------
    def deployment_pages(self, namespace: str | None = None) -> Iterator[list[Obj]]:
        """Every Deployment, in pages of ``LIST_CHUNK`` as kubectl reads them.

        Paging keeps each JSON decode short (one multi-megabyte ``json.loads`` holds the GIL
        long enough to freeze the UI thread) and lets callers drop each page's raw objects
        before the next arrives, so a 10,000-deployment cluster never has millions of dict
        objects alive at once for the garbage collector to walk (measured: 100-170 ms pauses).
        """
        apps = self.client.apps()
        if namespace:
            call: Callable[..., Any] = apps.list_namespaced_deployment
            args: tuple[Any, ...] = (namespace,)
            what = f'deployments in namespace "{namespace}"'
        else:
            call, args = apps.list_deployment_for_all_namespaces, ()
            what = "deployments in all namespaces"
        token = ""
        while True:
            kwargs: dict[str, Any] = {"limit": LIST_CHUNK}
            if token:
                kwargs["_continue"] = token
            body = self.client.read_json(call, *args, what=what, **kwargs)
            yield list(body.get("items") or [])
            token = str((body.get("metadata") or {}).get("continue") or "")
            if not token:
                return

    def list_deployment_objects(self, namespace: str | None = None) -> list[Obj]:
        return [item for page in self.deployment_pages(namespace) for item in page]

    def list_deployments(self, namespace: str | None = None) -> list[DeploymentSummary]:
        return [summarize_deployment(d) for page in self.deployment_pages(namespace) for d in page]

    def get_deployment(self, namespace: str, name: str) -> Obj:
        body: Obj = self.client.read_json(
            self.client.apps().read_namespaced_deployment,
            name,
            namespace,
            what=_deployment(namespace, name),
        )
        return body

    def _replica_sets(self, deployment: Obj) -> list[Obj]:
        ns = deployment["metadata"]["namespace"]
        body = self.client.read_json(
            self.client.apps().list_namespaced_replica_set,
            ns,
            label_selector=selector_string(deployment["spec"].get("selector")),
            what=f"replica sets of {_deployment(ns, deployment['metadata']['name'])}",
        )
        items: list[Obj] = body.get("items") or []
        return items

    def _pods(self, deployment: Obj) -> list[Obj]:
        ns = deployment["metadata"]["namespace"]
        body = self.client.read_json(
            self.client.core().list_namespaced_pod,
            ns,
            label_selector=selector_string(deployment["spec"].get("selector")),
            what=f"pods of {_deployment(ns, deployment['metadata']['name'])}",
        )
        items: list[Obj] = body.get("items") or []
        return items

    def pods_snapshot(self, namespace: str, name: str) -> list[Obj]:
        return self._pods(self.get_deployment(namespace, name))

    def list_pods(self, namespace: str, name: str) -> list[PodSummary]:
        deployment = self.get_deployment(namespace, name)
        replica_sets = owned_by(deployment, self._replica_sets(deployment))
        return [summarize_pod(p, replica_sets) for p in self._pods(deployment)]

    def watch_deployments(self, namespace: str | None = None) -> ResourceWatch:
        apps = self.client.apps()
        if namespace:
            return ResourceWatch(
                self.client,
                apps.list_namespaced_deployment,
                namespace,
                what=f'deployments in namespace "{namespace}"',
            )
        return ResourceWatch(
            self.client,
            apps.list_deployment_for_all_namespaces,
            what="deployments in all namespaces",
        )

    def watch_pods(self, namespace: str, name: str) -> ResourceWatch:
        deployment = self.get_deployment(namespace, name)
        return ResourceWatch(
            self.client,
            self.client.core().list_namespaced_pod,
            namespace,
            what=f"pods of {_deployment(namespace, name)}",
            label_selector=selector_string(deployment["spec"].get("selector")),
        )

    # -- logs and events -----------------------------------------------------------------
    def pod_logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        tail: int | None = 200,
        *,
        previous: bool = False,
    ) -> str:
        """The container's log; ``previous`` reads the instance before the last restart (what
        ``kubectl logs --previous`` shows for a crash-looping container)."""
        kwargs: dict[str, Any] = {}
        if container:
            kwargs["container"] = container
        if tail is not None:
            kwargs["tail_lines"] = tail
        if previous:
            kwargs["previous"] = True
        core = self.client.core()
        try:
            response = core.read_namespaced_pod_log(
                pod,
                namespace,
                _preload_content=False,
                _request_timeout=(5.0, self.client.read_timeout),
                **kwargs,
            )
        except Exception as exc:
            from .kube_client import translate

            raise translate(exc, what=f'logs of pod "{pod}"', server=self.client.server) from exc
        return bytes(response.data).decode("utf-8", "replace")

    def follow_logs(
        self, namespace: str, pod: str, container: str | None = None, tail: int | None = 200
    ) -> LogStream:
        kwargs: dict[str, Any] = {"follow": True}
        if container:
            kwargs["container"] = container
        if tail is not None:
            kwargs["tail_lines"] = tail
        response = self.client.stream(
            self.client.core().read_namespaced_pod_log,
            pod,
            namespace,
            what=f'logs of pod "{pod}"',
            read_timeout=3600,
            **kwargs,
        )
        return LogStream(response)

    def events(self, namespace: str, name: str) -> list[EventSummary]:
        """Recent events of the deployment, its replica sets and their pods, oldest first.

        Matched by UID, not by name prefix: "web-" would also catch "web-admin"'s pods."""
        deployment = self.get_deployment(namespace, name)
        replica_sets = owned_by(deployment, self._replica_sets(deployment))
        uids = {deployment["metadata"]["uid"]}
        uids.update(rs["metadata"]["uid"] for rs in replica_sets)
        for pod in self._pods(deployment):
            owner = next(
                (r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")),
                None,
            )
            if owner is not None and owner.get("uid") in uids:
                uids.add(pod["metadata"]["uid"])
        body = self.client.read_json(
            self.client.core().list_namespaced_event,
            namespace,
            what=f'events in namespace "{namespace}"',
        )
        found = []
        for event in body.get("items") or []:
            involved = event.get("involvedObject") or {}
            if involved.get("uid") not in uids:
                continue
            found.append(
                EventSummary(
                    last_seen=str(event.get("lastTimestamp") or event.get("eventTime") or ""),
                    type=str(event.get("type") or ""),
                    reason=str(event.get("reason") or ""),
                    object=f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
                    message=str(event.get("message") or ""),
                    count=int(event.get("count") or 1),
                )
            )
        return sorted(found, key=lambda e: e.last_seen)

    # -- history and rollback --------------------------------------------------------------
    def history(self, namespace: str, name: str) -> History:
        deployment = self.get_deployment(namespace, name)
        return build_history(deployment, self._replica_sets(deployment))

    def _optional_named(
        self, call: Callable[..., Any], namespace: str, what: str
    ) -> dict[str, Obj] | None:
        """Objects by name, or None when this context may not list them (then the plan says
        that those precautions could not be checked)."""
        try:
            body = self.client.read_json(call, namespace, what=what)
        except Forbidden:
            return None
        return {item["metadata"]["name"]: item for item in body.get("items") or []}

    def plan_rollback(
        self, namespace: str, name: str, to_revision: int | None = None
    ) -> RollbackPlan:
        deployment = self.get_deployment(namespace, name)
        replica_sets = self._replica_sets(deployment)
        core = self.client.core()
        config_maps = self._optional_named(
            core.list_namespaced_config_map, namespace, f'config maps in "{namespace}"'
        )
        secrets = self._optional_named(
            core.list_namespaced_secret, namespace, f'secrets in "{namespace}"'
        )
        jobs_by_name = self._optional_named(
            self.client.batch().list_namespaced_job, namespace, f'jobs in "{namespace}"'
        )
        from datetime import UTC, datetime

        return plan_rollback(
            deployment,
            replica_sets,
            to_revision,
            config_maps=config_maps,
            secrets=secrets,
            jobs=tuple((jobs_by_name or {}).values()),
            now=datetime.now(UTC),
        )

    def execute(self, plan: RollbackPlan, *, dry_run: bool = False) -> Obj:
        """Apply the plan with the request kubectl sends, guarded so that a deployment that
        changed since the plan was made is refused instead of rolled back blindly."""
        if not plan.can_proceed:
            raise Refused(plan.refusal or "This rollback cannot proceed.")
        kwargs: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        target = _deployment(plan.namespace, plan.deployment)
        try:
            result: Obj = self.client.write_json(
                self.client.apps().patch_namespaced_deployment,
                plan.deployment,
                plan.namespace,
                plan.guarded_patch(),
                what=target,
                **kwargs,
            )
        except Invalid as exc:
            current = self.get_deployment(plan.namespace, plan.deployment)
            if _changed_since(plan, current):
                raise Conflict(
                    f"{target} changed since you looked (another operator or tool modified it); "
                    "nothing was rolled back.",
                    hint="Review the history again and re-plan the rollback.",
                ) from exc
            raise
        return result

    # -- after the rollback ----------------------------------------------------------------
    def monitor_rollout(
        self,
        namespace: str,
        name: str,
        *,
        timeout: float = 600.0,
        cancel: threading.Event | None = None,
        on_progress: Callable[[RolloutProgress], None] | None = None,
    ) -> RolloutProgress:
        """Follow the deployment until complete, failed, cancelled or past ``timeout``."""
        cancel = cancel or threading.Event()
        watch = ResourceWatch(
            self.client,
            self.client.apps().list_namespaced_deployment,
            namespace,
            what=_deployment(namespace, name),
            field_selector=f"metadata.name={name}",
        )
        timed_out = threading.Event()

        def guard() -> None:
            if not cancel.wait(timeout):
                timed_out.set()
            watch.stop()

        guardian = threading.Thread(target=guard, name="rollout-monitor-guard", daemon=True)
        guardian.start()
        last: RolloutProgress | None = None
        try:
            for kind, obj in watch.events():
                if kind == "SYNC":
                    items = obj.get("items") or []
                    current = items[0] if items else None
                else:
                    current = None if kind == "DELETED" else obj
                last = evaluate_rollout(current)
                if on_progress is not None:
                    on_progress(last)
                if last.done or last.failed:
                    return last
        finally:
            watch.stop()
            cancel_was_set = cancel.is_set()
            if not cancel_was_set:
                cancel.set()  # releases the guard thread
        if cancel_was_set and not timed_out.is_set():
            raise Cancelled(f"Stopped following the rollout of {_deployment(namespace, name)}.")
        status = f" Last status: {last.message}" if last else ""
        raise TimedOut(
            f"The rollout of {_deployment(namespace, name)} did not finish within "
            f"{timeout:g} s.{status}"
        )

    def verify(
        self,
        namespace: str,
        name: str,
        *,
        pods_before: Sequence[Obj],
        health_url: str | None = None,
        error_patterns: Sequence[str] = DEFAULT_ERROR_PATTERNS,
        log_tail: int = 100,
    ) -> VerificationReport:
        deployment = self.get_deployment(namespace, name)
        new, _ = split_new_old(deployment, owned_by(deployment, self._replica_sets(deployment)))
        if new is None:
            raise OperationError(
                f"{_deployment(namespace, name)} has no replica set for its current template yet;"
                " verification needs the rollout to have started."
            )
        rs_name = new["metadata"]["name"]
        pod_hash = (new["metadata"].get("labels") or {}).get(POD_TEMPLATE_HASH_LABEL, "")
        pods = self._pods(deployment)
        desired = int(deployment["spec"].get("replicas", 1) or 0)
        ready = check_pods_ready(
            pods, replica_set=rs_name, pod_template_hash=pod_hash, desired=desired
        )
        restarts = check_no_restarts(pods_before, pods, pod_template_hash=pod_hash)
        url = health_url_for(deployment, health_url)
        health = check_health(url, http_health_check(url) if url else None)
        lines: dict[str, list[str]] = {}
        for pod in pods:
            if (pod["metadata"].get("labels") or {}).get(POD_TEMPLATE_HASH_LABEL) != pod_hash:
                continue
            for container in pod["spec"].get("containers") or []:
                try:
                    text = self.pod_logs(
                        namespace, pod["metadata"]["name"], container["name"], tail=log_tail
                    )
                except OperationError:
                    continue  # a container that has not started has no logs to judge
                key = pod["metadata"]["name"]
                lines.setdefault(key, []).extend(text.splitlines())
        logs = check_logs(lines, error_patterns)
        return verify(ready, restarts, health, logs)

    def safety_advice(self, namespace: str, name: str) -> tuple[Finding, ...]:
        return rollout_safety_advice(self.get_deployment(namespace, name))


def _deployment(namespace: str, name: str) -> str:
    return f'deployment "{name}" in namespace "{namespace}"'


def _changed_since(plan: RollbackPlan, current: Obj) -> bool:
    return int(current["metadata"].get("generation") or 0) != plan.generation

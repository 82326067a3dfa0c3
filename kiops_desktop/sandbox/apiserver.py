"""The API surface kubectl and client libraries talk to: discovery, CRUD, patches, watches,
Table printing, scale and log subresources (spec §6). Transport-free: ``transport.py`` turns
HTTP into ``Request`` and writes back what this returns."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import resources as res
from .controllers.kubelet import Kubelet
from .defaults import check_dry_run
from .errors import ApiError, bad_request, forbidden, not_found
from .paging import Page, paginate
from .printing import build_table
from .protobuf import ProtobufError, decode_object
from .registry import Registry, decode_json
from .resources import ResourceType
from .routing import Route, route
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import Obj, WatchEvent

JSON = "application/json"
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
WATCH_POLL_SECONDS = 0.5
DEFAULT_WATCH_SECONDS = 1800
READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    user: str = "system:anonymous"
    read_only: bool = False

    def param(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return self.param(name).lower() in ("true", "1")


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes = b""
    # A streaming response yields its chunks; the transport sends them chunk-encoded.
    stream: Iterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, content_type: str = JSON) -> Response:
    return Response(status, content_type, json.dumps(payload, separators=(",", ":")).encode())


def _wants_table(headers: Mapping[str, str]) -> bool:
    return "as=Table" in headers.get("Accept", "")


class ApiServer:
    def __init__(
        self,
        registry: Registry,
        kubelet: Kubelet,
        *,
        server_address: Callable[[], str],
        stopping: threading.Event,
    ) -> None:
        self.reg = registry
        self.store = registry.store
        self.kubelet = kubelet
        self.server_address = server_address
        self.stopping = stopping

    # -- entry ---------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            if "protobuf" in req.headers.get("Content-Type", "") and req.body:
                req = _json_from_protobuf(req)
            target = route(req.path)
            if target.kind == "discovery":
                return self._discovery(req, target)
            if target.kind == "version":
                return json_response(200, _VERSION)
            if target.kind == "health":
                return Response(200, "text/plain", b"ok")
            if target.kind == "openapi":
                return self._openapi(target)
            return self._resource(req, target)
        except ApiError as exc:
            return json_response(exc.code, exc.status())

    # -- discovery -----------------------------------------------------------------------
    def _discovery(self, req: Request, target: Route) -> Response:
        if req.method != "GET":
            raise ApiError(405, f"{req.method} is not supported here")
        aggregated = "as=APIGroupDiscoveryList" in req.headers.get("Accept", "")
        parts = target.path.split("/") if target.path not in ("", "/") else []
        if parts == ["api"]:
            if aggregated:
                return json_response(
                    200, res.aggregated_discovery(core=True), res.AGGREGATED_CONTENT_TYPE
                )
            return json_response(200, res.legacy_api_versions(self.server_address()))
        if parts == ["apis"]:
            if aggregated:
                return json_response(
                    200, res.aggregated_discovery(core=False), res.AGGREGATED_CONTENT_TYPE
                )
            return json_response(200, res.legacy_group_list())
        if len(parts) == 2 and parts[0] == "api":
            doc = res.legacy_resource_list("", parts[1])
        elif len(parts) == 2 and parts[0] == "apis":
            doc = res.legacy_group(parts[1])
        elif len(parts) == 3:
            doc = res.legacy_resource_list(parts[1], parts[2])
        else:
            doc = {"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version"]}
        if doc is None:
            raise ApiError(404, "the server could not find the requested resource")
        return json_response(200, doc)

    def _openapi(self, target: Route) -> Response:
        if target.path == "v3":
            return json_response(200, res.openapi_v3_index())
        if target.path.startswith("v3/"):
            doc = res.openapi_v3_group(target.path[3:])
            if doc is not None:
                return json_response(200, doc)
        raise ApiError(404, "the server could not find the requested resource")

    # -- resources -----------------------------------------------------------------------
    def _authorize(self, req: Request, target: Route, verb: str) -> None:
        if not req.read_only or verb in READ_VERBS:
            return
        assert target.rt is not None
        resource = target.rt.plural + (f"/{target.subresource}" if target.subresource else "")
        error = forbidden(
            target.rt.plural, target.rt.group, target.name, req.user, verb, target.namespace or ""
        )
        error.message = error.message.replace(
            f'cannot {verb} resource "{target.rt.plural}"', f'cannot {verb} resource "{resource}"'
        )
        raise error

    def _resource(self, req: Request, target: Route) -> Response:
        rt = target.rt
        assert rt is not None
        method = req.method
        collection = not target.name
        if collection:
            verb = {
                "GET": "watch" if req.flag("watch") else "list",
                "POST": "create",
                "DELETE": "deletecollection",
            }.get(method)
        else:
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None:
            raise ApiError(
                405,
                f'{method} is not supported on resources of kind "{rt.plural}"',
                reason="MethodNotAllowed",
                details={"group": rt.group, "kind": rt.plural},
            )
        self._authorize(req, target, verb)
        dry_run = check_dry_run(req.query.get("dryRun", []))
        ns = target.namespace or ""
        if target.subresource == "log":
            return self._log(req, ns, target.name)
        if target.subresource == "scale":
            return self._scale(req, rt, ns, target.name, dry_run)
        sub = target.subresource or None
        if sub == "finalize":
            sub = None
        if verb == "watch":
            return self._watch(req, rt, target.namespace)
        if verb == "list":
            return self._list(req, rt, target.namespace)
        if verb == "create":
            if target.namespace is None and rt.namespaced:
                raise ApiError(
                    405,
                    f'POST is not supported on resources of kind "{rt.plural}" without a namespace',
                )
            body = decode_json(req.body)
            if not isinstance(body, dict):
                raise bad_request("the body of the request must be a JSON object")
            return json_response(201, self.reg.create(rt, ns, body, dry_run=dry_run))
        if verb == "deletecollection":
            items, _ = self._select(req, rt, target.namespace)
            for obj in items:
                meta = obj["metadata"]
                self.reg.delete(rt, meta.get("namespace", ""), meta["name"], dry_run=dry_run)
            return json_response(200, self._list_body(rt, items, self.store.resource_version))
        if verb == "get":
            obj = self.reg.get(rt, ns, target.name)
            if _wants_table(req.headers):
                return self._table(Page([obj], self.store.resource_version, "", None), rt, req)
            return json_response(200, obj)
        if verb == "update":
            body = decode_json(req.body)
            return json_response(
                200, self.reg.update(rt, ns, target.name, body, subresource=sub, dry_run=dry_run)
            )
        if verb == "patch":
            content_type = req.headers.get("Content-Type", "")
            return json_response(
                200,
                self.reg.patch(
                    rt, ns, target.name, content_type, req.body, subresource=sub, dry_run=dry_run
                ),
            )
        return self._delete(req, rt, ns, target.name, dry_run)

    def _delete(
        self, req: Request, rt: ResourceType, ns: str, name: str, dry_run: bool
    ) -> Response:
        options = decode_json(req.body) if req.body.strip() else {}
        if not isinstance(options, dict):
            raise bad_request("the body of the request must be DeleteOptions")
        if options.get("dryRun"):
            dry_run = dry_run or check_dry_run(list(options["dryRun"]))
        propagation = options.get("propagationPolicy") or req.param("propagationPolicy") or None
        if options.get("orphanDependents") is True:
            propagation = "Orphan"
        deleted = self.reg.delete(
            rt,
            ns,
            name,
            propagation=propagation,
            preconditions=options.get("preconditions"),
            dry_run=dry_run,
        )
        if rt.plural == "namespaces" or dry_run:
            return json_response(200, deleted)
        details: Obj = {"name": name}
        if rt.group:
            details["group"] = rt.group
        details["kind"] = rt.plural
        details["uid"] = deleted["metadata"]["uid"]
        return json_response(
            200,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            },
        )

    # -- lists, tables, watches ----------------------------------------------------------
    def _select(
        self, req: Request, rt: ResourceType, namespace: str | None
    ) -> tuple[list[Obj], int]:
        return self.reg.list_objects(
            rt, namespace, req.param("labelSelector"), req.param("fieldSelector")
        )

    @staticmethod
    def _list_body(rt: ResourceType, items: list[Obj], rv: int) -> Obj:
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(rv)},
            "items": items,
        }

    def _list(self, req: Request, rt: ResourceType, namespace: str | None) -> Response:
        items, rv = self._select(req, rt, namespace)
        page = paginate(items, rv, req.param("limit"), req.param("continue"))
        if _wants_table(req.headers):
            return self._table(page, rt, req)
        body = self._list_body(rt, page.items, page.resource_version)
        _page_metadata(body["metadata"], page)
        return json_response(200, body)

    def _table(self, page: Page, rt: ResourceType, req: Request) -> Response:
        try:
            table = build_table(
                rt.plural,
                page.items,
                now=self.reg.clock.now(),
                resource_version=str(page.resource_version),
                include_object=req.param("includeObject", "Metadata"),
            )
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        _page_metadata(table.setdefault("metadata", {}), page)
        return json_response(200, table, TABLE_CONTENT_TYPE)

    def _watch(self, req: Request, rt: ResourceType, namespace: str | None) -> Response:
        try:
            label_match = parse_label_selector(req.param("labelSelector"))
            field_match = parse_field_selector(req.param("fieldSelector"))
        except SelectorError as exc:
            raise bad_request(str(exc)) from exc
        send_initial = req.flag("sendInitialEvents")
        bookmarks = req.flag("allowWatchBookmarks")
        rv_text = req.param("resourceVersion")
        if send_initial and (not bookmarks or req.param("resourceVersionMatch") != "NotOlderThan"):
            raise ApiError(
                422,
                'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
                "sendInitialEvents is forbidden for watch unless the WatchList feature gate is "
                "enabled and allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan",
            )
        since: int | None = None
        if not send_initial and rv_text not in ("", "0"):
            try:
                since = int(rv_text)
            except ValueError as exc:
                raise bad_request(f"invalid resource version: {rv_text}") from exc
        table = _wants_table(req.headers)
        include_object = req.param("includeObject", "Metadata")
        if include_object not in ("Metadata", "Object", "None"):
            raise bad_request(f'unrecognized includeObject value: "{include_object}"')
        try:
            timeout = float(req.param("timeoutSeconds") or DEFAULT_WATCH_SECONDS)
        except ValueError as exc:
            raise bad_request("timeoutSeconds must be a number") from exc
        watcher, initial, replay, rv_now = self.store.watch(rt.key, since)

        def matches(obj: Obj | None) -> bool:
            if obj is None:
                return False
            if namespace is not None and obj["metadata"].get("namespace") != namespace:
                return False
            return bool(label_match(obj["metadata"].get("labels")) and field_match(obj))

        def encode(kind: str, obj: Obj) -> bytes:
            if table and kind != "BOOKMARK":
                obj = build_table(
                    rt.plural,
                    [obj],
                    now=self.reg.clock.now(),
                    resource_version=obj["metadata"].get("resourceVersion", ""),
                    include_object=include_object,
                )
            return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

        def translate(event: WatchEvent) -> bytes | None:
            now_in, was_in = matches(event.obj), matches(event.prev)
            if event.type == "DELETED":
                return encode("DELETED", event.obj) if was_in or now_in else None
            if now_in and not was_in and event.type == "MODIFIED":
                return encode("ADDED", event.obj)
            if was_in and not now_in:
                return encode("DELETED", event.obj)
            return encode(event.type, event.obj) if now_in else None

        def bookmark(rv: int, initial_end: bool) -> bytes:
            meta: Obj = {"resourceVersion": str(rv)}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return encode(
                "BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}
            )

        def stream() -> Iterator[bytes]:
            deadline = time.monotonic() + timeout
            try:
                for obj in initial:
                    if matches(obj):
                        yield encode("ADDED", obj)
                if send_initial:
                    yield bookmark(rv_now, True)
                for event in replay:
                    chunk = translate(event)
                    if chunk:
                        yield chunk
                while not self.stopping.is_set() and time.monotonic() < deadline:
                    events = watcher.take(min(WATCH_POLL_SECONDS, deadline - time.monotonic()))
                    if watcher.closed:
                        return
                    for event in events:
                        chunk = translate(event)
                        if chunk:
                            yield chunk
                    if not events:
                        yield b""  # lets the transport notice a client that went away
            finally:
                self.store.unwatch(watcher)

        return Response(200, JSON, stream=stream())

    # -- subresources --------------------------------------------------------------------
    def _scale(self, req: Request, rt: ResourceType, ns: str, name: str, dry_run: bool) -> Response:
        if req.method == "GET":
            return json_response(200, self.reg.get_scale(rt, ns, name))
        if req.method == "PUT":
            body = decode_json(req.body)
            if not isinstance(body, dict):
                raise bad_request("the body of the request must be a Scale object")
            return json_response(
                200, self.reg.write_scale(rt, ns, name, body=body, dry_run=dry_run)
            )
        return json_response(
            200,
            self.reg.write_scale(
                rt,
                ns,
                name,
                content_type=req.headers.get("Content-Type", ""),
                patch=req.body,
                dry_run=dry_run,
            ),
        )

    def _log(self, req: Request, ns: str, name: str) -> Response:
        pod = self.store.get(res.PODS.key, ns, name)
        if pod is None:
            raise not_found("pods", "", name)
        names = [c["name"] for c in pod["spec"].get("containers") or []]
        container = req.param("container")
        if not container:
            if len(names) != 1:
                raise bad_request(
                    f"a container name must be specified for pod {name}, choose one of: "
                    f"[{' '.join(names)}]"
                )
            container = names[0]
        if container not in names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        previous = req.flag("previous")
        if previous:
            buffer = self.kubelet.log_buffer(ns, name, container, previous=True)
            if buffer is None:
                raise bad_request(
                    f'previous terminated container "{container}" in pod "{name}" not found'
                )
            return Response(200, "text/plain", b"".join(f"{t}\n".encode() for _, t in buffer.lines))
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (status.get("state") or {}).get("waiting")
            if status.get("name") == container and waiting and not status.get("restartCount"):
                reason = waiting.get("reason", "ContainerCreating")
                if reason == "ImagePullBackOff" or reason == "ErrImagePull":
                    reason = "trying and failing to pull image"
                raise bad_request(
                    f'container "{container}" in pod "{name}" is waiting to start: {reason}'
                )
        buffer = self.kubelet.log_buffer(ns, name, container)
        lines = list(buffer.lines) if buffer else []
        tail = req.param("tailLines")
        if tail:
            try:
                count = int(tail)
            except ValueError as exc:
                raise bad_request(f"tailLines must be a number: {tail}") from exc
            lines = lines[-count:] if count > 0 else []
        timestamps = req.flag("timestamps")

        def render(entry: tuple[str, str]) -> bytes:
            stamp, text = entry
            return (f"{stamp} {text}\n" if timestamps else f"{text}\n").encode()

        if not req.flag("follow"):
            return Response(200, "text/plain", b"".join(render(e) for e in lines))

        def follow() -> Iterator[bytes]:
            reading, sent = buffer, (len(buffer.lines) if buffer else 0)
            for entry in lines:
                yield render(entry)
            cond = self.kubelet.log_cond
            while not self.stopping.is_set():
                with cond:
                    current = self.kubelet.log_buffer(ns, name, container)
                    if current is None or current.closed:
                        if self.store.get(res.PODS.key, ns, name) is None:
                            return
                        cond.wait(WATCH_POLL_SECONDS)
                        continue
                    if current is not reading:
                        # The container restarted: its new run has a log of its own.
                        reading, sent = current, 0
                    if len(current.lines) <= sent:
                        cond.wait(WATCH_POLL_SECONDS)
                    fresh = current.lines[sent:]
                    sent = len(current.lines)
                for entry in fresh:
                    yield render(entry)
                if not fresh:
                    yield b""

        return Response(200, "text/plain", stream=follow())


def _json_from_protobuf(req: Request) -> Request:
    try:
        obj = decode_object(req.body)
    except ProtobufError as exc:
        raise ApiError(415, str(exc)) from exc
    headers = {k: v for k, v in req.headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = JSON
    body = json.dumps(obj).encode()
    return Request(req.method, req.path, req.query, headers, body, req.user, req.read_only)


_VERSION = {
    "major": "1",
    "minor": "37",
    "emulationMajor": "1",
    "emulationMinor": "37",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36",
    "gitVersion": "v1.37.0-kiops-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-11-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _page_metadata(meta: Obj, page: Page) -> None:
    if page.continue_token:
        meta["continue"] = page.continue_token
        meta["remainingItemCount"] = page.remaining

"""Container services as the app's one ``Service`` record (the Kubernetes side is in
``core.services.kubernetes_service``)."""

from __future__ import annotations

from collections import Counter

from ..core.services import Service
from ..runtimes.containers import ContainerInfo, ContainerService


def _state(containers: tuple[ContainerInfo, ...]) -> str:
    """One word for the service: the worst of its containers (unhealthy beats exited beats
    starting beats running), so a half-broken service never looks fine."""
    if not containers:
        return "Empty"
    if any(c.health == "unhealthy" for c in containers):
        return "Unhealthy"
    states = Counter(c.state for c in containers)
    for state, word in (
        ("dead", "Dead"),
        ("restarting", "Restarting"),
        ("exited", "Exited"),
        ("created", "Created"),
        ("paused", "Paused"),
    ):
        if states.get(state):
            return word
    if any(c.health == "starting" for c in containers):
        return "Starting"
    return "Running"


def container_service(
    runtime: str, connection: str, service: ContainerService, *, production: bool = False
) -> Service:
    shown = tuple(c for c in service.containers if not c.infra)
    first = shown[0] if shown else None
    running = sum(1 for c in shown if c.state == "running")
    name = (
        service.name.split("/", 1)[1] if service.project and "/" in service.name else service.name
    )
    last = max((c.created for c in shown if c.created is not None), default=None)
    return Service(
        runtime=runtime,
        context=connection,
        namespace=service.project or "",
        name=name,
        image=first.image if first else "",
        revision=(first.tag or (first.digest or "")[:19]) if first else "",
        ready=f"{running}/{len(shown)}",
        status=_state(shown),
        last_change=last.isoformat() if last else "",
        images=tuple(dict.fromkeys(c.image for c in shown)),
        production=production,
    )

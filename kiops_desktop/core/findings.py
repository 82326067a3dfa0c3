"""A finding: one thing the operator should know before (or instead of) acting.

Precaution checks (before a rollback) and rollout-safety advice (about a Deployment's settings)
both speak in findings, so the UI can show them in one list with one colour scheme.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["danger", "warning", "info"]

# Lower sorts first: the operator reads the list top-down, so what can break production leads.
SEVERITY_RANK: dict[str, int] = {"danger": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One finding.

    ``code`` is a stable identifier (tests, the audit log and "don't show again" settings key on
    it); ``title`` is short; ``detail`` is one or two sentences naming the objects involved;
    ``fix`` is one line saying what to do, or None when there is nothing to do.
    """

    severity: Severity
    code: str
    title: str
    detail: str
    fix: str | None = None


def ordered(pairs: Iterable[tuple[str, Finding]]) -> tuple[Finding, ...]:
    """Findings in display order: severity (danger first), then code, then subject.

    Each finding comes paired with the name of the object it is about (its subject), because the
    order must be stable across runs and ``Finding`` itself has no field naming a single object;
    the detail text is the last tie-breaker so that equal keys still sort deterministically.
    """
    return tuple(
        finding
        for _, finding in sorted(
            pairs,
            key=lambda pair: (
                SEVERITY_RANK[pair[1].severity],
                pair[1].code,
                pair[0],
                pair[1].detail,
            ),
        )
    )

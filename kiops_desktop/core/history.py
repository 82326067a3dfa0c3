"""A Deployment's rollout history, and kubectl's text for it (K8S_ROLLOUT_SPEC.md §2).

``build_history`` takes the Deployment and the ReplicaSets a LIST with its selector returned
and computes, without running kubectl, both the parsed revisions the UI lists and the exact
stdout of ``kubectl rollout history deployment/NAME -n NS`` (``History.raw_text``) and of
``... --revision=N`` (``History.text_for(N)``). It follows
``kubernetes/kubectl:pkg/polymorphichelpers/history.go`` (``DeploymentHistoryViewer``),
``pkg/cmd/rollout/rollout_history.go`` and cli-runtime's name printer.

Pure: no I/O; objects are JSON-shaped mappings as the API serves them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiops_desktop.core.describe import describe_pod_template, go_quote
from kiops_desktop.core.revisions import (
    CHANGE_CAUSE_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    annotations_of,
    kubectl_order,
    metadata_of,
    owned_replica_sets,
    parse_go_int,
    split_new_old,
)

__all__ = ["History", "Revision", "build_history", "tabwriter"]

Obj = Mapping[str, Any]

NO_HISTORY = "No rollout history found."
_GO_INT_SYNTAX = re.compile(r"^[+-]?[0-9]+$")


# --------------------------------------------------------------------------------------------
# Go text/tabwriter
# --------------------------------------------------------------------------------------------


def tabwriter(text: str, *, minwidth: int = 0, padding: int = 2) -> str:
    """Go ``text/tabwriter`` with a space pad character and no flags, as kubectl's
    ``tabbedString`` configures it (``Init(buf, 0, 8, 2, ' ', 0)``; the tab width only matters
    for tab padding, which is not used).

    Cells are *terminated* by tabs: the text after the last tab of a line is not part of a
    column and is never padded. A column block is a run of consecutive lines that have a cell
    in that column; its width is the widest cell (in runes) plus the padding. ``\\v`` ends a
    cell like a tab; ``\\f`` ends a line and flushes, as does a line of a single cell."""
    writer = _TabWriter(minwidth, padding)
    writer.write(text)
    writer.flush()
    return "".join(writer.out)


class _TabWriter:
    """A transliteration of Go's ``tabwriter.Writer`` (Write, Flush, format, writeLines)."""

    def __init__(self, minwidth: int, padding: int) -> None:
        self.minwidth = minwidth
        self.padding = padding
        self.out: list[str] = []
        self.lines: list[list[str]] = [[]]
        self.cell: list[str] = []
        self.widths: list[int] = []

    def _terminate_cell(self) -> int:
        self.lines[-1].append("".join(self.cell))
        self.cell = []
        return len(self.lines[-1])

    def write(self, text: str) -> None:
        for ch in text:
            if ch in "\t\v\n\f":
                ncells = self._terminate_cell()
                if ch in "\n\f":
                    self.lines.append([])
                    # A one-cell line cannot affect the columns below it, so Go flushes.
                    if ch == "\f" or ncells == 1:
                        self.flush()
            else:
                self.cell.append(ch)

    def flush(self) -> None:
        if self.cell:
            self._terminate_cell()
        self._format(0, len(self.lines))
        self.lines = [[]]
        self.widths = []

    def _write_lines(self, line0: int, line1: int) -> None:
        for i in range(line0, line1):
            for j, content in enumerate(self.lines[i]):
                self.out.append(content)
                if j < len(self.widths):
                    self.out.append(" " * (self.widths[j] - len(content)))
            if i + 1 == len(self.lines):
                self.out.append("".join(self.cell))  # the incomplete last line, unterminated
            else:
                self.out.append("\n")

    def _format(self, line0: int, line1: int) -> None:
        column = len(self.widths)
        this = line0
        while this < line1:
            if column >= len(self.lines[this]) - 1:
                this += 1
                continue
            # This line opens a block for this column: print what came before it.
            self._write_lines(line0, this)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(self.lines[this]) - 1:
                width = max(width, len(self.lines[this][column]) + self.padding)
                this += 1
            self.widths.append(width)
            self._format(line0, this)
            self.widths.pop()
            line0 = this
        self._write_lines(line0, line1)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One revision: the ReplicaSet that carries the number, as kubectl shows it."""

    number: int
    change_cause: str | None
    images: tuple[str, ...]  # containers' images in order (init containers excluded)
    replica_set: str
    created: str  # the ReplicaSet's creationTimestamp (RFC 3339)
    replicas: int  # ReplicaSet spec.replicas
    ready_replicas: int
    live: bool  # True for the ReplicaSet that matches the Deployment's template
    previous_numbers: tuple[int, ...]  # from deployment.kubernetes.io/revision-history
    template: Mapping[str, Any] = field(repr=False, compare=False)  # RS spec.template

    @property
    def label(self) -> str:
        """A short line for a UI list: the change-cause, or the images and creation date."""
        if self.change_cause:
            return self.change_cause
        images = ", ".join(self.images) or "(no containers)"
        date = self.created[:10]
        return f"{images} · {date}" if date else images


@dataclass(frozen=True)
class History:
    namespace: str
    deployment: str
    revisions: tuple[Revision, ...]  # ascending by number
    raw_text: str  # stdout of `kubectl rollout history deployment/NAME -n NS`
    revision_history_limit: int | None
    warnings: tuple[str, ...]  # what kubectl logs (klog, stderr) for unparsable revisions
    _texts: Mapping[int, str] = field(default_factory=dict, repr=False, compare=False)

    def revision(self, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.number == number), None)

    def text_for(self, number: int) -> str:
        """stdout of ``kubectl rollout history deployment/NAME --revision=N``.

        ``KeyError`` when kubectl would fail (``error: unable to find the specified
        revision``, or a negative N). With no history at all kubectl does not check N and
        prints "No rollout history found." under the revision line; so do we. N = 0 is the
        list view."""
        if number < 0:
            raise KeyError(f"revision must be a positive integer: {number}")
        if number == 0:
            return self.raw_text
        if not self.revisions:
            return f"deployment.apps/{self.deployment} with revision #{number}\n{NO_HISTORY}\n"
        try:
            return self._texts[number]
        except KeyError:
            raise KeyError(f"unable to find the specified revision {number}") from None

    @property
    def current_revision(self) -> int | None:
        """The number of the live revision (the ReplicaSet matching the template)."""
        return next((r.number for r in self.revisions if r.live), None)

    @property
    def vanished(self) -> tuple[int, ...]:
        """Revision numbers below the highest one that no ReplicaSet carries, now or before a
        rollback re-used it: their ReplicaSets were deleted (revisionHistoryLimit cleanup or
        by hand)."""
        kept = {r.number for r in self.revisions}
        moved = {n for r in self.revisions for n in r.previous_numbers}
        top = max((n for n in kept if n > 0), default=0)
        return tuple(n for n in range(1, top) if n not in kept and n not in moved)

    @property
    def cleaned_up(self) -> bool:
        """Older revisions are gone, so the UI can explain why one vanished."""
        return bool(self.vanished)

    @property
    def explanation(self) -> str | None:
        """One or two plain sentences about numbers the operator may miss, or None."""
        sentences: list[str] = []
        gone = self.vanished
        if gone:
            which = _numbers_text(gone)
            plural = "s" if len(gone) > 1 else ""
            limit = self.revision_history_limit
            if limit is not None:
                kept = "no older revisions" if limit == 0 else f"the {limit} most recent older"
                kept += "" if limit == 0 else (" revision" if limit == 1 else " revisions")
                sentences.append(
                    f"Revision{plural} {which} {'were' if plural else 'was'} removed: "
                    f"revisionHistoryLimit is {limit}, so Kubernetes keeps {kept} "
                    "besides the current one."
                )
            else:
                sentences.append(
                    f"Revision{plural} {which} {'are' if plural else 'is'} no longer available: "
                    "their ReplicaSets were deleted."
                )
        reused = [r for r in self.revisions if r.previous_numbers]
        if reused:
            parts = [
                f"{r.number} was {_numbers_text(r.previous_numbers)}"
                for r in sorted(reused, key=lambda r: r.number)
            ]
            sentences.append(
                "Rolling back re-uses an earlier revision under a new number "
                f"(revision {'; revision '.join(parts)})."
            )
        return " ".join(sentences) or None


def _numbers_text(numbers: Sequence[int]) -> str:
    """``1``, ``1 and 2``, ``1, 2 and 4``; runs of three or more as ``1-5``."""
    groups: list[str] = []
    run: list[int] = []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            groups.extend(_run_text(run))
        run = [n]
    if run:
        groups.extend(_run_text(run))
    if len(groups) <= 1:
        return "".join(groups)
    return ", ".join(groups[:-1]) + " and " + groups[-1]


def _run_text(run: list[int]) -> list[str]:
    return [f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(n) for n in run]


# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------


def _revision_error(text: str) -> str:
    """The error ``strconv.ParseInt(text, 10, 64)`` returns."""
    reason = "value out of range" if _GO_INT_SYNTAX.match(text) else "invalid syntax"
    return f"strconv.ParseInt: parsing {go_quote(text)}: {reason}"


def _previous_numbers(rs: Obj) -> tuple[int, ...]:
    text = annotations_of(rs).get(REVISION_HISTORY_ANNOTATION) or ""
    numbers = (parse_go_int(part.strip()) for part in text.split(","))
    return tuple(n for n in numbers if n is not None)


def _int_field(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def build_history(deployment: Obj, replica_sets: Sequence[Obj]) -> History:
    """The history kubectl shows for ``deployment`` given the ReplicaSets a LIST with its
    selector returned (they are filtered by controller UID here, §1.2)."""
    meta = metadata_of(deployment)
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    owned = owned_replica_sets(deployment, replica_sets)
    new_rs, _ = split_new_old(deployment, owned)

    # revision -> (rs, the change-cause injected into the template's annotations)
    entries: dict[int, tuple[Obj, str | None]] = {}
    warnings: list[str] = []
    for rs in kubectl_order(deployment, owned):
        rs_name = str(metadata_of(rs).get("name") or "")
        raw = annotations_of(rs).get(REVISION_ANNOTATION)
        number = 0 if raw is None else parse_go_int(raw)
        if number is None:
            warnings.append(
                f"unable to get revision from replicaset {rs_name} for deployment {name} "
                f"in namespace {namespace}: {_revision_error(raw or '')}"
            )
            continue
        # Later ReplicaSets win on duplicate numbers: kubectl fills a map in this order.
        cause = annotations_of(rs).get(CHANGE_CAUSE_ANNOTATION) or None
        entries[number] = (rs, cause)

    revisions: list[Revision] = []
    texts: dict[int, str] = {}
    rows: list[tuple[int, str]] = []
    for number in sorted(entries):
        rs, cause = entries[number]
        spec = rs.get("spec") or {}
        template: Mapping[str, Any] = spec.get("template") or {}
        template_annotations = (template.get("metadata") or {}).get("annotations") or {}
        # kubectl reads the change-cause back from the template after injecting the RS's one,
        # so a change-cause annotation inside the template shows when the RS has none.
        shown = cause or template_annotations.get(CHANGE_CAUSE_ANNOTATION) or None
        extra = {CHANGE_CAUSE_ANNOTATION: cause} if cause else None
        texts[number] = (
            f"deployment.apps/{name} with revision #{number}\n"
            f"{describe_pod_template(template, extra_annotations=extra)}\n"
        )
        rows.append((number, shown or "<none>"))
        containers = (template.get("spec") or {}).get("containers") or []
        status = rs.get("status") or {}
        revisions.append(
            Revision(
                number=number,
                change_cause=shown,
                images=tuple(str(c.get("image") or "") for c in containers),
                replica_set=str(metadata_of(rs).get("name") or ""),
                created=str(metadata_of(rs).get("creationTimestamp") or ""),
                replicas=_int_field(spec.get("replicas"), 1),  # the API server's default
                ready_replicas=_int_field(status.get("readyReplicas"), 0),
                live=rs is new_rs,
                previous_numbers=_previous_numbers(rs),
                template=template,
            )
        )

    if rows:
        table = "REVISION\tCHANGE-CAUSE\n" + "".join(f"{n}\t{c}\n" for n, c in rows)
        body = tabwriter(table)
    else:
        body = NO_HISTORY
    # The name printer: "<kind>.<group>/<name>" + " " + operation, operation = "" + "\n" + body.
    raw_text = f"deployment.apps/{name} \n{body}\n"
    limit = (deployment.get("spec") or {}).get("revisionHistoryLimit")
    return History(
        namespace=namespace,
        deployment=name,
        revisions=tuple(revisions),
        raw_text=raw_text,
        revision_history_limit=limit if isinstance(limit, int) else None,
        warnings=tuple(warnings),
        _texts=texts,
    )

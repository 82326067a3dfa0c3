"""Rich text for the rollback screens: template diffs, findings, revision captions, the manual
checklist. Pure string building (no widgets), so the Deployment tab and the confirmation dialog
render the same data the same way, and a test can read what the operator reads."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..core.findings import Finding
from ..core.template_diff import DiffEntry, TemplateDiff

# Explicit foreground and background pairs: rich text does not follow the palette, and a
# light-on-light "removed" line would vanish in dark mode if only one of the two were set.
REMOVED_STYLE = "background:#fdecea; color:#8a1c1c;"
ADDED_STYLE = "background:#e6f4ea; color:#1e4620;"
MUTED_STYLE = "color:#6b7280;"

SEVERITY_STYLE: dict[str, tuple[str, str]] = {
    "danger": ("#c62828", "DANGER"),
    "warning": ("#b45309", "WARNING"),
    "info": ("#1565c0", "NOTE"),
}

# The seed's manual checklist: what no API call can tell, so the operator is asked. Each item is
# (the check, why it matters), shown as a check box with the reason as its tooltip.
MANUAL_CHECKLIST: tuple[tuple[str, str], ...] = (
    (
        "Database schema changes are compatible with the older code",
        "A migration shipped with the newer revision may have changed tables the older code reads.",
    ),
    (
        "Data written by the newer version can be read by the older one",
        "New fields, formats or enum values written since the release can break older readers.",
    ),
    (
        "Migrations are rolled back first, or need no rollback",
        "Down-migrations usually have to run before the older code starts, and may lose data.",
    ),
    (
        "Environment variables, ConfigMaps and Secrets still suit the older revision",
        "The older revision reads the configuration as it is now, not as it was when it ran.",
    ),
    (
        "External APIs and clients still work with the older version",
        "Partners, mobile apps or other services may already depend on the newer API.",
    ),
)


def revision_caption(number: int | None, images: Sequence[str]) -> str:
    """``revision 3 (registry/app:1.2)``: how the audit log and the dialog name a revision."""
    which = f"revision {number}" if number is not None else "the current template"
    return f"{which} ({', '.join(images)})" if images else which


def _mono(text: str) -> str:
    return f"<span style='font-family:monospace'>{escape(text)}</span>"


def _value_line(sign: str, value: str, style: str) -> str:
    return (
        f"<tr><td style='{style} font-family:monospace; padding:1px 6px'>"
        f"{sign}&nbsp;{escape(value)}</td></tr>"
    )


def _entry_html(entry: DiffEntry) -> str:
    head = f"<b>{escape(entry.scope)}</b>"
    if entry.field != "container":
        head += f" <span style='{MUTED_STYLE}'>·</span> {escape(entry.field)}"
    rows = []
    if entry.field == "container":
        # A whole container came or went: name its image, as DiffEntry.text does.
        if entry.before is not None:
            rows.append(_value_line("&minus;", f"container (image {entry.before})", REMOVED_STYLE))
        if entry.after is not None:
            rows.append(_value_line("+", f"container (image {entry.after})", ADDED_STYLE))
    elif entry.before is not None and entry.after is not None and entry.before == entry.after:
        # Only masked (secret-looking) values render the same while differing.
        rows.append(_value_line("~", f"changed {entry.before}", MUTED_STYLE))
    else:
        if entry.before is not None:
            rows.append(_value_line("&minus;", entry.before, REMOVED_STYLE))
        if entry.after is not None:
            rows.append(_value_line("+", entry.after, ADDED_STYLE))
    if not rows:
        rows.append(_value_line(" ", "changed", MUTED_STYLE))
    return (
        f"<div style='margin-top:6px'>{head}</div>"
        f"<table cellspacing='0' cellpadding='0' width='100%'>{''.join(rows)}</table>"
    )


def diff_html(diff: TemplateDiff | None, *, before: str, after: str, empty: str) -> str:
    """The diff as unified-diff-like blocks: one heading per changed field, the value before
    (minus, red) and after (+, green). Long images stay readable, unlike a side-by-side table."""
    if diff is None or diff.is_empty:
        return f"<p style='{MUTED_STYLE}'>{escape(empty)}</p>"
    legend = (
        f"<p style='margin:0'><span style='{REMOVED_STYLE} padding:0 4px'>&minus;&nbsp;{escape(before)}"
        f"</span>&nbsp; <span style='{ADDED_STYLE} padding:0 4px'>+&nbsp;{escape(after)}</span></p>"
    )
    return legend + "".join(_entry_html(e) for e in diff.entries)


def finding_html(finding: Finding) -> str:
    colour, word = SEVERITY_STYLE.get(finding.severity, SEVERITY_STYLE["info"])
    badge = (
        f"<span style='background:{colour}; color:white; font-weight:bold; font-size:small'>"
        f"&nbsp;{word}&nbsp;</span>"
    )
    text = f"{badge}&nbsp; <b>{escape(finding.title)}</b><br>{escape(finding.detail)}"
    if finding.fix:
        text += f"<br><span style='{MUTED_STYLE}'>Fix:</span> {_mono(finding.fix)}"
    return f"<p style='margin-top:2px; margin-bottom:8px'>{text}</p>"


def findings_html(findings: Sequence[Finding], *, empty: str) -> str:
    if not findings:
        return f"<p style='{MUTED_STYLE}'>{escape(empty)}</p>"
    return "".join(finding_html(f) for f in findings)


def images_html(images: Sequence[str]) -> str:
    if not images:
        return f"<span style='{MUTED_STYLE}'>(no containers)</span>"
    return "<br>".join(_mono(image) for image in images)

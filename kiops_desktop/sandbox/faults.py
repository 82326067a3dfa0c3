"""Fault injection for reliability tests: the next N requests matching a method and a path
pattern fail with a status, are delayed, or have their connection dropped."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultRule:
    method: str  # an HTTP method, or "*"
    path: re.Pattern[str]
    remaining: int
    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    message: str = "injected fault"

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "count": self.remaining,
            "status": self.status,
            "delay": self.delay,
            "drop": self.drop,
            "message": self.message,
        }


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(
        self,
        method: str,
        path: str,
        *,
        count: int = 1,
        status: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
        message: str = "injected fault",
    ) -> FaultRule:
        """Raise ValueError with a sentence when the rule makes no sense."""
        if count < 1:
            raise ValueError("count must be at least 1")
        if status is None and not drop and delay <= 0:
            raise ValueError("a fault needs a status, a delay or drop")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error code (400-599)")
        if delay < 0 or delay > 300:
            raise ValueError("delay must be between 0 and 300 seconds")
        try:
            pattern = re.compile(path)
        except re.error as exc:
            raise ValueError(f"path is not a valid regular expression: {exc}") from exc
        rule = FaultRule(method.upper(), pattern, count, status, delay, drop, message)
        with self._lock:
            self._rules.append(rule)
        return rule

    def match(self, method: str, path: str) -> FaultRule | None:
        """The first matching rule, counted down; used up rules disappear."""
        with self._lock:
            for rule in self._rules:
                if rule.method in ("*", method) and rule.path.search(path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

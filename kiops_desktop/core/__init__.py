"""Pure domain: dataclasses and pure functions for releases and rollbacks; no Qt, no I/O."""

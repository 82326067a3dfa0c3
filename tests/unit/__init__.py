"""Unit tests: pure code, no Qt, no services."""

"""KIOPS Desktop test suite."""

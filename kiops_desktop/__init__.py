"""KIOPS Desktop: the operator's console for rolling back a bad release."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiops-desktop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

"""The frozen ``kiops-desktop-credential`` executable (the kubectl exec credential plugin).

A console program of its own, next to ``kiops-desktop`` in the bundle: on Windows and macOS the
app is a windowed program without stdout, while kubectl reads the ExecCredential from the
plugin's stdout; and ``credential_plugin.plugin_command()`` looks for exactly this name beside
``sys.executable``, so kubeconfigs written by the frozen app call it by absolute path.
"""

from __future__ import annotations

import sys

from kiops_desktop.connections.credential_plugin import main

if __name__ == "__main__":
    sys.exit(main())

"""The frozen ``kiops-desktop`` executable's entry point (PyInstaller runs this as __main__).

Besides starting the app it answers the two ways a kubeconfig can call the kubectl credential
plugin through this executable, so a kubeconfig written by another build keeps working:

* ``kiops-desktop --credential-plugin NAME``;
* ``kiops-desktop -m kiops_desktop.connections.credential_plugin NAME`` - what
  ``credential_plugin.plugin_command()`` falls back to (``sys.executable -m MODULE``) when it finds
  no ``kiops-desktop-credential`` beside ``sys.executable``. In a frozen app ``sys.executable``
  is this program, not a Python interpreter, so ``-m`` is emulated here for that one module.

Normally neither is used: the bundle ships the separate console executable
``kiops-desktop-credential`` next to this one, which ``plugin_command()`` finds first.
"""

from __future__ import annotations

import sys


def main() -> int:
    from kiops_desktop.connections.credential_plugin import MODULE

    argv = sys.argv[1:]
    if argv[:1] == ["--credential-plugin"] or argv[:2] == ["-m", MODULE]:
        from kiops_desktop.connections.credential_plugin import main as plugin

        return plugin(argv[1:] if argv[0] == "--credential-plugin" else argv[2:])
    from kiops_desktop.app import main as app

    return app(argv)


if __name__ == "__main__":
    sys.exit(main())

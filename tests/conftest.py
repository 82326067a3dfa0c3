"""Suite-wide set-up that must happen before anything imports Qt or runs kubectl."""

import os

# Widgets render offscreen: no display needed, and no window pops up on a developer's desktop.
# KIOPS_TEST_QPA_PLATFORM (e.g. "xcb" under Xvfb) overrides it on purpose; a stray
# QT_QPA_PLATFORM exported in the developer's shell does not.
os.environ["QT_QPA_PLATFORM"] = os.environ.get("KIOPS_TEST_QPA_PLATFORM", "offscreen")

# A user's ~/.kube/kuberc must not change how the real kubectl behaves in tests.
os.environ["KUBERC"] = "off"

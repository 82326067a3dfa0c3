"""The embedded Kubernetes API server used by ``--demo`` and by the tests (K8S_ROLLOUT_SPEC.md).

Nothing in KIOPS Desktop imports this package except ``app.py``.
"""

from .sandbox import Sandbox

__all__ = ["Sandbox"]

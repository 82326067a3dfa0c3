"""Discovery of kube/Docker/Podman contexts, keyring-backed credentials, settings and paths."""

"""One adapter per engine (Kubernetes, Docker, Podman, registry); all I/O lives here."""

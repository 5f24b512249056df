"""Backends turn a validated spec into deployable output (Kubernetes manifests, Pulumi programs)."""

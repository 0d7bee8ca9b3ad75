"""Prometheus metrics: one registry per app, so two services can share a process (tests, bench)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """HTTP metrics by route template and status, plus the domain counters a service declares."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered",
            ("method", "route", "status"),
            namespace=namespace,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from the first byte received to the last byte sent",
            ("method", "route"),
            namespace=namespace,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._counters: dict[str, Counter] = {}

    def counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        """A domain counter (``changes_merged``, ``logins_failed`` …), created once per app."""
        if name not in self._counters:
            self._counters[name] = Counter(
                name, documentation, labels, namespace=self.namespace, registry=self.registry
            )
        return self._counters[name]

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)

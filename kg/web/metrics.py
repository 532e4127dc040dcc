"""Prometheus metrics of the endpoint (prometheus_client).

``kg serve`` runs several server processes; it sets ``PROMETHEUS_MULTIPROC_DIR``
before they start, so each process writes its counts to files there and
``/metrics``, whichever process answers it, sums them (prometheus_client's
multiprocess mode). Without that variable the counts live in this process.
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    """Requests by endpoint and status, a latency histogram (seconds) and the
    number of queries stopped at the time limit."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("kg_http_requests", "HTTP requests answered, by route and status",
                                ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram("kg_http_request_duration_seconds", "Time to the response head, by route",
                                 ["endpoint"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.timeouts = Counter("kg_queries_timed_out", "Queries stopped at the time limit or refused "
                                "because every worker stayed busy", registry=self.registry)

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint=endpoint, status=str(status)).inc()
        self.latency.labels(endpoint=endpoint).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition format (version 0.0.4), summed over
        all server processes in multiprocess mode."""
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

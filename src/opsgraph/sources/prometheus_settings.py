"""The `prometheus:` block of a `kind: prometheus` source in opsgraph.yaml (configuration only, no I/O).

Kept apart from the client (`prometheus.py`) so that `SourceConfig` can carry it without
importing httpx. Secrets are never written here: the block names the *environment
variables* that hold them, and the `app` layer resolves those (no module below `app`
reads the environment).

```yaml
sources:
  - name: prod-metrics
    kind: prometheus
    prometheus:
      url: https://prometheus.example.com
      node_label: service             # the label naming the node
      queries:
        Service:
          error_rate: 'sum by (service) (rate(http_server_requests_total{code=~"5.."}[1m]))'
          requests_per_s: 'sum by (service) (rate(http_server_requests_total[1m]))'
      bearer_token_env: PROM_TOKEN    # or basic_user + basic_password_env
      ca_file: /etc/ssl/internal-ca.pem
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["PrometheusSettings"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class PrometheusSettings(BaseModel):
    """Where a Prometheus-compatible server is and what to pull from it."""

    model_config = ConfigDict(extra="forbid")

    url: str
    """Base URL of the server (Prometheus, VictoriaMetrics, Thanos Query, Mimir's Prometheus prefix), e.g. `http://127.0.0.1:9090`."""
    queries: dict[str, dict[str, str]]
    """Node type -> {telemetry feature of that type in the schema -> PromQL}; each query's series carry `node_label`."""
    node_label: str = "service"
    """Label whose value names the node (its `id`)."""
    node_labels: dict[str, str] = Field(default_factory=dict)
    """Per node type, a label overriding `node_label` (e.g. `{Datastore: instance}`)."""
    pod_to_workload: bool = False
    """The label names a pod (`checkout-7d9f8b6c5d-x2x4q`): map it to its workload (`checkout`) before matching nodes."""
    aggregate: Literal["mean", "sum", "max", "min"] = "mean"
    """How several series naming the same node in one query combine (e.g. pods of one workload)."""
    bearer_token_env: str | None = None
    """Environment variable holding a bearer token (sent as `Authorization: Bearer ...`)."""
    basic_user: str | None = None
    """User name for HTTP basic auth (the password comes from `basic_password_env`)."""
    basic_password_env: str | None = None
    """Environment variable holding the basic-auth password."""
    ca_file: Path | None = None
    """PEM file of the CA that signed the server's certificate."""
    insecure_skip_verify: bool = False
    """Do not verify the server's TLS certificate (test servers only)."""
    timeout_seconds: float = Field(30.0, gt=0)
    """Per-request timeout (connect, read, write); also sent as the query `timeout`."""
    retries: int = Field(3, ge=0, le=10)
    """Retries of a request that failed with a connection error, a timeout or a 5xx answer (never on 4xx)."""
    backoff_seconds: float = Field(0.5, ge=0)
    """First retry delay; doubled at each further retry."""
    max_points: int = Field(11_000, ge=2)
    """Points per series per request: Prometheus refuses more than 11,000 (`exceeded maximum resolution`)."""
    lookback_seconds: int = Field(86_400, gt=0)
    """First pull (no telemetry stored yet for a node type): how far back from now to start."""
    delay_seconds: int = Field(30, ge=0)
    """The newest step pulled is at least this old, so that late scrapes and rule evaluations are in it (steps are never re-pulled)."""

    @field_validator("bearer_token_env", "basic_password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} must be the NAME of an environment variable (the secret itself never goes in opsgraph.yaml)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check(self) -> PrometheusSettings:
        if not self.queries or not any(self.queries.values()):
            raise ValueError("queries: give at least one node type with one feature query")
        for label in [self.node_label, *self.node_labels.values()]:
            if not _LABEL.match(label):
                raise ValueError(f"label {label!r} is not a Prometheus label name")
        if (self.basic_user is None) != (self.basic_password_env is None):
            raise ValueError("basic auth needs both basic_user and basic_password_env")
        if self.bearer_token_env and self.basic_user:
            raise ValueError("choose one of bearer_token_env and basic_user/basic_password_env")
        return self

    def label_for(self, node_type: str) -> str:
        """The label naming nodes of `node_type`."""
        return self.node_labels.get(node_type, self.node_label)

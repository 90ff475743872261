"""Live Kubernetes clusters as a source (kind `kubernetes-cluster`), through the official client.

`path` is the kubeconfig file and `context` the context in it (its current context when
unset). Every kind the manifest reader maps is listed across all namespaces (paged, 500 a
page) as plain JSON and handed to the same mapping code (`kubernetes.facts_from_objects`),
so a cluster and its manifests give the same facts. Evidence names the object's API path
instead of a file, e.g. `cluster:prod/apis/apps/v1/namespaces/shop/deployments/cart`.

The client is an optional extra (`pip install 'opsgraph[kubernetes]'`), imported only here.
Nothing is written to the cluster: only `list` calls are made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources.base import Facts, KnownIds, SourceConfig, register_reader
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.kubernetes import K8sObject, facts_from_objects

# kind -> (API group path, plural, client API class, its cluster-wide list method)
RESOURCES: dict[str, tuple[str, str, str, str]] = {
    "Namespace": ("api/v1", "namespaces", "CoreV1Api", "list_namespace"),
    "ConfigMap": ("api/v1", "configmaps", "CoreV1Api", "list_config_map_for_all_namespaces"),
    "Service": ("api/v1", "services", "CoreV1Api", "list_service_for_all_namespaces"),
    "Deployment": ("apis/apps/v1", "deployments", "AppsV1Api", "list_deployment_for_all_namespaces"),
    "StatefulSet": ("apis/apps/v1", "statefulsets", "AppsV1Api", "list_stateful_set_for_all_namespaces"),
    "DaemonSet": ("apis/apps/v1", "daemonsets", "AppsV1Api", "list_daemon_set_for_all_namespaces"),
    "Job": ("apis/batch/v1", "jobs", "BatchV1Api", "list_job_for_all_namespaces"),
    "CronJob": ("apis/batch/v1", "cronjobs", "BatchV1Api", "list_cron_job_for_all_namespaces"),
    "Ingress": ("apis/networking.k8s.io/v1", "ingresses", "NetworkingV1Api", "list_ingress_for_all_namespaces"),
}
PAGE = 500


def _client(kubeconfig: Path, context: str | None) -> Any:
    try:
        from kubernetes import config as kube_config  # lazy: optional extra
    except ImportError as exc:
        raise SourceError(
            "reading a live cluster needs the Kubernetes client: install it with pip install 'opsgraph[kubernetes]'"
        ) from exc
    try:
        return kube_config.new_client_from_config(config_file=str(kubeconfig), context=context)
    except Exception as exc:  # the client raises ConfigException, KeyError, ValueError... for bad files
        raise SourceError(f"cannot load the kubeconfig ({exc.__class__.__name__}: {exc})", file=str(kubeconfig)) from exc


def list_objects(fetch: Callable[[str, str], dict[str, Any]], where: str) -> list[K8sObject]:
    """Every object of every mapped kind; `fetch(kind, continue_token)` returns one decoded list page."""
    objects: list[K8sObject] = []
    for kind, (group, plural, _api, _method) in RESOURCES.items():
        token = ""
        while True:
            page = fetch(kind, token)
            for item in page.get("items") or []:
                item.setdefault("kind", kind)
                meta = item.get("metadata") or {}
                ns = f"namespaces/{meta.get('namespace')}/" if meta.get("namespace") else ""
                objects.append(K8sObject(item, f"{where}/{group}/{ns}{plural}/{meta.get('name')}", None))
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                break
    return objects


@register_reader("kubernetes-cluster")
def read_cluster(config: SourceConfig, schema: GraphSchema, known_ids: KnownIds | None, cache: DocumentCache | None = None) -> Facts:
    """List the cluster named by the kubeconfig at `config.path` (and `config.context`) and map it."""
    api_client = _client(Path(str(config.path)), config.context)
    from kubernetes import client  # lazy: optional extra, present once `_client` succeeded
    where = f"cluster:{config.context or 'current'}"
    apis: dict[str, Any] = {}

    def fetch(kind: str, token: str) -> dict[str, Any]:
        _group, plural, api_name, method = RESOURCES[kind]
        api = apis.setdefault(api_name, getattr(client, api_name)(api_client))
        try:
            response = getattr(api, method)(limit=PAGE, _continue=token or None, _preload_content=False)
            return dict(json.loads(response.data))
        except Exception as exc:  # ApiException, urllib3 errors: one clear message naming the request
            status = getattr(exc, "status", None)
            reason = f"HTTP {status} {getattr(exc, 'reason', '') or ''}".strip() if status else f"{exc.__class__.__name__}: {exc}"
            raise SourceError(f"listing {plural} failed ({reason})", file=where) from exc

    facts = Facts(source=config.name, kind=config.kind)
    facts.files.append(where)
    try:
        return facts_from_objects(list_objects(fetch, where), config, schema, known_ids, facts)
    finally:
        api_client.close()

"""Properties every compiled spec has: secure pods, provenance on every object, each section lowered."""
from __future__ import annotations

import time

import pytest

from backends.kubernetes import lower, lower_files
from backends.kubernetes.files import render_tree
from compiler.checked_spec import check_bytes
from tests.compile_support import COMPILED, EXAMPLE, checked, example_lock

IDS = [i for i, _, _ in COMPILED]
PARAMS = [(p, e) for _, p, e in COMPILED]


def containers(obj: dict) -> list[dict]:
    """Every container an object will run (InferenceService predictors, Argo templates)."""
    spec = obj.get("spec", {})
    found = []
    predictors = [spec.get("predictor")] + [c["predictor"] for c in spec.get("canary", [])]
    found += [p["model"] for p in predictors if p]
    workflow = spec.get("workflowSpec", spec) if obj["kind"] in ("CronWorkflow", "WorkflowTemplate") else {}
    found += [t["container"] for t in workflow.get("templates", []) if "container" in t]
    return found


@pytest.mark.parametrize(("path", "env"), PARAMS, ids=IDS)
def test_containers_are_locked_down(path, env) -> None:
    for obj in lower(checked(path, env)):
        for container in containers(obj):
            security = container["securityContext"]
            assert security["runAsNonRoot"] and not security["allowPrivilegeEscalation"]
            assert security["readOnlyRootFilesystem"] and security["capabilities"] == {"drop": ["ALL"]}
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


@pytest.mark.parametrize(("path", "env"), PARAMS, ids=IDS)
def test_model_servers_have_probes(path, env) -> None:
    for obj in lower(checked(path, env)):
        if obj["kind"] == "InferenceService":
            model = obj["spec"]["predictor"]["model"]
            assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(model)


@pytest.mark.parametrize(("path", "env"), PARAMS, ids=IDS)
def test_every_object_carries_labels_and_provenance(path, env) -> None:
    spec = checked(path, env).spec
    for obj in lower(checked(path, env)):
        labels, annotations = obj["metadata"]["labels"], obj["metadata"]["annotations"]
        assert labels["app.kubernetes.io/part-of"] == spec.metadata.name
        assert labels["app.kubernetes.io/managed-by"] == "mlops"
        assert {"app.kubernetes.io/name", "app.kubernetes.io/component"} <= set(labels)
        assert set(spec.metadata.labels.items()) <= set(labels.items())
        assert annotations["mlops.dev/spec-path"]
        if obj["kind"] == "InferenceService":
            assert annotations["mlops.dev/model-version"]


def test_every_section_of_the_example_produces_objects() -> None:
    kinds = {obj["kind"] for obj in lower(checked(EXAMPLE, "prod"))}
    assert {"Namespace", "ServiceAccount", "NetworkPolicy", "NodePool", "EC2NodeClass", "ConfigMap",
            "WorkflowTemplate", "CronWorkflow", "InferenceService", "PodMonitor", "PrometheusRule"} <= kinds


def test_namespace_first_then_components_in_order() -> None:
    objects = lower(checked(EXAMPLE, "prod"))
    assert objects[0]["kind"] == "Namespace"
    components = [o["metadata"]["labels"]["app.kubernetes.io/component"] for o in objects]
    rank = {"platform": 0, "node-pool": 1, "pipeline": 2, "serving": 3, "monitoring": 4}
    ranks = [rank[c] for c in components if c in rank]
    assert ranks == sorted(ranks)


def test_names_and_gpu_placement() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in lower(checked(EXAMPLE, "prod"))}
    isvc = objects[("InferenceService", "fraud-fraud-api")]
    predictor = isvc["spec"]["predictor"]
    # cluster-wide names and label values carry the environment
    assert predictor["nodeSelector"] == {"mlops.dev/node-pool": "fraud-prod-gpu-serve"}
    assert predictor["tolerations"][0]["key"] == "nvidia.com/gpu"
    embed = objects[("InferenceService", "fraud-merchant-embed")]["spec"]["predictor"]["model"]
    assert embed["resources"]["limits"]["nvidia.com/mig-1g.10gb"] == 1
    template = objects[("WorkflowTemplate", "fraud-train-fraud")]
    train = next(t for t in template["spec"]["templates"] if t["name"] == "train")
    assert train["activeDeadlineSeconds"] == 6 * 3600 and train["retryStrategy"]["limit"] == 2
    cron = objects[("CronWorkflow", "fraud-train-fraud")]["spec"]
    assert cron["schedules"] == ["0 3 * * 0"] and "schedule" not in cron
    assert cron["timezone"] == "Europe/Berlin" and cron["concurrencyPolicy"] == "Forbid"
    pool = objects[("NodePool", "fraud-prod-gpu-train")]["spec"]
    assert pool["limits"] == {"nvidia.com/gpu": "16"}
    assert pool["disruption"]["consolidationPolicy"] == "WhenEmpty"


def test_sharing_configs_select_pools_by_label() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in lower(checked(EXAMPLE, "prod"))}
    plugin = objects[("ConfigMap", "fraud-prod-device-plugin-config")]["data"]["fraud-prod-gpu-serve"]
    assert "failRequestsGreaterThanOne: true" in plugin and "replicas: 4" in plugin
    mig = objects[("ConfigMap", "fraud-prod-mig-parted-config")]["data"]["config.yaml"]
    assert "fraud-prod-gpu-mig:" in mig and "1g.10gb: 4" in mig and "all-disabled:" in mig
    labels = objects[("NodePool", "fraud-prod-gpu-serve")]["spec"]["template"]["metadata"]["labels"]
    assert labels["nvidia.com/device-plugin.config"] == "fraud-prod-gpu-serve"


def test_lock_pins_storage_uri_canary_and_rollbacks() -> None:
    files = lower_files(checked(EXAMPLE, "prod"), example_lock())
    isvc = files["manifests/serving/fraud-api.yaml"][0]
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "s3://acme-models/fraud-xgb/6/model"  # stable
    canary = isvc["spec"]["canary"][0]
    assert canary["trafficPercent"] == 10
    assert canary["predictor"]["model"]["storageUri"] == "s3://acme-models/fraud-xgb/7/model"
    assert sorted(p for p in files if p.startswith("rollback/")) == [
        "rollback/fraud-api/v5.yaml", "rollback/fraud-api/v6.yaml", "rollback/merchant-embed/v1.yaml"]
    rollback = files["rollback/fraud-api/v6.yaml"][0]
    assert rollback["metadata"]["name"] == isvc["metadata"]["name"] and "canary" not in rollback["spec"]


def test_without_lock_a_placeholder_uri_from_registry_name_and_version() -> None:
    objects = lower(checked(EXAMPLE, "prod"))
    uris = {o["metadata"]["name"]: o["spec"]["predictor"]["model"]["storageUri"]
            for o in objects if o["kind"] == "InferenceService"}
    assert uris == {"fraud-fraud-api": "s3://mlops-placeholder/fraud-xgb/aliases/champion",
                    "fraud-merchant-embed": "s3://mlops-placeholder/merchant-embed/versions/2"}


def many_endpoints(n: int) -> bytes:
    lines = ["apiVersion: mlops/v1", "kind: System", "metadata: {name: big, namespace: big}",
             "runtimes: {serve: {image: ghcr.io/acme/s:1.0.0}, train: {image: ghcr.io/acme/t:1.0.0}}",
             "models: {m: {version: 3, format: sklearn, size: 1Gi}}", "pipelines:"]
    lines += [f"  p{i}: {{runtime: train, schedule: '0 1 * * *', steps: {{a: {{command: [x]}}, "
              f"b: {{command: [y], after: [a]}}}}}}" for i in range(n)]
    lines.append("serving:")
    lines += [f"  e{i}: {{model: m, runtime: serve, replicas: {{min: 1, max: 3}}, model_cache: true, "
              f"autoscale: {{metric: rps, target: 5}}, rollout: {{canary_percent: 10, keep_previous: 1}}}}"
              for i in range(n)]
    lines.append("monitoring:")
    lines += [f"  e{i}: {{slo: {{latency_p99: 100ms}}}}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def test_a_thousand_endpoints_compile_in_under_ten_seconds() -> None:
    spec = check_bytes(many_endpoints(1000), "big.yaml")
    start = time.process_time()
    texts = render_tree(lower_files(spec), kustomize="manifests")
    elapsed = time.process_time() - start
    assert len(texts) > 3000
    assert elapsed < 10, f"lowering and rendering took {elapsed:.1f}s"

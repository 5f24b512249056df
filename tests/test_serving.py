"""Serving output that KServe, KEDA and Knative accept and act on: each endpoint setting, each defect fixed.

The admission kit (tests/admission/) already runs on every compiled test spec; the specs here cover
settings those do not (Knative cpu/memory, format custom/onnx/mlflow, a GPU-scaled canary, a model cached
by two endpoints, ...), and the assertions name what each controller reads.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes
from compiler.diagnostics import SpecError
from tests.admission.registry import load

CHECKS, _ = load()
REPO_ROOT = Path(__file__).resolve().parents[1]

HEAD = """\
apiVersion: mlops/v1
kind: System
metadata: {{name: shop, namespace: shop-ml}}
platform: {{serving_mode: {mode}, cloud: aws}}
runtimes: {{serve: {{image: ghcr.io/acme/serve:1.0.0}}}}
models:
  m: {{version: 4, format: {format}, size: 2Gi}}
node_pools:
  gpu: {{accelerator: l4, nodes: {{min: 0, max: 4}}}}
serving:
"""
ENVIRONMENTS = """\
environments:
  dev: {serving: {api: {startup_timeout: 7m}}}
"""


def spec(endpoint: str, mode: str = "standard", model_format: str = "sklearn", more: str = "") -> str:
    return HEAD.format(mode=mode, format=model_format) + f"  api: {endpoint}\n" + more + ENVIRONMENTS


def compile_files(text: str, env: str | None = None) -> dict[str, list[dict]]:
    return lower_files(check_bytes(text.encode(), "mlops.yaml", env))


def every_object(text: str, env: str | None = None) -> list[dict]:
    """Manifests and rollback files: what the admission kit checks."""
    return [o for objs in compile_files(text, env).values() for o in objs]


def objects(text: str, env: str | None = None) -> list[dict]:
    """The manifests `kubectl apply -k manifests/` applies."""
    return [o for path, objs in compile_files(text, env).items() if path.startswith("manifests/") for o in objs]


def one(found: list[dict], kind: str) -> dict:
    matches = [o for o in found if o["kind"] == kind]
    assert len(matches) == 1, [o["metadata"]["name"] for o in matches]
    return matches[0]


def refusals(found: list[dict]) -> list[str]:
    from tests.admission import Objects
    return [message for check in CHECKS for message in check.refusals(Objects(found))]


GPU = "resources: {cpu: 1, memory: 4Gi, gpu: 1, pool: gpu}"
EXTRA_SPECS = {
    "knative-cpu": spec(f"{{model: m, runtime: serve, replicas: {{min: 1, max: 4}}, autoscale: {{metric: cpu, "
                        f"target: 60}}, {GPU}, model_cache: true}}", mode="knative"),
    "knative-memory-canary": spec("{model: m, runtime: serve, replicas: {min: 1, max: 4}, autoscale: {metric: memory, "
                                  "target: 70}, resources: {memory: 128Mi}, rollout: {canary_percent: 25}}",
                                  mode="knative"),
    "knative-rps-from-zero": spec("{model: m, runtime: serve, replicas: {min: 0, max: 4}, autoscale: {metric: rps, "
                                  "target: 30}}", mode="knative"),
    "standard-gpu-canary": spec(f"{{model: m, runtime: serve, replicas: {{min: 4, max: 8}}, autoscale: {{metric: "
                                f"gpu_utilization, target: 70}}, {GPU}, model_cache: true, "
                                f"rollout: {{canary_percent: 25, keep_previous: 2}}}}"),
    "standard-cpu-canary": spec("{model: m, runtime: serve, replicas: {min: 2, max: 8}, autoscale: {metric: cpu, "
                                "target: 60}, rollout: {canary_percent: 50}}"),
    "standard-concurrency-canary": spec("{model: m, runtime: serve, replicas: {min: 3, max: 9}, autoscale: {metric: "
                                        "concurrency, target: 4}, rollout: {canary_percent: 10}}"),
    "no-autoscale": spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}}"),
    "custom-format": spec("{model: m, runtime: serve, replicas: {min: 0, max: 3}, port: 9000, "
                          "autoscale: {metric: concurrency, target: 2}}", model_format="custom"),
    "onnx": spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}}", model_format="onnx"),
    "mlflow-port": spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}, port: 9100}", model_format="mlflow"),
    "triton-port": spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}, port: 9100}", model_format="triton"),
    "sklearn-port": spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}, port: 9000}"),
    "shared-cache": spec(f"{{model: m, runtime: serve, {GPU}, model_cache: true}}",
                         more=f"  api2: {{model: m, runtime: serve, {GPU}, model_cache: true, "
                              "rollout: {keep_previous: 3}}\n"
                              "  cpu-api: {model: m, runtime: serve, model_cache: true}\n"),
}


@pytest.mark.parametrize("name", sorted(EXTRA_SPECS))
@pytest.mark.parametrize("env", [None, "dev"])
def test_no_controller_refuses_these_settings(name: str, env: str | None) -> None:
    found = every_object(EXTRA_SPECS[name], env)
    assert not refusals(found), "\n".join(refusals(found))


# --- the defects of issue 12 and 13 (each of these failed on the output before this change) ---------------

def test_standard_canary_is_named_and_carries_no_scaling() -> None:
    isvc = one(objects(EXTRA_SPECS["standard-gpu-canary"]), "InferenceService")
    canary = isvc["spec"]["canary"][0]["predictor"]
    assert canary["name"] == "canary"
    assert not {"autoScaling", "scaleMetric", "scaleTarget", "maxReplicas", "minReplicas"} & set(canary)
    # Held at its fixed replica count whatever scales the stable predictor (a keda-class canary gets a
    # ScaledObject without triggers, which KEDA refuses).
    assert canary["annotations"] == {"serving.kserve.io/autoscalerClass": "none"}
    assert isvc["metadata"]["annotations"]["serving.kserve.io/disable-localmodel"] == "true"


def test_gpu_utilization_scales_through_kserves_keda_path_on_a_value_target() -> None:
    isvc = one(objects(EXTRA_SPECS["standard-gpu-canary"]), "InferenceService")
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    metric = isvc["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]
    assert metric["target"] == {"type": "Value", "value": "70"}
    assert metric["metric"]["query"].startswith("sum(") and "DCGM_FI_DEV_GPU_UTIL" in metric["metric"]["query"]
    assert metric["metric"]["serverAddress"] == "http://prometheus-operated.monitoring.svc:9090"


def test_knative_cpu_and_memory_use_knatives_hpa_class() -> None:
    for name in ("knative-cpu", "knative-memory-canary"):
        isvc = one(objects(EXTRA_SPECS[name]), "InferenceService")
        assert isvc["metadata"]["annotations"]["autoscaling.knative.dev/class"] == "hpa.autoscaling.knative.dev"
        assert "serving.kserve.io/autoscalerClass" not in isvc["metadata"]["annotations"]
    # Knative's HPA class reads a memory target as MiB per pod: 70 % of 128Mi is 90 MiB.
    memory = one(objects(EXTRA_SPECS["knative-memory-canary"]), "InferenceService")["spec"]["predictor"]
    assert (memory["scaleMetric"], memory["scaleTarget"]) == ("memory", 90)
    kpa = one(objects(EXTRA_SPECS["knative-rps-from-zero"]), "InferenceService")
    assert "autoscaling.knative.dev/class" not in kpa["metadata"]["annotations"]
    assert kpa["spec"]["predictor"]["scaleMetric"] == "rps"


def test_concurrency_and_rps_scale_through_the_http_add_on() -> None:
    found = objects(EXTRA_SPECS["standard-concurrency-canary"])
    isvc, httpso = one(found, "InferenceService"), one(found, "HTTPScaledObject")
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "external"
    assert isvc["metadata"]["labels"]["networking.kserve.io/visibility"] == "cluster-local"
    assert "autoScaling" not in isvc["spec"]["predictor"]
    assert httpso["spec"]["scaleTargetRef"] == {"name": "shop-api-predictor", "apiVersion": "apps/v1",
                                                "kind": "Deployment", "service": "shop-api-predictor", "port": 80}
    assert httpso["spec"]["hosts"] == ["shop-api-predictor.shop-ml.svc", "shop-api-predictor.shop-ml.svc.cluster.local"]
    assert httpso["spec"]["scalingMetric"] == {"concurrency": {"targetValue": 4}}
    # KServe gives the canary ceil(3 x 10%) = 1 replica and takes it off the stable minimum.
    assert httpso["spec"]["replicas"] == {"min": 2, "max": 9}


def test_no_scaler_queries_metrics_kserves_model_server_does_not_export() -> None:
    """KServe's Python server exports request_*_seconds histograms only (shared/crds/metrics/kserve-metrics.py)."""
    for text in (*EXTRA_SPECS.values(), (REPO_ROOT / "mlops.yaml.example").read_text()):
        for obj in objects(text):
            if obj["kind"] in ("InferenceService", "HTTPScaledObject"):
                assert "http_requests_total" not in str(obj) and "http_requests_in_flight" not in str(obj)


def test_scale_to_zero_in_standard_mode_has_a_signal_that_exists_at_zero() -> None:
    found = objects((REPO_ROOT / "tests" / "cases" / "scale-to-zero.yaml").read_text())
    isvc, httpso = one(found, "InferenceService"), one(found, "HTTPScaledObject")
    assert httpso["spec"]["replicas"]["min"] == 0 and httpso["spec"]["scalingMetric"]["requestRate"]["targetValue"] == 20
    assert isvc["spec"]["predictor"]["minReplicas"] == 0
    assert not any(key.endswith("min-replicas-raised") for key in isvc["metadata"]["annotations"])
    # The first request after idle waits as long as the model may take to start.
    assert httpso["spec"]["timeouts"] == {"conditionWait": "45s"}


def test_model_caches_carry_the_environment_and_follow_the_pods() -> None:
    found = objects(EXTRA_SPECS["knative-cpu"], "dev")
    cache, group = one(found, "LocalModelCache"), one(found, "LocalModelNodeGroup")
    assert cache["metadata"]["name"] == "shop-dev-m-4" and group["metadata"]["name"] == "shop-dev-gpu-model-cache"
    assert cache["spec"]["nodeGroups"] == ["shop-dev-gpu-model-cache"]
    isvc = one(found, "InferenceService")
    term = group["spec"]["persistentVolumeSpec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
    assert {e["key"]: e["values"] for e in term["matchExpressions"]} == {
        key: [value] for key, value in isvc["spec"]["predictor"]["nodeSelector"].items()}
    assert isvc["metadata"]["annotations"]["serving.kserve.io/nodegroup"] == "shop-dev-gpu-model-cache"


def test_a_model_cached_by_several_endpoints_is_one_cache() -> None:
    found = objects(EXTRA_SPECS["shared-cache"])
    cache = one(found, "LocalModelCache")   # KServe refuses a second cache of the same URI
    assert cache["spec"]["nodeGroups"] == ["shop-default-model-cache", "shop-gpu-model-cache"]
    groups = {g["metadata"]["name"]: g["spec"]["storageLimit"] for g in found if g["kind"] == "LocalModelNodeGroup"}
    assert groups == {"shop-default-model-cache": "8Gi", "shop-gpu-model-cache": "8Gi"}  # 2Gi x (1 + keep_previous 3)


def test_the_model_container_has_no_name_and_the_server_listens_on_the_endpoint_port() -> None:
    cases = {"sklearn-port": ({"args": ["--http_port=9000"]}, 9000), "triton-port": ({"args": ["--http-port=9100"]}, 9100),
             "mlflow-port": ({"env": [{"name": "MLSERVER_HTTP_PORT", "value": "9100"}]}, 9100)}
    for name, (expected, port) in cases.items():
        model = one(objects(EXTRA_SPECS[name]), "InferenceService")["spec"]["predictor"]["model"]
        assert "name" not in model
        assert {k: model[k] for k in expected} == expected
        assert model["ports"][0]["containerPort"] == model["readinessProbe"]["httpGet"]["port"] == port


def test_formats_whose_runtime_speaks_v2_only_ask_for_v2() -> None:
    for name in ("onnx", "mlflow-port"):
        model = one(objects(EXTRA_SPECS[name]), "InferenceService")["spec"]["predictor"]["model"]
        assert model["protocolVersion"] == "v2"


def test_format_custom_is_a_custom_predictor() -> None:
    predictor = one(objects(EXTRA_SPECS["custom-format"]), "InferenceService")["spec"]["predictor"]
    assert "model" not in predictor
    (container,) = predictor["containers"]
    assert container["name"] == "kserve-container" and container["ports"][0]["containerPort"] == 9000
    assert {"name": "STORAGE_URI", "value": "s3://mlops-placeholder/m/versions/4"} in container["env"]


def test_rollback_files_carry_their_scaler() -> None:
    files = compile_files(EXTRA_SPECS["standard-concurrency-canary"])
    rollback = files["rollback/api/v3.yaml"]
    assert [o["kind"] for o in rollback] == ["InferenceService", "HTTPScaledObject"]
    assert "canary" not in rollback[0]["spec"]
    assert rollback[1]["spec"]["replicas"] == {"min": 3, "max": 9}   # no canary: the whole minimum


# --- validation: what no controller can carry out is refused at its position --------------------------------

REFUSED = {
    "cpu-to-zero": (spec("{model: m, runtime: serve, replicas: {min: 0, max: 3}, autoscale: {metric: cpu, target: 60}}"),
                    "replicas.min 0 cannot work with autoscale.metric cpu"),
    "no-metric-to-zero": (spec("{model: m, runtime: serve, replicas: {min: 0, max: 3}}"),
                          "no autoscale metric (KServe then scales on cpu)"),
    "knative-gpu": (spec("{model: m, runtime: serve, autoscale: {metric: gpu_utilization, target: 60}}", mode="knative"),
                    "gpu_utilization needs KEDA"),
    "target-over-100": (spec("{model: m, runtime: serve, autoscale: {metric: memory, target: 150}}"),
                        "above 100 it is never reached"),
    "canary-at-zero": (spec("{model: m, runtime: serve, replicas: {min: 0, max: 3}, autoscale: {metric: rps, "
                            "target: 5}, rollout: {canary_percent: 10}}"), "with replicas.min 0 the canary never runs"),
    "knative-memory-over-100-mib": (spec("{model: m, runtime: serve, autoscale: {metric: memory, target: 70}, "
                                         "resources: {memory: 4Gi}}", mode="knative"), "2868 MiB"),
    "infinite-target": (spec("{model: m, runtime: serve, autoscale: {metric: rps, target: .inf}}"),
                        "expected a finite number, got .inf"),
    "nan-target": (spec("{model: m, runtime: serve, autoscale: {metric: concurrency, target: .nan}}"),
                   "expected a finite number, got .nan"),
    "huge-target": (spec("{model: m, runtime: serve, autoscale: {metric: rps, target: 1e12}}"),
                    "integer targets hold"),
    "startup-past-go-duration": (spec("{model: m, runtime: serve, startup_timeout: 200000d, "
                                      "autoscale: {metric: rps, target: 5}}"), "longest duration Go's time.Duration"),
    "knative-reserved-port": (spec("{model: m, runtime: serve, port: 8012}", mode="knative"), "queue-proxy"),
    "torchserve-port": (spec("{model: m, runtime: serve, port: 9000}", model_format="pytorch"),
                        "config.properties"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_validation_refuses(name: str) -> None:
    text, message = REFUSED[name]
    with pytest.raises(SpecError) as error:
        check_bytes(text.encode(), "mlops.yaml")
    assert message in str(error.value)
    assert re.search(r"mlops\.yaml:11:\d+: error: serving\.api", str(error.value)), str(error.value)


def test_validation_refuses_what_an_overlay_asks_for_at_the_overlay() -> None:
    text = spec("{model: m, runtime: serve, replicas: {min: 1, max: 3}}").replace(
        "dev: {serving: {api: {startup_timeout: 7m}}}", "dev: {serving: {api: {replicas: {min: 0}}}}")
    check_bytes(text.encode(), "mlops.yaml")
    with pytest.raises(SpecError) as error:
        check_bytes(text.encode(), "mlops.yaml", "dev")
    assert "mlops.yaml:13:41: error: serving.api: replicas.min 0" in str(error.value)


def test_the_pods_port_name_per_mode() -> None:
    from backends.kubernetes import context_for
    from backends.kubernetes.serving import pod_port_name

    for mode, expected in (("standard", "http1"), ("knative", "user-port")):
        ctx = context_for(check_bytes(spec("{model: m, runtime: serve}", mode=mode).encode(), "mlops.yaml"))
        assert pod_port_name(ctx) == expected


def test_the_default_memory_request_is_the_one_pods_get() -> None:
    from backends.kubernetes.pods import DEFAULT_MEMORY
    from compiler.autoscaling import DEFAULT_MEMORY_REQUEST
    from compiler.spec.units import Quantity

    assert Quantity.parse(DEFAULT_MEMORY).bytes == DEFAULT_MEMORY_REQUEST


def test_docs_say_what_the_cluster_needs() -> None:
    from backends.kubernetes.serving import KNATIVE_FEATURES

    text = (REPO_ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    for flag in KNATIVE_FEATURES.values():
        assert flag in text
    for needed in ("autoscalerClass: external", "keda-add-ons-http-interceptor-proxy", "HTTPScaledObject",
                   "localModel", "hpa.autoscaling.knative.dev", "DCGM_FI_DEV_GPU_UTIL"):
        assert needed in text, needed
    assert "docs/serving.md" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")

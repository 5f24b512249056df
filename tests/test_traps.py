"""The production traps (docs/traps.md), checked on the compiled objects of the production example.

Each test reads what the generated system does about one trap, object by object, as a reader of
docs/traps.md can check it in `mlops compile examples/production/mlops.yaml --env prod`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from backends.kubernetes import lower_files
from compiler.checked_spec import check_file
from compiler.lock import read_lock

REPO_ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = REPO_ROOT / "examples" / "production" / "mlops.yaml"


@pytest.fixture(scope="module")
def files() -> dict[str, list[dict]]:
    checked = check_file(str(PRODUCTION), "prod")
    return lower_files(checked, read_lock(PRODUCTION))


def _objects(files, kind: str, path_prefix: str = "manifests/") -> list[dict]:
    return [o for path, objs in files.items() if path.startswith(path_prefix) for o in objs if o["kind"] == kind]


def _rules(obj: dict) -> dict[str, dict]:
    return {r["alert"]: r for g in obj["spec"]["groups"] for r in g["rules"]}


# --- 1. GPU OOM kills the pod with no useful logs --------------------------------------------------

def _step_container(template: dict, step: str) -> dict:
    return next(t for t in template["spec"]["templates"] if t["name"] == step)["container"]


def test_gpu_containers_keep_their_last_log_lines(files):
    templates = {o["metadata"]["name"]: o for o in _objects(files, "WorkflowTemplate")}
    assert _step_container(templates["fraud-train-fraud"], "train")["terminationMessagePolicy"] == \
        "FallbackToLogsOnError"
    assert _step_container(templates["fraud-embed-merchants"], "finetune")["terminationMessagePolicy"] == \
        "FallbackToLogsOnError"
    assert "terminationMessagePolicy" not in _step_container(templates["fraud-train-fraud"], "featurize")  # CPU
    for isvc in _objects(files, "InferenceService"):   # both endpoints serve on GPUs
        predictors = [isvc["spec"]["predictor"]] + [c["predictor"] for c in isvc["spec"].get("canary", [])]
        for predictor in predictors:
            container = predictor.get("model") or predictor["containers"][0]
            assert container["terminationMessagePolicy"] == "FallbackToLogsOnError", isvc["metadata"]["name"]


def test_serving_containers_alert_on_oom_kills_and_restarts(files):
    rule = next(o for o in _objects(files, "PrometheusRule") if o["metadata"]["name"] == "fraud-fraud-api")
    rules = _rules(rule)
    oom = rules["ContainerOOMKilled"]["expr"]
    assert 'kube_pod_container_status_last_terminated_reason{namespace="fraud-ml"' in oom
    assert 'reason="OOMKilled"' in oom and 'container="kserve-container"' in oom
    assert "kube_pod_container_status_restarts_total" in rules["ContainerRestarting"]["expr"]
    assert 'pod=~"(fraud-fraud-api-predictor|fraud-fraud-api-canary-predictor)-.*"' in oom   # stable and canary


def test_training_gpu_steps_have_oom_memory_and_xid_alerts(files):
    rule = next(o for o in _objects(files, "PrometheusRule") if o["metadata"]["name"] == "fraud-train-fraud-gpu-alerts")
    rules = _rules(rule)
    assert set(rules) == {"ContainerOOMKilled", "GpuMemoryNearFull", "GpuXidProgramError", "GpuXidHardwareError",
                          "GpuXidErrors"}
    assert 'kube_pod_container_status_terminated_reason{namespace="fraud-ml", ' \
           'pod=~"fraud-train-fraud-[a-z0-9]+-train-[0-9]+", container="main", reason="OOMKilled"}' \
           in rules["ContainerOOMKilled"]["expr"]
    assert rules["GpuMemoryNearFull"]["expr"].startswith("max by (pod) ((max_over_time(DCGM_FI_DEV_FB_USED{")
    assert {r["labels"]["mlops_step"] for r in rules.values()} == {"train"}
    assert "featurize" not in str(rule)   # CPU steps: no GPU alerts


def test_gpu_memory_alerts_read_the_windows_maximum(files):
    for rule in _objects(files, "PrometheusRule"):
        memory = _rules(rule).get("GpuMemoryNearFull")
        if memory is not None:
            assert "max_over_time(DCGM_FI_DEV_FB_USED" in memory["expr"] and "avg_over_time" not in memory["expr"]
            assert "for" not in memory   # the maximum already spans the window; a `for` would hide a spike


def test_xid_alerts_tell_program_faults_from_hardware_faults(files):
    rules = _rules(next(o for o in _objects(files, "PrometheusRule") if o["metadata"]["name"] == "fraud-fraud-api"))
    assert rules["GpuXidProgramError"]["labels"]["xid_class"] == "program"
    assert rules["GpuXidHardwareError"]["labels"]["xid_class"] == "hardware"
    assert all(f"== {code}" in rules["GpuXidProgramError"]["expr"] for code in (13, 31, 43))
    assert all(f"== {code}" in rules["GpuXidHardwareError"]["expr"] for code in (48, 63, 64, 74, 79, 92, 94, 95))
    assert "== 79" not in rules["GpuXidProgramError"]["expr"]
    assert "hardware" in rules["GpuXidHardwareError"]["annotations"]["summary"]


# --- 2. Preprocessing in the notebook differs from the service --------------------------------------

def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_the_model_server_is_told_the_pinned_preprocessing_package(files):
    isvc = next(o for o in _objects(files, "InferenceService") if o["metadata"]["name"] == "fraud-fraud-api")
    canary = isvc["spec"]["canary"][0]["predictor"]["model"]     # the current version, beside the stable one
    assert _env(canary)["MLOPS_PREPROCESSING_PACKAGE"] == "acme-fraud-features==2.3.1"
    assert _env(canary)["MLOPS_PREPROCESSING_ENTRYPOINT"] == "acme_fraud_features:transform"
    featurize = next(t for o in _objects(files, "WorkflowTemplate") if o["metadata"]["name"] == "fraud-train-fraud"
                     for t in o["spec"]["templates"] if t["name"] == "featurize")["container"]
    assert _env(featurize)["MLOPS_PREPROCESSING_PACKAGE"] == _env(canary)["MLOPS_PREPROCESSING_PACKAGE"]


# --- 4. Rollback needs old versions deployable ------------------------------------------------------

def test_rollback_manifests_serve_a_version_with_what_it_was_served_with(files):
    lock = read_lock(PRODUCTION).entry("fraud-xgb")
    for recorded in lock.previous:
        (isvc,) = [o for o in files[f"rollback/fraud-api/v{recorded.version}.yaml"] if o["kind"] == "InferenceService"]
        model = isvc["spec"]["predictor"]["model"]
        assert model["image"] == recorded.image_for("fraud-api")
        assert model["image"] != "ghcr.io/acme/fraud-serve:1.4.2"       # not today's image
        assert _env(model)["MLOPS_PREPROCESSING_PACKAGE"] == \
            f"acme-fraud-features=={recorded.lineage_value('preprocessing_version')}"
        annotations = isvc["metadata"]["annotations"]
        assert annotations["mlops.dev/lineage-preprocessing-version"] == recorded.lineage_value("preprocessing_version")
        assert annotations["mlops.dev/served-with"] == f"the image recorded in the lock for version {recorded.version}"


def test_the_stable_predictor_of_a_canary_keeps_its_own_image(files):
    isvc = next(o for o in _objects(files, "InferenceService") if o["metadata"]["name"] == "fraud-fraud-api")
    stable, canary = isvc["spec"]["predictor"]["model"], isvc["spec"]["canary"][0]["predictor"]["model"]
    assert stable["image"] == "ghcr.io/acme/fraud-serve:1.4.1" and canary["image"] == "ghcr.io/acme/fraud-serve:1.4.2"
    assert _env(stable)["MLOPS_PREPROCESSING_PACKAGE"] == "acme-fraud-features==2.3.0"


def test_a_version_without_a_record_says_so_on_its_rollback_manifest():
    checked = check_file(str(PRODUCTION), "prod")
    lock = read_lock(PRODUCTION)
    entry = lock.models["fraud-xgb"]
    lock.models["fraud-xgb"] = entry._replace(previous=tuple(v._replace(images=(), lineage=()) for v in entry.previous))
    (isvc,) = [o for o in lower_files(checked, lock)["rollback/fraud-api/v1.yaml"] if o["kind"] == "InferenceService"]
    assert isvc["spec"]["predictor"]["model"]["image"] == "ghcr.io/acme/fraud-serve:1.4.2"
    assert "lock records no image for version 1" in isvc["metadata"]["annotations"]["mlops.dev/served-with"]


# --- 3. Feature values at training time differ from serving time -----------------------------------

def test_training_and_serving_read_one_feature_service_with_the_same_views_and_ttls(files):
    import json

    (config,) = [o for o in _objects(files, "ConfigMap") if o["metadata"]["name"] == "fraud-features"]
    document = json.loads(config["data"]["features.json"])
    assert document["views"]["transactions-7d"] == {"entities": ["card_id"], "timestamp_field": "event_ts",
                                                    "ttl_seconds": 7 * 86400}
    assert document["services"]["fraud-xgb"] == {
        "views": ["transactions-7d"], "trained_by": [{"step": "train-fraud.featurize", "point_in_time": True}]}
    template = next(o for o in _objects(files, "WorkflowTemplate") if o["metadata"]["name"] == "fraud-train-fraud")
    featurize = next(t for t in template["spec"]["templates"] if t["name"] == "featurize")["container"]
    isvc = next(o for o in _objects(files, "InferenceService") if o["metadata"]["name"] == "fraud-fraud-api")
    server = isvc["spec"]["canary"][0]["predictor"]["model"]
    assert _env(featurize)["MLOPS_FEATURE_SERVICE"] == _env(server)["MLOPS_FEATURE_SERVICE"] == "fraud-xgb"
    assert _env(featurize)["MLOPS_FEATURES_RETRIEVAL"] == "point-in-time"   # a property of the generated job
    assert _env(server)["MLOPS_FEATURES_RETRIEVAL"] == "online"
    for container, volumes in ((featurize, template["spec"]["volumes"]),
                               (server, isvc["spec"]["canary"][0]["predictor"]["volumes"])):
        mount = next(m for m in container["volumeMounts"] if m["name"] == "mlops-features")
        assert mount == {"name": "mlops-features", "mountPath": "/etc/mlops/features", "readOnly": True}
        assert {"name": "mlops-features", "configMap": {"name": "fraud-features"}} in volumes
        assert _env(container)["MLOPS_FEATURES_CONFIG"] == "/etc/mlops/features/features.json"

"""Availability and scheduling: disruption budgets, topology spread, priority classes, tolerations, node affinity.

Each test compiles a small spec and reads the objects; the admission kit (tests/admission/scheduling.py)
is run on them, and the Pulumi programs are run under mocks on a spec that uses every field.
"""
from __future__ import annotations

import pytest

from backends.kubernetes import lower_files
from backends.pulumi.resources import plan
from compiler.checked_spec import check_bytes
from tests.admission import Objects
from tests.admission.predictor_pods import label_selector_matches, predictor_pods
from tests.admission.registry import load

CHECKS, _ = load()

HEAD = """\
apiVersion: mlops/v1
kind: System
metadata: {{name: shop, namespace: shop-ml}}
platform: {{serving_mode: {mode}, cloud: aws, kubernetes: "{kubernetes}"}}
runtimes:
  serve: {{image: ghcr.io/acme/serve:1.0.0}}
  train: {{image: ghcr.io/acme/train:1.0.0}}
  monitor: {{image: ghcr.io/acme/monitor:1.0.0}}
models:
  m: {{version: 4, format: sklearn, size: 2Gi}}
node_pools:
  gpu: {{accelerator: l4, nodes: {{min: 0, max: 4}}}}
"""


def compile_objects(body: str, *, mode: str = "standard", kubernetes: str = "1.31", env: str | None = None,
                    head: str = HEAD) -> list[dict]:
    text = head.format(mode=mode, kubernetes=kubernetes) + body
    files = lower_files(check_bytes(text.encode(), "mlops.yaml", env))
    return [o for path, objs in files.items() if path.startswith("manifests/") for o in objs]


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def refusals(objects: list[dict]) -> list[str]:
    return [message for check in CHECKS for message in check.refusals(Objects(objects))]


def endpoint(fields: str) -> str:
    return f"serving:\n  api: {{model: m, runtime: serve, {fields}}}\n"


# --- disruption budgets and spread ---------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["standard", "knative"])
def test_a_replicated_endpoint_gets_a_budget_over_every_predictor_pod(mode: str) -> None:
    found = compile_objects(endpoint("replicas: {min: 4, max: 8}, rollout: {canary_percent: 25}"), mode=mode)
    pdb, = of_kind(found, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    isvc, = of_kind(found, "InferenceService")
    pods = predictor_pods(isvc)
    assert len(pods) == (2 if mode == "standard" else 1)   # Standard: the stable and the canary Deployment
    assert all(label_selector_matches(pdb["spec"]["selector"], pod.labels) for pod in pods)
    assert not refusals(found), refusals(found)


def test_topology_spread_is_by_zone_and_node_per_replica_set() -> None:
    found = compile_objects(endpoint("replicas: {min: 2, max: 8}"))
    isvc, = of_kind(found, "InferenceService")
    spread = isvc["spec"]["predictor"]["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["whenUnsatisfiable"]) for c in spread] == [
        ("topology.kubernetes.io/zone", "ScheduleAnyway"), ("kubernetes.io/hostname", "ScheduleAnyway")]
    pod, = predictor_pods(isvc)
    assert all(label_selector_matches(c["labelSelector"], pod.labels) for c in spread)
    assert all(c["matchLabelKeys"] == ["pod-template-hash"] for c in spread)


def test_spread_and_budget_follow_the_availability_settings() -> None:
    found = compile_objects(endpoint("replicas: {min: 3, max: 6}, availability: {zone_spread: required, "
                                     "host_spread: none, max_unavailable: 34%}"))
    isvc, = of_kind(found, "InferenceService")
    spread, = isvc["spec"]["predictor"]["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"]) == ("topology.kubernetes.io/zone", "DoNotSchedule")
    assert of_kind(found, "PodDisruptionBudget")[0]["spec"]["maxUnavailable"] == "34%"
    found = compile_objects(endpoint("replicas: {min: 3, max: 6}, availability: {disruption_budget: false, "
                                     "zone_spread: none, host_spread: none}"))
    assert not of_kind(found, "PodDisruptionBudget")
    assert "topologySpreadConstraints" not in of_kind(found, "InferenceService")[0]["spec"]["predictor"]


def test_a_single_replica_has_nothing_to_budget_or_spread() -> None:
    found = compile_objects(endpoint("replicas: {min: 1, max: 1}"))
    assert not of_kind(found, "PodDisruptionBudget")
    assert "topologySpreadConstraints" not in of_kind(found, "InferenceService")[0]["spec"]["predictor"]


def test_older_clusters_get_no_fields_they_do_not_know() -> None:
    found = compile_objects(endpoint("replicas: {min: 2, max: 4}"), kubernetes="1.26")
    assert "unhealthyPodEvictionPolicy" not in of_kind(found, "PodDisruptionBudget")[0]["spec"]
    spread = of_kind(found, "InferenceService")[0]["spec"]["predictor"]["topologySpreadConstraints"]
    assert all("matchLabelKeys" not in c for c in spread)


def test_the_kit_refuses_a_budget_that_would_block_every_eviction() -> None:
    """The generated budget passes; the same object with minAvailable at the replica floor does not."""
    found = compile_objects(endpoint("replicas: {min: 2, max: 4}"))
    assert not refusals(found)
    pdb, = of_kind(found, "PodDisruptionBudget")
    pdb["spec"] = {"minAvailable": 2, "selector": pdb["spec"]["selector"]}
    assert any("allows no eviction" in r for r in refusals(found))


# --- priority classes ------------------------------------------------------------------------------------

SYSTEM = endpoint("replicas: {min: 2, max: 4}, rollout: {canary_percent: 10}") + """\
pipelines:
  train:
    runtime: train
    schedule: "0 3 * * 0"
    steps:
      fit: {command: [python, fit.py], resources: {cpu: 1, memory: 2Gi}}
monitoring:
  api:
    drift:
      runtime: monitor
      features: [amount]
      method: psi
      threshold: 0.2
      schedule: "0 * * * *"
      reference: window
      source: {path: s3://logs/api, format: parquet, timestamp_column: ts, window: 1h}
"""


def _pod_classes(obj: dict) -> list[str]:
    spec = obj["spec"]
    if obj["kind"] == "InferenceService":
        return [spec["predictor"]["priorityClassName"]] + [c["predictor"]["priorityClassName"]
                                                            for c in spec.get("canary") or []]
    workflow = spec.get("workflowSpec", spec)
    return [workflow["podPriorityClassName"]] if "podPriorityClassName" in workflow else []


@pytest.mark.parametrize("env", [None, "prod"])
def test_every_pod_names_its_role_class_and_serving_outranks_training_outranks_jobs(env) -> None:
    head = HEAD + "environments:\n  prod: {{}}\n"
    found = compile_objects(SYSTEM, env=env, head=head)
    classes = {o["metadata"]["name"]: o for o in of_kind(found, "PriorityClass")}
    prefix = f"shop-{env}-" if env else "shop-"
    assert set(classes) == {f"{prefix}{role}-priority" for role in ("serving", "training", "monitoring")}
    value = {role: classes[f"{prefix}{role}-priority"]["value"] for role in ("serving", "training", "monitoring")}
    assert value["serving"] > value["training"] > value["monitoring"] > 0
    assert all(c["value"] < 1_000_000_000 and c["globalDefault"] is False for c in classes.values())
    assert classes[f"{prefix}serving-priority"]["preemptionPolicy"] == "PreemptLowerPriority"
    workloads = [o for o in found if o["kind"] in ("InferenceService", "WorkflowTemplate", "CronWorkflow")]
    by_kind = {}
    for obj in workloads:
        names = _pod_classes(obj)
        by_kind.setdefault(obj["kind"], set()).update(names)
    assert by_kind["InferenceService"] == {f"{prefix}serving-priority"}
    assert by_kind["WorkflowTemplate"] == {f"{prefix}training-priority"}
    assert f"{prefix}monitoring-priority" in by_kind["CronWorkflow"]   # the monitor jobs
    assert not refusals(found), refusals(found)


def test_pulumi_declares_the_classes_before_the_pods_that_name_them() -> None:
    declarations = {d.logical_name: d for d in plan(compile_objects(SYSTEM))}
    isvc = declarations["inferenceservice/shop-ml/shop-api"]
    template = declarations["workflowtemplate/shop-ml/shop-train"]
    assert "priorityclass/shop-serving-priority" in isvc.depends_on
    assert "priorityclass/shop-training-priority" in template.depends_on
    assert declarations["poddisruptionbudget/shop-ml/shop-api-predictor"].class_path == \
        "k8s.policy.v1.PodDisruptionBudget"
    assert declarations["priorityclass/shop-serving-priority"].class_path == "k8s.scheduling.v1.PriorityClass"


# --- tolerations and node affinity -----------------------------------------------------------------------

SCHEDULING = """\
scheduling:
  tolerations:
    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    - {key: dedicated, operator: Equal, value: ml, effect: NoExecute, seconds: 300}
  node_affinity:
    required: [{key: topology.kubernetes.io/zone, operator: In, values: [eu-west-1a, eu-west-1b]}]
    preferred: [{weight: 20, match: [{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]}]
"""


def _indented(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def test_tolerations_and_affinity_reach_the_predictor_after_the_pools_own() -> None:
    body = ("serving:\n  api:\n    model: m\n    runtime: serve\n    resources: {gpu: 1, pool: gpu}\n"
            + _indented(SCHEDULING, 4))
    found = compile_objects(body)
    predictor = of_kind(found, "InferenceService")[0]["spec"]["predictor"]
    assert predictor["tolerations"] == [   # the GPU pool's toleration once, then the user's
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoExecute", "tolerationSeconds": 300}]
    affinity = predictor["affinity"]["nodeAffinity"]
    assert affinity["requiredDuringSchedulingIgnoredDuringExecution"] == {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a", "eu-west-1b"]}]}]}
    assert affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 20
    assert predictor["nodeSelector"] == {"mlops.dev/node-pool": "shop-gpu"}
    assert not refusals(found), refusals(found)


def test_a_step_gets_its_tolerations_and_affinity() -> None:
    body = ("pipelines:\n  train:\n    runtime: train\n    steps:\n      fit:\n        command: [fit]\n"
            + _indented(SCHEDULING, 8))
    found = compile_objects(body)
    template = of_kind(found, "WorkflowTemplate")[0]
    fit = next(t for t in template["spec"]["templates"] if t["name"] == "fit")
    assert [t["key"] for t in fit["tolerations"]] == ["nvidia.com/gpu", "dedicated"]
    assert "nodeAffinity" in fit["affinity"]
    assert not refusals(found), refusals(found)


def test_knative_is_told_to_accept_the_new_pod_fields() -> None:
    found = compile_objects(endpoint("replicas: {min: 1, max: 4}, " + "scheduling: {tolerations: [{operator: Exists}],"
                                     " node_affinity: {required: [{key: zone, operator: Exists}]}}"), mode="knative")
    assert not refusals(found), refusals(found)   # knative-pod-features: each field's flag is documented


def test_the_docs_state_the_classes_the_code_creates() -> None:
    from backends.kubernetes.priority import TIERS
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "docs" / "availability.md").read_text(encoding="utf-8")
    for role, tier in TIERS.items():
        assert f"| `<system>[-<env>]-{role}-priority` | {tier.value} | {tier.preemption} |" in text, role

"""The schema validator must both accept real manifests and reject broken ones."""

from __future__ import annotations

import copy

import pytest

from tests.k8s_schemas import (
    SchemaValidator,
    cel_program,
    cel_rules,
    crd_validator,
    crd_versions,
    get_validator,
    uses_old_self,
)
from tests.upstream import upstream_dir

KUBERNETES_VERSION = "1.31"


@pytest.fixture(scope="session")
def validator() -> SchemaValidator:
    return get_validator(KUBERNETES_VERSION)


def inference_service() -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "fraud", "namespace": "ml", "labels": {"app": "fraud"}},
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 3,
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "storageUri": "s3://models/fraud/v3",
                    "resources": {
                        "requests": {"cpu": "500m", "memory": "1Gi"},
                        "limits": {"cpu": 1, "memory": "2Gi", "nvidia.com/gpu": 1},
                    },
                },
            }
        },
    }


def cron_workflow() -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "retrain-fraud", "namespace": "ml"},
        "spec": {
            "schedules": ["0 3 * * *"],
            "concurrencyPolicy": "Forbid",
            "workflowSpec": {"workflowTemplateRef": {"name": "retrain-fraud"}},
        },
    }


def node_pool() -> dict:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "gpu"},
        "spec": {
            "template": {
                "metadata": {"labels": {"mlops/pool": "gpu"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"},
                    "requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5"]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                    ],
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                },
            },
            "limits": {"nvidia.com/gpu": 8},
            "disruption": {
                "consolidationPolicy": "WhenEmpty",
                "consolidateAfter": "5m",
                "budgets": [{"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h"}],
            },
        },
    }


def ec2_node_class() -> dict:
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "gpu"},
        "spec": {
            "role": "KarpenterNodeRole-ml",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "ml"}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "ml"}}],
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "rootVolume": True, "ebs": {"volumeSize": "200Gi"}},
            ],
        },
    }


def service_monitor() -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "fraud", "namespace": "ml"},
        "spec": {
            "selector": {"matchLabels": {"app": "fraud"}},
            "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"}],
        },
    }


def prometheus_rule() -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "fraud", "namespace": "ml"},
        "spec": {
            "groups": [
                {
                    "name": "fraud.slo",
                    "rules": [
                        {
                            "alert": "FraudLatencyHigh",
                            "expr": "histogram_quantile(0.99, rate(latency_bucket[5m])) > 0.2",
                            "for": "10m",
                            "labels": {"severity": "page"},
                        }
                    ],
                }
            ]
        },
    }


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "feature-api", "namespace": "ml"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "feature-api"}},
            "template": {
                "metadata": {"labels": {"app": "feature-api"}},
                "spec": {
                    "containers": [
                        {"name": "api", "image": "acme/feature-api:1.4", "ports": [{"containerPort": 8080}]}
                    ]
                },
            },
        },
    }


def config_map() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "fraud-config", "namespace": "ml"},
        "data": {"threshold": "0.7"},
    }


VALID = [inference_service, cron_workflow, node_pool, ec2_node_class, service_monitor, prometheus_rule]
VALID += [deployment, config_map]


@pytest.mark.parametrize("make", VALID)
def test_valid_objects_pass(validator: SchemaValidator, make) -> None:
    assert validator.validate(make()) == []


def edited(make, path: str, **fields) -> dict:
    """make() with `fields` set (None: removed) in the mapping at a dotted path such as "spec.a.0"."""
    obj = make()
    target = obj
    for part in filter(None, path.split(".")):
        target = target[int(part)] if part.isdigit() else target[part]
    for key, value in fields.items():
        if value is None:
            del target[key]
        else:
            target[key] = value
    return obj


TWO_TEMPLATE_TYPES = {"name": "main", "container": {"image": "python:3"}, "script": {"image": "python:3"}}

INVALID = {
    "misspelt field is not pruned silently": (
        edited(inference_service, "spec.predictor", minReplica=1),
        "InferenceService/fraud: spec.predictor: "
        "Additional properties are not allowed ('minReplica' was unexpected)",
    ),
    "field removed in Argo v4": (
        edited(cron_workflow, "spec", schedule="0 3 * * *"),
        "CronWorkflow/retrain-fraud: spec: Additional properties are not allowed ('schedule' was unexpected)",
    ),
    "Argo CEL rule": (
        edited(cron_workflow, "spec.workflowSpec", templates=[TWO_TEMPLATE_TYPES]),
        "CronWorkflow/retrain-fraud: spec.workflowSpec.templates: "
        "template must have at most one template type",
    ),
    "NodePool CEL rule on a list": (
        edited(node_pool, "spec.disruption.budgets.0", duration=None),
        "NodePool/gpu: spec.disruption.budgets: 'schedule' must be set with 'duration'",
    ),
    "NodePool CEL rule with find() on a map's keys": (
        edited(node_pool, "spec.template.metadata.labels", **{"karpenter.k8s.aws/gpu": "x"}),
        'NodePool/gpu: spec.template.metadata.labels: label domain "karpenter.k8s.aws" is restricted',
    ),
    "NodePool enum": (
        edited(node_pool, "spec.template.spec.requirements.0", operator="in"),
        "NodePool/gpu: spec.template.spec.requirements[0].operator: 'in' is not one of",
    ),
    "defaults fill only absent blocks": (
        edited(node_pool, "spec.disruption", consolidateAfter=None),
        "NodePool/gpu: spec.disruption: 'consolidateAfter' is a required property",
    ),
    "EC2NodeClass CEL rule": (
        edited(ec2_node_class, "spec", instanceProfile="ml-nodes"),
        "EC2NodeClass/gpu: spec: must specify exactly one of ['role', 'instanceProfile']",
    ),
    "EC2NodeClass CEL rule with split()": (
        edited(ec2_node_class, "spec.amiSelectorTerms.0", alias="ubuntu@latest"),
        "EC2NodeClass/gpu: spec.amiSelectorTerms[0].alias: family is not supported",
    ),
    "ServiceMonitor pattern": (
        edited(service_monitor, "spec.endpoints.0", interval="30 seconds"),
        "ServiceMonitor/fraud: spec.endpoints[0].interval: '30 seconds' does not match",
    ),
    "PrometheusRule required field": (
        edited(prometheus_rule, "spec.groups.0.rules.0", expr=None),
        "PrometheusRule/fraud: spec.groups[0].rules[0]: 'expr' is a required property",
    ),
    "PrometheusRule misspelt field": (
        edited(prometheus_rule, "spec.groups.0.rules.0", annotation={"summary": "slow"}),
        "PrometheusRule/fraud: spec.groups[0].rules[0]: Additional properties are not allowed",
    ),
    "custom resource metadata is ObjectMeta": (
        edited(service_monitor, "metadata", label={"app": "fraud"}),
        "ServiceMonitor/fraud: metadata: Additional properties are not allowed ('label' was unexpected)",
    ),
    "core misspelt field": (
        edited(deployment, "spec", replica=2),
        "Deployment/feature-api: spec: Additional properties are not allowed ('replica' was unexpected)",
    ),
    "core wrong type": (
        edited(deployment, "spec.template.spec.containers.0", ports=8080),
        "Deployment/feature-api: spec.template.spec.containers[0].ports: 8080 is not of type 'array'",
    ),
    "custom kind without a CRD": (
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Sensor", "metadata": {"name": "s"}},
        "Sensor/s: (root): no schema for argoproj.io/v1alpha1/Sensor",
    ),
    "unknown group": (
        {"apiVersion": "apps.example.com/v1", "kind": "Deployment", "metadata": {"name": "d"}},
        "Deployment/d: (root): no schema for apps.example.com/v1/Deployment",
    ),
}


@pytest.mark.parametrize("obj, expected", INVALID.values(), ids=INVALID.keys())
def test_invalid_objects_fail(validator: SchemaValidator, obj: dict, expected: str) -> None:
    errors = validator.validate(obj)
    assert any(error.startswith(expected) for error in errors), errors


def test_defaults_are_applied_before_validation(validator: SchemaValidator) -> None:
    # `consolidateAfter` is required, but the API server defaults the whole `disruption` block.
    pool = node_pool()
    del pool["spec"]["disruption"]
    before = copy.deepcopy(pool)
    assert validator.validate(pool) == []
    assert pool == before, "validate() must not mutate its argument"


def test_every_cel_rule_is_evaluable(validator: SchemaValidator) -> None:
    # cel-python lacks the Kubernetes CEL library: fail when an upstream CRD starts using more of it.
    unsupported = {
        validation["rule"]
        for crd in validator.crds.values()
        for version in crd_versions(crd)
        for validation in cel_rules(crd_validator(crd, version).schema)
        if not uses_old_self(validation["rule"]) and cel_program(validation["rule"]) is None
    }
    assert unsupported == set()


def test_absent_upstream_data_skips_unless_ci_requires_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MLOPS_UPSTREAM_DATA", str(tmp_path))
    monkeypatch.delenv("CI_REQUIRE_UPSTREAM", raising=False)
    assert upstream_dir() is None
    monkeypatch.setenv("CI_REQUIRE_UPSTREAM", "1")
    with pytest.raises(RuntimeError, match="MLOPS_UPSTREAM_DATA"):
        upstream_dir()

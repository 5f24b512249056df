"""Egress: each role's NetworkPolicy opens what the spec declares its pods reach, and `network.egress`; the
`mlops.dev/egress` annotation names the spec entity behind every rule; DNS stays open for every pod."""
from __future__ import annotations

import pytest

from backends.kubernetes.network import EGRESS_ANNOTATION
from tests.test_availability import HEAD, compile_objects, refusals

SYSTEM = """\
features:
  store: feast
  views: {{tx: {{entities: [card], timestamp_field: ts}}}}
  {server}
serving:
  api: {{model: m, runtime: serve}}
pipelines:
  train:
    runtime: train
    steps:
      fit: {{command: [fit], features: {{views: [tx]}}}}
"""
WITH_FEATURES = HEAD.replace("m: {{version: 4, format: sklearn, size: 2Gi}}",
                             "m: {{version: 4, format: sklearn, size: 2Gi, features: [tx]}}")


def policies(body: str, head: str = WITH_FEATURES) -> dict[str, dict]:
    return {o["metadata"]["name"].removeprefix("shop-netpol-"): o for o in compile_objects(body, head=head)
            if o["kind"] == "NetworkPolicy"}


def lines(policy: dict) -> list[str]:
    return policy["metadata"]["annotations"][EGRESS_ANNOTATION].split("\n")


def test_every_rule_says_which_spec_entity_caused_it() -> None:
    found = policies(SYSTEM.format(server="server: http://feast-server.feast.svc:6566"))
    for role in ("serving", "pipeline"):
        policy = found[role]
        assert len(lines(policy)) == len(policy["spec"]["egress"])
        assert all(line.startswith(f"egress[{i}] <- ") for i, line in enumerate(lines(policy)))


def test_the_feature_server_is_opened_by_namespace_and_port_for_who_reads_features() -> None:
    found = policies(SYSTEM.format(server="server: http://feast-server.feast.svc:6566"))
    feast = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "feast"}}}],
             "ports": [{"port": 6566, "protocol": "TCP"}]}
    for role in ("serving", "pipeline"):
        index = found[role]["spec"]["egress"].index(feast)
        assert lines(found[role])[index].startswith(f"egress[{index}] <- features.server: ")


def test_no_feature_server_no_rule_and_models_are_fetched_over_https() -> None:
    found = policies(SYSTEM.format(server=""))
    serving = found["serving"]
    assert serving["spec"]["egress"] == [{"ports": [{"port": 443, "protocol": "TCP"}]}]
    assert "models: model downloads by KServe's storage initializer (s3://)" in lines(serving)[0]
    assert "cannot name a host" in lines(serving)[0]


def test_a_literal_mlflow_url_opens_the_pipelines_egress_to_it() -> None:
    head = HEAD.replace("cloud: aws,", "cloud: aws, mlflow: {{tracking_uri: 'https://mlflow.acme.example'}},")
    pipeline = policies(SYSTEM.format(server=""), head=head)["pipeline"]
    index = next(i for i, line in enumerate(lines(pipeline)) if "platform.mlflow.tracking_uri" in line)
    assert pipeline["spec"]["egress"][index] == {"ports": [{"port": 443, "protocol": "TCP"}]}
    assert "mlflow.acme.example:443" in lines(pipeline)[index]
    in_cluster = HEAD.replace("cloud: aws,", "cloud: aws, mlflow: {{tracking_uri: 'http://mlflow.mlflow.svc:5000'}},")
    pipeline = policies(SYSTEM.format(server=""), head=in_cluster)["pipeline"]
    assert {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mlflow"}}}],
            "ports": [{"port": 5000, "protocol": "TCP"}]} in pipeline["spec"]["egress"]


def test_an_mlflow_variable_is_not_guessed() -> None:
    pipeline = policies(SYSTEM.format(server=""), head=HEAD)["pipeline"]   # default ${MLFLOW_TRACKING_URI:-sqlite}
    assert not any("mlflow" in line for line in lines(pipeline))


USER_EGRESS = """\
network:
  egress:
    - {description: Postgres of the feature pipeline, cidr: 10.20.0.0/16, except: [10.20.9.0/24],
       ports: [5432], pods: [pipelines]}
    - namespace: redis
      pod_labels: {app.kubernetes.io/name: redis}
      ports: [{port: 6379}, {port: 7000, end_port: 7005}]
      pods: [serving, pipelines]
"""


def test_declared_egress_lands_in_the_policies_of_the_pods_it_names() -> None:
    found = policies(SYSTEM.format(server="") + USER_EGRESS)
    pipeline, serving = found["pipeline"]["spec"]["egress"], found["serving"]["spec"]["egress"]
    database = {"to": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}}],
                "ports": [{"port": 5432, "protocol": "TCP"}]}
    redis = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "redis"}},
                     "podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}}}],
             "ports": [{"port": 6379, "protocol": "TCP"}, {"port": 7000, "protocol": "TCP", "endPort": 7005}]}
    assert database in pipeline and redis in pipeline
    assert redis in serving and database not in serving
    assert f"egress[{pipeline.index(database)}] <- network.egress[0]: Postgres of the feature pipeline" in \
        lines(found["pipeline"])
    assert lines(found["serving"])[serving.index(redis)].startswith(f"egress[{serving.index(redis)}] <- "
                                                                    "network.egress[1]: ")


def test_dns_stays_open_and_default_deny_stays() -> None:
    found = policies(SYSTEM.format(server="") + USER_EGRESS)
    assert found["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns, = found["dns"]["spec"]["egress"]
    assert {"port": 53, "protocol": "UDP"} in dns["ports"]


@pytest.mark.parametrize("kubernetes", ["1.26", "1.31"])
def test_the_policies_pass_the_schema_and_the_kit(kubernetes: str) -> None:
    from tests.k8s_schemas import get_validator

    objects = compile_objects(SYSTEM.format(server="server: https://features.acme.example") + USER_EGRESS,
                              head=WITH_FEATURES, kubernetes=kubernetes)
    validator = get_validator(kubernetes)
    errors = [(o["kind"], o["metadata"]["name"], validator.validate(o)) for o in objects
              if o["kind"] in ("NetworkPolicy", "PriorityClass", "PodDisruptionBudget")]
    assert all(not e for _, _, e in errors), errors
    assert not refusals(objects), refusals(objects)

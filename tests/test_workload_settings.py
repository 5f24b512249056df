"""Identity, credentials and container settings (issue 15 items 1 and 2): what each spec field becomes in
the pods KServe and Argo run, and the positioned errors of its bad inputs."""
from __future__ import annotations

import pytest

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes
from compiler.diagnostics import SpecError
from compiler.lint.rules.sec import credential_kind

HEAD = """\
apiVersion: mlops/v1
kind: System
metadata: {name: shop, namespace: shop-ml}
platform: {cloud: aws}
runtimes:
  serve:
    image: ghcr.io/acme/serve:1.0.0
SERVE_RUNTIME
  train: {image: ghcr.io/acme/train:1.0.0, image_pull_secrets: [ghcr-pull]}
  monitor: {image: ghcr.io/acme/monitor:1.0.0}
models:
  m: {version: 4, format: FORMAT, size: 2Gi}
node_pools:
  gpu: {accelerator: l4, nodes: {min: 0, max: 4}}
"""


def spec(serve_runtime: str = "", body: str = "", model_format: str = "sklearn") -> str:
    return HEAD.replace("SERVE_RUNTIME\n", serve_runtime).replace("FORMAT", model_format) + body


def compile_objects(text: str) -> list[dict]:
    return [o for path, objs in lower_files(check_bytes(text.encode(), "mlops.yaml", None)).items()
            if path.startswith("manifests/") for o in objs]


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        check_bytes(text.encode(), "mlops.yaml", None)
    return str(caught.value)


def kind(objects: list[dict], name: str) -> list[dict]:
    return [o for o in objects if o["kind"] == name]


def predictor(objects: list[dict]) -> dict:
    return kind(objects, "InferenceService")[0]["spec"]["predictor"]


ENDPOINT = "serving:\n  api: {model: m, runtime: serve%s}\n"


# --- identity ------------------------------------------------------------------------------------

def test_runtime_service_account_carries_each_cloud_identity_and_the_pods_run_as_it():
    runtime = ("    service_account:\n"
               "      aws_role_arn: arn:aws:iam::123456789012:role/serve\n"
               "      gcp_service_account: serve-sa@acme-ml.iam.gserviceaccount.com\n"
               "      azure_client_id: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n"
               "      s3: {endpoint: minio.storage:9000, use_https: false, region: eu-central-1}\n"
               "      storage_secrets: [model-store]\n"
               "    image_pull_secrets: [ghcr-pull]\n")
    objects = compile_objects(spec(runtime, ENDPOINT % ""))
    account = next(o for o in kind(objects, "ServiceAccount") if o["metadata"]["name"] == "shop-serve-sa")
    annotations = account["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/serve"
    assert annotations["iam.gke.io/gcp-service-account"] == "serve-sa@acme-ml.iam.gserviceaccount.com"
    assert annotations["azure.workload.identity/client-id"] == "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    # KServe's credential builder reads these from the ServiceAccount beside the IRSA annotation.
    assert annotations["serving.kserve.io/s3-endpoint"] == "minio.storage:9000"
    assert annotations["serving.kserve.io/s3-usehttps"] == "0"
    assert annotations["serving.kserve.io/s3-region"] == "eu-central-1"
    assert account["secrets"] == [{"name": "model-store"}]
    assert account["automountServiceAccountToken"] is False
    pod = predictor(objects)
    assert pod["serviceAccountName"] == "shop-serve-sa"
    assert pod["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert pod["labels"]["azure.workload.identity/use"] == "true"


def test_without_a_runtime_identity_the_role_account_stays():
    objects = compile_objects(spec("", ENDPOINT % ""))
    assert predictor(objects)["serviceAccountName"] == "shop-serving"
    assert "imagePullSecrets" not in predictor(objects)
    assert not [o for o in kind(objects, "ServiceAccount") if o["metadata"]["name"].endswith("-sa")]


def test_model_cache_downloads_through_a_copy_of_the_identity_in_kserves_job_namespace():
    runtime = "    service_account: {aws_role_arn: 'arn:aws:iam::123456789012:role/serve', storage_secrets: [s3]}\n"
    objects = compile_objects(spec(runtime, ENDPOINT % ", model_cache: true"))
    cache = kind(objects, "LocalModelCache")[0]
    account = next(o for o in kind(objects, "ServiceAccount")
                   if o["metadata"]["name"] == cache["spec"]["serviceAccountName"])
    assert account["metadata"]["namespace"] == "kserve-localmodel-jobs"
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/serve")
    assert account["secrets"] == [{"name": "s3"}]


def test_a_step_runs_as_its_runtime_account_which_is_bound_to_the_executor_role():
    body = ("pipelines:\n  p:\n    runtime: train\n    steps:\n      a: {command: [x], runtime: serve}\n"
            "      b: {command: [y], after: [a]}\n")
    runtime = "    service_account: {gcp_service_account: serve-sa@acme-ml.iam.gserviceaccount.com}\n"
    objects = compile_objects(spec(runtime, body))
    template = kind(objects, "WorkflowTemplate")[0]["spec"]
    steps = {t["name"]: t for t in template["templates"]}
    assert steps["a"]["serviceAccountName"] == "shop-serve-sa"
    assert "serviceAccountName" not in steps["b"]           # the workflow's, the training role's
    assert template["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    binding = next(o for o in kind(objects, "RoleBinding") if o["metadata"]["name"] == "shop-training")
    assert {s["name"] for s in binding["subjects"]} == {"shop-training", "shop-serve-sa"}
    account = next(o for o in kind(objects, "ServiceAccount") if o["metadata"]["name"] == "shop-serve-sa")
    assert account["automountServiceAccountToken"] is True   # Argo's executor reports with the token


# --- containers ----------------------------------------------------------------------------------

def test_endpoint_env_args_volumes_grace_and_ephemeral_storage():
    endpoint = (", args: [--workers=2], termination_grace_period: 45s,\n"
                "        resources: {ephemeral_storage: 20Gi},\n"
                "        env: {A: x, B: {secret: creds/token}, C: {config_map: settings/level}},\n"
                "        env_from: [{secret: bulk}, {config_map: more}],\n"
                "        volumes: {data: {mount: /data, pvc: claim}, conf: {mount: /etc/conf, secret: conf},\n"
                "                  scratch: {mount: /scratch, empty_dir: {size: 5Gi, memory: true}}}")
    pod = predictor(compile_objects(spec("", ENDPOINT % endpoint)))
    model = pod["model"]
    assert model["args"] == ["--workers=2"]
    assert model["env"] == [{"name": "A", "value": "x"},
                            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
                            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}}]
    assert model["envFrom"] == [{"secretRef": {"name": "bulk"}}, {"configMapRef": {"name": "more"}}]
    assert model["resources"]["requests"]["ephemeral-storage"] == "20Gi"
    assert model["resources"]["limits"]["ephemeral-storage"] == "20Gi"
    assert pod["terminationGracePeriodSeconds"] == 45
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["user-data"]["persistentVolumeClaim"] == {"claimName": "claim", "readOnly": True}
    assert volumes["user-conf"]["secret"]["secretName"] == "conf"
    assert volumes["user-scratch"]["emptyDir"] == {"sizeLimit": "5Gi", "medium": "Memory"}
    mounts = {m["name"]: m for m in model["volumeMounts"]}
    assert mounts["user-data"]["mountPath"] == "/data" and mounts["user-data"]["readOnly"] is True
    assert mounts["user-scratch"]["readOnly"] is False
    assert "shm" not in volumes                                # no GPU: no default /dev/shm


def test_runtime_args_come_after_the_port_flag():
    model = predictor(compile_objects(spec("", ENDPOINT % ", port: 9000, args: [--workers=2]")))["model"]
    assert model["args"] == ["--http_port=9000", "--workers=2"]


@pytest.mark.parametrize("setting, size", [
    (", resources: {gpu: 1, pool: gpu}", "1Gi"),                                # at least 1Gi
    (", resources: {gpu: 1, pool: gpu, memory: 16Gi}", "4Gi"),                  # a quarter of the limit
    (", resources: {gpu: 1, pool: gpu, memory: 16Gi}, shm_size: 2Gi", "2Gi")])  # as set
def test_gpu_workloads_get_a_memory_backed_dev_shm_by_default(setting, size):
    text = spec("", ENDPOINT % setting)
    pod = predictor(compile_objects(text))
    shm = next(v for v in pod["volumes"] if v["name"] == "shm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": size}
    assert {"name": "shm", "mountPath": "/dev/shm"} in pod["model"]["volumeMounts"]


def test_shm_size_zero_disables_it():
    pod = predictor(compile_objects(spec("", ENDPOINT % ", resources: {gpu: 1, pool: gpu}, shm_size: 0")))
    assert all(v["name"] != "shm" for v in pod["volumes"])


@pytest.mark.parametrize("model_format, ready, live", [
    ("sklearn", "/v2/health/ready", "/v2/health/live"), ("triton", "/v2/health/ready", "/v2/health/live"),
    ("mlflow", "/v2/health/ready", "/v2/health/live")])
def test_probes_ask_the_runtimes_health_endpoint(model_format, ready, live):
    # KServe's Python servers answer the Open Inference Protocol's health paths in either protocol
    # (compiler/kserve_runtimes.py SERVING_RUNTIMES), as Triton and MLServer do.
    model = predictor(compile_objects(spec("", ENDPOINT % "", model_format)))["model"]
    assert model["readinessProbe"]["httpGet"]["path"] == model["startupProbe"]["httpGet"]["path"] == ready
    assert model["livenessProbe"]["httpGet"]["path"] == live


def test_torchserve_keeps_a_tcp_check():
    # KServe's TorchServe runtime fronts TorchServe with its wrapper; no health path is sourced for it.
    model = predictor(compile_objects(spec("", ENDPOINT % "", "pytorch")))["model"]
    assert model["readinessProbe"]["tcpSocket"] == {"port": 8080}


def test_custom_images_and_health_false_keep_a_tcp_check():
    custom = predictor(compile_objects(spec("", ENDPOINT % "", "custom")))["containers"][0]
    assert custom["readinessProbe"]["tcpSocket"] == {"port": 8080}
    off = predictor(compile_objects(spec("", ENDPOINT % ", health: false")))["model"]
    assert off["livenessProbe"]["tcpSocket"] == {"port": 8080}


def test_custom_container_gets_command_args_and_keeps_storage_uri():
    container = predictor(compile_objects(spec("", ENDPOINT % ", command: [serve], args: [--fast], env: {A: b}",
                                               "custom")))["containers"][0]
    assert container["command"] == ["serve"] and container["args"] == ["--fast"]
    assert [e["name"] for e in container["env"]] == ["A", "STORAGE_URI"]


def test_step_and_monitor_settings_reach_their_containers():
    body = ("serving:\n  api: {model: m, runtime: serve}\n"
            "pipelines:\n  p:\n    runtime: train\n    steps:\n"
            "      a: {command: [x], env: {T: {secret: s/k}}, termination_grace_period: 2m,\n"
            "          volumes: {d: {mount: /data, pvc: c}}, resources: {gpu: 1, pool: gpu, memory: 8Gi}}\n"
            "monitoring:\n  api:\n    drift: {command: [check], features: [a], threshold: 0.2}\n"
            "    env: {REGION: eu-central-1}\n    env_from: [{secret: s3}]\n")
    objects = compile_objects(spec("", body))
    step = next(t for t in kind(objects, "WorkflowTemplate")[0]["spec"]["templates"] if t["name"] == "a")
    assert {"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}} in step["container"]["env"]
    assert step["podSpecPatch"] == '{"terminationGracePeriodSeconds": 120}'
    assert {v["name"] for v in step["volumes"]} == {"shm", "user-d"}
    assert {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}} in step["volumes"]
    cron = next(o for o in kind(objects, "CronWorkflow") if o["metadata"]["name"] == "shop-api-monitor")
    drift = next(t for t in cron["spec"]["workflowSpec"]["templates"] if t["name"] == "drift")
    assert {"name": "REGION", "value": "eu-central-1"} in drift["container"]["env"]
    assert drift["container"]["envFrom"] == [{"secretRef": {"name": "s3"}}]


# --- bad inputs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, fragment", [
    (", env: {A: {secret: Bad_Name/key}}", "is not 'name/key'"),
    (", env: {A: {secret: name/key/extra}}", "is not 'name/key'"),
    (", env: {A: 5}", "an environment value is a string"),
    (", env: {A: {vault: x}}", "an environment value is a string"),
    (", env: {STORAGE_URI: x}", "STORAGE_URI is reserved"),
    (", env: {PYTHONPATH: /app}", "refuses it in a predictor"),
    (", env: {ARGO_X: x}", "is reserved"),
    (", env_from: [{secret: a, config_map: b}]", "exactly one of `secret"),
    (", env_from: [{secret: UPPER}]", "is not a Secret or ConfigMap name"),
    (", volumes: {d: {mount: data, pvc: c}}", "is not a mount path"),
    (", volumes: {d: {mount: /mnt/models/x, pvc: c}}", "reserved"),
    (", volumes: {d: {mount: /dev/shm, empty_dir: {size: 1Gi}}}", "set `shm_size` instead"),
    (", volumes: {d: {mount: /data/../etc, pvc: c}}", "is not a mount path"),
    (", volumes: {d: {mount: /data}}", "exactly one of `pvc`"),
    (", volumes: {d: {mount: /data, pvc: c, secret: s}}", "got pvc, secret"),
    (", volumes: {d: {mount: /a, pvc: c}, e: {mount: /a/b, pvc: c}}", "overlapping paths"),
    (", volumes: {Bad: {mount: /a, pvc: c}}", "is not a volume name"),
    (", volumes: {d: {mount: /a, empty_dir: {size: 1Gi}, read_only: true}}", "cannot be read_only"),
    (", shm_size: lots", "quantity"),
    (", termination_grace_period: soon", "duration"),
])
def test_bad_endpoint_settings_are_positioned_errors(endpoint, fragment):
    message = error_of(spec("", ENDPOINT % endpoint))
    assert fragment in message, message
    assert "mlops.yaml:15:" in message, message     # on the endpoint's line, at the bad value


@pytest.mark.parametrize("runtime, fragment", [
    ("    service_account: {aws_role_arn: 'arn:aws:iam::12:role/x'}\n", "should match pattern"),
    ("    service_account: {gcp_service_account: someone@gmail.com}\n", "should match pattern"),
    ("    service_account: {azure_client_id: not-a-guid}\n", "should match pattern"),
    ("    service_account: {s3: {region: eu-central-1}}\n", "only when it also has"),
    ("    service_account: {annotations: {eks.amazonaws.com/role-arn: x}}\n", "set by a field of its own"),
    ("    service_account: {storage_secrets: [Bad]}\n", "is not a Secret or ConfigMap name"),
    ("    image_pull_secrets: [a/b]\n", "is not a Secret or ConfigMap name"),
])
def test_bad_identity_settings_are_positioned_errors(runtime, fragment):
    message = error_of(spec(runtime, ENDPOINT % ""))
    assert fragment in message, message
    assert "mlops.yaml:7:" in message or "mlops.yaml:8:" in message, message


def test_command_is_refused_where_the_runtime_starts_its_server_from_its_args():
    message = error_of(spec("", ENDPOINT % ", command: [python, serve.py]", "pytorch"))
    assert "serving.api.command" in message and "torchserve" in message and "mlops.yaml:15:" in message, message
    compile_objects(spec("", ENDPOINT % ", command: [python, -m, xgbserver]"))     # flags-only runtime: allowed


# --- SEC001 never repeats the value ----------------------------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"), ("X", "xoxb-1234567890-abcdefghij"),
    ("KEY", "-----BEGIN RSA PRIVATE KEY-----"), ("DB_PASSWORD", "Zx9qLm2Rt7Vb4Nc8Kp"),
    ("T", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
])
def test_credential_kinds_are_named_without_the_value(name, value):
    found = credential_kind(name, value)
    assert found is not None and value not in found


@pytest.mark.parametrize("name, value", [("LOG_LEVEL", "debug"), ("API_KEY_PATH", "/var/run/keys/api"),
                                         ("MODEL_NAME", "fraud-xgb-2026-11-30"), ("SECRET", "short1")])
def test_ordinary_values_are_not_credentials(name, value):
    assert credential_kind(name, value) is None


@pytest.mark.parametrize("endpoint, fragment", [
    (", termination_grace_period: 30s", "Knative refuses terminationGracePeriodSeconds"),
    (", volumes: {d: {mount: /data, pvc: claim}}", "Knative refuses PersistentVolumeClaim"),
])
def test_knative_mode_refuses_what_a_revision_cannot_carry(endpoint, fragment):
    text = spec("", ENDPOINT % endpoint).replace("platform: {cloud: aws}", "platform: {cloud: aws, serving_mode: knative}")
    message = error_of(text)
    assert fragment in message and "mlops.yaml:15:" in message, message

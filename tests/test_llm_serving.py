"""LLM serving: the server an endpoint names decides its backend, arguments, probes and metrics.

Held against KServe v0.20.0's Hugging Face server parser (the flags it reads), its credential
builder (the HF_TOKEN key, the storage-secret annotation) and vLLM v0.33.0's metric names.
"""
from __future__ import annotations

from pathlib import Path

from backends.kubernetes import lower_files
from compiler import metric_contract as mc
from compiler.checked_spec import check_bytes
from compiler.kserve_runtimes import SERVING_RUNTIMES

REPO_ROOT = Path(__file__).resolve().parents[1]
LLM = REPO_ROOT / "examples" / "llm" / "mlops.yaml"
HF_SERVER_PARSER = Path("/work/.mirror/kserve+kserve/repo")


def objects(path: Path = LLM, env: str | None = None) -> list[dict]:
    files = lower_files(check_bytes(path.read_bytes(), str(path), env))
    return [o for objs in files.values() for o in objs]


def isvc(name: str, objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "InferenceService" and o["metadata"]["name"] == name)


def test_the_chat_endpoint_runs_vllm_with_its_typed_settings_then_the_users_flags():
    model = isvc("assist-chat", objects())["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "huggingface"}
    assert model["args"] == ["--backend=vllm", "--tensor-parallel-size=8", "--max_model_len=32768", "--dtype=bfloat16",
                             "--gpu-memory-utilization=0.9", "--enable-prefix-caching", "--max-num-seqs=128"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == 8


def test_the_gated_weights_come_from_the_hub_at_their_commit_with_the_token_secret():
    service = isvc("assist-chat", objects())
    model = service["spec"]["predictor"]["model"]
    assert model["storageUri"] == "hf://meta-llama/Llama-3.1-70B-Instruct:945c8663693130f8be2ee66210e062158b2a9693"
    assert service["metadata"]["annotations"]["serving.kserve.io/storageSecretName"] == "hf-token"
    assert {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "HF_TOKEN"}}} in model["env"]
    # the engine's caches under the writable /tmp (the root filesystem is read-only)
    assert {"name": "VLLM_CACHE_ROOT", "value": "/tmp/vllm"} in model["env"]
    assert model["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in model["volumeMounts"]
    embed = isvc("assist-embed", objects())
    assert "serving.kserve.io/storageSecretName" not in embed["metadata"]["annotations"]
    assert "env" not in embed["spec"]["predictor"]["model"]


def test_probes_ask_the_servers_health_path_once_the_model_is_loaded():
    model = isvc("assist-chat", objects())["spec"]["predictor"]["model"]
    assert model["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert model["startupProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert model["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    # 30m startup budget in 10 s periods
    assert model["startupProbe"]["failureThreshold"] * model["startupProbe"]["periodSeconds"] == 1800


def test_the_embedding_endpoint_runs_the_transformers_backend_explicitly():
    """`auto` would pick vLLM when the image has it, and the metric contract would not know which."""
    model = isvc("assist-embed", objects())["spec"]["predictor"]["model"]
    assert model["args"] == ["--backend=huggingface"]
    spec = check_bytes(LLM.read_bytes(), str(LLM)).spec
    assert mc.server_for(spec, "embed") == "kserve" and mc.server_for(spec, "chat") == "vllm"


def test_the_queue_depth_scaler_reads_vllms_waiting_requests_of_this_endpoint():
    service = isvc("assist-chat", objects())
    assert service["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    metric = service["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]
    assert metric["metric"]["query"] == 'sum(vllm:num_requests_waiting{namespace="assist-ml", job="assist-ml/assist-chat"})'
    assert metric["target"] == {"type": "Value", "value": "8"}


def test_a_kv_cache_scaler_is_a_percentage_of_vllms_zero_to_one_gauge():
    text = LLM.read_text().replace("autoscale: {metric: queue_depth, target: 8}", "autoscale: {metric: kv_cache, target: 70}")
    path = LLM.parent / "kv.yaml"
    files = lower_files(check_bytes(text.encode(), str(path)))
    service = isvc("assist-chat", [o for objs in files.values() for o in objs])
    query = service["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]["metric"]["query"]
    assert query == 'sum(vllm:kv_cache_usage_perc{namespace="assist-ml", job="assist-ml/assist-chat"}) * 100'


def test_every_runtime_flag_we_emit_is_one_the_hugging_face_server_or_vllm_reads():
    """KServe's own flags from its parser; vLLM's engine flags by name from vLLM's engine arguments."""
    import subprocess
    if not HF_SERVER_PARSER.exists():
        import pytest
        pytest.skip("the kserve/kserve mirror is not on this machine")
    parser = subprocess.run(["git", f"--git-dir={HF_SERVER_PARSER}", "show",
                             "v0.20.0:python/huggingfaceserver/huggingfaceserver/__main__.py"],
                            capture_output=True, text=True, check=True).stdout
    kserve_flags = {"--backend", "--max_model_len"}
    assert all(f'"{flag}"' in parser for flag in kserve_flags)
    # vLLM's engine flags (vllm v0.33.0 vllm/engine/arg_utils.py EngineArgs.add_cli_args, which vLLM's
    # make_arg_parser calls: not in ../shared, so named here). The example sets no quantization.
    vllm_flags = {"--tensor-parallel-size", "--dtype", "--gpu-memory-utilization"}
    model = isvc("assist-chat", objects())["spec"]["predictor"]["model"]
    emitted = {arg.split("=")[0] for arg in model["args"]} - {"--enable-prefix-caching", "--max-num-seqs"}
    assert emitted == kserve_flags | vllm_flags


def test_each_server_serves_only_formats_kserve_has_a_runtime_for():
    for name, server in SERVING_RUNTIMES.items():
        for model_format in server.formats:
            assert name == "custom" or server.runtime_for(model_format) is not None, (name, model_format)

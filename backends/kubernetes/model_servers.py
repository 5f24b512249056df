"""What each model server is told: its runtime's arguments from typed fields, its probes, its token.

`serving.<name>.server` picks one of `compiler.kserve_runtimes.SERVING_RUNTIMES`; this module turns
the endpoint's settings into what that server's container gets. KServe concatenates the runtime's
arguments and ours (kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/utils/utils.go
MergeRuntimeContainers) and the runtime's parser keeps the last occurrence of a flag, so ours come
after the runtime's and the user's own `llm.args` (and, at merge, the generic `args`) after ours.

The vLLM flags are those of KServe's Hugging Face server with `--backend=vllm`
(python/huggingfaceserver/huggingfaceserver/__main__.py: KServe's own `--max_model_len`; the
engine's `--tensor-parallel-size`, `--quantization`, `--dtype`, `--gpu-memory-utilization` from
vLLM's make_arg_parser, which that parser adds when the vLLM backend is enabled).
"""
from __future__ import annotations

from compiler.kserve_runtimes import DEFAULT_HTTP_PORT, FORMATS, LIVE_PATH, SERVING_RUNTIMES, server_name
from compiler.spec.serving import Endpoint

#: The key KServe's credential builder reads a Hugging Face token from (kserve v0.20.0
#: pkg/credentials/hf/hf_secret.go HFTokenKey), and the variable huggingface_hub reads it as.
HF_TOKEN = "HF_TOKEN"
#: The InferenceService annotation naming the secret the storage initializer mounts (kserve v0.20.0
#: config/configmap/inferenceservice.yaml credentials.storageSecretNameAnnotation); a secret with an
#: HF_TOKEN key becomes its HF_TOKEN variable (pkg/credentials/service_account_credentials.go).
STORAGE_SECRET_ANNOTATION = "serving.kserve.io/storageSecretName"


def endpoint_server(spec, endpoint: Endpoint) -> str:
    """The server an endpoint runs (its own choice, else its model format's default)."""
    model = spec.models.get(endpoint.model)
    return server_name(endpoint.server, model.format if model is not None else None)


def runs_as_custom(spec, endpoint: Endpoint) -> bool:
    """Whether the endpoint is a custom predictor (its image as it is) rather than a KServe runtime."""
    model_format = spec.models[endpoint.model].format
    return endpoint_server(spec, endpoint) == "custom" or FORMATS[model_format].runtime is None


def llm_args(endpoint: Endpoint) -> list[str]:
    """The vLLM engine's arguments from `llm:`, in a fixed order, then the user's own flags."""
    llm = endpoint.llm
    if llm is None:
        return []
    args = [f"--tensor-parallel-size={llm.tensor_parallel}"]
    if llm.max_model_len is not None:
        args.append(f"--max_model_len={llm.max_model_len}")
    if llm.quantization is not None:
        args.append(f"--quantization={llm.quantization}")
    if llm.dtype is not None:
        args.append(f"--dtype={llm.dtype}")
    if llm.gpu_memory_utilization is not None:
        args.append(f"--gpu-memory-utilization={llm.gpu_memory_utilization:g}")
    return args + list(llm.args)


def server_args(spec, endpoint: Endpoint) -> list[str]:
    """Every argument we append to the runtime's: the backend, the LLM engine's, the port."""
    server = SERVING_RUNTIMES[endpoint_server(spec, endpoint)]
    runtime = port_facts(spec, endpoint)
    args = list(server.args) + llm_args(endpoint)
    if endpoint.port != DEFAULT_HTTP_PORT and runtime.port_arg:
        args.append(f"{runtime.port_arg}={endpoint.port}")
    return args


def port_facts(spec, endpoint: Endpoint):
    """The runtime entry whose port flag or variable applies: that of the runtime the server runs."""
    return FORMATS[SERVING_RUNTIMES[endpoint_server(spec, endpoint)].formats[0]]


#: Where an LLM engine writes its caches: the container's root filesystem is read-only and its user has no
#: home, so vLLM's compile cache (VLLM_CACHE_ROOT, default ~/.cache/vllm: vllm envs.py), Triton's kernel
#: cache (TRITON_CACHE_DIR, default ~/.triton) and the Hub's tokenizer cache (HF_HOME) go under /tmp.
LLM_CACHE_ENV = {"HF_HOME": "/tmp/hf", "TRITON_CACHE_DIR": "/tmp/triton", "VLLM_CACHE_ROOT": "/tmp/vllm",
                 "XDG_CACHE_HOME": "/tmp/cache"}


def server_env(spec, endpoint: Endpoint) -> dict[str, str]:
    """The variables the server needs to run in our container (read-only root, no home)."""
    return dict(LLM_CACHE_ENV) if SERVING_RUNTIMES[endpoint_server(spec, endpoint)].llm else {}


def tmp_size(spec, endpoint: Endpoint) -> str:
    """/tmp's size limit: an LLM engine's compile and kernel caches (one per tensor-parallel rank) need room."""
    return "16Gi" if SERVING_RUNTIMES[endpoint_server(spec, endpoint)].llm else "1Gi"


def hf_token_env(secret: str) -> dict:
    """The model server's HF_TOKEN, from the `HF_TOKEN` key of `secret` (one env entry)."""
    return {"name": HF_TOKEN, "valueFrom": {"secretKeyRef": {"name": secret, "key": HF_TOKEN}}}


def token_secret(spec, endpoint: Endpoint) -> str | None:
    """The secret holding the Hugging Face token of the endpoint's model, if it needs one."""
    hub = spec.models[endpoint.model].huggingface
    return hub.token_secret if hub is not None else None


def probe_action(spec, endpoint: Endpoint, *, live: bool = False) -> dict:
    """How a probe asks the server: HTTP on its health path where it has one, else its TCP port."""
    server = SERVING_RUNTIMES[endpoint_server(spec, endpoint)]
    if not endpoint.health or server.ready_path is None or runs_as_custom(spec, endpoint):
        return {"tcpSocket": {"port": endpoint.port}}
    return {"httpGet": {"path": LIVE_PATH if live else server.ready_path, "port": endpoint.port}}

"""What KServe's default serving runtimes do with each model format: which runtime serves it, and its port.

An endpoint's `model:` predictor names a model format; KServe picks the ClusterServingRuntime that
lists the format with `autoSelect: true`, supports the model's protocol version (v1 unless set) and
has the highest priority (kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/predictor_model.go
GetSupportingRuntimes, sortSupportedRuntimeByPriority), and runs the runtime's container with our
image, our resources and the runtime's arguments followed by ours
(pkg/controller/v1beta1/inferenceservice/utils/utils.go MergeRuntimeContainers: args are
concatenated, the last occurrence of a flag wins). Facts from config/runtimes/*.yaml at v0.20.0
(the runtimes `config/runtimes/kustomization.yaml` installs):

| format      | runtime                  | protocols        | HTTP port set by                           |
|-------------|--------------------------|------------------|--------------------------------------------|
| sklearn     | kserve-sklearnserver     | v1, v2           | `--http_port=8080` (KServe's model server) |
| xgboost     | kserve-xgbserver         | v1, v2           | `--http_port=8080`                         |
| lightgbm    | kserve-lgbserver         | v1, v2           | `--http_port=8080`                         |
| huggingface | kserve-huggingfaceserver | v2, v1           | `--http_port`, default 8080 (model_server.py) |
| onnx        | kserve-tritonserver      | v2, grpc-v2 only | `--http-port=8080`                         |
| triton      | kserve-tritonserver      | v2, grpc-v2 only | `--http-port=8080`                         |
| mlflow      | kserve-mlserver          | v2 only          | env `MLSERVER_HTTP_PORT=8080`              |
| pytorch     | kserve-torchserve        | v1, v2, grpc-v2  | the model archive's config.properties      |
| custom      | none: a custom predictor (`containers:`) runs the image as it is           |

Health endpoints (what the probes ask instead of a TCP connect): KServe's Python model server
(sklearn, xgboost, lightgbm, huggingface at protocol v1) answers `GET /` while alive and
`GET /v1/models/<name>` once the model is loaded, 503 before (python/kserve/kserve/protocol/rest/
server.py root route `dataplane.live`; v1_endpoints.py `model_ready`); `<name>` is the
InferenceService's, which the runtimes pass as `--model_name={{.Name}}`. Triton and MLServer speak
the v2 protocol's `/v2/health/live` and `/v2/health/ready`; TorchServe answers `/ping` on its
inference port. A custom image's health path is unknown: a TCP check stays.

`command`: the sklearn/xgboost/lightgbm/huggingface runtimes give only flags in `args` and MLServer
none, so a `command` replaces the image's entrypoint and receives those flags; the torchserve and
triton runtimes put the program itself in `args[0]` (`torchserve --start ...`, `tritonserver ...`),
so a `command` would run `<command> torchserve --start ...`: refused for them.

KServe's defaulter sets protocol v2 only for the `triton` (and vLLM) format names
(pkg/apis/serving/v1beta1/inference_service_defaults.go setPredictorModelDefaults); an `onnx` or
`mlflow` model left at v1 matches no runtime and never deploys, so the lowering sets v2 for them.
"""
from __future__ import annotations

from typing import NamedTuple


#: The port every default runtime's HTTP server listens on unless told otherwise.
DEFAULT_HTTP_PORT = 8080


class FormatRuntime(NamedTuple):
    """For one model format: the runtime KServe picks per protocol, the protocol we set, the port, the server."""

    runtime_v1: str | None      # KServe's pick for protocol v1, the InferenceService default (None: none serves it)
    runtime_v2: str | None      # its pick for protocol v2
    protocol: str | None        # protocolVersion the predictor must carry for a runtime to be selected (None: v1)
    server: str                 # the server family it runs (compiler/metric_contract.py SERVERS)
    port_arg: str | None = None  # flag that moves the server's HTTP port, appended after the runtime's own
    port_env: str | None = None  # or the environment variable that does
    program_in_args: bool = False  # the runtime's args start with the program: no `command` of ours

    @property
    def runtime(self) -> str | None:
        """The ClusterServingRuntime that serves the predictor we emit; None: served as a custom predictor."""
        return self.runtime_v2 if self.protocol == "v2" else self.runtime_v1


# The v1/v2 picks follow GetSupportingRuntimes (autoSelect formats, protocol supported, highest
# priority first); tests/test_metric_contract.py re-derives them from the runtime files.
FORMATS: dict[str, FormatRuntime] = {
    "sklearn": FormatRuntime("kserve-sklearnserver", "kserve-mlserver", None, "kserve", port_arg="--http_port"),
    "xgboost": FormatRuntime("kserve-xgbserver", "kserve-mlserver", None, "kserve", port_arg="--http_port"),
    "lightgbm": FormatRuntime("kserve-lgbserver", "kserve-mlserver", None, "kserve", port_arg="--http_port"),
    "huggingface": FormatRuntime("kserve-huggingfaceserver", "kserve-huggingfaceserver", None, "kserve",
                                 port_arg="--http_port"),
    "onnx": FormatRuntime(None, "kserve-tritonserver", "v2", "triton", port_arg="--http-port", program_in_args=True),
    "triton": FormatRuntime(None, "kserve-tritonserver", "v2", "triton", port_arg="--http-port",
                            program_in_args=True),
    "mlflow": FormatRuntime(None, "kserve-mlserver", "v2", "mlserver", port_env="MLSERVER_HTTP_PORT"),
    "pytorch": FormatRuntime("kserve-torchserve", "kserve-torchserve", None, "torchserve", program_in_args=True),
    "custom": FormatRuntime(None, None, None, "custom"),
}


def port_is_fixed(model_format: str) -> bool:
    """True when the runtime serving `model_format` listens on DEFAULT_HTTP_PORT and nothing we set moves it."""
    runtime = FORMATS[model_format]
    return runtime.runtime is not None and runtime.port_arg is None and runtime.port_env is None


# --- the model server an endpoint names (`serving.<name>.server`) ------------------------------
#
# A model format says what the artifact is; the server says what runs it. Each server here is one
# of KServe v0.20.0's default ClusterServingRuntimes (config/runtimes/*.yaml) told, where it has a
# choice, which backend to use, so that the metric contract is what the pods really export:
#
# - `vllm`: kserve-huggingfaceserver with `--backend=vllm`. Its parser takes KServe's own flags
#   (`--model_dir` default /mnt/models, `--model_id`, `--max_model_len`) and, with the vLLM backend,
#   vLLM's engine flags (`--tensor-parallel-size`, `--quantization`, `--dtype`,
#   `--gpu-memory-utilization`: python/huggingfaceserver/huggingfaceserver/__main__.py,
#   vllm/utils.py maybe_add_vllm_cli_parser -> vllm's make_arg_parser). The engine is built with
#   log_stats on (vllm/vllm_model.py), so vLLM's PrometheusStatLogger registers its `vllm:*` series
#   in the registry KServe serves on /metrics (python/kserve/kserve/protocol/rest/server.py).
# - `huggingface`: the same runtime with `--backend=huggingface` (transformers); `auto`, the
#   runtime's default, picks vLLM when it is installed and supports the architecture, which would
#   make the metric family depend on the image.
# - Health: KServe's Python servers, Triton and MLServer answer `/v2/health/ready` only once the
#   model is loaded (kserve protocol/rest/v2_endpoints.py; the Open Inference Protocol), and
#   `/v2/health/live` while the process runs; TorchServe's KServe wrapper and custom images are
#   probed on their TCP port.

READY_PATH = "/v2/health/ready"
LIVE_PATH = "/v2/health/live"


class ServingRuntime(NamedTuple):
    """A model server an endpoint can name: the formats it serves, what KServe runs, what it exports."""

    formats: tuple[str, ...]           # model formats it serves (the first one is the format we emit)
    family: str                        # its metric family (compiler/metric_contract.py SERVERS)
    args: tuple[str, ...] = ()         # arguments that select it inside its runtime (a backend)
    protocol: str | None = None        # protocolVersion we set to select it (None: each format's own)
    ready_path: str | None = None      # HTTP readiness path; None: a TCP probe
    llm: bool = False                  # takes `serving.<name>.llm` (tensor parallelism, max model length...)

    def runtime_for(self, model_format: str) -> str | None:
        """The ClusterServingRuntime KServe selects for a model of `model_format` served by this server."""
        if self.family == "custom":
            return None
        chosen = FORMATS[model_format]
        return chosen.runtime_v2 if (self.protocol or chosen.protocol) == "v2" else chosen.runtime_v1


SERVING_RUNTIMES: dict[str, ServingRuntime] = {
    "vllm": ServingRuntime(("huggingface",), "vllm", ("--backend=vllm",), ready_path=READY_PATH, llm=True),
    "huggingface": ServingRuntime(("huggingface",), "kserve", ("--backend=huggingface",), ready_path=READY_PATH),
    "sklearn": ServingRuntime(("sklearn",), "kserve", ready_path=READY_PATH),
    "xgboost": ServingRuntime(("xgboost",), "kserve", ready_path=READY_PATH),
    "lightgbm": ServingRuntime(("lightgbm",), "kserve", ready_path=READY_PATH),
    "triton": ServingRuntime(("triton", "onnx"), "triton", protocol="v2", ready_path=READY_PATH),
    "mlserver": ServingRuntime(("mlflow", "sklearn", "xgboost", "lightgbm"), "mlserver", protocol="v2",
                               ready_path=READY_PATH),
    "torchserve": ServingRuntime(("pytorch",), "torchserve"),
    "custom": ServingRuntime(("custom",), "custom"),
}

#: The server an endpoint runs when it names none: the one KServe's runtime for the format is.
DEFAULT_SERVER: dict[str, str] = {
    "sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm", "huggingface": "huggingface",
    "onnx": "triton", "triton": "triton", "mlflow": "mlserver", "pytorch": "torchserve", "custom": "custom",
}


def server_name(declared: str | None, model_format: str | None) -> str:
    """The server an endpoint runs: the one it names, else its model format's default."""
    if declared:
        return declared
    return DEFAULT_SERVER.get(model_format or "custom", "custom")


def serves(server: str, model_format: str) -> bool:
    """Whether `server` can serve a model of `model_format` (custom serves any image as it is)."""
    return server == "custom" or model_format in SERVING_RUNTIMES[server].formats

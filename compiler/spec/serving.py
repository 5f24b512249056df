"""`serving:`: online endpoints."""

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, Number, SpecModel, empty_list
from .containers import WorkloadSettings, check_server_env
from .resources import Resources
from .scheduling import Availability, Scheduling
from .units import Duration, Percent

#: Model servers an endpoint can name (compiler/kserve_runtimes.py SERVING_RUNTIMES).
ServerName = Literal["vllm", "huggingface", "sklearn", "xgboost", "lightgbm", "triton", "mlserver", "torchserve",
                     "custom"]
#: vLLM's `--quantization` choices for pre-quantized checkpoints and on-the-fly fp8 (vllm v0.33.0
#: vllm/model_executor/layers/quantization/__init__.py QuantizationMethods; the common ones).
Quantization = Literal["awq", "gptq", "fp8", "compressed-tensors", "bitsandbytes", "gguf", "marlin", "awq_marlin",
                       "gptq_marlin", "modelopt", "mxfp4"]
#: Extra runtime arguments: flags only, as the runtime's parser reads them.
_FLAG = r"^--[a-z0-9][-a-z0-9_]*(=[^\s]*)?$"


class ReplicaRange(SpecModel):
    min: int = Field(1, ge=0, le=1000, description="Fewest replicas (0 = scale to zero).")
    max: int = Field(1, ge=1, le=1000, description="Most replicas; when it is not written, `min` (or 1 when min is 0).")

    @model_validator(mode="before")
    @classmethod
    def _max_follows_min(cls, data: Any) -> Any:
        # `{min: 3}` means "3 replicas": a default max of 1 would refuse a value the user never wrote.
        if isinstance(data, dict) and "max" not in data and isinstance(data.get("min"), int) \
                and not isinstance(data.get("min"), bool) and data["min"] > 1:
            return {**data, "max": data["min"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> "ReplicaRange":
        if self.min > self.max:
            raise ValueError(f"replicas.min ({self.min}) is larger than replicas.max ({self.max})")
        return self


class Autoscale(SpecModel):
    metric: Literal["concurrency", "rps", "cpu", "memory", "gpu_utilization", "queue_depth", "kv_cache"] = Field(
        description="What the autoscaler tracks. queue_depth (requests waiting, `vllm:num_requests_waiting`) and "
                    "kv_cache (KV-cache usage in percent, `vllm:kv_cache_usage_perc`) need `server: vllm`.")
    target: Number = Field(gt=0, description="Target value per replica (percent for cpu/memory/gpu_utilization/"
                                             "kv_cache; waiting requests for queue_depth).")


class Llm(SpecModel):
    """How a large language model is served (servers that take it: vllm)."""

    tensor_parallel: int = Field(1, ge=1, le=16, description="GPUs one replica shards the model over "
                                                            "(`--tensor-parallel-size`); the replica requests "
                                                            "this many GPUs, all on one node.")
    max_model_len: int | None = Field(None, ge=1, le=10_000_000,
                                      description="Longest context in tokens (`--max_model_len`); default: the "
                                                  "model's own, which may not fit the KV cache.")
    quantization: Quantization | None = Field(None, description="Quantization of the weights (`--quantization`).")
    dtype: Literal["auto", "half", "float16", "bfloat16", "float32"] | None = Field(
        None, description="Weight and activation dtype (`--dtype`).")
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=1, description="Share of each GPU vLLM preallocates for weights and KV cache "
                                      "(`--gpu-memory-utilization`, vLLM's default 0.9).")
    args: list[Annotated[str, Field(pattern=_FLAG)]] = Field(
        default_factory=empty_list, description="Further runtime flags, e.g. --enable-prefix-caching or "
                                                "--max-num-seqs=256 (after the ones above: the last wins).")


class Rollout(SpecModel):
    canary_percent: Percent = Field(Percent.parse(0), description="Traffic to a new version first; 0 = none.")
    keep_previous: int = Field(1, ge=0, le=10, description="Previous model versions kept deployable for rollback.")


class Endpoint(WorkloadSettings):
    model: Name = Field(description="Model to serve (a key of `models`).")
    runtime: Name = Field(description="Serving runtime (image).")
    server: ServerName | None = Field(
        None, description="The model server: vllm (KServe's Hugging Face runtime with the vLLM backend), "
                          "huggingface (its transformers backend), sklearn, xgboost, lightgbm, triton, mlserver, "
                          "torchserve or custom (the image as it is). It decides the runtime, the health probes, "
                          "the metrics alerts and scalers read (docs/metric-contract.md); default: the model "
                          "format's KServe runtime.")
    llm: Llm | None = Field(None, description="LLM serving settings (server vllm).")
    replicas: ReplicaRange = Field(default_factory=ReplicaRange, description="Replica bounds {min, max}.")
    autoscale: Autoscale | None = Field(None, description="Autoscaling metric and target.")
    resources: Resources = Field(default_factory=Resources, description="CPU, memory, GPU and node pool.")
    startup_timeout: Duration = Field(Duration.parse("5m"), description="How long model load may take before the "
                                                                        "pod counts as failed.")
    model_cache: bool = Field(False, description="Keep the model on a node-local cache.")
    rollout: Rollout = Field(default_factory=Rollout, description="Canary and rollback settings.")
    port: int = Field(8080, ge=1, le=65535, description="Port the model server listens on (passed to the "
                                                        "format's KServe runtime; pytorch: 8080 only).")
    scheduling: Scheduling = Field(default_factory=Scheduling, description="Extra tolerations and node affinity "
                                                                           "of the predictor's pods.")
    availability: Availability = Field(default_factory=Availability,
                                       description="Disruption budget and zone/node spread (replicas.max > 1).")
    command: list[str] | None = Field(
        None, min_length=1, description="Entrypoint of the model server, replacing the image's (a custom-format "
                                        "model only: KServe's runtimes set their own, see docs/production.md).")
    args: list[str] = Field(default_factory=empty_list, description=(
        "Arguments of the model server: appended after the runtime's own (KServe concatenates them and the last "
        "occurrence of a flag wins), or the custom container's arguments."))
    health: bool = Field(True, description="Probe the server's HTTP health endpoint (/v2/health/ready and "
                                           "/v2/health/live for KServe's servers, Triton and MLServer; TorchServe and "
                                           "custom images have none); false: a TCP check on the port.")

    @field_validator("env")
    @classmethod
    def _server_env(cls, env: dict) -> dict:
        check_server_env(env)
        return env

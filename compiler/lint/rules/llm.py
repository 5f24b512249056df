"""LLM: the traps of serving large language models on GPU pools."""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ...capacity import root_volume_gib
from ...kserve_runtimes import SERVING_RUNTIMES, server_name
from ...spec.units import Quantity
from ..relations import gib
from ..rule import Context, Problem, RuleOptions, rule

#: Accelerators without NVLink: their GPUs talk over PCIe only (NVIDIA's data sheets: T4, A10 (A10G),
#: L4 and L40S list "NVLink: No"; the A30, A100, H100 and H200 SXM/NVL parts have it).
PCIE_ONLY = frozenset({"t4", "a10g", "l4", "l40s"})


def _llm_endpoints(ctx: Context) -> Iterator[tuple[str, object, object]]:
    """(name, endpoint, its server) of every endpoint whose server runs an LLM engine."""
    for name, endpoint in ctx.spec.serving.items():
        model = ctx.spec.models.get(endpoint.model)
        server = SERVING_RUNTIMES.get(server_name(endpoint.server, model.format if model else None))
        if server is not None and server.llm:
            yield name, endpoint, server


@rule("LLM001", "llm-on-shared-gpu", "error",
      "An LLM endpoint (server vllm) runs on a time-sliced or MPS pool, where nothing isolates GPU memory.")
def llm_on_shared_gpu(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags an endpoint whose server runs an LLM engine (`server: vllm`) on a node pool that shares
    its GPUs by time-slicing or MPS.

    ## Why is this bad?
    vLLM preallocates `gpu_memory_utilization` (0.9 by default) of the GPU it sees for weights and
    KV cache at start. Time-slicing and MPS share a GPU without partitioning its memory: the first
    pod takes 90 % and every other pod on that GPU fails to allocate, or the LLM itself does when it
    starts second. MIG slices and whole GPUs isolate memory.

    ## Example
    ```yaml
    node_pools:
      l4-shared: {accelerator: l4, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 4}}
    serving:
      chat: {model: llama-8b, runtime: hf, server: vllm, resources: {gpu: 1, pool: l4-shared}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      l4: {accelerator: l4, sharing: exclusive, nodes: {max: 4}}
    serving:
      chat: {model: llama-8b, runtime: hf, server: vllm, resources: {gpu: 1, pool: l4}}
    ```
    """
    for name, endpoint, _ in _llm_endpoints(ctx):
        pool = ctx.spec.node_pools.get(endpoint.resources.pool or "")
        if pool is not None and pool.sharing.mode in ("time_slicing", "mps"):
            mode = "time-slices" if pool.sharing.mode == "time_slicing" else "shares through MPS"
            yield Problem(("serving", name, "resources", "pool"),
                          f"endpoint {name!r} serves an LLM with vLLM on pool {endpoint.resources.pool!r}, which "
                          f"{mode} each GPU between {pool.sharing.replicas} pods without isolating its memory; vLLM "
                          "preallocates most of the GPU for its KV cache at start",
                          hint="run it on an exclusive pool (whole GPUs) or on a MIG slice")


@rule("LLM002", "tensor-parallel-without-nvlink", "warning",
      "An endpoint shards a model over several GPUs (`llm.tensor_parallel` > 1) of an accelerator without NVLink.")
def tensor_parallel_without_nvlink(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags `llm.tensor_parallel` above 1 on a pool whose accelerator has no NVLink (T4, A10G, L4,
    L40S: their GPUs exchange data over PCIe only).

    ## Why is this bad?
    Tensor parallelism all-reduces activations between the GPUs at every layer of every token.
    Over PCIe that traffic dominates decoding: time per output token grows with the degree instead
    of shrinking, and a model that fits one NVLink-connected GPU pair crawls on four PCIe GPUs.

    ## Example
    ```yaml
    node_pools:
      l4x4: {accelerator: l4, gpus_per_node: 4, nodes: {max: 2}, instance_types: [g6.12xlarge]}
    serving:
      chat: {model: llama-70b-awq, runtime: hf, server: vllm, llm: {tensor_parallel: 4},
             resources: {gpu: 4, pool: l4x4}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      h100: {accelerator: h100-80gb, gpus_per_node: 8, nodes: {max: 1}, instance_types: [p5.48xlarge]}
    serving:
      chat: {model: llama-70b, runtime: hf, server: vllm, llm: {tensor_parallel: 4},
             resources: {gpu: 4, pool: h100}}
    ```
    """
    for name, endpoint, _ in _llm_endpoints(ctx):
        pool = ctx.spec.node_pools.get(endpoint.resources.pool or "")
        degree = endpoint.llm.tensor_parallel if endpoint.llm is not None else 1
        if pool is not None and degree > 1 and pool.accelerator in PCIE_ONLY:
            yield Problem(("serving", name, "llm", "tensor_parallel"),
                          f"endpoint {name!r} shards its model over {degree} {pool.accelerator} GPUs, which have no "
                          "NVLink: every layer's all-reduce crosses PCIe, and decoding slows with the degree",
                          hint="serve on an NVLink accelerator (a100, h100, h200), or a smaller (quantized) model "
                               "with a lower tensor_parallel")


class NodeDiskOptions(RuleOptions):
    image_allowance: Quantity = Field(default=Quantity.parse("30Gi"),
                                      description="Node disk taken by container images and the system before any "
                                                  "model is downloaded.")


@rule("LLM003", "model-larger-than-node-disk", "error",
      "An endpoint's model (downloaded, and its cached versions) does not fit the root volume of its pool's nodes.",
      options=NodeDiskOptions)
def model_larger_than_node_disk(ctx: Context, options: NodeDiskOptions) -> Iterator[Problem]:
    """## What it does
    On `cloud: aws`, where mlops sizes each node's root volume (200Gi on GPU pools), adds an
    endpoint's model `size` (KServe's storage initializer downloads it into an emptyDir on that
    volume), or every cached version when `model_cache` is on (the LocalModelCache's volume is on
    the same disk), and `image_allowance` for images, and flags a sum above the volume.

    ## Why is this bad?
    The download fails with "no space left on device" or the kubelet evicts the pod for ephemeral
    storage: the replica never starts, and each retry downloads again. A 70B model in bf16 is
    about 132Gi; a 405B one is above 750Gi.

    ## Example
    ```yaml
    platform: {cloud: aws}
    models:
      llama-405b: {format: huggingface, size: 760Gi, huggingface: {repo: meta-llama/Llama-3.1-405B-Instruct, revision: ...}}
    serving:
      chat: {model: llama-405b, runtime: hf, server: vllm, llm: {tensor_parallel: 8}, resources: {gpu: 8, pool: h200}}
    ```

    ## Use instead
    ```yaml
    models:
      llama-405b-fp8: {format: huggingface, size: 190Gi, huggingface: {repo: meta-llama/Llama-3.1-405B-Instruct-FP8, revision: ...}}
    ```
    or serve the weights from a volume that holds them (a custom predictor with a PVC).
    """
    if ctx.spec.platform.cloud != "aws":
        return

    for name, endpoint in ctx.spec.serving.items():
        model = ctx.spec.models.get(endpoint.model)
        pool = ctx.spec.node_pools.get(endpoint.resources.pool or "")
        if model is None or model.size is None or pool is None:
            continue
        volume = root_volume_gib(pool) * 2**30
        # With a cache, pods mount its volume instead of downloading: the cached versions are what the disk holds.
        copies = (1 + endpoint.rollout.keep_previous) if endpoint.model_cache else 1
        needed = model.size.bytes * copies + options.image_allowance.bytes
        if needed > volume:
            yield Problem(("serving", name, "model"),
                          f"endpoint {name!r} needs {gib(needed)} of node disk ({copies} x the {gib(model.size.bytes)} "
                          f"model{', cached with its kept versions' if endpoint.model_cache else ''}, plus "
                          f"{gib(options.image_allowance.bytes)} for images) and pool {endpoint.resources.pool!r}'s "
                          f"nodes have a {gib(volume)} root volume",
                          hint="serve a smaller (quantized) checkpoint, turn model_cache off, or keep fewer versions")


"""TRAIN: the traps of distributed and spot GPU training (pipeline steps)."""
from __future__ import annotations

from collections.abc import Iterator

from ..rule import Context, Problem, RuleOptions, rule

#: Node pool capacity types whose nodes the cloud may reclaim (Karpenter launches spot first).
SPOT_CAPACITY = frozenset({"spot", "spot-or-on-demand"})


@rule("TRAIN001", "multi-node-training-without-gang-scheduling", "warning",
      "A distributed step (several nodes) runs in a pipeline without a `queue:`, so nothing admits its nodes together.")
def multi_node_training_without_gang_scheduling(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags a step with `distributed.nodes` (a Kubeflow Trainer TrainJob over several nodes) in a
    pipeline that names no `queue` (a key of `platform.queues`, lowered to Kueue).

    ## Why is this bad?
    Without Kueue, the TrainJob's pods are created one by one and bind to whatever nodes free up.
    torchrun waits at the rendezvous until every node has joined, so the pods that did start hold
    their GPUs idle; two such jobs that each got half of the pool wait for each other forever.
    Kueue admits a TrainJob as one workload: all its pods when the quota for all of them is free,
    none before.

    ## Example
    ```yaml
    pipelines:
      finetune:
        runtime: train
        steps:
          train: {command: [torchrun, -m, finetune], distributed: {nodes: 4},
                  resources: {gpu: 8, pool: h100}}
    ```

    ## Use instead
    ```yaml
    platform:
      queues: {research: {quotas: {h100: {gpus: 32}}}}
    pipelines:
      finetune:
        runtime: train
        queue: research
        steps:
          train: {command: [torchrun, -m, finetune], distributed: {nodes: 4},
                  resources: {gpu: 8, pool: h100}}
    ```
    """
    for name, pipeline in ctx.spec.pipelines.items():
        if pipeline.queue is not None:
            continue
        for step_name, step in pipeline.steps.items():
            if step.distributed is not None:
                yield Problem(("pipelines", name, "steps", step_name, "distributed", "nodes"),
                              f"step {step_name!r} of pipeline {name!r} runs on {step.distributed.nodes} nodes and "
                              "the pipeline has no queue: its pods start one by one and hold their GPUs at the "
                              "rendezvous until the last one is scheduled",
                              hint="give the pipeline a `queue:` (platform.queues): Kueue admits all the nodes "
                                   "together or none")


@rule("TRAIN002", "spot-training-without-checkpoint", "warning",
      "A GPU training step runs on a spot pool without a `checkpoint:`, so a reclaimed node restarts it from zero.")
def spot_training_without_checkpoint(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags a pipeline step that requests GPUs on a node pool with `capacity: spot` or
    `spot-or-on-demand` and declares no `checkpoint: {uri: ...}`.

    ## Why is this bad?
    The cloud reclaims spot nodes with two minutes' notice (AWS, GCP) or 30 seconds (Azure). A
    step's retries (and a TrainJob created again) start the program over: without a checkpoint
    location it has nothing to resume from, and every reclamation throws away the GPU hours
    trained so far; a long run on a busy spot market may never finish.

    ## Example
    ```yaml
    node_pools:
      a100-spot: {accelerator: a100-80gb, gpus_per_node: 8, capacity: spot, nodes: {max: 2}}
    pipelines:
      train:
        runtime: train
        steps:
          fit: {command: [python, -m, fit], retries: 3, resources: {gpu: 8, pool: a100-spot}}
    ```

    ## Use instead
    ```yaml
    pipelines:
      train:
        runtime: train
        steps:
          fit: {command: [python, -m, fit], retries: 3, resources: {gpu: 8, pool: a100-spot},
                checkpoint: {uri: "s3://acme-checkpoints/train", every: 30m}}
    ```
    and have the program save to `$MLOPS_CHECKPOINT_URI` and resume from its latest checkpoint.
    """
    for name, pipeline in ctx.spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            pool = ctx.spec.node_pools.get(step.resources.pool or "")
            if pool is None or pool.capacity not in SPOT_CAPACITY or not step.resources.uses_gpu:
                continue
            if step.checkpoint is None:
                yield Problem(("pipelines", name, "steps", step_name, "resources", "pool"),
                              f"step {step_name!r} of pipeline {name!r} trains on GPUs of pool {step.resources.pool!r} "
                              f"({pool.capacity}) and declares no checkpoint: a reclaimed node restarts it from "
                              "the beginning",
                              hint="add checkpoint: {uri: s3://..., every: 30m} and resume from "
                                   "$MLOPS_CHECKPOINT_URI in the program")

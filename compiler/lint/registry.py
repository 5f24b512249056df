"""The explicit registry of lint rules: every rule is listed here once, in documentation order."""
from __future__ import annotations

import difflib
from types import MappingProxyType

from .rule import Rule
from .rules import deps, gpu, hygiene, llm, mon, patch, repro, sched, sec, serve, skew, train

RULES: tuple[Rule, ...] = (
    skew.preprocessing_version_mismatch,
    skew.preprocessing_unpinned,
    skew.preprocessing_package_not_shipped,
    skew.pandas_in_serving,
    skew.feature_join_not_point_in_time,
    skew.serving_features_differ,
    skew.notebook_packages_in_serving,
    deps.coupled_train_serve_runtime,
    deps.mutable_image_tag,
    deps.lockfile_not_found,
    gpu.whole_gpu_underused,
    gpu.mig_profile_unsupported,
    gpu.shared_gpu_memory_overcommit,
    gpu.gpu_oom_unobservable,
    gpu.gpu_pool_untainted,
    gpu.gpu_request_unsatisfiable,
    gpu.mig_strategy_mismatch,
    gpu.gpu_memory_exceeds_request,
    gpu.shared_gpu_request_above_one,
    gpu.mps_with_mixed_mig_strategy,
    gpu.gpu_not_offered_on_cloud,
    gpu.gpu_sharing_unsupported_on_gke,
    gpu.mig_slices_as_one_device,
    gpu.multi_gpu_communication_on_mig,
    gpu.mps_clients_not_isolated,
    sched.workload_exceeds_node,
    sched.min_replicas_exceed_pool_limit,
    sched.pool_launches_no_instance_type,
    sched.step_deadline_exceeds_pipeline,
    llm.llm_on_shared_gpu,
    llm.tensor_parallel_without_nvlink,
    llm.model_larger_than_node_disk,
    train.multi_node_training_without_gang_scheduling,
    train.spot_training_without_checkpoint,
    serve.cold_start_large_model,
    serve.large_model_uncached,
    serve.single_replica_endpoint,
    serve.canary_unmonitored,
    serve.canary_unrouted,
    repro.model_version_unpinned,
    repro.lineage_incomplete,
    repro.no_rollback_version,
    repro.rollback_version_unservable,
    repro.lineage_declared_only,
    repro.served_model_without_artifact,
    mon.technical_metrics_only,
    mon.retrain_on_drift_only,
    mon.ground_truth_delay_unhandled,
    mon.drift_without_data_quality,
    mon.unmonitored_endpoint,
    mon.slo_unmeasurable,
    mon.alerts_unrouted,
    mon.retraining_budget_spent_by_schedule,
    patch.override_patches_modelled_field,
    sec.credential_in_env_literal,
    hygiene.UNUSED_IGNORE,
    hygiene.IGNORE_WITHOUT_REASON,
)

BY_CODE = MappingProxyType({r.code: r for r in RULES})
SUPPRESSION_RULES = frozenset({hygiene.UNUSED_IGNORE.code, hygiene.IGNORE_WITHOUT_REASON.code})


def suggest_code(text: str) -> str:
    """' (did you mean SERVE001?)' for a near miss, else a pointer to the list of codes."""
    by_name = {r.name: r.code for r in RULES}
    if text in by_name:
        return f" (that is the name of {by_name[text]}; use the code)"
    close = difflib.get_close_matches(text.upper(), list(BY_CODE), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else "; `mlops rules` lists the codes"


def expand_codes(patterns: list[str]) -> set[str]:
    """Codes selected by `--select`/`--ignore` patterns: a code (SERVE001) or a prefix of codes (SERVE, GPU00).

    Raises ValueError naming the first pattern that selects nothing.
    """
    selected: set[str] = set()
    for pattern in patterns:
        wanted = pattern.strip().upper()
        matches = {code for code in BY_CODE if code.startswith(wanted)} if wanted else set()
        if not matches:
            raise ValueError(f"unknown rule code or prefix {pattern!r}{suggest_code(pattern)}")
        selected |= matches
    return selected

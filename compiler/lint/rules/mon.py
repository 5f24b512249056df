"""MON: monitoring, drift and retraining — knowing when a model has gone wrong, and reacting safely."""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ... import metric_contract
from ...spec.units import Duration
from ..rule import Context, Problem, RuleOptions, rule


@rule("MON001", "technical-metrics-only", "warning",
      "A monitored endpoint has SLOs but no business metric and no model-quality signal.")
def technical_metrics_only(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags monitoring entries that have `slo` but neither a `business` metric nor a model-quality
    signal (`drift` or `ground_truth`).

    ## Why is this bad?
    A model can be fast, available and error-free while it is wrong: stale features, a shifted
    population or a silent preprocessing change keep every SLO green. Latency and error rate say
    the service works; only business and quality signals say the model does.

    ## Example
    ```yaml
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
    ```

    ## Use instead
    ```yaml
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
        business:
          - name: approval-rate
            query: sum(rate(fraud_decisions_total{decision="approve"}[1h])) / sum(rate(fraud_decisions_total[1h]))
            min: 0.85
    ```
    """
    for name, monitor in ctx.spec.monitoring.items():
        if monitor.slo and not monitor.business and not monitor.drift and not monitor.ground_truth:
            yield Problem(("monitoring", name, "slo"), f"endpoint {name!r} is monitored by technical SLOs only: a "
                          "model that is wrong but fast stays green", at="key",
                          hint="add a business metric (monitoring.*.business) or a model-quality signal (drift, "
                               "ground_truth)")


@rule("MON002", "retrain-on-drift-only", "warning",
      "Retraining triggers on drift with no cooldown, no cost bound and no performance gate.")
def retrain_on_drift_only(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags retraining policies that trigger on `drift_above` with no `cooldown`, no
    `max_monthly_cost` and no performance gate (`when.performance_drop`).

    ## Why is this bad?
    Drift is not degradation: seasonal traffic, a marketing campaign or a broken upstream
    pipeline all look like drift. Retraining on every drift alert burns GPU hours in a loop,
    can train on the broken data itself, and replaces a model that was still performing well.

    ## Example
    ```yaml
    monitoring:
      fraud-api:
        retraining:
          pipeline: train-fraud
          when: {drift_above: 0.3}
    ```

    ## Use instead
    ```yaml
    monitoring:
      fraud-api:
        retraining:
          pipeline: train-fraud
          when: {drift_above: 0.3, performance_drop: 5%}
          cooldown: 7d
          max_monthly_cost: 500
    ```
    """
    for name, monitor in ctx.spec.monitoring.items():
        retrain = monitor.retraining
        if (retrain and retrain.when.drift_above is not None and retrain.cooldown is None
                and retrain.max_monthly_cost is None and retrain.when.performance_drop is None):
            yield Problem(("monitoring", name, "retraining", "when", "drift_above"), f"endpoint {name!r} retrains "
                          "whenever drift exceeds the threshold, with no cooldown, cost bound or performance gate",
                          hint="add retraining.cooldown, retraining.max_monthly_cost or when.performance_drop")


class GroundTruthOptions(RuleOptions):
    performance_window: Duration = Field(default=Duration.parse("7d"),
                                         description="Window over which a performance drop is measured.")


@rule("MON003", "ground-truth-delay-unhandled", "warning",
      "Labels arrive later than the retraining cooldown or the performance window and no estimation method "
      "(`cbpe`, `dle`) is set.", options=GroundTruthOptions)
def ground_truth_delay_unhandled(ctx: Context, options: GroundTruthOptions) -> Iterator[Problem]:
    """## What it does
    For endpoints that retrain, compares `ground_truth.delay` with the retraining `cooldown` and,
    when retraining is gated on `performance_drop`, with `performance_window` (7d). If labels
    arrive later and `ground_truth.estimation` is `none`, it flags the delay.

    ## Why is this bad?
    A performance gate needs labels. If they arrive after the cooldown or the performance window,
    every decision is taken on data that has no labels yet: the gate measures nothing, and a
    degraded model is noticed weeks late. Performance estimation (CBPE, DLE) estimates quality
    from the model's outputs until the labels arrive.

    ## Example
    ```yaml
    monitoring:
      fraud-api:
        ground_truth: {delay: 30d}
        retraining:
          pipeline: train-fraud
          when: {performance_drop: 5%}
          cooldown: 7d
    ```

    ## Use instead
    ```yaml
    monitoring:
      fraud-api:
        ground_truth: {delay: 30d, estimation: cbpe}
        retraining:
          pipeline: train-fraud
          when: {performance_drop: 5%}
          cooldown: 7d
    ```
    """
    for name, monitor in ctx.spec.monitoring.items():
        truth, retrain = monitor.ground_truth, monitor.retraining
        if truth is None or retrain is None or truth.estimation != "none":
            continue
        late = []
        if retrain.cooldown is not None and truth.delay.seconds > retrain.cooldown.seconds:
            late.append(f"the retraining cooldown ({retrain.cooldown})")
        if retrain.when.performance_drop is not None and truth.delay.seconds > options.performance_window.seconds:
            late.append(f"the performance window ({options.performance_window})")
        if late:
            yield Problem(("monitoring", name, "ground_truth", "delay"), f"labels of endpoint {name!r} arrive after "
                          f"{truth.delay}, later than {' and '.join(late)}, and no performance estimation is set",
                          hint="set ground_truth.estimation: cbpe (classification) or dle (regression)")


@rule("MON004", "drift-without-data-quality", "warning",
      "Drift is monitored with no data-quality / freshness check upstream.")
def drift_without_data_quality(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags monitoring entries with `drift` but no `data_quality` (a data `contract` or a
    `freshness` bound) checked before each drift run.

    ## Why is this bad?
    Most "drift" is a broken pipeline: a column full of nulls, a unit change, a stale partition.
    Without a data-quality check upstream, those page the team as model drift, and a retraining
    on drift trains the next model on the broken data.

    ## Example
    ```yaml
    monitoring:
      fraud-api:
        drift: {command: [python, -m, fraud.drift], features: [amount], threshold: 0.2}
    ```

    ## Use instead
    ```yaml
    monitoring:
      fraud-api:
        drift: {command: [python, -m, fraud.drift], features: [amount], threshold: 0.2}
        data_quality: {contract: contracts/transactions.yaml, freshness: 2h}
    ```
    """
    for name, monitor in ctx.spec.monitoring.items():
        quality = monitor.data_quality
        if monitor.drift and (quality is None or (quality.contract is None and quality.freshness is None)):
            yield Problem(("monitoring", name, "drift"), f"endpoint {name!r} monitors drift with no data-quality "
                          "check upstream: pipeline breakage will page as drift", at="key",
                          hint="add data_quality with a contract and/or a freshness bound")


@rule("MON005", "unmonitored-endpoint", "warning", "A serving endpoint has no monitoring entry.")
def unmonitored_endpoint(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags serving endpoints without a `monitoring.<endpoint>` entry.

    ## Why is this bad?
    An endpoint without monitoring fails silently: no SLO alert, no business metric, no drift
    check. The first person to notice it is a customer.

    ## Example
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
    ```
    """
    for name in ctx.spec.serving:
        if name not in ctx.spec.monitoring:
            yield Problem(("serving", name), f"endpoint {name!r} has no monitoring entry", at="key",
                          hint=f"add monitoring.{name} with SLOs and a business metric")


@rule("MON006", "slo-unmeasurable", "warning",
      "An SLO reads a metric that nothing exports for the endpoint's model server and serving mode.")
def slo_unmeasurable(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks each `latency_p99`, `error_rate` and LLM SLO (`time_to_first_token_p99`,
    `time_per_output_token_p99`, `queue_depth`: vLLM's series) against the metric contract
    (docs/metric-contract.md): which series the endpoint's model server exports and which the
    serving layer in front of it adds. It flags an SLO that no exported series can measure.

    ## Why is this bad?
    An alert on a metric nobody exports never fires: the SLO looks watched and is not. KServe's
    Python model server exports latency histograms but no request counter or status code, so an
    error-rate SLO has nothing to count unless a proxy in front of the pods counts requests (the
    KEDA HTTP add-on's interceptor, which fronts endpoints that autoscale on concurrency or rps, or
    Knative's queue-proxy when its request metrics are exported). TorchServe, Triton and MLServer
    export no latency histogram the contract knows. The compiler leaves such an SLO out of the
    PrometheusRule (and names it in the `mlops.dev/unmeasured-slos` annotation).

    ## Example
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, autoscale: {metric: cpu, target: 70}}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, autoscale: {metric: concurrency, target: 8}}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
    ```
    """
    for name, monitor in ctx.spec.monitoring.items():
        if monitor.slo is None or name not in ctx.spec.serving:
            continue
        for field in metric_contract.MEASURED_SLOS:
            if getattr(monitor.slo, field) is None:
                continue
            why = metric_contract.why_unmeasurable(ctx.spec, name, field)
            if why:
                yield Problem(("monitoring", name, "slo", field), f"the {field} SLO of endpoint {name!r} cannot be "
                              f"measured: {why}; no alert is generated for it", at="key",
                              hint=metric_contract.unmeasurable_hint(ctx.spec, name, field))


@rule("MON007", "alerts-unrouted", "warning",
      "An endpoint's alerts name a receiver that `platform.alerts.receivers` does not define.")
def alerts_unrouted(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    When `platform.alerts.receivers` is set, checks that every monitored endpoint's alerts go to
    one of them: its `alerts.receiver`, or else the system's `metadata.owner`.

    ## Why is this bad?
    The generated AlertmanagerConfig routes each alert by its `receiver` label. An alert labelled
    with a receiver nobody defined falls through to the owner's receiver if there is one, else to
    the cluster's default route, which in kube-prometheus-stack is a receiver that drops it.

    ## Example
    ```yaml
    metadata: {name: fraud, namespace: fraud-ml, owner: team-risk}
    platform:
      alerts:
        receivers:
          pagerduty-risk: {pagerduty: {secret: alerting/pd-key}}
    monitoring:
      fraud-api:
        slo: {availability: 99.9%}
    ```

    ## Use instead
    ```yaml
    monitoring:
      fraud-api:
        slo: {availability: 99.9%}
        alerts: {receiver: pagerduty-risk}
    ```
    """
    receivers = ctx.spec.platform.alerts.receivers
    if not receivers:
        return
    owner = ctx.spec.metadata.owner
    for name, monitor in ctx.spec.monitoring.items():
        if monitor.alerts.receiver is not None:
            continue
        if owner not in receivers:
            who = f"the owner {owner!r}" if owner else "no owner"
            yield Problem(("monitoring", name), f"the alerts of endpoint {name!r} name no receiver and {who} is not "
                          f"one of platform.alerts.receivers: they reach only the cluster's default route", at="key",
                          hint=f"set monitoring.{name}.alerts.receiver to one of: {', '.join(sorted(receivers))}")


@rule("MON008", "retraining-budget-spent-by-schedule", "warning",
      "The training pipeline's own schedule (plus one retraining) already costs more per month than the "
      "retraining gate's `max_monthly_cost`, so the gate can never retrain.")
def retraining_budget_spent_by_schedule(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every `retraining` with a `max_monthly_cost`, estimates what the training pipeline costs
    per month on its own schedule (runs per month of its cron schedules x the cost of one run:
    each step at the hourly price of the whole node Karpenter launches for it, for its `timeout`,
    1 h without one; `compiler/plan/costs.py`) and flags the budget when that plus one more run
    does not fit in it.

    ## Why is this bad?
    The retraining gate counts every run of the pipeline this month, scheduled ones included,
    against `max_monthly_cost`. When the schedule alone spends the budget, the gate holds for
    cost on every drift alarm: the loop looks configured and never acts, and nobody notices until
    the model has been stale for weeks.

    ## Example
    ```yaml
    pipelines:
      train-fraud:
        schedule: "0 3 * * *"           # 30 runs a month on an 8-GPU node for 6 h: about $5,000
        steps: {train: {resources: {gpu: 1, pool: gpu-train}, timeout: 6h}}
    monitoring:
      fraud-api:
        retraining: {pipeline: train-fraud, when: {drift_above: 0.3}, max_monthly_cost: 500}
    ```

    ## Use instead
    ```yaml
    pipelines:
      train-fraud:
        schedule: "0 3 * * 0"           # weekly: about $716 a month
        steps: {train: {resources: {gpu: 1, pool: gpu-train}, timeout: 6h}}
    monitoring:
      fraud-api:
        retraining: {pipeline: train-fraud, when: {drift_above: 0.3}, max_monthly_cost: 1500}
    ```
    """
    from ...plan.costs import run_cost
    from ...spec.schedule import runs_per_month

    for name, monitor in ctx.spec.monitoring.items():
        retraining = monitor.retraining
        if retraining is None or retraining.max_monthly_cost is None:
            continue
        pipeline = ctx.spec.pipelines.get(retraining.pipeline)
        if pipeline is None:
            continue
        cost = run_cost(ctx.spec, retraining.pipeline)
        if cost <= 0:
            continue  # no priced step: nothing to compare (the plan says which pools have no price)
        runs = sum(runs_per_month(schedule) for schedule in pipeline.schedules)
        scheduled = runs * cost
        budget = retraining.max_monthly_cost
        if scheduled + cost <= budget:
            continue
        spent = (f"pipelines.{retraining.pipeline}'s schedule already spends about ${scheduled:,.0f} a month "
                 f"({runs:.1f} runs at about ${cost:,.2f})" if runs else
                 f"one run of pipelines.{retraining.pipeline} costs about ${cost:,.2f}")
        yield Problem(("monitoring", name, "retraining", "max_monthly_cost"),
                      f"{spent}, so within max_monthly_cost ${budget:,.0f} the retraining gate can never submit "
                      "a retraining",
                      hint=f"raise max_monthly_cost to at least {int(scheduled + cost) + 1}, or schedule "
                           f"pipelines.{retraining.pipeline} less often")

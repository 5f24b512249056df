"""Semantic checks the models cannot make alone: references resolve, DAGs are acyclic, names fit."""
from __future__ import annotations

import difflib
from collections.abc import Iterable

from .diagnostics import DiagnosticBag
from .naming import BUDGETS, DAG_TEMPLATE, colliding_names, derived_name, derived_names, has_monitor_jobs
from .source_map import SourceMap
from .spec import Spec
from .validation import dotted


def check_references(spec: Spec, source_map: SourceMap, env: str | None = None) -> None:
    """Raise SpecError with every dangling reference, cycle and over-long derived name (in environment `env`)."""
    bag = DiagnosticBag()
    ref = _Resolver(bag, source_map)
    runtimes, models, pools = spec.runtimes, spec.models, spec.node_pools
    views = spec.features.views

    for name, model in spec.models.items():
        ref.check(("models", name, "preprocessing"), model.preprocessing, spec.preprocessing, "preprocessing")
        for i, view in enumerate(model.features):
            ref.check(("models", name, "features", i), view, views, "feature view")

    for name, pipeline in spec.pipelines.items():
        base = ("pipelines", name)
        ref.check(base + ("runtime",), pipeline.runtime, runtimes, "runtime")
        for step_name, step in pipeline.steps.items():
            here = base + ("steps", step_name)
            ref.check(here + ("runtime",), step.runtime, runtimes, "runtime")
            ref.check(here + ("preprocessing",), step.preprocessing, spec.preprocessing, "preprocessing")
            ref.check(here + ("registers",), step.registers, models, "model")
            ref.check(here + ("resources", "pool"), step.resources.pool, pools, "node pool")
            if step.features:
                for i, view in enumerate(step.features.views):
                    ref.check(here + ("features", "views", i), view, views, "feature view")
            for i, before in enumerate(step.after):
                ref.check(here + ("after", i), before, pipeline.steps, f"step of pipeline {name!r}")
        _check_step_names(name, pipeline, bag, source_map)
        _check_dag(name, pipeline, bag, source_map)

    for name, endpoint in spec.serving.items():
        here = ("serving", name)
        ref.check(here + ("model",), endpoint.model, models, "model")
        ref.check(here + ("runtime",), endpoint.runtime, runtimes, "runtime")
        ref.check(here + ("resources", "pool"), endpoint.resources.pool, pools, "node pool")

    if spec.platform.prices:
        _check_price_keys(spec, ref)

    receivers = spec.platform.alerts.receivers
    for name, monitor in spec.monitoring.items():
        here = ("monitoring", name)
        if name not in spec.serving:
            ref.missing(here, name, spec.serving, "serving endpoint", key=True)
        if monitor.drift:
            ref.check(here + ("drift", "runtime"), monitor.drift.runtime, runtimes, "runtime")
        if monitor.retraining:
            ref.check(here + ("retraining", "pipeline"), monitor.retraining.pipeline, spec.pipelines, "pipeline")
        truth = monitor.ground_truth
        if truth is not None and truth.estimation != "none" and not (monitor.drift and monitor.drift.source):
            path = here + ("ground_truth", "estimation")
            bag.add(source_map.value(path), f"{dotted(path)}: {truth.estimation} estimates performance from the "
                    f"current window, which is read from {dotted(here + ('drift', 'source'))}, and there is none",
                    path, hint="add drift: {features: [...], threshold: ..., source: {path: ..., format: ...}}, "
                               "or set estimation: none")
        ref.check(here + ("alerts", "receiver"), monitor.alerts.receiver, receivers, "alert receiver")

    _check_egress_pods(spec, bag, source_map)
    _check_name_budgets(spec, bag, source_map, env)
    _check_name_collisions(spec, bag, source_map)
    bag.raise_if_any()


def _check_egress_pods(spec: Spec, bag: DiagnosticBag, source_map: SourceMap) -> None:
    """A `network.egress` rule lands in the NetworkPolicy of the roles it names: one naming only roles the
    system does not run would be written nowhere."""
    running = {"serving": bool(spec.serving), "pipelines": bool(spec.pipelines),
               "monitoring": any(has_monitor_jobs(m) for m in spec.monitoring.values())}
    for index, rule in enumerate(spec.network.egress):
        if not any(running[role] for role in rule.pods):
            path = ("network", "egress", index, "pods")
            bag.add(source_map.value(path), f"{dotted(path)}: the system runs no {' or '.join(rule.pods)} pods, so "
                    "this rule would be written into no NetworkPolicy", path,
                    hint="running: " + (", ".join(r for r, on in running.items() if on) or "none"))


class _Resolver:
    def __init__(self, bag: DiagnosticBag, source_map: SourceMap):
        self.bag = bag
        self.map = source_map

    def check(self, path: tuple, name: str | None, known: Iterable[str], what: str) -> None:
        if name is not None and name not in known:
            self.missing(path, name, known, what)

    def missing(self, path: tuple, name: str, known: Iterable[str], what: str, key: bool = False) -> None:
        choices = sorted(known)
        message = f"{dotted(path)}: unknown {what} {name!r}"
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        hint = f"known: {', '.join(choices)}" if choices else f"no {what} is defined"
        position = self.map.key(path) if key else self.map.value(path)
        self.bag.add(position, message, path, hint)


def _check_price_keys(spec: Spec, ref: "_Resolver") -> None:
    """A price key the cost estimate never reads (`h100` for `h100-80gb`) would silently price nothing."""
    from . import gpu_catalogue, instance_types

    named = {t for pool in spec.node_pools.values() for t in pool.instance_types}
    for key in spec.platform.prices:
        if key in gpu_catalogue.ACCELERATORS or key in named or instance_types.get(key) is not None:
            continue
        ref.missing(("platform", "prices", key), key, [*gpu_catalogue.ACCELERATORS, *sorted(named)],
                    "price key (an accelerator, or an instance type of a node pool)", key=True)


def _check_step_names(name: str, pipeline, bag: DiagnosticBag, source_map: SourceMap) -> None:
    """What Argo's validator refuses in DAG task and template names (workflow/validate/validate.go: validateDAG,
    validateWorkflowFieldNames): a task with dependencies named with a leading digit, and a second template
    named like the DAG template the steps are listed in."""
    for step_name, step in pipeline.steps.items():
        path = ("pipelines", name, "steps", step_name)
        if step_name == DAG_TEMPLATE:
            bag.add(source_map.key(path), f"pipelines.{name}.steps.{step_name}: a step cannot be named {DAG_TEMPLATE!r}: the "
                    f"workflow's DAG template has that name, and Argo refuses two templates with one name", path,
                    hint=f"rename the step, e.g. {DAG_TEMPLATE}-step")
        elif step.after and step_name[0].isdigit():
            bag.add(source_map.key(path), f"pipelines.{name}.steps.{step_name}: a step with `after` cannot start with "
                    "a digit: Argo refuses DAG tasks with dependencies whose name begins with one", path,
                    hint=f"rename it, e.g. step-{step_name}")


def _check_dag(name: str, pipeline, bag: DiagnosticBag, source_map: SourceMap) -> None:
    """Depth-first search in declaration order; the edge that reaches a step on the stack closes a cycle."""
    state: dict[str, str] = {}
    stack: list[str] = []
    steps = pipeline.steps

    def visit(step: str) -> bool:
        state[step] = "open"
        stack.append(step)
        for i, before in enumerate(steps[step].after):
            if before not in steps:
                continue
            if state.get(before) == "open":
                cycle = stack[stack.index(before):] + [before]
                path = ("pipelines", name, "steps", step, "after", i)
                bag.add(source_map.value(path), f"pipelines.{name}: steps form a cycle: "
                        + " -> ".join(reversed(cycle)), path,
                        hint=f"remove {before!r} from the `after` of {step!r} or break the loop elsewhere")
                return True
            if before not in state and visit(before):
                return True
        stack.pop()
        state[step] = "done"
        return False

    for step in steps:
        if step not in state and visit(step):
            return


def _check_name_budgets(spec: Spec, bag: DiagnosticBag, source_map: SourceMap, env: str | None) -> None:
    system = spec.metadata.name
    for budget in BUDGETS:
        entries = getattr(spec, budget.section)
        if budget.section == "monitoring":
            entries = {k: v for k, v in entries.items() if has_monitor_jobs(v)}
        for key in entries:
            derived = derived_name(budget, system, env, key)
            if len(derived) > budget.limit:
                path = (budget.section, key)
                over = len(derived) - budget.limit
                bag.add(source_map.key(path), f"{dotted(path)}: the {budget.kind} name {derived!r} is {len(derived)} "
                        f"characters; {budget.why} (limit {budget.limit})", path,
                        hint=f"shorten {key!r} or metadata.name {system!r}"
                             + (f" (or the environment name {env!r})" if env and budget.cluster_scoped else "")
                             + f" by {over} character{'s' * (over > 1)}")


def _check_name_collisions(spec: Spec, bag: DiagnosticBag, source_map: SourceMap) -> None:
    for kind, name, first, second in colliding_names(derived_names(spec)):
        bag.add(source_map.key(second), f"{dotted(second)}: its {kind} {name!r} has the same name as the {kind} "
                f"of {dotted(first)} (line {source_map.key(first).line}); one would replace the other in the cluster",
                second,
                hint=f"rename one of them (the {kind} name is <metadata.name>-<key><suffix>)")

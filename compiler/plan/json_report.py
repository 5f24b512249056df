"""The plan as JSON for bots: the same content as the Markdown, in a stable, documented shape.

The schema is described in docs/plan-json.md; `"schema": "mlops-plan/v1"` names it. Within v1,
fields are only ever added. Key order is fixed by this module and every list is sorted, so the
same plan always serialises to the same bytes.
"""
from __future__ import annotations

from typing import Any

from .costs import HOURS_PER_MONTH, PRICE_DATE, CostLine, PoolCost, totals
from .object_diff import MISSING
from .report import EnvironmentPlan, LintItem, ModelChange, ModelSide, Plan, ResourceChange
from .revisions import Revision

SCHEMA = "mlops-plan/v1"


def _value(value: Any) -> Any:
    return None if value is MISSING else value


def _revision(revision: Revision) -> dict:
    return {"label": revision.label, "ref": revision.ref, "commit": revision.commit, "exists": revision.spec is not None}


def _position(position) -> dict | None:
    if position is None:
        return None
    return {"file": position.file, "line": position.line, "col": position.col}


def _resource(resource: ResourceChange) -> dict:
    return {
        "action": resource.action,
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "namespace": resource.namespace or None,
        "name": resource.name,
        "component": resource.component,
        "spec_path": resource.spec_path,
        "why": list(resource.why),
        "overrides": list(resource.overrides),
        "changes": [{"path": c.dotted, "old": _value(c.old), "new": _value(c.new),
                     "kind": "added" if c.old is MISSING else "removed" if c.new is MISSING else "changed"}
                    for c in resource.changes],
        "diff": "\n".join(resource.diff) + "\n",
    }


def _model_side(side: ModelSide | None) -> dict | None:
    if side is None:
        return None
    return {"registry_name": side.registry_name, "version": side.version, "alias": side.alias,
            "pinned_by": side.pinned_by, "artifact_uri": side.artifact_uri, "lineage": dict(side.lineage),
            "lineage_source": dict(side.lineage_source)}


def _model(change: ModelChange) -> dict:
    return {"model": change.model, "endpoints": list(change.endpoints), "before": _model_side(change.before),
            "after": _model_side(change.after), "version_moves": change.moves, "details": list(change.details)}


def _finding(item: LintItem) -> dict:
    return {"code": item.code, "name": item.name, "severity": item.severity, "spec_path": item.path,
            "message": item.message, "position": _position(item.position)}


def _pool(cost: PoolCost | None) -> dict | None:
    if cost is None:
        return None
    return {"accelerator": cost.accelerator, "gpus_per_node": cost.gpus_per_node, "capacity": cost.capacity,
            "nodes": {"min": cost.nodes_min, "max": cost.nodes_max},
            "gpus": {"min": cost.gpus_min, "max": cost.gpus_max},
            "price_per_node_hour": None if cost.price.per_node_hour is None else round(cost.price.per_node_hour, 6),
            "price_source": cost.price.source, "price_basis": cost.price.basis,
            "floor_nodes": cost.floor_nodes, "drivers": list(cost.drivers),
            "monthly": {"min": cost.monthly_min, "max": cost.monthly_max}}


def _cost_line(line: CostLine) -> dict:
    low, high = line.delta()
    return {"pool": line.pool, "changed": line.changed, "before": _pool(line.before), "after": _pool(line.after),
            "delta": {"min": low, "max": high}}


def _costs(lines: list[CostLine]) -> dict:
    before, after = totals(lines, "before"), totals(lines, "after")
    return {
        "currency": "USD", "hours_per_month": HOURS_PER_MONTH, "price_date": PRICE_DATE,
        "pools": [_cost_line(line) for line in lines],
        "total": {"before": {"min": before[0], "max": before[1], "unknown_pools": before[2]},
                  "after": {"min": after[0], "max": after[1], "unknown_pools": after[2]},
                  "delta": {"min": round(after[0] - before[0], 2), "max": round(after[1] - before[1], 2)}},
    }


def _environment(environment: EnvironmentPlan) -> dict:
    return {
        "env": environment.env,
        "has_changes": environment.has_changes,
        "summary": {"added": environment.count("added"), "changed": environment.count("changed"),
                    "removed": environment.count("removed"), "unchanged": environment.unchanged,
                    "by_component": environment.by_component()},
        "notes": list(environment.notes),
        "spec_changes": [{"path": c.dotted, "old": _value(c.old), "new": _value(c.new),
                          "position": _position(c.position)} for c in environment.spec_changes],
        "resources": [_resource(r) for r in environment.resources],
        "models": [_model(m) for m in environment.models],
        "destructive": [{"kind": d.kind, "name": d.name, "reason": d.reason} for d in environment.destructive],
        "lint": {"introduced": [_finding(i) for i in environment.lint_introduced],
                 "resolved": [_finding(i) for i in environment.lint_resolved]},
        "costs": _costs(environment.costs),
        "pipelines": [{"name": d.name, "action": d.action, "steps": dict(d.steps), "mermaid": d.mermaid}
                      for d in environment.pipelines],
    }


def to_data(plan: Plan) -> dict:
    return {"schema": SCHEMA, "spec": plan.spec, "base": _revision(plan.base), "head": _revision(plan.head),
            "has_changes": plan.has_changes, "environments": [_environment(e) for e in plan.environments]}


def render(plan: Plan) -> str:
    from ..escaping.terminal import json_dumps

    return json_dumps(to_data(plan), indent=2, ensure_ascii=False, default=str) + "\n"

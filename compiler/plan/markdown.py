"""The plan as GitHub-flavoured Markdown, for a PR comment.

Order: headline (counts, model moves, lint delta, cost), counts per component, spec changes (the
why), the resource table, one collapsed diff per resource, model versions, lint delta, GPU cost,
pipeline diagrams. A PR comment holds at most 65,536 characters: past MAX_CHARS the remaining
resource diffs are left out (the table still lists every resource) and the comment says so.
"""
from __future__ import annotations

from .costs import HOURS_PER_MONTH, PRICE_DATE, CostLine, PoolCost, signed_usd, totals, usd
from .report import EnvironmentPlan, LintItem, ModelChange, Plan, ResourceChange

#: Leave room under GitHub's 65,536-character comment limit for the marker and a lint summary.
MAX_CHARS = 60_000
SYMBOL = {"added": "+", "changed": "~", "removed": "-"}
MAX_CELL = 80


def _code(text: object) -> str:
    """Inline code that survives backticks and pipes inside a table cell."""
    value = str(text).replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _value(value: object) -> str:
    from .object_diff import MISSING
    from .yaml_diff import scalar

    if value is MISSING:
        return "—"
    if isinstance(value, dict) and value:
        return "*(entry)*"
    if isinstance(value, (dict, list)):
        import json

        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = scalar(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - 1] + "…"
    return _code(text)


def _resource_name(resource: ResourceChange) -> str:
    return f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name


def render(plan: Plan) -> str:
    parts = [f"## mlops plan: {_code(plan.spec)}", "",
             f"Comparing **{_cell(plan.base.label)}** → **{_cell(plan.head.label)}**"
             + (f", environments: {', '.join(_code(e.name) for e in plan.environments)}"
                if len(plan.environments) > 1 else f", environment {_code(plan.environments[0].name)}") + ".", ""]
    budget = [MAX_CHARS - sum(len(p) + 1 for p in parts)]
    several = len(plan.environments) > 1
    for environment in plan.environments:
        parts += _environment(environment, several, budget)
    return "\n".join(parts).rstrip() + "\n"


def headline(environment: EnvironmentPlan) -> str:
    if not environment.has_changes:
        return (f"**No changes.** The spec compiles to the same {environment.unchanged} objects; no model "
                "version moves, no lint finding appears or goes, and the pools cost the same.")
    text = (f"**Plan: {environment.count('added')} to add, {environment.count('changed')} to change, "
            f"{environment.count('removed')} to remove** ({environment.unchanged} unchanged)")
    if environment.models:
        moved = len(environment.models)
        text += f" · {moved} model version{'s' if moved != 1 else ''} move{'s' if moved == 1 else ''}"
    if environment.lint_introduced or environment.lint_resolved:
        text += f" · lint: {len(environment.lint_introduced)} introduced, {len(environment.lint_resolved)} resolved"
    if environment.cost_changed:
        low_before, high_before, _ = totals(environment.costs, "before")
        low_after, high_after, _ = totals(environment.costs, "after")
        text += (f" · GPU cost: {usd(low_before)}–{usd(high_before)} → {usd(low_after)}–{usd(high_after)} per month "
                 f"({signed_usd(round(low_after - low_before, 2))} / {signed_usd(round(high_after - high_before, 2))})")
    return text


def _environment(environment: EnvironmentPlan, several: bool, budget: list[int]) -> list[str]:
    level = "###"
    out: list[str] = []
    if several:
        out += [f"## Environment {_code(environment.name)}", ""]
    out += [headline(environment), ""]
    out += [f"> {note}" for note in environment.notes]
    if environment.notes:
        out.append("")
    if environment.resources:
        out += ["| component | add | change | remove |", "|---|--:|--:|--:|"]
        for component, row in environment.by_component().items():
            out.append(f"| {_cell(component)} | {row['added'] or '·'} | {row['changed'] or '·'} | "
                       f"{row['removed'] or '·'} |")
        out.append("")
    if environment.spec_changes:
        out += _spec_changes(environment, level)
    if environment.resources:
        out += _resources(environment, level, budget)
    if environment.models:
        out += _models(environment.models, level)
    if environment.lint_introduced or environment.lint_resolved:
        out += _lint(environment, level)
    if environment.costs and (environment.cost_changed or environment.has_changes):
        out += _costs(environment.costs, level)
    if environment.pipelines:
        out += _pipelines(environment, level)
    return out


def _spec_changes(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} Spec changes", "", "| spec path | before | after | where |", "|---|---|---|---|"]
    for change in environment.spec_changes:
        where = f"{change.position}" if change.position else ""
        out.append(f"| {_code(change.dotted)} | {_value(change.old)} | {_value(change.new)} | {_cell(where)} |")
    return out + [""]


def _resources(environment: EnvironmentPlan, level: str, budget: list[int]) -> list[str]:
    out = [f"{level} Resources", "", "| | kind | name | from | why |", "|---|---|---|---|---|"]
    for resource in environment.resources:
        why = ", ".join(resource.why) if resource.why else ("new" if resource.action == "added" else
                                                            "no longer generated" if resource.action == "removed"
                                                            else "follows from the changes above")
        out.append(f"| {_code(SYMBOL[resource.action])} | {resource.kind} | {_code(_resource_name(resource))} | "
                   f"{_code(resource.spec_path) if resource.spec_path else ''} | {_cell(why)} |")
    out.append("")
    budget[0] -= sum(len(line) + 1 for line in out)
    skipped = 0
    for resource in environment.resources:
        block = _details(resource)
        size = sum(len(line) + 1 for line in block)
        if size > budget[0]:
            skipped += 1
            continue
        budget[0] -= size
        out += block
    if skipped:
        out += [f"> {skipped} resource diff{'s' if skipped != 1 else ''} left out to keep this comment under "
                "GitHub's size limit; run `mlops plan` locally or read the JSON report for all of them.", ""]
    return out


def _details(resource: ResourceChange) -> list[str]:
    if resource.action == "changed":
        count = len(resource.changes)
        what = f"{count} field{'s' if count != 1 else ''} changed"
    else:
        what = "new object" if resource.action == "added" else "deleted"
    summary = (f"<code>{SYMBOL[resource.action]} {resource.kind} {_resource_name(resource)}</code> — {what}")
    return ["<details>", f"<summary>{summary}</summary>", "", "```diff", *resource.diff, "```", "", "</details>", ""]


def _models(models: list[ModelChange], level: str) -> list[str]:
    out = [f"{level} Model versions", "", "| model | served by | before | after | lineage |", "|---|---|---|---|---|"]
    for change in models:
        before = change.before.label if change.before else "—"
        after = change.after.label if change.after else "—"
        if change.before and change.after and change.before.pinned_by != change.after.pinned_by:
            before += f" ({change.before.pinned_by})"
            after += f" ({change.after.pinned_by})"
        lineage = []
        keys = (change.after or change.before).lineage  # type: ignore[union-attr]
        for key in keys:
            old = change.before.lineage.get(key) if change.before else None
            new = change.after.lineage.get(key) if change.after else None
            if old == new:
                lineage.append(f"{key}: {_code(new) if new else 'unknown'}")
            else:
                lineage.append(f"{key}: {_code(old) if old else 'unknown'} → {_code(new) if new else 'unknown'}")
        endpoints = ", ".join(_code(e) for e in change.endpoints) or "—"
        out.append(f"| {_code(change.model)} | {endpoints} | {_cell(before)} | {_cell(after)} | {'<br>'.join(lineage)} |")
    details = [(change.model, d) for change in models for d in change.details]
    if details:
        out.append("")
        out += [f"- {_code(model)}: {_cell(detail)}" for model, detail in details]
    return out + [""]


def _lint_rows(items: list[LintItem]) -> list[str]:
    out = ["| code | severity | spec path | where | message |", "|---|---|---|---|---|"]
    for item in items:
        out.append(f"| {_code(item.code)} {_cell(item.name)} | {item.severity} | {_code(item.path)} | "
                   f"{_cell(item.position)} | {_cell(item.message)} |")
    return out


def _lint(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} Lint", ""]
    if environment.lint_introduced:
        out += [f"**Introduced by this change ({len(environment.lint_introduced)})**", ""]
        out += _lint_rows(environment.lint_introduced) + [""]
    if environment.lint_resolved:
        out += [f"**Resolved by this change ({len(environment.lint_resolved)})**", ""]
        out += _lint_rows(environment.lint_resolved) + [""]
    return out


def _gpus(cost: PoolCost | None) -> str:
    if cost is None:
        return "—"
    if not cost.gpus_per_node:
        return f"{cost.nodes_min}–{cost.nodes_max} nodes"
    return f"{cost.gpus_min}–{cost.gpus_max} ({cost.nodes_min}–{cost.nodes_max} × {cost.gpus_per_node})"


def _range(cost: PoolCost | None) -> str:
    if cost is None:
        return "—"
    if cost.monthly_min is None:
        return "unknown"
    return f"{usd(cost.monthly_min)}–{usd(cost.monthly_max)}"


def _costs(lines: list[CostLine], level: str) -> list[str]:
    out = [f"{level} GPU cost (node pools, USD per month at {HOURS_PER_MONTH} h)", "",
           "| pool | GPUs (nodes × per node) | price | before | after | Δ at min | Δ at max |",
           "|---|---|---|--:|--:|--:|--:|"]
    spot = False
    for line in lines:
        current = line.after or line.before
        assert current is not None
        spot = spot or current.capacity == "spot"
        gpus = _gpus(line.after or line.before)
        if line.before and line.after and _gpus(line.before) != _gpus(line.after):
            gpus = f"{_gpus(line.before)} → {_gpus(line.after)}"
        kind = current.accelerator or "CPU"
        price = f"{current.price.basis} ({current.price.source})" + (", spot" if current.capacity == "spot" else "")
        low, high = line.delta()
        name = f"**{line.pool}**" if line.changed else line.pool
        out.append(f"| {name} ({kind}) | {gpus} | {_cell(price)} | {_range(line.before)} | {_range(line.after)} | "
                   f"{signed_usd(low) if line.changed else '·'} | {signed_usd(high) if line.changed else '·'} |")
    low_before, high_before, unknown_before = totals(lines, "before")
    low_after, high_after, unknown_after = totals(lines, "after")
    out.append(f"| **total** | | | {usd(low_before)}–{usd(high_before)} | {usd(low_after)}–{usd(high_after)} | "
               f"**{signed_usd(round(low_after - low_before, 2))}** | **{signed_usd(round(high_after - high_before, 2))}** |")
    out.append("")
    notes = [f"Prices are on-demand estimates (AWS us-east-1, {PRICE_DATE}, see `compiler/gpu_catalogue.py`) "
             "unless `platform.prices` overrides them; min–max follows `nodes.min`…`nodes.max`."]
    if spot:
        notes.append("Spot pools are priced at the on-demand rate: an upper bound.")
    if unknown_before or unknown_after:
        notes.append("Pools with an unknown price are left out of the totals; price them with `platform.prices`.")
    return out + [" ".join(notes), ""]


def _pipelines(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} Pipelines", ""]
    for diagram in environment.pipelines:
        steps = ", ".join(f"{_code(step)} {action}" for step, action in diagram.steps.items())
        out += [f"**{diagram.name}** ({diagram.action}{': ' + steps if steps and diagram.action == 'changed' else ''})",
                "", "```mermaid", diagram.mermaid.rstrip(), "```", ""]
    return out

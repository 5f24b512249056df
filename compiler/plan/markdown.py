"""The plan as GitHub-flavoured Markdown, for a PR comment.

Order: headline (counts, model moves, lint delta, cost), counts per component, spec changes (the
why), the resource table, one collapsed diff per resource, model versions, lint delta, GPU cost,
pipeline diagrams. Every string that comes from the spec, its file name, the lock, a lint message
or a git ref reaches the Markdown only through `compiler/escaping/markdown.py` (`code` for names
and values, `text` for prose, `html` inside the `<summary>`, `fence` for diffs and diagrams); the
writer's own syntax is the only Markdown and HTML in the comment. A PR comment holds at most
65,536 characters: past MAX_CHARS the remaining resource diffs are left out (the table still lists
every resource) and the comment says so.
"""
from __future__ import annotations

from ..escaping import markdown as md
from .costs import HOURS_PER_MONTH, PRICE_DATE, PRICE_DATES, CostLine, PoolCost, signed_usd, totals, usd
from .report import EnvironmentPlan, LintItem, ModelChange, Plan, ResourceChange

#: Leave room under GitHub's 65,536-character comment limit for the marker and a lint summary.
MAX_CHARS = 60_000
SYMBOL = {"added": "+", "changed": "~", "removed": "-"}
MAX_CELL = 80


def _value(value: object) -> str:
    from .object_diff import MISSING
    from .yaml_diff import scalar

    if value is MISSING:
        return "—"
    if isinstance(value, dict) and value:
        return "*(entry)*"
    if isinstance(value, (dict, list)):
        import json

        shown = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        shown = scalar(value)
    if len(shown) > MAX_CELL:
        shown = shown[:MAX_CELL - 1] + "…"
    return md.code(shown)


def _resource_name(resource: ResourceChange) -> str:
    return f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name


def render(plan: Plan) -> str:
    names = [md.code(e.name, in_table=False) for e in plan.environments]
    parts = [f"## mlops plan: {md.code(plan.spec, in_table=False)}", "",
             f"Comparing **{md.text(plan.base.label)}** → **{md.text(plan.head.label)}**"
             + (f", environments: {', '.join(names)}" if len(names) > 1 else f", environment {names[0]}") + ".", ""]
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
    moved = sum(1 for change in environment.models if change.moves)
    if moved:
        text += f" · {moved} model version{'s' if moved != 1 else ''} move{'s' if moved == 1 else ''}"
    if len(environment.models) > moved:  # same version, another artifact location or lineage
        same = len(environment.models) - moved
        text += f" · {same} model{'s' if same != 1 else ''} re-locked at the same version"
    if environment.destructive:
        text += f" · ⚠ {len(environment.destructive)} destructive"
    if environment.lint_introduced or environment.lint_resolved:
        text += f" · lint: {len(environment.lint_introduced)} introduced, {len(environment.lint_resolved)} resolved"
    if environment.cost_changed:
        low_before, high_before, _ = totals(environment.costs, "before")
        low_after, high_after, _ = totals(environment.costs, "after")
        text += md.text(f" · GPU cost: {usd(low_before)}–{usd(high_before)} → {usd(low_after)}–{usd(high_after)} "
                        f"per month ({signed_usd(round(low_after - low_before, 2))} / "
                        f"{signed_usd(round(high_after - high_before, 2))})")
    return text


def _environment(environment: EnvironmentPlan, several: bool, budget: list[int]) -> list[str]:
    level = "###"
    out: list[str] = []
    if several:
        out += [f"## Environment {md.code(environment.name, in_table=False)}", ""]
    out += [headline(environment), ""]
    out += [f"> {md.text(note)}" for note in environment.notes]
    if environment.notes:
        out.append("")
    if environment.destructive:
        out += _destructive(environment, level)
    if environment.resources:
        out += ["| component | add | change | remove |", "|---|--:|--:|--:|"]
        for component, row in environment.by_component().items():
            out.append(f"| {md.text(component)} | {row['added'] or '·'} | {row['changed'] or '·'} | "
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


def _destructive(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} ⚠ Destructive changes", "",
           "Applying this deletes these objects (a recreated one is gone until the new one is ready):", "",
           "| kind | name | what happens |", "|---|---|---|"]
    for item in environment.destructive:
        out.append(f"| {md.text(item.kind)} | {md.code(item.name)} | {md.text(item.reason)} |")
    return out + [""]


def _spec_changes(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} Spec changes", "", "| spec path | before | after | where |", "|---|---|---|---|"]
    for change in environment.spec_changes:
        where = md.code(change.position) if change.position else ""
        out.append(f"| {md.code(change.dotted)} | {_value(change.old)} | {_value(change.new)} | {where} |")
    return out + [""]


def _resources(environment: EnvironmentPlan, level: str, budget: list[int]) -> list[str]:
    out = [f"{level} Resources", "", "| | kind | name | from | why |", "|---|---|---|---|---|"]
    for resource in environment.resources:
        why = ", ".join(_reason(reason) for reason in resource.why) if resource.why else (
            "new" if resource.action == "added" else "no longer generated" if resource.action == "removed"
            else "follows from the changes above")
        origin = md.code(resource.spec_path) if resource.spec_path else ""
        if resource.overrides:
            origin += ", patched by " + ", ".join(md.code(path) for path in resource.overrides)
        out.append(f"| {md.code(SYMBOL[resource.action])} | {md.text(resource.kind)} | "
                   f"{md.code(_resource_name(resource))} | {origin} | {why} |")
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
    summary = f"<code>{md.html(f'{SYMBOL[resource.action]} {resource.kind} {_resource_name(resource)}')}</code> — {what}"
    return ["<details>", f"<summary>{summary}</summary>", "", *md.fence(resource.diff, "diff"), "", "</details>", ""]


def _reason(reason: str) -> str:
    """One entry of a resource's `why`: a spec path as build.py writes it (`` `path` ``), or a model move."""
    if len(reason) > 1 and reason[0] == reason[-1] == "`":
        return md.code(reason[1:-1])
    return md.text(reason)


#: Where a lineage fact came from, as the plan says it (docs/traps.md, "Lineage that is only declared").
LINEAGE_SOURCE_WORDS = {"version-tag": "registry version tag", "run-tag": "registry run tag",
                        "spec": "declared in the spec, not in the registry", "missing": ""}


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
            source = LINEAGE_SOURCE_WORDS.get((change.after or change.before).lineage_source.get(key, ""), "")  # type: ignore[union-attr]
            source = f" ({source})" if source else ""
            if old == new:
                lineage.append(f"{key}: {md.code(new) if new else 'unknown'}{source}")
            else:
                lineage.append(f"{key}: {md.code(old) if old else 'unknown'} → {md.code(new) if new else 'unknown'}"
                               f"{source}")
        endpoints = ", ".join(md.code(e) for e in change.endpoints) or "—"
        out.append(f"| {md.code(change.model)} | {endpoints} | {md.text(before)} | {md.text(after)} | "
                   f"{'<br>'.join(lineage)} |")
    details = [(change.model, d) for change in models for d in change.details]
    if details:
        out.append("")
        out += [f"- {md.code(model, in_table=False)}: {md.text(detail)}" for model, detail in details]
    return out + [""]


def _lint_rows(items: list[LintItem]) -> list[str]:
    out = ["| code | severity | spec path | where | message |", "|---|---|---|---|---|"]
    for item in items:
        out.append(f"| {md.code(item.code)} {md.text(item.name)} | {md.text(item.severity)} | {md.code(item.path)} | "
                   f"{md.code(item.position)} | {md.text(item.message)} |")
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
        return f"{cost.floor_nodes}–{cost.nodes_max} nodes"
    return f"{cost.gpus_min}–{cost.gpus_max} ({cost.floor_nodes}–{cost.nodes_max} × {cost.gpus_per_node})"


def _range(cost: PoolCost | None) -> str:
    if cost is None:
        return "—"
    if cost.monthly_min is None:
        return "unknown"
    return md.text(f"{usd(cost.monthly_min)}–{usd(cost.monthly_max)}")


def _costs(lines: list[CostLine], level: str) -> list[str]:
    out = [f"{level} GPU cost (node pools, USD per month at {HOURS_PER_MONTH} h)", "",
           "| pool | GPUs (nodes × per node) | price | before | after | Δ floor | Δ ceiling | driven by |",
           "|---|---|---|--:|--:|--:|--:|---|"]
    spot = False
    for line in lines:
        current = line.after or line.before
        assert current is not None
        spot = spot or current.capacity != "on-demand"
        gpus = _gpus(line.after or line.before)
        if line.before and line.after and _gpus(line.before) != _gpus(line.after):
            gpus = f"{_gpus(line.before)} → {_gpus(line.after)}"
        kind = md.text(current.accelerator or "CPU")
        price = f"{current.price.basis} ({current.price.source})"
        price += f", {current.capacity}" if current.capacity != "on-demand" else ""
        low, high = line.delta()
        name = f"**{md.text(line.pool)}**" if line.changed else md.text(line.pool)
        out.append(f"| {name} ({kind}) | {gpus} | {md.text(price)} | {_range(line.before)} | {_range(line.after)} | "
                   f"{md.text(signed_usd(low)) if line.changed else '·'} | "
                   f"{md.text(signed_usd(high)) if line.changed else '·'} | "
                   f"{'<br>'.join(md.text(d) for d in current.drivers)} |")
    low_before, high_before, unknown_before = totals(lines, "before")
    low_after, high_after, unknown_after = totals(lines, "after")
    out.append(f"| **total** | | | {md.text(f'{usd(low_before)}–{usd(high_before)}')} | "
               f"{md.text(f'{usd(low_after)}–{usd(high_after)}')} | "
               f"**{md.text(signed_usd(round(low_after - low_before, 2)))}** | "
               f"**{md.text(signed_usd(round(high_after - high_before, 2)))}** | |")
    out.append("")
    notes = [f"Prices are on-demand estimates (AWS us-east-1, {PRICE_DATE}; Azure eastus, {PRICE_DATES['azure']}; "
             f"GCP us-central1, {PRICE_DATES['gcp']}; see `compiler/gpu_catalogue.py`) "
             "unless `platform.prices` overrides them. The floor is the nodes that never scale away: `nodes.min`, "
             "or more when the endpoints' minimum replicas need them; the ceiling is `nodes.max`."]
    if spot:
        notes.append("Spot pools are priced at the on-demand rate: an upper bound.")
    if unknown_before or unknown_after:
        notes.append("Pools with an unknown price are left out of the totals; price them with `platform.prices`.")
    return out + [" ".join(notes), ""]


def _pipelines(environment: EnvironmentPlan, level: str) -> list[str]:
    out = [f"{level} Pipelines", ""]
    for diagram in environment.pipelines:
        steps = ", ".join(f"{md.code(step, in_table=False)} {action}" for step, action in diagram.steps.items())
        out += [f"**{md.text(diagram.name)}** ({diagram.action}{': ' + steps if steps and diagram.action == 'changed' else ''})",
                "", *md.fence(diagram.mermaid.rstrip().split("\n"), "mermaid"), ""]
    return out

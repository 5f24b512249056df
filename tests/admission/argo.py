"""Argo Workflows v4.1.2: what `argo lint` / the API server's validator refuse, and what the controller cannot run.

The validator (`workflow/validate/validate.go`) runs on every WorkflowTemplate and CronWorkflow
when it is created or linted; the CronWorkflow controller parses the schedules again, prefixed
with `CRON_TZ=<timezone>` (`pkg/apis/workflow/v1alpha1/cron_workflow_types.go: withTimezone`), and
the workflow controller evaluates `when` with govaluate and runs resource templates' manifests.
Cron schedules and time zones are read by compiler/spec/schedule.py (robfig/cron v3.0.1 and Go's
LoadLocation, re-implemented there and tested in tests/test_schedule.py): here they are applied
to what was generated, with the prefix the controller adds.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from compiler.spec.schedule import check_cron, check_timezone

from . import Case, Objects, compile_check, object_check

ARGO = "argoproj/argo-workflows v4.1.2"
VALIDATE = f"{ARGO} workflow/validate/validate.go"
KINDS = ("WorkflowTemplate", "CronWorkflow")
_FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # validate.go workflowFieldNameFmt
_TAG = re.compile(r"{{\s*([^{}]*?)\s*}}")
_TEMPLATE_TYPES = ("container", "containerSet", "steps", "script", "resource", "dag", "suspend", "http", "plugin", "data")
_RETRY_POLICIES = ("Always", "OnError", "OnFailure", "OnTransientError", "")
_POD_GC = ("", "OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
_CONCURRENCY = ("Allow", "Forbid", "Replace", "")
_GO_DURATION = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+|0")
# govaluate's lexer: what may stand between the placeholders of a `when` (after Argo turns bare words into strings).
_WHEN_TOKEN = re.compile(r"\s*(?:(\()|(\))|('[^']*'|\"[^\"]*\")|([0-9]+(?:\.[0-9]+)?)|(==|!=|>=|<=|=~|!~|&&|\|\||[<>!])"
                         r"|([A-Za-z_][A-Za-z0-9_.\-]*))")


def _workflow(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    workflow = spec.get("workflowSpec") if obj.get("kind") == "CronWorkflow" else spec
    return workflow if isinstance(workflow, dict) else {}


def _templates(obj: dict, objects: Objects) -> list[dict]:
    """The templates a workflow runs: its own, or those of the WorkflowTemplate it refers to."""
    workflow = _workflow(obj)
    ref = workflow.get("workflowTemplateRef")
    if ref:
        target = objects.get("WorkflowTemplate", ref.get("name", ""), (obj.get("metadata") or {}).get("namespace"))
        return _workflow(target).get("templates") or [] if target else []
    return workflow.get("templates") or []


@object_check("argo-object-name-length", kinds=KINDS,
              source=f"{VALIDATE}: WorkflowTemplate, CronWorkflow (maxCharsInObjectName, maxCharsInCronWorkflowName)")
def object_name_length(obj: dict, objects: Objects) -> Iterator[str]:
    name = (obj.get("metadata") or {}).get("name", "")
    limit = 52 if obj["kind"] == "CronWorkflow" else 63
    if len(name) > limit:
        yield f"{obj['kind']} name {name!r} is {len(name)} characters; at most {limit}"


@object_check("argo-template-references", kinds=KINDS,
              source=f"{VALIDATE}: Workflow, WorkflowTemplateRefFields, validateWorkflowFieldNames, "
                     "validateTemplateHolder, validateTemplateType")
def template_references(obj: dict, objects: Objects) -> Iterator[str]:
    workflow = _workflow(obj)
    ref = workflow.get("workflowTemplateRef")
    if ref:
        if workflow.get("templates"):
            yield "Templates is invalid field in spec if workflow referred WorkflowTemplate reference"
        if objects.get("WorkflowTemplate", ref.get("name", ""), (obj.get("metadata") or {}).get("namespace")) is None:
            yield f"workflowTemplateRef {ref.get('name')!r} names no WorkflowTemplate of this compile (in its namespace)"
        return
    templates = workflow.get("templates") or []
    names = [t.get("name", "") for t in templates]
    for name in names:
        if not name or len(name) > 128 or not _FIELD_NAME.match(name):
            yield f"spec.templates name {name!r} is invalid: alpha-numeric characters or '-', starting alpha-numeric"
    for name in {n for n in names if names.count(n) > 1}:
        yield f"spec.templates name {name!r} is not unique"
    entrypoint = workflow.get("entrypoint")
    if obj["kind"] == "CronWorkflow" and not entrypoint:
        yield "spec.entrypoint is required"
    elif entrypoint and entrypoint not in names:
        yield f"entrypoint template name {entrypoint!r} undefined"
    for template in templates:
        types = [t for t in _TEMPLATE_TYPES if template.get(t) is not None]
        if len(types) != 1:
            yield f"templates.{template.get('name')}: {'multiple template types' if types else 'template type unspecified'}"
        for task in (template.get("dag") or {}).get("tasks") or []:
            if task.get("template") and task["template"] not in names:
                yield f"templates.{template.get('name')}.tasks.{task.get('name')}: template name " \
                      f"{task['template']!r} undefined"


def _ancestors(tasks: dict[str, dict], name: str) -> set[str]:
    seen: set[str] = set()
    stack = list(tasks.get(name, {}).get("dependencies") or [])
    while stack:
        dependency = stack.pop()
        if dependency in tasks and dependency not in seen:
            seen.add(dependency)
            stack.extend(tasks[dependency].get("dependencies") or [])
    return seen


@object_check("argo-dag-tasks", kinds=KINDS,
              source=f"{VALIDATE}: validateDAG, verifyNoCycles, validateNonLeaf, validateWorkflowFieldNames")
def dag_tasks(obj: dict, objects: Objects) -> Iterator[str]:
    for template in _workflow(obj).get("templates") or []:
        dag = template.get("dag")
        if dag is None:
            continue
        where = f"templates.{template.get('name')}"
        if template.get("activeDeadlineSeconds") is not None:
            yield f"{where}.activeDeadlineSeconds is only valid for leaf templates"
        tasks = dag.get("tasks") or []
        if not tasks:
            yield f"{where} must have at least one task"
        by_name = {t.get("name", ""): t for t in tasks}
        if len(by_name) != len(tasks):
            yield f"{where}.tasks: task names are not unique"
        depends = any(t.get("depends") for t in tasks)
        for task in tasks:
            name = task.get("name", "")
            if not _FIELD_NAME.match(name):
                yield f"{where}.tasks name {name!r} is invalid"
            dependencies = task.get("dependencies") or []
            if (depends or dependencies) and name[:1].isdigit():
                yield f"{where}.tasks.{name} name cannot begin with a digit when using either 'depends' or " \
                      "'dependencies'"
            if depends and dependencies:
                yield f"{where} cannot use both 'depends' and 'dependencies' in the same DAG template"
            for dependency in dependencies:
                if dependency not in by_name:
                    yield f"{where}.tasks.{name} dependency {dependency!r} not defined"
            if name in _ancestors(by_name, name):
                yield f"{where}.tasks.{name}: dependency cycle"


def _outputs(templates: list[dict]) -> dict[str, set[str]]:
    return {t.get("name", ""): {p.get("name") for p in (t.get("outputs") or {}).get("parameters") or []}
            for t in templates}


@object_check("argo-variable-references", kinds=KINDS,
              source=f"{VALIDATE}: resolveAllVariables, addOutputsToScope, validateDAGTaskArgumentDependency")
def variable_references(obj: dict, objects: Objects) -> Iterator[str]:
    """Every {{tasks.X...}} in a DAG task names a task whose template has that output; .status needs an ancestor."""
    templates = _workflow(obj).get("templates") or []
    outputs = _outputs(templates)
    for template in templates:
        tasks = {t.get("name", ""): t for t in ((template.get("dag") or {}).get("tasks") or [])}
        for name, task in tasks.items():
            ancestors = _ancestors(tasks, name)
            for tag in _TAG.findall(yaml.safe_dump(task)):
                if not tag.startswith("tasks."):
                    continue  # workflow.*, inputs.*, ... are global or template scope (GlobalVarValidWorkflowVariablePrefix)
                parts = tag.split(".")
                target = tasks.get(parts[1]) if len(parts) > 1 else None
                if target is None:
                    yield f"templates.{template.get('name')}.tasks.{name}: failed to resolve {{{{{tag}}}}}"
                elif parts[2:3] == ["status"] and parts[1] not in ancestors:
                    yield f"templates.{template.get('name')}.tasks.{name}: failed to resolve {{{{{tag}}}}} " \
                          f"({parts[1]!r} is not an ancestor)"
                elif parts[2:4] == ["outputs", "parameters"] and (
                        len(parts) < 5 or parts[4] not in outputs.get(target.get("template", ""), set())):
                    yield f"templates.{template.get('name')}.tasks.{name}: failed to resolve {{{{{tag}}}}} " \
                          f"(template {target.get('template')!r} has no such output parameter)"
                elif parts[2:4] == ["outputs", "parameters"] and parts[1] not in ancestors:
                    yield f"templates.{template.get('name')}.tasks.{name}: {{{{{tag}}}}} reads task {parts[1]!r}, " \
                          "which it does not depend on: at run time it may not have run yet"


def when_problem(expression: str) -> str | None:
    """govaluate's lexer and parser, as far as a `when` of placeholders, words and operators needs (None: valid)."""
    text = _TAG.sub("placeholder", expression)
    depth, position, operands, operators = 0, 0, 0, 0
    while position < len(text):
        match = _WHEN_TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip():
                return f"invalid token at {text[position:]!r}"
            break
        position = match.end()
        if match[1]:
            depth += 1
        elif match[2]:
            depth -= 1
            if depth < 0:
                return "unbalanced ')'"
        elif match[5]:
            operators += 1
        elif match[3] or match[4] or match[6]:
            operands += 1
    if depth:
        return "unbalanced '('"
    if operands == 0 or (operands > 1 and operators == 0):
        return "not a boolean expression (no operator between its operands)"
    return None


@object_check("argo-when-expressions", kinds=KINDS,
              source=f"{ARGO} workflow/controller/steps.go: shouldExecute")
def when_expressions(obj: dict, objects: Objects) -> Iterator[str]:
    for template in _workflow(obj).get("templates") or []:
        for task in (template.get("dag") or {}).get("tasks") or []:
            if task.get("when") and (problem := when_problem(str(task["when"]))) is not None:
                yield f"templates.{template.get('name')}.tasks.{task.get('name')}: invalid 'when' expression " \
                      f"{task['when']!r}: {problem}"


@object_check("argo-resource-templates", kinds=KINDS,
              source=f"{VALIDATE}: validateLeaf (resource action and manifest); "
                     f"{ARGO} workflow/executor/resource.go: ExecResource")
def resource_templates(obj: dict, objects: Objects) -> Iterator[str]:
    """A resource template's action is known and its manifest parses; a Workflow it creates refers to a template we make."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    for template in _workflow(obj).get("templates") or []:
        resource = template.get("resource")
        if resource is None:
            continue
        where = f"templates.{template.get('name')}.resource"
        action = resource.get("action")
        if action not in ("get", "create", "apply", "delete", "replace", "patch"):
            yield f"{where}.action must be one of: get, create, apply, delete, replace, patch"
        if action not in ("delete", "get") and not resource.get("manifest") and not resource.get("manifestFrom"):
            yield f"either {where}.manifest or {where}.manifestFrom must be specified"
        try:
            manifest = yaml.safe_load(_TAG.sub("placeholder", str(resource.get("manifest") or "")))
        except yaml.YAMLError:
            yield f"{where}.manifest must be a valid yaml"
            continue
        if not isinstance(manifest, dict):
            continue
        if not manifest.get("apiVersion") or not manifest.get("kind"):
            yield f"{where}.manifest has no apiVersion/kind: kubectl cannot {action} it"
        ref = (manifest.get("spec") or {}).get("workflowTemplateRef") if manifest.get("kind") == "Workflow" else None
        if ref and objects.get("WorkflowTemplate", ref.get("name", ""),
                               (manifest.get("metadata") or {}).get("namespace") or namespace) is None:
            yield f"{where}.manifest creates a Workflow from WorkflowTemplate {ref.get('name')!r}, which this " \
                  "compile does not make"


_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_LABEL_NAME}$")
_LABEL_VALUE = re.compile(rf"^({_LABEL_NAME})?$")
_REQUIREMENT = re.compile(r"^\s*(?:(?P<not>!)\s*)?(?P<key>[^\s!=<>(),]+)\s*(?:(?P<op>==|=|!=|>|<)\s*(?P<value>[^\s!=<>(),]*)"
                          r"|\s(?P<set>in|notin)\s*\((?P<values>[^()]*)\))?\s*$")


def selector_problem(selector: str) -> str | None:
    """Why apimachinery's labels.Parse (v0.35) refuses `selector`, or None: comma-separated requirements
    whose keys are label keys (selector.go parseKeyAndInferOperator -> validateLabelKey), whose values are
    label values, and whose `>`/`<` operands are integers."""
    for part in re.split(r",(?![^()]*\))", selector):
        match = _REQUIREMENT.match(part)
        if match is None:
            return f"{part.strip()!r} is not a label selector requirement"
        if not _LABEL_KEY.match(match["key"]) or len(match["key"].split("/")[-1]) > 63:
            return f"key {match['key']!r} is not a label key (a gjson query such as #(...) cannot be one)"
        if match["not"] and (match["op"] or match["set"]):
            return f"{part.strip()!r}: `!` takes a key alone"
        values = [match["value"]] if match["op"] else [v.strip() for v in (match["values"] or "").split(",")]
        if match["op"] in (">", "<") and not re.fullmatch(r"-?[0-9]+", match["value"] or ""):
            return f"{part.strip()!r}: {match['op']} needs an integer"
        if (match["op"] or match["set"]) and not all(_LABEL_VALUE.match(v) and len(v) <= 63 for v in values):
            return f"{part.strip()!r}: not a label value"
    return None


@object_check("argo-resource-conditions", kinds=KINDS,
              source=f"{ARGO} workflow/executor/resource.go: WaitResource (labels.Parse of success/failureCondition, "
                     "keys read as gjson paths)")
def resource_conditions(obj: dict, objects: Objects) -> Iterator[str]:
    """A resource template's successCondition and failureCondition parse as label selectors."""
    for template in _workflow(obj).get("templates") or []:
        resource = template.get("resource") or {}
        for field_name in ("successCondition", "failureCondition"):
            if field_name in resource:
                problem = selector_problem(str(resource[field_name]))
                if problem:
                    yield f"templates.{template.get('name')}.resource.{field_name} failed to parse: {problem}"


@object_check("argo-retry-and-gc", kinds=KINDS,
              source=f"{VALIDATE}: validateTemplateHolder (RetryPolicy), Workflow (podGC.strategy); "
                     f"{ARGO} workflow/controller/operator.go: processNodeRetries (backoff via ParseStringToDuration)")
def retry_and_gc(obj: dict, objects: Objects) -> Iterator[str]:
    workflow = _workflow(obj)
    strategy = (workflow.get("podGC") or {}).get("strategy", "")
    if strategy not in _POD_GC:
        yield f"podGC.strategy unknown strategy {strategy!r}"
    for template in workflow.get("templates") or []:
        retry = template.get("retryStrategy")
        if not retry:
            continue
        if retry.get("retryPolicy", "") not in _RETRY_POLICIES:
            yield f"templates.{template.get('name')}: {retry['retryPolicy']} is not a valid RetryPolicy"
        for key in ("duration", "maxDuration"):
            value = (retry.get("backoff") or {}).get(key)
            if value is not None and not (str(value).isdigit() or _GO_DURATION.fullmatch(str(value))):
                yield f"templates.{template.get('name')}.retryStrategy.backoff.{key}: unable to parse {value!r} as a " \
                      "duration"


def _problem(check, value: str) -> str | None:
    try:
        check(value)
    except ValueError as error:
        return str(error)
    return None


@object_check("argo-cron-schedules", kinds=("CronWorkflow",),
              source=f"{VALIDATE}: CronWorkflow (cron.ParseStandard, time.LoadLocation); "
                     f"{ARGO} pkg/apis/workflow/v1alpha1/cron_workflow_types.go: withTimezone; "
                     "robfig/cron v3.0.1 parser.go: Parse")
def cron_schedules(obj: dict, objects: Objects) -> Iterator[str]:
    """Each schedule parses, with the CRON_TZ prefix the controller adds, and the time zone loads."""
    spec = obj.get("spec") or {}
    if "schedule" in spec:
        yield "spec.schedule was removed in Argo v4: use spec.schedules"
    schedules = spec.get("schedules") or []
    if not schedules:
        yield "cron workflow must have at least one schedule"
    timezone = spec.get("timezone", "")
    if timezone and (problem := _problem(check_timezone, timezone)) is not None:
        yield f"invalid timezone {timezone!r}: {problem}"
    for schedule in schedules:
        if (problem := _problem(check_cron, str(schedule))) is not None:
            yield f"cron schedule {schedule} is malformed: {problem}"


@object_check("argo-cron-policy", kinds=("CronWorkflow",), source=f"{VALIDATE}: CronWorkflow")
def cron_policy(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    if spec.get("concurrencyPolicy", "") not in _CONCURRENCY:
        yield f"{spec['concurrencyPolicy']!r} is not a valid concurrencyPolicy"
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and deadline < 0:
        yield "startingDeadlineSeconds must be positive"


@compile_check("argo-cron-workflow-runs-a-template-of-the-compile",
               source=f"{VALIDATE}: Workflow (workflowTemplateRef resolved by the WorkflowTemplate getter); "
                      f"{ARGO} workflow/common/convert.go: ConvertCronWorkflowToWorkflow")
def cron_runs_a_template(objects: Objects) -> Iterator[str]:
    """The validator resolves a CronWorkflow's workflowTemplateRef among the WorkflowTemplates it is given."""
    for cron in objects.of_kind("CronWorkflow"):
        if _workflow(cron).get("workflowTemplateRef") and not _templates(cron, objects):
            yield f"CronWorkflow/{cron['metadata']['name']}: its WorkflowTemplate has no templates to run"


# --- fixtures ------------------------------------------------------------------------------------

def _wt(templates: list[dict], name: str = "t", entrypoint: str = "dag", **spec) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
            "metadata": {"name": name, "namespace": "ml"},
            "spec": {"entrypoint": entrypoint, "templates": templates, **spec}}


def _cron(name: str = "c", workflow: dict | None = None, **spec) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": name, "namespace": "ml"},
            "spec": {"schedules": ["0 3 * * *"], "timezone": "UTC", "concurrencyPolicy": "Forbid",
                     "workflowSpec": workflow or {"workflowTemplateRef": {"name": "t"}}, **spec}}


def _step(name: str, **extra) -> dict:
    return {"name": name, "container": {"name": "main", "image": "i"}, **extra}


def _dag(*tasks: dict) -> dict:
    return {"name": "dag", "dag": {"tasks": list(tasks)}}


_CHECK = _step("check", outputs={"parameters": [{"name": "decision", "valueFrom": {"path": "/tmp/decision"}}]})
_GO = "{{tasks.check.outputs.parameters.decision}} == retrain"
_RUN = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: t-retrain-, namespace: ml}\n"
        "spec: {workflowTemplateRef: {name: t}}\n")

CASES = [
    Case("argo-object-name-length", "a CronWorkflow name of 53 characters", [_cron("c" * 53)]),
    Case("argo-object-name-length", "a CronWorkflow name of 52 characters", [_cron("c" * 52)], refused=False),
    Case("argo-template-references", "a task naming a template that does not exist",
         [_wt([_dag({"name": "a", "template": "missing"})])]),
    Case("argo-template-references", "a step named like the DAG template",
         [_wt([_dag({"name": "dag", "template": "dag"}), _step("dag")])]),
    Case("argo-template-references", "a CronWorkflow referring to a WorkflowTemplate the compile lacks",
         [_cron(workflow={"workflowTemplateRef": {"name": "elsewhere"}})]),
    Case("argo-template-references", "a DAG and its step, and a CronWorkflow of it",
         [_wt([_dag({"name": "a", "template": "a"}), _step("a")]), _cron()], refused=False),
    Case("argo-dag-tasks", "a dependency that is not a task",
         [_wt([_dag({"name": "a", "template": "a", "dependencies": ["b"]}), _step("a")])]),
    Case("argo-dag-tasks", "a task with dependencies whose name starts with a digit",
         [_wt([_dag({"name": "x", "template": "a"}, {"name": "2a", "template": "a", "dependencies": ["x"]}),
               _step("a")])]),
    Case("argo-dag-tasks", "a cycle", [_wt([_dag({"name": "a", "template": "s", "dependencies": ["b"]},
                                                 {"name": "b", "template": "s", "dependencies": ["a"]}), _step("s")])]),
    Case("argo-dag-tasks", "a deadline on the DAG template",
         [_wt([{**_dag({"name": "a", "template": "a"}), "activeDeadlineSeconds": 60}, _step("a")])]),
    Case("argo-dag-tasks", "a chain", [_wt([_dag({"name": "a", "template": "s"},
                                                 {"name": "b", "template": "s", "dependencies": ["a"]}), _step("s")])],
         refused=False),
    Case("argo-variable-references", "an output parameter the template does not declare",
         [_wt([_dag({"name": "check", "template": "check"},
                    {"name": "go", "template": "s", "dependencies": ["check"],
                     "when": "{{tasks.check.outputs.parameters.verdict}} == retrain"}), _CHECK, _step("s")])]),
    Case("argo-variable-references", "an output read by a task that does not wait for it",
         [_wt([_dag({"name": "check", "template": "check"}, {"name": "go", "template": "s", "when": _GO}),
               _CHECK, _step("s")])]),
    Case("argo-variable-references", "the gate's decision read after the check (through an approval)",
         [_wt([_dag({"name": "check", "template": "check"},
                    {"name": "approve", "template": "s", "dependencies": ["check"], "when": _GO},
                    {"name": "go", "template": "s", "dependencies": ["approve"], "when": _GO}), _CHECK, _step("s")])],
         refused=False),
    Case("argo-when-expressions", "two words and no operator",
         [_wt([_dag({"name": "a", "template": "a", "when": "{{workflow.status}} retrain"}), _step("a")])]),
    Case("argo-when-expressions", "an unbalanced parenthesis",
         [_wt([_dag({"name": "a", "template": "a", "when": "({{workflow.status}} == Succeeded"}), _step("a")])]),
    Case("argo-when-expressions", "a comparison with a bare word (Argo makes it a string)",
         [_wt([_dag({"name": "a", "template": "a", "when": _GO}), _step("a")])], refused=False),
    Case("argo-resource-templates", "a manifest that is not YAML",
         [_wt([{"name": "submit", "resource": {"action": "create", "manifest": "kind: [Workflow"}}],
              entrypoint="submit")]),
    Case("argo-resource-templates", "a Workflow from a WorkflowTemplate the compile does not make",
         [_wt([{"name": "submit", "resource": {"action": "create", "manifest": _RUN.replace("name: t}", "name: x}")}}],
              entrypoint="submit")]),
    Case("argo-resource-conditions", "a gjson query on the conditions (not a label key)",
         [_wt([{"name": "train", "resource": {"action": "create", "manifest": _RUN,
                "successCondition": 'status.conditions.#(type=="Complete").status == True'}}], entrypoint="train")]),
    Case("argo-resource-conditions", "a > on a word",
         [_wt([{"name": "train", "resource": {"action": "create", "manifest": _RUN,
                "failureCondition": "status.failed > some"}}], entrypoint="train")]),
    Case("argo-resource-conditions", "indexed condition paths, == and a count",
         [_wt([{"name": "train", "resource": {"action": "create", "manifest": _RUN,
                "successCondition": "status.conditions.1.type == Complete, status.conditions.1.status == True",
                "failureCondition": "status.failed > 0"}}], entrypoint="train")], refused=False),
    Case("argo-resource-templates", "an unknown action",
         [_wt([{"name": "submit", "resource": {"action": "submit", "manifest": _RUN}}], entrypoint="submit")]),
    Case("argo-resource-templates", "a Workflow from a WorkflowTemplate of the compile",
         [_wt([{"name": "submit", "resource": {"action": "create", "manifest": _RUN}}], entrypoint="submit")],
         refused=False),
    Case("argo-retry-and-gc", "an unknown retry policy",
         [_wt([_step("s", retryStrategy={"limit": 2, "retryPolicy": "Sometimes"})], entrypoint="s")]),
    Case("argo-retry-and-gc", "a backoff that is not a duration",
         [_wt([_step("s", retryStrategy={"limit": 2, "backoff": {"duration": "one minute"}})], entrypoint="s")]),
    Case("argo-retry-and-gc", "an unknown podGC strategy", [_wt([_step("s")], entrypoint="s", podGC={"strategy": "Never"})]),
    Case("argo-retry-and-gc", "retries with a doubling backoff",
         [_wt([_step("s", retryStrategy={"limit": 2, "retryPolicy": "Always",
                                         "backoff": {"duration": "1m", "factor": 2}})], entrypoint="s",
              podGC={"strategy": "OnPodSuccess"})], refused=False),
    Case("argo-cron-schedules", "Sunday as 7", [_cron(schedules=["0 3 * * 7"])]),
    Case("argo-cron-schedules", "30 February", [_cron(schedules=["0 0 30 2 *"])]),
    Case("argo-cron-schedules", "a schedule carrying its own CRON_TZ", [_cron(schedules=["CRON_TZ=UTC 0 3 * * *"])]),
    Case("argo-cron-schedules", "a time zone Go does not know", [_cron(timezone="Europe/Berln")]),
    Case("argo-cron-schedules", "the removed v3 `schedule` field", [{**_cron(), "spec": {**_cron()["spec"],
                                                                                        "schedule": "0 3 * * *"}}]),
    Case("argo-cron-schedules", "two schedules in Berlin time",
         [_cron(schedules=["0 4 * * MON", "*/15 9-17 1,15 * *"], timezone="Europe/Berlin")], refused=False),
    Case("argo-cron-policy", "an unknown concurrency policy", [_cron(concurrencyPolicy="Never")]),
    Case("argo-cron-policy", "a negative starting deadline", [_cron(startingDeadlineSeconds=-1)]),
    Case("argo-cron-policy", "Forbid with a 5-minute deadline", [_cron(startingDeadlineSeconds=300)], refused=False),
    Case("argo-cron-workflow-runs-a-template-of-the-compile", "a CronWorkflow whose template has no templates",
         [_cron(), _wt([], entrypoint="")]),
    Case("argo-cron-workflow-runs-a-template-of-the-compile", "a CronWorkflow and its template",
         [_cron(), _wt([_step("s")], entrypoint="s")], refused=False),
]

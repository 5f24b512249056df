"""`overrides:` (compiler/overrides.py): shape and identity errors at validation, composition with
overlays, patches applied after lowering in every backend, and errors at the override's position."""
from __future__ import annotations

import textwrap

import pytest

from backends.kubernetes import lower, lower_files
from compiler.checked_spec import check_bytes
from compiler.diagnostics import SpecError
from compiler.overrides import APPLIED_ANNOTATION, SPEC_PATH_ANNOTATION, applied_overrides

BASE = """\
apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: team}
runtimes:
  serve: {image: ghcr.io/acme/serve:1.0.0}
  train: {image: ghcr.io/acme/train:1.0.0}
models: {m: {version: 7, format: xgboost}}
pipelines:
  nightly:
    runtime: train
    steps:
      prep: {command: [python, -m, prep]}
      fit: {command: [python, -m, fit], after: [prep]}
serving:
  api: {model: m, runtime: serve, replicas: {min: 2, max: 4}}
"""


def spec(overrides: str, environments: str = "") -> str:
    return BASE + textwrap.dedent(overrides) + textwrap.dedent(environments)


def check(text: str, env: str | None = None):
    return check_bytes(text.encode(), "mlops.yaml", env)


def at(text: str, needle: str, nth: int = 0) -> str:
    """`line:col` (1-based) of the `nth` occurrence of `needle` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    return f"{line}:{start - (text.rfind(chr(10), 0, start) + 1) + 1}"


def errors(text: str, env: str | None = None, *, compile: bool = False) -> list[str]:
    with pytest.raises(SpecError) as caught:
        checked = check(text, env)
        if compile:
            lower_files(checked)
    return [f"{d.position.line}:{d.position.col} {d.message}" for d in caught.value.diagnostics]


def find(objects, kind: str, name: str | None = None) -> dict:
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, [o["metadata"]["name"] for o in matches]
    return matches[0]


# --- applying ------------------------------------------------------------------------------------

def test_merge_patch_on_the_endpoints_inference_service():
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            merge:
              metadata: {annotations: {acme.io/tier: gold}}
              spec: {predictor: {labels: {extra: "yes"}, schedulerName: gang}}
        """)
    isvc = find(lower(check(text)), "InferenceService")
    assert isvc["metadata"]["annotations"]["acme.io/tier"] == "gold"
    assert isvc["spec"]["predictor"]["schedulerName"] == "gang"
    assert isvc["spec"]["predictor"]["labels"]["extra"] == "yes"
    assert isvc["spec"]["predictor"]["labels"]["app.kubernetes.io/component"] == "serving"  # merged, not replaced
    assert isvc["metadata"]["annotations"][APPLIED_ANNOTATION] == "overrides[0]"
    assert applied_overrides(isvc) == ["overrides[0]"]


def test_unpatched_objects_carry_no_override_annotation():
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            merge: {metadata: {annotations: {a: b}}}
        """)
    for obj in lower(check(text)):
        if obj["kind"] != "InferenceService":
            assert APPLIED_ANNOTATION not in obj["metadata"].get("annotations", {}), obj["kind"]


def test_json_patch_operations_in_order_with_escaped_pointers():
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            json_patch:
              - {op: add, path: /metadata/annotations/example.com~1owner, value: risk}
              - {op: copy, from: /metadata/annotations/example.com~1owner, path: /metadata/annotations/a~0b}
              - {op: test, path: /metadata/annotations/a~0b, value: risk}
              - {op: add, path: /spec/predictor/volumes/-, value: {name: scratch, emptyDir: {}}}
              - {op: remove, path: /spec/predictor/automountServiceAccountToken}
        """)
    isvc = find(lower(check(text)), "InferenceService")
    annotations = isvc["metadata"]["annotations"]
    assert annotations["example.com/owner"] == "risk" and annotations["a~b"] == "risk"
    assert isvc["spec"]["predictor"]["volumes"][-1] == {"name": "scratch", "emptyDir": {}}
    assert "automountServiceAccountToken" not in isvc["spec"]["predictor"]


def test_step_target_patches_the_steps_template_only():
    text = spec("""
        overrides:
          - target: {kind: WorkflowTemplate, pipeline: nightly, step: fit}
            json_patch:
              - {op: add, path: /metadata/annotations/acme.io~1gpu, value: "a100"}
              - {op: add, path: /podSpecPatch, value: '{"hostIPC": false}'}
        """)
    template = find(lower(check(text)), "WorkflowTemplate")
    by_step = {t["metadata"]["annotations"][SPEC_PATH_ANNOTATION].rsplit(".", 1)[1]: t
               for t in template["spec"]["templates"] if "metadata" in t}
    assert by_step["fit"]["metadata"]["annotations"]["acme.io/gpu"] == "a100"
    assert by_step["fit"]["podSpecPatch"] == '{"hostIPC": false}'
    assert "acme.io/gpu" not in by_step["prep"]["metadata"]["annotations"]
    assert template["metadata"]["annotations"][APPLIED_ANNOTATION] == "overrides[0]"


def test_target_by_kind_and_name_and_api_version():
    base = lower(check(BASE))
    names = sorted(o["metadata"]["name"] for o in base if o["kind"] == "NetworkPolicy")
    text = spec(f"""
        overrides:
          - target: {{kind: NetworkPolicy, apiVersion: networking.k8s.io/v1, name: {names[0]}}}
            merge: {{metadata: {{labels: {{audited: "true"}}}}}}
        """)
    objects = lower(check(text))
    assert find(objects, "NetworkPolicy", names[0])["metadata"]["labels"]["audited"] == "true"
    assert all("audited" not in o["metadata"]["labels"] for o in objects
               if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] != names[0])


def test_patches_reach_rollback_manifests_and_keep_canonical_key_order():
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            json_patch:
              - {op: add, path: /zzz-late, value: 1}
              - {op: add, path: /metadata/annotations/x, value: "1"}
        """).replace("replicas: {min: 2, max: 4}}", "replicas: {min: 2, max: 4}, rollout: {keep_previous: 1}}")
    files = lower_files(check(text))
    rollbacks = [o for path, objects in files.items() if path.startswith("rollback/") for o in objects
                 if o["kind"] == "InferenceService"]
    assert rollbacks and all(o["metadata"]["annotations"]["x"] == "1" for o in rollbacks)
    isvc = find(lower(check(text)), "InferenceService")
    assert list(isvc)[:3] == ["apiVersion", "kind", "metadata"]
    assert list(isvc["metadata"])[:2] == ["name", "namespace"]


def test_lowered_objects_are_not_shared_with_the_patched_ones():
    # Lowering may reuse one labels mapping for several objects; a patch must change only its target.
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            json_patch: [{op: add, path: /metadata/labels/only-here, value: "1"}]
        """)
    objects = lower(check(text))
    assert [o["kind"] for o in objects if "only-here" in o["metadata"].get("labels", {})] == ["InferenceService"]


# --- environment overlays ----------------------------------------------------------------------

OVERLAY_BASE = """
    overrides:
      - name: tier
        target: {kind: InferenceService, endpoint: api}
        merge: {metadata: {annotations: {acme.io/tier: silver}}}
      - name: owner
        target: {kind: InferenceService, endpoint: api}
        merge: {metadata: {annotations: {acme.io/owner: risk}}}
    """


def test_overlay_appends_and_replaces_by_name():
    text = spec(OVERLAY_BASE, """
        environments:
          prod:
            overrides:
              - name: tier
                target: {kind: InferenceService, endpoint: api}
                merge: {metadata: {annotations: {acme.io/tier: gold}}}
              - target: {kind: InferenceService, endpoint: api}
                json_patch: [{op: add, path: /metadata/annotations/acme.io~1mesh, value: "on"}]
        """)
    prod = check(text, "prod")
    assert [o.name for o in prod.spec.overrides] == ["tier", "owner", None]
    annotations = find(lower(prod), "InferenceService")["metadata"]["annotations"]
    assert (annotations["acme.io/tier"], annotations["acme.io/owner"], annotations["acme.io/mesh"]) == (
        "gold", "risk", "on")
    assert annotations[APPLIED_ANNOTATION] == ("environments.prod.overrides[0], overrides[1], "
                                               "environments.prod.overrides[1]")
    base = find(lower(check(text)), "InferenceService")["metadata"]["annotations"]
    assert base["acme.io/tier"] == "silver" and "acme.io/mesh" not in base


def test_overlay_null_drops_the_base_overrides():
    text = spec(OVERLAY_BASE, """
        environments:
          dev: {overrides: null}
        """)
    dev = check(text, "dev")
    assert dev.spec.overrides == []
    assert "acme.io/tier" not in find(lower(dev), "InferenceService")["metadata"]["annotations"]


def test_errors_in_an_overlays_override_point_at_the_overlay():
    text = spec(OVERLAY_BASE, """
        environments:
          prod:
            overrides:
              - target: {kind: InferenceService, endpoint: apx}
                merge: {metadata: {annotations: {a: b}}}
              - target: {kind: InferenceService, endpoint: api}
                json_patch: [{op: remove, path: /spec/nothing}]
        """)
    assert errors(text, "prod") == [f"{at(text, 'apx')} overrides[2].target.endpoint: 'apx' is not an entry of "
                                    "`serving` (defined: api)"]
    fixed = text.replace("apx", "api")
    message, *rollback = errors(fixed, "prod", compile=True)
    assert all(m.split(" ", 1)[0] == message.split(" ", 1)[0] for m in rollback)  # the rollback copy, same place
    assert message.startswith(f"{at(fixed, '/spec/nothing')} overrides[3].json_patch[0]: InferenceService 't-api': "
                              "/spec/nothing does not exist")


# --- errors at the override's position -----------------------------------------------------------

@pytest.mark.parametrize(("override", "needle", "message"), [
    ("- target: {kind: InferenceService, endpoint: api}\n  merge: {a: 1}\n  json_patch: [{op: remove, path: /a}]",
     "target", "give exactly one of `merge`"),
    ("- target: {kind: InferenceService, endpoint: api}", "target", "give exactly one of `merge`"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: remove, path: /a~2b}]", "/a~2b",
     "'~' must be followed by 0"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: remove, path: a}]", "a}]", "must be empty"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: add, path: /a}]", "{op: add", "`add` needs `value`"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: move, path: /a}]", "{op: move", "`move` needs `from`"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: remove, path: /a, value: 1}]", "{op: remove",
     "`remove` takes no `value`"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: delete, path: /a}]", "delete", "expected one of"),
    ("- target: {kind: InferenceService}\n  json_patch: [{op: add, path: /a, value: 1, xyz: 2}]", "xyz",
     "unknown key 'xyz'"),
    ("- target: {kind: InferenceService}\n  json_patch: []", "json_patch", "at least 1"),
    ("- target: {kind: InferenceService}\n  merge: [1]", "merge", "a merge patch is a mapping"),
    ("- target: {kind: InferenceService}\n  merge: {a: {b: [1, .inf]}}", "merge", ".inf and .nan are not (at a.b[1])"),
    ("- target: {kind: inferenceservice}\n  merge: {a: 1}", "inferenceservice", "CamelCase"),
    ("- target: {kind: InferenceService, endpoint: api, pipeline: nightly}\n  merge: {a: 1}", "target",
     "name one spec entity, not endpoint and pipeline"),
    ("- target: {kind: InferenceService, step: fit}\n  merge: {a: 1}", "target", "give `pipeline` and kind"),
    ("- target: {kind: WorkflowTemplate, pipeline: nightly, step: fitt}\n  merge: {a: 1}", "fitt",
     "'fitt' is not a step of pipeline 'nightly' (steps: prep, fit)"),
    ("- target: {kind: WorkflowTemplate, pipeline: nightlyy}\n  merge: {a: 1}", "nightlyy",
     "'nightlyy' is not an entry of `pipelines` (defined: nightly)"),
    ("- {name: x, target: {kind: A}, merge: {a: 1}}\n- {name: x, target: {kind: B}, merge: {a: 1}}", "x, target: {kind: B",
     "another override is named 'x'"),
])
def test_bad_overrides_are_errors_at_their_position(override, needle, message):
    text = BASE + "overrides:\n" + textwrap.indent(override, "  ") + "\n"
    found = errors(text)
    assert any(message in f and f.startswith(at(text, needle) + " ") for f in found), (at(text, needle), found)


@pytest.mark.parametrize(("patch", "needle"), [
    ("merge: {metadata: {namespace: kube-system}}", "namespace: kube"),
    ("merge: {metadata: {name: other}}", "name: other"),
    ("merge: {metadata: null}", "metadata: null"),
    ("merge: {kind: Pod}", "kind: Pod"),
    ("merge: {apiVersion: v2}", "apiVersion: v2"),
    ("json_patch: [{op: replace, path: /metadata/namespace, value: kube-system}]", "/metadata/namespace"),
    ("json_patch: [{op: add, path: /metadata, value: {name: x}}]", "/metadata,"),
    ("json_patch: [{op: replace, path: '', value: {}}]", "''"),
    ("json_patch: [{op: move, path: /x, from: /kind}]", "/kind"),
    ("json_patch: [{op: remove, path: /apiVersion}]", "/apiVersion"),
])
def test_identity_changes_are_refused_at_validation(patch, needle):
    text = BASE + f"overrides:\n  - target: {{kind: InferenceService, endpoint: api}}\n    {patch}\n"
    [message] = errors(text)
    assert message.startswith(at(text, needle) + " ") and "part of the object's identity" in message, message


@pytest.mark.parametrize(("patch", "needle", "message"), [
    ("merge: {metadata: {labels: {istio-injection: true}}}", "true",
     "overrides[0].merge.metadata.labels.istio-injection: labels values are strings; YAML read True as a bool"),
    ("merge: {spec: {predictor: {annotations: {a: 1}}}}", "1}", "annotations values are strings"),
    ("merge: {metadata: {labels: [a]}}", "[a]", "labels is a mapping of strings, got list"),
    ("json_patch: [{op: add, path: /metadata/labels/x, value: 3}]", "3}", "labels values are strings"),
    ("json_patch: [{op: add, path: /spec/predictor/labels, value: {a: yes, b: false}}]", "{a: yes",
     "labels values are strings; YAML read b: False as a bool"),
])
def test_labels_and_annotations_are_strings(patch, needle, message):
    text = BASE + f"overrides:\n  - target: {{kind: InferenceService, endpoint: api}}\n    {patch}\n"
    [found] = errors(text)
    assert found.startswith(at(text, needle) + " ") and message in found, found


def test_a_test_of_identity_is_allowed_and_a_step_template_keeps_its_name():
    text = BASE + ("overrides:\n  - target: {kind: InferenceService, endpoint: api}\n"
                   "    json_patch: [{op: test, path: /metadata/name, value: t-api}]\n")
    assert find(lower(check(text)), "InferenceService")["metadata"]["name"] == "t-api"
    step = BASE + ("overrides:\n  - target: {kind: WorkflowTemplate, pipeline: nightly, step: fit}\n"
                   "    json_patch: [{op: replace, path: /name, value: other}]\n")
    [message] = errors(step)
    assert message.startswith(at(step, "/name")) and "the name the pipeline's DAG runs" in message


def test_identity_change_that_escaped_validation_is_still_refused_at_compile():
    # Validation refuses every pointer onto an identity field; the compile-time check is the last line of
    # defence, so exercise it with an override that skipped validation (model_construct).
    import dataclasses

    from compiler.overrides import apply_overrides
    from compiler.spec.overrides import Override, OverrideTarget, PatchOperation

    text = BASE + ("overrides:\n  - target: {kind: InferenceService, endpoint: api}\n"
                   "    merge: {metadata: {annotations: {a: b}}}\n")
    checked = check(text)
    unchecked = Override.model_construct(
        name=None, merge=None, target=OverrideTarget.model_construct(
            kind="InferenceService", api_version=None, name=None, endpoint="api", pipeline=None, step=None,
            node_pool=None, monitor=None),
        json_patch=[PatchOperation.model_construct(op="replace", path="/metadata/namespace", value="kube-system",
                                                   from_=None)])
    sneaky = dataclasses.replace(checked, spec=checked.spec.model_copy(update={"overrides": [unchecked]}))
    files = lower_files(check(BASE))
    with pytest.raises(SpecError) as caught:
        apply_overrides(sneaky, files)
    assert "the patch changes the identity of InferenceService 't-api'" in str(caught.value)
    assert all(o["metadata"].get("namespace") != "kube-system" for objects in files.values() for o in objects)


def test_target_that_matches_nothing_lists_what_exists():
    text = spec("""
        overrides:
          - target: {kind: InferenceService, name: t-other}
            merge: {metadata: {annotations: {a: b}}}
          - target: {kind: Deploymentt}
            merge: {metadata: {annotations: {a: b}}}
        """)
    first, second = errors(text, compile=True)
    assert first.startswith(f"{at(text, 'target')} overrides[0].target matches no generated object: the "
                            "InferenceService objects generated are: t-api (serving.kserve.io/v1beta1, from "
                            "serving.api)")
    assert second.startswith(f"{at(text, 'target', 1)} overrides[1].target matches no generated object: no "
                             "Deploymentt is generated; kinds generated: ")


@pytest.mark.parametrize(("op", "needle", "fragment"), [
    ("{op: replace, path: /spec/predictor/nothing, value: 1}", "/spec/predictor/nothing",
     "/spec/predictor/nothing does not exist: /spec/predictor has no member 'nothing'"),
    ("{op: test, path: /spec/predictor/minReplicas, value: 3}", "3}\n",
     "test failed: /spec/predictor/minReplicas is 2, not 3"),
    ("{op: move, path: /spec/x, from: /spec/y}", "/spec/y", "/spec/y does not exist"),
    ("{op: add, path: /spec/predictor/volumes/9, value: {}}", "/spec/predictor/volumes/9",
     "/spec/predictor/volumes/9: '9' is not an index of the array there (0..1, or '-' to append)"),
])
def test_a_missing_path_is_an_error_at_the_operation(op, needle, fragment):
    text = BASE + f"overrides:\n  - target: {{kind: InferenceService, endpoint: api}}\n    json_patch:\n" \
                  f"      - {{op: add, path: /metadata/annotations/a, value: b}}\n      - {op}\n"
    message, *rollback = errors(text, compile=True)
    assert message.startswith(f"{at(text, needle)} overrides[0].json_patch[1]: InferenceService 't-api': {fragment}"), \
        message


def test_validate_needs_no_lowering_for_shape_errors():
    # A target that matches nothing is a compile error, not a validation error: validate reads only the spec.
    text = spec("""
        overrides:
          - target: {kind: Nothing}
            merge: {a: 1}
        """)
    assert check(text).spec.overrides[0].target.kind == "Nothing"


# --- untrusted values ----------------------------------------------------------------------------

HOSTILE = "evil\u202e\n\x1b[31m\"'\\{{ x }}"


def test_hostile_patch_values_are_escaped_in_manifests_and_pulumi(tmp_path):
    import json

    from backends.kubernetes.files import render_tree
    from backends.pulumi.emitted import render_program

    value = json.dumps(HOSTILE)
    text = spec(f"""
        overrides:
          - target: {{kind: InferenceService, endpoint: api}}
            merge: {{metadata: {{annotations: {{acme.io/note: {value}, {value}: k}}}}}}
        """)
    checked = check(text)
    files = lower_files(checked)
    manifests = "".join(render_tree(files).values())
    assert "\u202e" not in manifests and "\x1b" not in manifests and "\\u202e" in manifests
    program = render_program({p: o for p, o in files.items() if p.startswith("manifests/")}, env=None,
                             spec_file="mlops.yaml", outputs={})
    for text in program:  # __main__.py and resources.json
        assert "\u202e" not in text and "\x1b" not in text
    assert "\\u202e" in program.resources  # the value is JSON data, escaped
    compile(program.main, "__main__.py", "exec")  # still a valid program: the value is data, not code


# --- the plan ------------------------------------------------------------------------------------

def test_plan_lists_the_overrides_that_patched_each_object(tmp_path, capsys):
    import json

    from compiler.cli import main

    base = tmp_path / "base.yaml"
    base.write_text(BASE)
    head = tmp_path / "mlops.yaml"
    head.write_text(spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            merge: {metadata: {annotations: {acme.io/tier: gold}}}
        """))
    assert main(["plan", str(head), "--base-spec", str(base), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [changed] = [r for r in report["environments"][0]["resources"] if r["overrides"]]
    assert (changed["kind"], changed["overrides"]) == ("InferenceService", ["overrides[0]"])
    assert "`overrides`" in changed["why"]
    assert main(["plan", str(head), "--base-spec", str(base)]) == 0
    markdown = capsys.readouterr().out
    assert "| `serving.api`, patched by `overrides[0]` |" in markdown


# --- the schema and admission kits see the patched objects ---------------------------------------

def test_a_patch_that_breaks_the_crd_schema_is_caught_by_the_schema_kit():
    from tests.k8s_schemas import get_validator

    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            merge: {spec: {predictor: {minReplicaz: 3}}}
        """)
    validator = get_validator("1.31")
    errors = [e for o in lower(check(text)) for e in validator.validate(o)]
    assert any("minReplicaz" in e for e in errors), errors
    assert [e for o in lower(check(BASE)) for e in validator.validate(o)] == []


def test_a_patch_the_controller_refuses_is_caught_by_the_admission_kit():
    from tests.admission import Objects
    from tests.admission.registry import load

    checks, _ = load()
    text = spec("""
        overrides:
          - target: {kind: InferenceService, endpoint: api}
            json_patch:
              - {op: replace, path: /spec/predictor/minReplicas, value: 9}
        """)
    refusals = [m for c in checks for m in c.refusals(Objects(lower(check(text)), label="patched"))]
    assert any("cannot be greater than MaxReplicas" in m for m in refusals), refusals
    assert [m for c in checks for m in c.refusals(Objects(lower(check(BASE)), label="base"))] == []


def test_an_invalid_base_list_is_not_hidden_by_an_overlay():
    text = BASE + "overrides: {not: a list}\n" + textwrap.dedent("""
        environments:
          prod:
            overrides:
              - target: {kind: InferenceService, endpoint: api}
                merge: {metadata: {annotations: {a: b}}}
        """)
    assert any("overrides: expected a list" in e for e in errors(text))
    # The overlay replaces a base value that is not a list, as any overlay does; its items are its own.
    prod = check(text, "prod")
    assert applied_overrides(find(lower(prod), "InferenceService")) == ["environments.prod.overrides[0]"]


def test_applying_is_linear_in_the_number_of_overrides_and_objects(monkeypatch):
    # Counted, not timed (the machine is shared): how many objects the overrides look at.
    import compiler.overrides as module

    looked_at = []
    real_roots = module.roots
    monkeypatch.setattr(module, "roots", lambda target, obj: looked_at.append(1) or real_roots(target, obj))

    def looks(n: int) -> int:
        endpoints = "".join(f"  e{i}: {{model: m, runtime: serve, replicas: {{min: 2, max: 4}}}}\n" for i in range(n))
        overrides = "".join(f"  - target: {{kind: InferenceService, endpoint: e{i}}}\n"
                            f"    merge: {{metadata: {{annotations: {{a: b}}}}}}\n"
                            f"  - target: {{kind: NetworkPolicy, name: t-netpol-serving}}\n"
                            f"    merge: {{metadata: {{annotations: {{n{i}: b}}}}}}\n" for i in range(n))
        text = BASE.split("serving:\n")[0] + "serving:\n" + endpoints + "overrides:\n" + overrides
        looked_at.clear()
        module.apply_overrides(check(text), lower_files(check(text.split("overrides:\n")[0])))
        return len(looked_at)

    small, large = looks(10), looks(80)
    assert large <= small * 8 * 1.5, (small, large)  # 8x the input: linear; a scan of every object is ~64x

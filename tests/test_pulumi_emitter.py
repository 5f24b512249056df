"""The emitted program's building blocks, without pulumi: literals, filters, the declaration plan."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backends.pulumi import emitted
from backends.pulumi.emitted import comment, heading, identifier, python_literal
from backends.pulumi.resources import UnsupportedObject, declaration, keyword, plan, references
from tests.conftest import REPO_ROOT

HOSTILE = [
    "'", '"', "'''", '"""', "\\", "\\'", "a\nb", "\r", "\x00", "\u2028\u2029", "{{ x }}", "{% if %}", "{# c #}",
    "__import__('os').system('touch SENTINEL')", "'); __import__('os').system('x'); ('", '"""); x(); ("""',
    "🚀", "\ud800",  # a lone surrogate: repr escapes it
]

plain_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_string_is_one_literal(text) -> None:
    source = python_literal({"k": [text, {"n": text}]}, indent=4)
    assert ast.literal_eval(source) == {"k": [text, {"n": text}]}


@settings(max_examples=300, deadline=None)
@given(plain_data)
def test_every_plain_value_round_trips(value) -> None:
    source = python_literal(value, indent=8)
    tree = ast.parse(source, mode="eval")  # a literal: no names, calls or attributes anywhere
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Name, ast.Call, ast.Attribute))]
    assert ast.literal_eval(source) == value


def test_long_values_break_one_item_per_line_and_multiline_text_per_line() -> None:
    value = {"data": {"config.yaml": "version: v1\nsharing:\n  timeSlicing: {}\n" * 3}, "list": list(range(40))}
    source = python_literal(value)
    assert ast.literal_eval(source) == value
    assert "    'data': {\n        'config.yaml': (\n            'version: v1\\n'\n" in source
    assert all(len(line) <= emitted.WIDTH for line in source.splitlines())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), {1: "x"}, b"bytes"])
def test_values_without_a_safe_literal_are_refused(value) -> None:
    with pytest.raises((TypeError, ValueError)):
        python_literal(value)


@pytest.mark.parametrize("text", HOSTILE + ["serving.fraud-api", "manifests/serving/fraud-api.yaml"])
def test_comments_never_end_the_line(text) -> None:
    line = "# " + comment(text) + "\nvalue = 1\n"
    assert ast.parse(line).body[0].targets[0].id == "value"  # the comment swallowed nothing and ended
    assert "\n" not in heading(text) and "\r" not in comment(text)


@pytest.mark.parametrize("text", ["os.system('x')", "a b", "class", "x\ny", "k8s.core.v1.Namespace;import os"])
def test_identifier_filter_takes_identifiers_only(text) -> None:
    with pytest.raises(ValueError):
        identifier(text)
    assert identifier("k8s.apps.v1.Deployment") == "k8s.apps.v1.Deployment"


def test_the_template_cannot_print_an_unfiltered_value(tmp_path, monkeypatch) -> None:
    (tmp_path / emitted.TEMPLATE).write_text("x = {{ value }}\n")
    monkeypatch.setattr(emitted, "TEMPLATES", tmp_path)
    with pytest.raises(TypeError, match="without the `py` or `comment` filter"):
        emitted._environment().get_template(emitted.TEMPLATE).render(value="1; import os")


def test_rendering_needs_no_pulumi() -> None:
    # Emitting runs in the pre-commit environment: jinja2 only, never pulumi (0.6 s and an extra to install).
    code = ("import sys, tempfile; from compiler.cli import main; "
            "rc = main(['compile', 'mlops.yaml.example', '--env', 'prod', '-o', tempfile.mkdtemp(), "
            "'--backend', 'pulumi']); "
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_kubernetes')); "
            "print(rc, loaded)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0 []", result.stderr


def _meta(name, namespace="ml", **annotations):
    return {"name": name, **({"namespace": namespace} if namespace else {}), "annotations": annotations}


def test_declarations_depend_on_their_namespace_and_what_they_mount_in_dependency_order() -> None:
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("ml", None)},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": _meta("job"),
         "spec": {"workflowSpec": {"workflowTemplateRef": {"name": "job"}, "serviceAccountName": "runner",
                                   "volumes": [{"name": "c", "configMap": {"name": "settings"}}]}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("settings"), "data": {"a": "b"}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": _meta("job"), "spec": {}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("runner")},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("elsewhere", "other"), "data": {}},
    ]
    declarations = plan(objects)
    order = [d.logical_name for d in declarations]
    # Dependencies are placed just before their first dependant, in the order it names them.
    assert order == ["namespace/ml", "workflowtemplate/ml/job", "serviceaccount/ml/runner", "configmap/ml/settings",
                     "cronworkflow/ml/job", "configmap/other/elsewhere"]
    cron = declarations[4]
    assert cron.depends_on == ("namespace/ml", "workflowtemplate/ml/job", "serviceaccount/ml/runner",
                               "configmap/ml/settings")
    assert (cron.module, cron.class_name) == ("apiextensions", "CustomResource")
    assert cron.args["api_version"] == "argoproj.io/v1alpha1" and cron.args["kind"] == "CronWorkflow"
    assert declarations[5].depends_on == ()  # a namespace mlops does not create is assumed to exist


def test_top_level_fields_become_the_typed_class_keywords() -> None:
    binding = declaration({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _meta("b"),
                           "roleRef": {"kind": "Role", "name": "r"}, "subjects": []})
    assert (binding.class_path, list(binding.args)) == ("k8s.rbac.v1.RoleBinding", ["metadata", "role_ref", "subjects"])
    assert keyword("automountServiceAccountToken") == "automount_service_account_token"
    assert references({"roleRef": {"kind": "Role", "name": "r"}}) == [("Role", "r")]


@pytest.mark.parametrize(("obj", "message"), [
    ({"apiVersion": "v1", "kind": "Pod", "metadata": _meta("p")}, "add it to KINDS"),
    ({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": _meta("t"), "data": {}}, "top-level field"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}}, "no metadata.name"),
])
def test_objects_that_cannot_be_declared_faithfully_are_refused(obj, message) -> None:
    with pytest.raises(UnsupportedObject, match=message):
        declaration(obj)


# --- resources.json, the program's data -------------------------------------------------------

def _data(value) -> str:
    from backends.pulumi.resource_data import _lines

    out: list[str] = []
    _lines(value, 0, "", out)
    return "\n".join(out) + "\n"


@settings(max_examples=300, deadline=None)
@given(plain_data)
def test_every_plain_value_round_trips_through_the_data_file(value) -> None:
    import json

    text = _data(value)
    assert text.isascii()  # no bidi or invisible character reaches the reviewer: \u escapes
    assert json.loads(text) == value


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_string_is_one_json_string(text) -> None:
    import json

    source = _data({"k": [text, {"n": text}]})
    assert json.loads(source) == {"k": [text, {"n": text}]} and source.isascii()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), {1: "x"}, {"a": {2: "y"}}, b"bytes"])
def test_values_json_would_change_or_cannot_hold_are_refused(value) -> None:
    with pytest.raises((TypeError, ValueError)):
        _data(value)


def test_data_lines_are_one_key_each_and_short_scalar_collections_stay_on_one_line() -> None:
    from backends.pulumi.resource_data import WIDTH

    value = {"metadata": {"labels": {"a": "b"}}, "command": ["python", "-m", "x"], "long": ["x" * 60, "y" * 60]}
    assert _data(value) == ('{\n "metadata": {\n  "labels": {"a": "b"}\n },\n "command": ["python", "-m", "x"],\n'
                            f' "long": [\n  "{"x" * 60}",\n  "{"y" * 60}"\n ]\n}}\n')
    assert all(len(line) <= WIDTH for line in _data(value).splitlines())

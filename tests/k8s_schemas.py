"""Validate generated Kubernetes objects against the schemas the API server would apply.

Core kinds are checked with kubernetes-validate's strict OpenAPI schemas. Custom resources are
checked against the openAPIV3Schema of their upstream CRD, read as the API server reads it:
defaults applied, unknown fields rejected (as `kubeconform -strict` does; the server would
silently prune them), then the CRD's CEL rules evaluated with cel-python.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import yaml
from celpy import celtypes

from tests.upstream import SKIP_REASON, upstream_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO_ROOT / ".cache" / "crd-schemas"

# Both kubernetes-sigs/karpenter and aws/karpenter-provider-aws ship a NodePool CRD; EKS installs
# the AWS copy (two extra CEL rules), so that one wins.
PREFERRED_CRDS = {("karpenter.sh", "NodePool"): "karpenter.sh/aws-provider/nodepools.yaml"}
# AKS node auto-provisioning installs the Azure provider's NodePool CRD (its CEL rules restrict the
# karpenter.azure.com and kubernetes.azure.com label domains): NodePools whose nodeClassRef is an
# AKSNodeClass are checked against that copy.
PROVIDER_CRDS = {("karpenter.sh", "NodePool", "karpenter.azure.com"): "karpenter.sh/azure-provider/nodepools.yaml"}

# Parsing a whole 2.8 MB Argo CRD takes up to a second; its first lines name its group and kind.
_CRD_HEADER = re.compile(
    r"^kind: CustomResourceDefinition\s*$.*?^  group: (\S+)\s*$.*?^    kind: (\S+)\s*$", re.M | re.S
)

FieldPath = tuple[str | int, ...]
Error = tuple[FieldPath, str]


class _CrdLoader(yaml.CSafeLoader):
    """CSafeLoader that reads a bare `=` (YAML 1.1 'value' tag, in AlertmanagerConfig) as a string."""


_CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.cache
def crd_index(crds_dir: Path) -> dict[tuple[str, str], Path]:
    """(group, kind) -> CRD file, from the first few KB of every YAML file under crds_dir."""
    index: dict[tuple[str, str], Path] = {}
    for path in sorted(crds_dir.rglob("*.yaml")):
        with path.open(encoding="utf-8") as f:
            header = _CRD_HEADER.search(f.read(4096))
        if header:
            index.setdefault((header[1], header[2]), path)
    for key, relative in PREFERRED_CRDS.items():
        if (crds_dir / relative).is_file():
            index[key] = crds_dir / relative
    return index


@functools.cache
def crd_versions(path: Path) -> dict[str, dict]:
    """Version name -> raw openAPIV3Schema of one CRD file, cached on disk by file content."""
    data = path.read_bytes()
    # The file's hash names the cache entry, so an updated CRD is re-read; bump "v1" if the layout changes.
    cached = CACHE_DIR / f"v1-{hashlib.sha256(data).hexdigest()}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    crd = yaml.load(data, Loader=_CrdLoader)
    versions = {
        v["name"]: v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v.get("served", True)
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")  # atomic: parallel test workers may race
    partial.write_text(json.dumps(versions), encoding="utf-8")
    partial.replace(cached)
    return versions


@functools.cache
def crd_validator(path: Path, version: str) -> jsonschema.Draft202012Validator | None:
    """A validator for the CRD's schema of one version made strict JSON Schema, or None."""
    raw = crd_versions(path).get(version)
    if raw is None:
        return None
    schema = _translate(copy.deepcopy(raw))
    properties = schema.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties.setdefault("metadata", {"type": "object"})  # ObjectMeta is checked separately
    return jsonschema.Draft202012Validator(schema)


def _translate(node: dict) -> dict:
    """Rewrite one structural-schema node in place into Draft 2020-12 JSON Schema.

    `format` (int32, int64, date-time, byte) is left alone: jsonschema ignores it without a
    format checker, and the API server only checks a few formats loosely.
    """
    if node.get("x-kubernetes-int-or-string"):
        node.pop("anyOf", None)  # the anyOf only restates this; dropping it gives a clearer message
        node["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in node:
        node["type"] = [*_as_list(node["type"]), "null"]
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    for child in node.get("properties", {}).values():
        _translate(child)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _translate(node[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for child in node.get(key, ()):
            _translate(child)
    return node


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _apply_defaults(schema: dict, value: Any) -> None:
    """Fill absent properties from `default`, recursively, as the API server does before validating."""
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, child in properties.items():
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
        for key, item in value.items():
            child = properties.get(key, schema.get("additionalProperties"))
            if isinstance(child, dict):
                _apply_defaults(child, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _apply_defaults(schema["items"], item)


# --- CEL -------------------------------------------------------------------------------------

def _find(text: celtypes.StringType, pattern: celtypes.StringType) -> celtypes.StringType:
    match = re.search(pattern, text)
    return celtypes.StringType(match[0] if match else "")


def _split(text: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType(celtypes.StringType(part) for part in text.split(separator))


# The Kubernetes CEL library functions the CRDs use that cel-python lacks (regex and strings ext).
KUBERNETES_CEL_FUNCTIONS = {"find": _find, "split": _split}
_CEL_MACROS = {"has", "dyn", "all", "exists", "exists_one", "map", "filter"}
_CEL_KNOWN = _CEL_MACROS | set(celpy.base_functions) | set(KUBERNETES_CEL_FUNCTIONS)
_CEL_ENV = celpy.Environment()


@functools.cache
def cel_program(rule: str) -> celpy.Runner | None:
    """The compiled rule, or None when it calls a function cel-python cannot evaluate."""
    try:
        ast = _CEL_ENV.compile(rule)
    except celpy.CELParseError:
        return None
    # celpy only notices a missing function when evaluation reaches the call; look ahead instead.
    for call in ast.find_pred(lambda t: t.data in ("member_dot_arg", "ident_arg", "dot_ident_arg")):
        name = call.children[1] if call.data == "member_dot_arg" else call.children[0]
        if str(name) not in _CEL_KNOWN:
            return None
    return _CEL_ENV.program(ast, functions=KUBERNETES_CEL_FUNCTIONS)


def cel_rules(schema: dict) -> Iterator[dict]:
    """Every `x-kubernetes-validations` entry in a CRD schema."""
    yield from schema.get("x-kubernetes-validations", ())
    properties = schema.get("properties", {}).values()
    for child in [*properties, schema.get("items"), schema.get("additionalProperties")]:
        if isinstance(child, dict):
            yield from cel_rules(child)


def uses_old_self(rule: str) -> bool:
    """Transition rules compare with the stored object; a manifest is always a create."""
    return re.search(r"\boldSelf\b", rule) is not None


# --- the validator ---------------------------------------------------------------------------

def _is_core_group(group: str) -> bool:
    # Built-in API groups: the legacy "" group, apps, batch, policy, autoscaling, *.k8s.io.
    return "." not in group or group.endswith(".k8s.io")


def _dotted(path: FieldPath) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    return text.lstrip(".") or "(root)"


class SchemaValidator:
    """Validates Kubernetes objects for one Kubernetes minor version against real schemas."""

    def __init__(self, kubernetes_version: str, upstream: Path) -> None:
        self.kubernetes_version = kubernetes_version
        self.crds = crd_index(upstream / "crds")
        self.upstream = upstream
        # CEL rule text -> evaluations skipped because cel-python lacks a function it calls.
        self.skipped_cel_rules: Counter[str] = Counter()
        self.evaluated_cel_rules: Counter[str] = Counter()

    def validate(self, obj: dict) -> list[str]:
        """Human-readable errors, each `kind/name: path: message`; empty when obj is valid."""
        kind = obj.get("kind")
        name = (obj.get("metadata") or {}).get("name")
        return [f"{kind}/{name}: {_dotted(path)}: {message}" for path, message in self._errors(obj)]

    def _errors(self, obj: dict) -> list[Error]:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return [((), "apiVersion and kind must be strings")]
        group, _, version = api_version.rpartition("/")
        crd = self.crds.get((group, kind))
        node_class = ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef") or {})
        provider_crd = PROVIDER_CRDS.get((group, kind, node_class.get("group")))
        if provider_crd is not None and (self.upstream / "crds" / provider_crd).is_file():
            crd = self.upstream / "crds" / provider_crd
        validator = crd_validator(crd, version) if crd else None
        if validator is not None:
            return self._custom_resource_errors(validator, obj)
        if crd is None and _is_core_group(group):
            return self._core_errors(obj)
        return [((), f"no schema for {api_version}/{kind}")]

    def _core_errors(self, obj: dict) -> list[Error]:
        # kubernetes-validate stops at the first error (it calls jsonschema's validate()).
        try:
            kubernetes_validate.validate(obj, self.kubernetes_version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return [((), f"no schema for {obj['apiVersion']}/{obj['kind']}")]
        except kubernetes_validate.ValidationError as error:
            return [(tuple(error.path), error.message)]
        return []

    def _custom_resource_errors(self, validator: jsonschema.Draft202012Validator, obj: dict) -> list[Error]:
        schema = validator.schema
        obj = copy.deepcopy(obj)  # defaulting must not leak into the caller's object
        _apply_defaults(schema, obj)
        schema_errors = list(validator.iter_errors(obj))
        errors = [(tuple(e.path), e.message) for e in schema_errors]
        # A CRD's root schema can only constrain metadata.name, so borrow ObjectMeta from a ConfigMap.
        metadata_holder = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": obj.get("metadata", {})}
        errors += self._core_errors(metadata_holder)
        # Like the API server, skip CEL when a value has the wrong type: rules would misfire on it.
        if not any(e.validator == "type" for e in schema_errors):
            errors += self._cel_errors(schema, obj, ())
        return errors

    def _cel_errors(self, schema: dict, value: Any, path: FieldPath) -> Iterator[Error]:
        for validation in schema.get("x-kubernetes-validations", ()):
            yield from self._check_rule(validation, value, path)
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for key, item in value.items():
                child = properties.get(key, schema.get("additionalProperties"))
                if isinstance(child, dict):
                    yield from self._cel_errors(child, item, (*path, key))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                yield from self._cel_errors(schema["items"], item, (*path, index))

    def _check_rule(self, validation: dict, value: Any, path: FieldPath) -> Iterator[Error]:
        rule = validation["rule"]
        if uses_old_self(rule):
            return
        program = cel_program(rule)
        if program is None:
            self.skipped_cel_rules[rule] += 1
            return
        self.evaluated_cel_rules[rule] += 1
        message = validation.get("message") or f"failed rule: {rule}"
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError as error:
            result = error
        if isinstance(result, celpy.CELEvalError):  # the API server reports runtime errors too
            yield path, f"{message} (error {result.args[0]} evaluating rule: {rule})"
        elif not result:
            yield path, message


@functools.cache
def get_validator(kubernetes_version: str) -> SchemaValidator:
    """The shared validator behind session-scoped fixtures; skips the test when upstream data is absent."""
    upstream = upstream_dir()
    if upstream is None:
        pytest.skip(SKIP_REASON)
    return SchemaValidator(kubernetes_version, upstream)

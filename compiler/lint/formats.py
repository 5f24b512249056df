"""Render findings: text (file:line:col: CODE [severity] message), json, github annotations, SARIF 2.1.0."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from ..diagnostics import Diagnostic
from ..escaping import terminal
from ..escaping.invisible import reveal
from ..validation import dotted
from .docs import rule_markdown, what_it_does
from .registry import RULES
from .rule import SEVERITY_RANK, Finding

FORMATS = ("text", "json", "sarif", "github")
INVALID_SPEC = "SPEC"  # the code under which validation errors are reported: not a rule, it cannot be turned off
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def from_diagnostic(diagnostic: Diagnostic) -> Finding:
    """A validation error as a finding, so an invalid spec is reported in every output format."""
    position = diagnostic.position
    return Finding(position.file, position.line, position.col, INVALID_SPEC, diagnostic.message, severity="error",
                   name="invalid-spec", path=tuple(diagnostic.path), hint=diagnostic.hint)


def render(findings: list[Finding], form: str, all_envs: tuple[str, ...] = ()) -> str:
    return {"text": render_text, "json": render_json, "github": render_github,
            "sarif": render_sarif}[form](findings, all_envs)


def render_text(findings: list[Finding], all_envs: tuple[str, ...] = ()) -> str:
    """One line per finding (and a `help:` line), safe for a terminal or CI log (`escaping.terminal`)."""
    lines = []
    for f in findings:
        envs = f" (in {', '.join(f.envs)})" if len(all_envs) > 1 and set(f.envs) != set(all_envs) else ""
        lines.append(f"{terminal.path(f.file)}:{f.line}:{f.col}: {f.code} [{f.severity}] "
                     f"{terminal.text(f.message + envs)}")
        if f.hint:
            lines.append(f"  help: {terminal.text(f.hint)}")
    return "".join(line + "\n" for line in lines)


def render_json(findings: list[Finding], all_envs: tuple[str, ...] = ()) -> str:
    items = [{"code": f.code, "name": f.name, "severity": f.severity, "message": f.message, "file": f.file,
              "line": f.line, "column": f.col, "path": dotted(f.path) if f.path else None, "hint": f.hint,
              "envs": list(f.envs)} for f in findings]
    return terminal.json_dumps(items, indent=2, ensure_ascii=False) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape(text: str, property_value: bool = False) -> str:
    """A workflow command's data (or, `property_value`, a property), escaped as the runner unescapes it
    (actions/runner `ActionCommand.cs`: `%`, CR, LF; `:` and `,` in properties). Other hidden characters
    are shown as escapes: the annotation and the log line are read by people."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    text = reveal(text)
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render_github(findings: list[Finding], all_envs: tuple[str, ...] = ()) -> str:
    """GitHub Actions workflow commands: one annotation per finding on the spec line."""
    out = []
    for f in findings:
        title = _escape(f"{f.code} {f.name}", property_value=True)
        message = f.message + (f"\nhelp: {f.hint}" if f.hint else "")
        out.append(f"::{_GITHUB_LEVEL[f.severity]} file={_escape(f.file, True)},line={f.line},col={f.col},"
                   f"title={title}::{_escape(message)}\n")
    return "".join(out)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(file: str) -> str:
    """A relative URI (from the working directory) when the file is under it, else an absolute file URI."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return quote(path.as_posix())


def _version() -> str:
    from ..distribution import version

    return version("0.0.0")


def sarif_document(findings: list[Finding]) -> dict:
    """SARIF 2.1.0: every rule's metadata in the driver, every finding a result with its region."""
    descriptors = [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": what_it_does(r)},
        "help": {"text": r.summary, "markdown": rule_markdown(r)},
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"tags": [r.family]},
    } for r in RULES]
    if any(f.code == INVALID_SPEC for f in findings):
        descriptors.append({"id": INVALID_SPEC, "name": "invalid-spec",
                            "shortDescription": {"text": "The spec does not validate."},
                            "fullDescription": {"text": "The spec is not valid mlops.yaml: syntax, schema or "
                                                        "references. Nothing else is checked until it is."},
                            "defaultConfiguration": {"level": "error"}})
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for f in findings:
        result = {
            "ruleId": f.code, "ruleIndex": index[f.code], "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Help: {f.hint}" if f.hint else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(f.file), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.line, "startColumn": f.col}}}],
        }
        if f.path:
            result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": dotted(f.path), "kind": "member"}]
        if f.envs:
            result["properties"] = {"environments": list(f.envs)}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mlops", "version": _version(), "semanticVersion": _version(),
                                "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def render_sarif(findings: list[Finding], all_envs: tuple[str, ...] = ()) -> str:
    return terminal.json_dumps(sarif_document(findings), indent=2, ensure_ascii=False) + "\n"


def fails(findings: list[Finding], fail_on: str) -> bool:
    threshold = SEVERITY_RANK[fail_on]
    return any(f.code == INVALID_SPEC or SEVERITY_RANK[f.severity] >= threshold for f in findings)


__all__ = ["FORMATS", "fails", "from_diagnostic", "render"]

"""Attack: the plan's Markdown, rendered as GitHub renders it, holds only the elements the plan writes.

Spec values, keys and file names, lint messages, lock fields (artifact URIs, lineage), schedules
and git refs are put into every string of a plan, by hand and by hypothesis; the Markdown is
rendered with cmark-gfm (GitHub's own renderer, raw HTML kept so that any that slips through is
seen) and parsed: every element must be one the writer uses, no attribute may carry a URL, and no
text outside code may hold what GitHub turns into a mention, an issue link or an emoji image
after rendering (`@name`, `#12`, `:name:`).
"""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.diagnostics import Position
from compiler.escaping import markdown as md
from compiler.graph import Graph, Node, add_pipeline, to_mermaid
from compiler.plan.costs import CostLine, NodePrice, PoolCost
from compiler.plan.markdown import render
from compiler.plan.object_diff import FieldChange
from compiler.plan.report import (EnvironmentPlan, LintItem, ModelChange, ModelSide, PipelineDiagram, Plan,
                                  ResourceChange, SpecChange)
from compiler.plan.revisions import Revision
from tests.conftest import REPO_ROOT

#: What the plan writes itself (tables, headings, code, the collapsed diffs), and nothing else.
ALLOWED = {"h2", "h3", "p", "strong", "em", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "details",
           "summary", "blockquote", "ul", "li", "br"}
ALLOWED_ATTRIBUTES = {("th", "align"), ("td", "align"), ("pre", "lang"), ("code", "class")}

ATTACKS = [
    "<img src=https://evil.example/t.png>", "<script>alert(1)</script>", "<a href='https://evil.example'>x</a>",
    "[click](https://evil.example)", "![t](https://evil.example/t.png)", "<https://evil.example>",
    "https://evil.example/x", "www.evil.example", "ftp://evil.example", "mailto:a@evil.example", "a@evil.example",
    "@octocat", "@acme/security", "x @y", "#1", "acme/other#12", "GH-3", ":shipit:", ":+1:", "$\\huge x$", "$$x$$",
    "&#64;octocat", "&lt;img&gt;", "`", "``", "```", "````", "~~~", "| x |", "\\|", "\\", "\n", "\r", "\r\n",
    "\n\n<img src=x>", "\n```\n<img src=x>\n```", "<!--", "-->", "</code>", "</summary>", "</details><img src=x>",
    "<details open>", "[^1]", "[^1]: note", "[x]: https://evil.example", "*em*", "**b**", "_u_", "~~s~~", "> q", "# h",
    "- li", "1. li", "---", "===", "    code", "\t", "\u202e\u2066gnp.exe\u2069", "\u200b", "\ufeff", "\x1b[31m",
    "\x9b31m", "\x00", "\x07", "::error::pwned", "::add-mask::x", "::stop-commands::t", "##[stop-commands]t",
    "javascript:alert(1)", "%0A::error::x", "<br>", "<br/>", "&amp;", "é🚀", "\u2028", "\u0085",
]

hostile = st.lists(st.sampled_from(ATTACKS) | st.text(max_size=4), max_size=5).map("".join)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.open: list[str] = []
        self.loose_text: list[str] = []   # text outside <code> and <pre>

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag not in ("br",):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data):
        if "code" not in self.open and "pre" not in self.open:
            self.loose_text.append(data)


def rendered(markdown: str) -> _Elements:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_only_the_plans_own_elements(markdown: str) -> None:
    parsed = rendered(markdown)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED, f"<{tag}> in the rendered plan"
        for name, value in attrs:
            assert (tag, name) in ALLOWED_ATTRIBUTES, f"<{tag} {name}={value!r}>"
            assert not re.search(r"[:/]", value or ""), f"<{tag} {name}={value!r}>"
    # GitHub links these after rendering, in each text node outside code (mentions notify people).
    for node in parsed.loose_text:
        assert "@" not in node, f"a possible @-mention outside code: {node!r}"
        assert not re.search(r"#\d", node), f"a possible issue reference outside code: {node!r}"
        assert not re.search(r":[a-z0-9_+-]+:", node), f"a possible emoji shortcode outside code: {node!r}"
    assert_safe_for_a_ci_log(markdown)


def assert_safe_for_a_ci_log(output: str) -> None:
    """A plan printed to a CI log: no workflow command, no control, bidi or other hidden character."""
    for line in output.split("\n"):
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line, line
        assert all(char.isprintable() for char in line), repr(line)


def _side(text: str, version: int) -> ModelSide:
    return ModelSide(text, version, text, "lock", text, {"data_version": text, "preprocessing_version": None,
                                                         "code_version": text + "x"})


def _pipeline(text: str) -> PipelineDiagram:
    graph = Graph("LR")

    class Step:
        resources = type("R", (), {"mig_profile": text, "gpu_count": 1.0})()
        timeout = text
        after = ()

    class Pipeline:
        schedules = [text, "0 3 * * *"]
        steps = {"train": Step()}

    add_pipeline(graph, "train", Pipeline(), {"train": "changed"}, label_suffix=text)
    graph.add(Node("model_x", text + "\nline two", "model"))
    return PipelineDiagram(text, "changed", to_mermaid(graph), {text: "changed"})


def hostile_plan(text: str) -> Plan:
    """A plan in which every string that could come from outside is `text`."""
    position = Position(text + ".yaml", 3, 5)
    change = FieldChange(("spec", text), text, text + "2")
    resource = ResourceChange("changed", ("v1", text, text, text), text, text, [change],
                              [" spec:", f"-  {text}: x", f"+  {text}: y", text, "   ```", "```"],
                              [f"`{text}`", f"model {text} v1 → v2", text])
    cost = PoolCost(text, text, 1, "spot", 0, 2, NodePrice(1.5, text, text))
    lint = LintItem(text, "warning", text, text, text, position)
    environment = EnvironmentPlan(
        text, [resource, ResourceChange("added", ("v1", "Kind", "", text), text, None, [], [f"+{text}"], [])], 1,
        [SpecChange(("env", text), text, {"k": text}, position), SpecChange((text,), [text], None, None)],
        [ModelChange(text, [text], _side(text, 1), _side(text + "2", 2), [text, f"lineage {text}"])],
        [lint], [lint], [CostLine(text, cost, None), CostLine(text + "b", None, cost)], [_pipeline(text)],
        notes=[text, f"{text} does not exist"])
    revision = Revision(text, b"", None, text, ref=text, commit="0" * 40)
    return Plan(text + ".yaml", revision, Revision(text, b"", None, text), [environment, environment])


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_attack_in_every_field_renders_as_text(attack) -> None:
    assert_only_the_plans_own_elements(render(hostile_plan(attack)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_any_text_in_every_field_renders_as_text(text) -> None:
    assert_only_the_plans_own_elements(render(hostile_plan(text)))


@settings(max_examples=500, deadline=None)
@given(hostile)
@example("@@")  # adjacent code spans read as one span closed by the inner double backtick
@example(":a:@#1")
def test_prose_shows_exactly_the_text(text) -> None:
    """What a reader sees is what the value holds: the text itself, hidden characters as escapes."""
    import html as html_module

    from compiler.escaping.invisible import reveal as shown  # `##[` is broken in the source only (`##\\[`)

    html = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n|---|\n| {md.text(text)} |",
                                                     options=Options.CMARK_OPT_UNSAFE)
    cell = re.search(r"<tbody>\n<tr>\n<td>(.*)</td>\n</tr>", html, re.S)
    assert cell, html
    # `@` and `#<digit>` are code spans of their own (<code>@</code>); the text is all the same.
    assert html_module.unescape(re.sub(r"</?code>", "", cell.group(1))) == shown(text).strip(" ")
    assert re.search(r"(?<!\\)\$", md.text(text)) is None, "a `$` GitHub could read as math"


@settings(max_examples=500, deadline=None)
@given(hostile)
def test_a_code_span_holds_exactly_the_text(text) -> None:
    from compiler.escaping.terminal import text as shown

    html = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n|---|\n| {md.code(text)} |",
                                                     options=Options.CMARK_OPT_UNSAFE)
    match = re.search(r"<td><code>(.*)</code></td>", html, re.S)
    assert match, html
    import html as html_module

    assert html_module.unescape(match.group(1)) == (shown(text) or " ")  # empty: a one-space span
    paragraph = cmarkgfm.github_flavored_markdown_to_html(f"x {md.code(text, in_table=False)} y")
    inner = re.search(r"<p>x <code>(.*)</code> y</p>", paragraph, re.S)
    assert inner and html_module.unescape(inner.group(1)) == (shown(text) or " "), paragraph


@settings(max_examples=300, deadline=None)
@given(st.lists(hostile, max_size=4))
def test_a_fence_is_never_closed_from_inside(lines) -> None:
    block = "\n".join(md.fence(lines, "diff")) + "\n\nafter"
    html = cmarkgfm.github_flavored_markdown_to_html(block)
    assert html.count("<pre") == 1 and html.rstrip().endswith("<p>after</p>"), html


def test_the_plan_of_a_hostile_spec_and_ref(tmp_path, capsys) -> None:
    """End to end: a spec whose env keys and values and a base ref (a git tag) carry attacks, planned
    through the CLI (lock fields, lineage and lint messages are in `hostile_plan` above)."""
    import subprocess

    from compiler.cli import main

    spec = REPO_ROOT / "tests" / "pulumi_cases" / "hostile-strings.yaml"
    text = spec.read_text(encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(spec, repo / "mlops.yaml")

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@e", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-q", "-m", "base")
    ref = "x<img/src=evil.example>`@octocat|#1$'&\""
    git("tag", ref)
    # Env names are validated as C identifiers now (issue 14, item 11): the attacks ride in the values.
    hostile_env = ("\n        env:\n          HOSTILE_A: 'A<img src=x>`@octocat|#1\\u202e</details><img src=//evil.example>'\n"
                   "          HOSTILE_B: '```\\r\\n<script>x</script> :shipit: https://evil.example @acme/team'\n")
    changed = text.replace("        resources: {cpu: 1, memory: 1Gi}",
                           "        resources: {cpu: 1, memory: 1Gi}" + hostile_env.replace("\\u202e", "\u202e"))
    changed = changed.replace('schedule: "0 3 * * 0"', 'schedule: "0 4 * * 0"')
    (repo / "mlops.yaml").write_text(changed, encoding="utf-8")
    capsys.readouterr()
    assert main(["plan", str(repo / "mlops.yaml"), "--base", ref]) == 0
    out = capsys.readouterr().out
    assert "Spec changes" in out and "evil.example" in out and "octocat" in out  # the attacks are shown, as text
    assert_only_the_plans_own_elements(out)

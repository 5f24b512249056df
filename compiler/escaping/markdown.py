"""Untrusted text in GitHub-flavoured Markdown (the plan as a PR comment, a job summary, a terminal).

Four places, four functions; a writer never pastes a value into Markdown any other way:

- `code(value)`: a code span, for names, paths, refs and values. Inside one nothing is parsed
  (no HTML, links, emphasis) and GitHub links no mention, issue or emoji; the only ways out are a
  backtick run as long as the fence (the fence is made longer than any run inside) and, in a table,
  `|` (escaped `\\|`, which GFM's table scanner removes before the span is read).
- `text(value)`: prose in a paragraph or a table cell (lint messages, reasons, notes). Every
  character that starts Markdown or GFM syntax inline is backslash-escaped: `\\` `` ` `` `*` `_`
  `~` `[` `]` `<` `>` `|` `&` `$` (math) `#`, the `:` of `://` (URL autolinks) and the dot of
  `www.` (www autolinks). Some links GitHub adds after rendering, to text nodes, whatever the
  escaping: `@name` (a mention: a notification), `#12` and `owner/repo#12` (issue links and
  cross-references), `:name:` (emoji, some of them images), and `a@b.co` becomes a mailto link. So
  `@`, a `#` before a digit and a `:` that opens `:name:` are each a code span of their own. Where text opens
  a line (a `> ` note), a leading `-`, `+`, `=` or `1.` is escaped too, so it cannot become a list
  or a rule.
- `html(value)`: text inside raw HTML the plan writes (`<summary><code>...</code></summary>`),
  where Markdown is not parsed: HTML-escaped.
- `fence(lines, info)`: a fenced block (diffs, Mermaid), with a fence longer than any backtick run
  in its lines; a line's leading `::` is escaped as on a terminal (`terminal.line`).

All four show hidden characters as escapes (`invisible.reveal`: controls, bidi, zero-width, line
breaks) and break the CI runner's legacy `##[command]`, since a plan printed to a CI log is read by
the runner too. The tests render the output with cmark-gfm (GitHub's renderer) and allow only the
elements the plan writes itself.
"""
from __future__ import annotations

from .invisible import reveal
from .terminal import line as terminal_line
from .terminal import text as terminal_text

#: Inline syntax characters escaped with a backslash (CommonMark allows it before any ASCII punctuation).
_ESCAPED = frozenset("\\`*_~[]<>|&$#")


def code(value: object, *, in_table: bool = True) -> str:
    """`value` as one code span; `in_table=False` where no table cell holds it (no `|` to escape)."""
    shown = terminal_text(value)
    if in_table:
        shown = shown.replace("|", "\\|")
    if not shown:
        return "` `"
    longest = run = 0
    for char in shown:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    marker = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that has one at both: pad when the value
    # starts or ends with a backtick or a space, so the padding is what gets stripped.
    pad = " " if shown.strip(" ") and (shown[0] in "` " or shown[-1] in "` ") else ""
    return f"{marker}{pad}{shown}{pad}{marker}"


def text(value: object) -> str:
    """`value` as literal prose inside a paragraph or a table cell (see the module docstring)."""
    raw = str(value)
    out: list[str] = []
    for index, char in enumerate(raw):
        following = raw[index + 1:index + 2]
        if char == "@" or (char == "#" and following.isdigit()) or (char == ":" and _opens_shortcode(raw, index)):
            # Adjacent spans would read as one span delimited by the inner double backtick: extend instead.
            if out and len(out[-1]) > 2 and out[-1][0] == out[-1][-1] == "`":
                out[-1] = out[-1][:-1] + char + "`"
            else:
                out.append(f"`{char}`")
        elif char in _ESCAPED:
            out.append("\\" + char)
        elif char == ":" and following == "/":
            out.append("\\:")
        elif char == "." and raw[max(0, index - 3):index].lower() == "www":
            out.append("\\.")
        else:
            out.append(char)
    if raw[:1] in ("-", "+", "="):
        out[0] = "\\" + out[0]
    else:
        digits = len(raw) - len(raw.lstrip("0123456789"))
        if digits and raw[digits:digits + 1] in (".", ")"):
            out[digits] = "\\" + out[digits]
    return terminal_text("".join(out))


def _opens_shortcode(raw: str, index: int) -> bool:
    """Whether the `:` at `index` opens `:name:` (GitHub's emoji names: letters, digits, `_`, `+`, `-`)."""
    end = index + 1
    while end < len(raw) and (raw[end].isascii() and (raw[end].isalnum() or raw[end] in "_+-")):
        end += 1
    return end > index + 1 and raw[end:end + 1] == ":"


def html(value: object) -> str:
    """`value` as text inside raw HTML (an element's content or a quoted attribute)."""
    import html as html_module

    shown = html_module.escape(reveal(str(value)), quote=True)
    return shown.replace("##[", "##&#91;")


def fence(lines: list[str], info: str = "") -> list[str]:
    """`lines` as one fenced block opened with `info` (`diff`, `mermaid`)."""
    shown = [terminal_line(line) for line in lines]  # each opens a line: a leading `::` is escaped too
    longest = 0
    for line in shown:
        run = 0
        for char in line:
            run = run + 1 if char == "`" else 0
            longest = max(longest, run)
    marker = "`" * max(3, longest + 1)
    return [marker + info, *shown, marker]

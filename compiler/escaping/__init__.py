"""Untrusted text in what mlops writes: one module per medium, each the only way text enters it.

A spec, its file name, a lock, a git ref and an MLflow registry are written by people the reader
of mlops' output may not trust. Every writer passes such text through the module of the medium it
lands in (docs/security.md, "Untrusted text in what mlops writes"):

- `invisible`: characters a reader cannot see or that steer a terminal (controls, bidi, zero-width),
  shown as escapes; the one definition every other medium uses.
- `terminal`: terminal and CI-log lines (diagnostics, `mlops lint` text, messages on stderr).
- `markdown`: the plan's GitHub-flavoured Markdown (table cells, code spans, fences, HTML).
- `diagram`: Mermaid and Graphviz DOT labels (`mlops graph`, the plan's pipeline diagrams).

YAML (`compiler/yaml_emitter.py`) and Python (`backends/pulumi/emitted.py`) have their own writers,
which quote every value; they use `invisible` for what must be shown escaped.
"""

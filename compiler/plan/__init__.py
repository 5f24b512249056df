"""`mlops plan`: what a change to mlops.yaml does, for a reviewer.

    revisions.py    the two sides: spec + lock at a git revision, in the working tree, or in a file
    build.py        compile both sides per environment and explain the difference (a report.Plan)
    object_diff.py  pair objects by (apiVersion, kind, namespace, name); field changes
    yaml_diff.py    minimal YAML diffs of those changes
    costs.py        node-pool cost per month from the documented prices
    markdown.py     the PR comment          json_report.py  the same for bots (docs/plan-json.md)
"""

"""`mlops rules [CODE] [--markdown]`: the lint rules, one rule's documentation, or docs/rules.md."""
from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("rules", help="list the lint rules, or document one",
                                   description="Without CODE, list every lint rule; with CODE, print its "
                                               "documentation. --markdown prints docs/rules.md.")
    parser.add_argument("code", nargs="?", metavar="CODE", help="rule code (e.g. SERVE001) or name")
    parser.add_argument("--markdown", action="store_true", help="print the full rules reference (docs/rules.md)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..diagnostics import UsageError
    from ..lint.docs import rule_markdown, rules_markdown
    from ..lint.registry import BY_CODE, RULES, suggest_code

    if args.markdown:
        sys.stdout.write(rules_markdown())
        return 0
    if args.code:
        by_name = {r.name: r for r in RULES}
        rule = BY_CODE.get(args.code.upper()) or by_name.get(args.code)
        if rule is None:
            raise UsageError(f"unknown rule {args.code!r}{suggest_code(args.code)}")
        sys.stdout.write(rule_markdown(rule))
        return 0
    width = max(len(r.name) for r in RULES)
    for rule in RULES:
        sys.stdout.write(f"{rule.code:<9} {rule.name:<{width}}  {rule.severity:<7}  {rule.summary}\n")
    return 0

"""LINT: the linter's own hygiene. The engine enforces these while it applies suppressions."""
from __future__ import annotations

from ..rule import documented

UNUSED_IGNORE = documented("LINT001", "unused-ignore", "warning",
                           "An ignore (in `lint.ignore` or a `# mlops: ignore` comment) matches no finding.", """
    ## What it does
    Reports each `lint.ignore` entry and each `# mlops: ignore CODE` comment (each code of it)
    that suppressed nothing. An ignore of a rule that did not run (disabled, or left out by
    `--select`/`--ignore`) is not judged. With `--all-envs`, an ignore is unused only if it
    suppressed nothing in every environment it applies to.

    ## Why is this bad?
    A stale ignore outlives the problem it excused and then hides the next, real finding at the
    same place. Suppressions should be as few as the problems they justify.

    ## Example
    ```yaml
    serving:
      fraud-api:
        replicas: {min: 2, max: 20}   # mlops: ignore SERVE001 -- scaled to zero at night
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api:
        replicas: {min: 2, max: 20}
    ```
    """)

IGNORE_WITHOUT_REASON = documented("LINT002", "ignore-without-reason", "error", "An ignore has no reason.", """
    ## What it does
    Reports `lint.ignore` entries without `reason` and `# mlops: ignore` comments without
    `-- reason`. The ignore still suppresses its finding; this finding takes its place.

    ## Why is this bad?
    An ignore is a decision that a trap is acceptable here. Without the reason, the next reader
    cannot tell a considered exception from a silenced alarm, and cannot know when it stops
    being true.

    ## Example
    ```yaml
    lint:
      ignore:
        - rule: SERVE001
          at: serving.merchant-embed
    ```

    ## Use instead
    ```yaml
    lint:
      ignore:
        - rule: SERVE001
          at: serving.merchant-embed
          reason: batch-only endpoint; a cold start costs nobody
    ```
    Or, as a comment: `# mlops: ignore SERVE001 -- batch-only endpoint`.
    """)

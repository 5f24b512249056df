"""SEC: credentials where they do not belong."""
from __future__ import annotations

import math
import re
from collections.abc import Iterator

from ..rule import Context, Problem, RuleOptions, rule

# Well-known token formats (the prefixes their issuers document; the same families gitleaks and
# GitHub secret scanning look for). Each is matched anywhere in the value.
TOKEN_FORMATS: tuple[tuple[str, re.Pattern], ...] = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+")),
    ("a private key", re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z]{34,}\b")),
    ("an OpenAI API key", re.compile(r"\bsk-(proj-)?[A-Za-z0-9_-]{32,}")),
    ("a URL with a password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)),
)
#: Names whose value is a credential: *_KEY, *_TOKEN, *_PASSWORD, *_SECRET, *_CREDENTIALS, ...
SECRET_NAME = re.compile(r"(^|_)(KEY|TOKEN|PASSWORD|PASSWD|PWD|SECRET|CREDENTIALS?|APIKEY|API_KEY|AUTH)$",
                         re.IGNORECASE)
MIN_SECRET_LENGTH = 16
#: Bits per character above which a value under a secret name is read as random: English words
#: and identifiers stay below ~3.5, base64/hex keys of 16+ characters above.
MIN_ENTROPY = 3.5


def shannon_entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixes_letters_and_digits(value: str) -> bool:
    """Generated keys mix both; hyphenated words (`placeholder-token`) and names do not."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def credential_kind(name: str, value: str) -> str | None:
    """What `value` (under variable `name`) looks like a credential of, or None."""
    for kind, pattern in TOKEN_FORMATS:
        if pattern.search(value):
            return kind
    if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH and not value.startswith(("/", "$")) \
            and " " not in value and _mixes_letters_and_digits(value) and shannon_entropy(value) >= MIN_ENTROPY:
        return f"a random value under a credential's name ({len(value)} characters)"
    return None


def _env_sites(ctx: Context) -> Iterator[tuple[tuple, dict]]:
    spec = ctx.spec
    for name, endpoint in spec.serving.items():
        yield ("serving", name, "env"), endpoint.env
    for pipeline_name, pipeline in spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            yield ("pipelines", pipeline_name, "steps", step_name, "env"), step.env
    for name, monitor in spec.monitoring.items():
        yield ("monitoring", name, "env"), monitor.env


@rule("SEC001", "credential-in-env-literal", "error",
      "A plain `env` value of an endpoint, step or monitor looks like a credential (a known token format, or a "
      "random value under a name like *_KEY, *_TOKEN, *_PASSWORD, *_SECRET).")
def credential_in_env_literal(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks every literal `env` value of `serving.*`, `pipelines.*.steps.*` and `monitoring.*`
    against well-known credential formats: AWS access key ids (`AKIA...`), GitHub tokens
    (`ghp_...`, `github_pat_...`), Slack tokens (`xox?-...`) and webhook URLs, private key headers,
    JSON Web Tokens, Google, Stripe, Hugging Face and OpenAI keys, URLs with a password; and values
    under a credential's name (`*_KEY`, `*_TOKEN`, `*_PASSWORD`, `*_SECRET`, `*_CREDENTIALS`) that
    are 16 or more characters mixing letters and digits at high entropy (at least 3.5 bits per
    character). The finding never
    repeats the value.

    ## Why is this bad?
    `mlops.yaml` lives in git, and every literal `env` value is copied into the generated manifests,
    the Pulumi program and `mlops plan`'s review: a credential written there is published to
    everyone who can read the repository, its forks, CI logs and PR comments, and stays in the
    history after it is removed. It must be rotated, not deleted.

    ## Example
    ```yaml
    serving:
      fraud-api:
        env:
          FEAST_API_KEY: 6f1c9a0b7e2d4c8f9a3b5d7e1f2a4c6b
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api:
        env:
          FEAST_API_KEY: {secret: feast-credentials/api-key}   # kubectl create secret generic ...
    ```
    Or every key of a Secret: `env_from: [{secret: feast-credentials}]`.
    """
    for path, env in _env_sites(ctx):
        for name, value in env.items():
            if not isinstance(value, str):
                continue
            kind = credential_kind(name, value)
            if kind is not None:
                yield Problem((*path, name), f"{'.'.join(path)}.{name} is a literal that looks like {kind}: it "
                              "would be committed to git and copied into every generated manifest",
                              hint=f"store it in a Secret and write `{name}: {{secret: <secret-name>/<key>}}`; "
                                   "if it was ever pushed, rotate it")

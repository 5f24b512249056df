"""The distribution mlops is installed as, and how to ask pip for it again.

The distribution is `mlops-compiler` (the import packages stay `compiler` and `backends`, the
command `mlops`): the package index's project named `mlops` is an unrelated one, so an instruction
or a requirement that says `mlops[...]` installs someone else's code. Every install instruction
mlops prints or writes names `mlops-compiler`, pinned to where this copy came from when pip
recorded that (PEP 610 `direct_url.json`: a git URL and commit, or an archive URL).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

NAME = "mlops-compiler"


def version(default: str = "") -> str:
    """The installed version, or `default` when running from a checkout that was never installed."""
    try:
        from importlib.metadata import version as installed_version

        return installed_version(NAME)
    except Exception:
        return default


def origin() -> dict | None:
    """pip's record of where the installed copy came from (`direct_url.json`), or None (from an index)."""
    try:
        from importlib.metadata import distributions

        # The first copy that pip installed (a source checkout's own *.egg-info, found first when the
        # working directory is on sys.path, records nothing).
        texts = (found.read_text("direct_url.json") for found in distributions(name=NAME))
        text = next((text for text in texts if text), None)
        data = json.loads(text) if text else None
    except Exception:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def _without_credentials(url: str) -> str | None:
    """`url` without a user or password in it (a token must never reach a file or a message); None if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http", "ssh", "git", "file"):
        return None
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = parts.username if parts.username == "git" and parts.password is None else None
    netloc = f"{user}@{host}" if user else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def requirement(extras: str = "", *, local: bool = False) -> str:
    """A PEP 508 requirement for this copy of mlops with `extras`.

    From git: `mlops-compiler[x] @ git+URL@COMMIT` (the commit running now); from an archive URL:
    `mlops-compiler[x] @ URL`; from an index, or from a local directory (a path is no use on another
    machine unless `local`): `mlops-compiler[x]>=VERSION`, or with `local` the `file:` URL."""
    name = f"{NAME}[{extras}]" if extras else NAME
    found = origin()
    if found is not None:
        url = _without_credentials(found["url"])
        vcs = found.get("vcs_info")
        subdirectory = found.get("subdirectory")
        fragment = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) and subdirectory else ""
        if url and isinstance(vcs, dict) and vcs.get("vcs") == "git" and isinstance(vcs.get("commit_id"), str):
            return f"{name} @ git+{url}@{vcs['commit_id']}{fragment}"
        if url and "archive_info" in found and not url.startswith("file:"):
            return f"{name} @ {url}{fragment}"
        if url and local and url.startswith("file:"):
            return f"{name} @ {url}{fragment}"
    current = version()
    return f"{name}>={current}" if current else name


def install_command(extras: str) -> str:
    """What to run to add `extras` to the mlops installed here (for messages, not for committed files)."""
    found = origin()
    if found is not None and (found.get("dir_info") or {}).get("editable"):
        url = urlsplit(found["url"])
        if url.scheme == "file":
            from urllib.request import url2pathname

            return f"pip install -e '{url2pathname(url.path)}[{extras}]'"
    return f"pip install '{requirement(extras, local=True)}'"

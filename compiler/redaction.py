"""Credentials out of messages: URIs with a user or password, and secrets in query strings.

A tracking URI such as `https://ci:s3cret@mlflow.corp/?token=...` is printed in lock messages,
and MLflow's and requests' errors repeat the URL they failed on. Every message that can carry a
URI goes through `redact`, which keeps the scheme, host, port and path (what a person needs to
recognise the server) and replaces the user information and the values of query parameters.
"""
from __future__ import annotations

import functools
import re

MASK = "***"
# Query parameters known not to carry secrets (SQLite's URI options): shown as written.
_HARMLESS_QUERY = {"mode", "cache", "immutable", "nolock", "vfs", "uri", "psow", "timeout"}


@functools.cache
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    userinfo = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s'\"<>]*)@")
    query = re.compile(r"(?P<sep>[?&;])(?P<key>[^=&;#\s'\"<>]+)=(?P<value>[^&;#\s'\"<>]*)")
    return userinfo, query


def redact(text: str) -> str:
    """`text` with every URI's user information and every query value (but SQLite's options) masked."""
    if "@" not in text and "=" not in text:
        return text
    userinfo, query = _patterns()
    text = userinfo.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return query.sub(lambda m: m[0] if m["key"].lower() in _HARMLESS_QUERY or not m["value"]
                     else f"{m['sep']}{m['key']}={MASK}", text)


def has_credentials(uri: str) -> bool:
    """True when `uri` carries user information or a query value `redact` would mask."""
    return redact(uri) != uri

"""The YAML writer: what it writes reads back as exactly what it was given, by YAML 1.1 and 1.2 readers."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from backends.kubernetes import lower
from backends.kubernetes.files import safe_path
from backends.kubernetes.order import canonical_object
from compiler.yaml_emitter import dump_all, dump_document, scalar
from tests.compile_support import EXAMPLE, checked

TRICKY = ["true", "on", "No", "y", "~", "null", "", " lead", "trail ", "8", "1e3", "0x1F", "0o17", "1_000", "1:20",
          "2026-11-01", ".5", "-1", "+1", ".inf", "a: b", "a #b", "#c", "- x", "@hourly", "*/30 * * * *",
          "0 3 * * *", "{x}", "[x]", "!tag", "&a", "%x", "|", ">", "'q'", '"q"', "line\nbreak", "tab\there",
          "back\\slash", "\u2028", "\x00", "é", "🙂", "key:", "=", "?", "0.85", "10%", "500m", "4Gi", "v1"]


def read_both(text: str) -> tuple:
    return yaml.load(text, Loader=yaml.CSafeLoader), YAML(typ="safe", pure=True).load(text)


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_read_back_as_the_same_string(value: str) -> None:
    document = {"k": value, value or "empty": [value], "nested": {"list": [{"name": value}]}}
    for reader in read_both(dump_document(document)):
        assert reader == document


def test_ambiguous_scalars_are_quoted() -> None:
    assert scalar("true") == '"true"'
    assert scalar("8") == '"8"'
    assert scalar("fraud-api") == "fraud-api"
    assert scalar(8) == "8"
    assert scalar(True) == "true"


def test_multiline_text_is_a_literal_block() -> None:
    text = dump_document({"script": "import os\n\nprint(os.name)\n"})
    assert text == "script: |\n  import os\n\n  print(os.name)\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_any_plain_data_round_trips(document: dict) -> None:
    loaded = yaml.load(dump_document(document), Loader=yaml.CSafeLoader)
    assert loaded == (document or {})


def test_compiled_example_round_trips() -> None:
    objects = lower(checked(EXAMPLE, "prod"))
    assert list(yaml.load_all(dump_all(objects), Loader=yaml.CSafeLoader)) == objects


def test_key_order_is_canonical() -> None:
    for obj in lower(checked(EXAMPLE, "prod")):
        keys = list(obj)
        assert keys[:3] == ["apiVersion", "kind", "metadata"]
        assert list(obj["metadata"])[0] == "name"
        assert obj == canonical_object(obj)


@pytest.mark.parametrize("relative", ["../x.yaml", "/etc/passwd", "a/../../b.yaml", "", "serving/../../x.yaml"])
def test_paths_cannot_escape_the_output_directory(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ValueError):
        safe_path(tmp_path, relative)


def test_symlinked_folder_cannot_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "serving").symlink_to(outside)
    with pytest.raises(ValueError):
        safe_path(root, "serving/x.yaml")

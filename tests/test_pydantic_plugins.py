"""The CLI's replacement for pydantic's plugin lookup (compiler/pydantic_plugins.py): it must give
pydantic everything pydantic imports from the lookup module, answer what pydantic's own lookup
answers with plugins disabled, and keep `importlib.metadata` (~15 ms) off the pre-commit path."""
import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pydantic

from compiler import pydantic_plugins

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"


def names_pydantic_imports_from_the_lookup() -> set[str]:
    """Every name pydantic's source imports from its plugin lookup module (`from ._loader import ...`)."""
    names: set[str] = set()
    for source in Path(pydantic.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "_loader":
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Import) and any(a.name.endswith("._loader") for a in node.names):
                names.add("<the module itself>")
    return names


def test_the_replacement_has_everything_pydantic_imports_from_the_lookup():
    imported = names_pydantic_imports_from_the_lookup()
    assert imported, "pydantic no longer imports its plugin lookup module: compiler/pydantic_plugins.py can go"
    assert imported == {"get_plugins"}, (
        f"pydantic now imports {sorted(imported)} from {pydantic_plugins.LOOKUP_MODULE}: extend the replacement")


PROBE = """
import json, os, sys
from compiler import pydantic_plugins
replaced = pydantic_plugins.disable()
from compiler.cli import main
code = main(["lint", sys.argv[1]])
from pydantic.plugin._loader import get_plugins
print(json.dumps({"replaced": replaced, "code": code, "plugins": list(get_plugins()),
                  "metadata": "importlib.metadata" in sys.modules}))
"""


def probe(env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, str(EXAMPLE)], capture_output=True, text=True,
                            timeout=120, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_lint_validates_with_no_plugins_and_without_importlib_metadata():
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    report = probe(env)
    assert report == {"replaced": True, "code": 0, "plugins": [], "metadata": False}


def test_a_user_choosing_plugins_gets_pydantics_own_lookup():
    report = probe({**os.environ, "PYDANTIC_DISABLE_PLUGINS": "some-plugin"})
    assert report["replaced"] is False and report["code"] == 0
    assert report["metadata"] is True, "pydantic's own lookup reads entry points through importlib.metadata"


def test_pydantics_own_lookup_agrees_when_plugins_are_disabled(monkeypatch):
    """pydantic's real module (loaded from its file: this process may have replaced it) returns no plugins."""
    origin = Path(pydantic.__file__).parent / "plugin" / "_loader.py"
    spec = importlib.util.spec_from_file_location("pydantic_real_plugin_lookup", origin)
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    assert tuple(real.get_plugins()) == pydantic_plugins._no_plugins() == ()

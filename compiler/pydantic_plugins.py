"""The CLI runs pydantic without plugins, and without paying for the plugin lookup.

pydantic looks for plugins (entry points of the `pydantic` group) when it builds its first
validator. Its lookup module imports `importlib.metadata` at the top, which alone takes ~15 ms:
a tenth of a `mlops lint` run in pre-commit, where the budget is 1.5x yamllint's ~90 ms. With
`PYDANTIC_DISABLE_PLUGINS=__all__` pydantic returns no plugins without reading any metadata, so
the module's import is the whole cost. `disable()` sets that variable and registers a lookup
module that returns no plugins, the same answer, without the import.

A user who sets `PYDANTIC_DISABLE_PLUGINS` to anything else (say, to disable only some plugins)
gets pydantic's own lookup. `tests/test_pydantic_plugins.py` fails if pydantic starts importing
anything else from its lookup module.
"""
import os
import sys
import types

LOOKUP_MODULE = "pydantic.plugin._loader"
# The values pydantic's `get_plugins` reads as "no plugins at all".
DISABLED_VALUES = ("__all__", "1", "true")


def _no_plugins() -> tuple:
    return ()


def disable() -> bool:
    """Disable pydantic plugins for this process; True when the lookup module was replaced."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] not in DISABLED_VALUES or LOOKUP_MODULE in sys.modules:
        return False
    lookup = types.ModuleType(LOOKUP_MODULE, "pydantic's plugin lookup with plugins disabled (compiler.pydantic_plugins)")
    lookup.get_plugins = _no_plugins
    sys.modules[LOOKUP_MODULE] = lookup
    return True

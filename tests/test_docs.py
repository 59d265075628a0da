"""The documentation lists every public name, and its examples are where it says."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = DOCS.parent / "examples"

#: Every public subpackage; each name of its ``__all__`` must be in api.rst.
PUBLIC_MODULES = (
    "ecgaug.base",
    "ecgaug.callbacks",
    "ecgaug.classifiers",
    "ecgaug.cli",
    "ecgaug.datasets",
    "ecgaug.evaluation",
    "ecgaug.evaluation.metrics",
    "ecgaug.generators",
    "ecgaug.plotting",
)


def _documented() -> set[str]:
    """Fully qualified names that docs/api.rst documents."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    names, module = set(), None
    for line in text.splitlines():
        current = re.match(r"\.\. (?:currentmodule|automodule):: (\S+)", line)
        if current:
            module = current.group(1)
            names.add(module)
            continue
        entry = re.match(r"^   ([A-Za-z_][\w.]*)\s*$", line)  # autosummary entry
        data = re.match(r"\.\. data:: (\w+)", line)
        if module and (entry or data):
            names.add(f"{module}.{(entry or data).group(1)}")
    return names


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_name(module_name):
    module = importlib.import_module(module_name)
    documented = _documented()
    missing = [
        name for name in module.__all__ if f"{module_name}.{name}" not in documented
    ]
    assert not missing, f"add {missing} of {module_name} to docs/api.rst"


def test_every_public_subpackage_is_checked():
    import pkgutil

    import ecgaug

    found = {
        f"ecgaug.{m.name}"
        for m in pkgutil.iter_modules(ecgaug.__path__)
        if not m.name.startswith("_")
    }
    assert found <= set(PUBLIC_MODULES), found - set(PUBLIC_MODULES)


def test_docs_reference_existing_examples():
    """``sphx_glr_auto_examples_<name>.py`` references name real example files."""
    examples = {p.stem for p in EXAMPLES.glob("plot_*.py")}
    assert examples, "examples/ has no plot_*.py"
    generated = {"_build", "generated", "auto_examples", "gen_modules"}
    pages = [p for p in DOCS.rglob("*.rst") if not generated & set(p.parts)]
    pages += list(EXAMPLES.glob("*.py"))
    for page in pages:
        for ref in re.findall(r"sphx_glr_auto_examples_(\w+)\.py", page.read_text()):
            assert ref in examples, f"{page.name} refers to a missing example {ref}"

"""Sphinx configuration of the ecgaug documentation.

Build (offline; warnings are errors; the gallery runs every example on the CPU)::

    make -C docs html         # = sphinx-build -W -b html docs docs/_build/html
    make -C docs html-noplot  # the same without running the examples (seconds)
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))

import ecgaug  # noqa: E402

# -- Project ---------------------------------------------------------------
project = "ecgaug"
author = "The ecgaug developers"
copyright = "The ecgaug developers; BSD-3-Clause"  # noqa: A001
release = ecgaug.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
]
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say it
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Gallery -----------------------------------------------------------------
# Examples run on the CPU, headless, on the sample shipped with ecgaug.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", category=UserWarning, message=".*non-GUI backend.*")
sphinx_gallery_conf = {
    "examples_dirs": str(REPO / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("ecgaug",),
    "reference_url": {"ecgaug": None},
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    "download_all_examples": False,
    "capture_repr": (),  # the examples print what they show
    "matplotlib_animations": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"ecgaug {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "citing": [], "whats_new": []}
html_show_sourcelink = False


# -- The command-line reference is the parser's own --help ---------------------
def _write_cli_help() -> None:
    """Write ``ecgaug [COMMAND] --help`` to ``gen_modules/cli/*.txt`` (included)."""
    from ecgaug.cli import build_parser

    os.environ["COLUMNS"] = "88"
    out = DOCS / "gen_modules" / "cli"
    out.mkdir(parents=True, exist_ok=True)
    parser = build_parser()
    texts = {"ecgaug": parser.format_help()}
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        texts[name] = command.format_help()
        for action in command._actions:
            if getattr(action, "choices", None) and action.dest == "action":
                for act_name, act in action.choices.items():
                    texts[f"{name}_{act_name}"] = act.format_help()
    for name, text in texts.items():
        path = out / f"{name}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


_write_cli_help()


# -- The changelog page is CHANGELOG.md, converted ---------------------------------
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_CODE = re.compile(r"(?<!`)`([^`]+)`(?!`)")


def _md_inline(text: str) -> str:
    """Markdown inline code and links -> reStructuredText."""
    parts = re.split(r"(`[^`]+`)", text)  # leave code spans alone
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(_MD_CODE.sub(r"``\1``", part))
        else:
            out.append(_MD_LINK.sub(r"`\1 <\2>`__", part))
    return "".join(out)


def _changelog_rst(markdown: str) -> str:
    """CHANGELOG.md (headings, paragraphs, bullet lists) as reStructuredText.

    ``# Title`` is dropped (the page has its own), ``## Version`` and ``###
    Section`` become the page's sections. Anything fancier would show up as a
    warning, which fails the build (``-W``).
    """
    lines = []
    for line in markdown.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            level, title = len(heading.group(1)), _md_inline(heading.group(2).strip())
            if level == 1:
                continue
            underline = {2: "=", 3: "-"}.get(level, "~")
            lines += ["", title, underline * len(title), ""]
        else:
            lines.append(_md_inline(line))
    return "\n".join(lines).strip() + "\n"


def _write_changelog() -> None:
    source = REPO / "CHANGELOG.md"
    out = DOCS / "gen_modules" / "changelog.rst.inc"  # included, not a page
    out.parent.mkdir(parents=True, exist_ok=True)
    text = _changelog_rst(source.read_text(encoding="utf-8"))
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


_write_changelog()


# -- Members: document what ecgaug defines, not what it inherits from outside --
# The scikit-learn / imbalanced-learn API that users call on ecgaug's estimators.
_KEEP_INHERITED = {"fit_resample", "predict", "predict_proba"}


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Skip class members inherited from torch, skorch, scikit-learn, imblearn.

    Their own documentation covers them (and their docstrings use labels of
    their own sites). Members defined in ecgaug, inherited ones included
    (``BaseGenerativeSampler.sample`` on every sampler), are documented.
    """
    if what != "class" or skip or name in _KEEP_INHERITED:
        return None
    target = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    module = getattr(target, "__module__", None)
    if module is None:
        return None
    return None if module.startswith("ecgaug") else True


_FITTED_NAME = re.compile(r"(?<![`\w\\])([A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]_)(?=[),])")


def _literal_fitted_names(app, what, name, obj, options, lines):
    """``(n_samples, n_features_in_)`` in a shape: the trailing ``_`` is not a link.

    reStructuredText reads ``word_`` as a reference to a target named ``word``;
    inside ``of shape (...)`` it is the name of a fitted attribute, so escape it.
    """
    for i, line in enumerate(lines):
        if "shape (" in line:
            lines[i] = _FITTED_NAME.sub(lambda m: m.group(1)[:-1] + "\\_", line)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    app.connect("autodoc-process-docstring", _literal_fitted_names)

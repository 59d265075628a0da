"""The Python examples of README.md run as written, on the bundled sample."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2, "README.md lost its usage examples"
    namespace: dict = {}
    for block in blocks:  # later blocks use the names of earlier ones
        exec(compile(block, str(README), "exec"), namespace)
    scores = namespace["scores"]
    assert len(scores["test_f1_macro"]) == 3
    assert (scores["test_balanced_accuracy"] > 0.2).all()  # above chance
    clf = namespace["clf"]
    assert clf.predict(namespace["beats"].data[:5]).shape == (5,)

"""The documentation: the notebooks run, the scenario reference is current, links resolve."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = [DOCS / "notebooks" / "brent.ipynb", DOCS / "notebooks" / "calibration.ipynb", DOCS / "notebooks" / "options.ipynb"]
REFERENCE = DOCS / "scenario-reference.md"
REGENERATE = "python -m placesim.scenario.reference > docs/scenario-reference.md"


def _this_python_kernel():
    """A kernel manager that starts ipykernel with the interpreter running the tests.

    The notebook must run with the placesim under test, whatever kernels the machine has
    registered (a fresh CI machine has only ``pip install -e ".[test]"``, so ipykernel is
    importable but no user kernelspec may exist, and ``python`` on PATH may be another
    interpreter).
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (ipykernel)", language="python")

    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


@pytest.mark.slow
@pytest.mark.parametrize("NOTEBOOK", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_errors(NOTEBOOK):
    """Execute each notebook from its own folder; any cell error fails the test."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, km=_this_python_kernel(), kernel_name="python3", timeout=900,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{NOTEBOOK.relative_to(ROOT)} failed:\n{exc}", pytrace=False)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("NOTEBOOK", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_notebook_has_outputs_and_no_errors(NOTEBOOK):
    """The committed notebook is saved with the outputs of a real run."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "save the notebook after running every cell"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"], "the saved notebook holds an error"
    assert len(outputs) >= len(code) // 2, "save the notebook with its outputs"


def test_scenario_reference_is_up_to_date():
    from placesim.scenario.reference import render

    committed = REFERENCE.read_text(encoding="utf-8")
    assert committed == render(), (
        f"docs/scenario-reference.md is out of date with placesim/scenario/model.py; "
        f"regenerate it from the repository root with:  {REGENERATE}")


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)


def relative_links(text: str) -> list[str]:
    """Targets of the relative links of a markdown text (code blocks and spans ignored)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    targets = _LINK.findall(text) + _REF_DEF.findall(text)
    out = []
    for t in targets:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t) or t.startswith(("#", "//")):
            continue  # http:, mailto:, in-page anchors
        out.append(t.split("#", 1)[0])
    return [t for t in out if t]


def test_relative_links_point_at_files_that_exist():
    files = sorted(DOCS.glob("*.md")) + [p for p in [ROOT / "README.md"] if p.exists()]
    assert files
    broken = []
    for md in files:
        for target in relative_links(md.read_text(encoding="utf-8")):
            if not (md.parent / target).exists():
                broken.append(f"{md.relative_to(ROOT)}: ({target})")
    assert not broken, "links to files that do not exist:\n  " + "\n  ".join(broken)


def test_link_finder_sees_links_and_skips_code():
    text = ("See [a](a.md), [b](../b.md#part) and ![img](img/x.png).\n"
            "[web](https://example.org) [anchor](#here) `[not](code.md)`\n"
            "```\n[not](fenced.md)\n```\n[ref]: ref.md\n")
    assert relative_links(text) == ["a.md", "../b.md", "img/x.png", "ref.md"]


def test_calibration_setup_fields_are_documented():
    from placesim.calibration.reference import render

    text = (DOCS / "calibration.md").read_text(encoding="utf-8")
    start, end = "<!-- setup-fields:start -->\n", "\n<!-- setup-fields:end -->"
    block = text[text.index(start) + len(start): text.index(end)]
    assert block == render(), ("the set-up field tables in docs/calibration.md are out of date; paste the output "
                               "of  python -m placesim.calibration.reference  between the setup-fields markers")


@pytest.mark.parametrize("NOTEBOOK", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_notebook_figures_are_shown(NOTEBOOK):
    """A cell that draws a figure (``.plot(``) shows it: placesim must not switch the
    notebook's backend away from inline."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    drawing = [c for c in nb.cells if c.cell_type == "code" and ".plot(" in c.source]
    for c in drawing:
        assert any("image/png" in o.get("data", {}) for o in c.get("outputs", [])), c.source

"""The machine in a notebook: the HTML/SVG views of a tensor, a tape, a trace, step frames and
a graph, first as functions, then through a real Jupyter kernel (nbclient), and the chapter's
notebook examples/linreg.ipynb executed cell by cell."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
from test_stepper import chapter_loss  # the squared loss on docs/internals.md's numbers

import microgradnd as mg
from microgradnd import autograd, notebook

ROOT = Path(__file__).resolve().parent.parent


# ---- the views, called directly ----


def test_small_tensor_shows_its_values_and_grad(device):
    w = mg.tensor([[0.5, -1.0], [2.0, 3.0]], device=device)
    w.attach_grad()
    html = w._repr_html_()
    assert "(2, 2)" in html and "float32" in html and "grad_req='write'" in html
    assert re.findall(r"<td class='v'>([^<]*)</td>", html)[:4] == ["0.5", "-1", "2", "3"]
    assert ".grad" in html
    assert f"on {w.device}" in html
    assert repr(w).startswith("tensor([[ 0.5, -1. ],")      # plain repr is unchanged


def test_large_tensor_is_summarized_with_nan_and_inf_counts():
    data = numpy.arange(1000, dtype=numpy.float64).reshape(100, 10)
    data[3, 4] = numpy.nan
    data[5, 0] = numpy.inf
    data[6, 1] = -numpy.inf
    t = mg.tensor(data)
    text = notebook.summary_text(t.data)
    assert text == ("(100, 10) float64 [0, 1, 2, …, 997, 998, 999] · min 0, max 999 · "
                    "1 NaN, 2 Inf")
    html = t._repr_html_()
    assert "<table" not in html and "<span class='bad'>1 NaN, 2 Inf</span>" in html
    assert "min 0, max 999" in html


def test_tape_rows_link_inputs_to_the_rows_that_made_them():
    tape, *_ = chapter_loss()
    html = tape._repr_html_()
    uid = re.search(r"id='mgnd(\d+)-0'", html).group(1)
    assert all(f"id='mgnd{uid}-{k}'" in html for k in range(5))
    for k in range(4):      # each result is used by the next row, and links back to its maker
        assert f"<a href='#mgnd{uid}-{k}'>%{k}</a>" in html
    assert "grad_a = g @ b.T; grad_b = a.T @ g" in html
    assert str(tape).startswith("Tape: 5 recorded op(s)")     # print keeps the text


def test_trace_shows_gradient_in_rule_and_what_each_input_got():
    tape, loss, *_ = chapter_loss()
    with autograd.trace_backward(tape) as trace:
        loss.backward()
    html = trace._repr_html_()
    rows = re.findall(r"<tr><td>(\d)</td><td>(%\d)</td><td><code>(\w+)</code>", html)
    assert rows == [("0", "%4", "div"), ("1", "%3", "pow"), ("2", "%2", "sub"),
                    ("3", "%1", "add"), ("4", "%0", "matmul")]
    assert "summed to (1,)</span> <span class='v'>[-9.75]</span>" in html
    assert "<code>var(2, 1)</code> ← <span class='v'>[-35.25, -45]</span>" in html


def test_frame_and_steps_views():
    _, loss, X, w, b = chapter_loss()
    steps = autograd.step_backward(loss, names={"X": X, "w": w, "b": b})
    html = steps[3]._repr_html_()
    assert "<b>step 3 of 5</b>" in html and "<code>add: grad_a = g; grad_b = g</code>" in html
    assert "<code>b</code> <span class='tag'>filled</span>" in html
    table = steps._repr_html_()
    assert table.count("<tr><td>") == 5 and "%0 = matmul(X, w)" in table


def test_graph_is_svg_with_dot_and_tables_without(monkeypatch):
    _, loss, X, w, b = chapter_loss()
    view = mg.show_graph(loss, names={"X": X, "w": w, "b": b})
    assert str(view).splitlines()[:2] == ["Graph: 5 op(s), 4 leaves",
                                          "  %0 = matmul(X, w)  (3, 1) float32"]
    if notebook._dot_missing() is None:
        bundle = view._repr_mimebundle_()
        assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    monkeypatch.setattr(notebook.shutil, "which", lambda name: None)
    bundle = view._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    html = bundle["text/html"]
    assert "Drawn as tables: Graphviz&#x27;s dot program is not installed" in html
    assert "<code>%4 = div(%3, 2)</code>" in html and "<code>w</code>" in html


# ---- a real kernel ----


def _execute(nb, tmp_path):
    """Run every cell of `nb` in a fresh python3 kernel whose working directory is the repo."""
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    client = nbclient.NotebookClient(nb, timeout=180, startup_timeout=120,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return nb


def _outputs(cell):
    return [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]


def test_a_kernel_displays_tensor_tape_trace_frames_and_graph(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    v4 = nbformat.v4
    cells = [
        """import microgradnd as mg
from microgradnd import autograd, notebook
X = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
y = mg.tensor([1.0, 0.0, 2.0])
w = mg.tensor([[0.5], [-1.0]])
b = mg.tensor([0.25])
w.attach_grad()
b.attach_grad()
w""",
        "mg.tensor([float('nan')] * 50)",
        """with autograd.record() as tape:
    loss = (X.dot(w) + b - y.reshape((3, 1))) ** 2 / 2
tape""",
        """with autograd.trace_backward(tape) as trace:
    loss.backward(retain_graph=True)
trace""",
        """steps = autograd.step_backward(loss, names={"X": X, "w": w, "b": b}, retain_graph=True)
steps[4]""",
        "steps",
        "steps.animation()",
        'mg.show_graph(loss, names={"X": X, "w": w, "b": b})',
        "print(notebook._dot_missing())",
    ]
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])
    _execute(nb, tmp_path)
    out = [_outputs(c) for c in nb.cells]
    tensor, nan, tape, trace, frame, frames, animation, graph = (o[0].data for o in out[:8])
    assert "<b>tensor</b> (2, 1)" in tensor["text/html"] and "[0.5, -1]" in tensor["text/html"]
    assert "50 NaN" in nan["text/html"]
    assert "<b>Tape</b>: 5 recorded op(s)" in tape["text/html"]
    assert tape["text/plain"].startswith("Tape: 5 recorded op(s)")
    assert "<b>Backward</b>: 5 step(s)" in trace["text/html"]
    assert "<b>step 4 of 5</b>" in frame["text/html"]
    assert "matmul: grad_a = g @ b.T; grad_b = a.T @ g" in frame["text/html"]
    assert "w = [-35.25, -45] (filled)" in frame["text/plain"]
    assert "<b>Backward, step by step</b>: 5 step(s)" in frames["text/html"]
    assert "<iframe srcdoc=" in animation["text/html"]
    why = nb.cells[8].outputs[0].text.strip()
    if why == "None":                           # Graphviz is there: an SVG picture
        assert graph["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
        assert "matmul" in graph["image/svg+xml"]
    else:                                       # else tables, and the reason in one line
        assert "Drawn as tables" in graph["text/html"] and why in graph["text/html"]


def test_the_chapter_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(ROOT / "examples" / "linreg.ipynb", as_version=4)
    _execute(nb, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    losses = [float(v) for v in re.findall(r"^epoch \d, loss (\S+)$", printed, re.M)]
    assert len(losses) == 3 and losses[2] < 1e-4
    shown = [k for c in nb.cells if c.cell_type == "code" for o in _outputs(c) for k in o.data]
    assert shown.count("text/html") >= 5
    assert "image/svg+xml" in shown or notebook._dot_missing() is not None


def test_linreg_steps_writes_the_page(tmp_path):
    page = tmp_path / "steps.html"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "linreg.py"), "--steps",
                           str(page), "--epochs", "1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {page} (5 backward steps" in proc.stdout
    text = page.read_text(encoding="utf-8")
    assert "l = div(%3, 2)" in text and "%0 = matmul(X, w)" in text and "https://" not in text

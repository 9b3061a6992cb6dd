"""The animated backward page in a real browser: headless Chromium opens it at a frame
(`?frame=k`), runs its script, and the DOM it leaves shows the right node and .grad values.

Skipped, with the reason, where no Chromium can run (CI installs Debian's `chromium`).
"""
import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy
import pytest
from test_stepper import chapter_loss  # the squared loss on docs/internals.md's numbers

import microgradnd as mg
from microgradnd import autograd

BROWSERS = ["chromium", "chromium-browser", "google-chrome", "chrome"]


def _browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium here (apt-get install chromium): the page's browser "
                "check needs one")


class _Dom(HTMLParser):
    """What the test reads of the page: the body's state, the graph's items, the .grad rows."""

    def __init__(self):
        super().__init__()
        self.body, self.items, self.grads = {}, {}, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "g" and a.get("id", "").startswith("i-"):
            self.items[a["id"][2:]] = (a.get("data-label"), a.get("class", "").split())
        elif tag == "tr" and "data-label" in a:
            values = a.get("data-values")
            self.grads[a["data-label"]] = json.loads(values) if values else None


def dump(path, frame, tmp_path) -> _Dom:
    """The page's DOM after its script ran, opened at step `frame`."""
    browser = _browser()
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           f"file://{path}?frame={frame}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{browser} did not answer within 90 s")
    if proc.returncode != 0 or "<body" not in proc.stdout:
        pytest.skip(f"{browser} could not run headless: {proc.stderr.strip()[-300:]}")
    dom = _Dom()
    dom.feed(proc.stdout)
    return dom


def _current(dom):
    found = [label for label, cls in dom.items.values() if "current" in cls]
    assert len(found) == 1, dom.items
    return found[0]


def test_chapter_page_steps_through_the_pass(tmp_path):
    _, loss, X, w, b = chapter_loss()
    steps = autograd.step_backward(loss, names={"X": X, "w": w, "b": b, "loss": loss})
    page = tmp_path / "steps.html"
    steps.save_html(page)

    first = dump(page, 0, tmp_path)
    assert first.body["data-frame"] == "0"
    assert _current(first) == "loss = div(%3, 2)"
    assert first.grads == {}                            # no .grad filled yet

    middle = dump(page, 3, tmp_path)
    assert _current(middle) == "%1 = add(%0, b)"
    assert middle.grads == {"b": b.grad.numpy().tolist()} == {"b": [-9.75]}
    done = {label for label, cls in middle.items.values() if "done" in cls}
    assert done == {"loss = div(%3, 2)", "%3 = pow(%2, 2)", "%2 = sub(%1, const(3, 1))"}
    assert "waiting" in middle.items["N0"][1]           # matmul got its gradient, runs next

    last = dump(page, 4, tmp_path)
    assert _current(last) == "%0 = matmul(X, w)"
    assert last.grads["w"] == w.grad.numpy().ravel().tolist() == [-35.25, -45.0]
    assert last.grads["b"] == b.grad.numpy().tolist()


def test_third_derivative_page_shows_nodes_as_backward_records_them(tmp_path):
    x = mg.tensor([0.5, -1.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = x.tanh()
    s1 = autograd.step_backward(y, [x], create_graph=True, names={"x": x})
    s2 = autograd.step_backward(s1.result[0], [x], create_graph=True, names={"x": x})
    s3 = autograd.step_backward(s2.result[0], [x], create_graph=True, names={"x": x})
    page = tmp_path / "tanh3.html"
    s3.save_html(page)
    n = len(s3)
    new = {f"N{s3.graph.index_of[id(node)]}": f.index for f in s3 for _, node in f.recorded}
    assert new
    for k in (0, n // 2, n - 1):
        dom = dump(page, k, tmp_path)
        assert _current(dom) == s3[k].expression
        for item, appears in new.items():
            label, cls = dom.items[item]
            assert ("hidden" in cls) == (appears > k), (k, label)
            assert "order3" in cls
    numpy.testing.assert_allclose(dom.grads["x"], s3.result[0].numpy(), rtol=1e-15)

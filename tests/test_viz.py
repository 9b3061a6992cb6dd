"""draw_graph: the DOT it builds (nodes, edges, labels, colours) and an SVG render with `dot`."""
import re
import shutil

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd
from microgradnd.viz import draw_graph

graphviz = pytest.importorskip("graphviz", reason='graphviz not installed: pip install '
                                                  '"microgradnd[viz]"')


def parse(dot) -> tuple[dict, list]:
    """{node name: attribute text} and [(tail, head)] edges from a Digraph's source."""
    nodes, edges = {}, []
    for line in dot.source.splitlines():
        line = line.strip()
        m = re.fullmatch(r"(\w+) -> (\w+)", line)
        if m:
            edges.append(m.groups())
            continue
        m = re.fullmatch(r"(\w+) \[(.*)\]", line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = m.group(2)
    return nodes, edges


def label(attrs: str) -> str:
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|\S+)', attrs)
    return m.group(1).strip('"')


def chapter_loss(device, n=3):
    """The seed chapter's squared loss of a linear model, on a small batch."""
    rng = numpy.random.default_rng(0)
    X = mg.tensor(rng.normal(size=(n, 2)).astype(numpy.float32), device=device)
    y = mg.tensor(rng.normal(size=(n,)).astype(numpy.float32), device=device)
    w = mg.tensor(numpy.array([[0.5], [-1.0]], numpy.float32), device=device)
    b = mg.tensor(numpy.zeros(1, numpy.float32), device=device)
    w.attach_grad()
    b.attach_grad()
    with autograd.record():
        y_hat = X.dot(w) + b
        loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
    return loss, dict(X=X, y=y, w=w, b=b)


def test_chapter_loss_nodes_edges_and_labels(device):
    loss, names = chapter_loss(device)
    nodes, edges = parse(draw_graph(loss, names=names))
    ops = {k: label(v) for k, v in nodes.items() if "shape=ellipse" in v}
    tensors = {k: label(v) for k, v in nodes.items() if "shape=box" in v}
    scalars = {k: label(v) for k, v in nodes.items() if "shape=plaintext" in v}
    assert sorted(ops.values()) == ["add", "div", "matmul", "pow", "sub"]
    # X, w, b, y (reshaped outside the graph: a constant), 4 intermediate results, the loss
    assert len(tensors) == 9
    assert sorted(scalars.values()) == ["2", "2"]
    # each op: one edge to its output, one from each input (two inputs each)
    assert len(edges) == 5 + 10
    assert len(set(edges)) == len(edges)
    by_label = {lab.split("\\n")[0]: k for k, lab in tensors.items()}
    on = "" if device == "cpu" else "\\ncuda:0"      # a GPU tensor's label names its device
    assert tensors[by_label["w"]] == "w\\n(2, 1) float32\\nvariable, grad_req='write'" + on
    assert tensors[by_label["X"]] == "X\\n(3, 2) float32\\nconstant" + on
    assert "fillcolor=lightblue" in nodes[by_label["b"]]
    assert "fillcolor=lightgrey" in nodes[by_label["X"]]
    out = [k for k, v in nodes.items() if "fillcolor=palegreen" in v]
    assert [tensors[k] for k in out] == ["(3, 1) float32" + on]
    # data flows from w into matmul, and from div into the loss
    matmul = next(k for k, v in ops.items() if v == "matmul")
    div = next(k for k, v in ops.items() if v == "div")
    assert (by_label["w"], matmul) in edges and (by_label["X"], matmul) in edges
    assert (div, out[0]) in edges
    if device != "cpu":
        assert device in tensors[by_label["w"]]


def test_op_arguments_are_named():
    x = mg.tensor(numpy.ones((2, 3), numpy.float32), requires_grad=True)
    with autograd.record():
        y = x.sum(axis=1, keepdims=True).reshape(-1)
    ops = sorted(label(v) for v in parse(draw_graph(y))[0].values() if "ellipse" in v)
    assert ops == ["reshape\\nshape=(-1,)", "sum\\naxis=1\\nkeepdims=True"]


def test_show_values_abbreviates_large_tensors():
    x = mg.tensor(numpy.arange(20, dtype=numpy.float64))
    w = mg.tensor(numpy.array([1.5, -2.0]))
    w.attach_grad()
    with autograd.record():
        y = (w * 2.0).sum() + x
    y.backward(retain_graph=True)
    labels = [label(v) for v in parse(draw_graph(y, show_values=True))[0].values()]
    assert "(2,) float64\\nvariable, grad_req='write'\\nvalue [1.5, -2]\\ngrad [40, 40]" \
        in labels
    assert "(20,) float64\\nconstant\\nvalue [0, 1, 2, …, 17, 18, 19] (20 values)" in labels
    plain = [label(v) for v in parse(draw_graph(y))[0].values()]
    assert not any("value" in lab for lab in plain)


def test_second_order_graph_of_a_gradient():
    """grad(sum(x**3)) with create_graph=True is itself a graph ending in x."""
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        z = (x ** 3).sum()
    (g,) = autograd.grad(z, [x], create_graph=True)
    numpy.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    nodes, edges = parse(draw_graph(g, names={"x": x, "dz/dx": g}))
    ops = sorted(label(v) for v in nodes.values() if "ellipse" in v)
    # d/dx x**3 = (g * 3) * x**2: the backward rule's own ops, recorded (g * 3 is constant)
    assert ops == ["mul", "pow"]
    x_node = next(k for k, v in nodes.items() if label(v).startswith("x\\n"))
    assert sum(1 for tail, _ in edges if tail == x_node) == 1
    both = parse(draw_graph([z, g], names={"x": x}))[0]
    assert sum("palegreen" in v for v in both.values()) == 2
    assert sorted(label(v) for v in both.values() if "ellipse" in v) == \
        ["mul", "pow", "pow", "sum\\naxis=None\\nkeepdims=False"]


def test_freed_graph_and_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    nodes, edges = parse(draw_graph(y))
    assert [label(v) for v in nodes.values() if "ellipse" in v] == \
        ["sum\\naxis=None\\nkeepdims=False\\n(inputs freed by backward)"]
    assert len(edges) == 1
    leaf = parse(draw_graph(mg.tensor([1.0, 2.0])))[0]
    assert [label(v) for v in leaf.values()] == ["(2,) float32\\nconstant"]


def test_deep_chain_is_iterative():
    x = mg.tensor(numpy.float64(1.0), requires_grad=True)
    y = x
    with autograd.record():
        for _ in range(3000):        # past Python's default recursion limit of 1000
            y = y * 1.0
    nodes, edges = parse(draw_graph(y))
    assert sum("ellipse" in v for v in nodes.values()) == 3000
    assert len(edges) == 3000 * 2 + 3000      # input, scalar operand and output per op


def test_rejects_non_tensors():
    with pytest.raises(TypeError, match="draw_graph draws Tensors"):
        draw_graph([1.0])


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="the Graphviz `dot` program is not installed (apt install graphviz)")
def test_renders_to_svg(tmp_path):
    loss, names = chapter_loss("cpu")
    loss.backward(retain_graph=True)
    path = draw_graph(loss, show_values=True, names=names).render(
        tmp_path / "loss", format="svg")
    svg = open(path, encoding="utf-8").read()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert svg.count('class="node"') == 9 + 5 + 2
    assert svg.count('class="edge"') == 15
    assert ">matmul</text>" in svg and "grad_req=&#39;write&#39;" in svg

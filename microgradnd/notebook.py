"""The machine in a notebook: HTML views of tensors, tapes, backward traces, step frames and
graphs (Jupyter calls `_repr_html_` / `_repr_mimebundle_`), and the animated page of a
stepped backward pass.

Nothing here runs during forward or backward; it only reads what was recorded. `print` keeps
the text views of display.py and stepper.py.
"""
from __future__ import annotations

import html
import itertools
import json
import shutil

import numpy

from . import backend
from .core import Tensor
from .display import format_values, shape_text
from .ledger import byte_text

__all__ = ["Animation", "GraphView", "frame_html", "show_graph", "steps_html", "steps_page",
           "summary_html", "tape_html", "tensor_html", "trace_html"]

SMALL = 36          # a tensor with at most this many elements (and ndim <= 2) shows them all
_ids = itertools.count()    # makes anchors unique when a notebook shows several tables

STYLE = """<style>
.mgnd{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px}
.mgnd table{border-collapse:collapse;margin:4px 0}
.mgnd th,.mgnd td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
.mgnd th{background:#f3f4f6}
.mgnd code,.mgnd .v{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.mgnd .dim{color:#6b7280}
.mgnd .bad{color:#b91c1c;font-weight:bold}
.mgnd .tag{display:inline-block;border-radius:8px;padding:0 6px;font-size:11px;
 background:#e0e7ff;color:#3730a3}
.mgnd a{color:#2563eb;text-decoration:none}
.mgnd tr:target{background:#fef3c7}
</style>"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


# ---- values: small ones in full, large ones summarized ----


def summary_text(array) -> str:
    """One line: the values when few, else shape, dtype, a few entries and min/max; and how
    many NaN and Inf there are, when there are any."""
    a = numpy.asarray(backend.to_host(array))
    parts = []
    if a.size <= SMALL:
        parts.append(format_values(a, SMALL))
    else:
        parts.append(f"{shape_text(a.shape)} {a.dtype} {format_values(a, 6, 3)}")
    if a.dtype.kind in "fc" and a.size:
        finite = numpy.isfinite(a)
        if a.size > SMALL and finite.any():
            parts.append(f"min {a[finite].min():.4g}, max {a[finite].max():.4g}")
        bad = _bad_counts(a)
        if bad:
            parts.append(bad)
    return " · ".join(parts)


def _bad_counts(a) -> str:
    nan, inf = int(numpy.isnan(a).sum()), int(numpy.isinf(a).sum())
    found = [f"{n} {what}" for n, what in ((nan, "NaN"), (inf, "Inf")) if n]
    return ", ".join(found)


def summary_html(array, table: bool = True) -> str:
    """The values as a small table (a matrix of at most SMALL elements, when `table`), on one
    line (few values), or as a one-line summary."""
    a = numpy.asarray(backend.to_host(array))
    bad = _bad_counts(a) if a.dtype.kind in "fc" else ""
    if a.size > SMALL or a.ndim > 2:
        text = _e(summary_text(a))
        if bad:
            text = text.replace(_e(bad), f"<span class='bad'>{_e(bad)}</span>")
        return f"<span class='v'>{text}</span>"
    if a.ndim < 2 or not table or a.shape[1] == 1:
        body = f"<span class='v'>{_e(format_values(a, SMALL))}</span>"
    else:
        rows = "".join("<tr>" + "".join(f"<td class='v'>{_e(format_values(v, 1))[1:-1]}</td>"
                                        for v in row) + "</tr>" for row in a)
        body = f"<table>{rows}</table>"
    return body + (f" <span class='bad'>{_e(bad)}</span>" if bad else "")


def tensor_html(t: Tensor) -> str:
    """A tensor in a notebook: shape, dtype, device, where it came from, its values and .grad."""
    if t._node is not None:
        origin = f"result of <code>{_e(t._node.name)}</code>"
    elif t._req is not None:
        origin = f"variable, grad_req='{_e(t._req)}'"
    else:
        origin = "constant"
    head = (f"<b>tensor</b> {_e(shape_text(t.shape))} <code>{_e(t.dtype)}</code> "
            f"<span class='dim'>on {_e(t.device)} · {origin}</span>")
    body = summary_html(t.data)
    if t.grad is not None:
        body += f"<div><span class='dim'>.grad</span> {summary_html(t.grad.data)}</div>"
    return f"{STYLE}<div class='mgnd'>{head}<div>{body}</div></div>"


# ---- the tape and the backward trace as tables ----


def _input_cell(x, index_of, uid) -> str:
    """An input of a tape row: a link to the row that made it, or what kind of leaf it is."""
    if not isinstance(x, Tensor):
        return f"<code>{_e(repr(x))}</code>"
    node = x._node
    if node is not None:
        k = index_of.get(id(node))
        if k is not None:
            return f"<a href='#mgnd{uid}-{k}'>%{k}</a>"
        return f"<code>&lt;{_e(node.name)} {_e(shape_text(x.shape))}&gt;</code>"
    kind = "var" if x._req is not None else "const"
    return f"<code>{kind}{_e(shape_text(x.shape))}</code>"


def tape_html(tape) -> str:
    """The tape as a table whose inputs link to the rows that made them."""
    uid = next(_ids)
    index_of = {id(n): k for k, n in enumerate(tape.nodes)}
    from .ledger import saved_tensors  # noqa: PLC0415
    ledger = saved_tensors(tape)
    rows = []
    for k, node in enumerate(tape.nodes):
        if node.inputs is None:
            inputs = "<span class='dim'>(freed by backward)</span>"
        else:
            inputs = ", ".join(_input_cell(x, index_of, uid) for x in node.inputs)
        rows.append(f"<tr id='mgnd{uid}-{k}'><td>{k}</td><td><code>{_e(node.name)}</code></td>"
                    f"<td>{inputs}</td><td>%{k}</td><td>{_e(shape_text(node.out_shape))}</td>"
                    f"<td>{_e(node.out_dtype)}</td><td>{_saved_cell(ledger, k)}</td>"
                    f"<td class='dim'>{_e(node.op.rule)}</td></tr>")
    if not rows:
        return (f"{STYLE}<div class='mgnd'><b>Tape</b>: nothing recorded (no op had an input "
                "that needs a gradient)</div>")
    head = ("<tr><th>#</th><th>op</th><th>inputs</th><th>output</th><th>shape</th>"
            "<th>dtype</th><th>saved</th><th>backward rule</th></tr>")
    return (f"{STYLE}<div class='mgnd'><b>Tape</b>: {len(rows)} recorded op(s)"
            f"<table class='mgnd-tape'>{head}{''.join(rows)}</table>"
            f"<div>{_e(ledger.total_text())}</div></div>")


def _saved_cell(ledger, k) -> str:
    """A tape row's bytes kept for backward; hovering lists each tensor (the ledger's rows)."""
    items = [f"{r.label}{' (view)' if r.view else ''} as {r.role}: {shape_text(r.shape)} "
             f"{r.dtype}, {byte_text(r.nbytes)}"
             + ("" if r.first == k else f", counted at #{r.first}")
             for r in ledger if r.step == k]
    return f"<span title='{_e(chr(10).join(items))}'>{_e(ledger.step_text(k))}</span>"


def _sends_html(pairs) -> str:
    """`label ← gradient` lines for the gradients one step sent."""
    lines = []
    for label, g, summed in pairs:
        text = f"<code>{_e(label)}</code> ← {summary_html(g, False)}"
        if summed is not None:
            text += f" <span class='dim'>summed to {_e(shape_text(summed.shape))}</span> " \
                    f"{summary_html(summed, False)}"
        lines.append(f"<div>{text}</div>")
    return "".join(lines) or "<span class='dim'>nothing</span>"


def trace_html(trace) -> str:
    """A backward trace as a table: the gradient in, the rule that ran, what each input got."""
    from .display import _input_label  # noqa: PLC0415 - the text view's naming, reused

    nodes = trace.tape.nodes if trace.tape is not None else []
    index_of = {id(n): k for k, n in enumerate(nodes)}
    rows = []
    for k, ((node, g, grads), inputs) in enumerate(zip(trace, trace._inputs)):
        at = index_of.get(id(node))
        pairs = []
        for x, gx in zip(inputs, grads):
            if gx is None:
                continue
            summed = None
            if x.shape != gx.shape:
                summed = backend.sum_to(backend.to_host(gx.data), x.shape)
            pairs.append((_input_label(x, index_of), gx.data, summed))
        rows.append(f"<tr><td>{k}</td><td>{'-' if at is None else f'%{at}'}</td>"
                    f"<td><code>{_e(node.name)}</code></td>"
                    f"<td class='dim'>{_e(node.op.rule)}</td><td>{summary_html(g.data, False)}</td>"
                    f"<td>{_sends_html(pairs)}</td></tr>")
        if trace._inner[k] is not None:     # a checkpoint: the backward of its re-run block
            rows.append(f"<tr><td></td><td colspan='5'>{_recomputed_html(trace._inner[k])}"
                        "</td></tr>")
    if not rows:
        return (f"{STYLE}<div class='mgnd'><b>Backward</b>: no steps traced (no backward ran "
                "inside trace_backward())</div>")
    head = ("<tr><th>step</th><th>node</th><th>op</th><th>rule</th><th>gradient in</th>"
            "<th>sent to the inputs</th></tr>")
    return (f"{STYLE}<div class='mgnd'><b>Backward</b>: {len(trace)} step(s), newest op first"
            f"<table class='mgnd-trace'>{head}{''.join(rows)}</table></div>")


def _recomputed_html(inner) -> str:
    """What a checkpoint re-ran, then the traced backward through it."""
    ops = ", ".join(n.name for n in inner.tape.nodes)
    return (f"<span class='dim'>re-ran fn: {len(inner.tape)} op(s) ({_e(ops)}), then "
            f"</span>{trace_html(inner).replace(STYLE, '', 1)}")


# ---- step frames ----


def _grads_html(frame) -> str:
    rows = []
    for label, value in frame.grads.items():
        status = frame.changed.get(label, "")
        tag = f" <span class='tag'>{status}</span>" if status else ""
        rows.append(f"<tr><td><code>{_e(label)}</code>{tag}</td>"
                    f"<td>{summary_html(value, False)}</td></tr>")
    if not rows:
        return "<span class='dim'>none yet</span>"
    return f"<table>{''.join(rows)}</table>"


def frame_html(frame) -> str:
    """One frame: the node, the gradient arriving, the rule, what was sent, .grad so far."""
    order = (f" <span class='tag'>derivative order {frame.order}</span>" if frame.order
             else "")
    recorded = "".join(
        f"<div><code>{_e(expression)}</code> <span class='tag'>d{_order(node)}</span></div>"
        for expression, node in frame.recorded)
    rows = [("node", f"<code>{_e(frame.expression)}</code>{order}"),
            ("gradient in", summary_html(frame.grad_in.data, False)),
            ("rule", f"<code>{_e(frame.rule)}</code>"),
            ("sent", _sends_html([(s.to, s.grad.data, s.summed) for s in frame.sends])),
            (".grad so far", _grads_html(frame))]
    if recorded:
        rows.append(("recorded", recorded))
    if frame.recomputed is not None:
        rows.append(("recomputed", _recomputed_html(frame.recomputed)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f"{STYLE}<div class='mgnd'><b>step {frame.index} of {frame.total}</b>"
            f"<table class='mgnd-frame'>{body}</table></div>")


def steps_html(steps) -> str:
    """All the frames of a stepped backward pass, one row each."""
    rows = []
    for f in steps:
        sends = _sends_html([(s.to, s.grad.data, s.summed) for s in f.sends])
        changed = ", ".join(f"{k} {v}" for k, v in f.changed.items())
        rows.append(f"<tr><td>{f.index}</td><td><code>{_e(f.expression)}</code></td>"
                    f"<td><code>{_e(f.rule)}</code></td>"
                    f"<td>{summary_html(f.grad_in.data, False)}</td>"
                    f"<td>{sends}</td><td>{_e(changed)}</td></tr>")
    head = ("<tr><th>step</th><th>node</th><th>rule</th><th>gradient in</th>"
            "<th>sent to the inputs</th><th>.grad</th></tr>")
    return (f"{STYLE}<div class='mgnd'><b>Backward, step by step</b>: {len(rows)} step(s), "
            f"derivative order {steps.order}<table class='mgnd-steps'>{head}{''.join(rows)}"
            "</table></div>")


# ---- the graph: SVG from Graphviz when it is there, else tables ----


def _dot_missing() -> str | None:
    """Why Graphviz cannot draw here, or None when it can."""
    try:
        import graphviz  # noqa: F401, PLC0415 - optional
    except ImportError:
        return "the graphviz Python package is not installed (pip install graphviz)"
    if shutil.which("dot") is None:
        return "Graphviz's dot program is not installed (e.g. apt-get install graphviz)"
    return None


class GraphView:
    """The graph behind `t` for a notebook: Graphviz's SVG when `dot` is installed, else
    tables of its nodes and leaves with one line saying why. print() shows the tables as text.
    """

    def __init__(self, t, names=None, show_values: bool = True):
        from .stepper import GraphMap  # noqa: PLC0415

        self.heads = list(t) if isinstance(t, (list, tuple)) else [t]
        self.names = names
        self.show_values = show_values
        self.graph = GraphMap(self.heads, names)

    def svg(self) -> str:
        """The graph drawn by Graphviz (draw_graph), as SVG text."""
        from .viz import draw_graph  # noqa: PLC0415

        dot = draw_graph(self.heads, show_values=self.show_values, names=self.names)
        return dot.pipe(format="svg").decode("utf-8")

    def _rows(self):
        g = self.graph
        nodes = [(g.expression(n, g.inputs_of[id(n)]), shape_text(n.out_shape),
                  str(n.out_dtype)) for n in g.nodes]
        leaves = [(g.label(x), "variable" if x._req is not None else "constant",
                   shape_text(x.shape), str(x.dtype), x) for x in g.leaves]
        return nodes, leaves

    def tables_html(self, why: str = "") -> str:
        nodes, leaves = self._rows()
        note = f"<div class='dim'>Drawn as tables: {_e(why)}.</div>" if why else ""
        node_rows = "".join(f"<tr><td><code>{_e(e)}</code></td><td>{_e(s)}</td><td>{_e(d)}</td>"
                            "</tr>" for e, s, d in nodes)
        leaf_rows = []
        for label, kind, shape, dtype, x in leaves:
            values = summary_html(x.data) if self.show_values else ""
            grad = summary_html(x.grad.data) if self.show_values and x.grad is not None else ""
            leaf_rows.append(f"<tr><td><code>{_e(label)}</code></td><td>{kind}</td>"
                             f"<td>{_e(shape)}</td><td>{_e(dtype)}</td><td>{values}</td>"
                             f"<td>{grad}</td></tr>")
        return (f"{STYLE}<div class='mgnd'><b>Graph</b>: {len(nodes)} op(s), {len(leaves)} "
                f"leaves{note}<table><tr><th>node</th><th>shape</th><th>dtype</th></tr>"
                f"{node_rows}</table><table><tr><th>leaf</th><th>kind</th><th>shape</th>"
                f"<th>dtype</th><th>value</th><th>.grad</th></tr>{''.join(leaf_rows)}"
                "</table></div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        why = _dot_missing()
        if why is None:
            return {"image/svg+xml": self.svg(), "text/plain": str(self)}
        return {"text/html": self.tables_html(why), "text/plain": str(self)}

    def __str__(self) -> str:
        nodes, leaves = self._rows()
        lines = [f"Graph: {len(nodes)} op(s), {len(leaves)} leaves"]
        lines += [f"  {e}  {s} {d}" for e, s, d in nodes]
        lines += [f"  {label}: {kind} {shape} {dtype}" for label, kind, shape, dtype, _ in leaves]
        return "\n".join(lines)

    __repr__ = __str__


def show_graph(t, names=None, show_values: bool = True) -> GraphView:
    """The graph behind `t` (a Tensor or a list), for a notebook cell to display."""
    return GraphView(t, names, show_values)


# ---- the animated page of a stepped backward pass ----


class Animation:
    """A page of html() shown inside a notebook, in an iframe (its script stays its own)."""

    def __init__(self, page: str, height: int = 640):
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f"<iframe srcdoc=\"{_e(self.page)}\" style='width:100%;height:{self.height}px;"
                "border:1px solid #d0d7de'></iframe>")


def _layout(items, edges):
    """Place items in layers so that every edge points down: a small Sugiyama-style layout.

    items: {id: (width, height, kind)}; edges: [(src, dst)]. An op's layer is one below the
    deepest of its op inputs; a leaf sits one layer above its highest consumer. Within a
    layer, items are ordered by the mean position of their neighbours (a few sweeps) and
    pushed apart.
    Returns {id: (x, y)}, the centres, and the page's (width, height).
    """
    preds = {i: [] for i in items}
    succs = {i: [] for i in items}
    for s, d in edges:
        preds[d].append(s)
        succs[s].append(d)
    rank = {}
    for i, (_, _, kind) in items.items():      # items come in recording order: inputs first
        if kind == "op":
            rank[i] = 1 + max((rank[p] for p in preds[i] if p in rank), default=0)
    for i, (_, _, kind) in items.items():
        if kind != "op":
            rank[i] = min((rank[s] for s in succs[i]), default=1) - 1
    layers: dict[int, list] = {}
    for i in items:
        layers.setdefault(rank[i], []).append(i)
    gap = 28
    x = {}

    def pack(layer, want):
        """Place a layer's items in order, each as near its wanted x as the gaps allow."""
        pos, right = [], -1e9
        for i in layer:
            w = items[i][0]
            c = max(want[i], right + gap + w / 2)
            pos.append(c)
            right = c + w / 2
        shift = sum(want[i] - c for i, c in zip(layer, pos)) / len(layer)
        for i, c in zip(layer, pos):
            x[i] = c + shift

    for r in sorted(layers):
        left = 0.0
        for i in layers[r]:
            x[i] = left + items[i][0] / 2
            left += items[i][0] + gap
    for sweep in range(8):
        order = sorted(layers) if sweep % 2 == 0 else sorted(layers, reverse=True)
        for r in order:
            layer = layers[r]
            want = {}
            for i in layer:
                near = preds[i] + succs[i]
                want[i] = sum(x[n] for n in near) / len(near) if near else x[i]
            layer.sort(key=lambda i: want[i])
            pack(layer, want)
    low = min(x[i] - items[i][0] / 2 for i in items)
    heights = {r: max(items[i][1] for i in layer) for r, layer in layers.items()}
    y, top = {}, 20.0
    for r in sorted(layers):
        for i in layers[r]:
            y[i] = top + heights[r] / 2
        top += heights[r] + 54
    pos = {i: (x[i] - low + 20, y[i]) for i in items}
    width = max(pos[i][0] + items[i][0] / 2 for i in items) + 20
    return pos, (width, top)


def _page_data(steps):
    """What the page shows: the items and edges of the graph, laid out, and every frame."""
    g = steps.graph
    item_of = {}            # id(tensor) or id(node) -> item id
    items, lines, kinds, appear, orders = {}, {}, {}, {}, {}
    leaves = list(g.leaves)
    for k, x in enumerate(leaves):
        iid = f"L{k}"
        item_of[id(x)] = iid
        kind = "var" if x._req is not None else "const"
        lines[iid] = [g.label(x), f"{kind} {shape_text(x.shape)}"]
        kinds[iid] = kind
    first_seen = {}
    for f in steps:
        for _, node in f.recorded:
            first_seen[id(node)] = f.index
    edges = []
    for k, node in enumerate(g.nodes):
        iid = f"N{k}"
        item_of[id(node)] = iid
        lines[iid] = [g.expression(node, g.inputs_of[id(node)]),
                      f"{shape_text(node.out_shape)} {node.out_dtype}"]
        kinds[iid] = "op"
        orders[iid] = _order(node)
        appear[iid] = first_seen.get(id(node), -1)
        for i, x in enumerate(g.inputs_of[id(node)] or ()):
            if not isinstance(x, Tensor):
                continue
            src = item_of.get(id(x._node)) if x._node is not None else None
            if src is None:
                src = item_of.get(id(x))
            if src is None:                 # a leaf first met here (the seed of a gradient)
                src = f"L{len(leaves)}"
                leaves.append(x)
                item_of[id(x)] = src
                lines[src] = [g.label(x), f"const {shape_text(x.shape)}"]
                kinds[src] = "const"
            edges.append((src, iid, i))
    label_item = {g.label(x): item_of[id(x)] for x in leaves}
    for node in g.nodes:            # results whose .grad is kept (attach_grad, grad(..., [h]))
        out = g.output_of.get(id(node))
        if out is not None:
            label_item[g.label(out)] = item_of[id(node)]
    shown = {}              # the longest gradient text each item will show (for its width)
    for f in steps:
        texts = [(item_of[id(f.node)], "g = " + _short(f.grad_in.data))]
        texts += [(label_item.get(k), ".grad = " + _short(v)) for k, v in f.grads.items()]
        for it, text in texts:
            shown[it] = max(shown.get(it, 0), len(text))
    for iid, text in lines.items():
        longest = max([len(t) for t in text] + [min(shown.get(iid, 0), 46)])
        width = max(110, 7.8 * longest + 22)
        height = 18 * (len(text) + (1 if iid in shown else 0)) + 14
        items[iid] = (width, height, "op" if kinds[iid] == "op" else "leaf")
    for iid in items:               # leaves appear with the first node that uses them
        if kinds[iid] != "op":
            uses = [appear[d] for s, d, _ in edges if s == iid]
            appear[iid] = min(uses) if uses and -1 not in uses else -1
    # _layout wants the ops first, in recording order (each after its inputs), then the leaves
    order = sorted(items, key=lambda i: (i[0] == "L", int(i[1:])))
    pos, size = _layout({i: items[i] for i in order}, [(s, d) for s, d, _ in edges])
    frames = []
    for f in steps:
        node_item = item_of[id(f.node)]
        frames.append({
            "current": node_item,
            "expression": f.expression,
            "order": f.order,
            "rule": f.rule,
            "gradIn": summary_text(f.grad_in.data),
            "gradInShort": _short(f.grad_in.data),
            "sends": [{"to": s.to, "edge": f"{node_item}:{s.position}",
                       "text": summary_text(s.grad.data),
                       "summed": None if s.summed is None else
                       f"summed to {shape_text(s.summed.shape)}: {summary_text(s.summed)}"}
                      for s in f.sends],
            "grads": [{"label": label, "item": label_item.get(label),
                       "text": summary_text(value), "short": _short(value),
                       "status": f.changed.get(label, ""),
                       "values": (value.ravel().tolist() if value.size <= SMALL else None)}
                      for label, value in f.grads.items()],
            "recorded": [expression for expression, _ in f.recorded],
        })
    return {
        "order": steps.order,
        "size": size,
        "items": [{"id": i, "x": pos[i][0], "y": pos[i][1], "w": items[i][0],
                   "h": items[i][1], "kind": kinds[i], "lines": lines[i],
                   "order": orders.get(i, 0), "appear": appear.get(i, -1)} for i in items],
        "edges": [{"id": f"{d}:{i}", "src": s, "dst": d, "appear": appear.get(d, -1)}
                  for s, d, i in edges],
        "frames": frames,
    }


def _short(array) -> str:
    """A gradient as its box in the graph shows it: at most four values."""
    return format_values(array, 4, 2)


def _order(node) -> int:
    from .stepper import derivative_order  # noqa: PLC0415

    return derivative_order(node)


def _svg(data) -> str:
    """The graph as inline SVG: boxes for leaves, rounded boxes for ops, curves for edges."""
    w, h = data["size"]
    by_id = {it["id"]: it for it in data["items"]}
    parts = [f"<svg id='graph' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w:.0f} "
             f"{h:.0f}' width='{w:.0f}' height='{h:.0f}'>",
             "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='9' "
             "markerHeight='9' markerUnits='userSpaceOnUse' orient='auto'>"
             "<path d='M0,0 L10,5 L0,10 z' fill='context-stroke'/></marker></defs>"]
    for e in data["edges"]:
        s, d = by_id[e["src"]], by_id[e["dst"]]
        x1, y1 = s["x"], s["y"] + s["h"] / 2
        x2, y2 = d["x"], d["y"] - d["h"] / 2
        mid = (y1 + y2) / 2
        parts.append(f"<path class='edge' id='e-{e['id']}' data-appear='{e['appear']}' "
                     f"d='M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} "
                     f"{x2:.1f},{y2:.1f}' marker-end='url(#arrow)'/>")
    for it in data["items"]:
        x0, y0 = it["x"] - it["w"] / 2, it["y"] - it["h"] / 2
        rx = 14 if it["kind"] == "op" else 4
        badge = ""
        if it["order"]:
            badge = (f"<rect class='pill' x='{x0 + it['w'] - 26:.1f}' y='{y0 - 8:.1f}' "
                     f"width='24' height='15' rx='7'/><text class='badge' "
                     f"x='{x0 + it['w'] - 14:.1f}' y='{y0 + 3.5:.1f}' text-anchor='middle'>"
                     f"d{it['order']}</text>")
        texts = "".join(
            f"<text class='{'t1' if k == 0 else 't2'}' x='{it['x']:.1f}' "
            f"y='{y0 + 20 + 18 * k:.1f}' text-anchor='middle'>{_e(t)}</text>"
            for k, t in enumerate(it["lines"]))
        grad_y = y0 + 20 + 18 * len(it["lines"])
        parts.append(
            f"<g class='item {it['kind']} order{min(it['order'], 3)}' id='i-{it['id']}' "
            f"data-label='{_e(it['lines'][0])}' data-appear='{it['appear']}'>"
            f"<rect x='{x0:.1f}' y='{y0:.1f}' width='{it['w']:.1f}' height='{it['h']:.1f}' "
            f"rx='{rx}'/>{texts}{badge}<text class='gtext' id='g-{it['id']}' "
            f"x='{it['x']:.1f}' y='{grad_y:.1f}' text-anchor='middle'></text></g>")
    parts.append("</svg>")
    return "".join(parts)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{margin:0;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2937;
 background:#f8fafc}
header{padding:12px 20px;background:#1e293b;color:#f8fafc}
header h1{margin:0;font-size:18px;font-weight:600}
header p{margin:4px 0 0;font-size:13px;color:#cbd5e1}
main{display:flex;gap:16px;padding:14px 20px;align-items:flex-start}
#left{flex:1 1 60%;background:white;border:1px solid #e2e8f0;border-radius:10px;
 padding:10px;overflow:auto;max-height:calc(100vh - 130px)}
#right{flex:0 0 400px;background:white;border:1px solid #e2e8f0;border-radius:10px;
 padding:12px 14px;font-size:13px}
#graph{max-width:100%;height:auto;display:block;margin:auto}
.edge{fill:none;stroke:#cbd5e1;stroke-width:1.6;transition:stroke .3s}
.edge.reached{stroke:#f97316;stroke-width:2.6}
.edge.now{stroke:#dc2626;stroke-width:3.4;stroke-dasharray:7 5;animation:flow .8s linear infinite}
@keyframes flow{to{stroke-dashoffset:24}}
.item rect{stroke:#94a3b8;stroke-width:1.4;transition:all .3s}
.item.op rect{fill:#fef9c3}
.item.var rect{fill:#dbeafe;stroke:#3b82f6}
.item.const rect{fill:#f1f5f9}
.item.order1 rect{fill:#ede9fe}.item.order2 rect{fill:#ffedd5}.item.order3 rect{fill:#dcfce7}
.item.done rect{stroke:#16a34a;stroke-width:2.2}
.item.waiting rect{stroke:#f97316;stroke-width:2.2;stroke-dasharray:5 3}
.item.current rect{stroke:#dc2626;stroke-width:4;filter:drop-shadow(0 0 6px #f87171)}
.item.hidden{opacity:0}
.item.fresh rect{stroke:#7c3aed;stroke-width:3}
.edge.hidden{opacity:0}
text{font-family:SFMono-Regular,Menlo,Consolas,monospace}
.t1{font-size:12.5px;font-weight:bold;fill:#0f172a}.t2{font-size:11px;fill:#64748b}
.gtext{font-size:11.5px;fill:#b45309;font-weight:bold}
.var .gtext{fill:#1d4ed8}
.badge{font-size:10px;fill:white;font-weight:bold}.item rect.pill{fill:#7c3aed;stroke:none}
#controls{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-bottom:10px}
button{font-size:15px;padding:4px 10px;border:1px solid #cbd5e1;border-radius:6px;
 background:#f8fafc;cursor:pointer;white-space:nowrap}button:hover{background:#e2e8f0}
#slider{flex:1 1 100%}
#stepno{font-weight:bold;font-size:15px;margin:4px 0}
.box{background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px;padding:6px 8px;
 margin:4px 0 10px;font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
 word-break:break-word}
h3{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#64748b;margin:10px 0 2px}
table{border-collapse:collapse;width:100%}
td{border-bottom:1px solid #e2e8f0;padding:3px 4px;font-family:SFMono-Regular,Menlo,monospace;
 font-size:12px;vertical-align:top}
.status{font-family:sans-serif;font-size:10.5px;border-radius:8px;padding:0 6px;
 background:#dcfce7;color:#166534}
.status.accumulated{background:#ffedd5;color:#9a3412}
.legend{font-size:11.5px;color:#475569;margin-top:10px;line-height:1.7}
.sw{display:inline-block;width:11px;height:11px;border-radius:3px;vertical-align:-1px;
 margin-right:3px;border:1px solid #94a3b8}
</style></head><body>
<header><h1>__TITLE__</h1><p>__SUBTITLE__</p></header>
<main><div id="left">__SVG__</div>
<div id="right">
<div id="controls"><button id="first" title="first step">|&#x25C0;</button>
<button id="prev" title="previous step (&#x2190;)">&#x25C0; prev</button>
<button id="play" title="play from here">play</button>
<button id="next" title="next step (&#x2192;)">next &#x25B6;</button>
<button id="last" title="last step">&#x25B6;|</button>
<input id="slider" type="range" min="0" max="0" value="0"></div>
<div id="stepno"></div>
<h3>node</h3><div class="box" id="expression"></div>
<h3>gradient arriving</h3><div class="box" id="gradin"></div>
<h3>the rule that runs</h3><div class="box" id="rule"></div>
<h3>sent to the inputs</h3><div id="sends"></div>
<h3>.grad so far</h3><table id="grads"></table>
<div id="recorded"></div>
<div class="legend">
<span class="sw" style="background:#dbeafe;border-color:#3b82f6"></span>variable
<span class="sw" style="background:#f1f5f9"></span>constant
<span class="sw" style="background:#fef9c3"></span>op
<span class="sw" style="border:2px solid #dc2626"></span>running now
<span class="sw" style="border:2px dashed #f97316"></span>has gradient, waiting
<span class="sw" style="border:2px solid #16a34a"></span>done<br>
__ORDERS__Arrows show data flowing forward; gradients flow back along them, turning
<b style="color:#f97316">orange</b> as they arrive.</div>
</div></main>
<script id="data" type="application/json">__DATA__</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var frames = data.frames, n = frames.length;
  var slider = document.getElementById('slider');
  slider.max = Math.max(n - 1, 0);
  function el(id) { return document.getElementById(id); }
  function esc(s) { var d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
  function show(k) {
    k = Math.max(0, Math.min(n - 1, k));
    slider.value = k;
    document.body.setAttribute('data-frame', k);
    var f = frames[k];
    document.body.setAttribute('data-current', f.current);
    var reached = {}, now = {}, done = {}, waiting = {};
    for (var j = 0; j <= k; j++) {
      done[frames[j].current] = j;
      frames[j].sends.forEach(function (s) { reached[s.edge] = 1; if (j === k) now[s.edge] = 1; });
    }
    data.edges.forEach(function (e) {
      var p = el('e-' + e.id);
      p.setAttribute('class', 'edge' + (now[e.id] ? ' now' : reached[e.id] ? ' reached' : '')
        + (e.appear > k ? ' hidden' : ''));
      if (reached[e.id] && done[e.src] === undefined && e.src.charAt(0) === 'N') waiting[e.src] = 1;
    });
    var gradOf = {};
    f.grads.forEach(function (g) { if (g.item) gradOf[g.item] = g; });
    data.items.forEach(function (it) {
      var g = el('i-' + it.id), cls = 'item ' + it.kind + ' order' + Math.min(it.order, 3);
      if (it.appear > k) cls += ' hidden';
      if (it.appear === k) cls += ' fresh';
      if (it.id === f.current) cls += ' current';
      else if (done[it.id] !== undefined) cls += ' done';
      else if (waiting[it.id]) cls += ' waiting';
      g.setAttribute('class', cls);
      var t = el('g-' + it.id), text = '';
      if (it.kind === 'op' && done[it.id] !== undefined) {
        text = 'g = ' + frames[done[it.id]].gradInShort;
      }
      if (gradOf[it.id]) text = '.grad = ' + gradOf[it.id].short;
      t.textContent = text.length > 46 ? text.slice(0, 45) + '\\u2026' : text;
    });
    var now = el('i-' + f.current);
    if (now.scrollIntoView) now.scrollIntoView({block: 'nearest', inline: 'nearest'});
    el('stepno').textContent = 'step ' + k + ' (of 0\u2013' + (n - 1) + ', newest node first)';
    el('expression').innerHTML = esc(f.expression) +
      (f.order ? ' <span class="status accumulated">derivative order ' + f.order + '</span>' : '');
    el('gradin').textContent = f.gradIn;
    el('rule').textContent = f.rule;
    el('sends').innerHTML = f.sends.length ? f.sends.map(function (s) {
      return '<div class="box">' + esc(s.to) + ' \\u2190 ' + esc(s.text) +
        (s.summed ? '<br>' + esc(s.summed) : '') + '</div>';
    }).join('') : '<div class="box">nothing: no input needs a gradient</div>';
    el('grads').innerHTML = f.grads.length ? f.grads.map(function (g) {
      return '<tr data-label="' + esc(g.label) + '"' +
        (g.values ? ' data-values="' + esc(JSON.stringify(g.values)) + '"' : '') +
        '><td>' + esc(g.label) + '</td><td>' + esc(g.text) + '</td><td>' +
        (g.status ? '<span class="status ' + g.status + '">' + g.status + '</span>' : '') +
        '</td></tr>';
    }).join('') : '<tr><td>none yet</td></tr>';
    el('recorded').innerHTML = f.recorded.length ? '<h3>recorded by this backward (d' +
      data.order + ')</h3><div class="box">' + f.recorded.map(esc).join('<br>') + '</div>' : '';
  }
  var timer = null;
  function step(d) { show(+slider.value + d); }
  el('first').onclick = function () { show(0); };
  el('last').onclick = function () { show(n - 1); };
  el('prev').onclick = function () { step(-1); };
  el('next').onclick = function () { step(1); };
  el('play').onclick = function () {
    if (timer) { clearInterval(timer); timer = null; return; }
    if (+slider.value >= n - 1) show(0);
    timer = setInterval(function () {
      if (+slider.value >= n - 1) { clearInterval(timer); timer = null; } else step(1);
    }, 1100);
  };
  slider.oninput = function () { show(+slider.value); };
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') step(1);
    if (e.key === 'ArrowLeft') step(-1);
  });
  var m = /[?&#]frame=(-?\\d+)/.exec(location.search + location.hash);
  var k = m ? +m[1] : 0;
  if (n) show(k < 0 ? n + k : k);
})();
</script></body></html>
"""


def steps_page(steps, title: str) -> str:
    """The frames of `steps` as one self-contained page: inline SVG, CSS and script."""
    data = _page_data(steps)
    if not data["frames"]:
        raise ValueError("this backward pass ran no step: there is nothing to animate")
    subtitle = (f"{len(steps)} steps of a backward pass of derivative order {steps.order}. "
                "Use the buttons, the slider or the arrow keys; ?frame=k in the address opens "
                "step k.")
    orders = ""
    if any(it["order"] for it in data["items"]):
        orders = ("<span class='sw' style='background:#ede9fe'></span>recorded by the 1st "
                  "backward (d1) <span class='sw' style='background:#ffedd5'></span>by the 2nd "
                  "(d2) <span class='sw' style='background:#dcfce7'></span>by the 3rd (d3)<br>")
    payload = json.dumps(data).replace("</", "<\\/")
    return (PAGE.replace("__TITLE__", _e(title)).replace("__SUBTITLE__", _e(subtitle))
            .replace("__ORDERS__", orders).replace("__SVG__", _svg(data))
            .replace("__DATA__", payload))

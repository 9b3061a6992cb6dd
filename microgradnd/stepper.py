"""The backward pass one step at a time: `autograd.step_backward(loss)` runs backward and keeps
one Frame per node it ran: the gradient arriving, the rule, what went to each input, and which
`.grad` fields are filled so far.

It listens on the walk's trace hook (`graph.state.trace`), so backward itself is unchanged and
pays nothing when no stepper is active. The HTML views of frames live in notebook.py.
"""
from __future__ import annotations

import numpy

from . import backend
from .core import Tensor
from .display import format_values, shape_text
from .graph import Tape, state

__all__ = ["BackwardSteps", "Frame", "GraphMap", "Send", "derivative_order", "step_backward"]

# ---- derivative order: which backward pass recorded a node ----

# node.seq -> the derivative order of the stepped backward pass that recorded the node. Nodes
# absent from it were recorded by forward code: order 0. Only stepped passes write here, and
# only with create_graph=True, so it stays as small as the graphs a learner steps through.
_ORDER: dict[int, int] = {}


def derivative_order(node) -> int:
    """0 for a node that forward recorded, n for one that the n-th stepped backward recorded."""
    return _ORDER.get(node.seq, 0)


# ---- the graph behind the heads, numbered ----


class GraphMap:
    """Every node and leaf that `heads` were computed from, numbered as `print(tape)` numbers
    them: `%k` is the output of the k-th recorded node (in recording order).

    Leaves are named by `names` ({label: tensor}) when given, else `var(shape)` for a variable
    and `const(shape)` for a tensor that needs no gradient (`#2`, `#3`... when repeated).
    """

    def __init__(self, heads, names=None):
        self.label_of: dict[int, str] = {}      # id(tensor) -> label
        self.output_of: dict[int, Tensor] = {}  # id(node) -> the tensor it produced
        self.inputs_of: dict[int, tuple] = {}   # id(node) -> its inputs (backward frees them)
        self.leaves: list[Tensor] = []
        self.nodes = []
        self._given = {id(t): k for k, t in (names or {}).items()}
        self._held = []                         # tensors seen: keeps their ids unique
        nodes, stack, seen = {}, list(heads), set()
        while stack:                            # iterative: no recursion limit
            x = stack.pop()
            if not isinstance(x, Tensor) or id(x) in seen:
                continue
            seen.add(id(x))
            self._held.append(x)
            node = x._node
            if node is None or node.inputs is None:     # a leaf, or a result freed by backward
                self.leaves.append(x)
                continue
            nodes[id(node)] = node
            self.output_of[id(node)] = x
            self.inputs_of[id(node)] = node.inputs
            stack.extend(node.inputs)
        self.nodes = sorted(nodes.values(), key=lambda n: n.seq)
        self.index_of = {id(n): k for k, n in enumerate(self.nodes)}
        for node in self.nodes:
            out = self.output_of[id(node)]
            self.label_of[id(out)] = self._given.get(id(out), f"%{self.index_of[id(node)]}")
        for leaf in self.leaves:
            self.name_leaf(leaf)

    def name_leaf(self, x: Tensor, base: str | None = None) -> str:
        """The label of a leaf (made on first sight; `base` instead of var/const(shape))."""
        if id(x) in self.label_of:
            return self.label_of[id(x)]
        label = self._given.get(id(x))
        if label is None:
            kind = "var" if x._req is not None else "const"
            label = base = base or f"{kind}{shape_text(x.shape)}"
            taken = set(self.label_of.values())
            n = 2
            while label in taken:
                label, n = f"{base}#{n}", n + 1
        self.label_of[id(x)] = label
        self._held.append(x)
        return label

    def add_node(self, node) -> str:
        """Number a node recorded after the map was made (by a create_graph backward)."""
        self.index_of[id(node)] = len(self.nodes)
        self.inputs_of[id(node)] = node.inputs
        self.nodes.append(node)
        return f"%{len(self.nodes) - 1}"

    def label(self, x) -> str:
        """How an input is named: its label, `%k` for a node's output, repr for a scalar."""
        if not isinstance(x, Tensor):
            return repr(x)
        if id(x) in self.label_of:
            return self.label_of[id(x)]
        node = x._node
        if node is not None and id(node) in self.index_of:
            self.output_of.setdefault(id(node), x)
            self.label_of[id(x)] = label = f"%{self.index_of[id(node)]}"
            self._held.append(x)
            return label
        return self.name_leaf(x)

    def node_label(self, node) -> str:
        """The label of a node's output: its name when given, else %k."""
        out = self.output_of.get(id(node))
        if out is not None and id(out) in self.label_of:
            return self.label_of[id(out)]
        return f"%{self.index_of[id(node)]}"

    def expression(self, node, inputs) -> str:
        """`%3 = pow(%2, 2)`: the node as a line of a program."""
        args = [self.label(x) for x in inputs] if inputs is not None else ["(freed)"]
        return f"{self.node_label(node)} = {node.name}({', '.join(args)})"


# ---- one frame: what one step of backward did ----


class Send:
    """The gradient one step sent to one input: `to` (its label), `grad` (a Tensor, in the
    shape the rule gave) and `summed` (a host array: grad summed to the input's shape, when
    broadcasting had to be undone; else None)."""

    __slots__ = ("to", "grad", "summed", "position")

    def __init__(self, to, grad, summed, position):
        self.to, self.grad, self.summed = to, grad, summed
        self.position = position    # which input of the node (0 for a, 1 for b...)

    def __repr__(self) -> str:
        text = f"-> {self.to} {shape_text(self.grad.shape)} {format_values(self.grad.data)}"
        if self.summed is not None:
            text += f" summed to {shape_text(self.summed.shape)} {format_values(self.summed)}"
        return text


class Frame:
    """Step `index` of a backward pass (newest node first).

    node, label, expression: the node processed (`%3 = pow(%2, 2)`); order: its derivative
    order; rule: `pow: grad_a = ...`; grad_in: the gradient arriving (a Tensor); sends: a
    Send per input that got a gradient; grads: {label: host array} of every gradient stored
    so far (`.grad` of leaves, and of results with attach_grad()); changed: {label: 'filled'
    or 'accumulated'} for those this step touched; recorded: [(expression, node)] of the
    nodes a create_graph backward recorded since the previous step (this rule, and the sums
    of the gradients delivered before it), marked by derivative order.
    """

    def __init__(self, index, node, label, expression, order, grad_in, sends, grads, changed,
                 recorded):
        self.index = index
        self.node = node
        self.label = label
        self.expression = expression
        self.order = order
        self.grad_in = grad_in
        self.sends = sends
        self.grads = grads
        self.changed = changed
        self.recorded = recorded
        self.total = None       # set when the pass is over
        self.recomputed = None  # a checkpoint's step: the traced backward of its re-run block

    @property
    def op(self) -> str:
        return self.node.name

    @property
    def rule(self) -> str:
        """The op's name and its rule in words, e.g. `mul: grad_a = g * b; grad_b = g * a`."""
        return f"{self.node.name}: {self.node.op.rule}"

    def format(self) -> str:
        """The frame as a few lines of text (what print shows)."""
        order = f", derivative order {self.order}" if self.order else ""
        lines = [f"step {self.index} of {self.total}: {self.expression}{order}",
                 f"  gradient in   {shape_text(self.grad_in.shape)} "
                 f"{format_values(self.grad_in.data)}",
                 f"  rule          {self.rule}"]
        for k, send in enumerate(self.sends):
            lines.append(("  sends         " if k == 0 else "                ") + repr(send))
        if not self.sends:
            lines.append("  sends         nothing (no input needs a gradient)")
        for k, (label, value) in enumerate(self.grads.items()):
            note = f" ({self.changed[label]})" if label in self.changed else ""
            lines.append(("  .grad so far  " if k == 0 else "                ")
                         + f"{label} = {format_values(value)}{note}")
        if not self.grads:
            lines.append("  .grad so far  none yet")
        for expression, node in self.recorded:
            lines.append(f"  recorded      {expression} "
                         f"(derivative order {derivative_order(node)})")
        if self.recomputed is not None:
            ops = ", ".join(n.name for n in self.recomputed.tape.nodes)
            lines.append(f"  recomputed    fn re-ran: {len(self.recomputed.tape)} op(s) ({ops}); "
                         f"its backward took {len(self.recomputed)} step(s)")
            lines += ["                " + line
                      for line in self.recomputed.format().splitlines()[1:]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .notebook import frame_html  # noqa: PLC0415 - HTML only when a notebook asks

        return frame_html(self)


class BackwardSteps:
    """The frames of one backward pass: `steps[k]`, `len(steps)`, `for frame in steps`.

    `graph` numbers the nodes and leaves (a GraphMap), `order` is the pass's derivative order
    (1 for a first backward), and `grads` what the pass returned (autograd.grad) or stored
    ({label: .grad} for backward). `save_html(path)` writes the animated page.
    """

    def __init__(self, graph, order, frames, result):
        self.graph = graph
        self.order = order
        self.frames = frames
        self.result = result

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k):
        return self.frames[k]

    def __iter__(self):
        return iter(self.frames)

    def __str__(self) -> str:
        head = (f"Backward, step by step: {len(self.frames)} step(s), derivative order "
                f"{self.order}")
        return "\n".join([head] + [f.format() for f in self.frames])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .notebook import steps_html  # noqa: PLC0415

        return steps_html(self)

    def html(self, title: str = "The backward pass, step by step") -> str:
        """A self-contained HTML page animating the frames over the graph (no network)."""
        from .notebook import steps_page  # noqa: PLC0415

        return steps_page(self, title)

    def save_html(self, path, title: str = "The backward pass, step by step") -> None:
        """Write html() to `path`."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html(title))

    def animation(self):
        """The page of html(), to display inside a notebook (an iframe)."""
        from .notebook import Animation  # noqa: PLC0415

        return Animation(self.html())


# ---- watching the walk ----


class _Nodes(list):
    """A tape's node list that also appends to the tape of an enclosing record() block."""

    def __init__(self, outer):
        super().__init__()
        self.outer = outer

    def append(self, node) -> None:
        super().append(node)
        if self.outer is not None:
            self.outer.nodes.append(node)


def _host(t) -> numpy.ndarray:
    return numpy.array(backend.to_host(t.data if isinstance(t, Tensor) else t))


class _Stepper:
    """What the walk appends its Steps to while step_backward runs: makes one Frame each."""

    def __init__(self, graph, heads, order, tracked, outer_trace, tape):
        self.graph = graph
        self.heads = heads
        self.order = order
        self.tracked = tracked          # id(tensor) -> tensor whose gradient is stored
        self.outer_trace = outer_trace  # an enclosing trace_backward() keeps working
        self.tape = tape
        self.mark = 0
        self.frames: list[Frame] = []
        self.sums: dict[str, numpy.ndarray] = {}    # label -> the gradients delivered, summed
        self.held: dict[str, numpy.ndarray] = {}    # label -> .grad before (grad_req='add')

    def take_recorded(self):
        """The nodes recorded since the last call, numbered and marked by derivative order."""
        new = self.tape.nodes[self.mark:]
        self.mark = len(self.tape.nodes)
        found = []
        for node in new:
            _ORDER[node.seq] = self.order
            self.graph.add_node(node)
            found.append((self.graph.expression(node, node.inputs), node))
        return found

    def store(self, label, value, changed) -> None:
        """Add one delivered gradient, in the order the walk adds them (the same sums)."""
        had = label in self.sums or label in self.held
        self.sums[label] = self.sums[label] + value if label in self.sums else value
        changed[label] = "accumulated" if had else "filled"

    def grads(self) -> dict:
        """Each stored gradient so far: .grad as backward will leave it if the pass ended now."""
        shown = dict(self.held)
        for label, total in self.sums.items():
            # grad_req='add' adds the pass's sum to the old .grad at the end, as here
            shown[label] = self.held[label] + total if label in self.held else total
        return shown

    def append(self, step) -> None:
        if self.outer_trace is not None:
            self.outer_trace.append(step)
        node, g, grads = step
        graph = self.graph
        out = graph.output_of.get(id(node))
        if g._node is None and any(out is h for h in self.heads):
            graph.name_leaf(g, "seed")      # the gradient backward starts from (ones)
        recorded = self.take_recorded()
        if id(node) not in graph.index_of:      # reached through a tensor made after the map
            graph.add_node(node)
        inputs = node.inputs
        changed: dict[str, str] = {}
        if out is not None and id(out) in self.tracked:     # a result with attach_grad()
            self.store(graph.label(out), _host(g), changed)
        sends = []
        for i, (x, gx, want) in enumerate(zip(inputs, grads, node.requires_grad)):
            if gx is None or not want:
                continue
            label = graph.label(x)
            summed = None
            value = _host(gx)
            if value.shape != x.shape:
                value = summed = backend.sum_to(value, x.shape)
            value = value.astype(x.dtype, copy=False)
            sends.append(Send(label, gx, summed, i))
            if x._node is None and id(x) in self.tracked:
                self.store(label, value, changed)
        order = derivative_order(node)
        expression = graph.expression(node, inputs)
        self.frames.append(Frame(len(self.frames), node, graph.node_label(node), expression,
                                 order, g, sends, self.grads(), changed, recorded))
        inner = getattr(node.op, "inner_trace", None)   # a checkpoint re-ran its block
        if inner is not None:
            self.frames[-1].recomputed = inner(node)


def step_backward(heads, variables=None, head_grads=None, retain_graph=False,
                  create_graph=False, names=None) -> BackwardSteps:
    """Run backward (or, given `variables`, autograd.grad) and keep a Frame per step.

    It does exactly what `heads.backward()` (or `autograd.grad(heads, variables)`) does,
    `.grad` fields and all; the frames show how. With create_graph=True the nodes the pass
    records are numbered after the graph's own and marked with the pass's derivative order
    (1 + the highest order in the graph), so stepping a gradient of a gradient shows order 2.
    """
    from . import autograd  # noqa: PLC0415 - autograd stands above this module's users

    head_list = list(heads) if isinstance(heads, (list, tuple)) else [heads]
    graph = GraphMap(head_list, names)
    order = 1 + max((derivative_order(n) for n in graph.nodes), default=0)
    if variables is None:
        tracked = {id(x): x for x in graph.leaves if x._req is not None}
        tracked.update({id(t): t for t in graph.output_of.values() if t._req is not None})
    else:
        var_list = list(variables) if isinstance(variables, (list, tuple)) else [variables]
        tracked = {id(v): v for v in var_list}
        for v in var_list:
            graph.label(v)
    tape = Tape()
    tape.nodes = _Nodes(state.tape)
    stepper = _Stepper(graph, head_list, order, tracked, state.trace, tape)
    if variables is None:
        for x in tracked.values():      # grad_req='add' adds to what .grad holds already
            if x._req == "add" and x.grad is not None:
                stepper.held[graph.label(x)] = _host(x.grad)
    saved = state.trace, state.tape
    state.trace, state.tape = stepper, tape
    try:
        if variables is None:
            autograd.backward(head_list, head_grads, retain_graph, create_graph)
            result = {graph.label(x): x.grad for x in tracked.values()}
        else:
            result = autograd.grad(head_list, var_list, head_grads, retain_graph or None,
                                   create_graph)
    finally:
        state.trace, state.tape = saved
    late = stepper.take_recorded()          # sums of the last gradients delivered
    if stepper.frames:
        stepper.frames[-1].recorded.extend(late)
    for f in stepper.frames:
        f.total = len(stepper.frames)
    return BackwardSteps(graph, order, stepper.frames, result)

"""Debugging gradients: the anomaly mode that finds the op that made a NaN or an infinity, and
`explain_grad`, which says in one sentence why a variable gets no gradient or a zero one.

Nothing here runs unless asked for: while `detect_anomaly()` is off the ops pay nothing (a
tape made under the mode checks the nodes it is given), and the backward walk its usual test
of `state.trace`.
"""
from __future__ import annotations

import linecache
import math
import os
import sys
import weakref
from typing import NamedTuple

import numpy

from . import backend
from .core import Tensor
from .display import format_values
from .graph import UNCHANGED, Step, _seq, state

__all__ = ["AnomalyError", "allow_nonfinite", "detect_anomaly", "explain_grad", "note_cut"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# The backward walk of autograd.py, found on the stack by name: its locals `node` (the node
# whose rule runs) and `heads` are read here (tests/test_anomaly.py keeps the names in step).
_WALK = "_walk"


# ---- where a node was recorded ----


class Site(NamedTuple):
    """Where a node was recorded, kept on `node.site` while detect_anomaly() is on."""

    row: int | None         # its row in the tape (`print(tape)`), None when not on a tape
    filename: str | None    # the user's file and line that recorded it
    lineno: int | None
    order: int              # 1: recorded by the user's code; k + 1: by the backward of order k
    parent: object          # the Node whose backward rule recorded it (order > 1), else None
    allowed: bool           # inside allow_nonfinite(), or passing on a value made there


def _user_frame():
    """The innermost frame outside microgradnd, and the node the backward walk is running
    (None outside a walk): walking the stack is cheap next to the check it goes with."""
    frame, walking = sys._getframe(2), None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        if walking is None and frame.f_code.co_name == _WALK:
            walking = frame.f_locals.get("node")
        frame = frame.f_back
    return frame, walking


def _root(site: Site) -> Site:
    """The site of the user's own op that a node recorded by backward rules descends from."""
    while site.parent is not None and getattr(site.parent, "site", None) is not None:
        site = site.parent.site
    return site


def _source(filename, lineno) -> str:
    if filename is None:
        return "an unknown line"
    text = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f"  `{text}`" if text else "")


# ---- the error ----


class AnomalyError(FloatingPointError):
    """A NaN or an infinity appeared in a forward or backward pass under detect_anomaly().

    Attributes: `op` (the op's name), `row` (its tape row, or None), `phase` ('forward' or
    'backward'), `order` (1 for the user's ops, 2 for ops recorded by a first backward...),
    `culprit` (what went non-finite: 'output', 'input k' when it came in non-finite,
    'gradient to input k', or 'gradient arriving'),
    `filename` and `lineno` (the user's line that recorded the op), `cause` and `fix`.
    """

    def __init__(self, message, **facts):
        super().__init__(message)
        self.__dict__.update(facts)


def _first_bad(array, allow_inf):
    """(flat index, value) of the first element that is NaN (or also ±inf), else None."""
    if array.dtype.kind not in "fc":
        return None
    xp = backend.xp_of(array)
    with backend.on_device_of(array):       # array's GPU, which need not be current
        bad = xp.isnan(array) if allow_inf else ~xp.isfinite(array)
        found = bool(bad.any())
    if not found:
        return None
    host = numpy.asarray(backend.to_host(bad)).reshape(-1)
    i = int(numpy.argmax(host))
    return i, numpy.asarray(backend.to_host(array)).reshape(-1)[i]


def _at(value, shape, i):
    """The element of `value` (a Tensor, array or scalar) that lands on flat index i of an
    array of `shape` after broadcasting."""
    if value is None:
        return None
    data = value.data if isinstance(value, Tensor) else value
    if numpy.ndim(data) == 0:
        return numpy.asarray(backend.to_host(data) if backend.is_array(data) else data).item()
    host = numpy.asarray(backend.to_host(data))
    try:
        return numpy.broadcast_to(host, shape).reshape(-1)[i].item()
    except ValueError:
        return None


def _index(shape, i) -> str:
    return str(tuple(int(k) for k in numpy.unravel_index(i, shape))) if shape else "()"


def _number(v) -> str:
    return "unknown" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


# ---- the classic patterns: what made the value, and what to write instead ----

_DOUBLE_WHERE = ("make the input safe inside the branch that is not taken too (the 'double "
                 "where'): where(x > 0, sqrt(where(x > 0, x, 1)), 0), not where(x > 0, "
                 "sqrt(x), 0)")


def _forward_cause(name, xs, out_value, dtype):
    """(cause, fix) for an op that made a non-finite output from finite inputs."""
    x = xs[0] if xs else None
    big = float(numpy.finfo(dtype).max) if dtype.kind == "f" else math.inf
    if name in ("log", "log1p") and x is not None:
        low = 0 if name == "log" else -1
        what = f"{name} of {_number(x)}"
        return (f"{what}: the logarithm of a value <= {low} is "
                f"{'-inf' if x == low else 'nan'}",
                f"keep the argument above {low}: {name}(x + eps) or {name}(maximum(x, eps)); "
                "for the log of a softmax use npx.log_softmax; if a where() discards these "
                "elements later, " + _DOUBLE_WHERE.replace("sqrt", name))
    if name == "sqrt" and x is not None:
        return (f"sqrt of the negative value {_number(x)} is nan",
                "take sqrt(maximum(x, 0)); if a where() discards these "
                "elements later, " + _DOUBLE_WHERE)
    if name == "exp":
        limit = math.log(big)
        return (f"exp overflowed: e**{_number(x)} is larger than the largest {dtype} "
                f"({big:.3g}; e**x overflows for x > {limit:.4g})",
                "use a stable form: subtract the maximum first, as the log-sum-exp trick "
                "m + log(sum(exp(x - m))) does (npx.softmax and npx.log_softmax do it for you)")
    if name == "div" and len(xs) == 2 and xs[1] == 0:
        what = "0 / 0 = nan" if xs[0] == 0 else f"{_number(xs[0])} / 0 = {_number(out_value)}"
        return (f"division by zero: {what}",
                "add a small eps to the denominator (a / (b + eps)), or divide only where "
                "b != 0 with the 'double where': where(b != 0, a / where(b != 0, b, 1), 0)")
    if name == "pow" and len(xs) == 2 and xs[0] == 0 and xs[1] is not None and xs[1] < 0:
        return (f"division by zero: 0 ** {_number(xs[1])} is inf",
                "keep the base away from 0: (x + eps) ** b")
    if name == "pow" and len(xs) == 2 and xs[0] is not None and xs[0] < 0:
        return (f"a negative base to a fractional power: {_number(xs[0])} ** "
                f"{_number(xs[1])} is nan", "take abs(x) ** b, or keep the base positive")
    if out_value is not None and math.isinf(out_value):
        return (f"'{name}' overflowed: its result is larger than the largest {dtype} "
                f"({big:.3g})",
                "rescale the inputs, compute in float64, or use a stable form (log-sum-exp "
                "instead of log(sum(exp(x))))")
    return (f"'{name}' made nan from finite inputs (inf - inf or 0 * inf inside it)",
            "look at the values of its inputs there")


def _backward_cause(node, k, g_value, grad_value, xs, dtype):
    """(cause, fix) for a backward rule that sent a non-finite gradient from a finite one."""
    name = node.name
    x = xs[k] if k < len(xs) else None
    slope = {
        "sqrt": ("the slope of sqrt, 1/(2·sqrt(x)), is infinite at x = 0",
                 "keep the argument away from 0: sqrt(x + eps), e.g. a norm as "
                 "sqrt(sum(x * x) + eps)"),
        "log": ("the slope of log, 1/x, is infinite at x = 0",
                "keep the argument away from 0: log(x + eps)"),
        "log1p": ("the slope of log1p, 1/(1 + x), is infinite at x = -1",
                  "keep the argument above -1"),
        "pow": ("the slope of x ** b, b·x**(b - 1), is infinite at x = 0 for b < 1",
                "keep the base away from 0: (x + eps) ** b"),
        "div": ("division by zero: the slopes of a / b, 1/b and -a/b², are infinite at b = 0",
                "add a small eps to the denominator, or the 'double where': "
                "where(b != 0, a / where(b != 0, b, 1), 0)"),
    }.get(name)
    at_pole = (xs[1] == 0 if name == "div" and len(xs) == 2 else
               xs[0] == -1 if name == "log1p" else bool(xs) and xs[0] == 0)
    if not at_pole:             # the rule's pole is not where it went wrong
        slope = None
    zero_times_inf = g_value == 0 and grad_value is not None and math.isnan(grad_value)
    if zero_times_inf:
        what = slope[0] if slope else f"the slope of '{name}' is infinite there"
        return (f"0 * inf: the gradient arriving here is 0, as a where() or maximum() sends "
                f"to the branch it did not take, but {what}, and 0 * inf = nan",
                slope[1] if name == "div" else
                _DOUBLE_WHERE.replace("sqrt", name) if name in ("log", "log1p") else
                _DOUBLE_WHERE)
    if slope is not None:
        return slope
    for j, v in enumerate(xs):
        if isinstance(v, float) and not math.isfinite(v):
            return (f"input {j} of '{name}' is {_number(v)} there (a value let through), and "
                    f"the gradient rule of '{name}' uses it",
                    "keep that value finite, or let this backward through as well "
                    "(run it inside allow_nonfinite())")
    big = float(numpy.finfo(dtype).max) if dtype.kind == "f" else math.inf
    return (f"the gradient overflowed: {_number(g_value)} times the slope of '{name}' "
            f"at {_number(x)} is larger than the largest {dtype} ({big:.3g})",
            "use a stable form (log-sum-exp for a log of a sum of exps), or rescale")


# ---- the checker ----


class _CheckedNodes(list):
    """A tape's list of nodes under detect_anomaly(): each node is checked as it is added."""

    def __init__(self, nodes, checker):
        super().__init__(nodes)
        self.checker = checker

    def append(self, node) -> None:
        super().append(node)
        if self.checker is state.anomaly:
            self.checker.recorded(node, len(self) - 1)


class _Checker:
    """What detect_anomaly() installs: `recorded` sees each node a tape gets (through the
    tape's list), `append` each step of a backward walk (as trace_backward's list does)."""

    def __init__(self, allow_inf: bool, trace):
        self.allow_inf = allow_inf
        self.allowing = 0           # depth of allow_nonfinite() blocks
        self.trace = trace          # a trace_backward() list this one passes steps on to
        self.passed_on = False      # an allowed non-finite value has reached a backward
        self.mark = next(_seq)      # nodes made after this were made after the last step

    def __call__(self, nodes) -> list:
        """`nodes` as a tape's list that checks each node added (Tape() calls this)."""
        return _CheckedNodes(nodes, self)

    # ---- forward: every recorded op's output, as the next op takes it in ----

    def recorded(self, node, row) -> None:
        """Give node its site; check its inputs, which are the outputs of the ops before it
        (or leaves): a non-finite one is blamed on the op that made it."""
        frame, walking = _user_frame()
        parent = getattr(walking, "site", None) if walking is not None else None
        order = parent.order + 1 if parent is not None else 1
        node.site = site = Site(row, frame.f_code.co_filename if frame else None,
                                frame.f_lineno if frame else None, order,
                                walking if parent is not None else None, self.allowing > 0)
        # A backward rule's inner values are its own business (pow masks an inf with where);
        # the walk checks what the rule returns.
        if walking is not None or site.allowed:
            return
        made, entered = [], []
        for k, x in enumerate(node.inputs):
            if isinstance(x, float):
                x = Tensor(x)
            if not isinstance(x, Tensor):
                continue
            bad = _first_bad(x.data, self.allow_inf)
            if bad is None:
                continue
            xsite = _site(x._node) if x._node is not None else None
            if xsite is None:
                entered.append((k, x, bad))
            elif xsite.allowed:
                node.site = site = site._replace(allowed=True)  # passes an allowed value on
            else:
                made.append((x._node.seq, x, bad))
        if entered:
            k, x, bad = entered[0]
            raise self._error(node, site, "forward", f"input {k}", x.data, bad, None, entered=x)
        if made:
            _, x, bad = min(made, key=lambda m: m[0])       # the earliest op is the first
            raise self._error(x._node, x._node.site, "forward", "output", x.data, bad, None)

    def _check_head(self, node) -> None:
        """A head's value, which no later op took in: checked as backward starts on it."""
        frame = sys._getframe(2)
        heads = frame.f_locals.get("heads", ()) if frame.f_code.co_name == _WALK else ()
        for h in heads:
            if isinstance(h, Tensor) and h._node is node and not _allowed(node):
                bad = _first_bad(h.data, self.allow_inf)
                if bad is not None:
                    raise self._error(node, _site(node), "forward", "output", h.data, bad,
                                      None)

    # ---- backward: every gradient a rule sends ----

    def append(self, step: Step) -> None:
        if self.trace is not None:
            self.trace.append(step)
        node, g = step.node, step.grad_in
        self._adopt(node, step.grads_out)
        if self.allowing:
            return
        self._check_head(node)
        bad_in = _first_bad(g.data, self.allow_inf)
        if bad_in is not None:
            if self.passed_on:
                return
            raise self._error(node, _site(node), "backward", "gradient arriving", g.data,
                              bad_in, g)
        for k, gk in enumerate(step.grads_out):
            if gk is None:
                continue
            bad = _first_bad(gk.data, self.allow_inf)
            if bad is not None:
                raise self._error(node, _site(node), "backward", f"gradient to input {k}",
                                  gk.data, bad, g, k=k)

    def _adopt(self, node, grads):
        """Give a site to the nodes that node's backward rule just recorded (create_graph)
        where no tape saw them: their parent is node, their line the backward's caller."""
        mark, self.mark = self.mark, next(_seq)
        parent = _site(node)
        todo = [gk._node for gk in grads if isinstance(gk, Tensor) and gk._node is not None]
        if not todo or parent is None:
            return
        frame, _ = _user_frame()
        site = Site(None, frame.f_code.co_filename if frame else None,
                    frame.f_lineno if frame else None, parent.order + 1, node,
                    self.allowing > 0)
        while todo:
            n = todo.pop()
            if n.seq < mark or _site(n) is not None:
                continue
            n.site = site
            todo.extend(x._node for x in n.inputs or ()
                        if isinstance(x, Tensor) and x._node is not None)

    # ---- the message ----

    def _error(self, node, site, phase, culprit, array, bad, g, k=0, entered=None):
        i, value = bad
        shape, dtype, value = array.shape, array.dtype, float(value)
        xs = [_at(x, shape, i) for x in node.inputs] if node.inputs is not None else []
        inputs = ", ".join(
            f"input {j} ({'shape ' + str(x.shape) if isinstance(x, Tensor) else 'a number'}) = "
            f"{_number(v)}" for j, (x, v) in enumerate(zip(node.inputs or (), xs)))
        where = f"at index {_index(shape, i)}"
        if entered is not None:
            kind = ("a variable" if entered._req is not None else
                    "a result recorded before detect_anomaly()" if entered._node is not None
                    else "a constant")
            what = f"its {culprit} ({kind} of shape {shape}) is {_number(value)} {where}"
            cause = (f"the value was non-finite before '{node.name}' took it in: no op "
                     "recorded under the mode made it")
            fix = ("check the data it came from; if it is non-finite on purpose, record the op "
                   "that takes it in inside autograd.allow_nonfinite()")
        elif phase == "forward":
            cause, fix = _forward_cause(node.name, xs, value, dtype)
            what = (f"its output (shape {shape}) is {_number(value)} {where}, where its inputs "
                    f"were finite: {inputs}")
        elif culprit == "gradient arriving":
            cause = ("the gradient arriving at its output was already non-finite: the head "
                     "gradient passed to backward, or a sum of gradients that overflowed")
            fix = "pass a finite head_grad, or rescale the loss"
            what = f"the gradient arriving (shape {shape}) is {_number(value)} {where}"
        else:
            g_value = _at(g, shape, i)
            cause, fix = _backward_cause(node, k, g_value, value, xs, dtype)
            what = (f"the {culprit} (shape {shape}) is {_number(value)} {where}, where the "
                    f"gradient arriving (shape {g.shape}) was {_number(g_value)} and {inputs}")
        row = "not on a tape" if site is None or site.row is None else f"tape row {site.row}"
        order = site.order if site is not None else 1
        root = _root(site) if site is not None else None
        lines = [f"non-finite value in the {phase} of '{node.name}' ({row}"
                 + (f", derivative order {order})" if order > 1 else ")") + f": {what}."]
        if site is not None and site.parent is not None:
            psite = site.parent.site
            prow = "" if psite.row is None else f" (tape row {psite.row})"
            lines.append(f"  recorded by the backward of '{site.parent.name}'{prow}, run from "
                         f"{_source(site.filename, site.lineno)}")
            if root is not None:
                lines.append(f"  which differentiates the op recorded at "
                             f"{_source(root.filename, root.lineno)}")
        elif root is not None:
            lines.append(f"  recorded at {_source(root.filename, root.lineno)}")
        else:
            lines.append("  recorded before detect_anomaly() was turned on (no line known)")
        lines.append(f"  cause: {cause}")
        lines.append(f"  fix: {fix}")
        return AnomalyError(
            "\n".join(lines), op=node.name, row=None if site is None else site.row,
            phase=phase, order=order, culprit=culprit,
            filename=None if root is None else root.filename,
            lineno=None if root is None else root.lineno, cause=cause, fix=fix)


def _site(node):
    return getattr(node, "site", None)


def _allowed(node) -> bool:
    site = _site(node)
    return site is not None and site.allowed


# ---- the modes ----


class detect_anomaly:
    """`with autograd.detect_anomaly():` — raise at the first NaN or ±inf that a recorded op
    makes, in forward or in backward, naming the op, its tape row and the line that recorded
    it, with the cause and the fix for the classic patterns.

    A recorded op's output is checked when the next recorded op takes it in (or backward
    starts from it), and every gradient a backward rule sends when backward runs (so the
    backward must run inside the block too); the ops themselves pay nothing for it. An op is
    blamed only for a value its inputs did not already have. `allow=("inf",)` lets infinities pass
    and stops only at NaN; `autograd.allow_nonfinite()` lets everything in a block pass.
    """

    def __init__(self, allow=()):
        allow = (allow,) if isinstance(allow, str) else tuple(allow)
        for kind in allow:
            if kind != "inf":
                raise ValueError(f"detect_anomaly(allow=...) takes 'inf' (let infinities "
                                 f"pass, stop at NaN), got {kind!r}; to let a NaN pass, "
                                 "wrap the code in autograd.allow_nonfinite()")
        self.allow_inf = "inf" in allow

    def __enter__(self):
        self._saved = (state.anomaly, state.trace)
        trace = state.trace
        if isinstance(trace, _Checker):     # nested: keep the outer block's list
            trace = trace.trace
        # The tapes check what is recorded (record() gives each new tape the checker's list),
        # the backward walk where it looks for trace_backward's list.
        state.anomaly = state.trace = checker = _Checker(self.allow_inf, trace)
        self._tape = tape = state.tape
        if tape is not None:                # inside record(): this tape checks from now on
            self._nodes, tape.nodes = tape.nodes, checker(tape.nodes)
        return self

    def __exit__(self, *exc):
        state.anomaly, state.trace = self._saved
        if self._tape is not None:
            self._nodes[:] = self._tape.nodes
            self._tape.nodes = self._nodes
        return False


class allow_nonfinite:
    """`with autograd.allow_nonfinite():` — inside detect_anomaly(), ops recorded and
    backward passes run in this block are not checked, and what they make non-finite on
    purpose (a -inf mask) may flow on: later ops are blamed only for new non-finite values."""

    def __enter__(self):
        self._checker = state.anomaly
        if self._checker is not None:
            self._checker.allowing += 1
            self._checker.passed_on = True
        return self

    def __exit__(self, *exc):
        if self._checker is not None:
            self._checker.allowing -= 1
        return False


# ---- why is my gradient None or zero? ----

# Results that something with no gradient (a comparison, argmax, an integer cast, detach())
# made from a tensor needing one, inside record(): id(result) -> (weakref to it, how, weakref
# to the tensor). Kept only so explain_grad can name the cut; an entry goes with its result.
_cuts: dict = {}


def note_cut(out, x, how: str) -> None:
    """Remember that `out` was made from `x` by `how`, which carries no gradient."""
    key = id(out)
    _cuts[key] = (weakref.ref(out, lambda _, key=key: _cuts.pop(key, None)), how,
                  weakref.ref(x))


def _cut_of(t):
    """(how, source tensor or None) when t is a remembered cut, else None."""
    entry = _cuts.get(id(t))
    if entry is None or entry[0]() is not t:
        return None
    return entry[1], entry[2]()


def _name(node, rows) -> str:
    row = rows.get(id(node))
    return f"'{node.name}'" + (f" (tape row {row})" if row is not None else
                               f" (output {tuple(node.out_shape)})")


def _graph(y):
    """The nodes y was recorded from, newest first: a list, and the freed ones among them."""
    nodes, seen, todo = [], set(), [y._node]
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        nodes.append(n)
        for inp, wants in zip(n.inputs or (), n.requires_grad):
            if wants and isinstance(inp, Tensor) and inp._node is not None:
                todo.append(inp._node)
    nodes.sort(key=lambda n: n.seq)
    return nodes, [n for n in nodes if n.inputs is None]


def _depends_on(t, x) -> bool:
    """Was the tensor t recorded from x (or is it x)?"""
    if t is x:
        return True
    if not isinstance(t, Tensor) or t._node is None:
        return False
    return bool(_uses(_graph(t)[0], x))


def _uses(nodes, x):
    """(node, input index) for each place a recorded op took x as an input wanting a grad."""
    return [(n, i) for n in nodes for i, (inp, wants) in
            enumerate(zip(n.inputs or (), n.requires_grad)) if inp is x and wants]


def _constants(nodes):
    """(node, index, tensor) for each input that enters the graph needing no gradient."""
    return [(n, i, inp) for n in nodes for i, (inp, wants) in
            enumerate(zip(n.inputs or (), n.requires_grad))
            if isinstance(inp, Tensor) and not wants]


def _all_zero(t) -> bool:
    if t is None:
        return True
    with backend.on_device_of(t.data):
        return not bool(backend.xp_of(t.data).any(t.data))


def _zero_slope(node, i, rows) -> str:
    """Why `node` sends a zero gradient to its input i although a nonzero one arrived."""
    name = _name(node, rows)
    op = node.name
    if op == "relu":
        return f"a dead relu: every input of {name} is <= 0, where its slope is 0"
    if op == "where":
        side = "true" if i == 0 else "false"
        return (f"{name} took the other branch everywhere: its condition is never {side}, "
                f"so its input {i} gets a gradient of 0")
    if op == "clip":
        return f"{name} is saturated: every element lies outside its bounds, where its slope is 0"
    if op in ("maximum", "minimum"):
        return f"{name} picked its other input at every element, so input {i} gets 0"
    if op in ("sign", "step"):
        return f"{name} is flat: its slope is 0 everywhere"
    if op == "mul":
        return f"{name} multiplies input {i} by 0 at every element"
    return f"{name} sends a gradient of 0 to its input {i}"


def explain_grad(y, x, tape=None) -> str:
    """One sentence on why x gets no gradient, or a zero one, from y (or what it gets).

    Reads the graph y was recorded from and, where that is intact, runs a backward that
    leaves every `.grad` untouched (retain_graph=True). `tape` names ops by their row.
    """
    if not isinstance(x, Tensor):
        return (f"x is a {type(x).__name__}, not a Tensor: only a Tensor with attach_grad() "
                "gets a gradient; make it mg.tensor(x) and call attach_grad() on it")
    if not isinstance(y, Tensor):
        return (f"y is a {type(y).__name__}, not a Tensor: it was computed with Python or "
                "NumPy (float(), .item(), .numpy()), which records nothing; keep it a Tensor")
    if x._req is None and x._node is None:
        return ("x is not a variable: nothing called x.attach_grad(), so no op recorded it "
                "as needing a gradient and backward gives it no .grad; call x.attach_grad() "
                "before computing y inside record()")
    rows = {} if tape is None else {id(n): k for k, n in enumerate(tape.nodes)}
    if y is x:
        return "y is x itself: its gradient is 1 everywhere"
    if y._node is None:
        return _unrecorded(y, x)
    nodes, freed = _graph(y)
    if freed:
        return (f"y's graph was freed by an earlier backward without retain_graph=True: "
                f"{_name(freed[-1], rows)} no longer holds its inputs, so backward raises "
                "GraphError; pass retain_graph=True to the first backward, or compute y again")
    uses = _uses(nodes, x)
    if not uses:
        return _not_in_graph(nodes, x, rows)
    for n, i in uses:
        v = n.versions[i]
        if v is not None and v != x._version:
            return (f"y was computed before x was changed in place: x was at version {v} "
                    f"when {_name(n, rows)} recorded it and is at version {x._version} now, "
                    "so y's gradient is that of the old x (backward refuses where the old "
                    "value is needed); compute y again after changing x")
    return _from_backward(y, x, nodes, rows)


def _unrecorded(y, x) -> str:
    cut = _cut_of(y)
    if cut is not None:
        how, source = cut
        of = "x" if _depends_on(source, x) else "a tensor that needs a gradient"
        return (f"y was made from {of} by {how}, which records nothing and carries no "
                "gradient, so y is a constant and x gets no gradient from it")
    if y._vc is x._vc and x._vc is not UNCHANGED:
        return ("y is x.detach() (it shares x's memory): detach() cuts the graph, so no "
                "gradient goes back to x; use x itself")
    return ("y was not recorded: it was computed outside record(), inside a pause() block, "
            "or only from tensors that need no gradient, so no gradient can reach x; compute "
            "y from x inside `with autograd.record():`")


def _not_in_graph(nodes, x, rows) -> str:
    constants = _constants(nodes)
    for n, _, c in constants:
        if c is x:
            return (f"x entered y's graph as a constant at {_name(n, rows)}: x.attach_grad() "
                    "was called after y was computed; call it before y was computed, then "
                    "compute y again")
    for n, _, c in constants:
        cut = _cut_of(c)
        if cut is not None and _depends_on(cut[1], x):
            return (f"the only way from x to y goes through {cut[0]}, which carries no "
                    f"gradient: its result enters y's graph as a constant at {_name(n, rows)}")
    for n, _, c in constants:
        if c._vc is x._vc and x._vc is not UNCHANGED:
            return (f"y uses x.detach() (a constant sharing x's memory) at {_name(n, rows)}: "
                    "detach() cuts the graph, so no gradient goes back to x; use x itself")
    twins = [inp for n in nodes for inp in n.inputs or ()
             if isinstance(inp, Tensor) and inp._req is not None and inp is not x
             and inp.shape == x.shape]
    replaced = (f" - or y was computed from an earlier x that has since been replaced "
                f"(x = ...): y's graph holds another variable of x's shape {x.shape}"
                if twins else "")
    return ("x is not in y's graph: no recorded op used it, so it was used outside record(), "
            f"inside a pause() block, or not at all{replaced}; compute y from x inside "
            "`with autograd.record():`")


def _from_backward(y, x, nodes, rows) -> str:
    autograd = sys.modules[__package__ + ".autograd"]
    steps, saved = [], state.trace
    state.trace = steps
    try:
        g, = autograd.grad(y, [x], retain_graph=True)
    finally:
        state.trace = saved
    if _all_zero(g):
        return _why_zero(x, nodes, steps, rows)
    n, total = int(numpy.count_nonzero(backend.to_host(g.data))), g.data.size
    gets = f"x gets a nonzero gradient from y ({n} of {total} elements nonzero)"
    if x._req is None:
        return (f"{gets}, but x is an intermediate result, whose .grad backward does not "
                "keep: call x.attach_grad() on it before backward, or use autograd.grad(y, x)")
    if x.grad is None or _all_zero(x.grad):
        return f"{gets}, but backward has not stored it in x.grad yet: call y.backward()"
    if not numpy.allclose(backend.to_host(x.grad.data), backend.to_host(g.data)):
        differs = f"x.grad is {format_values(x.grad.data)} but y gives {format_values(g.data)}"
        if x._req == "add":
            return (f"{differs}: with grad_req='add' every backward adds into x.grad, and it "
                    "was not zeroed between them; call x.zero_grad() (or x.grad[:] = 0) "
                    "before each backward")
        return (f"{differs}: x.grad holds what the last backward wrote, and that was not "
                "this y's (or x changed since); call y.backward()")
    return (f"{gets}, and x.grad holds it; none of the reasons for a missing or zero "
            "gradient applies")


def _why_zero(x, nodes, steps, rows) -> str:
    depends = set()             # ids of the nodes whose output depends on x
    for n in nodes:             # oldest first, so inputs are decided before their users
        if any(inp is x or isinstance(inp, Tensor) and inp._node is not None
               and id(inp._node) in depends for inp in n.inputs):
            depends.add(id(n))
    zeroed = []
    for step in steps:
        n = step.node
        if id(n) not in depends or _all_zero(step.grad_in):
            continue
        for i, inp in enumerate(n.inputs):
            on_path = inp is x or (isinstance(inp, Tensor) and inp._node is not None
                                   and id(inp._node) in depends)
            if on_path and n.requires_grad[i] and _all_zero(step.grads_out[i]):
                zeroed.append(_zero_slope(n, i, rows))
    if zeroed:
        return ("x's gradient is 0 because every path from x to y passes a zero slope: "
                + "; ".join(dict.fromkeys(zeroed)))
    return ("x's gradient is 0 because the gradients along the paths from x to y cancel: "
            "each carries a nonzero gradient, but they sum to 0 (as in y = x - x)")

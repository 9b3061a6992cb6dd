"""The ledger of what the tape keeps for backward: rows checked against bytes counted by hand."""
import numpy

import microgradnd as mg
from microgradnd import autograd


def small_graph(device="cpu"):
    """x (4 float64 numbers, 32 B) used twice, a tanh whose output the next op reads too."""
    x = mg.tensor(numpy.array([0.5, -1.0, 2.0, 0.0]), requires_grad=True, device=device)
    c = mg.tensor(numpy.arange(8.0).reshape(2, 4), device=device)   # a view of arange's 64 B
    with autograd.record() as tape:
        a = x * x           # #0 keeps x twice: one memory, 32 B
        t = a.tanh()        # #1 keeps a (32 B) and its own output t (tanh's rule reads it)
        u = t * c           # #2 keeps t (counted at #1) and c: its base, 64 B
        s = u.sum()         # #3 keeps u (2, 4): 64 B
    return tape, s, x


def test_rows_against_bytes_counted_by_hand():
    tape, _, _ = small_graph()
    ledger = autograd.saved_tensors(tape)
    got = [(r.step, r.op, r.role, r.label, r.shape, r.nbytes, r.first) for r in ledger]
    assert got == [
        (0, "mul", "input 0", "var(4,)", (4,), 32, 0),
        (0, "mul", "input 1", "var(4,)", (4,), 32, 0),
        (1, "tanh", "input 0", "%0", (4,), 32, 1),
        (1, "tanh", "output", "%1", (4,), 32, 1),
        (2, "mul", "input 0", "%1", (4,), 32, 1),
        (2, "mul", "input 1", "const(2, 4)", (2, 4), 64, 2),
        (3, "sum", "input 0", "%2", (2, 4), 64, 3),
    ]
    assert [r.view for r in ledger] == [False] * 5 + [True, False]
    # x twice and t twice are one memory each: 32 + 32 + 32 + 64 + 64
    assert ledger.total_bytes == 224 and ledger.buffers == 5
    assert ledger.step_bytes(2) == (64, 32, [1])


def test_print_tape_shows_the_ledger():
    tape, _, _ = small_graph()
    lines = str(tape).splitlines()
    assert lines[1].split()[-1] == "saved"
    assert [line.split("  ")[-1].strip() for line in lines[2:6]] == [
        "32 B", "64 B", "64 B + 32 B shared with #1", "64 B"]
    assert lines[6] == ("Saved for backward: 224 B in 5 buffer(s), each counted once "
                        "(1 view(s) counted as their base)")
    table = str(autograd.saved_tensors(tape)).splitlines()
    assert table[0] == lines[6]
    assert table[3].split()[-3:] == ["(counted", "at", "#0)"]    # x again, in the same row
    assert table[4].split() == ["1", "tanh", "%0", "input", "0", "(4,)", "float64", "32", "B"]
    assert table[6].split()[-4:] == ["(counted", "at", "#1)", "#1"]    # t, kept by #1 and #2


def test_backward_frees_what_the_ledger_counts():
    tape, s, x = small_graph()
    s.backward(retain_graph=True)
    assert autograd.saved_tensors(tape).total_bytes == 224      # retained: all still kept
    s.backward()
    assert len(autograd.saved_tensors(tape)) == 0
    assert str(tape).splitlines()[-1] == "Saved for backward: nothing (backward freed it)"


def test_array_arguments_count():
    x = mg.tensor(numpy.ones((3, 2)), requires_grad=True)
    index = numpy.array([2, 0, 2, 1])            # int64: 32 B, kept by getitem's backward
    with autograd.record() as tape:
        x[index].sum()
    rows = autograd.saved_tensors(tape)
    assert [(r.role, r.label, r.nbytes) for r in rows if r.step == 0] == [
        ("input 0", "var(3, 2)", 48), ("arg 0", "array(4,)", 32)]


def test_head_output_kept_by_its_holder():
    """exp's rule reads its output; the last op's output is on no later node: sized from the
    node's shape and dtype."""
    x = mg.tensor(numpy.zeros(5, numpy.float32), requires_grad=True)
    with autograd.record() as tape:
        x.exp()
    assert [(r.role, r.label, r.nbytes) for r in autograd.saved_tensors(tape)] == [
        ("input 0", "var(5,)", 20), ("output", "%0", 20)]


def test_notebook_view_has_the_saved_column(device):
    tape, _, _ = small_graph(device)
    html = tape._repr_html_()
    assert "<th>saved</th>" in html
    assert "64 B + 32 B shared with #1" in html
    assert "Saved for backward: 224 B in 5 buffer(s)" in html
    assert "%1 as output: (4,) float64, 32 B" in html       # the hover itemizes the row


def test_checkpoint_keeps_only_its_inputs():
    x = mg.tensor(numpy.ones((2, 3)), requires_grad=True)

    def block(h):
        return (h * 2.0).tanh().exp()
    with autograd.record() as plain:
        block(x).sum()
    with autograd.record() as checked:
        mg.checkpoint(block, x).sum()
    assert [n.name for n in checked] == ["checkpoint", "sum"]
    assert [(r.op, r.role, r.nbytes) for r in autograd.saved_tensors(checked) if r.step == 0] == [
        ("checkpoint", "input 0", 48)]
    assert autograd.saved_tensors(checked).total_bytes < autograd.saved_tensors(plain).total_bytes

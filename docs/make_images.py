"""Draw the graphs shown in docs/ and write them to docs/images/ as SVG.

Run from the repository root after changing how graphs are drawn, and commit the result:

    python docs/make_images.py

Prints the path of each file it wrote. Needs the graphviz package and the `dot` program.
"""
import argparse
from pathlib import Path

import microgradnd as mg
from microgradnd import autograd
from microgradnd.viz import draw_graph

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=str(Path(__file__).parent / "images"),
                    help="folder to write the images to")
parser.add_argument("--format", default="svg", help="any format `dot -T` knows: svg, png")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# The chapter's model and loss on three examples (the numbers of docs/internals.md).
X = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
y = mg.tensor([1.0, 0.0, 2.0])
w = mg.tensor([[0.5], [-1.0]])
b = mg.tensor([0.25])
w.attach_grad()
b.attach_grad()
with autograd.record():
    y_hat = X.dot(w) + b
    loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
loss.backward(retain_graph=True)
graph = draw_graph(loss, show_values=True, names={"X": X, "w": w, "b": b, "loss": loss})
print(graph.render(out / "chapter-loss", format=args.format, cleanup=True))

# The graph of a gradient: d/dx sum(x³) = 3x², recorded with create_graph=True.
x = mg.tensor([1.0, 2.0])
x.attach_grad()
with autograd.record():
    z = (x ** 3).sum()
    (dz,) = autograd.grad(z, [x], create_graph=True)
graph = draw_graph([z, dz], show_values=True, names={"x": x, "z": z, "dz/dx": dz})
print(graph.render(out / "gradient-graph", format=args.format, cleanup=True))

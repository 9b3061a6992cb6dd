"""The few pieces of MXNet's Gluon that the book's from-scratch chapters import.

`from microgradnd import gluon` gives what those chapters call, built on the engine's
differentiable ops: the losses of `gluon.loss` (SoftmaxCrossEntropyLoss, L2Loss, L1Loss,
SigmoidBinaryCrossEntropyLoss), `gluon.data.ArrayDataset` and `gluon.data.DataLoader`,
`gluon.data.vision.FashionMNIST` and `MNIST` with `transform_first`,
`gluon.data.vision.transforms` (ToTensor, Resize, Compose), and `gluon.utils.split_and_load`.

It is not Gluon's layer and Trainer API: there is no `nn.Block`, `nn.Dense`, `Parameter` or
`Trainer` here. The book's "concise implementation" sections need those, and are not part of
what microgradnd runs (docs/d2l-track.md). `Block` and `Trainer` exist only as empty classes,
so that the book's `isinstance(net, gluon.Block)` tests answer False for a from-scratch model.
"""
from . import data, loss, utils

__all__ = ["Block", "Trainer", "data", "loss", "utils"]


class Block:
    """Not Gluon's Block: an empty class, so that `isinstance(net, gluon.Block)` is False for
    the book's from-scratch models. Layers are not part of microgradnd."""


class Trainer:
    """Not Gluon's Trainer: an empty class, so that `isinstance(updater, gluon.Trainer)` is
    False for the book's from-scratch updaters."""

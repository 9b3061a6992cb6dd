"""gluon.data: datasets and the DataLoader that batches them.

A dataset is anything with `__len__` and `__getitem__` returning one example (a tuple for
several fields). `DataLoader` draws batches of examples and stacks each field into a Tensor.
Datasets backed by whole arrays (ArrayDataset, vision.FashionMNIST) also hand out whole
batches at once (`_batch`), so a DataLoader over them does one gather per field rather
than one Python call per example; the examples it yields are the same.
"""
from . import vision
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset, SimpleDataset

__all__ = ["ArrayDataset", "DataLoader", "Dataset", "SimpleDataset", "vision"]

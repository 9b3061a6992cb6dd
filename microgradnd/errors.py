"""The four exceptions of microgradnd (API §7).

Each subclasses the Python exception a user would already catch for that kind of mistake,
so `except ValueError` still works around a `ShapeError`.
"""


class ShapeError(ValueError):
    """Shapes that do not fit an operation; the message names both shapes."""


class AxisError(ShapeError, IndexError):
    """An axis out of range for a tensor's dimensions; also an IndexError, as NumPy's."""


class DeviceError(RuntimeError):
    """Tensors on different devices, or CUDA asked for where it is not available."""


class GraphError(RuntimeError):
    """A backward pass that cannot run: freed buffers, nothing recorded, or a stale saved value."""


class GradcheckError(AssertionError):
    """Reverse-mode and finite-difference derivatives disagree."""


def shape_error(message: str, cause: Exception) -> ShapeError:
    """The error for a shape problem NumPy reported as `cause`: an AxisError for its AxisError
    (an IndexError too), else a ShapeError."""
    return (AxisError if isinstance(cause, IndexError) else ShapeError)(message)

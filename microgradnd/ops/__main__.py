"""`python -m microgradnd.ops`: rewrite the source written from the ops' declarations.

See registry.py: the Tensor methods in core.py, the np functions in np.py, docs/api.md's table.
"""
from .registry import write

if __name__ == "__main__":
    print("rewrote:", ", ".join(write()) or "nothing (every generated block is current)")

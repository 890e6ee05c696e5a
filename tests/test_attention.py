import numpy as np
import pytest

from models.errors import ShowcaseError
from tasks import attention

IN_BROWSER = r"\d+ tokens, 6 layers × 12 heads"  # what the tab shows after its first example


def test_rows_sum_to_one_and_shape_matches_tokens(minilm):
    result = attention.attention(minilm, "The animal didn't cross the street because it was too tired.")
    n = len(result.tokens)
    assert result.tokens[0] == "[CLS]" and result.tokens[-1] == "[SEP]"
    assert result.weights.shape == (6, 12, n, n)
    np.testing.assert_allclose(result.weights.sum(axis=-1), 1, atol=1e-4)
    np.testing.assert_allclose(result.layer_mean(3).sum(axis=-1), 1, atol=1e-4)
    assert not result.truncated


def test_heads_differ(minilm):
    result = attention.attention(minilm, "Heads learn different patterns of attention.")
    assert not np.allclose(result.head(1, 1), result.head(1, 2))


def test_long_sentences_are_cut(minilm):
    result = attention.attention(minilm, "word " * 500)
    assert len(result.tokens) == attention.MAX_TOKENS and result.truncated


def test_layer_or_head_out_of_range(minilm):
    result = attention.attention(minilm, "Hello")
    with pytest.raises(ShowcaseError, match="layers 1-6 and heads 1-12"):
        result.head(7, 1)

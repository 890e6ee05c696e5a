import numpy as np
import pytest

from models.errors import ShowcaseError
from tasks import attention

IN_BROWSER = r"\d+ tokens, 6 layers × 12 heads"  # what the tab shows after its first example


def test_rows_sum_to_one_and_shape_matches_tokens(minilm):
    result = minilm.attentions("The animal didn't cross the street because it was too tired.", attention.MAX_TOKENS)
    n = len(result.tokens)
    assert result.tokens[0] == "[CLS]" and result.tokens[-1] == "[SEP]"
    assert result.weights.shape == (6, 12, n, n)
    np.testing.assert_allclose(result.weights.sum(axis=-1), 1, atol=1e-4)
    assert not result.truncated and result.timings["forward"] > 0


def test_heads_differ_and_the_mean_is_over_the_layers_heads(minilm):
    result = minilm.attentions("Heads learn different patterns of attention.", attention.MAX_TOKENS)
    one, mean = attention.heatmaps(result, 3, 2)
    shown_one, shown_mean = (figure.axes[0].images[0].get_array() for figure in (one, mean))
    np.testing.assert_allclose(shown_one, result.weights[2, 1], atol=1e-6)
    np.testing.assert_allclose(shown_mean, result.weights[2].mean(axis=0), atol=1e-6)
    assert not np.allclose(result.weights[0, 0], result.weights[0, 1])


def test_long_sentences_are_cut(minilm):
    result = minilm.attentions("word " * 500, attention.MAX_TOKENS)
    assert len(result.tokens) == attention.MAX_TOKENS and result.truncated


def test_layer_or_head_out_of_range(minilm):
    result = minilm.attentions("Hello", attention.MAX_TOKENS)
    with pytest.raises(ShowcaseError, match="layers 1-6 and heads 1-12"):
        attention.heatmaps(result, 7, 1)

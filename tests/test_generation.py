import pytest

from harness import stand_ins
from models import causal_lm
from models.errors import ModelUnavailable, ShowcaseError
from tasks import generation

IN_BROWSER = r"\d+ tokens · [\d.]+ tokens/s · [\d.]+ s · done"  # what the tab shows after its first example


def texts(generator, prompt, **settings):
    return [u.text for u in generation.stream(generator, prompt, generation.Settings(**settings))]


def test_stream_yields_several_growing_chunks(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Once upon a time", generation.Settings(max_new_tokens=30)))
    assert len(updates) > 3
    chunks = [u.text for u in updates]
    assert all(later.startswith(earlier) for earlier, later in zip(chunks, chunks[1:]))
    assert len(set(chunks)) > 3
    assert updates[-1].done and not updates[0].done
    assert updates[-1].tokens == 30
    assert updates[-1].tokens_per_second > 0
    assert updates[0].prompt == "Once upon a time"


def test_same_seed_same_text_other_seed_other_text(tiny_gpt2):
    first = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=7)[-1]
    again = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=7)[-1]
    other = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=8)[-1]
    assert first == again
    assert first != other


def test_greedy_is_deterministic_and_explains_ignored_settings(tiny_gpt2):
    runs = [list(generation.stream(tiny_gpt2, "Hello", generation.Settings(max_new_tokens=15, strategy="greedy", seed=s)))
            for s in (1, 2)]
    assert runs[0][-1].text == runs[1][-1].text
    assert any("ignores them" in note for note in runs[0][-1].notes)


def test_beam_search_does_not_stream_and_says_why(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Hello", generation.Settings(max_new_tokens=12, strategy="beam search")))
    assert len(updates) == 1 and updates[0].done
    assert updates[0].tokens > 0
    assert any("cannot stream" in note for note in updates[0].notes)


def test_closing_the_stream_stops_generation(tiny_gpt2, monkeypatch):
    """What the Stop button does: the consumer goes away, the worker ends between two tokens."""
    lengths = []
    original = causal_lm.CausalLM.forward
    monkeypatch.setattr(causal_lm.CausalLM, "forward", lambda *a, **k: lengths.append(original(*a, **k).shape[1]) or None)
    prompt_tokens = 3
    stream = generation.stream(tiny_gpt2, "Tell me more", generation.Settings(max_new_tokens=500))
    next(stream)
    next(stream)
    stream.close()
    assert causal_lm.running() == 0
    assert lengths and lengths[0] - prompt_tokens < 500


def test_long_prompt_is_cut_from_the_left_with_a_notice():
    generator = stand_ins.gpt2(context=64)
    prompt = "start " + "word " * 300 + "THE END"
    update = list(generation.stream(generator, prompt, generation.Settings(max_new_tokens=10)))[-1]
    assert update.prompt.endswith("THE END")
    assert not update.prompt.startswith("start")
    assert any("were cut" in note for note in update.notes)


def test_hundred_thousand_characters_are_accepted(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "a" * 100_000, generation.Settings(max_new_tokens=5)))[-1]
    assert update.done and any("were cut" in note for note in update.notes)


def test_chinese_emoji_and_control_characters(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "从前有一座山 🏔\x00\x07", generation.Settings(max_new_tokens=10)))[-1]
    assert update.prompt == "从前有一座山 🏔"
    assert update.tokens == 10


@pytest.mark.parametrize(
    "prompt, settings, message",
    [
        ("", {}, "enter a prompt"),
        ("   \n ", {}, "enter a prompt"),
        ("Hi", {"max_new_tokens": 0}, "between 1 and"),
        ("Hi", {"temperature": 0}, "Temperature must be above 0"),
        ("Hi", {"top_p": 0}, "Top-p"),
        ("Hi", {"strategy": "telepathy"}, "Unknown decoding strategy"),
    ],
)
def test_bad_settings_say_why(tiny_gpt2, prompt, settings, message):
    with pytest.raises(ShowcaseError, match=message):
        list(generation.stream(tiny_gpt2, prompt, generation.Settings(**settings)))


def test_missing_weights_say_which_and_how(empty_model_cache):
    # ../shared has GPT-2's tokenizer but not its weights.
    with pytest.raises(ModelUnavailable, match=r"'openai-community/gpt2' could not be loaded.*HF_HOME"):
        generation.TASK.load("openai-community/gpt2")

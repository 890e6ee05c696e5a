import pytest

from harness import stand_ins
from models import causal_lm
from models.decoding import Decoding
from models.errors import ModelUnavailable, ShowcaseError
from tasks import generation

IN_BROWSER = r"\d+ tokens · [\d.]+ tokens/s · [\d.]+ s · done"  # what the tab shows after its first example


def texts(generator, prompt, **settings):
    return [u.text for u in generation.stream(generator, prompt, Decoding(**settings))]


def test_stream_yields_several_growing_chunks(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Once upon a time", Decoding(max_new_tokens=30)))
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
    runs = [
        list(generation.stream(tiny_gpt2, "Hello", Decoding(max_new_tokens=15, strategy="greedy", seed=s)))
        for s in (1, 2)
    ]
    assert runs[0][-1].text == runs[1][-1].text
    assert any("ignores them" in note for note in runs[0][-1].notes)


def test_beam_search_does_not_stream_and_says_why(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Hello", Decoding(max_new_tokens=12, strategy="beam search")))
    assert updates[-1].done and updates[-1].tokens > 0 and updates[-1].text
    assert all(not u.done and u.text == "" for u in updates[:-1])  # beats while it searches, no partial text
    assert any("cannot stream" in note for note in updates[-1].notes)


def test_closing_the_stream_stops_generation(tiny_gpt2, tiny_gpt2_steps):
    """What the Stop button does: the consumer goes away, the worker ends between two tokens."""
    stream = generation.stream(tiny_gpt2, "Tell me more", Decoding(max_new_tokens=500))
    next(stream)
    next(stream)
    stream.close()
    assert causal_lm.running() == 0
    assert 2 <= len(tiny_gpt2_steps) < 500


def test_long_prompt_is_cut_from_the_left_with_a_notice():
    generator = stand_ins.gpt2(context=64)
    prompt = "start " + "word " * 300 + "THE END"
    update = list(generation.stream(generator, prompt, Decoding(max_new_tokens=10)))[-1]
    assert update.prompt.endswith("THE END")
    assert not update.prompt.startswith("start")
    assert any("were cut" in note for note in update.notes)


def test_hundred_thousand_characters_are_accepted(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "a" * 100_000, Decoding(max_new_tokens=5)))[-1]
    assert update.done and any("were cut" in note for note in update.notes)


def test_chinese_emoji_and_control_characters(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "从前有一座山 🏔\x00\x07", Decoding(max_new_tokens=10)))[-1]
    assert update.prompt == "从前有一座山 🏔"
    assert update.tokens == 10


@pytest.mark.parametrize(
    "prompt, settings, message",
    [
        ("", {}, "enter a prompt"),
        ("   \n ", {}, "enter a prompt"),
        ("Hi", {"max_new_tokens": 0}, "at least 1"),
        ("Hi", {"max_new_tokens": 513}, "between 1 and 512"),
        ("Hi", {"temperature": 0}, "Temperature must be above 0"),
        ("Hi", {"top_p": 0}, "Top-p"),
        ("Hi", {"strategy": "telepathy"}, "Unknown decoding strategy"),
    ],
)
def test_bad_settings_say_why(tiny_gpt2, prompt, settings, message):
    with pytest.raises(ShowcaseError, match=message):
        list(generation.stream(tiny_gpt2, prompt, Decoding(**settings)))


def test_one_settings_type_drives_generate_and_the_decode_step():
    sampling = Decoding(temperature=0.7, top_k=20, top_p=0.9, repetition_penalty=1.2)
    assert sampling.generate_kwargs() == dict(
        max_new_tokens=60,
        no_repeat_ngram_size=0,
        repetition_penalty=1.2,
        do_sample=True,
        temperature=0.7,
        top_k=20,
        top_p=0.9,
    )
    names = [type(p).__name__ for p in sampling.logits_processors()]
    assert names == [
        "RepetitionPenaltyLogitsProcessor",
        "TemperatureLogitsWarper",
        "TopKLogitsWarper",
        "TopPLogitsWarper",
    ]
    beams = Decoding("beam search", temperature=0.7)
    assert beams.generate_kwargs()["num_beams"] == 4 and "temperature" not in beams.generate_kwargs()
    assert not beams.streams and not Decoding("greedy").logits_processors()


def test_missing_weights_say_which_and_how(empty_model_cache):
    # ../shared has GPT-2's tokenizer but not its weights.
    with pytest.raises(ModelUnavailable, match=r"'openai-community/gpt2' could not be loaded.*HF_HOME"):
        generation.TASK.load("openai-community/gpt2")


def test_a_stopped_beam_search_frees_the_cpu_at_once():
    """Beam search cannot stream, but it beats every half second, so closing it stops the search."""
    import time

    gpt2 = stand_ins.gpt2(tiny=False)
    search = generation.stream(gpt2, "word " * 600, Decoding(max_new_tokens=300, strategy="beam search"))
    first = next(search)
    assert not first.done and first.text == "" and causal_lm.running() == 1
    closed = time.perf_counter()
    search.close()
    while causal_lm.running() and time.perf_counter() - closed < 5:
        time.sleep(0.05)
    assert causal_lm.running() == 0 and time.perf_counter() - closed < 2


@pytest.mark.parametrize(
    "seed, message",
    [
        (2**64, "The seed must be from 0 to"),
        (-5, "The seed must be from 0 to"),
        (1.5, "The seed must be a whole number"),
        (float("nan"), "whole number"),
    ],
)
def test_impossible_seeds_say_why(seed, message):
    with pytest.raises(ShowcaseError, match=message):
        generation.read_seed(seed)
    assert generation.read_seed(-1) is None and generation.read_seed(2**63 - 1) == 2**63 - 1

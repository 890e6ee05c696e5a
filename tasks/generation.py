"""Text generation with causal language models, streamed token by token (`/generate`)."""

from __future__ import annotations

import inspect
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr
import pandas as pd

import models
from i18n import N_, Text
from models.causal_lm import CausalLM, Generation, TokenChoice
from models.decoding import BEAM_SEARCH, GREEDY, SAMPLING, STRATEGIES, Decoding
from models.errors import ShowcaseError
from toolkit import runtime_ledger, sharing, ui
from toolkit.inputs import clean_text, number
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

MAX_NEW_TOKENS = 512
MAX_PROMPT_CHARS = 100_000
MAX_SEED = 2**63 - 1  # torch's generator takes a 64-bit seed
# Column titles of the explanation's tables: English here, in the visitor's language on screen.
POSITION = N_("position")
TOKEN = N_("token")
PROBABILITY = N_("probability")
ALTERNATIVES = N_("the likeliest tokens at that step")
EXAMPLES = [
    "In a shocking finding, scientists discovered a herd of unicorns living in a remote valley in the Andes.",
    "The three most important things to know about machine learning are",
    "从前有一座山，山上有一座庙，",
]


@dataclass
class Update(Generation):
    """What the tab shows after each streamed piece: the generation so far, and notes on it."""

    notes: list[str] = field(default_factory=list)


def read_seed(seed) -> int | None:
    """The seed box: -1 (or nothing) for a different text each time, else a 64-bit seed."""
    value = None if seed is None else number(seed, "The seed", whole=True)
    if value is None or value == -1:
        return None
    if not 0 <= value <= MAX_SEED:
        raise ShowcaseError(
            "The seed must be from 0 to {limit:,} (or -1 for a different text each time).", limit=MAX_SEED
        )
    return value


def notes_on(decoding: Decoding) -> list[str]:
    """Refuses more new tokens than the tab allows; a note for each setting the strategy ignores."""
    if decoding.max_new_tokens > MAX_NEW_TOKENS:
        raise ShowcaseError("Max new tokens must be between 1 and {limit}.", limit=MAX_NEW_TOKENS)
    notes = []
    if decoding.strategy != SAMPLING:
        notes.append(
            message(
                "Temperature, top-k, top-p and seed only apply to sampling; {strategy} ignores them.",
                strategy=Text(decoding.strategy),
            )
        )
    if decoding.strategy == BEAM_SEARCH:
        notes.append(
            message(
                "Beam search keeps several candidate texts and picks the best at the end, so it cannot "
                "stream: the text appears when it is complete."
            )
        )
    return notes


def stream(generator: CausalLM, prompt: str, decoding: Decoding) -> Iterator[Update]:
    """Pure predict function: yields the growing text as tokens arrive, the last one done.

    Closing this iterator early (Stop button, client gone) stops generation between two tokens.
    """
    prompt = clean_text(prompt, "a prompt", MAX_PROMPT_CHARS)
    notes = notes_on(decoding)
    for generation in generator.stream(prompt, decoding):
        cut = []
        if generation.cut_tokens:
            cut.append(
                message(
                    "The prompt had {tokens:,} tokens; its first {cut:,} were cut so that prompt and answer fit "
                    "the model's {context}-token context.",
                    tokens=generation.prompt_tokens,
                    cut=generation.cut_tokens,
                    context=generator.context,
                )
            )
        yield Update(**vars(generation), notes=notes + cut)


def stats(update: Update) -> str:
    line = message(
        "{tokens} tokens · {speed:.1f} tokens/s · {seconds:.1f} s · {state}",
        tokens=update.tokens,
        speed=update.tokens_per_second,
        seconds=update.seconds,
        state=Text("done") if update.done else Text("generating…"),
    )
    return "\n\n".join([line, *update.notes])


def decoding_from(
    max_new_tokens, strategy, temperature, top_k, top_p, no_repeat_ngram_size, repetition_penalty, seed
) -> Decoding:
    """The decoding settings from the tab's controls, each checked."""
    return Decoding(
        strategy,
        number(max_new_tokens, "Max new tokens", whole=True),
        number(temperature, "Temperature"),
        number(top_k, "Top-k", 0, whole=True),
        number(top_p, "Top-p"),
        number(no_repeat_ngram_size, "No-repeat n-gram size", 0, whole=True),
        number(repetition_penalty, "Repetition penalty"),
        seed=read_seed(seed),
    )


@ui.user_errors
@ui.gpu_seconds(120)  # up to 512 tokens, or a beam search
def run(
    prompt,
    model_id,
    max_new_tokens,
    strategy,
    temperature,
    top_k,
    top_p,
    no_repeat_ngram_size,
    repetition_penalty,
    seed,
):
    """Continues a prompt with a GPT-2 family model, streaming the text as it is written.

    Args:
        prompt: the text to continue
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        max_new_tokens: how many tokens to add at most (a whole number)
        strategy: "greedy", "sampling" or "beam search"
        temperature: sampling randomness, above 0 (1 is the model's own distribution)
        top_k: sample among this many most likely tokens (0: no limit)
        top_p: sample among the most likely tokens that make up this probability, 0 to 1
        no_repeat_ngram_size: never repeat a sequence of this many tokens (0: allowed)
        repetition_penalty: above 1 makes repeated tokens less likely
        seed: a whole number to make sampling repeatable; -1 for a random one

    Returns:
        the text so far, growing as tokens arrive, and the speed in tokens per second
    """
    settings = (max_new_tokens, strategy, temperature, top_k, top_p, no_repeat_ngram_size, repetition_penalty, seed)
    for text, info, _ in texts_and_choices(prompt, model_id, *settings):
        yield text, info


@ui.user_errors
@ui.gpu_seconds(120)
def run_on_page(*inputs):
    """The page's generation: what /generate gives, and each token's choice for Explain to show (kept
    in the page's state, which an API or MCP client does not get)."""
    yield from texts_and_choices(*inputs)


def texts_and_choices(prompt, model_id, *settings) -> Iterator[tuple]:
    """The text so far, the info line, and once done each token's choice; `settings` as decoding_from
    takes them."""
    decoding = decoding_from(*settings)
    generator = TASK.load(model_id)
    note = TASK.language_note(model_id, [prompt])
    if decoding.strategy == BEAM_SEARCH and generator.decoder:
        note += message(" Beam search runs in PyTorch: the accelerated decode step follows one text at a time.")
    head = None
    for update in stream(generator, prompt, decoding):
        head = head or ui.run_info(generator, None, note.strip())  # after the first token: a conversion is done by then
        yield update.prompt + update.text, f"{head}\n\n{stats(update)}", update.choices


def percent(probability: float) -> str:
    return f"{probability:.1%}" if probability >= 0.001 else f"{probability:.2g}"


def shown(token: str) -> str:
    """A token as a table cell: a newline or tab visible as \\n or \\t."""
    return repr(token)[1:-1]


def alternatives(choice: TokenChoice) -> pd.DataFrame:
    """The likeliest tokens at a token's step with their probabilities, the one picked marked."""
    rows = list(choice.alternatives)
    if choice.text not in [text for text, _ in rows]:  # sampling can pick outside them
        rows.append((choice.text, choice.probability))
    table = pd.DataFrame(
        {
            TOKEN: [shown(text) for text, _ in rows],
            PROBABILITY: [percent(p) for _, p in rows],
            "": ["← " + message("picked") if text == choice.text else "" for text, _ in rows],
        }
    )
    return with_columns_translated(table)


@ui.user_errors
def explain_choices(choices: tuple[TokenChoice, ...] | None) -> tuple:
    """The answer on screen explained: its tokens coloured by probability, the alternatives of the
    least likely one, and a line saying how to see another's."""
    if not choices:
        raise ShowcaseError(
            "There is no answer to explain yet: generate a text with greedy decoding or sampling first (beam "
            "search keeps several texts at once, so no single token has one probability)."
        )
    least = min(range(len(choices)), key=lambda i: choices[i].probability)
    note = message(
        "Click a token to see what else it could have been. Least likely: “{token}”, {probability} (token {position}).",
        token=choices[least].text.strip() or repr(choices[least].text),
        probability=percent(choices[least].probability),
        position=least + 1,
    )
    highlighted = [(choice.text, round(choice.probability, 3)) for choice in choices]
    return highlighted, alternatives(choices[least]), note


@ui.user_errors
def explain_token(choices, evt: gr.SelectData):
    """A clicked token's alternatives."""
    if not choices or not 0 <= evt.index < len(choices):
        raise ShowcaseError("That token is no longer on screen: explain the answer again.")
    choice = choices[evt.index]
    note = message(
        "Token {position}: “{token}”, {probability}.",
        position=evt.index + 1,
        token=choice.text.strip() or repr(choice.text),
        probability=percent(choice.probability),
    )
    return alternatives(choice), note


@ui.user_errors
@ui.gpu_seconds(120)
def explain_generate(prompt, model_id, *settings):
    """Generates as /generate does and explains each new token: its probability and the five tokens
    it could have been (greedy decoding and sampling; with a seed, the same text as /generate).

    Args:
        prompt: the text to continue
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        max_new_tokens: this and the settings after it as /generate takes them, the strategy "greedy" or
            "sampling" (beam search keeps several texts, so no token has one probability)

    Returns:
        a table with a row per new token (position, token, its probability, the likeliest tokens at
            that step with theirs), the info line
    """
    decoding = decoding_from(*settings)
    if not decoding.streams:
        raise ShowcaseError(
            "Beam search keeps several texts at once, so no single token has one probability: explain greedy "
            "decoding or sampling."
        )
    generator = TASK.load(model_id)
    *_, last = stream(generator, prompt, decoding)
    table = pd.DataFrame(
        [
            {
                POSITION: i + 1,
                TOKEN: shown(choice.text),
                PROBABILITY: percent(choice.probability),
                ALTERNATIVES: " · ".join(f"{shown(text)} {percent(p)}" for text, p in choice.alternatives),
            }
            for i, choice in enumerate(last.choices)
        ],
        columns=[POSITION, TOKEN, PROBABILITY, ALTERNATIVES],
    )
    return with_columns_translated(table), ui.run_info(generator, None, stats(last))


# The API page and MCP clients see /generate's parameters, by name.
explain_generate.__signature__ = inspect.signature(run)


def ledger_call(model_id: str, image=None, text: str = "", *settings) -> LedgerCall:
    """The runtime ledger of a prompt's continuation (the /runtimes endpoint's: greedy, the default
    length; the page's: its decoding settings), token by token against PyTorch's."""
    prompt = clean_text(text, "a prompt", MAX_PROMPT_CHARS)
    decoding = decoding_from(*settings) if settings else Decoding(GREEDY)
    continuation = operator.attrgetter("ids")
    return LedgerCall(
        TASK.load(model_id),
        "continuation",
        ([prompt], decoding),
        lambda first, other: runtime_ledger.tokens(continuation(first), continuation(other)),
    )


@ui.user_errors
@ui.gpu_seconds(120)
def runtimes_on_page(prompt, model_id, *settings):
    yield from runtime_ledger.on_page(ledger_call(model_id, None, prompt, *settings))


def build_ui() -> None:
    gr.Markdown(
        t(
            "**GPT-2** continues your text, token by token (for Chinese, the Chinese GPT-2). Sampling with a fixed "
            "seed gives the same text again; greedy always picks the likeliest token; beam search weighs several "
            "continuations."
        )
    )
    defaults = Decoding()
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(label=t("Prompt"), lines=4, value=EXAMPLES[0], max_length=MAX_PROMPT_CHARS)
            ui.greet(prompt, ui.in_language(EXAMPLES))
            model_id = ui.model_dropdown(TASK)
            with gr.Row():
                button = gr.Button(t("Generate"), variant="primary")
                stop = gr.Button(t("Stop"), variant="stop")
            with gr.Accordion(t("Decoding settings"), open=False):
                max_new_tokens = gr.Slider(
                    1, MAX_NEW_TOKENS, value=defaults.max_new_tokens, step=1, label=t("Max new tokens"), precision=0
                )
                strategy = ui.radio(list(STRATEGIES), defaults.strategy, t("Decoding"))
                temperature = gr.Slider(0.05, 2.0, value=defaults.temperature, step=0.05, label=t("Temperature"))
                top_k = gr.Slider(0, 200, value=defaults.top_k, step=1, label=t("Top-k (0: off)"), precision=0)
                top_p = gr.Slider(0.05, 1.0, value=defaults.top_p, step=0.01, label=t("Top-p"))
                no_repeat = gr.Slider(
                    0,
                    6,
                    value=defaults.no_repeat_ngram_size,
                    step=1,
                    label=t("No-repeat n-gram size (0: off)"),
                    precision=0,
                )
                penalty = gr.Slider(
                    0.5, 2.0, value=defaults.repetition_penalty, step=0.05, label=t("Repetition penalty")
                )
                seed = ui.whole_number(defaults.seed, t("Seed (-1: random)"), minimum=-1)
        with gr.Column():
            output = gr.Textbox(label=t("Text"), lines=14, autoscroll=True)
            info = ui.info_line()
            explain = gr.Button(t("Explain"))
    with gr.Row():
        tokens = gr.HighlightedText(
            label=t("Each new token, the darker the likelier (click one)"),
            combine_adjacent=False,
            show_legend=False,  # Gradio's scale reads -1 to +1; a probability is 0 to 1
            elem_id="generation-tokens",
        )
        with gr.Column():
            explained = gr.Markdown()
            could_be = ui.table_with_columns(
                gr.DataFrame(label=t("What it could have been"), elem_id="generation-alternatives"),
                [TOKEN, PROBABILITY],
            )
    sharing.panel(
        TASK,
        [prompt, model_id, max_new_tokens, strategy, temperature, top_k, top_p, no_repeat, penalty, seed],
        [output, info, tokens, explained, could_be],
    )
    ledger = runtime_ledger.panel("generation-runtimes")
    gr.Examples(TASK.with_models([[e] for e in EXAMPLES]), inputs=[prompt, model_id])
    inputs = [prompt, model_id, max_new_tokens, strategy, temperature, top_k, top_p, no_repeat, penalty, seed]
    runtime_ledger.bind(ledger, runtimes_on_page, inputs)
    ui.cleared_by([prompt.change, model_id.change], ledger.outputs)
    choices = gr.State()
    # One generation at a time per process: the seed sets torch's global generator, and the CPU is saturated
    # anyway. On Ray Serve the replicas generate, one each, and this process only waits for them.
    on_page = button.click(
        run_on_page,
        inputs,
        [output, info, choices],
        concurrency_limit=models.requests_at_once(1),
        concurrency_id="generation",
        api_visibility="private",
    )
    stop.click(None, None, None, cancels=[on_page], api_visibility="private")
    # A new text: the last one's explanation goes.
    ui.cleared_by([button.click], [tokens, could_be, explained])
    ui.bind(
        TASK.endpoint("generate"),
        gr.Button(visible=False).click,
        inputs,
        [output, info],
        concurrency_limit=models.requests_at_once(1),
        concurrency_id="generation",
    )
    # The answer on screen, explained from what its decoding recorded: nothing runs again.
    explain.click(explain_choices, [choices], [tokens, could_be, explained], api_visibility="private")
    tokens.select(explain_token, [choices], [could_be, explained], api_visibility="private")
    # For API and MCP clients, who have no answer on screen: generate and explain in one call.
    ui.bind(
        TASK.endpoint("explain_generate"),
        gr.Button(visible=False).click,
        inputs,
        [gr.DataFrame(label=t("Each new token"), visible=False), gr.Markdown(visible=False)],
        concurrency_limit=models.requests_at_once(1),
        concurrency_id="generation",
    )


TASK = Task(
    __name__,
    "Text generation",
    "Language",
    {"model": ("causal_lm",)},
    build_ui,
    endpoints=(Endpoint("generate", run), Endpoint("explain_generate", explain_generate)),
    runtimes=ledger_call,
)

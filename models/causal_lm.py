"""Causal language models (GPT-2 and kin, hub ids): generation, streamed token by token."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from models import kv_decoder, runtime
from models.base import Answers, Timings
from models.decoding import GREEDY, Decoding
from models.device import on_zero_gpu, place
from models.errors import ShowcaseError
from models.hub import HubModel, from_hub
from models.runtime import Runner

FROM_HUB = True
# What a generated token could have been: the likeliest tokens at its step, this many.
ALTERNATIVES = 5

# Long-lived workers: a fresh thread per request builds a fresh OpenMP pool, which slowed GPT-2's
# tokens/s on 2 cores (bench/RESULTS.md, section 2). Two, so a stopping run never delays the next.
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="showcase-generate")
_in_flight: set[Future] = set()
_stops: dict[int, threading.Event] = {}  # worker thread -> the stop event of the request it runs


@dataclass(frozen=True)
class TokenChoice:
    """A generated token: its text, the probability decoding gave it (from the distribution it was
    picked from: after penalties, temperature, top-k and top-p), and the step's likeliest tokens with
    theirs, best first."""

    text: str
    probability: float
    alternatives: tuple[tuple[str, float], ...]


class ChoiceRecorder(LogitsProcessor):
    """Records each step's distribution as decoding picks from it; last among the processors, it
    changes nothing. A step's pick is known at the next step (the last token of its input), or from
    `choices`; only the last step's full distribution is kept."""

    def __init__(self) -> None:
        self.tops: list[tuple[list[int], list[float]]] = []  # per step: the likeliest ids, their probabilities
        self.picked: list[float] = []  # per step, once known: the probability of the token picked
        self.last: torch.Tensor | None = None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if scores.shape[0] != 1:  # beam search: several texts at once, none of them the answer yet
            return scores
        if self.last is not None:
            self.picked.append(float(self.last[int(input_ids[0, -1])]))
        self.last = scores[0].float().softmax(-1)
        top = self.last.topk(ALTERNATIVES)
        self.tops.append((top.indices.tolist(), top.values.tolist()))
        return scores

    def choices(self, new_ids: list[int], decode: Callable[[list[int]], str]) -> tuple[TokenChoice, ...]:
        """Each new token's choice, given the new tokens' ids."""
        picked = self.picked + ([float(self.last[new_ids[-1]])] if self.last is not None and new_ids else [])
        return tuple(
            TokenChoice(decode([token]), round(probability, 6), tuple((decode([i]), round(p, 6)) for i, p in zip(*top)))
            for token, probability, top in zip(new_ids, picked, self.tops)
        )


@dataclass
class Generation:
    """A generation so far (a fresh one each time the text grows)."""

    prompt: str  # the prompt as the model saw it (its start cut, when too long for the context)
    text: str = ""  # generated so far
    tokens: int = 0  # new tokens so far
    seconds: float = 0.0
    prompt_tokens: int = 0  # in the prompt as given
    cut_tokens: int = 0  # cut from its start to fit the context
    done: bool = False
    choices: tuple[TokenChoice, ...] = ()  # once done, with greedy decoding or sampling: each new token's

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class Continuation:
    """A prompt's continuation: the new tokens' ids, and their text."""

    ids: list[int]
    text: str


class Stopped(Exception):
    """Raised between two layers of the network once its request is stopped."""


def _stop_between_layers(module, args) -> None:
    # A step of a long prompt or of several beams takes seconds on a CPU; this ends it within a layer.
    event = _stops.get(threading.get_ident())
    if event is not None and event.is_set():
        raise Stopped


class StopWhenSet(StoppingCriteria):
    """Ends generation between two tokens once the event is set (Stop button, closed page)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids, scores, **kwargs) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


class CountingStreamer(TextIteratorStreamer):
    """transformers' text streamer that also counts the new tokens it is given."""

    def __init__(self, tokenizer) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.new_ids: list[int] = []

    @property
    def new_tokens(self) -> int:
        return len(self.new_ids)

    def put(self, value) -> None:
        if not self.next_tokens_are_prompt:
            self.new_ids += value.flatten().tolist()
        super().put(value)


# Between two CJK characters or punctuation marks: where a WordPiece decoder puts a space that
# Chinese text does not have ("从 前 有" for 从前有).
CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")


def tidy(text: str) -> str:
    """Decoded text as people write it: no spaces between Chinese characters."""
    return CJK_GAP.sub("", text)


def stoppable(model: torch.nn.Module) -> torch.nn.Module:
    """The network, made to stop between two layers once its request is stopped."""
    layers = max((m for m in model.modules() if isinstance(m, torch.nn.ModuleList)), key=len, default=[])
    for layer in layers:
        layer.register_forward_pre_hook(_stop_between_layers)
    return model


@dataclass
class CausalLM(HubModel):
    """Generation with transformers' `generate`. On the accelerated runtime GPT-2's greedy decoding
    and sampling go through models.kv_decoder instead, and once its decode step is compiled the
    PyTorch network is dropped; beam search loads it again (`reload`) the first time it is asked for."""

    reload: Callable[[], torch.nn.Module] | None = None  # the PyTorch network, loaded again
    decoder: kv_decoder.Decoder | None = None
    reload_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        super().__post_init__()
        stoppable(self.model)
        if runtime.wanted(self.device) and kv_decoder.supports(self.model):
            self.decoder = kv_decoder.Decoder(self.model, self.model_id, self.device, self.dtype)

    def network(self) -> torch.nn.Module:
        with self.reload_lock:
            if self.model is None:
                self.model = stoppable(place(self.reload())[0])
            return self.model

    def runners(self) -> list[Runner]:
        return [self.decoder.step] if self.decoder else []

    def warm(self) -> None:
        if self.decoder:
            # Converts the decode step and runs it on a prompt and on one new token, so the first
            # visitor's generation runs on a step that has already run both ways.
            list(self.stream("Hello there", Decoding(GREEDY, max_new_tokens=2)))
            if self.decoder.step.runtime == runtime.OPENVINO and self.reload is not None:
                self.model = None
                runtime.return_freed_memory()

    @property
    def context(self) -> int:
        """Tokens the model sees at most, prompt and answer together."""
        return self.config.max_position_embeddings

    def stream(
        self, prompt: str, decoding: Decoding, heartbeat: float = 0.5, record: bool = True
    ) -> Iterator[Generation]:
        """The text as it is written: a Generation after each new piece of text (beam search, which
        cannot show its text before the end, yields one every `heartbeat` seconds while it runs),
        then the last, done, with each token's choice when `record` (greedy decoding and sampling).
        A prompt too long for the context loses its start.

        Closing this iterator early (Stop button, client gone) stops generation between two tokens.
        """
        ids, cut = self.fit(self.prompt_ids(prompt), decoding.max_new_tokens)
        update = Generation(self.decode(ids[0]), prompt_tokens=ids.shape[1] + cut, cut_tokens=cut)
        started = time.perf_counter()

        def now(**changes) -> Generation:
            return replace(update, seconds=time.perf_counter() - started, **changes)

        if not decoding.streams:
            for output in self._search(ids, decoding, heartbeat):
                if output is None:
                    yield now()
                    continue
                new = output[0, ids.shape[1] :]
                yield now(text=self.decode(new), tokens=len(new), done=True)
            return
        text, tokens = "", 0
        recorder = ChoiceRecorder() if record else None
        for piece, new_ids in self._tokens(ids, decoding, recorder):
            tokens = len(new_ids)
            if piece:
                text += piece
                yield now(text=tidy(text), tokens=tokens)
        choices = recorder.choices(new_ids, self.token_text) if recorder else ()
        yield now(text=tidy(text), tokens=tokens, done=True, choices=choices)

    def continuation(self, prompts: list[str], decoding: Decoding) -> Answers[Continuation]:
        """Each prompt's continuation, whole, timed by step: the prompt's tokens (preprocess), the
        generation (forward: the runtime's part), the text (postprocess). The runtime ledger's call."""
        timings, rows = Timings(), []
        for prompt in prompts:
            with timings.measure("preprocess"):
                ids, _ = self.fit(self.prompt_ids(prompt), decoding.max_new_tokens)
            with timings.measure("forward", self.device):
                if decoding.streams:
                    *_, (_, new) = self._tokens(ids, decoding)
                else:
                    *_, output = self._search(ids, decoding, 1.0)  # a None each second while it runs, then the ids
                    new = output[0, ids.shape[1] :].tolist()
            with timings.measure("postprocess"):
                rows.append(Continuation(new, self.decode(new)))
        return Answers(rows, timings)

    def prompt_ids(self, prompt: str) -> torch.Tensor:
        # No special tokens: a BERT vocabulary (Chinese GPT-2) would end the prompt with [SEP].
        return self.encode(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]

    def fit(self, ids: torch.Tensor, max_new_tokens: int) -> tuple[torch.Tensor, int]:
        """The prompt's ids cut from the left to leave room for the answer, and how many were cut."""
        room = self.context - max_new_tokens
        if room < 1:
            raise ShowcaseError(
                "{model_id} sees {context} tokens at most; ask for fewer new tokens.",
                model_id=self.model_id,
                context=self.context,
            )
        cut = max(ids.shape[1] - room, 0)
        return ids[:, cut:], cut

    def decode(self, ids) -> str:
        return tidy(self.tokenizer.decode(ids, skip_special_tokens=True))

    def token_text(self, ids: list[int]) -> str:
        """A token as text on its own: a WordPiece continuation (Chinese GPT-2's BERT vocabulary)
        without the ## that marks it."""
        text = self.tokenizer.decode(ids)
        return text[2:] if text.startswith("##") and len(text) > 2 else text

    def forward(self, ids: torch.Tensor, decoding: Decoding, **extra) -> torch.Tensor:
        """The bare model.generate call with the decoding's settings, seeded first for sampling."""
        if decoding.sampling and decoding.seed is not None:
            torch.manual_seed(decoding.seed)
        with torch.inference_mode():
            return self.network().generate(
                input_ids=ids.to(self.device),
                attention_mask=torch.ones_like(ids).to(self.device),
                # Chinese GPT-2's BERT vocabulary has no end-of-text token, only a padding one.
                pad_token_id=self.tokenizer.pad_token_id
                if self.tokenizer.eos_token_id is None
                else self.tokenizer.eos_token_id,
                **{**decoding.generate_kwargs(), **extra},
            )

    @contextmanager
    def _in_worker(self, work: Callable[[StoppingCriteriaList], None]) -> Iterator[Future]:
        """Runs work(stopping criteria) on a generation worker; leaving the block stops it (between
        two steps, or two layers within a step) and waits for it, so a stopped request leaves no
        work behind."""
        stop = threading.Event()

        def run():
            _stops[threading.get_ident()] = stop
            try:
                return work(StoppingCriteriaList([StopWhenSet(stop)]))
            except Stopped:
                return None
            finally:
                del _stops[threading.get_ident()]

        # On ZeroGPU a request runs in a process forked from the server, where the server's pool hangs:
        # there each request gets its own worker, made inside the GPU call.
        workers = ThreadPoolExecutor(max_workers=1) if on_zero_gpu() else _WORKERS
        job = workers.submit(run)
        _in_flight.add(job)
        job.add_done_callback(_in_flight.discard)
        try:
            yield job
        finally:
            stop.set()
            wait([job], timeout=30)
            if workers is not _WORKERS:
                workers.shutdown(wait=False)

    def _tokens(
        self, ids: torch.Tensor, decoding: Decoding, recorder: ChoiceRecorder | None = None
    ) -> Iterator[tuple[str, list[int]]]:
        """Greedy decoding or sampling: yields (new text, the new tokens' ids so far) as tokens arrive;
        the last pair, once generation has ended, carries them all (its text may be empty). The
        recorder, if given, sees each step's distribution."""
        streamer = CountingStreamer(self.tokenizer)
        recorders = LogitsProcessorList([recorder] if recorder else [])

        def work(stopping: StoppingCriteriaList) -> None:
            try:
                if self.decoder is None:
                    self.forward(
                        ids,
                        decoding,
                        streamer=streamer,
                        stopping_criteria=stopping,
                        **recording_arguments(decoding, recorders),
                    )
                    return
                if decoding.sampling and decoding.seed is not None:
                    torch.manual_seed(decoding.seed)
                streamer.put(ids)  # the prompt, which the streamer skips
                tokens = self.decoder.tokens(
                    ids, stopping, decoding, eos_token_id=self.tokenizer.eos_token_id, recorders=recorders
                )
                for token in tokens:
                    streamer.put(torch.tensor([token]))
            finally:
                streamer.end()  # also on failure, so the loop below ends; the error comes from result()

        with self._in_worker(work) as job:
            for piece in streamer:
                if piece:
                    yield piece, list(streamer.new_ids)
            job.result()
            yield "", list(streamer.new_ids)

    def _search(self, ids: torch.Tensor, decoding: Decoding, heartbeat: float) -> Iterator[torch.Tensor | None]:
        """Beam search, which cannot stream: yields None every `heartbeat` seconds while it runs,
        then the output ids. Closing the iterator early stops it at the next step."""
        with self._in_worker(lambda stopping: self.forward(ids, decoding, stopping_criteria=stopping)) as job:
            while True:
                try:
                    output = job.result(timeout=heartbeat)
                except TimeoutError:
                    yield None
                    continue
                if output is not None:
                    yield output
                return


def recording_arguments(decoding: Decoding, recorders: LogitsProcessorList) -> dict:
    """generate's arguments that make it apply the decoding's processors, then the recorders, in
    that order: given its own settings, generate adds temperature, top-k and top-p after any
    processor it is handed, and a recorder would see the scores before them."""
    if not recorders:
        return {}
    arguments = dict(
        logits_processor=LogitsProcessorList([*decoding.logits_processors(), *recorders]),
        repetition_penalty=1.0,
        no_repeat_ngram_size=0,
    )
    if decoding.sampling:
        arguments.update(temperature=1.0, top_k=0, top_p=1.0)
    return arguments


def running() -> int:
    """Generations still at work (a stopped one ends between two tokens)."""
    return len(_in_flight)


def load(model_id: str) -> CausalLM:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer = from_hub(model_id, AutoModelForCausalLM.from_pretrained, AutoTokenizer.from_pretrained)
    return CausalLM.wrap(
        model, tokenizer, model_id, reload=lambda: from_hub(model_id, AutoModelForCausalLM.from_pretrained)[0]
    )

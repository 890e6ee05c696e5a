"""How a causal language model picks each next token: one settings type that transformers' `generate`
and the accelerated decode step (models.kv_decoder) both read."""

from __future__ import annotations

from dataclasses import dataclass

from transformers import (
    LogitsProcessorList,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from i18n import N_
from models.errors import ShowcaseError

GREEDY = N_("greedy")
SAMPLING = N_("sampling")
BEAM_SEARCH = N_("beam search")
STRATEGIES = (SAMPLING, GREEDY, BEAM_SEARCH)


@dataclass(frozen=True)
class Decoding:
    """Greedy decoding takes the likeliest token; sampling draws one (temperature, top-k, top-p, seed);
    beam search keeps `num_beams` candidate texts and returns the best. Penalties apply to all three."""

    strategy: str = SAMPLING
    max_new_tokens: int = 60
    temperature: float = 0.8
    top_k: int = 50  # 0: no limit
    top_p: float = 0.95
    no_repeat_ngram_size: int = 0  # 0: repeats allowed
    repetition_penalty: float = 1.0  # 1: none
    num_beams: int = 4
    seed: int | None = 42  # sampling only; None: a different text each time

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ShowcaseError(
                "Unknown decoding strategy '{strategy}'; choose one of {choices}.",
                strategy=self.strategy,
                choices=list(STRATEGIES),
            )
        if self.max_new_tokens < 1:
            raise ShowcaseError("Max new tokens must be at least 1.")
        if self.sampling and not self.temperature > 0:
            raise ShowcaseError("Temperature must be above 0 for sampling (use greedy for deterministic text).")
        if not 0 < self.top_p <= 1:
            raise ShowcaseError("Top-p must be above 0 and at most 1.")
        if self.repetition_penalty <= 0:
            raise ShowcaseError("Repetition penalty must be above 0 (1 means no penalty).")

    @property
    def sampling(self) -> bool:
        return self.strategy == SAMPLING

    @property
    def streams(self) -> bool:
        """Whether tokens can be shown as they come: beam search knows its text only at the end."""
        return self.strategy != BEAM_SEARCH

    def generate_kwargs(self) -> dict:
        """transformers' `generate` arguments for these settings."""
        kwargs = dict(
            max_new_tokens=self.max_new_tokens,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
            repetition_penalty=self.repetition_penalty,
            do_sample=self.sampling,
        )
        if self.sampling:
            kwargs.update(temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)
        elif self.strategy == BEAM_SEARCH:
            kwargs.update(num_beams=self.num_beams, early_stopping=True)
        return kwargs

    def logits_processors(self) -> LogitsProcessorList:
        """The processors `generate` applies for these settings, in its order (greedy and sampling)."""
        processors = LogitsProcessorList()
        if self.repetition_penalty != 1.0:
            processors.append(RepetitionPenaltyLogitsProcessor(self.repetition_penalty))
        if self.no_repeat_ngram_size > 0:
            processors.append(NoRepeatNGramLogitsProcessor(self.no_repeat_ngram_size))
        if self.sampling:
            if self.temperature != 1.0:
                processors.append(TemperatureLogitsWarper(self.temperature))
            if self.top_k > 0:
                processors.append(TopKLogitsWarper(self.top_k))
            if self.top_p < 1.0:
                processors.append(TopPLogitsWarper(self.top_p))
        return processors

"""What explaining an answer costs against giving it. So far: text generation's token choices (each
new token's probability and the five it could have been), recorded in the decoding loop, against the
same generation without them, per token.

    python -m bench.explain [--tokens 60] [--rounds 5]

Full-size GPT-2 (124M) with random weights (harness.stand_ins: its speed does not depend on the
weights' values), on the accelerated decode step (OpenVINO on the CPU) and on transformers'
generate (PyTorch); greedy decoding and seeded sampling. The two conditions alternate round by
round; each figure is the median over rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

from bench import machine
from harness import stand_ins
from models import runtime
from models.decoding import Decoding

PROMPT = "In a shocking finding, scientists discovered a herd of unicorns living in a remote valley in the Andes."


def ms_per_token(generator, decoding: Decoding, record: bool) -> float:
    started = time.perf_counter()
    *_, last = generator.stream(PROMPT, decoding, record=record)
    return (time.perf_counter() - started) * 1000 / last.tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{machine()}, OpenVINO {runtime.openvino_version()}; "
        f"GPT-2 124M, random weights; {args.tokens} new tokens; medians of {args.rounds} rounds\n"
    )
    print("| decoding path | strategy | ms per token | with token choices | extra |")
    print("|---|---|---:|---:|---:|")
    for path, env in (("decode step (OpenVINO)", {}), ("generate (PyTorch)", {"SHOWCASE_RUNTIME": "torch"})):
        os.environ.update(env)
        try:
            generator = stand_ins.gpt2(tiny=False)
            generator.warm()
            for strategy in ("greedy", "sampling"):
                decoding = Decoding(strategy, max_new_tokens=args.tokens, seed=1)
                ms_per_token(generator, decoding, True)  # warm both ways
                plain, recorded = [], []
                for _ in range(args.rounds):
                    plain.append(ms_per_token(generator, decoding, False))
                    recorded.append(ms_per_token(generator, decoding, True))
                without, with_choices = statistics.median(plain), statistics.median(recorded)
                print(
                    f"| {path} | {strategy} | {without:.1f} | {with_choices:.1f} | "
                    f"{(with_choices / without - 1) * 100:+.1f}% |"
                )
        finally:
            for name in env:
                del os.environ[name]


if __name__ == "__main__":
    main()

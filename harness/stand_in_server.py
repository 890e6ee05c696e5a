"""The dashboard with random-weight stand-ins for the default models whose weights are missing here.

    python -m harness.stand_in_server [--port 7860] [--tiny] [--preload] [--backend ray [--replicas N]]

Full-size stand-ins (the default) have the real models' size and speed; --tiny ones load in
seconds, for tests. --preload loads every default model before serving, as app.py --preload does
(without it, each model loads on its first request). With --backend ray each Serve replica installs
the warmed stand-ins of its family before serving.
"""

from __future__ import annotations

import argparse
import functools

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import app
from harness import stand_ins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--backend", choices=("embedded", "ray"), default="embedded")
    parser.add_argument("--replicas", type=int, default=None)
    args = parser.parse_args()
    if args.backend == "ray":
        app.serve_on_ray(replicas=args.replicas, setup=functools.partial(stand_ins.install_defaults, tiny=args.tiny))
    else:
        stand_ins.install_defaults(tiny=args.tiny, warm=args.preload)
    if args.preload:
        app.preload_all()
    print("stand-ins installed", flush=True)
    app.launch(app.build_app(), "127.0.0.1", args.port, quiet=True)


if __name__ == "__main__":
    main()

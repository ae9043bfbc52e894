"""The DEHB side of :mod:`evodeap.baselines.dehb`: a script run by DEHB's own Python.

DEHB pins ``numpy<2``, so it lives in a separate environment and this file imports nothing
from evodeap (only the standard library, ``ConfigSpace`` and ``dehb``). It speaks JSON lines:

* in, first line: ``{"parameters": [[name, domain_dict], ...], "min_fidelity", "max_fidelity",
  "eta", "seed", "output_path"}`` (``domain_dict`` as ``Domain.to_dict()`` writes it);
* out, one line per job: ``{"config": {name: value}, "fidelity": float}`` from ``DEHB.ask()``;
* in, one line per job: ``{"fitness": loss, "cost": cost}`` for ``DEHB.tell()``, or
  ``{"stop": true}`` to end;
* out, on a failure: ``{"error": message}``, exit status 1.

Everything else DEHB prints goes to stderr, so stdout carries the protocol only.
"""
from __future__ import annotations

import json
import sys
from typing import Any


def configspace(parameters: list, seed: int) -> Any:
    """A flat ``ConfigurationSpace`` of ``(name, domain_dict)`` pairs (one-value domains are constants)."""
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace(seed=int(seed))
    for name, domain in parameters:
        if domain["type"] == "choice":
            options = list(domain["options"])
            cs.add(CS.Constant(name, options[0]) if len(options) == 1 else CS.Categorical(name, options))
        elif domain["low"] == domain["high"]:
            cs.add(CS.Constant(name, domain["low"]))
        elif domain["type"] == "real":
            cs.add(CS.Float(name, (float(domain["low"]), float(domain["high"])), log=bool(domain["log"])))
        else:
            cs.add(CS.Integer(name, (int(domain["low"]), int(domain["high"])), log=bool(domain["log"])))
    return cs


def plain(value: Any) -> Any:
    """A NumPy scalar as a plain Python scalar, for JSON."""
    return value.item() if hasattr(value, "item") else value


def serve(setup: dict, lines: Any, protocol: Any) -> None:
    """Ask DEHB for a job, write it, read its result, tell DEHB; until a ``stop`` line."""
    from dehb import DEHB

    cs = configspace(setup["parameters"], setup["seed"])
    optimizer = DEHB(cs=cs, dimensions=len(list(cs.values())), min_fidelity=setup["min_fidelity"],
                     max_fidelity=setup["max_fidelity"], eta=setup["eta"], n_workers=1,
                     output_path=setup["output_path"], seed=int(setup["seed"]), save_freq="end")
    while True:
        job = optimizer.ask()
        config = {name: plain(value) for name, value in dict(job["config"]).items()}
        protocol.write(json.dumps({"config": config, "fidelity": float(job["fidelity"])}) + "\n")
        protocol.flush()
        reply = json.loads(lines.readline() or '{"stop": true}')
        if reply.get("stop"):
            return
        optimizer.tell(job, {"fitness": float(reply["fitness"]), "cost": float(reply["cost"])})


def main() -> int:
    protocol, sys.stdout = sys.stdout, sys.stderr  # DEHB's own output must not reach the protocol
    try:
        serve(json.loads(sys.stdin.readline()), sys.stdin, protocol)
    except Exception as exc:  # reported to the driver as one line
        protocol.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        protocol.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

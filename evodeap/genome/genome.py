"""The variable-length chromosome.

A :class:`Genome` is a ``list`` of layer genes (so DEAP's sequence tools work on it)
plus a dict of hyperparameter genes, the model family, and the generation it was born
in. ``creator.Individual`` derives from it (see :mod:`evodeap.genome.individual`).
"""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, Iterable, Mapping

from evodeap.errors import GenomeError
from evodeap.genome.genes import LayerGene, gene_from_dict, gene_to_dict
from evodeap.kinds import describe_gene


def _same(a: tuple, b: tuple) -> bool:
    """Two :meth:`Genome._fingerprint` values are the same: equal family and hyperparameters,
    the very same gene objects in the same order."""
    return a[0] == b[0] and a[2] == b[2] and len(a[1]) == len(b[1]) and all(x is y for x, y in zip(a[1], b[1]))


class Genome(list):
    """Layer genes (the list items) plus hyperparameters, family and birth generation.

    Args:
        layers: the layer genes, input side first.
        hyperparameters: name -> value (float, int or str).
        family: the model family (a registered family: ``"cnn"``, ``"rnn"``, ``"cnn+rnn"``, ``"cnn+lstm"`` ...).
        birth: the generation in which this genome was created (used by aging selection;
            not part of :meth:`key`).
    """

    def __init__(
        self,
        layers: Iterable[LayerGene] = (),
        hyperparameters: Mapping[str, Any] | None = None,
        family: str = "cnn",
        birth: int = 0,
    ) -> None:
        super().__init__(layers)
        self.hyperparameters: dict[str, Any] = dict(hyperparameters or {})
        self.family = family
        self.birth = birth

    # -- identity ---------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """The content that defines the model: family, layers, hyperparameters."""
        return {
            "family": self.family,
            "layers": [gene_to_dict(g) for g in self],
            "hyperparameters": dict(sorted(self.hyperparameters.items())),
        }

    def key(self) -> str:
        """Canonical content hash (hex, 16 chars) used for caching and deduplication.

        Two genomes have the same key exactly when they have the same family, the same
        layers in the same order and the same hyperparameter values.

        The engine asks for a genome's key many times per evaluation, so it is remembered
        with a fingerprint of what it was computed from — the family, the identity of each
        (frozen, never edited) layer gene and the hyperparameter items — and computed again
        whenever any of those changed.
        """
        fingerprint = self._fingerprint()
        memo = self.__dict__.get("_key_memo")
        if fingerprint is not None and memo is not None and _same(memo[0], fingerprint):
            return memo[1]
        key = hashlib.sha256(self._canonical_text().encode()).hexdigest()[:16]
        if fingerprint is not None:
            self.__dict__["_key_memo"] = (fingerprint, key)
        return key

    def _fingerprint(self) -> tuple | None:
        """What :meth:`key` depends on: the family, the layer genes themselves (held, so compared by
        identity) and each hyperparameter's type and exact value (``None`` for other values)."""
        values = []
        for name, value in self.hyperparameters.items():
            kind = type(value)
            if kind is float:
                value = value.hex()  # -0.0 and 0.0 differ in the key, as in JSON
            elif kind not in (str, int, bool):
                return None
            values.append((name, kind, value))
        return (self.family, tuple(self), tuple(values))

    def _canonical_text(self) -> str:
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))

    def __eq__(self, other: object) -> bool:
        """Equal exactly when the keys are equal (so ``1`` and ``1.0`` differ, as in JSON)."""
        if not isinstance(other, Genome):
            return NotImplemented
        if self is other:
            return True
        return self.key() == other.key()  # remembered (see key()), so cheap after the first call

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # mutable, like list

    def __deepcopy__(self, memo: dict[int, Any]) -> "Genome":
        """A deep copy that shares the layer genes: genes are frozen, and a mutation replaces a
        gene rather than editing it, so sharing them is safe (and DEAP clones every offspring).
        Everything else (hyperparameters, a DEAP individual's fitness …) is copied deeply."""
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        list.extend(new, self)
        for name, value in self.__dict__.items():
            if name == "hyperparameters" and all(type(v) in (str, int, float, bool) for v in value.values()):
                copied: Any = dict(value)
            elif name == "_key_memo":  # the copy holds the very same genes: the memo stays true
                copied = value
            else:
                copied = copy.deepcopy(value, memo)
            new.__dict__[name] = copied
        return new

    # -- serialisation ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` inverts it exactly (hyperparameter order included)."""
        return {
            "family": self.family,
            "layers": [gene_to_dict(g) for g in self],
            "hyperparameters": dict(self.hyperparameters),
            "birth": self.birth,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, allow_unregistered: bool = False) -> "Genome":
        """Rebuild a genome from :meth:`to_dict` output (clear error on bad input).

        ``allow_unregistered`` keeps genes of kinds not registered in this process as
        :class:`~evodeap.genome.genes.UnregisteredGene` (to show a run without executing its code).
        """
        if not isinstance(data, Mapping):
            raise GenomeError(f"a genome must be a JSON object, got {type(data).__name__}")
        missing = {"family", "layers", "hyperparameters"} - set(data)
        if missing:
            raise GenomeError(f"genome is missing {sorted(missing)}")
        if not isinstance(data["layers"], list) or not isinstance(data["hyperparameters"], Mapping):
            raise GenomeError("genome 'layers' must be a list and 'hyperparameters' an object")
        birth = data.get("birth", 0)
        if isinstance(birth, bool) or not isinstance(birth, int):
            raise GenomeError(f"genome 'birth' must be an integer generation, got {birth!r}")
        return cls(
            [gene_from_dict(d, allow_unregistered=allow_unregistered) for d in data["layers"]],
            data["hyperparameters"],
            family=data["family"],
            birth=birth,
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str, *, allow_unregistered: bool = False) -> "Genome":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GenomeError(f"genome is not valid JSON: {exc}") from None
        except RecursionError:
            raise GenomeError("genome is JSON nested too deeply") from None
        return cls.from_dict(data, allow_unregistered=allow_unregistered)

    def plain(self) -> "Genome":
        """A plain :class:`Genome` copy (no DEAP fitness) to ship to worker processes."""
        return Genome(self, self.hyperparameters, self.family, self.birth)

    def describe(self) -> str:
        """Short human-readable structure, e.g. ``conv32k3relu-max > dense64relu``
        (each gene's own ``describe()``, see :func:`evodeap.kinds.describe_gene`)."""
        return " > ".join(describe_gene(g) for g in self)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({list(self)!r}, hyperparameters={self.hyperparameters!r}, "
            f"family={self.family!r}, birth={self.birth})"
        )

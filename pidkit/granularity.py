"""The automatic granularity of the Discretizer: the codes that keep the most information the samples support.

A continuous modality can be coded finely or coarsely. Coarse codes throw information away (the
PID of what is left is not the data's); fine codes leave few samples per cell of the joint table, and
the plug-in information of a sparse table is biased upward (synergy collects most of that bias).
The held-out information of the codes (:func:`pidkit.heldout.codes_information`: the cross-entropy
of a count-table classifier on the folds it was not built from) balances the two — it rises while
finer codes resolve more of the label and falls once their cells hold too few samples to be
estimated — so :func:`choose_codes` takes, for every family of codes, the number of states that
maximizes

    score = I_ho(C1; Y) + I_ho(C2; Y) + I_ho(C1, C2; Y),

the three informations the decomposition is made of, and keeps the **smallest** number of states
whose score is within one standard error of the best, or within ``TOLERANCE`` of it (the
"one-standard-error rule" of cross-validated model choice: coarser tables, less bias, the same
information as far as the samples can tell; the standard error is that of the per-sample
difference of the two scores). When even the best score is within two standard errors of zero, no
coding tells the label apart and the coarsest is kept.

Families: a 1-D numeric modality is binned (uniform-width bins); a multi-column numeric modality
is either **clustered** (k-means on standardized columns: keeps any structure, e.g. the two
factors of an XOR) or **supervised** (its cross-fitted class posterior quantized: keeps what the
modality says about the label with very few states, but not synergy that no single modality's
posterior shows). The family with the larger best score wins; its score and the other's are
recorded in the Discretizer's notes and :attr:`Discretizer.selection_`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .heldout import CrossFit, codes_information, stratified_folds

__all__ = ["GRID", "TOLERANCE", "TOLERANCE_BITS", "Candidate", "Selection", "FreeModality", "choose_codes"]

#: Numbers of states tried for each free modality (those above its cap are skipped).
GRID = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32)
#: Scores within ``TOLERANCE * best + TOLERANCE_BITS`` of the best count as equal (as do those within one
#: standard error); a family's search stops after ``PATIENCE`` consecutive numbers of states below its
#: best by more (finer codes only lose from there on). Checked on the suite presets and sklearn's
#: digits / wine / breast-cancer data (benchmarks/bench_real.py).
TOLERANCE = 0.01
TOLERANCE_BITS = 0.003
PATIENCE = 2


@dataclass(frozen=True)
class FreeModality:
    """A modality whose number of states the search chooses.

    ``families`` are the coder kinds it may take (``"binned"``, ``"clustered"``, ``"supervised"``);
    ``cap`` its largest number of states; ``make(family, k)`` returns an unfitted coder.
    """

    name: str
    values: np.ndarray
    families: tuple[str, ...]
    cap: int
    make: Callable[[str, int], Any]


@dataclass(frozen=True)
class Candidate:
    """One coding tried: its family, states per modality and held-out informations (bits)."""

    family: str
    k: int
    states: dict
    I1: float
    I2: float
    total: float
    terms: np.ndarray = field(default=None, repr=False, compare=False)  # per-sample terms of the score

    @property
    def score(self) -> float:
        return self.I1 + self.I2 + self.total

    def standard_error(self) -> float:
        """Standard error of :attr:`score` from its per-sample terms (bits)."""
        return float(self.terms.std(ddof=1) / np.sqrt(self.terms.size)) if self.terms.size > 1 else 0.0

    def standard_error_against(self, other: Candidate) -> float:
        """Standard error of ``other.score - self.score`` from their paired per-sample terms (bits)."""
        d = other.terms - self.terms
        return float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0

    def to_dict(self) -> dict:
        return {"family": self.family, "k": int(self.k), "states": {m: int(v) for m, v in self.states.items()},
                "I1": float(self.I1), "I2": float(self.I2), "total": float(self.total), "score": float(self.score)}


@dataclass
class Selection:
    """What :func:`choose_codes` tried and chose."""

    chosen: Candidate
    candidates: list[Candidate] = field(default_factory=list)
    modalities: tuple[str, ...] = ()
    time_s: float = 0.0

    def best_of(self, family: str) -> Candidate | None:
        mine = [c for c in self.candidates if c.family == family]
        return max(mine, key=lambda c: c.score) if mine else None

    def note(self) -> str:
        """One sentence for the result's notes."""
        c = self.chosen
        who = " and ".join(self.modalities)
        states = ", ".join(f"{m} {s}" for m, s in c.states.items())
        tried = sorted({x.k for x in self.candidates})
        others = [f"best {f} {b.score:.3f} bits (at {b.k})" for f in sorted({x.family for x in self.candidates})
                  if f != c.family and (b := self.best_of(f)) is not None]
        return (f"{who}: {c.family} codes ({states} states) chosen by held-out information among "
                f"{len(self.candidates)} codings with {tried[0]}-{tried[-1]} states: I1 + I2 + I12 = "
                f"{c.I1:.3f} + {c.I2:.3f} + {c.total:.3f} = {c.score:.3f} bits on held-out folds"
                + (f" ({'; '.join(others)})" if others else ""))

    def short(self) -> str:
        """The choice in a few words: family, held-out score, the other family's best."""
        c = self.chosen
        others = [f"best {f} {b.score:.3f}" for f in sorted({x.family for x in self.candidates})
                  if f != c.family and (b := self.best_of(f)) is not None]
        tail = f" ({', '.join(others)})" if others else ""
        return f"{c.family} {c.score:.3f} bits of held-out I1 + I2 + I12{tail}"

    def to_dict(self) -> dict:
        return {"chosen": self.chosen.to_dict(), "candidates": [c.to_dict() for c in self.candidates],
                "modalities": list(self.modalities), "time_s": float(self.time_s)}


def _within(score: float, best: float) -> bool:
    return score >= best - (TOLERANCE * abs(best) + TOLERANCE_BITS)


def choose_codes(
    free: list[FreeModality],
    fixed: dict[str, np.ndarray],
    y: np.ndarray,
    *,
    crossfit: CrossFit,
    seed: int | None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], Selection]:
    """Fit the codings of the ``free`` modalities that keep the most held-out information.

    Parameters
    ----------
    free : list of FreeModality
        One or two modalities whose coding is chosen here.
    fixed : dict
        Codes of the modalities that are not searched (``"x1"`` / ``"x2"``), e.g. categorical ones.
    y : ndarray of int
        Label codes.
    crossfit : CrossFit
        Folds and cached posteriors (the supervised family's classifier).
    seed : int or None
        Folds of the held-out scores.

    Returns
    -------
    coders, codes, selection
        The fitted coder and codes of every free modality, and the record of the search.
    """
    t0 = time.perf_counter()
    folds = stratified_folds(y, crossfit.folds, seed)
    families = sorted({f for m in free for f in m.families if len(m.families) > 1}) or [free[0].families[0]]
    fitted: dict[tuple[str, str, int], tuple[Any, np.ndarray]] = {}

    def coder_for(m: FreeModality, family: str, k: int):
        fam = family if family in m.families else m.families[0]
        k = min(k, m.cap)
        key = (m.name, fam, k)
        if key not in fitted:
            coder = m.make(fam, k)
            fitted[key] = (coder, coder._fit_checked(m.values, y, crossfit=crossfit))
        return fitted[key]

    def evaluate(family: str, k: int) -> Candidate:
        codes, states = dict(fixed), {}
        for m in free:
            coder, codes[m.name] = coder_for(m, family, k)
            states[m.name] = int(coder.n_states_)
        c1, c2 = codes["x1"], codes["x2"]
        joint = c1 * (int(c2.max()) + 1) + c2
        t1, t2, t12 = (codes_information(c, y, folds, per_sample=True) for c in (c1, c2, joint))
        return Candidate(family=family, k=k, states=states, I1=float(t1.mean()), I2=float(t2.mean()),
                         total=float(t12.mean()), terms=t1 + t2 + t12)

    cap = max(m.cap for m in free)
    grid = [k for k in GRID if k <= max(cap, GRID[0])]
    candidates: list[Candidate] = []
    for family in families:
        best, below = -np.inf, 0
        seen_states: set = set()
        for k in grid:
            cand = evaluate(family, k)
            states = tuple(sorted(cand.states.items()))
            if states in seen_states:  # every modality already at its cap: nothing new to try
                break
            seen_states.add(states)
            candidates.append(cand)
            if cand.score > best:
                best, below = cand.score, 0
            elif not _within(cand.score, best):
                below += 1
                if below >= PATIENCE:
                    break
    best = max(candidates, key=lambda c: c.score)
    if best.score < 2.0 * best.standard_error():  # no coding tells the label apart: the coarsest will do
        chosen = min((c for c in candidates if c.family == best.family), key=lambda c: c.k)
    else:  # the fewest states of the best's family within one standard error (or the tolerance) of the best
        chosen = min((c for c in candidates if c.family == best.family and (
            _within(c.score, best.score) or c.score >= best.score - best.standard_error_against(c))),
            key=lambda c: c.k)
    family = best.family
    coders = {m.name: coder_for(m, family, chosen.k)[0] for m in free}
    codes = {m.name: coder_for(m, family, chosen.k)[1] for m in free}
    selection = Selection(chosen=chosen, candidates=candidates, modalities=tuple(m.name for m in free),
                          time_s=time.perf_counter() - t0)
    return coders, codes, selection

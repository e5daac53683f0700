"""The computations behind grading (`backprop check` and api.grade): the Result shown and the Result
graded against, the other conventions at a kink, and the likely mistakes behind wrong gradients."""
from __future__ import annotations

from dataclasses import replace

from ..base.errors import MathError
from ..engine.arithmetic import EXACT, FLOAT
from ..engine.compute import as_floats, differentiate
from .grading import grade

# Past this much work (engine/tensor/sweeps.work, about one unit a multiply-add), a tensor program's truth is
# computed in floats unless exact is asked: exact fractions cost some 2 µs a unit, and grow.
EXACT_WORK = 200_000


def graded_results(loaded, exact: bool, convention: str):
    """(the Result shown, the Result graded against): exact arithmetic wherever the program is rational, shown
    as fractions with exact and as floats without; floats alone when exact numbers grow too large. What is
    undefined at the point is an Undefined in both (an answer can say so), the rest computed."""
    try:
        truth = differentiate(loaded.tape, loaded.inputs, EXACT, forward_mode=False, convention=convention,
                              keep_undefined=True)
    except MathError:
        if exact:
            raise
        inputs = {name: float(value) for name, value in loaded.inputs.items()}
        result = differentiate(loaded.tape, inputs, FLOAT, forward_mode=False, convention=convention,
                               keep_undefined=True)
        return result, result
    return (truth if exact else as_floats(truth, keep_undefined=True)), truth


def tensor_results(loaded, exact: bool, convention: str):
    """graded_results for a program with vectors or matrices, on the tensor engine: exact where rational
    (unless the work is too big for fractions and exact was not asked), floats otherwise. Where a number does
    not exist the tensor engine raises its MathError (it keeps no Undefined yet)."""
    from ..engine.tensor import pure, sweeps
    from ..engine.tensor_compute import as_floats as tensor_floats
    from ..engine.tensor_compute import differentiate as differentiate_tensors

    tape = loaded.tape
    if exact or sweeps.work(tape.nodes, [node.shape for node in tape.nodes]) <= EXACT_WORK:
        try:
            truth = differentiate_tensors(tape, loaded.inputs, EXACT, forward_mode=False, convention=convention)
            return (truth if exact else tensor_floats(truth)), truth
        except MathError:
            if exact:
                raise
    floats = pure.backend(FLOAT)
    inputs = {name: floats.tolist(floats.array(value)) for name, value in loaded.inputs.items()}
    result = differentiate_tensors(tape, inputs, FLOAT, forward_mode=False, convention=convention)
    return result, result


def backward_order(result) -> list[int]:
    """The nodes in the order of the backward steps (teaching/steps.backward_steps: every node with a gradient,
    from the output down; none when the output has no value), without writing the steps: grading needs only
    which wrong answer comes first (writing them all took a third of check's time on 100,000 nodes)."""
    from ..base.undefined import Undefined

    if type(result.values[result.tape.output]) is Undefined:
        return []
    return [i for i in range(len(result.tape.nodes) - 1, -1, -1) if result.grads[i] is not None]


def other_conventions(loaded, exact: bool, convention: str, graded, wanted, tolerance, strict: bool):
    """Where a wrong gradient answer goes through a kink, grade it again under each other convention that takes
    another derivative at one of its kinks, so the output can say under which one it is right (a cs231n-style
    max gate gives 1 to each tied input: convention right). Only those answers, and only those conventions:
    under any other the answer's gradient is the same number, so it is wrong there too."""
    index = {id(v): k for k, v in enumerate(graded.verdicts)}
    differing: dict[int, set] = {}  # wrong answer (its index) -> conventions that differ at a kink it goes through
    for kink in graded.kinks:
        for v in kink.answers:
            if not v.ok:
                differing.setdefault(index[id(v)], set()).update(other for other, _ in kink.others)
    if not any(differing.values()):
        return graded
    from ..engine.conventions import CONVENTIONS

    fits: dict[int, list] = {k: [] for k in sorted(differing)}
    for other in CONVENTIONS:
        again = [k for k in fits if other in differing[k]]
        if other == convention or not again:
            continue
        result, truth = graded_results(loaded, exact, other)
        regraded = grade(result, [wanted[k] for k in again], tolerance, truth=truth, strict=strict)
        for k, verdict in zip(again, regraded.verdicts):
            if verdict.ok:
                fits[k].append(other)
    return replace(graded, right_under=tuple((graded.verdicts[k].target, tuple(conventions))
                                             for k, conventions in fits.items() if conventions))


# Answers that are not right whose likely mistakes are worked out, and whose steps check shows
# (render/check_view.py): each is a sweep of the tape from its node, and past this many the output is no longer
# read (1,800 wrong answers on 10,000 nodes took 50 s and 3 GB); the rest are counted in a line (issue 16).
MAX_EXPLAINED = 20


def diagnoses(result, graded, truth) -> dict:
    """The likely mistakes behind each wrong gradient (diagnosis.py), by target, among the first MAX_EXPLAINED
    answers that are not right; {} when none is wrong."""
    if graded.ok:
        return {}
    from .diagnosis import diagnose_grade

    return diagnose_grade(result, graded, truth, limit=MAX_EXPLAINED)

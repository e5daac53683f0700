"""The computations behind grading (`backprop check` and api.grade): the Result shown and the Result
graded against, the other conventions at a kink, and the likely mistakes behind wrong gradients."""
from __future__ import annotations

from ..base.errors import MathError
from ..engine.arithmetic import EXACT, FLOAT
from ..engine.compute import as_floats, differentiate
from .grading import grade, right_under

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


def other_conventions(loaded, exact: bool, convention: str, graded, wanted, tolerance, strict: bool):
    """Where a wrong gradient answer goes through a kink, grade the answers again under each other convention,
    so the output can say under which one it is right (a cs231n-style max gate gives 1 to each tied input:
    convention right)."""
    through = {id(v) for kink in graded.kinks for v in kink.answers}
    if not any(not v.ok and id(v) in through for v in graded.verdicts):
        return graded
    from ..engine.conventions import CONVENTIONS

    others = {}
    for other in CONVENTIONS:
        if other != convention:
            result, truth = graded_results(loaded, exact, other)
            others[other] = grade(result, wanted, tolerance, truth=truth, strict=strict)
    return right_under(graded, others)


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

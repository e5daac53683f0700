"""LaTeX names of the versions of a name assigned again (issue 13): c#2 is written c\\#2, valid in math mode."""
import pytest

from backprop_cli.render.latex import latex_name


@pytest.mark.parametrize("label,tex", [("c#2", r"c\#2"), ("E_o1#3", r"E_{o1}\#3"), ("c", "c")])
def test_versioned_names_in_latex(label, tex):
    assert latex_name(label) == tex


def test_explain_latex_of_a_reassigned_name(cli):
    run = cli("explain", "c = a * 2; c += 1; c", "-a", "1", "--format", "latex")
    assert run.code == 0, run.err
    assert r"c\#2" in run.out and "c#2" not in run.out.replace(r"c\#2", "")

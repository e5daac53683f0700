"""README.md and docs/*.md: every example prints what the page shows, and the pages hang together.

- every ```console block starting `$ backprop ...`, in README.md and every docs page, is run and must
  print what is shown, byte for byte (regenerate: python tests/doc_examples.py --update, then read the diff);
- README.md stays a front door: at most README_MAX_LINES lines, linking every docs page;
- every relative link in README.md and docs/*.md points to a file that exists, and a link with an
  #anchor into a .md file to a heading that exists (GitHub's anchor rule);
- every docs page shows at least one checked example, or says in EXEMPT why it cannot.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from doc_examples import DOCS, README, ROOT, examples, pages, run

README_MAX_LINES = 350

# Pages with no `$ backprop ...` example, and why.
EXEMPT = {
    "architecture.md": "a map of the code, not of the command line",
    "speed.md": "benchmark times depend on the machine; the table comes from python bench/run.py",
    "testing.md": "about the test suites, which are run with pytest, not backprop",
}

EXAMPLES = list(examples())


def _id(page: Path, line: int, command: str) -> str:
    command = command.replace("\n> ", " ")
    if len(command) > 70:
        command = command[:67] + "..."
    return f"{page.relative_to(ROOT)}:{line} {command}"


@pytest.mark.parametrize(
    "command,expected",
    [(command, output) for _, _, command, output in EXAMPLES],
    ids=[_id(page, line, command) for page, line, command, _ in EXAMPLES],
)
def test_example_output(command, expected):
    assert run(command) == expected


def test_the_readme_has_examples():
    assert sum(page == README for page, _, _, _ in EXAMPLES) >= 5


def test_the_readme_is_a_front_door_not_a_manual():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines, more than {README_MAX_LINES}: move detail to docs/"


def test_every_docs_page_has_a_checked_example_or_says_why_not():
    counts = {page.name: 0 for page in DOCS.glob("*.md")}
    for page, _, _, _ in EXAMPLES:
        if page.parent == DOCS:
            counts[page.name] += 1
    bare = sorted(name for name, count in counts.items() if count == 0 and name not in EXEMPT)
    assert not bare, f"docs pages without a `$ backprop ...` example: {bare} (add one, or a reason to EXEMPT)"


# --- links and anchors ---------------------------------------------------------------------------------------

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _prose_lines(text: str):
    """The lines of `text` outside fenced code blocks."""
    fence = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                continue
            yield line
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                and not line.strip().lstrip(fence[0]):
            fence = None


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: its text, lowercased, punctuation other than - and _ removed, spaces to -."""
    text = LINK.sub(lambda m: m.group(1), heading)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of `page`, with GitHub's -1, -2, ... suffixes for repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        slug = anchor(match.group(2))
        if slug in seen:
            seen[slug] += 1
            found.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            found.add(slug)
    return found


def links(page: Path) -> list[str]:
    """The targets of the Markdown links and images on `page`, outside code."""
    targets = []
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        line = INLINE_CODE.sub("", line)
        targets.extend(match.group(2) for match in LINK.finditer(line))
    return targets


def relative_links(page: Path):
    """(target as written, file it points to, anchor or None) for every relative link of `page`."""
    for target in links(page):
        if SCHEME.match(target):
            continue
        path, _, fragment = target.partition("#")
        resolved = (page.parent / unquote(path)).resolve() if path else page.resolve()
        yield target, resolved, fragment or None


def test_the_anchor_rule():
    assert anchor("Formulas: `--symbolic`") == "formulas---symbolic"
    assert anchor("backprop eval") == "backprop-eval"
    assert anchor("Many points: `--batch`") == "many-points---batch"
    assert anchor("Colour, pipes and terminals") == "colour-pipes-and-terminals"
    assert anchor("The `x_1` rule (and [more](x.md))") == "the-x_1-rule-and-more"


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_points_to_something_that_exists(page):
    broken = []
    for target, resolved, fragment in relative_links(page):
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{target}: no heading with the anchor #{fragment} in {resolved.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_links_every_docs_page():
    linked = {resolved for _, resolved, _ in relative_links(README)}
    missing = sorted(page.name for page in DOCS.glob("*.md") if page.resolve() not in linked)
    assert not missing, f"docs pages README.md does not link: {missing}"

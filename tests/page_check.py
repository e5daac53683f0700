"""An HTML page checked by parsing it: a tree of its elements from the standard library's html.parser
(every tag closed, in order), and what would make it scripted or not self-contained. Shared by
tests/render/test_explain_html.py and tests/render/test_hostile_text.py."""
from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Element:
    def __init__(self, tag: str, attrs: dict, parent=None) -> None:
        self.tag, self.attrs, self.parent, self.children, self.texts = tag, attrs, parent, [], []

    def iter(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def text(self) -> str:
        parts = []
        stack = [self]
        while stack:  # the text in document order
            node = stack.pop()
            if isinstance(node, str):
                parts.append(node)
            else:
                stack.extend(reversed(node.texts))
        return "".join(parts)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class Tree(HTMLParser):
    """The page as a tree of Elements; `problems` lists every tag closed out of order or left open."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root
        self.problems: list[str] = []
        self.doctype = None
        self.feed(text)
        self.close()
        if self.current is not self.root:
            self.problems.append(f"<{self.current.tag}> is never closed")

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        self.current.texts.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        self.current.texts.append(element)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag != self.current.tag:
            self.problems.append(f"</{tag}> closes <{self.current.tag}>")
            return
        self.current = self.current.parent

    def handle_data(self, data):
        self.current.texts.append(data)


def page_problems(page: str) -> list[str]:
    """What makes the page not well-formed, not self-contained or scripted; [] when it is none of those."""
    tree = Tree(page)
    problems = list(tree.problems)
    if (tree.doctype or "").lower() != "doctype html":
        problems.append("no <!DOCTYPE html>")
    for element in tree.root.iter():
        if element.tag == "script":
            problems.append("a <script> element")
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problems.append(f"an event handler {name}")
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                problems.append(f"{name}={value!r} refers to something outside the page")
    for style in re.findall(r"<style>(.*?)</style>", page, re.S):
        if "@import" in style or "@font-face" in style or "url(" in style:
            problems.append("the stylesheet loads something")
    for url in re.findall(r"url\(([^)]*)\)", page):
        if not url.startswith("#"):
            problems.append(f"url({url}) is not a reference inside the page")
    if re.search(r"(?i)(https?:|ftp:|//[a-z])", re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", page)):
        problems.append("an address outside the page")
    return problems

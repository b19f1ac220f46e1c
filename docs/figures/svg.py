"""A few lines of SVG for the course's pictures: rectangles, lines, text, arrows.

Each figure script builds one Svg and saves it; the docs build runs the scripts
(docs/CMakeLists.txt) and Doxygen copies the files into the site. Python 3, no
other package.
"""

import os
import sys
from xml.sax.saxutils import escape

# The course's colours: one per role, the same in every picture.
BLUE, ORANGE, GREEN, RED, GREY = "#3070b0", "#d08020", "#409040", "#c03030", "#888888"
LIGHT = {BLUE: "#d6e4f3", ORANGE: "#f8e4c8", GREEN: "#d8ecd8", RED: "#f3d4d4", GREY: "#eeeeee"}


class Svg:
    """An SVG picture of `width` × `height` pixels on a white background."""

    def __init__(self, width, height, title):
        self.width, self.height, self.parts = width, height, []
        self.parts.append(f"<title>{escape(title)}</title>")
        self.rect(0, 0, width, height, fill="white", stroke="none")

    def rect(self, x, y, w, h, fill="none", stroke="black", width=1.0, opacity=1.0):
        self.parts.append(f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{fill}" '
                          f'fill-opacity="{opacity:g}" stroke="{stroke}" stroke-width="{width:g}"/>')

    def line(self, x1, y1, x2, y2, stroke="black", width=1.0, dash=None, arrow=False):
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += ' marker-end="url(#arrow)"' if arrow else ""
        self.parts.append(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{stroke}" '
                          f'stroke-width="{width:g}"{extra}/>')

    def text(self, x, y, content, size=12, anchor="start", color="black", bold=False, italic=False):
        style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
        self.parts.append(f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" '
                          f'fill="{color}"{style}>{escape(content)}</text>')

    def grid(self, x, y, cols, rows, cell, stroke="#cccccc", every=1):
        """Thin lines every `every` cells over a cols × rows block of cell-pixel cells."""
        for c in range(0, cols + 1, every):
            self.line(x + c * cell, y, x + c * cell, y + rows * cell, stroke=stroke, width=0.5)
        for r in range(0, rows + 1, every):
            self.line(x, y + r * cell, x + cols * cell, y + r * cell, stroke=stroke, width=0.5)

    def save(self, folder, name):
        """Writes folder/name.svg through a temporary file, so a stopped build leaves no half file."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name + ".svg")
        body = "\n".join(self.parts)
        text = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="Helvetica, Arial, sans-serif">\n'
                '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>\n'
                f"{body}\n</svg>\n")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(path + ".tmp", path)


def output_folder():
    """The folder named on the command line: `python3 figure.py OUTPUT_FOLDER`."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT_FOLDER")
    return sys.argv[1]

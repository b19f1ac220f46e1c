"""Chapter 01: the backward pass of CONV1 for the input as a gather.

One thread per input element x[n, c, ih, iw] adds grad_y · w over every output
position whose window holds it (cuda/conv2d.cu, conv2d_backward_input_kernel):
output row oh reaches input row ih through kernel row kh = ih + P − oh·S, kept when
0 ≤ kh < K. Drawn for CONV1 (K = 11, S = 4, P = 0) and the input at row 20, column 20.
"""

from svg import BLUE, GREY, LIGHT, ORANGE, GREEN, Svg, output_folder

KERNEL, STRIDE, PAD, OUT_SIDE = 11, 4, 0, 55  # CONV1
IH = IW = 20                                  # the input element drawn
FIRST_ROW, LAST_ROW = 6, 36                   # the stretch of input rows drawn
CELL = 12

reaching = [oh for oh in range(OUT_SIDE) if 0 <= IH + PAD - oh * STRIDE < KERNEL]  # 3, 4, 5
drawn = [reaching[0] - 1] + reaching + [reaching[-1] + 1]  # one output row either side, which misses
colors = {oh: color for oh, color in zip(reaching, (BLUE, ORANGE, GREEN))}

svg = Svg(800, 400, "CONV1 backward for the input: the outputs and kernel taps that reach x[20, 20]")
svg.text(20, 22, f"Which output rows reach input row {IH}? Window of output row oh: input rows {STRIDE}·oh … "
         f"{STRIDE}·oh + {KERNEL - 1}", bold=True)

# Input rows as a strip of cells, the element's row marked.
x0, y0 = 110, 52
svg.text(x0 - 10, y0 + 12, "input rows", anchor="end", size=11)
for row in range(FIRST_ROW, LAST_ROW + 1):
    x = x0 + (row - FIRST_ROW) * CELL
    svg.rect(x, y0, CELL, CELL, fill=LIGHT[GREY] if row != IH else "black", stroke="#999999", width=0.5)
    if row % 4 == 0:
        svg.text(x + CELL / 2, y0 - 4, str(row), size=9, anchor="middle")

# One bar per output row: its window over the input rows, and the tap that lands on row IH.
for i, oh in enumerate(drawn):
    y = y0 + 34 + i * 26
    top = oh * STRIDE - PAD
    color = colors.get(oh, GREY)
    first, last = max(top, FIRST_ROW), min(top + KERNEL - 1, LAST_ROW)
    svg.rect(x0 + (first - FIRST_ROW) * CELL, y, (last - first + 1) * CELL, CELL - 2, fill=LIGHT[color],
             stroke=color, width=1.5)
    label = f"rows {top}–{top + KERNEL - 1}"
    svg.text(x0 - 10, y + 11, f"oh = {oh}", anchor="end", size=11, color=color, bold=oh in colors)
    if oh in colors:
        kh = IH + PAD - top
        svg.rect(x0 + (IH - FIRST_ROW) * CELL, y, CELL, CELL - 2, fill=color, stroke=color)
        svg.text(x0 + (LAST_ROW - FIRST_ROW + 1) * CELL + 10, y + 11, f"{label}: row {IH} is kernel row"
                 f" kh = {IH} − {STRIDE}·{oh} = {kh}", size=11, color=color)
    else:
        svg.text(x0 + (LAST_ROW - FIRST_ROW + 1) * CELL + 10, y + 11, f"{label}: misses row {IH}", size=11,
                 color="#666666")
svg.line(x0 + (IH - FIRST_ROW) * CELL + CELL / 2, y0 + CELL, x0 + (IH - FIRST_ROW) * CELL + CELL / 2,
         y0 + 34 + len(drawn) * 26 - 8, stroke="black", width=0.8, dash="3,3")

# The same holds for columns: the products are a 3×3 set of (output position, kernel tap).
gy = y0 + 34 + len(drawn) * 26 + 30
svg.text(20, gy, f"Columns alike, so x[c, {IH}, {IW}] meets {len(reaching)}×{len(reaching)} output positions,"
         " each through one tap (kh, kw):", bold=True)
gx, gcell = 110, 92
for i, oh in enumerate(reaching):
    for j, ow in enumerate(reaching):
        kh, kw = IH + PAD - oh * STRIDE, IW + PAD - ow * STRIDE
        x, y = gx + j * gcell, gy + 14 + i * 34
        svg.rect(x, y, gcell - 6, 28, fill=LIGHT[colors[oh]], stroke=colors[oh])
        svg.text(x + (gcell - 6) / 2, y + 12, f"grad_y[{oh}, {ow}]", size=11, anchor="middle")
        svg.text(x + (gcell - 6) / 2, y + 24, f"tap ({kh}, {kw})", size=10, anchor="middle")
svg.text(gx - 10, gy + 32, "oh ↓  ow →", size=10, anchor="end")

nx = gx + len(reaching) * gcell + 20
notes = [
    f"grad_x[n, c, {IH}, {IW}] = Σ over co and the {len(reaching) ** 2} positions of",
    f"grad_y[n, co, oh, ow] · w[co, c, {IH} − {STRIDE}·oh, {IW} − {STRIDE}·ow]:",
    f"{len(reaching) ** 2} × 96 channels = {len(reaching) ** 2 * 96} products, summed by one thread.",
    "No two threads write the same element: no atomics.",
    f"The thread tries all {KERNEL} kh and keeps those where ih − kh is",
    f"a multiple of {STRIDE} and the output row exists: rows ≡ 3 (mod {STRIDE})",
    "meet 2 output rows, the others 3 (fewer at the image's edges).",
]
for i, note in enumerate(notes):
    svg.text(nx, gy + 26 + 16 * i, note, size=11, color="black" if i > 1 else "#303030")

svg.save(output_folder(), "conv1_backward_gather")

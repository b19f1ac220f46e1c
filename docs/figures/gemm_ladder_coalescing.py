"""Chapter 16: what one warp reads from memory for one k, step 1 against step 2 (cuda/gemm_ladder.cu).

Both steps give each thread one output of C and loop over k. In step 1 threadIdx.x runs down a column of C: the
warp's 32 threads read A[row, k] from 32 rows — 32 memory sectors of 32 bytes, 4 useful bytes in each — and all
read the same B[k, col]. In step 2 threadIdx.x runs along a row: the warp reads one A[row, k] and 32 consecutive
values B[k, col … col+31] — 4 sectors, every byte used. Row-major matrices, 8 floats to a sector, drawn as a
40 × 40 corner of each matrix.
"""

from svg import BLUE, GREEN, GREY, LIGHT, ORANGE, Svg, output_folder

SIDE = 40        # the corner of each matrix drawn
CELL = 4.5       # pixels per value
SECTOR = 8       # floats per 32-byte sector
WARP = 32
K = 5            # the k of the loop shown

svg = Svg(900, 380, "SGEMM ladder: the memory a warp reads for one k, step 1 against step 2")


def matrix(x, y, name):
    svg.rect(x, y, SIDE * CELL, SIDE * CELL, fill=LIGHT[GREY], stroke="none")
    svg.text(x, y - 6, name, size=11)


def sector(x, y, r, c, colour):
    """The 32-byte sector that holds m[r, c] (row-major), outlined."""
    first = c // SECTOR * SECTOR
    svg.rect(x + first * CELL, y + r * CELL, SECTOR * CELL, CELL, fill=LIGHT[colour], stroke=colour, width=0.6)


def value(x, y, r, c, colour):
    svg.rect(x + c * CELL, y + r * CELL, CELL, CELL, fill=colour, stroke="none")


def panel(x0, title, a_cells, b_cells, summary):
    svg.text(x0, 40, title, bold=True)
    a_x, b_x, y = x0, x0 + SIDE * CELL + 40, 80
    matrix(a_x, y, "A (row-major)")
    matrix(b_x, y, "B (row-major)")
    for r, c in a_cells:
        sector(a_x, y, r, c, ORANGE)
    for r, c in a_cells:
        value(a_x, y, r, c, ORANGE)
    for r, c in b_cells:
        sector(b_x, y, r, c, BLUE)
    for r, c in b_cells:
        value(b_x, y, r, c, BLUE)
    for i, line in enumerate(summary):
        svg.text(x0, y + SIDE * CELL + 30 + 16 * i, line, size=11)


def sectors(cells):
    return len({(r, c // SECTOR) for r, c in cells})


# Step 1: thread t computes C[t, 3]: it reads A[t, k] and B[k, 3].
step1_a = [(t, K) for t in range(WARP)]
step1_b = [(K, 3)] * WARP
# Step 2: thread t computes C[3, t]: it reads A[3, k] and B[k, t].
step2_a = [(3, K)] * WARP
step2_b = [(K, t) for t in range(WARP)]

panel(30, "step 1: threadIdx.x down a column of C", step1_a, step1_b,
      [f"A: {sectors(step1_a)} sectors of 32 bytes for 32 values of 4 bytes (1/8 used)",
       f"B: {sectors(step1_b)} sector, one value for all 32 threads (a broadcast)",
       f"C: the 32 results go to 32 rows: {WARP} sectors written"])
panel(470, "step 2: threadIdx.x along a row of C", step2_a, step2_b,
      [f"A: {sectors(step2_a)} sector, one value for all 32 threads (a broadcast)",
       f"B: {sectors(step2_b)} sectors for 32 consecutive values: every byte used",
       f"C: the 32 results are consecutive: {WARP // SECTOR} sectors written"])
svg.text(30, 360, f"One iteration (k = {K}) of the loop over k; dark: the values the warp needs, light: the rest of the "
         "32-byte sectors the memory delivers.", size=11, color=GREEN)

svg.save(output_folder(), "gemm_ladder_coalescing")

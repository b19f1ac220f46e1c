"""Chapter 16: who computes what in a 128×128 tile of C (cuda/gemm_ladder.cu), steps 5 and 7.

Left, step 5 (2-D blocking): the block's 256 threads as a 16×16 grid, thread t owning the 8×8
square at rows 8·(t / 16), columns 8·(t % 16). Right, step 7 (warp tiles): the block's 8 warps
as 2×4 tiles of 64×32; in each, lane (lr, lc) owns rows lr + 8i and columns lc + 4j. Drawn to
scale, 3 SVG pixels per element: the outputs of one thread in dark green, and in light the
outputs of the other threads of its warp.
"""

from svg import GREEN, GREY, LIGHT, Svg, output_folder

TILE, PER_THREAD = 128, 8          # kTile, kPerThread
WARP_ROWS, WARP_COLS = 64, 32      # kWarpRows, kWarpCols
LANE_ROWS, LANE_COLS = 8, 4        # kLaneRows, kLaneCols
E = 3                              # SVG pixels per element
WARP_SIZE = 32


def step5_outputs(t):
    """Thread t's outputs in step 5: an 8×8 square."""
    r0, c0 = t // (TILE // PER_THREAD) * PER_THREAD, t % (TILE // PER_THREAD) * PER_THREAD
    return [(r0 + i, c0 + j) for i in range(PER_THREAD) for j in range(PER_THREAD)]


def step7_outputs(t):
    """Thread t's outputs in step 7: rows 8 apart and columns 4 apart inside its warp's tile."""
    warp, lane = t // WARP_SIZE, t % WARP_SIZE
    row = warp // (TILE // WARP_COLS) * WARP_ROWS + lane // LANE_COLS
    col = warp % (TILE // WARP_COLS) * WARP_COLS + lane % LANE_COLS
    return [(row + i * LANE_ROWS, col + j * LANE_COLS) for i in range(PER_THREAD) for j in range(PER_THREAD)]


def panel(svg, x, y, outputs, thread, title, lines):
    warp = thread // WARP_SIZE
    svg.rect(x, y, TILE * E, TILE * E, fill=LIGHT[GREY], stroke="none")
    for other in range(warp * WARP_SIZE, (warp + 1) * WARP_SIZE):  # the thread's warp, light
        for r, c in outputs(other):
            svg.rect(x + c * E, y + r * E, E, E, fill=LIGHT[GREEN], stroke="none")
    for r, c in outputs(thread):  # the thread itself, dark
        svg.rect(x + c * E, y + r * E, E, E, fill=GREEN, stroke="none")
    for r0, c0, rows, cols in lines:
        svg.rect(x + c0 * E, y + r0 * E, cols * E, rows * E, stroke="#555555", width=0.8)
    svg.rect(x, y, TILE * E, TILE * E, width=1.5)
    svg.text(x, y - 26, title, bold=True)


THREAD = 37  # warp 1, lane 5
svg = Svg(900, 545, "SGEMM ladder: the outputs of one thread and of its warp in step 5 and in step 7")
left, right, top = 40, 40 + TILE * E + 80, 70
squares = [(r, c, PER_THREAD, PER_THREAD) for r in range(0, TILE, PER_THREAD) for c in range(0, TILE, PER_THREAD)]
panel(svg, left, top, step5_outputs, THREAD, "step 5, 2-D blocking: 16×16 threads, 8×8 each", squares)
warps = [(r, c, WARP_ROWS, WARP_COLS) for r in range(0, TILE, WARP_ROWS) for c in range(0, TILE, WARP_COLS)]
panel(svg, right, top, step7_outputs, THREAD, "step 7, warp tiles: 2×4 warps of 64×32", warps)

warp, lane = THREAD // WARP_SIZE, THREAD % WARP_SIZE
svg.text(left, top - 10, f"thread {THREAD} (dark) and the rest of warp {warp} (light)", size=11)
svg.text(right, top - 10, f"lane {lane} = (lr {lane // LANE_COLS}, lc {lane % LANE_COLS}) of warp {warp}: rows "
         f"lr + 8i, columns lc + 4j", size=11)
notes = [
    "Step 5: a warp's 32 threads own two rows of 8×8 squares; for one value of B they read 16 words 8 apart,",
    "which fall in 4 of shared memory's 32 banks (4 passes). Step 7: a warp owns one 64×32 tile; for one value",
    "of A its 8 lane rows read 8 consecutive words, for one value of B its 4 lane columns 4: one pass each.",
]
for i, note in enumerate(notes):
    svg.text(left, top + TILE * E + 30 + 18 * i, note, size=11)

svg.save(output_folder(), "gemm_ladder_tiles")

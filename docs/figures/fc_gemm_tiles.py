"""Chapter 07: the tiles of the tiled matrix multiply C = A·B (cuda/linear.cu, gemm_tiled_kernel).

A block of 16×16 threads owns a 64×64 tile of C. It walks K in slices of 16: it
stages a 64×16 slice of A and a 16×64 slice of B in shared memory, and thread
(tx, ty) adds into its 4×4 outputs, rows ty + 16i and columns tx + 16j. Drawn to
scale: one matrix element is 5 SVG pixels.
"""

from svg import BLUE, GREEN, LIGHT, RED, Svg, output_folder

TILE, TILE_K, THREADS_PER_SIDE = 64, 16, 16  # kTile, kTileK, kThreadsPerSide
PER_THREAD = TILE // THREADS_PER_SIDE        # 4
TX, TY, KK = 5, 2, 6                         # the thread drawn, and one step kk of the slice
E = 5                                        # SVG pixels per element

rows = [TY + i * THREADS_PER_SIDE for i in range(PER_THREAD)]
cols = [TX + j * THREADS_PER_SIDE for j in range(PER_THREAD)]

svg = Svg(720, 640, "tiled GEMM: a 64x64 tile of C, the 64x16 slice of A and 16x64 slice of B")
cx, cy = 150, 205                  # C tile's top-left corner
ax, ay = cx - TILE_K * E - 30, cy  # A slice, left of C
bx, by = cx, cy - TILE_K * E - 30  # B slice, above C

# Outlines, with a line every 16 elements: the thread grid's period.
svg.rect(cx, cy, TILE * E, TILE * E, fill=LIGHT[GREEN], stroke="none")
svg.grid(cx, cy, TILE, TILE, E, every=THREADS_PER_SIDE)
svg.rect(cx, cy, TILE * E, TILE * E, width=1.5)
svg.rect(ax, ay, TILE_K * E, TILE * E, fill=LIGHT[BLUE], stroke="none")
svg.grid(ax, ay, TILE_K, TILE, E, every=THREADS_PER_SIDE)
svg.rect(ax, ay, TILE_K * E, TILE * E, width=1.5)
svg.rect(bx, by, TILE * E, TILE_K * E, fill=LIGHT[RED], stroke="none")
svg.grid(bx, by, TILE, TILE_K, E, every=THREADS_PER_SIDE)
svg.rect(bx, by, TILE * E, TILE_K * E, width=1.5)

# The thread's rows of A, columns of B and 4×4 outputs; darker: what it reads at step kk.
for r in rows:
    svg.rect(ax, ay + r * E, TILE_K * E, E, fill=BLUE, stroke="none", opacity=0.35)
    svg.rect(ax + KK * E, ay + r * E, E, E, fill=BLUE, stroke="none")
for c in cols:
    svg.rect(bx + c * E, by, E, TILE_K * E, fill=RED, stroke="none", opacity=0.35)
    svg.rect(bx + c * E, by + KK * E, E, E, fill=RED, stroke="none")
for r in rows:
    for c in cols:
        svg.rect(cx + c * E, cy + r * E, E, E, fill=GREEN, stroke="none")

svg.text(ax + TILE_K * E / 2, ay + TILE * E + 16, f"A: {TILE}×{TILE_K}", anchor="middle", bold=True, color=BLUE)
svg.text(ax + TILE_K * E / 2, ay + TILE * E + 30, "slice of op(A)", anchor="middle", size=10)
svg.text(bx + TILE * E + 10, by + 14, f"B: {TILE_K}×{TILE}", bold=True, color=RED)
svg.text(bx + TILE * E + 10, by + 28, "slice of op(B)", size=10)
svg.text(cx + TILE * E + 10, cy + 14, f"C: {TILE}×{TILE}", bold=True, color="#306030")
svg.text(cx + TILE * E + 10, cy + 28, "the block's tile", size=10)
svg.text(bx, by - 8, f"k0 … k0+{TILE_K - 1} (rows of the slice)", size=10)
svg.text(ax + TILE_K * E, ay - 8, f"k0 … k0+{TILE_K - 1}", size=10, anchor="end")
svg.text(cx, cy + TILE * E + 16, f"lines every {THREADS_PER_SIDE} elements", size=10, color="#666666")

svg.text(20, 22, f"Thread tx = {TX}, ty = {TY} of the block's {THREADS_PER_SIDE}×{THREADS_PER_SIDE}:", bold=True)
svg.text(20, 40, f"outputs at rows {', '.join(map(str, rows))} × columns {', '.join(map(str, cols))}"
         f" of the tile ({PER_THREAD}×{PER_THREAD} sums in registers, {THREADS_PER_SIDE} apart)", size=11)
svg.text(20, 56, f"at step kk = {KK} (dark) it reads {PER_THREAD} values of A's column kk and {PER_THREAD} of"
         f" B's row kk: {PER_THREAD * PER_THREAD} multiply-adds", size=11)
notes = [
    f"Per slice the block stages {TILE}·{TILE_K} + {TILE_K}·{TILE} = {2 * TILE * TILE_K:,} floats"
    f" ({2 * TILE * TILE_K * 4 // 1024} KB) once; every staged value is then used {TILE} times.",
    "FC6 forward, batch 128: C = y [128, 4096], A = x [128, 9216], B = Wᵀ [9216, 4096]:",
    f"4096/{TILE} × 128/{TILE} = {4096 // TILE}×{128 // TILE} blocks, each walking 9216/{TILE_K} ="
    f" {9216 // TILE_K} slices.",
]
for i, note in enumerate(notes):
    svg.text(20, cy + TILE * E + 50 + 18 * i, note, size=11)

svg.save(output_folder(), "fc_gemm_tiles")

"""Chapter 01: what one block of the tiled CONV1 kernel stages and what each thread reads.

A block of 16×16 threads computes a 16×16 tile of output positions. For each input
channel it copies the input patch that tile reads into shared memory,
(16 − 1)·4 + 11 = 71 rows and columns, and thread (x, y) then reads the 11×11
window at rows 4y … 4y+10, columns 4x … 4x+10 of the patch (cuda/conv2d.cu,
conv2d_forward_tiled_kernel). Drawn to scale: one input pixel is 4 SVG pixels.
"""

from svg import BLUE, GREEN, LIGHT, ORANGE, Svg, output_folder

TILE, STRIDE, KERNEL, CHANNELS_PER_BLOCK = 16, 4, 11, 8  # kTile, CONV1's S and K, kChannelsPerBlock
PATCH = (TILE - 1) * STRIDE + KERNEL                      # 71
PIXEL, CELL = 4, 12                                       # SVG pixels per input pixel, per output cell
THREADS = [((0, 0), BLUE), ((1, 0), ORANGE), ((TILE - 1, TILE - 1), GREEN)]  # (x, y) = (column, row)

svg = Svg(740, 480, "CONV1 tiled kernel: the 71x71 input patch of a 16x16 output tile")
px, py = 40, 62                  # top-left corner of the patch
ox, oy = px + PATCH * PIXEL + 150, py  # top-left corner of the output tile

# The patch, with a line at every 4th row and column: where the threads' windows start.
svg.text(px, 18, f"the input patch in shared memory, {PATCH}×{PATCH}", size=13, bold=True)
svg.text(px, 36, f"{PATCH} = ({TILE} − 1)·{STRIDE} + {KERNEL}; a grey line every {STRIDE} inputs (the stride)",
         size=11)
svg.grid(px, py, PATCH, PATCH, PIXEL, every=STRIDE)
svg.rect(px, py, PATCH * PIXEL, PATCH * PIXEL, width=1.5)
svg.text(px - 6, py + 4, "0", size=10, anchor="end")
svg.text(px - 6, py + PATCH * PIXEL, str(PATCH - 1), size=10, anchor="end")
svg.text(px, py - 4, "0", size=10)
svg.text(px + PATCH * PIXEL, py - 4, str(PATCH - 1), size=10, anchor="end")

# The output tile: one cell per thread.
svg.text(ox, 18, f"the block's output tile, {TILE}×{TILE}", size=13, bold=True)
svg.text(ox, 36, f"one thread per position, {CHANNELS_PER_BLOCK} channels each", size=11)
svg.grid(ox, oy, TILE, TILE, CELL)
svg.rect(ox, oy, TILE * CELL, TILE * CELL, width=1.5)

legend_y = py + PATCH * PIXEL + 30
for fill in (True, False):  # fills first, then every outline on top of them
    for (x, y), color in THREADS:
        svg.rect(px + x * STRIDE * PIXEL, py + y * STRIDE * PIXEL, KERNEL * PIXEL, KERNEL * PIXEL,
                 fill=LIGHT[color] if fill else "none", stroke="none" if fill else color, width=2, opacity=0.6)
for i, ((x, y), color) in enumerate(THREADS):
    top, left = y * STRIDE, x * STRIDE
    svg.rect(ox + x * CELL, oy + y * CELL, CELL, CELL, fill=color, stroke=color)
    svg.text(px, legend_y + 18 * i,
             f"thread x = {x}, y = {y} reads rows {top}–{top + KERNEL - 1}, columns {left}–{left + KERNEL - 1}"
             f" and computes the tile's row {y}, column {x}", color=color, bold=True)

notes = [
    f"Neighbouring threads' windows overlap by {KERNEL - STRIDE} columns (or rows): each staged input is read by up"
    f" to {-(-KERNEL // STRIDE)}·{-(-KERNEL // STRIDE)} threads.",
    f"Shared memory per block: {PATCH}·{PATCH} inputs + {KERNEL}·{KERNEL}·{CHANNELS_PER_BLOCK} weights = "
    f"{PATCH * PATCH + KERNEL * KERNEL * CHANNELS_PER_BLOCK:,} floats = "
    f"{(PATCH * PATCH + KERNEL * KERNEL * CHANNELS_PER_BLOCK) * 4:,} bytes, refilled for every input channel.",
]
for i, note in enumerate(notes):
    svg.text(px, legend_y + 18 * len(THREADS) + 10 + 18 * i, note, size=11)

# The tile's place: 55 = 3·16 + 7 outputs per side, so CONV1 has 4×4 tiles, the last ones partial.
svg.text(ox, oy + TILE * CELL + 24, "CONV1's 55×55 outputs: 4×4 tiles", size=11)
svg.text(ox, oy + TILE * CELL + 40, "(55 = 3·16 + 7: the last row and column", size=11)
svg.text(ox, oy + TILE * CELL + 56, "of tiles are partial; their patches", size=11)
svg.text(ox, oy + TILE * CELL + 72, "are filled with zeros past the image)", size=11)

svg.save(output_folder(), "conv1_tile")

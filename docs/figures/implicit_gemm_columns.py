"""Chapter 16: where an implicit GEMM's B comes from (cuda/conv2d_implicit.cu, ImageColumns).

Left, one image of 2 channels of 6×6, a 3×3 kernel, stride 1, no padding: 4×4 outputs. The window of
output (oh, ow) = (1, 2) is outlined in both channels. Right, the im2col matrix B [K = 2·3·3, P = 16] that
chapter 15 writes to memory and this chapter never does: column q = oh·4 + ow holds that window, row
k = (c, kh, kw) one of its terms. The tile kernel asks for B a slice of 8 rows at a time (the shaded slice
is rows 8–15); the loader made for column q knows (n, oh, ow) from the kernel's start, splits each k of the
slice into (c, kh, kw), and reads x at (c, oh + kh, ow + kw) — the arrow follows k = 11 = (1, 0, 2).
"""

from svg import BLUE, GREY, LIGHT, ORANGE, Svg, output_folder

C, SIDE, K_SIDE = 2, 6, 3            # channels, image side, kernel side
OUT = SIDE - K_SIDE + 1               # 4 outputs per side
ROWS, COLS = C * K_SIDE * K_SIDE, OUT * OUT  # B is 18 × 16
OH, OW = 1, 2                         # the output whose column is followed
SLICE, SLICE_START = 8, 8             # kSlice; the slice shown
FOLLOWED = (1, 0, 2)                  # k = 11: channel 1, kernel row 0, kernel column 2
CELL = 24

svg = Svg(900, 545, "Implicit GEMM: a column of im2col's matrix is a window of the image, gathered when the tile asks")
image_x, image_y = 40, 90
b_x, b_y = 470, 90
column = OH * OUT + OW


for c in range(C):
    x0, y0 = image_x, image_y + c * (SIDE * CELL + 40)
    svg.text(x0, y0 - 8, f"x, channel {c}", bold=True)
    for h in range(SIDE):
        for w in range(SIDE):
            inside = OH <= h < OH + K_SIDE and OW <= w < OW + K_SIDE
            svg.rect(x0 + w * CELL, y0 + h * CELL, CELL, CELL, fill=LIGHT[ORANGE] if inside else "white",
                     stroke="#bbbbbb", width=0.6)
    svg.rect(x0 + OW * CELL, y0 + OH * CELL, K_SIDE * CELL, K_SIDE * CELL, stroke=ORANGE, width=2)
fc, fkh, fkw = FOLLOWED
target_x = image_x + (OW + fkw) * CELL
target_y = image_y + fc * (SIDE * CELL + 40) + (OH + fkh) * CELL
svg.rect(target_x, target_y, CELL, CELL, fill=ORANGE, stroke="none")

svg.text(b_x, b_y - 40, "B = im2col(x): 18 rows k = (c, kh, kw), 16 columns q = (oh, ow)", bold=True)
svg.text(b_x, b_y - 22, "never stored: the loader gathers each value when a slice needs it", size=11)
svg.rect(b_x, b_y + SLICE_START * CELL * 0.75, COLS * CELL * 0.75, SLICE * CELL * 0.75, fill=LIGHT[BLUE],
         stroke="none")
cell = CELL * 0.75
for k in range(ROWS):
    for q in range(COLS):
        fill = LIGHT[ORANGE] if q == column else "none"
        svg.rect(b_x + q * cell, b_y + k * cell, cell, cell, fill=fill, stroke="#bbbbbb", width=0.5)
followed_k = fc * K_SIDE * K_SIDE + fkh * K_SIDE + fkw
svg.rect(b_x + column * cell, b_y + followed_k * cell, cell, cell, fill=ORANGE, stroke="none")
svg.rect(b_x + column * cell, b_y, cell, ROWS * cell, stroke=ORANGE, width=2)
for start in range(0, ROWS, SLICE):  # the slices the tile kernel asks for, 8 rows each
    svg.line(b_x - 6, b_y + start * cell, b_x + COLS * cell, b_y + start * cell, stroke=GREY, width=1.2)
    svg.text(b_x - 10, b_y + start * cell + 12, f"k {start}", size=10, anchor="end")
svg.text(b_x + COLS * cell + 8, b_y + (SLICE_START + SLICE / 2) * cell, "one slice:", size=11)
svg.text(b_x + COLS * cell + 8, b_y + (SLICE_START + SLICE / 2) * cell + 14, "rows 8–15", size=11)
svg.text(b_x + column * cell + cell / 2, b_y + ROWS * cell + 16, f"q = {column}", size=11, anchor="middle")
svg.line(b_x + column * cell, b_y + followed_k * cell + cell / 2, target_x + CELL + 4, target_y + CELL / 2,
         stroke=ORANGE, width=1.5, arrow=True)

notes = [
    f"Column q = {column} is output (oh, ow) = ({OH}, {OW}): its loader works this out once, at the kernel's start.",
    f"Row k = {followed_k} is (c, kh, kw) = {FOLLOWED}: worked out once per slice, then x[c, oh + kh, ow + kw] is read",
    "(with a stride S and padding p: x[c, oh·S − p + kh, ow·S − p + kw], or 0 outside the image).",
    "Chapter 15 writes all of B to memory first: 562 MB for CONV1 at batch 128. Here no byte of it is stored.",
]
for i, note in enumerate(notes):
    svg.text(image_x, 465 + 18 * i, note, size=11)

svg.save(output_folder(), "implicit_gemm_columns")

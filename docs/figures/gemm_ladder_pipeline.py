"""Chapter 16: what a block does in time, step 7 against step 8 (cuda/gemm_tiles.cuh).

Step 7, one stage of shared memory: every slice of K is loaded from global memory, stored to shared memory,
a barrier, the multiply-adds, a barrier — the load's latency (hundreds of cycles) waits in the open. Step 8,
two stages: the loads of slice s + 1 are issued before the multiply-adds of slice s and stored into the other
stage after them; one barrier per slice. Schematic lengths: a load's latency of 3 units, the multiply-adds of
a slice 4, a store 1. Colours say which stage of shared memory a box writes or reads.
"""

from svg import BLUE, GREEN, GREY, LIGHT, ORANGE, Svg, output_folder

UNIT = 18              # pixels per unit of time
LATENCY, MULTIPLY, STORE = 3, 4, 1
SLICES = 4
ROW = 34               # height of a lane of boxes
STAGE_COLOUR = [BLUE, ORANGE]

svg = Svg(900, 330, "SGEMM ladder: one stage of shared memory (step 7) against two (step 8), in time")
left = 150


def box(x, y, units, label, colour, filled=True):
    svg.rect(left + x * UNIT, y, units * UNIT, ROW - 8, fill=LIGHT[colour] if filled else "white", stroke=colour,
             width=1.2)
    svg.text(left + (x + units / 2) * UNIT, y + ROW / 2 + 1, label, size=10, anchor="middle")


def barrier(x, y0, y1):
    svg.line(left + x * UNIT, y0 - 4, left + x * UNIT, y1 + 4, stroke="#333333", width=1.5, dash="3,2")


# Step 7: load → store → barrier → multiply → barrier, slice after slice.
top7 = 60
svg.text(20, top7 + 18, "step 7", bold=True)
svg.text(20, top7 + 18 + ROW, "(one stage)", size=11)
t = 0
for s in range(SLICES):
    box(t, top7, LATENCY, f"load {s}", GREY, filled=False)
    box(t + LATENCY, top7, STORE, "st", BLUE)
    barrier(t + LATENCY + STORE, top7, top7 + 2 * ROW - 8)
    box(t + LATENCY + STORE, top7 + ROW, MULTIPLY, f"multiply {s}", BLUE)
    t += LATENCY + STORE + MULTIPLY
    barrier(t, top7, top7 + 2 * ROW - 8)
end7 = t

# Step 8: slice 0 loaded first; then each slice's multiply-adds overlap the next slice's load.
top8 = 190
svg.text(20, top8 + 18, "step 8", bold=True)
svg.text(20, top8 + 18 + ROW, "(two stages)", size=11)
box(0, top8, LATENCY, "load 0", GREY, filled=False)
box(LATENCY, top8, STORE, "st", STAGE_COLOUR[0])
barrier(LATENCY + STORE, top8, top8 + 2 * ROW - 8)
t = LATENCY + STORE
for s in range(SLICES):
    if s + 1 < SLICES:
        box(t, top8, LATENCY, f"load {s + 1}", GREY, filled=False)
    box(t, top8 + ROW, MULTIPLY, f"multiply {s}", STAGE_COLOUR[s % 2])
    t += MULTIPLY
    if s + 1 < SLICES:
        box(t, top8, STORE, "st", STAGE_COLOUR[(s + 1) % 2])
        t += STORE
    barrier(t, top8, top8 + 2 * ROW - 8)
end8 = t

svg.line(left, 300, left + end7 * UNIT, 300, stroke=GREY)
svg.text(left + end7 * UNIT + 6, 304, f"step 7: {end7} units for {SLICES} slices", size=11)
svg.line(left, 285, left + end8 * UNIT, 285, stroke=GREEN, width=2)
svg.text(left + end8 * UNIT + 6, 289, f"step 8: {end8} units", size=11, color=GREEN)
svg.text(20, 30, "Time runs right. Upper lane: global memory → registers (load, hollow: waiting) and registers → shared "
         "memory (st);", size=11)
svg.text(20, 45, "lower lane: the multiply-adds. Dashed: __syncthreads(). Blue and orange: the two stages of shared "
         "memory.", size=11)

svg.save(output_folder(), "gemm_ladder_pipeline")

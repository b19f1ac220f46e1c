#include "training/plot_script.hpp"

#include <cstdio>

namespace alexnet {
namespace {

// A run as two inline data blocks of numbers only: $logN (epoch, training loss and top-1, training subset loss and
// top-1, validation loss and top-1) and, when it has steps, $stepsN (position in epochs, loss).
std::string data_blocks(std::size_t index, const TrainingCurves& run) {
  std::string block = "$log" + std::to_string(index) + " << EOD\n";
  for (const EpochRecord& r : run.log) {
    char row[224];
    std::snprintf(row, sizeof row, "%d %.9g %.9g %.9g %.9g %.9g %.9g\n", r.epoch, r.train_loss, r.train_top1,
                  r.subset_loss, r.subset_top1, r.validation_loss, r.validation_top1);
    block += row;  // a subset not measured (an older log) prints nan: gnuplot leaves the point out
  }
  block += "EOD\n";
  if (run.steps.empty()) return block;
  block += "$steps" + std::to_string(index) + " << EOD\n";
  for (const StepRecord& s : run.steps) {
    char row[64];
    std::snprintf(row, sizeof row, "%.9g %.9g\n", s.epoch, s.loss);
    block += row;
  }
  return block + "EOD\n";
}

// Run i's colour, as gnuplot's "#AARRGGBB" with AA its transparency: the colours of gnuplot's own first eight.
std::string colour(std::size_t index, const char* transparency) {
  static const char* const kColours[] = {"9400d3", "009e73", "56b4e9", "e69f00",
                                         "f0e442", "0072b2", "e51e10", "000000"};
  return std::string(" lc rgb '#") + transparency + kColours[index % 8] + "'";
}

// A curve of run `index`: `using` columns of a data block, drawn `style` in the run's colour (`faint`: mostly
// see-through), titled `what`.
std::string curve(std::size_t index, const TrainingCurves& run, const std::string& block, const std::string& columns,
                  const std::string& style, const std::string& what, bool faint = false) {
  return block + std::to_string(index) + " using " + columns + " with " + style + colour(index, faint ? "a0" : "00") +
         " title " + gnuplot_string(run.name.empty() ? what : run.name + " " + what);
}

// The loss panel, on a log scale: every step's loss (faint), and per epoch the training subset's (dotted) and the
// validation set's.
std::string loss_panel(const std::vector<TrainingCurves>& runs) {
  std::string text = "set title 'loss (cross-entropy)'\nset key top right\nset logscale y\nplot ";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i) text += ", ";
    if (!runs[i].steps.empty()) text += curve(i, runs[i], "$steps", "1:2", "lines lw 1", "every step", true) + ", ";
    text += curve(i, runs[i], "$log", "1:4", "linespoints dt 3 lw 2", "training subset") + ", " +
            curve(i, runs[i], "$log", "1:6", "linespoints lw 2", "validation");
  }
  return text + "\nunset logscale y\n";
}

// The accuracy panel: per epoch, while training (dashed), on the training subset (dotted), on the validation set.
std::string accuracy_panel(const std::vector<TrainingCurves>& runs) {
  std::string text = "set title 'top-1 accuracy (%)'\nset key bottom right\nplot ";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    text += (i ? ", " : "") + curve(i, runs[i], "$log", "1:($3*100)", "linespoints dt 2", "while training") + ", " +
            curve(i, runs[i], "$log", "1:($5*100)", "linespoints dt 3", "training subset") + ", " +
            curve(i, runs[i], "$log", "1:($7*100)", "linespoints lw 2", "validation");
  }
  return text + "\n";
}

}  // namespace

std::string gnuplot_string(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\'') quoted += "''";
    else if (byte < 0x20 || byte == 0x7f) quoted += ' ';
    else quoted += c;
  }
  return quoted + "'";
}

std::string training_curves_script(const std::vector<TrainingCurves>& runs) {
  std::string script;
  for (std::size_t i = 0; i < runs.size(); ++i) script += data_blocks(i, runs[i]);
  script += "set terminal pngcairo size 1400,520 font 'sans,10'\nset grid\nset xlabel 'epoch'\nset xrange [0:*]\n"
            "set multiplot layout 1,2\n";
  return script + loss_panel(runs) + accuracy_panel(runs) + "unset multiplot\n";
}

std::string roofline_script(const std::vector<RooflinePoint>& points, double peak_gflops, double bandwidth_gbps,
                            const std::string& title) {
  // Two data blocks of numbers (intensity, GFLOP/s) and the step names as labels through gnuplot_string.
  std::string script, labels;
  for (const bool backward : {false, true}) {
    script += backward ? "$backward << EOD\n" : "$forward << EOD\n";
    for (const RooflinePoint& p : points) {
      if (p.backward != backward || p.intensity <= 0 || p.gflops <= 0) continue;
      char row[64];
      std::snprintf(row, sizeof row, "%.6g %.6g\n", p.intensity, p.gflops);
      script += row;
      if (!backward) {
        std::snprintf(row, sizeof row, "%.6g,%.6g", p.intensity, p.gflops);
        labels += "set label " + gnuplot_string(p.name) + " at " + row + " offset 0.6,0.4 font 'sans,8'\n";
      }
    }
    script += "EOD\n";
  }
  char roofs[256];
  std::snprintf(roofs, sizeof roofs,
                "peak = %.6g\nbandwidth = %.6g\nroof(x) = x * bandwidth < peak ? x * bandwidth : peak\n", peak_gflops,
                bandwidth_gbps);
  script += roofs;
  script += "set terminal pngcairo size 1000,640 font 'sans,10'\nset logscale xy\nset grid\nset key bottom right\n"
            "set xrange [0.01:1000]\nset samples 400\n"
            "set xlabel 'arithmetic intensity (FLOPs per byte moved)'\nset ylabel 'GFLOP/s'\n"
            "set title " + gnuplot_string(title) + "\n" + labels;
  return script + "plot roof(x) with lines lw 2 lc rgb 'black' title 'roof: min(SGEMM, intensity x bandwidth)', "
                  "$forward using 1:2 with points pt 7 ps 1.2 lc 1 title 'forward', "
                  "$backward using 1:2 with points pt 6 ps 1.2 lc 2 title 'backward'\n";
}

}  // namespace alexnet

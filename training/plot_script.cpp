#include "training/plot_script.hpp"

#include <cstdio>

namespace alexnet {
namespace {

// A log as an inline data block $logN of numbers only: epoch, train loss, train top-1, validation loss and top-1.
std::string data_block(std::size_t index, const std::vector<EpochRecord>& log) {
  std::string block = "$log" + std::to_string(index) + " << EOD\n";
  for (const EpochRecord& r : log) {
    char row[160];
    std::snprintf(row, sizeof row, "%d %.9g %.9g %.9g %.9g\n", r.epoch, r.train_loss, r.train_top1,
                  r.validation_loss, r.validation_top1);
    block += row;
  }
  return block + "EOD\n";
}

// One panel: for every log, its `train` and `validation` columns (gnuplot `using` expressions) as two curves of one
// colour, dashed and solid.
std::string panel(const std::string& title, const std::string& train, const std::string& validation,
                  const std::vector<std::string>& names) {
  std::string text = "set title " + gnuplot_string(title) + "\nplot ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string data = "$log" + std::to_string(i);
    const std::string colour = " with linespoints lc " + std::to_string(i + 1);
    const std::string prefix = names[i].empty() ? "" : names[i] + " ";
    text += (i ? ", " : "") + data + " using 1:" + train + colour + " dt 2 title " + gnuplot_string(prefix + "train") +
            ", " + data + " using 1:" + validation + colour + " title " + gnuplot_string(prefix + "validation");
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

std::string training_curves_script(const std::vector<std::vector<EpochRecord>>& logs,
                                   const std::vector<std::string>& names) {
  std::string script;
  for (std::size_t i = 0; i < logs.size(); ++i) script += data_block(i, logs[i]);
  script += "set terminal pngcairo size 1200,480 font 'sans,10'\nset key bottom right\nset grid\n"
            "set xlabel 'epoch'\nset multiplot layout 1,2\n";
  script += panel("loss (cross-entropy)", "2", "4", names);
  script += panel("top-1 accuracy (%)", "($3*100)", "($5*100)", names);
  return script + "unset multiplot\n";
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

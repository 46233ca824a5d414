#pragma once
// A line chart as a PNG, for the figures `latentlab eval --checks` writes: axes with ticks and
// their numbers, a title, axis labels and a legend, text drawn with stb_easy_font. Internal to
// core/src.
#include <array>
#include <string>
#include <vector>

namespace latentlab::plot {

struct Series {
  std::string name;
  std::array<unsigned char, 3> rgb{200, 200, 200};
  std::vector<double> x, y;
  bool dashed = false;
};

struct Chart {
  std::string title, xLabel, yLabel;
  std::vector<Series> series;
  int width = 860, height = 500;
  bool yFromZero = true;
  bool integerX = false;  // x ticks at whole numbers only (counts, layers)
  double hLine = -1;      // >= 0: a dotted grey line at this y, labelled hLineLabel
  std::string hLineLabel;
  std::string note;  // one line under the x label (e.g. what is better)
};

// Writes the chart atomically; InputError naming the path when it cannot.
void writeLineChart(const std::string& path, const Chart& c);

// The categorical colour of series i (the explorer's class palette's first colours).
std::array<unsigned char, 3> seriesColor(int i);

}  // namespace latentlab::plot

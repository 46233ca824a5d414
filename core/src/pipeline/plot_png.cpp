// A small raster line chart: white background, axes, 5 ticks a side with numbers, a legend.
#include "pipeline/plot_png.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "latentlab/explorer/viewmath.h"
#include "pipeline/explain_common.h"

#include <stb_easy_font.h>

namespace latentlab::plot {

namespace {

struct Canvas {
  int w, h;
  std::vector<uint8_t> px;
  Canvas(int w_, int h_) : w(w_), h(h_), px(size_t(w_ * h_ * 3), 255) {}
  void set(int x, int y, const std::array<unsigned char, 3>& c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (int k = 0; k < 3; ++k) px[size_t((y * w + x) * 3 + k)] = c[size_t(k)];
  }
  void rect(int x0, int y0, int x1, int y1, const std::array<unsigned char, 3>& c) {
    for (int y = std::min(y0, y1); y <= std::max(y0, y1); ++y)
      for (int x = std::min(x0, x1); x <= std::max(x0, x1); ++x) set(x, y, c);
  }
  // A line `thick` pixels wide (Bresenham with a square brush); every other 6 pixels when dashed.
  void line(double x0, double y0, double x1, double y1, const std::array<unsigned char, 3>& c, int thick, bool dashed) {
    const double len = std::hypot(x1 - x0, y1 - y0);
    const int n = std::max(1, int(std::ceil(len)));
    for (int i = 0; i <= n; ++i) {
      if (dashed && (i / 6) % 2) continue;
      const double t = double(i) / n;
      const int x = int(std::lround(x0 + t * (x1 - x0))), y = int(std::lround(y0 + t * (y1 - y0)));
      for (int dy = -(thick / 2); dy <= thick / 2; ++dy)
        for (int dx = -(thick / 2); dx <= thick / 2; ++dx) set(x + dx, y + dy, c);
    }
  }
  // Text at (x, y) (top left), `scale` pixels per font unit; returns its width.
  int text(int x, int y, const std::string& s, int scale, const std::array<unsigned char, 3>& c) {
    static char buf[60000];
    const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr, buf, sizeof buf);
    const float* v = reinterpret_cast<const float*>(buf);  // 4 vertices of x, y, z, colour (16 bytes)
    for (int q = 0; q < quads; ++q) {
      const float* a = v + q * 16;
      const int qx0 = int(a[0]), qy0 = int(a[1]), qx1 = int(a[8]), qy1 = int(a[9]);
      rect(x + qx0 * scale, y + qy0 * scale, x + qx1 * scale - 1, y + qy1 * scale - 1, c);
    }
    return stb_easy_font_width(const_cast<char*>(s.c_str())) * scale;
  }
};

std::string number(double v, double step) {
  char b[32];
  if (std::abs(v) < 1e-12 * std::max(1.0, step)) return "0";
  if (step >= 1)
    std::snprintf(b, sizeof b, "%.0f", v);
  else
    std::snprintf(b, sizeof b, "%.*f", std::min(6, int(std::ceil(-std::log10(step) - 1e-9))), v);
  return b;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about 5 ticks over `range`.
double niceStep(double range) {
  const double raw = range / 5, mag = std::pow(10.0, std::floor(std::log10(raw))), f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

}  // namespace

std::array<unsigned char, 3> seriesColor(int i) {
  const Rgb c = classColor(i);
  return {static_cast<unsigned char>(c[0] * 200), static_cast<unsigned char>(c[1] * 200),
          static_cast<unsigned char>(c[2] * 200)};
}

void writeLineChart(const std::string& path, const Chart& c) {
  Canvas cv(c.width, c.height);
  const std::array<unsigned char, 3> ink{30, 30, 30}, grid{228, 228, 228}, grey{150, 150, 150};
  // Title and y label above the plot, legend in its own column to the right, ticks and the x
  // label (and a note) below.
  int legend = 0;  // the widest legend entry, so that none is cut at the right edge
  for (const Series& s : c.series) legend = std::max(legend, stb_easy_font_width(const_cast<char*>(s.name.c_str())));
  const int left = 90, right = std::max(250, 2 * legend + 60), top = 70, bottom = c.note.empty() ? 70 : 92;
  const int pw = c.width - left - right, ph = c.height - top - bottom;
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (const Series& s : c.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  if (xmin > xmax) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  if (c.hLine >= 0) ymin = std::min(ymin, c.hLine), ymax = std::max(ymax, c.hLine);
  if (c.yFromZero) ymin = std::min(ymin, 0.0);
  if (xmax - xmin < 1e-12) xmax = xmin + 1;
  if (ymax - ymin < 1e-12) ymax = ymin + 1;
  const double xs = c.integerX ? std::max(1.0, std::round(niceStep(xmax - xmin))) : niceStep(xmax - xmin),
               ys = niceStep(ymax - ymin);
  xmin = std::floor(xmin / xs) * xs;
  xmax = std::ceil(xmax / xs - 1e-9) * xs;
  ymin = std::floor(ymin / ys) * ys;
  ymax = std::ceil(ymax / ys - 1e-9) * ys;
  auto X = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  auto Y = [&](double y) { return top + ph - (y - ymin) / (ymax - ymin) * ph; };
  auto width = [](const std::string& t) { return stb_easy_font_width(const_cast<char*>(t.c_str())); };
  for (double xv = xmin; xv <= xmax + 1e-9 * xs; xv += xs) {
    cv.line(X(xv), top, X(xv), top + ph, grid, 1, false);
    const std::string t = number(xv, xs);
    cv.text(int(X(xv)) - width(t), top + ph + 8, t, 2, ink);
  }
  for (double yv = ymin; yv <= ymax + 1e-9 * ys; yv += ys) {
    cv.line(left, Y(yv), left + pw, Y(yv), grid, 1, false);
    const std::string t = number(yv, ys);
    cv.text(left - 10 - 2 * width(t), int(Y(yv)) - 6, t, 2, ink);
  }
  cv.line(left, top, left, top + ph, ink, 2, false);
  cv.line(left, top + ph, left + pw, top + ph, ink, 2, false);
  cv.text(10, 10, c.title, 2, ink);
  cv.text(10, 40, c.yLabel, 2, ink);
  cv.text(left + pw / 2 - width(c.xLabel), top + ph + 32, c.xLabel, 2, ink);
  if (!c.note.empty()) cv.text(10, top + ph + 56, c.note, 2, grey);
  int ly = top + 6;
  const int lx = left + pw + 16;
  if (c.hLine >= 0) {
    cv.line(left, Y(c.hLine), left + pw, Y(c.hLine), grey, 1, true);
    cv.line(lx, ly + 6, lx + 26, ly + 6, grey, 1, true);
    cv.text(lx + 32, ly, c.hLineLabel, 2, ink);
    ly += 24;
  }
  // Earlier series thicker, so that a later one drawn over it (equal values) leaves it visible.
  int k = 0;
  for (const Series& s : c.series) {
    const int thick = std::max(2, 7 - 2 * k++);
    for (size_t i = 0; i + 1 < s.x.size() && i + 1 < s.y.size(); ++i)
      cv.line(X(s.x[i]), Y(s.y[i]), X(s.x[i + 1]), Y(s.y[i + 1]), s.rgb, thick, s.dashed);
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      cv.rect(int(X(s.x[i])) - 3, int(Y(s.y[i])) - 3, int(X(s.x[i])) + 3, int(Y(s.y[i])) + 3, s.rgb);
    cv.line(lx, ly + 6, lx + 26, ly + 6, s.rgb, thick, s.dashed);
    cv.text(lx + 32, ly, s.name, 2, ink);
    ly += 24;
  }
  writePngFile(path, c.width, c.height, 3, cv.px);
}

}  // namespace latentlab::plot

#include "latentlab/explorer/gui_script.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "latentlab/attribution/attribution.h"
#include "latentlab/clue/clue.h"
#include "latentlab/examples/examples.h"
#include "latentlab/model/option_ranges.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"

namespace latentlab {

namespace {

// Settings: any number of trailing KEY=VALUE words (whole numbers), checked against settingKeys().
enum class Arg { Path, Word, Int, Float, Rest, OnOff, Settings, ClueSettings, AttributionSettings, ExSettings };

struct Spec {
  const char* name;
  std::vector<Arg> args;
  int optional;  // how many trailing args may be left out
  const char* help;
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {"load", {Arg::Path}, 0, "load BUNDLE_DIR: open another bundle (the current one stays if it fails)"},
      {"project",
       {Arg::Word, Arg::Word},
       1,
       "project pca|tsne|umap|csv [nowait]: switch the 2D projection (t-SNE and UMAP are computed as a job, or read "
       "from the bundle's cache; the script waits for them unless nowait)"},
      {"cancel", {}, 0, "cancel: cancel the running and queued jobs (like their Cancel buttons)"},
      {"export-layout", {Arg::Path}, 0, "export-layout PATH: write the map's current layout as CSV (index,x,y)"},
      {"layout-csv", {Arg::Path}, 0, "layout-csv PATH: import a 2D layout (index,x,y) and show it"},
      {"color", {Arg::Word}, 0, "color label|pred|total|aleatoric|epistemic|correct: colour the points"},
      {"select", {Arg::Int}, 0, "select INDEX: select a point (test points first, then train points)"},
      {"drag",
       {Arg::Float, Arg::Float, Arg::Int},
       1,
       "drag DX DY [FRAMES]: drag the selected point by DX, DY projection units and keep it; with FRAMES, the point "
       "moves there over FRAMES frames (60 a second), as a recorded mouse drag does"},
      {"wait", {Arg::Int}, 0, "wait FRAMES: render FRAMES frames"},
      {"wait-for",
       {Arg::Path, Arg::Int},
       1,
       "wait-for PATH [SECONDS]: pause the script until PATH exists (default at most 60 s), while the window "
       "stays live; for driving the GUI from outside, e.g. with xdotool"},
      {"screenshot",
       {Arg::Path, Arg::Word},
       1,
       "screenshot PATH [nowait]: save the whole window as PNG, once the running jobs are done (nowait: at once, e.g. "
       "a layout while it is computed)"},
      {"scroll",
       {Arg::Word, Arg::Float},
       0,
       "scroll inspector|tabs|help FRACTION: scroll a panel (tabs: the tab in front) to FRACTION of its height, 0 = "
       "top, "
       "1 = bottom"},
      {"help", {Arg::OnOff}, 0, "help on|off: open or close the help window (the ? key)"},
      {"legend", {Arg::OnOff}, 0, "legend on|off: show the map's legend, or fold it to one button"},
      {"presenter",
       {Arg::OnOff},
       0,
       "presenter on|off: presenter mode (View menu): large fonts, no developer figures, captions at the top of the "
       "map"},
      {"expect",
       {Arg::Rest},
       0,
       "expect KEY OP VALUE: check a fact of the explorer's state (the `state` JSON; KEY is a dotted path such as "
       "prediction_class or uncertainty.total, OP one of == != < <= > >=); a false one is reported as an error, so a "
       "demo's captions can be checked against what its frames show"},
      {"state", {Arg::Path}, 0, "state PATH: write the explorer's state as JSON"},
      {"caption", {Arg::Rest}, 1, "caption TEXT: show TEXT as an on-screen caption (no text clears it)"},
      {"filter", {Arg::Rest}, 1, "filter EXPR: highlight the points matching EXPR, e.g. pred=3 label!=3"},
      {"select-matches",
       {},
       0,
       "select-matches: make the filter's matches the multi-selection (the toolbar's Select matches); the "
       "inspector summarises it"},
      {"fit", {}, 0, "fit: fit the view to the data"},
      {"zoom", {Arg::Float}, 0, "zoom FACTOR: zoom around the centre (2 = twice as close)"},
      {"center", {Arg::Float, Arg::Float}, 0, "center X Y: put projection point X, Y at the centre"},
      {"train", {Arg::OnOff}, 0, "train on|off: show the training points as well as the test points"},
      {"snap", {Arg::OnOff}, 0, "snap on|off: show the nearest data images beside the decode"},
      {"train-model",
       {Arg::Path, Arg::Path, Arg::Settings},
       1,
       "train-model DATASET OUT [epochs=N latent-dim=D seed=S ensemble=N decoder-epochs=N vae-epochs=N "
       "limit-train=N]: train a new bundle as a job (like latentlab train), then load it"},
      {"undo", {}, 0, "undo: undo the last edit (like Ctrl+Z)"},
      {"clue",
       {Arg::ClueSettings},
       1,
       "clue [method=latent-clue|vae-clue|regene|class-change|hierarchical uncertainty=total|aleatoric|epistemic "
       "lambda=L steps=N target=CLASS keep_class=on ...]: explain the selection's uncertainty with a counterfactual, "
       "with the Laplace and the deterministic head (the CLUE panel's Run)"},
      {"ig",
       {Arg::AttributionSettings},
       1,
       "ig [target=class:K|logit:K|total|aleatoric|epistemic head=laplace|deterministic baseline=black|blur|mean|noise "
       "steps=M quadrature=midpoint|gauss-legendre path=straight|clue|drag]: integrated gradients of the selection's "
       "image, "
       "or (path=clue|drag) an uncertainty attributed along the decoded latent path from the CLUE z* or the dragged "
       "point back to the image (the Attribution tab)"},
      {"tab",
       {Arg::Word},
       0,
       "tab NAME: bring a tab to the front (Model, Jobs, Edited, CLUE, Attribution, Concepts, Examples, Log)"},
      {"examples",
       {Arg::Word, Arg::ExSettings},
       1,
       "examples dknn|simplex|tracin [corpus=N steps=N lr=X seed=S]: the training examples that make the selection's "
       "latent what it is (the Examples tab; Crabbé and van der Schaar 2022); the training points are added to the map "
       "first"},
      {"example",
       {Arg::Word, Arg::Int},
       0,
       "example top|bottom RANK: click the Examples tab's RANK-th (0 = first) top or "
       "bottom example: its training point is selected on the map"},
      {"flip",
       {Arg::Int},
       0,
       "flip BIT: flip bit BIT of the selection's DVAE code (the Concepts tab); the flipped point "
       "becomes an edited point, shown in the inspector"},
      {"scrub", {Arg::Float}, 0, "scrub ALPHA: move the Attribution tab's scrubber to alpha in 0..1 along the IG path"},
      {"saliency",
       {Arg::OnOff, Arg::Word},
       1,
       "saliency on|off [gradient|ig]: live saliency of the decoded image in the inspector, for the Attribution tab's "
       "target and head (the plain gradient, or IG from black with 8 steps)"},
      {"clue-zoom", {}, 0, "clue-zoom: centre the map on the CLUE paths, zoomed in (the CLUE tab's Zoom to paths)"},
      {"clue-batch",
       {Arg::Path, Arg::Word, Arg::ClueSettings},
       1,
       "clue-batch OUT N|lasso [KEY=VALUE ...]: the CLUE panel's batch run (latentlab explain) of the N most uncertain "
       "test points, or of the lasso selection's test points, into the new folder OUT, as a job; KEY=VALUE as for "
       "clue. "
       "The script goes on at once (wait-for OUT/summary.json to wait for it)"},
      {"session-save", {Arg::Path}, 0, "session-save PATH: save view, colours, selection and edited points"},
      {"session-load", {Arg::Path}, 0, "session-load PATH: restore a saved session"},
      {"export-csv", {Arg::Path}, 0, "export-csv PATH: write the selection as CSV"},
      {"export-map", {Arg::Path}, 0, "export-map PATH: save the map panel as PNG"},
      {"export-inspector", {Arg::Path}, 0, "export-inspector PATH: save the inspector panel as PNG"},
      {"quit", {}, 0, "quit: close the window"},
  };
  return s;
}

bool isInt(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() + s.size() && v >= 0 && errno != ERANGE;
}

// A KEY=VALUE setting of a clue or ig line: "" when it is one, else what is wrong (not KEY=VALUE,
// a key given twice, or what `set` refuses, without its "[where] " prefix).
std::string checkSetting(const std::vector<std::string>& args, size_t i, const std::string& where,
                         const std::function<void(const std::string&, const std::string&)>& set) {
  const std::string& a = args[i];
  const size_t eq = a.find('=');
  if (eq == std::string::npos) return "'" + clipForMessage(a, 40) + "' is not KEY=VALUE";
  for (size_t j = 0; j < i; ++j)
    if (args[j].substr(0, args[j].find('=')) == a.substr(0, eq))
      return clipForMessage(a.substr(0, eq), 40) + " is given twice";
  try {
    set(a.substr(0, eq), a.substr(eq + 1));
  } catch (const InputError& e) {
    return std::string(e.what()).substr(where.size() + 3);
  }
  return "";
}

// The numbers each command accepts, per argument, so that every value that reaches the explorer
// fits its type and makes sense (a view zoomed by 1e308 cannot be drawn or saved).
struct Range {
  double lo, hi;
};
const std::vector<std::pair<std::string, std::vector<Range>>>& numberRanges() {
  static const std::vector<std::pair<std::string, std::vector<Range>>> r = {
      {"select", {{0, 9e18}}},
      {"wait", {{0, 1e6}}},
      {"wait-for", {{0, 0}, {0, 86400}}},
      {"drag", {{-1e6, 1e6}, {-1e6, 1e6}, {0, 36000}}},
      {"scrub", {{0, 1}}},
      {"scroll", {{0, 0}, {0, 1}}},
      {"flip", {{0, 1e6}}},
      {"zoom", {{1e-6, 1e6}}},
      {"center", {{-1e12, 1e12}, {-1e12, 1e12}}},
  };
  return r;
}
// train-model's KEY=VALUE settings: the ranges of `latentlab train`'s options of the same name.
const OptionRange* settingRange(const std::string& key) {
  for (const auto& r : trainOptionRanges())
    if (key == r.name) return &r;
  return nullptr;
}
std::string rangeText(double lo, double hi) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g..%g", lo, hi);
  return buf;
}

bool isFloat(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

}  // namespace

const std::vector<std::string>& trainSettingKeys() {
  static const std::vector<std::string> k = {"epochs",         "latent-dim", "seed",       "ensemble",
                                             "decoder-epochs", "vae-epochs", "limit-train"};
  return k;
}

const std::vector<std::pair<std::string, std::string>>& scriptCommandHelp() {
  static const std::vector<std::pair<std::string, std::string>> h = [] {
    std::vector<std::pair<std::string, std::string>> v;
    for (const Spec& s : specs()) v.emplace_back(s.name, s.help);
    return v;
  }();
  return h;
}

Script parseScript(const std::string& text, const std::string& source) {
  Script out;
  std::istringstream in(text);
  std::string raw;
  int lineNo = 0;
  while (std::getline(in, raw)) {
    ++lineNo;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& msg) {
      out.errors.push_back({lineNo, source + ":" + std::to_string(lineNo) + ": " + msg});
    };
    const std::string quoted = "'" + clipForMessage(line, 80) + "'";
    const size_t sp = line.find_first_of(" \t");
    ScriptCommand c;
    c.line = lineNo;
    c.name = line.substr(0, sp);
    c.rest = sp == std::string::npos ? "" : trim(line.substr(sp));
    const Spec* spec = nullptr;
    for (const Spec& s : specs())
      if (c.name == s.name) spec = &s;
    if (!spec) {
      fail("unknown command '" + clipForMessage(c.name, 40) + "'");
      continue;
    }
    std::istringstream words(c.rest);
    for (std::string w; words >> w;) c.args.push_back(w);
    const bool rest = !spec->args.empty() && spec->args.back() == Arg::Rest;
    if (rest) {
      c.args.clear();
      if (!c.rest.empty()) c.args.push_back(c.rest);
    }
    const bool settings =
        !spec->args.empty() && (spec->args.back() == Arg::Settings || spec->args.back() == Arg::ClueSettings ||
                                spec->args.back() == Arg::AttributionSettings || spec->args.back() == Arg::ExSettings);
    const size_t need = spec->args.size() - size_t(spec->optional);
    if (c.args.size() < need || (!settings && c.args.size() > spec->args.size())) {
      const std::string count = settings ? "at least " + std::to_string(need)
                                : need < spec->args.size()
                                    ? std::to_string(need) + " to " + std::to_string(spec->args.size())
                                    : std::to_string(spec->args.size());
      fail("'" + c.name + "' takes " + count + " argument(s), got " + std::to_string(c.args.size()) +
           " (usage: " + spec->help + ")");
      continue;
    }
    std::string bad;
    for (size_t i = 0; i < c.args.size() && bad.empty(); ++i) {
      const std::string& a = c.args[i];
      switch (spec->args[std::min(i, spec->args.size() - 1)]) {
        case Arg::Settings: {
          const size_t eq = a.find('=');
          const std::string key = a.substr(0, eq);
          const auto& keys = trainSettingKeys();
          if (eq == std::string::npos)
            bad = "'" + clipForMessage(a, 40) + "' is not KEY=VALUE";
          else if (std::find(keys.begin(), keys.end(), key) == keys.end())
            bad = "unknown setting '" + clipForMessage(key, 40) + "'";
          else if (!isInt(a.substr(eq + 1)))
            bad = "'" + clipForMessage(a.substr(eq + 1), 40) + "' (" + key + ") is not a whole number >= 0";
          else if (const OptionRange* r = settingRange(key); r && !(std::strtod(a.c_str() + eq + 1, nullptr) >= r->lo &&
                                                                    std::strtod(a.c_str() + eq + 1, nullptr) <= r->hi))
            bad =
                key + "=" + clipForMessage(a.substr(eq + 1), 40) + " is out of range (" + rangeText(r->lo, r->hi) + ")";
          break;
        }
        case Arg::ClueSettings:
          bad = checkSetting(c.args, i, "clue", [](const std::string& k, const std::string& v) {
            ClueOptions o;
            setClueOption(o, k, v, "clue");
          });
          break;
        case Arg::AttributionSettings:
          bad = checkSetting(c.args, i, "ig", [](const std::string& k, const std::string& v) {
            AttributionOptions o;
            setAttributionOption(o, k, v, "ig");
          });
          break;
        case Arg::ExSettings:
          bad = checkSetting(c.args, i, "examples", [](const std::string& k, const std::string& v) {
            ExampleOptions o;
            setExampleOption(o, k, v, "examples");
          });
          break;
        case Arg::Int:
          if (!isInt(a)) bad = "'" + clipForMessage(a, 40) + "' is not a whole number >= 0";
          break;
        case Arg::Float:
          if (!isFloat(a)) bad = "'" + clipForMessage(a, 40) + "' is not a number";
          break;
        case Arg::OnOff:
          if (a != "on" && a != "off") bad = "'" + clipForMessage(a, 40) + "' must be on or off";
          break;
        default:
          break;
      }
    }
    if (c.name == "examples" && bad.empty()) {
      try {
        parseExampleMethod(c.args[0], "examples");
      } catch (const InputError& e) {
        bad = e.what();
      }
    }
    if (c.name == "example" && c.args[0] != "top" && c.args[0] != "bottom")
      bad = "'" + clipForMessage(c.args[0], 40) + "' must be top or bottom";
    if (c.name == "project" && c.args[0] != "pca" && c.args[0] != "tsne" && c.args[0] != "umap" && c.args[0] != "csv")
      bad = "unknown projection '" + clipForMessage(c.args[0], 40) + "' (pca, tsne, umap or csv)";
    if (c.name == "color" && c.args[0] != "label" && c.args[0] != "pred" && c.args[0] != "total" &&
        c.args[0] != "aleatoric" && c.args[0] != "epistemic" && c.args[0] != "correct")
      bad = "unknown colour mode '" + clipForMessage(c.args[0], 40) +
            "' (label, pred, total, aleatoric, epistemic, correct)";
    if (c.name == "saliency" && c.args.size() > 1 && c.args[1] != "gradient" && c.args[1] != "ig")
      bad = "'" + clipForMessage(c.args[1], 40) + "' must be gradient or ig";
    if (c.name == "clue-batch" && c.args[1] != "lasso" &&
        !(isInt(c.args[1]) && std::strtod(c.args[1].c_str(), nullptr) >= 1 &&
          std::strtod(c.args[1].c_str(), nullptr) <= 1e6))
      bad = "'" + clipForMessage(c.args[1], 40) + "' must be lasso or a number of points from 1 to 1000000";
    if (c.name == "screenshot" && c.args.size() > 1 && c.args[1] != "nowait")
      bad = "'" + clipForMessage(c.args[1], 40) + "' after the path must be nowait";
    if (c.name == "scroll" && c.args[0] != "inspector" && c.args[0] != "tabs" && c.args[0] != "help")
      bad = "unknown panel '" + clipForMessage(c.args[0], 40) + "' (inspector, tabs or help)";
    if (c.name == "expect") {
      // expect KEY OP VALUE: the rest of the line after the command, split into three.
      std::istringstream e(c.rest);
      std::string key, op, value;
      e >> key >> op;
      std::getline(e, value);
      value = trim(value);
      static const char* const ops[] = {"==", "!=", "<", "<=", ">", ">="};
      if (key.empty() || op.empty() || value.empty())
        bad = "expect needs KEY OP VALUE";
      else if (std::find(std::begin(ops), std::end(ops), op) == std::end(ops))
        bad = "'" + clipForMessage(op, 40) + "' is not one of == != < <= > >=";
      else if (op != "==" && op != "!=" && !isFloat(value))
        bad = "'" + clipForMessage(value, 40) + "' is not a finite number to compare with " + op;
      else
        c.args = {key, op, value};
    }
    if (c.name == "project" && c.args.size() > 1 && c.args[1] != "nowait")
      bad = "'" + clipForMessage(c.args[1], 40) + "' after the projection must be nowait";
    for (const auto& [name, limits] : numberRanges())
      for (size_t i = 0; bad.empty() && name == c.name && i < limits.size() && i < c.args.size(); ++i) {
        const Range& r = limits[i];
        if (r.lo == 0 && r.hi == 0) continue;  // not a number
        const double v = std::strtod(c.args[i].c_str(), nullptr);
        if (!(v >= r.lo && v <= r.hi))
          bad = "'" + clipForMessage(c.args[i], 40) + "' is out of range (" + rangeText(r.lo, r.hi) + ")";
        else if (v != 0 && std::abs(v) < 1e-30)  // would underflow a float
          bad = "'" + clipForMessage(c.args[i], 40) + "' is too small (use 0, or a magnitude of at least 1e-30)";
      }
    if (!bad.empty()) {
      fail(bad + " in " + quoted);
      continue;
    }
    out.commands.push_back(std::move(c));
  }
  return out;
}

Script loadScriptFile(const std::string& path) { return parseScript(readTextFile(path), path); }

}  // namespace latentlab

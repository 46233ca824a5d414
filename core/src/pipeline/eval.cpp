// `latentlab eval` and `info`: a bundle's metrics per head (and the decoder's), the table they print,
// the manifest summary, and where the shipped bundles are.
#include <torch/torch.h>
#include <iostream>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "latentlab/bll/bll_torch.h"
#include "latentlab/concepts/concepts_torch.h"
#include "latentlab/data/data_torch.h"
#include "latentlab/model/bundle_torch.h"
#include "latentlab/model/metrics.h"
#include "latentlab/model/models_torch.h"
#include "latentlab/pipeline/pipeline.h"
#include "latentlab/util/errors.h"
#include "latentlab/util/fsutil.h"
#include "latentlab/util/json_text.h"
#include "pipeline/pipeline_common.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace latentlab {

using detail::decoderReport;
using detail::join;

namespace {

struct HeadOut {
  torch::Tensor probs, total, epistemic;  // CPU
};

HeadOut predictAll(const BllHead& head, const torch::Tensor& z, const torch::Device& dev) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> p, t, e;
  for (int64_t i = 0; i < z.size(0); i += 2048) {
    Predictive pr = head.predict(z.slice(0, i, std::min(i + 2048, z.size(0))).to(dev));
    p.push_back(pr.probs.cpu());
    t.push_back(pr.total.cpu());
    e.push_back(pr.epistemic.cpu());
  }
  return {torch::cat(p), torch::cat(t), torch::cat(e)};
}

HeadOut ensembleAll(const Bundle& b, const torch::Tensor& x, const std::string& inputs) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> probs;
  for (size_t i = 0; i < b.ensemble.size(); ++i) {
    const std::string file = b.componentPath("ensemble_" + std::to_string(i));
    probs.push_back(torch::softmax(mapBatched(b.ensemble[i], "forward", x, b.device, 1024, file), 1));
    requireFiniteRows(probs.back(), "eval", "probabilities", inputs, file);
  }
  torch::Tensor ps = torch::stack(probs);  // [M, N, K]
  torch::Tensor mean = ps.mean(0);
  torch::Tensor total = entropy(mean), ale = entropy(ps).mean(0);
  return {mean, total, total - ale};
}

std::vector<float> toFloats(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
std::vector<double> toDoubles(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
std::vector<int64_t> toInts(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

json headJson(const HeadOut& in, const torch::Tensor& labels, int64_t k, const HeadOut* ood) {
  ClassificationMetrics m = classificationMetrics(toFloats(in.probs), toInts(labels), k, 15);
  json j = {{"accuracy", m.accuracy}, {"nll", m.nll}, {"ece", m.ece}, {"brier", m.brier}};
  json bins = json::array();
  for (const auto& b : m.bins)
    bins.push_back({{"confidence", b.confidence}, {"accuracy", b.accuracy}, {"count", b.count}});
  j["reliability"] = bins;
  if (ood) {
    j["ood_auroc_entropy"] = auroc(toDoubles(in.total), toDoubles(ood->total));
    j["ood_auroc_mutual_information"] = auroc(toDoubles(in.epistemic), toDoubles(ood->epistemic));
  } else {
    j["ood_auroc_entropy"] = nullptr;
    j["ood_auroc_mutual_information"] = nullptr;
  }
  return j;
}

}  // namespace

json detail::evaluateBundle(const Bundle& b, const Dataset& test, const Dataset* ood, const std::string& oodName,
                            std::ostream& log) {
  const torch::Device dev = b.device;
  const int64_t k = b.numClasses();
  const std::string classifierFile = b.componentPath("classifier");
  torch::Tensor z = mapBatched(b.classifier, "encode", test.images, dev, 1024, classifierFile);
  requireFiniteRows(z, "eval", "latents", "test images", classifierFile);
  torch::Tensor zo;
  if (ood) {
    zo = mapBatched(b.classifier, "encode", ood->images, dev, 1024, classifierFile);
    requireFiniteRows(zo, "eval", "latents", "OOD images (" + oodName + ")", classifierFile);
  }
  json report;
  report["dataset"] = b.manifest.dataset;
  report["ood_dataset"] = ood ? json(oodName) : json(nullptr);
  report["n_test"] = test.size();
  report["n_ood"] = ood ? ood->size() : 0;
  report["bundle"] = b.dir;
  json heads;
  // A head's probabilities on real data: non-finite ones name the file they come from.
  auto evalHead = [&](const BllHead& h, const std::string& file) {
    HeadOut in = predictAll(h, z, dev);
    requireFiniteRows(in.probs, "eval", "probabilities", "test images", file);
    if (!ood) return headJson(in, test.labels, k, nullptr);
    HeadOut out = predictAll(h, zo, dev);
    requireFiniteRows(out.probs, "eval", "probabilities", "OOD images (" + oodName + ")", file);
    return headJson(in, test.labels, k, &out);
  };
  heads["deterministic"] = evalHead(b.head(HeadMode::Deterministic), classifierFile);
  if (b.laplace) {
    const std::string laplaceFile = b.componentPath("laplace");
    heads["laplace"] = evalHead(b.head(HeadMode::Samples), laplaceFile);
    heads["laplace"]["prior_precision"] = b.laplace->priorPrecision;
    heads["laplace"]["samples"] = b.laplace->samples.size(0);
    heads["laplace_probit"] = evalHead(b.head(HeadMode::Probit), laplaceFile);
  } else {
    heads["laplace"] = nullptr;
  }
  if (!b.ensemble.empty()) {
    HeadOut in = ensembleAll(b, test.images, "test images");
    if (ood) {
      HeadOut out = ensembleAll(b, ood->images, "OOD images (" + oodName + ")");
      heads["ensemble"] = headJson(in, test.labels, k, &out);
    } else {
      heads["ensemble"] = headJson(in, test.labels, k, nullptr);
    }
    heads["ensemble"]["members"] = b.ensemble.size();
  } else {
    heads["ensemble"] = nullptr;
    if (!b.ensembleProblem.empty()) {
      report["ensemble_left_out"] = b.ensembleProblem;
      std::cerr << "latentlab: warning: " << b.ensembleProblem << "\n";
    }
  }
  report["heads"] = heads;
  if (b.decoder) {
    report["decoder"] =
        decoderReport(*b.decoder, b.classifier, z, test.images, dev, b.componentPath("decoder"), classifierFile);
    const json& tr = b.manifest.training;
    if (tr.is_object() && tr.contains("decoder") && tr["decoder"].is_object())
      report["decoder"]["consistency_weight"] = tr["decoder"].value("consistency_weight", 0.0);
    // What train-decoder measured for the decoder it replaced (that decoder is not kept).
    const json& m = b.manifest.metrics;
    if (m.is_object() && m.contains("decoder_previous") && m["decoder_previous"].is_object())
      report["decoder_previous"] = m["decoder_previous"];
  } else {
    report["decoder"] = nullptr;
  }
  return report;
}

json runEval(const EvalOptions& opt, std::ostream& log) {
  const torch::Device dev = parseDevice(opt.device);
  Bundle b = loadBundle(opt.bundle, dev);
  if (opt.dvae && !b.dvae)
    throw BundleError(b.dvaeProblem.empty()
                          ? "[eval] --dvae: the bundle has no DVAE; add one with `latentlab train-dvae " + opt.bundle +
                                "` (" + opt.bundle + ")"
                          : "[eval] --dvae: " + b.dvaeProblem);
  DatasetSplit data = loadManifestDataset(b.manifest);
  if (data.train.classNames != b.manifest.classNames)
    throw BundleError("[eval] the dataset's classes differ from the bundle's (" + opt.bundle + ")");
  const Shape3& in = b.manifest.inputShape;
  if (data.test.images.size(1) != in[0] || data.test.images.size(2) != in[1] || data.test.images.size(3) != in[2])
    throw BundleError("[eval] the dataset's images are " + std::to_string(data.test.images.size(1)) + "x" +
                      std::to_string(data.test.images.size(2)) + "x" + std::to_string(data.test.images.size(3)) +
                      ", the bundle takes " + std::to_string(in[0]) + "x" + std::to_string(in[1]) + "x" +
                      std::to_string(in[2]) + " (" + opt.bundle + ")");
  Dataset test = opt.limitTest > 0 && opt.limitTest < data.test.size()
                     ? subset(data.test, torch::arange(opt.limitTest, torch::kInt64))
                     : data.test;
  const std::string oodName = opt.ood.empty() ? b.manifest.defaultOod : opt.ood == "none" ? "" : opt.ood;
  std::unique_ptr<Dataset> ood;
  if (!oodName.empty()) {
    std::string note;
    ood = std::make_unique<Dataset>(loadOodFor(oodName, b.manifest.inputShape, &note));
    if (!note.empty()) log << "OOD set " << oodName << ": " << note << " to the model's input\n";
  }
  json report = detail::evaluateBundle(b, test, ood.get(), oodName, log);
  if (opt.dvae) {
    torch::Tensor z = mapBatched(b.classifier, "encode", test.images, dev, 1024, b.componentPath("classifier"));
    report["dvae"] = dvaeTable(b, *b.dvae, z, test.labels);
    const json& tr = b.manifest.training;
    if (tr.is_object() && tr.contains("dvae") && tr["dvae"].is_object())
      report["dvae"]["consistency"] = tr["dvae"].value("consistency", 0.0);
    // The seed's plain objective, as train-dvae --compare-plain measured it (that DVAE is not kept).
    const json& m = b.manifest.metrics;
    if (m.is_object() && m.contains("dvae_plain") && m["dvae_plain"].is_object())
      report["dvae_plain"] = m["dvae_plain"];
  }
  return report;
}

std::string formatEvalTable(const json& r) {
  std::ostringstream os;
  auto trim = [](const std::string& t) { return t.substr(std::min(t.size(), t.find_first_not_of(' '))); };
  auto num = [](const json& v, int prec = 4) {
    if (!v.is_number()) return std::string("     n/a");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%8.*f", prec, v.get<double>());
    return std::string(buf);
  };
  // The report may come from a manifest a user edited: a value of the wrong type shows as n/a or ?.
  auto text = [&](const char* key) {
    return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : std::string("?");
  };
  auto count = [&](const char* key) {
    return r.contains(key) && r[key].is_number_integer() ? std::to_string(r[key].get<int64_t>()) : std::string("?");
  };
  os << "LatentLab eval: " << text("dataset") << " (" << count("n_test") << " test images)";
  if (r.contains("ood_dataset") && r["ood_dataset"].is_string())
    os << ", OOD: " << text("ood_dataset") << " (" << count("n_ood") << ")";
  os << "\n";
  os << "head            accuracy      NLL      ECE    Brier  AUROC(H) AUROC(MI)\n";
  const json heads = r.contains("heads") && r["heads"].is_object() ? r["heads"] : json::object();
  for (const char* name : {"deterministic", "laplace", "laplace_probit", "ensemble"}) {
    if (!heads.contains(name)) continue;
    const json& h = heads[name];
    char label[32];
    std::snprintf(label, sizeof label, "%-14s", name);
    if (!h.is_object()) {
      const bool leftOut =
          std::string(name) == "ensemble" && r.contains("ensemble_left_out") && r["ensemble_left_out"].is_string();
      os << label
         << (leftOut ? "  (left out: " + r["ensemble_left_out"].get<std::string>() + ")"
                     : std::string("  (not in this bundle)"))
         << "\n";
      continue;
    }
    auto v = [&](const char* key) { return num(h.value(key, json())); };
    os << label << v("accuracy") << " " << v("nll") << " " << v("ece") << " " << v("brier") << "  "
       << v("ood_auroc_entropy") << "  " << v("ood_auroc_mutual_information") << "\n";
  }
  if (r.contains("decoder") && r["decoder"].is_object()) {
    // Short lines: the Model tab shows this text in a narrow panel.
    auto line = [&](const std::string& label, const json& d) {
      std::string s = label + " MSE " + trim(num(d.value("mse", json()), 5)) + ", agreement " +
                      trim(num(d.value("agreement", json())));
      const json w = d.value("consistency_weight", json());
      if (w.is_number()) s += " (consistency " + trim(num(w, 0)) + ")";
      return s + "\n";
    };
    os << line("decoder:", r["decoder"]);
    const json prev = r.value("decoder_previous", json());
    if (prev.is_object()) os << line("  the decoder before (train-decoder):", prev);
  } else
    os << "decoder: (none)\n";
  if (r.contains("dvae") && r["dvae"].is_object()) os << formatDvaeTable(r["dvae"]);
  if (r.contains("dvae_plain") && r["dvae_plain"].is_object()) {
    const json& p = r["dvae_plain"];
    auto pc = [](const json& v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f%%", v.is_number() ? 100 * v.get<double>() : 0.0);
      return v.is_number() ? std::string(buf) : std::string("-");
    };
    os << "  the seed's plain objective (recorded by train-dvae --compare-plain, not kept): f(phi') "
       << pc(p.value("accuracy_reconstructed", json())) << ", agreement " << pc(p.value("agreement", json()))
       << ", all bits flipped " << pc(p.value("all_flip_changed", json())) << "\n";
  }
  return os.str();
}

std::string formatDvaeTable(const json& t) {
  std::ostringstream os;
  auto pct = [&](const json& v) {
    if (!v.is_number()) return std::string("   n/a");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * v.get<double>());
    return std::string(buf);
  };
  auto get = [&](const char* key) { return t.contains(key) ? t[key] : json(); };
  auto fixed2 = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return std::string(buf);
  };
  const json head = get("head");
  os << "DVAE (Gat et al. 2022, Table 1; " << (head.is_string() ? head.get<std::string>() : std::string("?"))
     << " head, "
     << (get("n_bits").is_number_integer() ? std::to_string(get("n_bits").get<int64_t>()) : std::string("?"))
     << " bits):\n"
     << "  accuracy f(phi) " << pct(get("accuracy")) << ", f(phi') " << pct(get("accuracy_reconstructed"))
     << ", agreement " << pct(get("agreement"));
  if (get("accuracy").is_number() && get("accuracy_reconstructed").is_number())
    os << "; f(phi') is " << fixed2(100 * (get("accuracy").get<double>() - get("accuracy_reconstructed").get<double>()))
       << " points below f(phi)";
  if (get("consistency").is_number()) os << " (consistency weight " << fixed2(get("consistency").get<double>()) << ")";
  os << "\n"
     << "  prediction changed: all bits flipped " << pct(get("all_flip_changed")) << ", some single bit "
     << pct(get("single_flip_changed")) << "\n";
  const json bits = get("bits");
  if (!bits.is_array()) return os.str();
  os << "  bit    on  changed  most common new class\n";
  for (const json& b : bits) {
    if (!b.is_object()) continue;
    char row[64];
    std::snprintf(row, sizeof row, "  %3d  %s  %s  ",
                  b.value("bit", json(-1)).is_number_integer() ? b["bit"].get<int>() : -1,
                  pct(b.value("on", json())).c_str(), pct(b.value("changed", json())).c_str());
    os << row;
    const json name = b.value("target_name", json());
    if (name.is_string())
      os << name.get<std::string>() << " (" << pct(b.value("target_share", json())) << " of the changed)";
    else
      os << "-";
    os << "\n";
  }
  return os.str();
}

std::string bundleInfo(const std::string& dir) {
  const std::string path = join(dir, "manifest.json");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw BundleError("[info] not a directory (" + dir + ")");
  Manifest m = parseManifest(readFileChecked(path, caps::kManifest, "manifest"), path);
  std::ostringstream os;
  os << "bundle:      " << dir << "\n";
  os << "format:      " << m.formatVersion << "\n";
  os << "dataset:     " << m.dataset << " (default OOD: " << (m.defaultOod.empty() ? "none" : m.defaultOod) << ")\n";
  os << "classes:     " << m.classNames.size() << ":";
  for (const auto& c : m.classNames) os << " " << c << ";";
  os << "\n";
  os << "input shape: " << m.inputShape[0] << "x" << m.inputShape[1] << "x" << m.inputShape[2]
     << " (normalisation inside encode: mean " << m.normMean << ", std " << m.normStd << ")\n";
  os << "latent d:    " << m.latentDim << "\n";
  os << "components:\n";
  for (const auto& [name, file] : m.components) {
    auto size = fs::file_size(fs::path(dir) / file, ec);
    os << "  " << std::left << std::setw(12) << name << " " << file
       << (ec ? std::string("  (MISSING)") : "  (" + std::to_string(size / 1024) + " KiB)") << "\n";
  }
  os << "training:    " << jsonText(m.training, -1) << "\n";
  if (m.metrics.is_object() && m.metrics.contains("heads")) os << formatEvalTable(m.metrics);
  return os.str();
}

std::string defaultBundlePath(const std::string& name, const std::string& exeDir) {
  std::vector<fs::path> roots;
  if (const char* e = std::getenv("LATENTLAB_ASSETS")) roots.emplace_back(e);
  if (!exeDir.empty()) {
    roots.push_back(fs::path(exeDir) / "assets");
    roots.push_back(fs::path(exeDir) / ".." / "assets");
  }
#ifdef LATENTLAB_SOURCE_DIR
  roots.push_back(fs::path(LATENTLAB_SOURCE_DIR) / "assets");
#endif
  std::error_code ec;
  for (const auto& r : roots)
    if (fs::is_regular_file(r / "models" / name / "manifest.json", ec)) return (r / "models" / name).string();
  return "";
}

}  // namespace latentlab

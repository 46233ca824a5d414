// Adam over a batch of counterfactual parameters with autograd (the tensor engine of latent CLUE,
// and VAE-CLUE and ReGene): per-point early stopping and the class-keeping rule.
#include <algorithm>
#include <cmath>

#include "clue/clue_internal.h"
#include "latentlab/util/errors.h"

namespace latentlab::detail {

ClueEval makeEval(const torch::Tensor& loss, const torch::Tensor& u, const Predictive& p, const torch::Tensor& z,
                  const torch::Tensor& param, bool wantGrad) {
  ClueEval e;
  if (wantGrad) e.grad = torch::autograd::grad({loss.sum()}, {param})[0].detach();
  e.loss = loss.detach();
  e.u = u.detach();
  e.pred = p.probs.argmax(1).detach();
  e.z = z.detach();
  return e;
}

void keepBest(ClueResult& r, int64_t d) {
  if (r.pathLoss.empty()) return;
  const size_t best = size_t(std::min_element(r.pathLoss.begin(), r.pathLoss.end()) - r.pathLoss.begin());
  if (best + 1 < r.pathLoss.size()) r.stoppedEarly = true;
  r.pathLoss.resize(best + 1);
  r.pathU.resize(best + 1);
  r.path.resize((best + 1) * size_t(d));
  r.steps = int(best);
  r.zStar.assign(r.path.end() - d, r.path.end());
}

torch::Tensor latentDistance(ClueDistance kind, const torch::Tensor& z, const torch::Tensor& z0) {
  torch::Tensor dz = z - z0;
  if (kind == ClueDistance::L1) return (torch::sqrt(dz * dz + kSmoothEps * kSmoothEps) - kSmoothEps).mean(-1);
  return (dz * dz).mean(-1);
}

void adamTensorRun(const ClueProblem& pb, const ClueOptions& o, bool targetProb, std::vector<ClueResult>& out,
                   const std::atomic<bool>* cancel, const ClueStepFn& onStep, std::vector<torch::Tensor>* thetaPath) {
  const int64_t n = pb.theta0.size(0);
  torch::Tensor theta = pb.project ? pb.project(pb.theta0) : pb.theta0.clone();
  ClueEval cur = pb.eval(theta, true);
  const int64_t d = cur.z.size(1);
  const torch::Tensor c0 = pb.keepClasses.defined() ? pb.keepClasses.to(cur.pred.device()) : cur.pred.clone();
  torch::Tensor m = torch::zeros_like(theta), v = torch::zeros_like(theta);
  torch::Tensor lr = torch::full({n, 1}, pb.lr, theta.options());
  torch::Tensor active = torch::ones({n}, torch::dtype(torch::kBool).device(theta.device()));
  std::vector<torch::Tensor> zs{cur.z.cpu()}, us{cur.u.cpu()}, ls{cur.loss.cpu()};
  if (thetaPath) thetaPath->assign(1, theta.cpu());
  std::vector<Stall> stall(static_cast<size_t>(n));
  std::vector<int> stopped(static_cast<size_t>(n), -1);
  auto stalls = [&](int64_t i, double loss) { return stall[size_t(i)].update(loss, o); };
  {
    const torch::Tensor lc = ls[0].to(torch::kFloat64);
    for (int64_t i = 0; i < n; ++i) stalls(i, lc[i].item<double>());
  }
  for (int t = 1; t <= o.steps; ++t) {
    checkCancel(cancel, "clue");
    torch::Tensor mNew, vNew, thetaNew;
    {
      torch::NoGradGuard ng;
      const double bc1 = 1 - std::pow(kAdamB1, t), bc2 = 1 - std::pow(kAdamB2, t);
      mNew = kAdamB1 * m + (1 - kAdamB1) * cur.grad;
      vNew = kAdamB2 * v + (1 - kAdamB2) * cur.grad * cur.grad;
      thetaNew = theta - lr * (mNew / bc1) / (torch::sqrt(vNew / bc2) + kAdamEps);
      if (pb.project) thetaNew = pb.project(thetaNew);
      thetaNew = torch::where(active.unsqueeze(1), thetaNew, theta);  // a stopped row stays where it stopped
    }
    ClueEval nxt = pb.eval(thetaNew, true);
    torch::NoGradGuard ng;
    torch::Tensor accept = active.clone();
    if (o.keepClass) {
      const torch::Tensor changed = nxt.pred != c0;
      lr = torch::where((changed & active).unsqueeze(1), lr * 0.5, lr);
      accept = accept & ~changed;
      // Coupled rows: the others' objectives counted the rejected positions; evaluate them again.
      if (pb.group > 1 && (changed & active).any().item<bool>()) {
        thetaNew = torch::where(accept.unsqueeze(1), thetaNew, theta);
        torch::AutoGradMode on(true);
        nxt = pb.eval(thetaNew, true);
      }
    }
    const torch::Tensor a1 = accept.unsqueeze(1);
    theta = torch::where(a1, thetaNew, theta);
    m = torch::where(a1, mNew, m);
    v = torch::where(a1, vNew, v);
    cur.grad = torch::where(a1, nxt.grad, cur.grad);
    cur.z = torch::where(a1, nxt.z, cur.z);
    cur.u = torch::where(accept, nxt.u, cur.u);
    cur.loss = torch::where(accept, nxt.loss, cur.loss);
    zs.push_back(cur.z.cpu());
    us.push_back(cur.u.cpu());
    ls.push_back(cur.loss.cpu());
    if (thetaPath) thetaPath->push_back(theta.cpu());
    const torch::Tensor lc = ls.back().to(torch::kFloat64);
    const torch::Tensor ac = active.cpu();
    bool any = false;
    for (int64_t i = 0; i < n; ++i) {
      if (!ac[i].item<bool>()) continue;
      if (stalls(i, lc[i].item<double>())) {
        stopped[size_t(i)] = t;
        active[i] = false;
      } else {
        any = true;
      }
    }
    if (onStep && (stopped[0] < 0 || stopped[0] == t)) {
      const torch::Tensor zr = zs.back()[0].contiguous();
      const float uu = us.back()[0].item<float>();
      if (!onStep(t, std::vector<float>(zr.data_ptr<float>(), zr.data_ptr<float>() + d),
                  targetProb ? std::exp(-uu) : uu)) {
        for (int64_t i = 0; i < n; ++i)
          if (stopped[size_t(i)] < 0) stopped[size_t(i)] = t;
        break;
      }
    }
    if (!any) break;
  }
  const int last = int(zs.size()) - 1;
  auto endOf = [&](int64_t i) { return stopped[size_t(i)] >= 0 ? stopped[size_t(i)] : last; };
  // Coupled groups: one step for the whole group, where its mean objective is lowest (a row that
  // stopped earlier holds its last place); each row's path ends there, or where it stopped.
  std::vector<int> groupBest(size_t(n), -1);
  const torch::Tensor lossAll = pb.group > 1 ? torch::stack(ls).to(torch::kFloat64).contiguous() : torch::Tensor();
  if (pb.group > 1)
    for (int64_t g = 0; g + pb.group <= n; g += pb.group) {
      const auto L = lossAll.accessor<double, 2>();  // [steps, rows]
      int T = 0;
      for (int64_t i = g; i < g + pb.group; ++i) T = std::max(T, endOf(i));
      double best = INFINITY;
      int at = 0;
      for (int s = 0; s <= T; ++s) {
        double sum = 0;
        for (int64_t i = g; i < g + pb.group; ++i) sum += L[std::min(s, endOf(i))][i];
        if (sum < best) best = sum, at = s;
      }
      for (int64_t i = g; i < g + pb.group; ++i) groupBest[size_t(i)] = std::min(at, endOf(i));
    }
  for (int64_t i = 0; i < n; ++i) {
    ClueResult& r = out[size_t(i)];
    const int end = groupBest[size_t(i)] >= 0 ? groupBest[size_t(i)] : endOf(i);
    r.steps = end;
    r.stoppedEarly = stopped[size_t(i)] >= 0 && end < o.steps;
    r.path.clear();
    r.pathU.clear();
    r.pathLoss.clear();
    for (int s = 0; s <= end; ++s) {
      const torch::Tensor row = zs[size_t(s)][i].contiguous();
      r.path.insert(r.path.end(), row.data_ptr<float>(), row.data_ptr<float>() + d);
      const float uu = us[size_t(s)][i].item<float>();
      r.pathU.push_back(targetProb ? std::exp(-uu) : uu);
      r.pathLoss.push_back(ls[size_t(s)][i].item<float>());
    }
    r.zStar.assign(r.path.end() - d, r.path.end());
    if (groupBest[size_t(i)] >= 0)
      r.stoppedEarly = end < last;
    else
      keepBest(r, d);
  }
}

}  // namespace latentlab::detail

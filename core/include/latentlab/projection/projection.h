#pragma once
// 2D views of the latent codes, written for LatentLab: kNN (knn.cpp), t-SNE (tsne.cpp: Barnes-Hut or
// FFT repulsion), UMAP (umap.cpp), both on tensors (layout_tensor.cpp), placement and the drag inverse
// (placement.cpp), quality (layout_quality.cpp), CSV and cache files (layout_io.cpp), whole layouts
// (layout.cpp). Torch-free header. Points are rows of a row-major float array X [n, d]; layouts [n, 2].
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace latentlab {

// k nearest neighbours of every row (Euclidean, the row itself excluded), nearest first.
struct Knn {
  int64_t n = 0;
  int k = 0;
  std::vector<int32_t> idx;  // [n, k]
  std::vector<float> dist;   // [n, k], Euclidean distances
  bool exact = true;
};

// Exact, in blocks of pairwise distances on `device` ("cpu" or "cuda", through LibTorch).
Knn knnExact(const float* X, int64_t n, int64_t d, int k, const std::string& device = "cpu",
             const std::atomic<bool>* cancel = nullptr);
// Approximate, with an HNSW index (hnswlib; M 16, ef 200 at construction, max(k, 64) at query),
// deterministic for a seed when built with one thread.
Knn knnApprox(const float* X, int64_t n, int64_t d, int k, uint64_t seed, int threads = 0,
              const std::atomic<bool>* cancel = nullptr);
// Exact up to `exactMax` points or on CUDA, approximate above.
Knn knnAuto(const float* X, int64_t n, int64_t d, int k, const std::string& device, uint64_t seed, int threads = 0,
            const std::atomic<bool>* cancel = nullptr, int64_t exactMax = 20000);

// Called from the optimiser every few iterations with the current layout [n, 2]; also the
// progress report (iteration of iterations). Runs on the optimiser's thread.
using LayoutProgress = std::function<void(const std::vector<float>& xy, int iteration, int iterations)>;

struct TsneOptions {
  double perplexity = 30;
  int iterations = 750;  // in all, including the early exaggeration
  int exaggerationIterations = 250;
  double exaggeration = 12;
  double theta = 0.5;       // Barnes-Hut accuracy
  double learningRate = 0;  // 0: max(n / exaggeration, 200)
  uint64_t seed = 0;        // jitters the PCA initialisation of duplicate points only
  int threads = 0;          // 0: all cores
  int progressEvery = 10;
  // Optional replacement for the Barnes-Hut repulsion: given the layout y [n, 2], fills
  // rep [n, 2] with sum_j w_ij^2 (y_i - y_j) and returns Z = sum_{i != j} w_ij, w = 1/(1+|y_i-y_j|^2).
  // layout_tensor.cpp provides an FFT-interpolated one (FIt-SNE) through LibTorch; see fftRepulsion().
  std::function<double(const double* y, int64_t n, double* rep)> repulsion;
  int fftNodes = 3;  // Lagrange nodes per box and dimension of the tensor engine's FFT repulsion
};
// Barnes-Hut t-SNE on the kNN graph `knn` (k should be about 3 x perplexity) of X. PCA
// initialisation scaled to standard deviation 1e-4, momentum 0.5 then 0.8 with gains.
// Deterministic for given inputs and options, whatever the thread count. Throws CancelledError.
std::vector<float> runTsne(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt,
                           const LayoutProgress& progress = {}, const std::atomic<bool>* cancel = nullptr);

struct UmapOptions {
  int neighbours = 15;
  double minDist = 0.1, spread = 1.0;
  int epochs = 0;  // 0: 200 above 10,000 points, 500 up to that
  int negativeSamples = 5;
  double learningRate = 1.0;  // decays linearly to 0
  uint64_t seed = 0;
  int progressEvery = 5;  // epochs
};
// UMAP on the kNN graph `knn` (its first opt.neighbours columns are used): smooth kNN distances,
// fuzzy union, a and b fitted to min_dist/spread, PCA initialisation, SGD with negative sampling
// and gradient clipping at 4. Single-threaded SGD, so deterministic for a seed.
std::vector<float> runUmap(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt,
                           const LayoutProgress& progress = {}, const std::atomic<bool>* cancel = nullptr);
// The curve 1 / (1 + a x^(2b)) fitted by least squares to UMAP's target membership curve.
void fitUmapAB(double minDist, double spread, double& a, double& b);

// The FFT-interpolated t-SNE repulsion (Linderman et al.'s FIt-SNE: Lagrange nodes in each box,
// boxes at most 1 embedding unit wide, 50 to 1,000 a side, kernel convolved by FFT on `device`).
// With 3 nodes the forces are within about 4% of the exact sums (6 nodes: 0.1%). On the CPU the
// spreading onto the grid and the interpolation back run as plain loops unless `tensorOps` (the
// tensor ops a GPU runs; for tests).
std::function<double(const double* y, int64_t n, double* rep)> fftRepulsion(const std::string& device = "cpu",
                                                                            int nodesPerBox = 3,
                                                                            bool tensorOps = false);

// The tensor engine: the same t-SNE and UMAP (the same graph, initialisation and schedules) with
// every iteration in LibTorch on `device`, for GPUs. t-SNE's repulsion is always the FFT one
// (TsneOptions::fftNodes); UMAP applies all edges due in an epoch at once from the same positions
// (as GPU UMAP implementations do) and draws its negative samples from a counter-based hash of the
// seed, so both are deterministic for a seed on any device. In float32. Throws CancelledError.
std::vector<float> runTsneTensor(const float* X, int64_t n, int64_t d, const Knn& knn, const TsneOptions& opt,
                                 const std::string& device, const LayoutProgress& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);
std::vector<float> runUmapTensor(const float* X, int64_t n, int64_t d, const Knn& knn, const UmapOptions& opt,
                                 const std::string& device, const LayoutProgress& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);

// PCA to 2D (the first two principal axes, the sign rule of viewmath's fitPca2).
std::vector<float> runPca(const float* X, int64_t n, int64_t d);

struct LayoutQuality {
  double trustworthiness = 0;  // @k, on the sample
  double knnRecall = 0;        // share of each point's k nearest in z that are among its k nearest in 2D
  double knnAccuracy = 0;      // leave-one-out k-NN classification accuracy in 2D (majority of k)
  int64_t sample = 0;
  int k = 15;
};
// On a random sample of `sample` points (all when n is smaller), with exact distances in both spaces.
LayoutQuality layoutQuality(const float* X, int64_t n, int64_t d, const float* xy, const int32_t* labels,
                            int64_t sample = 2000, int k = 15, uint64_t seed = 0);

// Out-of-sample placement into a finished layout, without moving the existing points: start at
// the weighted mean of the 2D positions of the new point's k nearest latents, then a few steps of
// the layout's own attraction (to those neighbours) and repulsion (from a fixed random sample of
// the others). Deterministic for a seed.
struct Placer {
  const float* X = nullptr;   // [n, d] the layout's latents
  const float* xy = nullptr;  // [n, 2] the layout
  int64_t n = 0, d = 0;
  std::string method = "umap";  // umap | tsne: which attraction kernel
  int k = 15;
  int steps = 30;
  uint64_t seed = 0;
  void place(const float* z, float& x, float& y) const;
};

// The inverse for a non-linear view: the latent code under a 2D point is the convex combination
// of the latent codes of its k nearest projected points, with inverse-distance weights.
struct InverseResult {
  std::vector<float> z;             // [d]
  std::vector<int64_t> neighbours;  // [k]
  std::vector<float> weights;       // [k], >= 0, sum 1
  bool outside = false;             // the 2D point lies outside its neighbours' convex hull (extrapolation)
};
InverseResult inverseProject(const float* X, const float* xy, int64_t n, int64_t d, float tx, float ty, int k = 8);

// A whole layout as the GUI and `latentlab project` make it: the kNN graph (exact up to 20k
// points or on CUDA, else HNSW), the method (pca | tsne | umap) with its defaults on the chosen
// engine, then the
// quality on a 2,000-point sample. With a cache directory, a valid cached layout for the same
// latents is reused and a new one is saved there (atomically). Throws CancelledError.
struct LayoutResult {
  std::vector<float> xy;  // [n, 2]
  LayoutQuality quality;
  double knnSeconds = 0, layoutSeconds = 0, qualitySeconds = 0;
  bool fromCache = false;
  bool knnExact = true;
  std::string engine;      // cpu | tensor: which engine optimised it ("" for PCA or a cached layout)
  std::string cacheError;  // why the cache could not be written ("" when it was, or no cache)
};
struct LayoutRequest {
  std::string method = "tsne";
  const float* X = nullptr;
  int64_t n = 0, d = 0;
  const int32_t* labels = nullptr;  // for the 2D kNN accuracy (may be null)
  std::string device = "cpu";
  uint64_t seed = 0;
  int threads = 0;
  std::string cacheDir;           // "" = no cache
  std::string cacheTag = "test";  // which points: part of the cache file name
  int tsneIterations = 750;
  std::string tsneRepulsion = "auto";  // bh | fft | auto (FFT from 20,000 points); the CPU engine's
  std::string engine = "auto";         // cpu | tensor | auto (the tensor engine on CUDA, else the CPU one)
};
// Throws InputError naming the bad value: method pca|tsne|umap, engine cpu|tensor|auto, t-SNE
// repulsion bh|fft|auto. computeLayout checks these first; callers may check before costly setup.
void checkLayoutOptions(const std::string& method, const std::string& engine, const std::string& tsneRepulsion);
LayoutResult computeLayout(const LayoutRequest& req, const LayoutProgress& progress = {},
                           const std::atomic<bool>* cancel = nullptr);
std::string layoutCachePath(const std::string& cacheDir, const std::string& method, const std::string& tag);

// Layout CSV: header `index,x,y`, one row per point in dataset order. Reading checks every row
// and throws InputError naming the file and line.
void writeLayoutCsv(const std::string& path, const std::vector<float>& xy);
std::vector<float> readLayoutCsv(const std::string& path, int64_t expectedPoints);
std::vector<float> parseLayoutCsv(const std::string& text, const std::string& source, int64_t expectedPoints);

// The bundle's layout cache (binary, with a header that records the method, the point count and
// a checksum of the latents it was computed from). Loading returns false, never throws, when the
// file is missing, corrupt, or does not match `n` and `latentsChecksum`.
uint64_t latentsChecksum(const float* X, int64_t n, int64_t d);
void saveLayoutCache(const std::string& path, const std::string& method, const std::vector<float>& xy,
                     uint64_t checksum, const std::string& qualityJson);
bool loadLayoutCache(const std::string& path, const std::string& method, int64_t n, uint64_t checksum,
                     std::vector<float>& xy, std::string* qualityJson = nullptr);
// The same on the file's bytes (what loadLayoutCache reads; fuzzed).
bool parseLayoutCache(const std::string& bytes, const std::string& method, int64_t n, uint64_t checksum,
                      std::vector<float>& xy, std::string* qualityJson = nullptr);

}  // namespace latentlab

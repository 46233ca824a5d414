#pragma once
// What every `latentlab explain` writer shares: the marker in summary.json that makes a folder an
// explain folder, the check of --out, and PNG output.
#include <cstdint>
#include <string>
#include <vector>

namespace latentlab {

inline constexpr const char* kExplainMarker = "latentlab_explain";

// Where the results may go: a new folder, or with `force` an earlier explain folder that holds only
// what explain writes. Never inside a bundle. Throws InputError naming the folder.
void checkExplainOut(const std::string& out, bool force);

// An 8-bit PNG (1 or 3 channels, rows top to bottom) written atomically.
void writePngFile(const std::string& path, int w, int h, int channels, const std::vector<uint8_t>& px);

}  // namespace latentlab

// A main() for fuzz targets in builds without libFuzzer: runs every file of
// the given corpus directories through LLVMFuzzerTestOneInput, then
// --mutations=N random mutations of them (bit flips, byte insertions and
// deletions, truncations, splices of two seeds). A crash or a sanitizer
// report fails the run; the seed of the random generator is printed so a
// failure can be replayed with --seed=S.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string Mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  std::string s = seeds[rng() % seeds.size()];
  int edits = 1 + rng() % 8;
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // insert a byte, often a structural one
        s.insert(s.begin() + (s.empty() ? 0 : rng() % (s.size() + 1)),
                 "{}[]\":,/?=&%:\\\0x9-"[rng() % 19]);
        break;
      case 2:  // delete a run
        if (!s.empty()) {
          size_t at = rng() % s.size();
          s.erase(at, 1 + rng() % std::min<size_t>(8, s.size() - at));
        }
        break;
      case 3:  // truncate
        if (!s.empty()) s.resize(rng() % s.size());
        break;
      case 4: {  // splice with another seed
        const std::string& other = seeds[rng() % seeds.size()];
        if (!other.empty()) s += other.substr(rng() % other.size());
        break;
      }
      case 5:  // random byte anywhere
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  uint64_t seed = std::random_device{}();
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--mutations=", 12) == 0) {
      mutations = std::atol(argv[i] + 12);
    } else if (std::strncmp(argv[i], "--seed=", 7) == 0) {
      seed = std::strtoull(argv[i] + 7, nullptr, 10);
    } else {
      std::filesystem::path path(argv[i]);
      std::vector<std::filesystem::path> files;
      if (std::filesystem::is_directory(path)) {
        for (const auto& entry : std::filesystem::directory_iterator(path)) files.push_back(entry.path());
      } else {
        files.push_back(path);
      }
      for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        seeds.push_back(s.str());
      }
    }
  }
  if (seeds.empty()) seeds.push_back("");
  std::printf("replaying %zu seed(s), then %ld mutation(s) with --seed=%llu\n", seeds.size(),
              mutations, static_cast<unsigned long long>(seed));
  for (const std::string& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::mt19937_64 rng(seed);
  for (long i = 0; i < mutations; ++i) {
    std::string s = Mutate(seeds, rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("%zu passed, 0 failed\n", seeds.size() + static_cast<size_t>(mutations));
  return 0;
}

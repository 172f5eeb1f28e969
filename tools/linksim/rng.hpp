// Deterministic random numbers for linksim: splitmix64 for seeding and
// hashing, xoshiro256** for streams. All derived values (bounded integers,
// doubles, exponentials) are computed here with fixed arithmetic, never with
// std::*_distribution, whose output differs between standard libraries.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace botwarden::linksim {

// One splitmix64 step: also a good 64-bit mixing function for hashing.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A stream key from a parent key and a label (subscriber index, purpose...),
// so that streams stay independent of each other's consumption.
constexpr std::uint64_t derive(std::uint64_t parent, std::uint64_t label) {
  return mix64(parent ^ mix64(label + 0x632be59bd9b4e019ULL));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (auto& word : state_) {
      s = mix64(s);
      word = s;
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (inclusive); spans stay far below 2^53.
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) return lo;
    const auto span = static_cast<double>(hi - lo) + 1.0;
    return lo + static_cast<std::int64_t>(uniform() * span);
  }
  std::size_t index(std::size_t size) {
    return static_cast<std::size_t>(between(0, static_cast<std::int64_t>(size) - 1));
  }
  bool chance(double p) { return uniform() < p; }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // Log-uniform in [lo, hi]: heavy on small values, as flow sizes are.
  double log_uniform(double lo, double hi) { return lo * std::exp(uniform() * std::log(hi / lo)); }
  // Poisson count with the given mean (Knuth for small means, normal approximation above).
  std::int64_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 60) {
      const double u1 = 1.0 - uniform(), u2 = uniform();
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      const double v = std::round(mean + z * std::sqrt(mean));
      return v < 0 ? 0 : static_cast<std::int64_t>(v);
    }
    const double limit = std::exp(-mean);
    std::int64_t k = 0;
    double p = uniform();
    while (p > limit) {
      ++k;
      p *= uniform();
    }
    return k;
  }
  template <class T>
  const T& pick(const std::vector<T>& items) { return items[index(items.size())]; }
  // A random string over `alphabet`.
  std::string text(std::size_t length, std::string_view alphabet) {
    std::string out(length, ' ');
    for (auto& c : out) c = alphabet[index(alphabet.size())];
    return out;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

inline constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
inline constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
inline constexpr std::string_view kLowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace botwarden::linksim

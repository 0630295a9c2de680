#include "mutators/mutation.h"

#include <algorithm>
#include <memory>

namespace jetfault::fuzz {

void MutateField(MutationRng& rng, std::span<std::uint8_t> field, std::span<const std::uint8_t> donor,
                 const ByteMutator& bytes) {
  if (field.empty()) return;
  switch (rng.Below(7)) {
    case 0:  // one bit
      field[rng.Below(field.size())] ^= static_cast<std::uint8_t>(1u << rng.Below(8));
      break;
    case 1: {  // a small step of the little-endian integer (width 1, 2, 4 or 8)
      const std::size_t width = std::min<std::size_t>(field.size(), std::size_t{1} << rng.Below(4));
      std::uint64_t v = 0;
      for (std::size_t k = 0; k < width; ++k) v |= std::uint64_t{field[k]} << (8 * k);
      const std::uint64_t step = 1 + rng.Below(16);
      v = rng.Percent(50) ? v + step : v - step;
      for (std::size_t k = 0; k < width; ++k) field[k] = static_cast<std::uint8_t>(v >> (8 * k));
      break;
    }
    case 2: {  // an extreme value of the little-endian integer: 0, all ones, signed max or min
      const std::size_t which = rng.Below(4);
      std::fill(field.begin(), field.end(), which == 1 || which == 2 ? 0xFF : 0x00);
      if (which == 2) field.back() = 0x7F;
      if (which == 3) field.back() = 0x80;
      break;
    }
    case 3:  // random bytes
      for (std::size_t k = rng.Below(field.size()); k < field.size(); k += 1 + rng.Below(4)) {
        field[k] = static_cast<std::uint8_t>(rng.Next());
      }
      break;
    case 4:  // bytes from elsewhere in the file: values the format really holds
      if (donor.size() >= field.size()) {
        const std::size_t from = rng.Below(donor.size() - field.size() + 1);
        std::copy_n(donor.begin() + static_cast<std::ptrdiff_t>(from), field.size(), field.begin());
        break;
      }
      [[fallthrough]];
    default: {  // libFuzzer's own mutation (dictionary, compare operands), size kept
      std::vector<std::uint8_t> copy(field.begin(), field.end());
      const std::size_t n = bytes(copy.data(), copy.size(), copy.size());
      std::copy_n(copy.begin(), std::min(n, copy.size()), field.begin());
      break;
    }
  }
}

ByteMutator SimpleByteMutator(std::uint64_t seed) {
  auto rng = std::make_shared<MutationRng>(seed);
  return [rng](std::uint8_t* data, std::size_t size, std::size_t max_size) {
    const std::size_t steps = 1 + rng->Below(4);
    for (std::size_t i = 0; i < steps; ++i) {
      switch (rng->Below(4)) {
        case 0:
        case 1:
          if (size > 0) data[rng->Below(size)] ^= static_cast<std::uint8_t>(1u << rng->Below(8));
          break;
        case 2:
          if (size < max_size) {
            const std::size_t at = rng->Below(size + 1);
            std::copy_backward(data + at, data + size, data + size + 1);
            data[at] = static_cast<std::uint8_t>(rng->Next());
            ++size;
          }
          break;
        default:
          if (size > 0) {
            const std::size_t at = rng->Below(size);
            std::copy(data + at + 1, data + size, data + at);
            --size;
          }
          break;
      }
    }
    return size;
  };
}

}  // namespace jetfault::fuzz

#pragma once
// Order id -> pool index, for O(1) cancel and modify. Open addressing with
// linear probing and backward-shift deletion (no tombstones, so a long run
// of adds and cancels never degrades lookups); load <= 1/2.
//
// A slot is 8 bytes: the pool index and a 32-bit tag, the top half of the
// id's Fibonacci hash. The tag alone gives an entry's home slot (for
// shifting and growing), and a lookup only touches the pool (through
// `key_of`) when a tag matches, which for a different id happens with
// probability 2^-32. Small slots keep many books' maps in cache.
// It allocates only when it grows, which a warmed-up engine does not do.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace tickcast::matching {

class IdMap {
 public:
  static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();

  explicit IdMap(std::size_t expected = 1024) { rebuild(capacity_for(expected)); }

  std::size_t size() const noexcept { return size_; }

  // `key_of(value)` must return the key stored with `value`.
  template <class KeyOf>
  std::uint32_t find(std::uint64_t key, const KeyOf& key_of) const noexcept {
    const std::uint32_t tag = tag_of(key);
    for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
      const Slot slot = slots_[i];
      if (slot.value == kAbsent) return kAbsent;
      if (slot.tag == tag && key_of(slot.value) == key) return slot.value;
    }
  }

  // `key` must not be present; `value` must not be kAbsent.
  void insert(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rebuild(slots_.size() * 2);
    place({tag_of(key), value});
    ++size_;
  }

  template <class KeyOf>
  void erase(std::uint64_t key, const KeyOf& key_of) noexcept {
    const std::uint32_t tag = tag_of(key);
    std::size_t hole = home(tag);
    for (;; hole = (hole + 1) & mask_) {
      if (slots_[hole].value == kAbsent) return;
      if (slots_[hole].tag == tag && key_of(slots_[hole].value) == key) break;
    }
    // Pull back every later entry of the probe run that may move into the
    // hole, so lookups never meet a gap before their key.
    for (std::size_t next = (hole + 1) & mask_; slots_[next].value != kAbsent;
         next = (next + 1) & mask_) {
      const std::size_t want = home(slots_[next].tag);
      const bool stays = hole <= next ? (hole < want && want <= next)
                                      : (hole < want || want <= next);
      if (!stays) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole].value = kAbsent;
    --size_;
  }

  void clear() noexcept {
    for (Slot& slot : slots_) slot.value = kAbsent;
    size_ = 0;
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t value = kAbsent;
  };

  static std::size_t capacity_for(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    return capacity;
  }

  // Fibonacci hashing spreads sequential ids over the whole table.
  static std::uint32_t tag_of(std::uint64_t key) noexcept {
    return static_cast<std::uint32_t>((key * 0x9E3779B97F4A7C15ull) >> 32);
  }
  std::size_t home(std::uint32_t tag) const noexcept { return tag >> shift_; }

  void place(Slot entry) noexcept {
    std::size_t i = home(entry.tag);
    while (slots_[i].value != kAbsent) i = (i + 1) & mask_;
    slots_[i] = entry;
  }

  void rebuild(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 32;  // home = the top log2(capacity) bits of the tag
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (const Slot& slot : old) {
      if (slot.value != kAbsent) place(slot);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 32;
  std::size_t size_ = 0;
};

}  // namespace tickcast::matching

#include "input_positions.hpp"

namespace tickcast::matching {

void InputPositions::restore(const std::vector<InputOffset>& offsets) {
  offsets_ = offsets;
  acked_.assign(offsets_.size(), -1);
  last_ = 0;
  held_.reset();
  held_at_.clear();
}

bool InputPositions::arrive(std::string_view topic, std::int32_t partition, std::int64_t offset,
                            std::int64_t acked) {
  // Nearly always one partition: the entry of the last input.
  if (last_ >= offsets_.size() || offsets_[last_].partition != partition || offsets_[last_].topic != topic) {
    last_ = 0;
    while (last_ < offsets_.size() && (offsets_[last_].partition != partition || offsets_[last_].topic != topic)) ++last_;
    if (last_ == offsets_.size()) {
      offsets_.push_back({std::string(topic), partition, 0});
      acked_.push_back(-1);
    }
  }
  if (acked > acked_[last_]) acked_[last_] = acked;
  arrived_ = offset;
  return offset >= offsets_[last_].next;
}

void InputPositions::consumed() { offsets_[last_].next = arrived_ + 1; }

void InputPositions::hold(std::string snapshot) {
  held_ = std::move(snapshot);
  held_at_ = offsets_;
}

std::optional<std::string> InputPositions::take_durable() {
  if (!held_) return std::nullopt;
  for (const InputOffset& at : held_at_) {
    std::size_t i = 0;
    while (i < offsets_.size() && (offsets_[i].partition != at.partition || offsets_[i].topic != at.topic)) ++i;
    if (i == offsets_.size() || acked_[i] < at.next) return std::nullopt;
  }
  std::optional<std::string> out = std::move(held_);
  held_.reset();
  held_at_.clear();
  return out;
}

}  // namespace tickcast::matching

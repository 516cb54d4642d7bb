// Where the engine stands in a replayable input (a Kafka partition), and the
// snapshot that waits until it is safe to keep. Used by the matching stage
// with `positions_file` (docs/reliability.md, "Exactly-once trades from the
// engine").
//
// A snapshot taken after the inputs before offset N may only replace the last
// one once every output of those inputs is durable: after a crash the engine
// restarts from the kept snapshot and re-emits the outputs of the inputs
// after it, and nothing can re-emit outputs of inputs before it. So a new
// snapshot is held until the source reports (through each input's `acked`)
// that every sink handled the outputs of the inputs before N. One snapshot
// is held at a time: a later one is not taken until it is released, so the
// held one is always released once the acknowledgements catch up.
//
// Not thread-safe: the stage's strand only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"

namespace tickcast::matching {

class InputPositions {
 public:
  // Starts from a restored snapshot's offsets (none: from the beginning).
  void restore(const std::vector<InputOffset>& offsets);

  // An input at `offset` of topic/partition arrived, with the source's
  // acknowledged point `acked`. False if the input is one the engine has
  // already consumed: the source went back (it re-reads after a sink failed
  // a batch), and the engine's state is past it.
  bool arrive(std::string_view topic, std::int32_t partition, std::int64_t offset, std::int64_t acked);
  // The input arrive() accepted last was processed.
  void consumed();

  // The first offset not yet consumed, per partition seen or restored.
  const std::vector<InputOffset>& offsets() const { return offsets_; }

  bool holding() const { return held_.has_value(); }
  // Holds `snapshot`, which reflects offsets() as they are now.
  void hold(std::string snapshot);
  // The held snapshot once every output of the inputs it reflects is
  // acknowledged (and then no longer held); nullopt until then.
  std::optional<std::string> take_durable();

 private:
  std::vector<InputOffset> offsets_;
  std::vector<std::int64_t> acked_;  // per entry of offsets_
  std::size_t last_ = 0;             // the entry arrive() matched
  std::int64_t arrived_ = 0;         // the offset arrive() was given
  std::optional<std::string> held_;
  std::vector<InputOffset> held_at_;
};

}  // namespace tickcast::matching

// The matching_engine stage: each input event's payload is one order (JSON,
// docs/protocol.md); the outputs are the trade, depth and order events the
// engine produced, on channels trades.<SYM>, depth.<SYM> and orders.<user>,
// keyed by symbol, with the engine's seq and timestamp.
//
// Snapshots (`snapshot_path`): on stop, and every `snapshot_every` orders,
// the engine's state and the count of orders it has consumed are written
// (atomically: a temp file renamed). On start an existing snapshot is
// restored and that many input orders are skipped, so replaying the same
// input from its beginning continues exactly where the snapshot left off.
//
// With `positions_file` (a Kafka input: kafka_source with start_from), the
// stage counts nothing: each input carries its topic/partition/offset (header
// tc.in), a snapshot records the next offset per partition, and it replaces
// the last one only once every output of the inputs it reflects is durable
// (input_positions.hpp). On start the restored offsets are written to
// `positions_file`, where the source starts reading, and the first output
// says since when outputs may be re-emitted (tc.replay_since) for a
// deduplicating sink. docs/reliability.md has the whole design.
#pragma once

#include <memory>

#include <tickcast/tickcast.hpp>

#include "codec.hpp"
#include "engine.hpp"
#include "input_positions.hpp"
#include <tickcast/payload_slabs.hpp>

namespace tickcast::matching {

class MatchingStage final : public Stage, private EncodedEventSink {
public:
    explicit MatchingStage(const ConfigNode& options);
    ~MatchingStage() override;
    static OptionSpecs options();

    void start(StageContext& context) override;
    void process(const EventBatch& in, EventBatch& out) override;
    void stop() override;

private:
    void on_event(const EncodedEvent& e) override;
    void write_snapshot();
    void persist(const std::string& bytes);
    void restore(StageContext& context);
    void process_positioned(const EventBatch& in);
    void write_positions_file();

    std::unique_ptr<Engine> engine_;
    std::unique_ptr<JsonOrderProcessor> processor_;
    std::string snapshot_path_;
    std::uint64_t snapshot_every_ = 0;
    std::string positions_file_;           // set: the input's positions drive snapshots and restarts
    InputPositions positions_;
    std::int64_t replay_since_ = 0;        // taken_ns of the restored snapshot (0: none)
    bool replay_announced_ = false;        // the first output carries tc.replay_since
    bool input_failed_ = false;            // context.fail() was called about the input
    std::uint64_t consumed_ = 0;       // input orders the engine has seen, including restored ones
    std::uint64_t skip_until_ = 0;     // inputs already reflected in a restored snapshot
    std::uint64_t position_ = 0;       // inputs seen by this process (for skipping)
    std::uint64_t processed_ = 0;      // inputs processed by this process
    std::uint64_t produced_ = 0;       // output events from them, for sizing the output batch
    PayloadSlabs payloads_;
    EventBatch* out_ = nullptr;
    const Event* input_ = nullptr;
    StageContext* context_ = nullptr;
    prometheus::Counter* orders_ = nullptr;
    prometheus::Counter* trades_ = nullptr;
};

}  // namespace tickcast::matching

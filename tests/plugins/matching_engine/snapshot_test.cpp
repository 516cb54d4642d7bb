// Snapshot/restore and determinism: a restored engine continues exactly as
// an uninterrupted one would, and the same input gives the same bytes.
#include <boost/crc.hpp>
#include <gtest/gtest.h>

#include "orderflow.hpp"
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

constexpr std::size_t kOrders = 60'000;
constexpr std::size_t kSnapshotAt = 35'000;

OrderflowOptions flow_options(std::uint64_t seed = 3) {
  OrderflowOptions options;
  options.symbols = {spec("BTC-USDT", "0.01", "0.001", "1"), spec("ETH-USDT", "0.05", "1")};
  options.seed = seed;
  options.users = 5;
  return options;
}

std::vector<std::string> json_stream(std::size_t count, std::uint64_t seed = 3) {
  Orderflow flow(flow_options(seed));
  std::vector<std::string> out(count);
  for (auto& json : out) flow.next_json(json);
  out[100] = "{not json";  // an unattributable rejection moves its own sequence
  return out;
}

// Runs payloads [from, to) through `engine`, with ts = the payload index.
struct Runner {
  explicit Runner(SelfTradePrevention stp = SelfTradePrevention::cancel_maker)
      : engine([this, stp] {
          EngineConfig c = config(stp);
          c.clock = [this] { return now; };
          return c;
        }()) {}
  static EngineConfig config(SelfTradePrevention stp) {
    EngineConfig c;
    c.symbols = flow_options().symbols;
    c.stp = stp;
    return c;
  }
  std::vector<std::string> run(const std::vector<std::string>& input, std::size_t from, std::size_t to) {
    Recorder recorder;
    for (std::size_t i = from; i < to; ++i) {
      now = std::int64_t(i);
      processor.process(input[i], recorder);
    }
    std::vector<std::string> out;
    // The envelope seq too: private channels count per user, not per symbol.
    for (const auto& e : recorder.events) out.push_back(e.channel + " " + std::to_string(e.seq) + " " + e.payload);
    return out;
  }
  std::int64_t now = 0;
  Engine engine;
  JsonOrderProcessor processor{engine};
};

TEST(Snapshot, restoring_and_replaying_the_rest_gives_the_uninterrupted_output) {
  const auto input = json_stream(kOrders);
  Runner uninterrupted;
  uninterrupted.run(input, 0, kSnapshotAt);
  const std::string snapshot = uninterrupted.engine.write_snapshot(kSnapshotAt);
  const auto expected = uninterrupted.run(input, kSnapshotAt, kOrders);

  Runner restored;
  const RestoreResult result = restored.engine.restore_snapshot(snapshot);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.input_position, kSnapshotAt);
  EXPECT_EQ(restored.engine.write_snapshot(kSnapshotAt), snapshot);  // same state, same bytes
  const auto actual = restored.run(input, result.input_position, kOrders);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) ASSERT_EQ(actual[i], expected[i]) << "event " << i;
}

TEST(Snapshot, an_empty_engine_round_trips) {
  Runner a, b;
  const std::string snapshot = a.engine.write_snapshot(0);
  ASSERT_TRUE(b.engine.restore_snapshot(snapshot).ok);
  EXPECT_EQ(b.engine.write_snapshot(0), snapshot);
}

TEST(Snapshot, input_offsets_and_the_capture_time_round_trip) {
  const auto input = json_stream(3000);
  Runner a;
  a.run(input, 0, 3000);
  const SnapshotInput at{3000, 1'764'000'000'123'456'789, {{"orders", 0, 3012}, {"orders-eu", 3, 17}}};
  const std::string snapshot = a.engine.write_snapshot(at);
  Runner b;
  const RestoreResult r = b.engine.restore_snapshot(snapshot);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.input, at);
  EXPECT_EQ(r.input_position, 3000u);
  EXPECT_EQ(b.engine.write_snapshot(at), snapshot);
}

TEST(Snapshot, a_version_2_snapshot_restores_with_no_input_offsets) {
  // SnapshotBytes below writes the version 2 layout.
  Engine engine(test_config());
  const std::string v3 = engine.write_snapshot(SnapshotInput{7, 99, {{"orders", 0, 8}}});
  std::string v2 = "TCMESNAP";
  for (std::uint32_t i = 0, v = 2; i < 4; ++i) v2.push_back(char(v >> (8 * i) & 0xff));
  // version 3 adds i64 taken_ns, u32 count and the offsets after the input position
  const std::size_t offsets_size = 8 + 4 + (4 + 6) + 4 + 8;
  v2 += v3.substr(12, 8);
  v2 += v3.substr(20 + offsets_size, v3.size() - 4 - (20 + offsets_size));
  boost::crc_32_type crc;
  crc.process_bytes(v2.data(), v2.size());
  for (std::uint32_t i = 0, c = crc.checksum(); i < 4; ++i) v2.push_back(char(c >> (8 * i) & 0xff));
  Engine restored(test_config());
  const RestoreResult r = restored.restore_snapshot(v2);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.input.orders, 7u);
  EXPECT_EQ(r.input.taken_ns, 0);
  EXPECT_TRUE(r.input.offsets.empty());
}

TEST(Snapshot, an_invalid_input_offset_is_refused) {
  Engine engine(test_config());
  const RestoreResult r = Engine(test_config()).restore_snapshot(engine.write_snapshot(SnapshotInput{1, 5, {{"orders", -1, 3}}}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "matching engine snapshot: invalid input offset orders/-1/3");
}

class BadSnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto input = json_stream(2000);
    source.run(input, 0, 2000);
    snapshot = source.engine.write_snapshot(2000);
    target.run(input, 0, 10);
    before = target.engine.write_snapshot(10);
  }
  std::string restore_error(const std::string& bytes) {
    const RestoreResult result = target.engine.restore_snapshot(bytes);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(target.engine.write_snapshot(10), before) << "a failed restore changed the engine";
    return result.error;
  }
  Runner source, target;
  std::string snapshot, before;
};

TEST_F(BadSnapshot, garbage_is_refused) {
  EXPECT_EQ(restore_error("hello"), "matching engine snapshot: not a snapshot (bad magic)");
}

TEST_F(BadSnapshot, a_flipped_byte_is_caught_by_the_checksum) {
  std::string bytes = snapshot;
  bytes[bytes.size() / 2] ^= 0x01;
  EXPECT_EQ(restore_error(bytes), "matching engine snapshot: checksum mismatch (truncated or corrupted)");
}

TEST_F(BadSnapshot, a_truncated_snapshot_is_refused) {
  EXPECT_EQ(restore_error(snapshot.substr(0, snapshot.size() - 10)),
            "matching engine snapshot: checksum mismatch (truncated or corrupted)");
}

TEST_F(BadSnapshot, another_symbol_configuration_is_refused_with_both_sides_named) {
  EngineConfig config;
  config.symbols = {spec("BTC-USDT", "0.1", "0.001", "1"), spec("ETH-USDT", "0.05", "1")};
  config.stp = SelfTradePrevention::cancel_maker;
  Engine other(std::move(config));
  const RestoreResult result = other.restore_snapshot(snapshot);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "matching engine snapshot: symbol BTC-USDT {tick 0.01, lot 0.001, band \"1\"} does not "
            "match the configured BTC-USDT {tick 0.1, lot 0.001, band \"1\"}");
}

TEST_F(BadSnapshot, another_self_trade_mode_is_refused) {
  EngineConfig config = Runner::config(SelfTradePrevention::none);
  Engine engine(std::move(config));
  EXPECT_EQ(engine.restore_snapshot(snapshot).error,
            "matching engine snapshot: written with self_trade_prevention cancel_maker, this engine "
            "uses none");
}

// ts is always the last field of a payload.
std::string without_ts(const std::string& payload) { return payload.substr(0, payload.rfind(R"("ts":)")); }

TEST(Determinism, the_same_input_gives_byte_identical_output_apart_from_ts) {
  const auto input = json_stream(20'000, 9);
  std::vector<std::string> outputs[2];
  for (auto& output : outputs) {
    EngineConfig config = Runner::config(SelfTradePrevention::cancel_taker);  // real clock
    Engine engine(std::move(config));
    JsonOrderProcessor processor(engine);
    Recorder recorder;
    for (const auto& json : input) processor.process(json, recorder);
    for (const auto& e : recorder.events) output.push_back(e.channel + " " + without_ts(e.payload));
  }
  EXPECT_GT(outputs[0].size(), input.size());
  EXPECT_TRUE(outputs[0] == outputs[1]);
}

// A snapshot written field by field (layout at the top of
// engine_snapshot.cpp) for test_config()'s engine, to hold what the engine
// itself never writes.
class SnapshotBytes {
 public:
  struct Resting {
    OrderId id;
    Side side;
    Price price;
    Qty remaining;
    Qty filled = 0;
  };
  // One user "u"; `btc` rests in BTC-USDT, ETH-USDT is empty.
  explicit SnapshotBytes(const std::vector<Resting>& btc) {
    bytes_ = "TCMESNAP";
    put(std::uint32_t(2)).put(std::uint64_t(5)).put(std::uint8_t(0)).put(std::uint32_t(2));  // version 2
    str("BTC-USDT").str("0.01").str("0.001").str("");
    str("ETH-USDT").str("0.05").str("0.5").str("");
    // unrouted seq, orders.unknown seq; one user and its private channel's seq
    put(std::uint64_t(0)).put(std::uint64_t(0)).put(std::uint32_t(1)).str("u").put(std::uint64_t(0));
    put(std::uint64_t(0)).put(std::uint64_t(0)).put(std::uint64_t(0)).put(std::int64_t(0));
    put(std::uint64_t(btc.size()));
    for (const Resting& o : btc) {
      put(o.id).put(std::uint32_t(0)).put(std::uint8_t(o.side)).put(std::uint8_t(0));
      put(o.price).put(o.remaining).put(o.filled);
    }
    for (int i = 0; i < 4; ++i) put(std::uint64_t(0));  // ETH-USDT: sequences, no reference
    put(std::uint64_t(0));                              // and no orders
    boost::crc_32_type crc;
    crc.process_bytes(bytes_.data(), bytes_.size());
    put(std::uint32_t(crc.checksum()));
  }
  const std::string& str() const { return bytes_; }

 private:
  template <class T>
  SnapshotBytes& put(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes_.push_back(char(std::uint64_t(value) >> (8 * i) & 0xff));
    return *this;
  }
  SnapshotBytes& str(std::string_view text) {
    put(std::uint32_t(text.size()));
    bytes_.append(text);
    return *this;
  }
  std::string bytes_;
};

TEST(SnapshotContent, a_consistent_hand_written_snapshot_restores) {
  Engine engine(test_config());
  const RestoreResult r = engine.restore_snapshot(
      SnapshotBytes({{1, Side::buy, 9'999, 3}, {2, Side::sell, 10'000, 4, 1}}).str());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(engine.book(0).best_price(Side::buy), 9'999);
  EXPECT_EQ(engine.book(0).level_qty(Side::sell, 10'000), 4);
}

// Found by fuzz_snapshot: restore accepted a crossed book, which matching
// assumes never exists.
TEST(SnapshotContent, a_crossed_book_is_refused) {
  Engine engine(test_config());
  const RestoreResult r = engine.restore_snapshot(
      SnapshotBytes({{1, Side::buy, 10'100, 3}, {2, Side::sell, 10'000, 4}}).str());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "matching engine snapshot: crossed book in BTC-USDT (best bid 10100 >= best ask 10000 ticks)");
}

// Found by fuzz_snapshot: a restored order whose filled quantity was near
// INT64_MAX overflowed (UB) on its next fill; two orders could also make a
// level total overflow. Restore now keeps the bounds the engine keeps.
TEST(SnapshotContent, quantities_beyond_the_engines_bounds_are_refused) {
  const Qty max = spec("BTC-USDT", "0.01", "0.001").max_qty();
  for (const auto& orders : std::vector<std::vector<SnapshotBytes::Resting>>{
           {{1, Side::sell, 10'000, 5, max - 4}},
           {{1, Side::sell, 10'000, max}, {2, Side::sell, 10'000, 1}}}) {
    Engine engine(test_config());
    const RestoreResult r = engine.restore_snapshot(SnapshotBytes(orders).str());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "matching engine snapshot: invalid order " + std::to_string(orders.back().id) + " in BTC-USDT");
  }
}

}  // namespace
}  // namespace tickcast::matching::test

// InputPositions: where the engine stands in a Kafka input, and when a held
// snapshot may replace the last durable one.
#include <gtest/gtest.h>

#include "input_positions.hpp"

namespace tickcast::matching::test {
namespace {

// Feeds offsets [from, to) of orders[0] with the given acknowledged point.
void consume(InputPositions& p, std::int64_t from, std::int64_t to, std::int64_t acked) {
  for (std::int64_t offset = from; offset < to; ++offset) {
    ASSERT_TRUE(p.arrive("orders", 0, offset, acked)) << offset;
    p.consumed();
  }
}

TEST(InputPositions, tracks_the_next_offset_per_partition) {
  InputPositions p;
  consume(p, 0, 5, -1);
  ASSERT_TRUE(p.arrive("other", 2, 40, -1));
  p.consumed();
  EXPECT_EQ(p.offsets(), (std::vector<InputOffset>{{"orders", 0, 5}, {"other", 2, 41}}));
}

TEST(InputPositions, an_input_already_consumed_is_refused) {
  InputPositions p;
  p.restore({{"orders", 0, 100}});
  EXPECT_FALSE(p.arrive("orders", 0, 99, -1)) << "the restored state is past offset 99";
  EXPECT_TRUE(p.arrive("orders", 0, 100, -1));
  p.consumed();
  EXPECT_FALSE(p.arrive("orders", 0, 100, -1)) << "a re-read after a failed batch";
  // Offsets may skip (transaction markers, compaction): that is no gap.
  EXPECT_TRUE(p.arrive("orders", 0, 105, -1));
}

TEST(InputPositions, a_held_snapshot_is_released_only_once_its_inputs_are_acknowledged) {
  InputPositions p;
  consume(p, 0, 10, -1);
  p.hold("state after 10");
  EXPECT_TRUE(p.holding());
  consume(p, 10, 20, 5);
  EXPECT_EQ(p.take_durable(), std::nullopt) << "outputs of offsets 5..9 are not acknowledged yet";
  consume(p, 20, 21, 10);
  EXPECT_EQ(p.take_durable(), "state after 10");
  EXPECT_FALSE(p.holding());
  EXPECT_EQ(p.take_durable(), std::nullopt) << "released once";
}

TEST(InputPositions, acknowledgements_never_move_back) {
  InputPositions p;
  consume(p, 0, 10, 8);
  p.hold("s");
  consume(p, 10, 11, 3);  // an older view of the acknowledgements
  EXPECT_EQ(p.take_durable(), std::nullopt);
  consume(p, 11, 12, 10);
  EXPECT_EQ(p.take_durable(), "s");
}

TEST(InputPositions, a_snapshot_over_two_partitions_waits_for_both) {
  InputPositions p;
  consume(p, 0, 4, -1);
  ASSERT_TRUE(p.arrive("orders", 1, 0, -1));
  p.consumed();
  p.hold("s");
  consume(p, 4, 5, 4);
  EXPECT_EQ(p.take_durable(), std::nullopt) << "partition 1 is not acknowledged";
  ASSERT_TRUE(p.arrive("orders", 1, 1, 1));
  p.consumed();
  EXPECT_EQ(p.take_durable(), "s");
}

TEST(InputPositions, restore_starts_over) {
  InputPositions p;
  consume(p, 0, 3, -1);
  p.hold("s");
  p.restore({{"orders", 0, 7}});
  EXPECT_FALSE(p.holding());
  EXPECT_EQ(p.offsets(), (std::vector<InputOffset>{{"orders", 0, 7}}));
}

}  // namespace
}  // namespace tickcast::matching::test

#include <gtest/gtest.h>

#include "offset_tracker.hpp"

using tickcast::kafka::OffsetTracker;
using tickcast::kafka::PartitionOffset;
using tickcast::kafka::TopicPartition;

namespace {
const TopicPartition p0{"t", 0}, p1{"t", 1};
}

TEST(OffsetTracker, commits_nothing_before_an_acknowledgement) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    EXPECT_TRUE(t.take_commits().empty());
    EXPECT_EQ(t.commit_point(p0), -1);
}

TEST(OffsetTracker, commits_the_next_offset_after_the_acknowledged_prefix) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.acked(1);
    EXPECT_EQ(t.take_commits(), (std::vector<PartitionOffset>{{p0, 10}}));
    EXPECT_TRUE(t.take_commits().empty()) << "offered once until it moves again";
}

TEST(OffsetTracker, an_out_of_order_ack_waits_for_the_gap_before_it) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.emitted(p0, 10, 19, 2);
    t.emitted(p0, 20, 29, 3);
    t.acked(3);
    EXPECT_EQ(t.commit_point(p0), -1);
    t.acked(1);
    EXPECT_EQ(t.commit_point(p0), 10);
    t.acked(2);
    EXPECT_EQ(t.commit_point(p0), 30);
    EXPECT_EQ(t.unacked(p0), 0u);
}

TEST(OffsetTracker, a_batch_spanning_partitions_advances_each) {
    OffsetTracker t;
    t.emitted(p0, 5, 7, 1);
    t.emitted(p1, 100, 100, 1);
    t.acked(1);
    EXPECT_EQ(t.take_commits(), (std::vector<PartitionOffset>{{p0, 8}, {p1, 101}}));
}

TEST(OffsetTracker, a_failed_batch_is_read_again_and_nothing_past_it_is_committed) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.emitted(p0, 10, 19, 2);
    t.emitted(p0, 20, 29, 3);
    t.acked(1);
    EXPECT_EQ(t.failed(2), (std::vector<PartitionOffset>{{p0, 10}}));
    t.acked(3);  // superseded: offsets 20.. will be read again
    EXPECT_EQ(t.commit_point(p0), 10);
    t.emitted(p0, 10, 29, 4);
    t.acked(4);
    EXPECT_EQ(t.commit_point(p0), 30);
}

TEST(OffsetTracker, a_failed_commit_is_offered_again) {
    OffsetTracker t;
    t.emitted(p0, 0, 0, 1);
    t.acked(1);
    EXPECT_EQ(t.take_commits().size(), 1u);
    t.commit_failed(p0);
    EXPECT_EQ(t.take_commits(), (std::vector<PartitionOffset>{{p0, 1}}));
}

TEST(OffsetTracker, a_revoked_partition_is_forgotten_and_late_acks_are_ignored) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.forget(p0);
    t.acked(1);
    EXPECT_EQ(t.commit_point(p0), -1);
    EXPECT_TRUE(t.commits_for({p0}).empty());
}

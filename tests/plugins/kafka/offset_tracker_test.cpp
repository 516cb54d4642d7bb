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

// Seen in faults.sh redis_restart: a later batch failed first and was read
// again and written; the earlier one failed 2 s later, and read again only
// then its events reached the Redis stream after later seqs and were refused.
TEST(OffsetTracker, a_failure_reads_again_from_the_first_batch_still_in_flight) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.emitted(p0, 10, 19, 2);
    t.emitted(p0, 20, 29, 3);
    t.emitted(p1, 0, 4, 3);
    t.acked(1);
    EXPECT_EQ(t.failed(3), (std::vector<PartitionOffset>{{p0, 10}, {p1, 0}})) << "batch 2 is in flight: read again from it";
    EXPECT_TRUE(t.failed(2).empty()) << "batch 2 was already read again";
    t.emitted(p0, 10, 29, 4);
    t.acked(4);
    EXPECT_EQ(t.commit_point(p0), 30);
}

TEST(OffsetTracker, a_late_success_of_a_batch_read_again_commits_nothing_twice) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.emitted(p0, 10, 19, 2);
    EXPECT_EQ(t.failed(2), (std::vector<PartitionOffset>{{p0, 0}}));
    t.acked(1);  // in flight when 2 failed: read again anyway, its ack is ignored
    EXPECT_EQ(t.commit_point(p0), -1);
    t.emitted(p0, 0, 19, 3);
    t.acked(3);
    EXPECT_EQ(t.commit_point(p0), 20);
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

// The hypotheses checked for the missing "seq 1" (the cause was the producer):
// the tracker never commits past a partition's first range before it is
// acknowledged, and an assignment's late acks never move the next one's commit.
TEST(OffsetTracker, a_partitions_first_range_acknowledged_last_holds_the_commit_at_nothing) {
    OffsetTracker t;
    t.emitted(p0, 0, 0, 1);  // the partition's first message alone
    t.emitted(p0, 1, 9, 2);
    t.emitted(p1, 0, 4, 2);
    t.acked(2);
    EXPECT_EQ(t.commit_point(p0), -1) << "offset 0 is not acknowledged: nothing may be committed";
    EXPECT_EQ(t.take_commits(), (std::vector<PartitionOffset>{{p1, 5}}));
    t.acked(1);
    EXPECT_EQ(t.take_commits(), (std::vector<PartitionOffset>{{p0, 10}}));
}

TEST(OffsetTracker, late_acks_of_a_revoked_assignment_do_not_move_the_next_assignments_commit) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.emitted(p0, 10, 19, 2);
    t.forget(p0);            // revoked with both batches in flight (revoke_timeout)
    t.emitted(p0, 0, 4, 3);  // assigned again: read from the last commit (none)
    t.acked(2);
    t.acked(1);
    EXPECT_EQ(t.commit_point(p0), -1) << "acks of the old assignment commit nothing of the new one";
    EXPECT_EQ(t.unacked(p0), 1u);
    t.acked(3);
    EXPECT_EQ(t.commit_point(p0), 5);
}

TEST(OffsetTracker, a_failure_reported_after_the_partition_was_revoked_asks_for_no_reread) {
    OffsetTracker t;
    t.emitted(p0, 0, 9, 1);
    t.forget(p0);
    EXPECT_TRUE(t.failed(1).empty());
    t.emitted(p0, 0, 9, 2);
    t.acked(2);
    EXPECT_EQ(t.commit_point(p0), 10);
}

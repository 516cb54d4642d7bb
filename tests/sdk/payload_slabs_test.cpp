#include <tickcast/payload_slabs.hpp>

#include <thread>

#include <gtest/gtest.h>

namespace tickcast {
namespace {

TEST(PayloadSlabs, each_payload_holds_its_own_bytes) {
    PayloadSlabs slabs(2);
    std::vector<Payload> payloads;
    for (int i = 0; i < 5; ++i) payloads.push_back(slabs.make("payload number " + std::to_string(i) + std::string(100, 'x')));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(*payloads[std::size_t(i)], "payload number " + std::to_string(i) + std::string(100, 'x'));
    EXPECT_EQ(slabs.allocated_slabs(), 3u);
    EXPECT_EQ(*slabs.make(""), "");
}

TEST(PayloadSlabs, a_slab_returns_when_its_last_payload_is_gone_and_is_reused_without_allocating) {
    PayloadSlabs slabs(2);
    Payload a = slabs.make(std::string(300, 'a'));
    Payload b = slabs.make(std::string(300, 'b'));
    const char* bytes_of_a = a->data();
    Payload c = slabs.make("c");  // a second slab; the first is full
    EXPECT_EQ(slabs.free_slabs(), 0u);
    a.reset();
    EXPECT_EQ(slabs.free_slabs(), 0u) << "b still uses the first slab";
    b.reset();
    EXPECT_EQ(slabs.free_slabs(), 1u);

    slabs.make("d");  // fills the second slab
    Payload e = slabs.make(std::string(200, 'e'));  // takes the recycled one
    EXPECT_EQ(slabs.allocated_slabs(), 2u);
    EXPECT_EQ(e->data(), bytes_of_a) << "the recycled string keeps its buffer";
    EXPECT_EQ(*e, std::string(200, 'e'));
}

TEST(PayloadSlabs, payloads_outlive_the_pool_and_may_be_dropped_on_another_thread) {
    Payload kept;
    {
        PayloadSlabs slabs(4);
        kept = slabs.make("still here");
        slabs.release_current();
    }
    EXPECT_EQ(*kept, "still here");
    std::thread([p = std::move(kept)]() mutable { p.reset(); }).join();
}

TEST(PayloadSlabs, the_free_list_keeps_at_most_max_free_slabs) {
    PayloadSlabs slabs(1, 2);
    std::vector<Payload> payloads;
    for (int i = 0; i < 5; ++i) payloads.push_back(slabs.make("x"));
    slabs.release_current();
    payloads.clear();
    EXPECT_EQ(slabs.free_slabs(), 2u);
}

}  // namespace
}  // namespace tickcast

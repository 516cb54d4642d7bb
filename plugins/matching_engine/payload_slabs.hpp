// Payload buffers for the stage's output events without an allocation per
// event.
//
// make_payload() costs two allocations per event (the string's bytes and
// the shared_ptr's control block) and two frees when the batch dies; with
// ~3 output events per order that was the largest cost of the stage after
// the engine itself. Here payloads are strings in a slab of `slab_size`
// strings; each event's Payload is an aliasing shared_ptr into the slab, so
// handing one out is a reference-count increment. When the last event of a
// slab is gone (on whatever thread drops it), the slab goes back to a free
// list with every string's capacity intact, and the next slab taken from
// there is filled without allocating.
//
// The cost: a payload kept alive alone (a sink caching one event) keeps its
// whole slab out of the free list, at most `slab_size` strings. Sinks that
// keep the batch until they complete it, as all of ours do, hold a slab for
// about as long as they would have held the individual payloads.
//
// make() is not thread-safe; one PayloadSlabs per stage. Returning a slab
// is thread-safe, and the free list outlives this object while slabs are out.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <tickcast/event.hpp>

namespace tickcast::matching {

class PayloadSlabs {
public:
    static constexpr std::size_t default_slab_size = 256;
    // The free list only ever holds slabs that were out at once, so it keeps
    // the pipeline's peak (bounded by max_in_flight: ~114 slabs at the
    // default 10,000 and ~3 outputs per order). A small cap could free and
    // reallocate most slabs, and every string in them, each time a source
    // that ran max_in_flight ahead has its batches completed together.
    static constexpr std::size_t default_max_free = 4096;
    // Order and trade events are ~170-250 bytes, a depth event of a few
    // levels fewer than 300.
    static constexpr std::size_t min_capacity = 320;

    explicit PayloadSlabs(std::size_t slab_size = default_slab_size, std::size_t max_free = default_max_free);

    // A payload holding a copy of `bytes`.
    Payload make(std::string_view bytes);

    // Stops filling the current slab, so that it returns to the free list as
    // soon as its events are gone (at a stage's stop).
    void release_current() noexcept { current_.reset(); }

    // Slabs waiting in the free list, and slabs ever allocated (for tests and
    // for a look at the pool's size).
    std::size_t free_slabs() const;
    std::size_t allocated_slabs() const;

private:
    struct Slab {
        std::vector<std::string> strings;
        std::size_t used = 0;
    };
    class FreeList;
    struct Recycle;

    std::shared_ptr<Slab> take_slab();

    std::size_t slab_size_;
    std::shared_ptr<FreeList> free_;
    std::shared_ptr<Slab> current_;
};

}  // namespace tickcast::matching

// Payload buffers without an allocation per event, for any plugin that
// creates events (matching_engine's output, the Kafka and Redis sources).
//
// make_payload() costs two allocations per event (the string's bytes and
// the shared_ptr's control block) and two frees when the batch dies; with
// ~3 output events per order that was the largest cost of the matching
// stage after the engine itself. Here payloads are strings in a slab of `slab_size`
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
// make() is not thread-safe; one PayloadSlabs per stage or source. Returning a slab
// is thread-safe, and the free list outlives this object while slabs are out.
#pragma once

#include <cstddef>
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tickcast/event.hpp"

namespace tickcast {

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

// Shared by the PayloadSlabs and every slab that is out, so that a slab
// dropped after the stage is gone still has somewhere to go.
class PayloadSlabs::FreeList {
public:
    // Reserved up front: push() runs in a deleter, which must not throw.
    explicit FreeList(std::size_t max_free) : max_free_(max_free) { slabs_.reserve(max_free); }

    std::unique_ptr<Slab> pop() {
        std::lock_guard lock(mutex_);
        if (slabs_.empty()) return nullptr;
        std::unique_ptr<Slab> slab = std::move(slabs_.back());
        slabs_.pop_back();
        return slab;
    }
    // Past max_free the slab is freed, so a burst does not stay allocated.
    void push(std::unique_ptr<Slab> slab) {
        slab->used = 0;
        std::lock_guard lock(mutex_);
        if (slabs_.size() < max_free_) slabs_.push_back(std::move(slab));
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return slabs_.size();
    }
    std::size_t allocated = 0;  // touched only by the owning PayloadSlabs

private:
    const std::size_t max_free_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Slab>> slabs_;
};

// The slab's deleter: the last payload of a slab hands it back.
struct PayloadSlabs::Recycle {
    std::shared_ptr<FreeList> free;
    void operator()(Slab* slab) const { free->push(std::unique_ptr<Slab>(slab)); }
};

inline PayloadSlabs::PayloadSlabs(std::size_t slab_size, std::size_t max_free)
    : slab_size_(slab_size == 0 ? 1 : slab_size), free_(std::make_shared<FreeList>(max_free)) {}

inline std::shared_ptr<PayloadSlabs::Slab> PayloadSlabs::take_slab() {
    std::unique_ptr<Slab> slab = free_->pop();
    if (!slab) {
        slab = std::make_unique<Slab>();
        slab->strings.resize(slab_size_);
        ++free_->allocated;
    }
    // One control block per slab, not per event.
    return std::shared_ptr<Slab>(slab.release(), Recycle{free_});
}

inline Payload PayloadSlabs::make(std::string_view bytes) {
    if (!current_ || current_->used == current_->strings.size()) current_ = take_slab();
    std::string& s = current_->strings[current_->used++];
    // Room for any usual event up front: a string that grew only to the
    // payload it first held would grow again for a longer one on reuse.
    if (s.capacity() < bytes.size()) s.reserve(std::max(bytes.size(), min_capacity));
    s.assign(bytes);
    return Payload(current_, &s);
}

inline std::size_t PayloadSlabs::free_slabs() const { return free_->size(); }
inline std::size_t PayloadSlabs::allocated_slabs() const { return free_->allocated; }

}  // namespace tickcast

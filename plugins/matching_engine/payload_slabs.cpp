#include "payload_slabs.hpp"

#include <algorithm>

namespace tickcast::matching {

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

PayloadSlabs::PayloadSlabs(std::size_t slab_size, std::size_t max_free)
    : slab_size_(slab_size == 0 ? 1 : slab_size), free_(std::make_shared<FreeList>(max_free)) {}

std::shared_ptr<PayloadSlabs::Slab> PayloadSlabs::take_slab() {
    std::unique_ptr<Slab> slab = free_->pop();
    if (!slab) {
        slab = std::make_unique<Slab>();
        slab->strings.resize(slab_size_);
        ++free_->allocated;
    }
    // One control block per slab, not per event.
    return std::shared_ptr<Slab>(slab.release(), Recycle{free_});
}

Payload PayloadSlabs::make(std::string_view bytes) {
    if (!current_ || current_->used == current_->strings.size()) current_ = take_slab();
    std::string& s = current_->strings[current_->used++];
    // Room for any usual event up front: a string that grew only to the
    // payload it first held would grow again for a longer one on reuse.
    if (s.capacity() < bytes.size()) s.reserve(std::max(bytes.size(), min_capacity));
    s.assign(bytes);
    return Payload(current_, &s);
}

std::size_t PayloadSlabs::free_slabs() const { return free_->size(); }
std::size_t PayloadSlabs::allocated_slabs() const { return free_->allocated; }

}  // namespace tickcast::matching

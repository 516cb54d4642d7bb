// RingQueue: a FIFO queue in one circular buffer that doubles when full.
//
// For queues of events between a broker client and the pipeline: once the
// buffer has grown to the queue's working size, pushing and popping
// allocate nothing. std::deque, the obvious choice, fits only one element
// in each of libstdc++'s 512-byte nodes once an element is larger than 256
// bytes (an Event is 280), so it allocated and freed once per event.
//
// Single-threaded, like the executor-bound plugins that use it. References
// stay valid until the element is popped or the queue grows.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace tickcast {

template <class T>
class RingQueue {
public:
    RingQueue() = default;
    RingQueue(const RingQueue&) = delete;
    RingQueue& operator=(const RingQueue&) = delete;
    ~RingQueue() {
        clear();
        if (data_) std::allocator<T>().deallocate(data_, capacity_);
    }

    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }

    T& front() noexcept { return data_[head_]; }
    T& operator[](std::size_t i) noexcept { return data_[slot(i)]; }
    const T& operator[](std::size_t i) const noexcept { return data_[slot(i)]; }

    template <class... Args>
    T& emplace_back(Args&&... args) {
        if (size_ == capacity_) grow();
        T* p = std::construct_at(data_ + slot(size_), std::forward<Args>(args)...);
        ++size_;
        return *p;
    }
    void push_back(T&& value) { emplace_back(std::move(value)); }

    void pop_front() noexcept {
        std::destroy_at(data_ + head_);
        head_ = (head_ + 1) & (capacity_ - 1);
        --size_;
    }
    // Pops the first n (at most size()).
    void pop_front(std::size_t n) noexcept {
        for (; n > 0 && size_ > 0; --n) pop_front();
    }
    void clear() noexcept {
        while (size_ > 0) pop_front();
        head_ = 0;
    }
    void swap(RingQueue& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(capacity_, other.capacity_);
        std::swap(head_, other.head_);
        std::swap(size_, other.size_);
    }

    // Removes the elements pred accepts, keeping the others in order;
    // returns how many went.
    template <class Pred>
    std::size_t erase_if(Pred pred) {
        const std::size_t n = size_;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            T& x = (*this)[i];
            if (pred(std::as_const(x))) continue;
            if (kept != i) (*this)[kept] = std::move(x);
            ++kept;
        }
        for (std::size_t i = kept; i < n; ++i) std::destroy_at(&(*this)[i]);
        size_ = kept;
        return n - kept;
    }

private:
    std::size_t slot(std::size_t i) const noexcept { return (head_ + i) & (capacity_ - 1); }

    void grow() {
        const std::size_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;  // a power of two: slots wrap by mask
        T* data = std::allocator<T>().allocate(capacity);
        for (std::size_t i = 0; i < size_; ++i) {
            T& x = (*this)[i];
            std::construct_at(data + i, std::move(x));
            std::destroy_at(&x);
        }
        if (data_) std::allocator<T>().deallocate(data_, capacity_);
        data_ = data;
        capacity_ = capacity;
        head_ = 0;
    }

    T* data_ = nullptr;
    std::size_t capacity_ = 0, head_ = 0, size_ = 0;
};

}  // namespace tickcast

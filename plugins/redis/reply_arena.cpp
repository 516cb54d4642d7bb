#include "reply_arena.hpp"

#include <algorithm>
#include <cstring>

namespace tickcast::redis {

namespace {
constexpr std::size_t block_bytes = 64 * 1024;
constexpr std::size_t spare_blocks_kept = 16;  // ~1 MiB kept across replies
constexpr std::size_t align = alignof(std::max_align_t);

ReplyArena& arena_of(const redisReadTask* task) { return *static_cast<ReplyArena*>(task->privdata); }
}  // namespace

redisReader* ReplyArena::make_reader() {
    // Local, not a static member: this library is linked into the plugin and
    // into test binaries that load the plugin, and a global of the same name
    // in both is an ODR violation.
    static redisReplyObjectFunctions functions = {&create_string, &create_array, &create_integer, &create_nil, &free_object};
    redisReader* r = redisReaderCreateWithFunctions(&functions);
    if (r) r->privdata = this;
    return r;
}

void ReplyArena::reset() {
    current_ = 0;
    used_ = 0;
    if (blocks_.size() <= 1 && !oversized_) return;  // the usual case: one block served
    // Oversized blocks (one large reply) go; standard ones stay for reuse,
    // up to a bound.
    oversized_ = false;
    std::erase_if(blocks_, [](const Block& b) { return b.size != block_bytes; });
    if (blocks_.size() > spare_blocks_kept) blocks_.resize(spare_blocks_kept);
}

std::size_t ReplyArena::capacity() const {
    std::size_t total = 0;
    for (const Block& b : blocks_) total += b.size;
    return total;
}

void* ReplyArena::allocate(std::size_t bytes) {
    bytes = (bytes + align - 1) / align * align;
    if (!blocks_.empty() && used_ + bytes <= blocks_[current_].size) {
        void* p = blocks_[current_].data.get() + used_;
        used_ += bytes;
        return p;
    }
    // The next spare block that fits moves up to follow the current one,
    // else a new one (its own size if larger than a standard block). Blocks
    // never move in memory, so objects already built (a parent array
    // waiting for its elements) stay valid.
    const std::size_t next = blocks_.empty() ? 0 : current_ + 1;
    std::size_t fit = next;
    while (fit < blocks_.size() && blocks_[fit].size < bytes) ++fit;
    if (fit == blocks_.size()) {
        const std::size_t size = std::max(bytes, block_bytes);
        oversized_ = oversized_ || size != block_bytes;
        blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(size), size});
    }
    if (fit != next) std::swap(blocks_[fit], blocks_[next]);
    current_ = next;
    used_ = bytes;
    return blocks_[current_].data.get();
}

char* ReplyArena::copy_string(const char* s, std::size_t len) {
    char* out = static_cast<char*>(allocate(len + 1));
    std::memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

redisReply* ReplyArena::node(const redisReadTask* task, int type) {
    auto* r = static_cast<redisReply*>(allocate(sizeof(redisReply)));
    *r = redisReply{};
    r->type = type;
    if (task->parent) {
        auto* parent = static_cast<redisReply*>(task->parent->obj);
        parent->element[task->idx] = r;
    }
    return r;
}

void* ReplyArena::create_string(const redisReadTask* task, char* s, std::size_t len) {
    ReplyArena& a = arena_of(task);
    redisReply* r = a.node(task, task->type);
    r->str = a.copy_string(s, len);
    r->len = len;
    return r;
}

void* ReplyArena::create_array(const redisReadTask* task, int elements) {
    ReplyArena& a = arena_of(task);
    redisReply* r = a.node(task, REDIS_REPLY_ARRAY);
    r->elements = std::size_t(elements);
    if (elements > 0) {
        r->element = static_cast<redisReply**>(a.allocate(sizeof(redisReply*) * std::size_t(elements)));
        std::fill_n(r->element, elements, nullptr);
    }
    return r;
}

void* ReplyArena::create_integer(const redisReadTask* task, long long value) {
    redisReply* r = arena_of(task).node(task, REDIS_REPLY_INTEGER);
    r->integer = value;
    return r;
}

void* ReplyArena::create_nil(const redisReadTask* task) { return arena_of(task).node(task, REDIS_REPLY_NIL); }

}  // namespace tickcast::redis

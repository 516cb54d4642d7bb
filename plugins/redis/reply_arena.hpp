// ReplyArena: hiredis reply objects built in reusable memory instead of
// malloc'd one by one.
//
// hiredis's default reply builder callocs every reply node, mallocs every
// string and its element array, and freeReplyObject frees them all again:
// for one Pub/Sub message (an array of three strings) that is seven
// allocations and seven frees. A reader made here builds its replies in
// blocks of this arena instead; the client handles each complete reply and
// then calls reset(), which makes the memory reusable at once.
//
// The objects are ordinary redisReply structs (strings NUL-terminated, as
// hiredis makes them), so handlers read them as before. They live until the
// next reset(): handlers must not keep pointers into a reply after they
// return (none does; RedisClient documents the reply as the call's only).
//
// Between two complete replies the reader may hold a reply it has begun
// (the rest not read yet); reset() is only called after a complete reply
// was returned, when no such partial reply exists, or together with a new
// reader.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <hiredis/hiredis.h>

namespace tickcast::redis {

class ReplyArena {
public:
    ReplyArena() = default;
    ReplyArena(const ReplyArena&) = delete;
    ReplyArena& operator=(const ReplyArena&) = delete;

    // A new reader whose replies are built in this arena. Free it with
    // redisReaderFree; it must not outlive the arena.
    redisReader* make_reader();

    // Every reply built so far is gone; the memory is used again.
    void reset();

    // Bytes held (for tests: growth stays bounded by the largest reply).
    std::size_t capacity() const;

private:
    void* allocate(std::size_t bytes);
    char* copy_string(const char* s, std::size_t len);
    redisReply* node(const redisReadTask* task, int type);

    static void* create_string(const redisReadTask* task, char* s, std::size_t len);
    static void* create_array(const redisReadTask* task, int elements);
    static void* create_integer(const redisReadTask* task, long long value);
    static void* create_nil(const redisReadTask* task);
    static void free_object(void*) {}  // reset() frees; hiredis calls this on errors

    struct Block {
        std::unique_ptr<std::byte[]> data;
        std::size_t size = 0;
    };
    std::vector<Block> blocks_;  // blocks_[current_] is being filled; later ones are spare
    std::size_t current_ = 0, used_ = 0;
    bool oversized_ = false;  // a block larger than standard exists
};

}  // namespace tickcast::redis

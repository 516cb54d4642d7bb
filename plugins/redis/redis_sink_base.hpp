// What the Redis sinks share: a connection from the `redis` resource, and a
// batch that completes once every command issued for its events has been
// answered. Commands are pipelined (one write for everything queued) and
// idempotent, so the client can resend them after a reconnect.
#pragma once

#include <memory>
#include <optional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <tickcast/hop_latency.hpp>
#include <tickcast/tickcast.hpp>

#include "redis_client.hpp"

namespace tickcast::redis {

// The SHA1 (hex) by which EVALSHA names a script: computed here, so
// commands can be queued before SCRIPT LOAD has answered.
std::string script_sha1(std::string_view script);

class RedisSinkBase : public Sink {
public:
    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    void stop() override;

protected:
    // The batch being written; send() ties each command's reply to it. One
    // per batch, freed when its last reply (or the write loop) finishes it;
    // reply handlers hold a plain pointer, which fits std::function's inline
    // storage, so a command costs no allocation for its handler.
    struct Progress {
        Completion done;
        std::size_t pending = 1;  // one for the write loop itself
        Status status;
    };

    RedisSinkBase(const ConfigNode& options, std::string connection_name);
    static OptionSpecs common_options();

    // Issues the commands for one event through send(); may issue none.
    virtual void write_event(const Event& e, Progress& progress) = 0;
    // Issues the commands for a batch's data events (heartbeats left out);
    // by default write_event for each.
    virtual void write_events(std::span<const Event* const> events, Progress& progress) {
        for (const Event* e : events) write_event(*e, progress);
    }
    // Issued first after every (re)connect (e.g. SCRIPT LOAD).
    virtual void on_connected() {}
    // Whether a reply means the command did its job; set `error` otherwise.
    virtual bool accept(const redisReply& reply, std::string& error);

    void send(std::span<const std::string_view> args, Progress& progress);
    void send(std::initializer_list<std::string_view> args, Progress& progress) {
        send(std::span(args.begin(), args.size()), progress);
    }
    // The commands as one MULTI ... EXEC; accept() gets EXEC's reply.
    void send_transaction(std::span<const std::span<const std::string_view>> commands, Progress& progress);
    RedisClient& client() { return *client_; }
    SinkContext& context() { return *context_; }
    const std::string& prefix() const { return prefix_; }
    // The event's hops plus this sink's `redis_out` stamp, which gives the
    // reader downstream the Redis hop's latency (and this pipeline's, since
    // the previous stamp, goes to tickcast_hop_latency_seconds). A batch's
    // events share one stamp, read when write() began: they leave in one
    // socket write, so a later clock read per event would say nothing truer.
    Hops stamped_hops(const Event& e);

private:
    void finish_one(Progress& progress);
    // What a command's reply does to its batch: accept() it, then finish_one.
    RedisClient::ReplyHandler reply_to(Progress& progress);

    std::string resource_name_, connection_name_, prefix_;
    SinkContext* context_ = nullptr;
    std::optional<HopLatency> out_hop_;
    std::int64_t batch_ns_ = 0;  // the current batch's redis_out stamp
    std::shared_ptr<RedisClient> client_;
    std::vector<const Event*> data_;  // the batch's data events, reused
};

}  // namespace tickcast::redis

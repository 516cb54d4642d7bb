#include "redis_sink_base.hpp"

#include <openssl/evp.h>

#include "redis_resource.hpp"

namespace tickcast::redis {

std::string script_sha1(std::string_view script) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(script.data(), script.size(), md, &len, EVP_sha1(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

OptionSpecs RedisSinkBase::common_options() {
    return {
        {"redis", OptionType::resource, true, "", "The Redis resource to write to", "redis"},
        {"prefix", OptionType::string, false, "tc:", "Prefix of every Redis key or channel this plugin uses"},
    };
}

RedisSinkBase::RedisSinkBase(const ConfigNode& o, std::string connection_name)
    : resource_name_(o["redis"].as_string()), connection_name_(std::move(connection_name)), prefix_(o["prefix"].as_string()) {}

void RedisSinkBase::start(SinkContext& context) {
    context_ = &context;
    out_hop_.emplace(context.metrics(), "redis_out");
    client_ = redis_resource(context, resource_name_)->make_client(context, connection_name_, false);
    client_->set_on_connected([this] { on_connected(); });
    client_->set_on_fatal([this](const std::string& why) { context_->fail("Redis " + client_->endpoint().display() + ": " + why); });
    client_->start();
}

void RedisSinkBase::stop() {
    if (client_) client_->stop();
}

bool RedisSinkBase::accept(const redisReply& reply, std::string& error) {
    if (reply.type != REDIS_REPLY_ERROR) return true;
    error = std::string(reply.str, reply.len);
    return false;
}

void RedisSinkBase::write(BatchRef batch, Completion done) {
    auto* progress = new Progress{std::move(done), 1, Status{}};
    batch_ns_ = now_ns();
    data_.clear();
    for (const Event& e : *batch)
        if (!(e.flags & event_flags::heartbeat)) data_.push_back(&e);  // heartbeats are not data
    write_events(data_, *progress);
    client_->flush_now();  // the batch is complete: no need to wait for the handlers queued behind this one
    out_hop_->flush();
    finish_one(*progress);
}

Hops RedisSinkBase::stamped_hops(const Event& e) {
    Hops hops = e.hops;
    out_hop_->stamp(hops, batch_ns_);
    return hops;
}

void RedisSinkBase::send(std::span<const std::string_view> args, Progress& progress) {
    ++progress.pending;
    client_->command(args, reply_to(progress));
}

void RedisSinkBase::send_transaction(std::span<const std::span<const std::string_view>> commands, Progress& progress) {
    ++progress.pending;
    client_->transaction(commands, reply_to(progress));
}

RedisClient::ReplyHandler RedisSinkBase::reply_to(Progress& progress) {
    return [this, p = &progress](const redisReply* reply) {
        std::string error;
        if (!reply)
            error = "the Redis connection was stopped before the reply";
        else if (!accept(*reply, error) && error.empty())
            error = "unexpected reply: " + describe(reply);
        if (!error.empty() && p->status.ok) p->status = Status::failure(error);
        finish_one(*p);
    };
}

void RedisSinkBase::finish_one(Progress& progress) {
    if (--progress.pending != 0) return;
    const std::unique_ptr<Progress> owned(&progress);
    owned->done(std::move(owned->status));
}

}  // namespace tickcast::redis

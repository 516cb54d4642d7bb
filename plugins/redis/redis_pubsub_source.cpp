#include "redis_pubsub_source.hpp"

#include "redis_resource.hpp"
#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisPubSubSource::options() {
    OptionSpecs o = common_options();
    o.push_back({"sharded", OptionType::boolean, false, "false", "Use Redis 7 sharded Pub/Sub (SSUBSCRIBE; plain channels only), for Redis Cluster"});
    return o;
}

RedisPubSubSource::RedisPubSubSource(const ConfigNode& o) : RedisSourceBase(o), sharded_(o["sharded"].as_bool()) {
    if (sharded_)
        for (const std::string& c : channels_)
            if (is_pattern(c)) o["channels"].fail("sharded Pub/Sub has no patterns; list the channels, got '" + c + "'");
}

void RedisPubSubSource::start(SourceContext& context) {
    start_base(context);
    malformed_ = &context.metrics().counter("tickcast_redis_malformed_total", "Messages that were not tickcast events");
    client_ = redis_resource(context, resource_name())->make_client(context, "subscribe", true);
    client_->set_on_connected([this] { subscribe(); });
    client_->set_on_push([this](const redisReply& r) { on_message(r); });
    client_->set_on_fatal([this](const std::string& why) { this->context().fail("Redis " + client_->endpoint().display() + ": " + why); });
    client_->start();
}

void RedisPubSubSource::subscribe() {
    std::vector<std::string> plain{sharded_ ? "SSUBSCRIBE" : "SUBSCRIBE"}, patterns{"PSUBSCRIBE"};
    for (const std::string& c : channels_) (is_pattern(c) ? patterns : plain).push_back(prefix() + c);
    for (const auto* list : {&plain, &patterns}) {
        if (list->size() < 2) continue;
        client_->command(std::vector<std::string_view>(list->begin(), list->end()));
    }
}

void RedisPubSubSource::on_message(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements < 3) return;
    const std::string_view kind(r.element[0]->str, r.element[0]->len);
    const redisReply* channel = nullptr;
    const redisReply* body = nullptr;
    if ((kind == "message" || kind == "smessage") && r.elements == 3) {
        channel = r.element[1];
        body = r.element[2];
    } else if (kind == "pmessage" && r.elements == 4) {
        channel = r.element[2];
        body = r.element[3];
    } else {
        return;  // subscribe confirmations
    }
    Pending p;
    std::string_view name(channel->str, channel->len);
    if (name.substr(0, prefix().size()) == prefix()) name.remove_prefix(prefix().size());
    p.event.channel = std::string(name);
    std::string error;
    if (!decode_message(std::string_view(body->str, body->len), p.event, error, &payloads_)) {
        malformed_->Increment();
        if (malformed_count_++ < 10) context().log().warn("skipped a message on {}: {}", p.event.channel, error);
        return;
    }
    deliver(std::move(p), client_->read_ns());
}

void RedisPubSubSource::on_backlog(bool full) {
    if (!client_) return;
    if (full)
        client_->pause_reading();
    else
        client_->resume_reading();
}

void RedisPubSubSource::stop_reading() {
    if (client_) client_->stop();
}

}  // namespace tickcast::redis

#include "file_source.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

namespace tickcast::file {

OptionSpecs FileSource::options() {
    return {
        {"path", OptionType::string, true, "", "File to read; each non-empty line is one event's payload"},
        {"channel", OptionType::string, false, "", "Channel for every event (give this or channel_field)"},
        {"channel_field", OptionType::string, false, "", "Top-level JSON string field whose value is the event's channel"},
        {"key_field", OptionType::string, false, "", "Top-level JSON string field whose value is the event's key"},
        {"batch", OptionType::integer, false, "256", "Most events per emitted batch"},
    };
}

FileSource::FileSource(const ConfigNode& o) : path_(o["path"].as_string()) {
    if (o.has("channel")) channel_ = o["channel"].as_string();
    if (o.has("channel_field")) channel_field_ = o["channel_field"].as_string();
    if (o.has("key_field")) key_field_ = o["key_field"].as_string();
    if (channel_.empty() == channel_field_.empty())
        o.fail("file_source needs exactly one of 'channel' (a fixed channel) or 'channel_field' (taken from each line)");
    const std::int64_t batch = o["batch"].as_int();
    if (batch < 1) o["batch"].fail("batch must be at least 1");
    batch_max_ = std::size_t(batch);
}

void FileSource::start(SourceContext& context) {
    context_ = &context;
    skipped_counter_ = &context.metrics().counter("tickcast_file_source_skipped_lines_total", "Lines that could not be routed to a channel");
    in_.open(path_);
    if (!in_) throw std::runtime_error("cannot open '" + path_ + "' for reading");
    boost::asio::post(context.executor(), [this] { pump(); });
}

void FileSource::stop() { stopping_ = true; }

bool FileSource::route(const std::string& line, Event& e) {
    if (channel_field_.empty() && key_field_.empty()) {
        e.channel = channel_;
        return true;
    }
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec);
    const boost::json::object* obj = ec ? nullptr : v.if_object();
    auto field = [&](const std::string& name) -> const boost::json::string* {
        if (!obj) return nullptr;
        const boost::json::value* f = obj->if_contains(name);
        return f ? f->if_string() : nullptr;
    };
    if (!channel_field_.empty()) {
        const boost::json::string* c = field(channel_field_);
        if (!c) {
            if (skipped_++ < 10)
                context_->log().warn("{}:{}: skipped: {}", path_, line_no_,
                                     obj ? "no string field '" + channel_field_ + "'" : "not a JSON object");
            skipped_counter_->Increment();
            return false;
        }
        e.channel.assign(c->data(), c->size());
    } else {
        e.channel = channel_;
    }
    if (const boost::json::string* k = key_field_.empty() ? nullptr : field(key_field_)) e.key.assign(k->data(), k->size());
    return true;
}

void FileSource::pump() {
    if (stopping_) {
        context_->done();
        return;
    }
    const std::size_t n = std::min(batch_max_, context_->capacity());
    if (n == 0) {
        context_->when_ready([this] { pump(); });
        return;
    }
    EventBatch batch;
    batch.reserve(n);
    std::string line;
    const std::int64_t now = now_ns();
    const std::uint64_t first_line = line_no_ + 1;
    while (batch.size() < n && std::getline(in_, line)) {
        ++line_no_;
        if (line.empty()) continue;
        Event e;
        if (!route(line, e)) continue;
        auto it = next_seq_.find(e.channel);
        if (it == next_seq_.end()) it = next_seq_.emplace(e.channel, 0).first;
        e.seq = ++it->second;
        e.origin_ns = now;
        e.payload = make_payload(std::move(line));
        batch.push_back(std::move(e));
    }
    if (!batch.empty()) {
        in_flight_.emplace(line_no_, InFlight{first_line, batch.size()});
        context_->emit(std::move(batch), line_no_);
    }
    if (!in_) {
        if (!in_.eof()) context_->log().error("reading '{}' failed after line {}", path_, line_no_);
        context_->done();
        return;
    }
    boost::asio::post(context_->executor(), [this] { pump(); });
}

void FileSource::on_ack(std::uint64_t token, const Status& status) {
    const auto it = in_flight_.find(token);
    if (it == in_flight_.end()) return;
    if (!status.ok)
        context_->lost(it->second.events, "lines " + std::to_string(it->second.first_line) + "-" + std::to_string(token) + " of '" + path_ +
                                              "': " + status.error);
    in_flight_.erase(it);
}

}  // namespace tickcast::file

// What a WebSocket client of the gateway sees on one channel: the snapshot's
// seq, then the live events, each checked to follow the snapshot with no
// gap and no overlap.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include <boost/json.hpp>

#include "support/ports.hpp"
#include "support/ws_client.hpp"

namespace tickcast::test {

struct Feed {
    std::optional<std::uint64_t> snapshot_seq;
    std::vector<boost::json::object> live;  // the `event` messages, in order
};

// Subscribes `client` to `channel` and reads for `duration`. Fails the test
// (ADD_FAILURE) on a delta before the snapshot, a second snapshot, a message
// of an unexpected type, or a seq that does not continue the snapshot.
inline Feed read_feed(WsClient& client, const std::string& channel, std::chrono::milliseconds duration) {
    Feed feed;
    client.send(R"({"op":"subscribe","channels":[")" + channel + R"("],"id":1})");
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
        auto text = client.read(std::chrono::milliseconds(500));
        if (!text) continue;
        boost::json::object m = boost::json::parse(*text).as_object();
        const std::string type(m.at("type").as_string());
        if (type == "snapshot") {
            if (feed.snapshot_seq) ADD_FAILURE() << "a second snapshot: " << *text;
            feed.snapshot_seq = m.at("seq").to_number<std::uint64_t>();
        } else if (type == "event") {
            if (!feed.snapshot_seq) ADD_FAILURE() << "a delta before the snapshot: " << *text;
            feed.live.push_back(std::move(m));
        } else if (type != "ack" && type != "heartbeat") {
            ADD_FAILURE() << "unexpected message: " << *text;
        }
    }
    if (!feed.snapshot_seq) ADD_FAILURE() << "no snapshot for " << channel;
    for (std::size_t i = 0; feed.snapshot_seq && i < feed.live.size(); ++i)
        if (feed.live[i].at("seq").to_number<std::uint64_t>() != *feed.snapshot_seq + 1 + i) {
            ADD_FAILURE() << "gap or overlap at " << i << " after snapshot " << *feed.snapshot_seq;
            break;
        }
    return feed;
}

}  // namespace tickcast::test

// Snapshot then deltas while events flow fast: one pipeline feeds both the
// Redis cache and the gateway (mock_source -> redis_cache + websocket_server),
// so the cache always lags the gateway a little. Clients subscribing at
// different moments must each get a snapshot and then every later seq
// exactly once, and their book must match the one the events build.
// The same feed serves a client we did not write (python3-websockets).
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <thread>

#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

// One cycle of the feed: four depth deltas and a trade. mock_source repeats
// it, numbering each channel from 1.
const std::vector<std::string> depth_cycle = {
    R"({"bids":[["100.00","1"]],"asks":[["101.00","2"]]})",
    R"({"bids":[["100.00","0"],["99.50","3"]],"asks":[]})",
    R"({"bids":[],"asks":[["101.00","0"],["101.50","4"]]})",
    R"({"bids":[["100.00","5"]],"asks":[["101.00","6"],["101.50","0"]]})",
};

using Book = std::map<std::string, std::string>;  // "b:price" / "a:price" -> qty

void apply_delta(Book& book, const json::object& delta) {
    for (const char* side : {"bids", "asks"})
        for (const auto& level : delta.at(side).as_array()) {
            const std::string key = std::string(side[0] == 'b' ? "b:" : "a:") + level.as_array()[0].as_string().c_str();
            const std::string qty = level.as_array()[1].as_string().c_str();
            if (qty == "0") book.erase(key); else book[key] = qty;
        }
}

// The book after depth events 1..seq.
Book expected_book(std::uint64_t seq) {
    Book b;
    for (std::uint64_t i = 0; i < seq; ++i) apply_delta(b, json::parse(depth_cycle[i % depth_cycle.size()]).as_object());
    return b;
}

std::string feed_config(const std::string& prefix, const std::string& gateway_options) {
    std::string events;
    for (const std::string& d : depth_cycle) {
        events += "        - {channel: depth.F, key: F, payload: '" + d + "'}\n";
        if (&d == &depth_cycle[1]) events += "        - {channel: trades.F, key: F, payload: '{\"price\":\"100.00\",\"qty\":\"1\"}'}\n";
    }
    return "resources:\n  cache: {plugin: redis, url: \"" + shared_redis().url() + "\"}\n"
           "pipelines:\n  feed:\n"
           "    source:\n      plugin: mock_source\n      repeat: 0\n      rate: 4000\n      batch: 16\n      events:\n" + events +
           "    sinks:\n"
           "      - {plugin: redis_cache, redis: cache, prefix: \"" + prefix + "\"}\n"
           "      - {plugin: websocket_server, listen: \"127.0.0.1:0\", cache: cache, prefix: \"" + prefix + "\"" + gateway_options + "}\n";
}

struct Feed {
    TempDir dir;
    std::unique_ptr<DaemonProcess> daemon;
    std::string address;
    // `gateway_options`: extra YAML flow-map entries for websocket_server.
    explicit Feed(const std::string& prefix, const std::string& gateway_options = "") {
        daemon = std::make_unique<DaemonProcess>(dir.write("feed.yaml", feed_config(prefix, gateway_options)));
        std::smatch m;
        eventually([&] {
            const std::string err = daemon->process().err();
            if (std::regex_search(err, m, std::regex(R"(websocket gateway on wss?://([0-9.]+:\d+)/)"))) address = m[1];
            return !address.empty();
        });
    }
    ~Feed() {
        daemon->process().signal(SIGTERM);
        daemon->process().wait(std::chrono::seconds(10));
    }
};

// Subscribes to depth.F and trades.F, then checks snapshot + `deltas` events
// per channel; `books`: also the book after each (costly: a client that
// checks it reads slower than the feed, for a while).
void check_client(const std::string& address, int deltas, bool books = true) {
    WsClient c(address);
    c.send(R"({"op":"subscribe","channels":["depth.F","trades.F"],"id":1})");
    std::map<std::string, std::uint64_t> last;  // channel -> last seq seen
    std::map<std::string, int> events;
    Book book;
    std::string depth_epoch;
    while (events["depth.F"] < deltas || events["trades.F"] < deltas / 4) {
        auto m = c.read_json();
        ASSERT_TRUE(m) << "stalled after " << events["depth.F"] << " depth events";
        const std::string type = str(*m, "type");
        if (type == "ack" || type == "heartbeat") continue;
        ASSERT_NE(type, "resnapshot") << json::serialize(*m);
        const std::string channel = str(*m, "channel");
        if (type == "snapshot") {
            ASSERT_EQ(last.count(channel), 0u) << "one snapshot per channel";
            last[channel] = seq_of(*m);
            if (channel == "depth.F") depth_epoch = str(*m, "epoch");
            if (channel == "depth.F" && books) {
                for (const char* side : {"bids", "asks"})
                    for (const auto& level : m->at("data").at(side).as_array())
                        book[std::string(side[0] == 'b' ? "b:" : "a:") + level.as_array()[0].as_string().c_str()] =
                            level.as_array()[1].as_string().c_str();
                ASSERT_EQ(book, expected_book(seq_of(*m))) << "snapshot at seq " << seq_of(*m);
            }
            continue;
        }
        ASSERT_EQ(type, "event");
        ASSERT_EQ(last.count(channel), 1u) << "a delta before the snapshot on " << channel;
        ASSERT_EQ(seq_of(*m), last[channel] + 1) << "gap or overlap on " << channel;
        last[channel] = seq_of(*m);
        ++events[channel];
        if (channel == "depth.F") {
            ASSERT_EQ(str(*m, "epoch"), depth_epoch);
        }
        if (channel == "depth.F" && books) {
            apply_delta(book, m->at("data").as_object());
            ASSERT_EQ(book, expected_book(seq_of(*m))) << "book after seq " << seq_of(*m);
        }
    }
}

}  // namespace

TEST(WebSocketLiveFeed, clients_subscribing_mid_stream_get_a_snapshot_then_every_later_seq_exactly_once) {
    Feed feed("live" + std::to_string(::getpid()) + ":");
    ASSERT_FALSE(feed.address.empty()) << feed.daemon->process().err();
    std::vector<std::thread> clients;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        clients.emplace_back([&] {
            check_client(feed.address, 1500);
            if (::testing::Test::HasFailure()) ++failures;
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(failures.load(), 0);
}

// Enough subscribers that every batch's writes are shared between the
// pipeline thread and a write_threads helper (WriteWorkers::min_items is
// 16): each client still gets its snapshot and then every seq, in order.
// (Seqs only: forty clients checking books too would read slower than the
// feed and be cut off as slow consumers, as they should be.)
TEST(WebSocketLiveFeed, forty_clients_served_by_two_write_threads_each_get_every_seq_once_in_order) {
    // Under TSan the 40 clients read under 200 messages/s each, far behind the
    // feed; the default 4 MiB queue would cut them off as slow consumers
    // (a policy tested on its own) before they saw their 1,500 deltas.
    Feed feed("wt" + std::to_string(::getpid()) + ":", ", write_threads: 2, send_queue_limit: 256MiB");
    ASSERT_FALSE(feed.address.empty()) << feed.daemon->process().err();
    std::vector<std::thread> clients;
    std::atomic<int> failures{0};
    for (int i = 0; i < 40; ++i)
        clients.emplace_back([&] {
            check_client(feed.address, 1500, false);
            if (::testing::Test::HasFailure()) ++failures;
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(failures.load(), 0) << feed.daemon->process().err();
}

TEST(WebSocketLiveFeed, a_python_websockets_client_gets_snapshot_deltas_pong_and_errors) {
    Feed feed("py" + std::to_string(::getpid()) + ":");
    ASSERT_FALSE(feed.address.empty()) << feed.daemon->process().err();
    Process py({"/usr/bin/python3", TICKCAST_SOURCE_DIR "/tests/plugins/websocket/python_client.py", "ws://" + feed.address + "/"});
    EXPECT_EQ(py.wait(std::chrono::seconds(30)), 0) << py.out() << py.err();
    EXPECT_NE(py.out().find("OK"), std::string::npos) << py.out() << py.err();
}

TEST(WebSocketLiveFeed, with_tls_a_python_client_trusting_the_certificate_gets_the_feed_over_wss) {
    // A self-signed certificate for 127.0.0.1, made as an operator would.
    TempDir certs;
    Process openssl({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", certs.file("key.pem"), "-out", certs.file("cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_EQ(openssl.wait(std::chrono::seconds(20)), 0) << openssl.err();
    Feed feed("tls" + std::to_string(::getpid()) + ":",
              ", tls: {cert: \"" + certs.file("cert.pem") + "\", key: \"" + certs.file("key.pem") + "\"}");
    ASSERT_FALSE(feed.address.empty()) << feed.daemon->process().err();
    EXPECT_NE(feed.daemon->process().err().find("websocket gateway on wss://"), std::string::npos);

    Process py({"/usr/bin/python3", TICKCAST_SOURCE_DIR "/tests/plugins/websocket/python_client.py", "--tls", certs.file("cert.pem"),
                "wss://" + feed.address + "/"});
    EXPECT_EQ(py.wait(std::chrono::seconds(30)), 0) << py.out() << py.err();
    EXPECT_NE(py.out().find("OK"), std::string::npos) << py.out() << py.err();
    // REST over https on the same port (curl, trusting only our certificate).
    Process curl({"/usr/bin/curl", "-sS", "--cacert", certs.file("cert.pem"), "https://" + feed.address + "/api/v1/depth?symbol=F&levels=5"});
    EXPECT_EQ(curl.wait(std::chrono::seconds(20)), 0) << curl.err();
    EXPECT_EQ(curl.out().find(R"({"symbol":"F","seq":)"), 0u) << curl.out() << curl.err();
    // A plain ws:// client gets no WebSocket (its upgrade is not TLS), and the gateway goes on.
    EXPECT_THROW(WsClient plain(feed.address), boost::system::system_error);
    Process again({"/usr/bin/python3", TICKCAST_SOURCE_DIR "/tests/plugins/websocket/python_client.py", "--tls", certs.file("cert.pem"),
                   "wss://" + feed.address + "/"});
    EXPECT_EQ(again.wait(std::chrono::seconds(30)), 0) << again.out() << again.err();
}

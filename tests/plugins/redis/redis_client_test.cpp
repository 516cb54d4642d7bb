// RedisClient against a real redis-server: replies reach the handler of the
// command they answer over many pipelined writes, and commands a dropped
// connection left unanswered go out again, in order, after the reconnect; a
// transaction gets EXEC's reply and is sent again whole.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "redis_client.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;
using tickcast::redis::RedisClient;

namespace {

std::shared_ptr<RedisClient> make_client(boost::asio::io_context& io, const std::string& url, const std::string& name) {
    std::string error;
    auto endpoint = tickcast::redis::parse_redis_url(url, error);
    EXPECT_TRUE(endpoint) << error;
    RedisClient::Options options;
    options.name = name;
    options.backoff_min = std::chrono::milliseconds(20);
    options.backoff_max = std::chrono::milliseconds(100);
    auto log = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
    return std::make_shared<RedisClient>(io.get_executor(), *endpoint, options, log, nullptr);
}

std::string text(const redisReply* r) { return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "?"; }

}  // namespace

// Commands issued in bursts of varying size, some from inside reply handlers
// (so they queue while a write is in flight): every reply is its own.
TEST(RedisClient, every_reply_reaches_its_own_commands_handler_across_pipelined_writes) {
    boost::asio::io_context io;
    auto client = make_client(io, shared_redis().url(), "pipelined");
    client->start();
    constexpr int total = 20'000;
    int issued = 0, answered = 0, wrong = 0;
    std::function<void(int)> burst = [&](int n) {
        for (int i = 0; i < n && issued < total; ++i) {
            const int n = issued++;
            const std::string value = "v" + std::to_string(n) + std::string(std::size_t((n + 1) % 97), 'x');
            client->command({"ECHO", value}, [&, value](const redisReply* r) {
                if (text(r) != value) ++wrong;
                if (++answered % 250 == 0 || answered == issued) burst(1 + answered % 700);
                if (answered == total) io.stop();
            });
        }
    };
    boost::asio::post(io, [&] { burst(1000); });
    io.run_for(std::chrono::seconds(30));
    EXPECT_EQ(answered, total);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(client->queued(), 0u);
    client->stop();
}

// The server drops the connection (CLIENT KILL) while commands are queued
// and in flight: each one is answered once the client is back, in order,
// and every key they set is there.
TEST(RedisClient, commands_unanswered_when_the_connection_drops_are_sent_again_in_order) {
    RedisServer own;  // CLIENT KILL must not reach the other tests' connections on the shared server
    boost::asio::io_context io;
    auto client = make_client(io, own.url(), "resend");
    auto admin = own.connect();
    const std::string prefix = "client_resend_" + std::to_string(::getpid()) + ":";
    client->start();
    constexpr int total = 30'000;
    int issued = 0, answered = 0, out_of_order = 0, last = -1, kills = 0;
    std::function<void()> burst = [&] {
        for (int i = 0; i < 1000 && issued < total; ++i) {
            const int n = issued++;
            client->command({"SET", prefix + std::to_string(n), std::to_string(n)}, [&, n](const redisReply* r) {
                if (!r || r->type != REDIS_REPLY_STATUS) return;
                if (n <= last) ++out_of_order;
                last = n;
                if (++answered == total) io.stop();
            });
        }
        // Cut the connection with a few thousand commands queued or unanswered.
        if (issued % 6000 == 0 && kills < 3) {
            ++kills;
            command(admin.get(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        }
        if (issued < total) boost::asio::post(io, burst);
    };
    boost::asio::post(io, burst);
    io.run_for(std::chrono::seconds(30));
    EXPECT_EQ(kills, 3);
    EXPECT_EQ(answered, total);
    EXPECT_EQ(out_of_order, 0);
    int missing = 0;
    for (int n = 0; n < total; ++n) {
        Reply r = command(admin.get(), {"GET", prefix + std::to_string(n)});
        if (r->type != REDIS_REPLY_STRING || std::string(r->str, r->len) != std::to_string(n)) ++missing;
    }
    EXPECT_EQ(missing, 0);
    client->stop();
}

// Transactions (MULTI ... EXEC) between plain commands, with the connection
// cut three times: each handler gets EXEC's reply with one answer per
// command, handlers run in issue order, and every key is set.
TEST(RedisClient, a_transaction_gets_execs_reply_and_is_sent_again_whole_after_a_drop) {
    RedisServer own;  // CLIENT KILL must not reach the other tests' connections on the shared server
    boost::asio::io_context io;
    auto client = make_client(io, own.url(), "transactions");
    auto admin = own.connect();
    client->start();
    constexpr int rounds = 3000;
    int issued = 0, answered = 0, out_of_order = 0, wrong = 0, last = -1, kills = 0, keys = 0;
    std::vector<std::string> texts;
    std::vector<std::string_view> args;
    std::vector<std::span<const std::string_view>> commands;
    std::function<void()> burst = [&] {
        for (int i = 0; i < 100 && issued < rounds; ++i) {
            const int n = issued++;
            auto in_order = [&, n] {
                if (n <= last) ++out_of_order;
                last = n;
                if (++answered == rounds) io.stop();
            };
            if (n % 3 == 0) {  // a plain command between transactions
                client->command({"ECHO", std::to_string(n)}, [&, n, in_order](const redisReply* r) {
                    if (text(r) != std::to_string(n)) ++wrong;
                    in_order();
                });
                continue;
            }
            const int size = 1 + n % 40;
            texts.clear();
            for (int k = 0; k < size; ++k) texts.push_back("tx:" + std::to_string(n) + ":" + std::to_string(k));
            args.clear();
            for (const std::string& t : texts) args.insert(args.end(), {"SET", t, t});
            commands.clear();
            for (int k = 0; k < size; ++k) commands.push_back(std::span<const std::string_view>(args).subspan(3 * k, 3));
            keys += size;
            client->transaction(commands, [&, size, in_order](const redisReply* r) {
                if (!r || r->type != REDIS_REPLY_ARRAY || int(r->elements) != size)
                    ++wrong;
                else
                    for (std::size_t k = 0; k < r->elements; ++k)
                        if (r->element[k]->type != REDIS_REPLY_STATUS) ++wrong;
                in_order();
            });
        }
        if (issued % 600 == 0 && kills < 3) {
            ++kills;
            command(admin.get(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        }
        if (issued < rounds) boost::asio::post(io, burst);
    };
    boost::asio::post(io, burst);
    io.run_for(std::chrono::seconds(30));
    EXPECT_EQ(kills, 3);
    EXPECT_EQ(answered, rounds);
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(command(admin.get(), {"DBSIZE"})->integer, keys);
    client->stop();
}

// A command that fails when run fails alone: EXEC's reply carries its error
// and the others' results.
TEST(RedisClient, a_command_failing_inside_a_transaction_fails_alone) {
    boost::asio::io_context io;
    auto client = make_client(io, shared_redis().url(), "transaction_error");
    client->start();
    const std::string key = "tx_error_" + std::to_string(::getpid());
    const std::string_view args[] = {"XADD", key, "5-0", "f", "a", "XADD", key, "3-0", "f", "b", "XADD", key, "6-0", "f", "c"};
    const std::span<const std::string_view> commands[] = {std::span(args).subspan(0, 5), std::span(args).subspan(5, 5),
                                                          std::span(args).subspan(10, 5)};
    std::vector<std::string> got;
    client->transaction(commands, [&](const redisReply* r) {
        if (r && r->type == REDIS_REPLY_ARRAY)
            for (std::size_t k = 0; k < r->elements; ++k) got.push_back(tickcast::redis::describe(r->element[k]));
        io.stop();
    });
    io.run_for(std::chrono::seconds(10));
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], "5-0");
    EXPECT_NE(got[1].find("equal or smaller"), std::string::npos) << got[1];
    EXPECT_EQ(got[2], "6-0");
    client->stop();
}

// When the connection drops, the replies received may cover one write and
// part of the next (a write's bytes are dropped only at the next flush): the
// client sends again exactly the commands left unanswered, from the right
// byte. Here: write 1 = SET a; write 2 = SET b, BLPOP (blocks); both SETs
// are answered, then the server cuts the connection. Only BLPOP goes again.
TEST(RedisClient, after_a_drop_only_the_unanswered_commands_of_several_writes_go_again) {
    RedisServer own;  // CLIENT KILL must not reach the other tests' connections on the shared server
    boost::asio::io_context io;
    auto client = make_client(io, own.url(), "partial");
    auto admin = own.connect();
    client->start();
    auto run_until = [&](const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(10));
        return done();
    };
    bool up = false;
    client->command({"PING"}, [&](const redisReply*) { up = true; });
    ASSERT_TRUE(run_until([&] { return up; }));
    command(admin.get(), {"CONFIG", "RESETSTAT"});

    int sets = 0;
    std::string popped;
    auto set_done = [&](const redisReply* r) { sets += r && r->type == REDIS_REPLY_STATUS; };
    client->command({"SET", "a", "1"}, set_done);
    client->flush_now();  // write 1 goes out now
    client->command({"SET", "b", "2"}, set_done);
    client->command({"BLPOP", "list", "0"}, [&](const redisReply* r) {
        popped = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? text(r->element[1]) : "(no reply)";
    });
    client->flush_now();  // write 1 still in progress: these form write 2, after it
    ASSERT_TRUE(run_until([&] { return sets == 2; }));

    command(admin.get(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    // Back and blocked in BLPOP again: release it.
    ASSERT_TRUE(run_until([&] {
        Reply r = command(admin.get(), {"CLIENT", "LIST"});
        return std::string_view(r->str, r->len).find("cmd=blpop") != std::string_view::npos;
    }));
    command(admin.get(), {"LPUSH", "list", "x"});
    ASSERT_TRUE(run_until([&] { return !popped.empty(); }));
    EXPECT_EQ(popped, "x");
    EXPECT_EQ(sets, 2);

    Reply stats = command(admin.get(), {"INFO", "commandstats"});
    const std::string info(stats->str, stats->len);
    EXPECT_NE(info.find("cmdstat_set:calls=2,"), std::string::npos) << "the answered SETs are not sent again\n" << info;
    EXPECT_NE(info.find("cmdstat_blpop:calls=2,"), std::string::npos) << "the cut BLPOP is sent again\n" << info;
    client->stop();
}

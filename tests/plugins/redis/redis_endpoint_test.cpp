#include <gtest/gtest.h>

#include "redis_endpoint.hpp"

using namespace tickcast::redis;

TEST(RedisUrl, host_port_db_and_credentials) {
    std::string err;
    auto e = parse_redis_url("redis://app:s3cret@cache.local:6380/2", err);
    ASSERT_TRUE(e) << err;
    EXPECT_EQ(e->host, "cache.local");
    EXPECT_EQ(e->port, 6380);
    EXPECT_EQ(e->db, 2);
    EXPECT_EQ(e->user, "app");
    EXPECT_EQ(e->password, "s3cret");
    EXPECT_EQ(e->display(), "cache.local:6380/2") << "the password never appears in logs";
}

TEST(RedisUrl, defaults_and_password_only) {
    std::string err;
    auto e = parse_redis_url("redis://:pw@127.0.0.1", err);
    ASSERT_TRUE(e) << err;
    EXPECT_EQ(e->port, 6379);
    EXPECT_EQ(e->db, 0);
    EXPECT_EQ(e->user, "");
    EXPECT_EQ(e->password, "pw");
}

TEST(RedisUrl, unix_socket_with_db) {
    std::string err;
    auto e = parse_redis_url("unix:///run/redis/redis.sock?db=3", err);
    ASSERT_TRUE(e) << err;
    EXPECT_EQ(e->socket_path, "/run/redis/redis.sock");
    EXPECT_EQ(e->db, 3);
}

TEST(RedisUrl, bad_urls_say_what_is_wrong) {
    std::string err;
    EXPECT_FALSE(parse_redis_url("http://x:1", err));
    EXPECT_NE(err.find("expected redis://"), std::string::npos) << err;
    EXPECT_FALSE(parse_redis_url("redis://host:99999", err));
    EXPECT_NE(err.find("port '99999' is not a number from 1 to 65535"), std::string::npos) << err;
    EXPECT_FALSE(parse_redis_url("redis://host:6379/x", err));
    EXPECT_NE(err.find("database 'x' is not a number"), std::string::npos) << err;
    EXPECT_FALSE(parse_redis_url("redis://:6379", err));
    EXPECT_NE(err.find("no host"), std::string::npos) << err;
    EXPECT_FALSE(parse_redis_url("unix://relative.sock", err));
}

// Security review (docs/reliability.md): the URL usually comes from the
// environment to keep its password out of files; an error about it must not
// print the password (tickcastd validate, the log).
TEST(RedisUrl, errors_never_quote_the_password) {
    for (const char* url : {"rediss://app:hunter2@cache:6379", "http://:hunter2@cache", "redis://app:hunter2@", "redis://:hunter2@:6379",
                            "redis://:hun@ter2@", "hunter2@cache"}) {
        std::string err;
        EXPECT_FALSE(parse_redis_url(url, err)) << url;
        EXPECT_FALSE(err.empty()) << url;
        EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
        EXPECT_EQ(err.find("ter2"), std::string::npos) << err;
    }
    std::string err;
    parse_redis_url("rediss://app:hunter2@cache:6379", err);
    EXPECT_NE(err.find("got 'rediss://***@cache:6379'"), std::string::npos) << "the rest still says what was wrong: " << err;
}

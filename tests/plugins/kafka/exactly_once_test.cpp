// Exactly-once engine output on the real Apache Kafka broker that
// kafka_broker_test.cpp starts once for this binary (exactly_once_scenario.hpp).
#include "exactly_once_scenario.hpp"

std::string real_kafka_address();  // kafka_broker_test.cpp

using namespace tickcast::kafka::test;

TEST(ExactlyOnce, a_match_daemon_killed_at_random_moments_writes_every_engine_event_once) {
    const std::string bootstrap = real_kafka_address();
    kill_and_restart_match(bootstrap, [&](const std::string& topic, int partitions) { create_topic(bootstrap, topic, partitions); }, {});
}

TEST(ExactlyOnce, an_input_topic_of_several_partitions_stops_the_daemon_with_a_reason) {
    const std::string bootstrap = real_kafka_address();
    const std::string orders = unique_name("orders");
    create_topic(bootstrap, orders, 2);
    TempDir dir;
    tickcast::test::DaemonProcess match(TICKCAST_SOURCE_DIR "/configs/roles/match-exactly-once.yaml",
                                        {"TICKCAST_KAFKA_BROKERS=" + bootstrap, "TICKCAST_ORDERS_TOPIC=" + orders,
                                         "TICKCAST_EVENTS_TOPIC=" + unique_name("market-events"), "TICKCAST_STATE_DIR=" + dir.path(),
                                         "TICKCAST_MATCH_INSTANCE=" + unique_name("m")});
    EXPECT_EQ(match.process().wait(60s), 1) << match.process().err();
    EXPECT_NE(match.process().err().find("start_from needs topic '" + orders + "' to have one partition, but it has partition 1 too"),
              std::string::npos)
        << match.process().err();
}

// Exactly-once engine output on the real Apache Kafka broker that
// kafka_broker_test.cpp starts once for this binary (exactly_once_scenario.hpp).
#include "exactly_once_scenario.hpp"

std::string real_kafka_address();  // kafka_broker_test.cpp

using namespace tickcast::kafka::test;

TEST(ExactlyOnce, a_match_daemon_killed_at_random_moments_writes_every_engine_event_once) {
    const std::string bootstrap = real_kafka_address();
    kill_and_restart_match(bootstrap, [&](const std::string& topic, int partitions) { create_topic(bootstrap, topic, partitions); }, {});
}

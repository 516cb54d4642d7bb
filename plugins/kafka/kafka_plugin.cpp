// Registration of the Kafka plugins: a cluster resource, a consumer-group
// source with at-least-once commits, and an idempotent producer sink.
#include <tickcast/tickcast.hpp>

#include "kafka_cluster.hpp"
#include "kafka_sink.hpp"
#include "kafka_source.hpp"

namespace {

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    using namespace tickcast::kafka;
    r.add_resource({"kafka", PluginKind::resource, "A Kafka cluster: brokers, or an embedded test cluster on loopback", KafkaCluster::options()},
                   [](const ConfigNode& o) { return std::make_unique<KafkaCluster>(o); });
    r.add_source({"kafka_source", PluginKind::source, "Consumes topics as a group member; commits offsets once every sink acknowledged",
                  KafkaSource::options()},
                 [](const ConfigNode& o) { return std::make_unique<KafkaSource>(o); });
    r.add_sink({"kafka_sink", PluginKind::sink, "Writes events to a topic with an idempotent producer (acks=all)", KafkaSink::options()},
               [](const ConfigNode& o) { return std::make_unique<KafkaSink>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("kafka", TICKCAST_SDK_VERSION, register_plugins)

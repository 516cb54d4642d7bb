// The `kafka` resource: one Kafka cluster that kafka_source and kafka_sink
// reference by name. Either real brokers (`brokers: [host:port, ...]`) or
// `brokers: embedded`, an in-process Kafka-protocol cluster from librdkafka's
// test broker (rdkafka_mock.h) listening on loopback, which logs its
// bootstrap address so outside clients (kcat) can connect.
//
// It holds what every client of the cluster shares: the bootstrap address
// and the raw librdkafka properties of `librdkafka:` (SASL, SSL, tuning).
// Each source and sink creates its own client from it (a consumer group
// member per source, a producer per sink, so that their callbacks run on
// their own pipeline's strand).
//
// Thread-safety: after start(), client_conf() and prepare_topic() may be
// called from any pipeline's strand.
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <tickcast/tickcast.hpp>

#include "client.hpp"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace tickcast::kafka {

class KafkaCluster final : public Resource {
public:
    explicit KafkaCluster(const ConfigNode& options);
    ~KafkaCluster() override;
    void start(ResourceContext& context) override;
    void stop() override;

    static OptionSpecs options();

    // A client configuration: `defaults` (the plugin's), then the cluster's
    // `librdkafka:` properties, then the plugin's own overrides, then the
    // bootstrap address. Throws std::runtime_error naming a bad property.
    Conf client_conf(const Properties& defaults, const Properties& overrides) const;
    // "host:port,host:port"; for the embedded cluster, its loopback address.
    const std::string& bootstrap() const { return bootstrap_; }
    bool embedded() const { return embedded_; }
    // The partitions prepare_topic gives a topic of the embedded cluster.
    int embedded_partitions() const { return embedded_partitions_; }
    // Embedded cluster: creates `topic` with embedded_partitions partitions
    // unless it exists. Real clusters create topics their own way.
    void prepare_topic(const std::string& topic);

private:
    void probe_brokers();
    void write_bootstrap_file();

    bool embedded_ = false;
    int embedded_brokers_ = 1;
    int embedded_partitions_ = 4;
    std::chrono::milliseconds connect_timeout_{10'000};
    std::string bootstrap_;
    std::string bootstrap_file_;
    bool wrote_bootstrap_file_ = false;
    Properties properties_;
    ResourceContext* context_ = nullptr;
    ClientOpaque opaque_;
    Handle mock_owner_;  // the client the embedded cluster's threads belong to
    rd_kafka_mock_cluster_t* mock_ = nullptr;
    std::mutex topics_mutex_;
    std::set<std::string> topics_;
};

}  // namespace tickcast::kafka

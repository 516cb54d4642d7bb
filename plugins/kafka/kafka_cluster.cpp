#include "kafka_cluster.hpp"

#include <librdkafka/rdkafka_mock.h>

#include <filesystem>
#include <fstream>

namespace tickcast::kafka {

OptionSpecs KafkaCluster::options() {
    return {
        {"brokers", OptionType::any, true, "",
         "Bootstrap brokers: a list of host:port (or one comma-separated string), or `embedded` for an in-process test cluster on loopback"},
        {"librdkafka", OptionType::map, false, "",
         "Raw librdkafka client properties for every client of this cluster (security.protocol, sasl.*, ssl.*, tuning); checked at startup"},
        {"connect_timeout", OptionType::duration, false, "10s",
         "At startup, fail unless the brokers answer a metadata request within this time; 0 skips the check"},
        {"embedded_brokers", OptionType::integer, false, "1", "With brokers: embedded, how many brokers the test cluster runs"},
        {"embedded_partitions", OptionType::integer, false, "4",
         "With brokers: embedded, partitions of each topic a kafka_source or kafka_sink names"},
        {"bootstrap_file", OptionType::string, false, "",
         "Once the cluster is up, write its bootstrap address (one line) to this file, for scripts and other daemons; removed at stop"},
    };
}

namespace {
bool valid_address(const std::string& a) {
    const auto colon = a.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == a.size()) return false;
    for (std::size_t i = colon + 1; i < a.size(); ++i)
        if (a[i] < '0' || a[i] > '9') return false;
    return true;
}
}  // namespace

KafkaCluster::KafkaCluster(const ConfigNode& o) {
    const ConfigNode brokers = o["brokers"];
    std::vector<std::pair<std::string, ConfigNode>> addresses;
    if (brokers.is_scalar() && brokers.text() == "embedded") {
        embedded_ = true;
    } else if (brokers.is_scalar()) {
        const std::string text = brokers.as_string();
        for (std::size_t at = 0; at <= text.size();) {
            const std::size_t comma = std::min(text.find(',', at), text.size());
            addresses.emplace_back(text.substr(at, comma - at), brokers);
            at = comma + 1;
        }
    } else if (brokers.is_sequence()) {
        for (const ConfigNode& b : brokers.items()) addresses.emplace_back(b.as_string(), b);
    }
    if (!embedded_) {
        if (addresses.empty()) brokers.fail("expected a list of host:port, or `embedded`");
        for (const auto& [address, where] : addresses) {
            if (!valid_address(address)) where.fail("'" + address + "' is not host:port (expected e.g. 127.0.0.1:9092, or `embedded`)");
            bootstrap_ += (bootstrap_.empty() ? "" : ",") + address;
        }
    }
    properties_ = read_properties(o["librdkafka"]);
    connect_timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(o["connect_timeout"].as_duration());
    const std::int64_t nb = o["embedded_brokers"].as_int(), np = o["embedded_partitions"].as_int();
    if (nb < 1 || nb > 16) o["embedded_brokers"].fail("embedded_brokers must be 1 to 16");
    if (np < 1 || np > 1024) o["embedded_partitions"].fail("embedded_partitions must be 1 to 1024");
    embedded_brokers_ = int(nb);
    embedded_partitions_ = int(np);
    if (o.has("bootstrap_file")) bootstrap_file_ = o["bootstrap_file"].as_string();
}

KafkaCluster::~KafkaCluster() { stop(); }

void KafkaCluster::start(ResourceContext& context) {
    context_ = &context;
    opaque_.log = &context.log();
    if (!embedded_) {
        context.log().info("Kafka brokers {}", bootstrap_);
        if (connect_timeout_.count() > 0) probe_brokers();
        write_bootstrap_file();
        return;
    }
    // The test cluster's threads belong to a client handle; a producer with no
    // brokers of its own is the cheapest one.
    Conf conf(rd_kafka_conf_new());
    attach(conf.get(), &opaque_);
    apply_properties(conf.get(), {{"log_level", "3"}});
    mock_owner_ = make_client(RD_KAFKA_PRODUCER, std::move(conf));
    mock_ = rd_kafka_mock_cluster_new(mock_owner_.get(), embedded_brokers_);
    if (!mock_) throw std::runtime_error("cannot start the embedded Kafka cluster");
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(mock_);
    context.log().info("embedded Kafka cluster (librdkafka's test broker, {} broker{}, {} partitions per topic) on {}",
                       embedded_brokers_, embedded_brokers_ == 1 ? "" : "s", embedded_partitions_, bootstrap_);
    write_bootstrap_file();
}

void KafkaCluster::write_bootstrap_file() {
    if (bootstrap_file_.empty()) return;
    // Written aside and renamed, so a reader never sees half an address.
    const std::string tmp = bootstrap_file_ + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << bootstrap_ << '\n';
    std::error_code ec;
    std::filesystem::rename(tmp, bootstrap_file_, ec);
    if (ec) throw std::runtime_error("cannot write the bootstrap address to " + bootstrap_file_ + ": " + ec.message());
    wrote_bootstrap_file_ = true;
}

void KafkaCluster::probe_brokers() {
    Conf conf = client_conf({}, {});
    Handle probe = make_client(RD_KAFKA_PRODUCER, std::move(conf));
    const struct rd_kafka_metadata* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(probe.get(), 0, nullptr, &md, int(connect_timeout_.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("Kafka brokers " + bootstrap_ + " did not answer within " + std::to_string(connect_timeout_.count()) +
                                 " ms (connect_timeout): " + rd_kafka_err2str(err));
    context_->log().info("Kafka cluster reachable: {} broker{}", md->broker_cnt, md->broker_cnt == 1 ? "" : "s");
    rd_kafka_metadata_destroy(md);
}

Conf KafkaCluster::client_conf(const Properties& defaults, const Properties& overrides) const {
    Conf conf(rd_kafka_conf_new());
    apply_properties(conf.get(), defaults);
    apply_properties(conf.get(), properties_);
    apply_properties(conf.get(), overrides);
    apply_properties(conf.get(), {{"bootstrap.servers", bootstrap_}});
    return conf;
}

void KafkaCluster::prepare_topic(const std::string& topic) {
    if (!mock_) return;
    std::lock_guard lock(topics_mutex_);
    if (!topics_.insert(topic).second) return;
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mock_, topic.c_str(), embedded_partitions_, std::min(embedded_brokers_, 3));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        context_->log().warn("cannot create topic '{}' on the embedded cluster: {}", topic, rd_kafka_err2str(err));
}

void KafkaCluster::stop() {
    if (std::exchange(wrote_bootstrap_file_, false)) {
        std::error_code ec;
        std::filesystem::remove(bootstrap_file_, ec);
    }
    if (mock_) rd_kafka_mock_cluster_destroy(std::exchange(mock_, nullptr));
    mock_owner_.reset();
}

}  // namespace tickcast::kafka

#include "seq_dedupe.hpp"

#include <charconv>
#include <map>
#include <set>
#include <vector>

#include <spdlog/spdlog.h>

#include "client.hpp"
#include "event_codec.hpp"
#include "kafka_cluster.hpp"
#include "offset_tracker.hpp"

namespace tickcast::kafka {

void SeqDedupe::learn(std::string_view channel, std::uint64_t seq) {
    if (seq == 0 || channel.empty()) return;
    auto it = last_.find(channel);
    if (it == last_.end())
        last_.emplace(std::string(channel), seq);
    else if (seq > it->second)
        it->second = seq;
}

SeqDedupe::Verdict SeqDedupe::check(std::string_view channel, std::uint64_t seq) {
    if (seq == 0 || last_.empty()) return Verdict::write;
    const auto it = last_.find(channel);
    if (it == last_.end()) return Verdict::write;
    if (seq <= it->second) return Verdict::drop;
    const bool gap = seq > it->second + 1;
    last_.erase(it);  // from here on the channel's events are new
    return gap ? Verdict::write_after_gap : Verdict::write;
}

namespace {

std::string_view header_value(const rd_kafka_message_t* m, std::string_view name) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || !headers) return {};
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, std::string(name).c_str(), &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || !value) return {};
    return {static_cast<const char*>(value), size};
}

}  // namespace

ReadBack read_written_seqs(const KafkaCluster& cluster, spdlog::logger& log, const std::string& topic, std::int64_t since_ms,
                           std::chrono::milliseconds timeout, SeqDedupe& out) {
    ReadBack result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto left_ms = [&] {
        return int(std::max<std::int64_t>(
            1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
    };
    // A consumer that joins no group (assign only) and commits nothing.
    Conf conf = cluster.client_conf({{"group.id", "tickcast-dedupe-" + topic},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"enable.partition.eof", "true"},
                                     {"fetch.wait.max.ms", "10"}},
                                    {});
    ClientOpaque opaque{&log, nullptr};
    attach(conf.get(), &opaque);
    Handle consumer = make_client(RD_KAFKA_CONSUMER, std::move(conf));

    TopicHandle handle(rd_kafka_topic_new(consumer.get(), topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    if (const rd_kafka_resp_err_t err = rd_kafka_metadata(consumer.get(), 0, handle.get(), &md, left_ms())) {
        result.error = "cannot read the metadata of topic '" + topic + "': " + rd_kafka_err2str(err);
        return result;
    }
    const rd_kafka_resp_err_t topic_err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    const int partitions = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || topic_err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) return result;
    if (topic_err) {
        result.error = "topic '" + topic + "': " + rd_kafka_err2str(topic_err);
        return result;
    }
    result.partitions = std::size_t(partitions);

    // Where each partition's read starts, and where it ends (its end now).
    std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> ranges;
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        if (const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high, left_ms())) {
            result.error = "cannot read the end offsets of " + TopicPartition{topic, p}.str() + ": " + rd_kafka_err2str(err);
            return result;
        }
        if (high > low) ranges[p] = {low, high};
    }
    if (since_ms > 0 && !cluster.embedded() && !ranges.empty()) {
        PartitionList times(rd_kafka_topic_partition_list_new(int(ranges.size())));
        for (const auto& [p, range] : ranges) rd_kafka_topic_partition_list_add(times.get(), topic.c_str(), p)->offset = since_ms;
        if (const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(consumer.get(), times.get(), left_ms())) {
            result.error = "cannot look up the offsets of " + topic + " at time " + std::to_string(since_ms) + ": " + rd_kafka_err2str(err);
            return result;
        }
        std::vector<std::int32_t> none_after;  // partitions where the lookup found nothing at or after since_ms
        for (int i = 0; i < times->cnt; ++i) {
            const rd_kafka_topic_partition_t& t = times->elems[i];
            auto& range = ranges[t.partition];
            if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // read it all
            if (t.offset < 0)
                none_after.push_back(t.partition);
            else
                range.first = std::max(range.first, t.offset);
        }
        // "Nothing at or after" is checked against the partition's last
        // message: librdkafka's embedded test broker (also when a test owns
        // it and the daemon sees plain brokers) answers every time lookup so.
        if (!none_after.empty()) {
            PartitionList probe(rd_kafka_topic_partition_list_new(int(none_after.size())));
            for (std::int32_t p : none_after) rd_kafka_topic_partition_list_add(probe.get(), topic.c_str(), p)->offset = ranges[p].second - 1;
            rd_kafka_assign(consumer.get(), probe.get());
            std::set<std::int32_t> unprobed(none_after.begin(), none_after.end());
            while (!unprobed.empty() && std::chrono::steady_clock::now() < deadline) {
                rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
                if (!m) continue;
                if (!m->err && unprobed.erase(m->partition)) {
                    const std::int64_t last_ms = rd_kafka_message_timestamp(m, nullptr);
                    auto& range = ranges[m->partition];
                    if (last_ms >= 0 && last_ms < since_ms) range.first = range.second;  // indeed nothing newer
                }
                rd_kafka_message_destroy(m);
            }
            rd_kafka_assign(consumer.get(), nullptr);
            // A partition not probed in time is read whole.
        }
        std::erase_if(ranges, [](const auto& r) { return r.second.first >= r.second.second; });
    }
    if (ranges.empty()) return result;

    PartitionList assignment(rd_kafka_topic_partition_list_new(int(ranges.size())));
    for (const auto& [p, range] : ranges) rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = range.first;
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(consumer.get(), assignment.get())) {
        result.error = std::string("cannot assign the partitions to read back: ") + rd_kafka_err2str(err);
        return result;
    }
    while (!ranges.empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            result.error = "timed out reading topic '" + topic + "' back (" + std::to_string(result.messages) + " messages read, " +
                           std::to_string(ranges.size()) + " partitions unfinished)";
            break;
        }
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
        if (!m) continue;
        const auto range = ranges.find(m->partition);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (range != ranges.end() && m->offset >= range->second.second) ranges.erase(range);
        } else if (m->err) {
            log.warn("reading topic '{}' back: {}", topic, rd_kafka_message_errstr(m));
        } else {
            ++result.messages;
            std::uint64_t seq = 0;
            const std::string_view seq_text = header_value(m, header::seq);
            std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
            out.learn(header_value(m, header::channel), seq);
            if (range != ranges.end() && m->offset + 1 >= range->second.second) ranges.erase(range);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(consumer.get(), nullptr);
    rd_kafka_consumer_close(consumer.get());
    return result;
}

}  // namespace tickcast::kafka

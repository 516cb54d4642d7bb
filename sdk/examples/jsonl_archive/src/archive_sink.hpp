// jsonl_archive: appends every event, as one JSON line in tickcast's envelope
// form, to numbered files in a folder: <dir>/<prefix>-000001.jsonl, ...
//
// - Rotation: a file is closed when the next batch would take it past
//   `max_size`, or `max_age` after it was opened. The file being written is
//   named *.jsonl.part and renamed to *.jsonl once closed, so a reader never
//   sees a growing file. A *.part left by a crash is cut back to its last
//   complete line and renamed at start.
// - Durability (`fsync`): `batch` completes a batch once fsync(2) has put it
//   on disk; `interval` completes the batches written in each
//   `fsync_interval` together after one fsync (group commit: fewer syncs,
//   later acknowledgements); `never` completes once write(2) returned, which
//   survives a crash of the daemon but not of the machine.
//
// Threading: every call runs on the sink's executor (the host's strand), so
// the sink keeps no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <tickcast/tickcast.hpp>

namespace jsonl_archive {

enum class FsyncPolicy { batch, interval, never };

class ArchiveSink final : public tickcast::Sink {
public:
    explicit ArchiveSink(const tickcast::ConfigNode& options);
    ~ArchiveSink() override;

    void start(tickcast::SinkContext& context) override;
    void write(tickcast::BatchRef batch, tickcast::Completion done) override;
    void flush(tickcast::Completion done) override;
    void stop() override;

    static tickcast::OptionSpecs options();

private:
    std::string file_path(std::uint64_t number, bool open) const;
    void recover();
    bool open_next(std::string& error);
    void close_current();
    // fsync the open file; completes (or fails) every batch waiting for it.
    void sync();
    void arm_sync_timer();
    void on_age_timer(std::uint64_t file_number);

    // options
    std::string dir_, prefix_;
    std::uint64_t max_size_;
    std::chrono::nanoseconds max_age_, fsync_interval_;
    FsyncPolicy fsync_;

    tickcast::SinkContext* context_ = nullptr;
    int fd_ = -1;
    std::uint64_t number_ = 0;  // of the open file, or of the last one
    std::uint64_t size_ = 0;    // bytes in the open file
    std::string buffer_;        // one batch's lines, reused
    std::vector<tickcast::Completion> waiting_for_sync_;
    std::unique_ptr<boost::asio::steady_timer> age_timer_, sync_timer_;
    bool sync_timer_armed_ = false;

    prometheus::Counter* bytes_ = nullptr;
    prometheus::Counter* files_ = nullptr;
    prometheus::Histogram* fsync_seconds_ = nullptr;
};

}  // namespace jsonl_archive

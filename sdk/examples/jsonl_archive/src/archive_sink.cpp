#include "archive_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>

#include <fcntl.h>
#include <unistd.h>

#include <tickcast/json.hpp>

namespace jsonl_archive {

namespace fs = std::filesystem;
using namespace tickcast;

namespace {

std::string errno_text() { return std::strerror(errno); }

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= std::size_t(n);
    }
    return true;
}

// Cuts a file left by a crash back to its last complete line.
void truncate_to_last_line(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    off_t end = ::lseek(fd, 0, SEEK_END);
    char chunk[4096];
    while (end > 0) {
        const off_t start = std::max<off_t>(0, end - off_t(sizeof chunk));
        const ssize_t n = ::pread(fd, chunk, std::size_t(end - start), start);
        if (n <= 0) break;
        const char* nl = static_cast<const char*>(memrchr(chunk, '\n', std::size_t(n)));
        if (nl) {
            end = start + (nl - chunk) + 1;
            break;
        }
        end = start;
    }
    if (::ftruncate(fd, end) != 0) std::perror("jsonl_archive: ftruncate");
    ::close(fd);
}

}  // namespace

OptionSpecs ArchiveSink::options() {
    return {
        {"dir", OptionType::string, true, "", "Folder for the archive files (created if missing)"},
        {"prefix", OptionType::string, false, "events", "File names are <prefix>-<6-digit number>.jsonl"},
        {"max_size", OptionType::size, false, "64MiB", "Close a file before a batch would take it past this size"},
        {"max_age", OptionType::duration, false, "1h", "Close a file this long after it was opened; 0 never"},
        {"fsync", OptionType::string, false, "batch",
         "batch: fsync before completing each batch; interval: one fsync per fsync_interval completes the batches written since; never: complete after write(2)"},
        {"fsync_interval", OptionType::duration, false, "100ms", "With fsync: interval, how often to sync"},
    };
}

ArchiveSink::ArchiveSink(const ConfigNode& o)
    : dir_(o["dir"].as_string()), prefix_(o["prefix"].as_string()), max_size_(o["max_size"].as_size()),
      max_age_(o["max_age"].as_duration()), fsync_interval_(o["fsync_interval"].as_duration()) {
    if (prefix_.empty() || prefix_.find('/') != std::string::npos) o["prefix"].fail("prefix must be a non-empty file name without '/'");
    if (max_size_ == 0) o["max_size"].fail("max_size must be more than 0");
    const std::string policy = o["fsync"].as_string();
    if (policy == "batch") fsync_ = FsyncPolicy::batch;
    else if (policy == "interval") fsync_ = FsyncPolicy::interval;
    else if (policy == "never") fsync_ = FsyncPolicy::never;
    else o["fsync"].fail("fsync must be batch, interval or never, got '" + policy + "'");
    if (fsync_ == FsyncPolicy::interval && fsync_interval_.count() == 0) o["fsync_interval"].fail("fsync_interval must be more than 0");
}

ArchiveSink::~ArchiveSink() {
    if (fd_ >= 0) ::close(fd_);
}

std::string ArchiveSink::file_path(std::uint64_t number, bool open) const {
    char name[32];
    std::snprintf(name, sizeof name, "-%06llu.jsonl", static_cast<unsigned long long>(number));
    return dir_ + "/" + prefix_ + name + (open ? ".part" : "");
}

void ArchiveSink::start(SinkContext& context) {
    context_ = &context;
    bytes_ = &context.metrics().counter("tickcast_archive_bytes_total", "Bytes appended to archive files");
    files_ = &context.metrics().counter("tickcast_archive_files_total", "Archive files completed (closed and renamed)");
    fsync_seconds_ = &context.metrics().histogram("tickcast_archive_fsync_seconds", "Time one fsync of an archive file took");
    age_timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    sync_timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    fs::create_directories(dir_);  // throws with the path and the reason
    recover();
}

// Numbers continue after the highest file present; a crash's *.part is
// cut to its last complete line and completed.
void ArchiveSink::recover() {
    const std::regex name(prefix_ + R"(-(\d+)\.jsonl(\.part)?)");
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
        std::smatch m;
        const std::string file = entry.path().filename().string();
        if (!std::regex_match(file, m, name)) continue;
        const std::uint64_t n = std::stoull(m[1].str());
        number_ = std::max(number_, n);
        if (m[2].matched) {
            context_->log().warn("completing {} left open by an earlier run", entry.path().string());
            truncate_to_last_line(entry.path().string());
            fs::rename(entry.path(), file_path(n, false));
        }
    }
}

bool ArchiveSink::open_next(std::string& error) {
    const std::string path = file_path(number_ + 1, true);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        error = "cannot create '" + path + "': " + errno_text();
        return false;
    }
    ++number_;
    size_ = 0;
    if (max_age_.count() > 0) {
        age_timer_->expires_after(max_age_);
        age_timer_->async_wait([this, n = number_](boost::system::error_code ec) {
            if (!ec) on_age_timer(n);
        });
    }
    return true;
}

void ArchiveSink::on_age_timer(std::uint64_t file_number) {
    if (fd_ >= 0 && number_ == file_number) close_current();
}

void ArchiveSink::close_current() {
    if (fd_ < 0) return;
    if (fsync_ != FsyncPolicy::never) sync();
    ::close(fd_);
    fd_ = -1;
    age_timer_->cancel();
    const std::string from = file_path(number_, true), to = file_path(number_, false);
    if (std::rename(from.c_str(), to.c_str()) != 0) {
        context_->log().error("cannot rename '{}' to '{}': {}", from, to, errno_text());
        return;
    }
    if (fsync_ != FsyncPolicy::never) {
        // The rename itself is durable only once the folder is synced.
        const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
            ::fsync(dir_fd);
            ::close(dir_fd);
        }
    }
    files_->Increment();
    context_->log().debug("completed {} ({} bytes)", to, size_);
}

void ArchiveSink::sync() {
    Status status;
    if (fd_ >= 0) {
        const auto started = std::chrono::steady_clock::now();
        if (::fsync(fd_) != 0) status = Status::failure("fsync of '" + file_path(number_, true) + "' failed: " + errno_text());
        fsync_seconds_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    for (Completion& done : waiting_for_sync_) done(status);
    waiting_for_sync_.clear();
}

void ArchiveSink::arm_sync_timer() {
    if (sync_timer_armed_) return;
    sync_timer_armed_ = true;
    sync_timer_->expires_after(fsync_interval_);
    sync_timer_->async_wait([this](boost::system::error_code ec) {
        sync_timer_armed_ = false;
        if (!ec) sync();
    });
}

void ArchiveSink::write(BatchRef batch, Completion done) {
    buffer_.clear();
    for (const Event& e : *batch) {
        append_envelope_line(buffer_, e);
        buffer_ += '\n';
    }
    if (fd_ >= 0 && size_ > 0 && size_ + buffer_.size() > max_size_) close_current();
    std::string error;
    if (fd_ < 0 && !open_next(error)) {
        done(Status::failure(error));
        return;
    }
    if (!write_all(fd_, buffer_.data(), buffer_.size())) {
        done(Status::failure("writing '" + file_path(number_, true) + "' failed: " + errno_text()));
        return;
    }
    size_ += buffer_.size();
    bytes_->Increment(double(buffer_.size()));
    switch (fsync_) {
        case FsyncPolicy::never:
            done();
            break;
        case FsyncPolicy::batch:
            waiting_for_sync_.push_back(std::move(done));
            sync();
            break;
        case FsyncPolicy::interval:
            waiting_for_sync_.push_back(std::move(done));
            arm_sync_timer();
            break;
    }
}

void ArchiveSink::flush(Completion done) {
    if (fsync_ != FsyncPolicy::never) sync();
    done();
}

void ArchiveSink::stop() {
    if (sync_timer_) sync_timer_->cancel();
    close_current();  // syncs, so no batch is left waiting
    for (Completion& done : waiting_for_sync_) done(Status::failure("jsonl_archive stopped before the batch was synced"));
    waiting_for_sync_.clear();
}

}  // namespace jsonl_archive

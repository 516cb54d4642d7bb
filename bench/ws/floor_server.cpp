#include "ws/floor_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/bench_support.hpp"
#include "write_workers.hpp"
#include "ws/nchan_baseline.hpp"

namespace tickcast::bench {

namespace {

// Sec-WebSocket-Accept: base64(SHA-1(key + the RFC 6455 GUID)).
std::string accept_key(const std::string& key) {
    const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
    unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    const int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<const char*>(out), std::size_t(n));
}

// The header field's value, or empty.
std::string header(const std::string& request, const std::string& name) {
    const auto at = request.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto from = at + name.size() + 4;
    return request.substr(from, request.find("\r\n", from) - from);
}

}  // namespace

FloorServer::FloorServer(Spec spec) : spec_(std::move(spec)), subscribers_(spec_.channels) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 4096) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error(std::string("floor server: listen: ") + std::strerror(errno));
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
    publisher_ = thread_catching(error_, [this] { publish_loop(); });
}

FloorServer::~FloorServer() { stop(); }

void FloorServer::stop() {
    stopping_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    if (publisher_.joinable()) publisher_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    for (auto& fds : subscribers_)
        for (int fd : fds)
            if (fd >= 0) ::close(fd);
    subscribers_.clear();
}

void FloorServer::accept_loop() {
    const std::string path = "GET /sub/" + spec_.id_prefix;
    while (!stopping_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        // The upgrade request, read whole (blocking, the client sends it at once).
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            pollfd r{fd, POLLIN, 0};
            if (::poll(&r, 1, 2000) <= 0) break;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            request.append(buf, std::size_t(n));
        }
        const std::string key = header(request, "Sec-WebSocket-Key");
        std::size_t k = spec_.channels;
        if (request.compare(0, path.size(), path) == 0) k = std::strtoul(request.c_str() + path.size(), nullptr, 10);
        if (key.empty() || k >= spec_.channels) {
            ::close(fd);
            continue;
        }
        const std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                                     accept_key(key) + "\r\n\r\n";
        if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) != ssize_t(response.size())) {
            ::close(fd);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        std::lock_guard lock(mutex_);
        subscribers_[k].push_back(fd);
    }
}

void FloorServer::publish_loop() {
    tickcast::websocket::WriteWorkers workers(spec_.threads);
    std::vector<std::uint64_t> seqs(spec_.channels, 0);
    std::vector<std::string> names;
    for (std::size_t k = 0; k < spec_.channels; ++k) names.push_back(spec_.channel_prefix + std::to_string(k));
    std::string frame, body;
    std::vector<int> fds;
    std::uint64_t next = 0;
    // Paced as tickcast's GeneratorSource: wake at least 1 ms apart, send what is due.
    PacedCount pacer{spec_.rate, UINT64_MAX, 256};
    while (!stopping_) {
        const std::uint64_t due = pacer.due();
        if (due == 0) {
            std::this_thread::sleep_until(pacer.next_wake());
            continue;
        }
        for (std::uint64_t i = 0; i < due; ++i) {
            const std::size_t k = next++ % spec_.channels;
            body.clear();
            append_bench_envelope(body, names[k], ++seqs[k], k, spec_.payload_bytes);
            // A server's text frame: FIN + opcode 1, no mask, 16-bit length past 125.
            frame.clear();
            frame += char(0x81);
            if (body.size() < 126) {
                frame += char(body.size());
            } else {
                frame += char(126);
                frame += char((body.size() >> 8) & 0xff);
                frame += char(body.size() & 0xff);
            }
            frame += body;
            {
                std::lock_guard lock(mutex_);
                fds = subscribers_[k];
            }
            auto send_one = [&](std::size_t j) {
                const ssize_t n = ::send(fds[j], frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n != ssize_t(frame.size())) {
                    dropped_.fetch_add(1, std::memory_order_relaxed);
                    ::shutdown(fds[j], SHUT_RDWR);  // a partial frame broke the stream: the client sees the end
                }
            };
            workers.for_each(fds.size(), send_one);
        }
        pacer.emitted += due;
    }
}

}  // namespace tickcast::bench

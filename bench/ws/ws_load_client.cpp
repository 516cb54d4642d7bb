#include "ws/ws_load_client.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/bench_support.hpp"

namespace tickcast::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view event_prefix = R"({"type":"event","channel":")";
constexpr std::string_view seq_field = R"(","seq":)";
constexpr std::string_view ts_field = R"("ts":)";

bool starts_with(const char* p, std::size_t n, std::string_view s) { return n >= s.size() && std::memcmp(p, s.data(), s.size()) == 0; }

// Digits at p (up to end) into v; returns the position after them, or null if none.
const char* parse_u64(const char* p, const char* end, std::uint64_t& v) {
    const auto r = std::from_chars(p, end, v);
    return r.ec == std::errc() ? r.ptr : nullptr;
}

}  // namespace

struct WsLoadClient::Connection {
    enum class State { connecting, handshaking, subscribing, live, closed };
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    char* buf = nullptr;
    std::size_t capacity = 0, filled = 0;
    std::unique_ptr<char[]> grown;  // replaces the arena slice once a frame did not fit
    std::uint64_t skip = 0;  // bytes of an oversized frame still to discard
    std::uint64_t last_seq = 0;
    std::uint32_t channel = 0;
    std::size_t index = 0;
    State state = State::connecting;
};

WsLoadClient::WsLoadClient(LoadSpec spec) : spec_(std::move(spec)), spread_slots_(1u << 14) {
    server_ = tcp::endpoint(asio::ip::make_address(spec_.host), spec_.port);
    arena_.resize(spec_.connections * spec_.buffer_bytes);
    conns_.reserve(spec_.connections);
    for (std::size_t i = 0; i < spec_.connections; ++i) {
        auto c = std::make_unique<Connection>(io_);
        c->buf = arena_.data() + i * spec_.buffer_bytes;
        c->capacity = spec_.buffer_bytes;
        c->channel = std::uint32_t(i % spec_.channels);
        c->index = i;
        conns_.push_back(std::move(c));
    }
}

WsLoadClient::~WsLoadClient() { stop(); }

void WsLoadClient::run() {
    asio::post(io_, [this] { start_next(); });
    thread_ = std::thread([this] {
        tid_ = int(::syscall(SYS_gettid));
        // An experiment (bench_e2e --client-nice): latency is taken from the
        // kernel's receive stamps, so a lower priority was meant to leave the
        // cores to the servers without changing the figures. Measured, it made
        // them worse: a starved client's full receive buffers hold the
        // senders back (docs/benchmarks.md).
        if (spec_.nice != 0) ::setpriority(PRIO_PROCESS, id_t(tid_.load()), spec_.nice);
        auto guard = asio::make_work_guard(io_);
        io_.run();
    });
}

void WsLoadClient::stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
        for (auto& c : conns_) {
            boost::system::error_code ignored;
            c->state = Connection::State::closed;
            c->socket.close(ignored);
        }
        io_.stop();
    });
    thread_.join();
}

void WsLoadClient::set_window(std::int64_t from_ns, std::int64_t to_ns) {
    window_to_.store(to_ns, std::memory_order_relaxed);
    window_from_.store(from_ns, std::memory_order_relaxed);
}

// Connections ---------------------------------------------------------------

void WsLoadClient::start_next() {
    while (in_flight_ < spec_.connect_parallel && next_ < conns_.size()) {
        Connection& c = *conns_[next_++];
        ++in_flight_;
        boost::system::error_code ec;
        c.socket.open(tcp::v4(), ec);
        int on = 1;
        if (!ec && ::setsockopt(c.socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
            ec = boost::system::error_code(errno, boost::system::system_category());
        if (!ec && spec_.source_addresses > 1) {
            // Bind only the address; the port is chosen at connect() for the
            // 4-tuple (IP_BIND_ADDRESS_NO_PORT), so each source address has
            // its own ephemeral range.
            int one = 1;
            ::setsockopt(c.socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            const auto a = asio::ip::address_v4((127u << 24) | std::uint32_t(1 + c.index % std::size_t(spec_.source_addresses)));
            c.socket.bind(tcp::endpoint(a, 0), ec);
        }
        if (ec) {
            fail(c, "socket: " + ec.message());
            continue;
        }
        c.socket.async_connect(server_, [this, &c](const boost::system::error_code& e) { on_connect(c, e); });
    }
}

void WsLoadClient::on_connect(Connection& c, const boost::system::error_code& ec) {
    if (ec) {
        ++results_.connect_failures;
        return fail(c, "connect: " + ec.message());
    }
    c.state = Connection::State::handshaking;
    const std::string path = spec_.server == LoadSpec::Server::nchan ? "/sub/" + spec_.nchan_id_prefix + std::to_string(c.channel)
                             : spec_.coalesce                          ? "/?coalesce=1"
                                                                       : "/";
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + spec_.host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    boost::system::error_code wec;
    asio::write(c.socket, asio::buffer(req), wec);
    if (wec) return fail(c, "handshake write: " + wec.message());
    read(c);
}

void WsLoadClient::fail(Connection& c, const std::string& why) {
    if (results_.first_error.empty()) results_.first_error = why;
    const bool was_pending = c.state == Connection::State::connecting || c.state == Connection::State::handshaking ||
                             c.state == Connection::State::subscribing;
    c.state = Connection::State::closed;
    boost::system::error_code ignored;
    c.socket.close(ignored);
    if (was_pending) {
        failed_.fetch_add(1, std::memory_order_relaxed);
        --in_flight_;
        start_next();
    }
}

void WsLoadClient::ready(Connection& c) {
    c.state = Connection::State::live;
    subscribed_.fetch_add(1, std::memory_order_relaxed);
    --in_flight_;
    start_next();
}

// Reading -------------------------------------------------------------------

// Wait for data, then recvmsg() it ourselves: the kernel's receive stamp
// (SO_TIMESTAMPNS, CLOCK_REALTIME, taken when the data reached the socket)
// comes in a control message that Asio's reads do not return.
void WsLoadClient::read(Connection& c) {
    c.socket.async_wait(tcp::socket::wait_read, [this, &c](const boost::system::error_code& ec) { on_readable(c, ec); });
}

void WsLoadClient::on_readable(Connection& c, const boost::system::error_code& ec) {
    if (c.state == Connection::State::closed) return;
    if (ec) {
        ++results_.socket_errors;
        return fail(c, "wait: " + ec.message());
    }
    iovec iov{c.buf + c.filled, c.capacity - c.filled};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(c.socket.native_handle(), &msg, MSG_DONTWAIT);
    const std::int64_t read_ns = realtime_ns();
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return read(c);
        ++results_.socket_errors;
        return fail(c, std::string("read: ") + std::strerror(errno));
    }
    if (n == 0) {
        ++results_.socket_errors;
        return fail(c, "read: the server closed the connection");
    }
    // TCP reports the stamp of the last segment this read consumed: for
    // frames that arrived earlier in the same read it errs late, never early.
    std::int64_t stamp_ns = read_ns;
    for (cmsghdr* m = CMSG_FIRSTHDR(&msg); m; m = CMSG_NXTHDR(&msg, m))
        if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(m), sizeof ts);
            stamp_ns = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        }
    c.filled += std::size_t(n);
    if (c.state == Connection::State::handshaking && !on_handshake(c)) return;
    on_frames(c, stamp_ns, read_ns);
    if (c.state != Connection::State::closed) read(c);
}

bool WsLoadClient::on_handshake(Connection& c) {
    const std::string_view got(c.buf, c.filled);
    const auto end = got.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (c.filled == c.capacity) fail(c, "handshake: response headers too long");
        else read(c);
        return false;
    }
    if (got.substr(0, 12) != "HTTP/1.1 101") {
        fail(c, "handshake refused: " + std::string(got.substr(0, got.find("\r\n"))));
        return false;
    }
    std::memmove(c.buf, c.buf + end + 4, c.filled - end - 4);
    c.filled -= end + 4;
    if (spec_.server == LoadSpec::Server::nchan) {
        ready(c);  // the URL was the subscription
    } else {
        c.state = Connection::State::subscribing;
        const std::string sub = R"({"op":"subscribe","channels":[")" + spec_.channel_prefix + std::to_string(c.channel) + R"("],"id":1})";
        send_frame(c, 0x1, sub.data(), sub.size());
    }
    return c.state != Connection::State::closed;
}

void WsLoadClient::on_frames(Connection& c, std::int64_t now, std::int64_t read_ns) {
    std::size_t pos = 0;
    if (c.skip) {
        const std::size_t k = std::size_t(std::min<std::uint64_t>(c.skip, c.filled));
        c.skip -= k;
        pos = k;
    }
    const auto* b = reinterpret_cast<const unsigned char*>(c.buf);
    while (c.filled - pos >= 2) {
        const std::uint8_t opcode = b[pos] & 0x0f;
        std::uint64_t len = b[pos + 1] & 0x7f;
        std::size_t header = 2;
        if (len == 126) {
            if (c.filled - pos < 4) break;
            len = (std::uint64_t(b[pos + 2]) << 8) | b[pos + 3];
            header = 4;
        } else if (len == 127) {
            if (c.filled - pos < 10) break;
            len = 0;
            for (int i = 0; i < 8; ++i) len = (len << 8) | b[pos + 2 + i];
            header = 10;
        }
        if (b[pos + 1] & 0x80) header += 4;  // a masked server frame is a protocol error; skip the key
        if (c.filled - pos < header) break;
        if (header + len > c.capacity) {
            // A frame larger than the buffer (coalesced messages): grow this
            // connection's buffer once to fit it; past max_frame, discard it.
            if (header + len <= max_frame) {
                grow(c, pos, std::size_t(header + len));
                b = reinterpret_cast<const unsigned char*>(c.buf);
                pos = 0;
                break;  // read the rest of it
            }
            ++results_.oversized;
            const std::size_t have = c.filled - pos - header;
            c.skip = len - have;
            pos = c.filled;
            break;
        }
        if (c.filled - pos < header + len) break;
        const char* payload = c.buf + pos + header;
        if (opcode == 0x1 || opcode == 0x2 || opcode == 0x0) {
            on_message(c, payload, std::size_t(len), now, read_ns);
        } else if (opcode == 0x8) {
            ++results_.server_closes;
            if (results_.first_close_code == 0 && len >= 2)
                results_.first_close_code = std::uint16_t((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
            fail(c, "closed by the server: " + std::string(payload + std::min<std::uint64_t>(len, 2), payload + len));
            return;
        } else if (opcode == 0x9) {
            send_frame(c, 0xA, payload, std::size_t(len));
        }
        pos += header + std::size_t(len);
        if (c.state == Connection::State::closed) return;
    }
    if (pos) {
        std::memmove(c.buf, c.buf + pos, c.filled - pos);
        c.filled -= pos;
    }
}

// One event message at p (starting with event_prefix); returns where parsing stopped.
const char* WsLoadClient::on_event(Connection& c, const char* p, const char* end, std::int64_t now, std::int64_t read_ns) {
    // Channel: prefix + number; the number must be this connection's.
    const char* q = p + event_prefix.size() + spec_.channel_prefix.size();
    std::uint64_t channel = 0, seq = 0, ts = 0;
    q = q < end ? parse_u64(q, end, channel) : nullptr;
    if (!q || !starts_with(q, std::size_t(end - q), seq_field) || !(q = parse_u64(q + seq_field.size(), end, seq))) {
        ++results_.other;
        return p + 1;
    }
    if (channel != c.channel) ++results_.wrong_channel;
    const char* t = static_cast<const char*>(memmem(q, std::size_t(end - q), ts_field.data(), ts_field.size()));
    const char* after = t ? parse_u64(t + ts_field.size(), end, ts) : nullptr;
    if (!after) {
        ++results_.other;
        return q;
    }
    ++results_.deliveries;
    if (c.last_seq != 0) {
        if (seq > c.last_seq + 1)
            results_.missed += seq - c.last_seq - 1;
        else if (seq <= c.last_seq)
            ++results_.reordered;
    }
    c.last_seq = seq;
    if (now >= window_from_.load(std::memory_order_relaxed) && now < window_to_.load(std::memory_order_relaxed)) {
        ++results_.window_deliveries;
        results_.latency.add(now - std::int64_t(ts));
        results_.latency_at_read.add(read_ns - std::int64_t(ts));
        track_spread(channel, seq, now);
    }
    return after;
}

void WsLoadClient::track_spread(std::uint64_t channel, std::uint64_t seq, std::int64_t now) {
    const std::uint64_t tag = (channel << 40) | (seq & ((1ull << 40) - 1));
    SpreadSlot& s = spread_slots_[std::size_t((tag * 0x9E3779B97F4A7C15ull) >> 50)];
    if (s.tag != tag) s = {tag, now, 0};  // a new event (or a collision: that event is not counted)
    const std::size_t subscribers = spec_.connections / spec_.channels + (channel < spec_.connections % spec_.channels ? 1 : 0);
    if (++s.count == subscribers) results_.spread.add(now - s.first);
}

void WsLoadClient::on_message(Connection& c, const char* p, std::size_t n, std::int64_t now, std::int64_t read_ns) {
    if (n && p[0] == '[') {
        // Several messages coalesced into one frame (a JSON array of them):
        // each event message starts with the fixed prefix.
        const char* end = p + n;
        for (const char* q = p; (q = static_cast<const char*>(memmem(q, std::size_t(end - q), event_prefix.data(), event_prefix.size())));)
            q = on_event(c, q, end, now, read_ns);
        return;
    }
    if (starts_with(p, n, event_prefix)) {
        on_event(c, p, p + n, now, read_ns);
        return;
    }
    const std::string_view text(p, n);
    if (starts_with(p, n, R"({"type":"ack")")) {
        if (c.state == Connection::State::subscribing) ready(c);
    } else if (starts_with(p, n, R"({"type":"heartbeat")")) {
        ++results_.heartbeats;
    } else if (starts_with(p, n, R"({"type":"error")")) {
        ++results_.errors;
        if (results_.first_error.empty()) results_.first_error = std::string(text.substr(0, 300));
        if (c.state == Connection::State::subscribing) fail(c, std::string(text.substr(0, 300)));
    } else {
        ++results_.other;
    }
}

void WsLoadClient::grow(Connection& c, std::size_t from, std::size_t frame) {
    std::size_t cap = c.capacity;
    while (cap < frame) cap *= 2;
    auto bigger = std::make_unique<char[]>(cap);
    std::memcpy(bigger.get(), c.buf + from, c.filled - from);
    c.filled -= from;
    c.grown = std::move(bigger);
    c.buf = c.grown.get();
    c.capacity = cap;
}

// Writing: client frames are masked (RFC 6455 5.3); the key is fixed, which
// the protocol allows a benchmark to get away with (no proxy in between).
void WsLoadClient::send_frame(Connection& c, std::uint8_t opcode, const char* p, std::size_t n) {
    static constexpr unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string f;
    f.reserve(n + 8);
    f += char(0x80 | opcode);
    if (n < 126) {
        f += char(0x80 | n);
    } else {
        f += char(0x80 | 126);
        f += char(n >> 8);
        f += char(n & 0xff);
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i) f += char(p[i] ^ key[i % 4]);
    boost::system::error_code ec;
    asio::write(c.socket, asio::buffer(f), ec);
    if (ec) fail(c, "write: " + ec.message());
}

}  // namespace tickcast::bench

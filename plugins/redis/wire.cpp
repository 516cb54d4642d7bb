#include "wire.hpp"

#include <charconv>

namespace tickcast::redis {

namespace {

void append_escaped_key(std::string& out, std::string_view key) {
    if (key.empty()) {
        out += '-';
        return;
    }
    for (char c : key) {
        if (c == ' ' || c == '\n' || c == '%') {
            static const char hex[] = "0123456789ABCDEF";
            out += '%';
            out += hex[(unsigned char)c >> 4];
            out += hex[(unsigned char)c & 15];
        } else {
            out += c;
        }
    }
}

void unescape_key(std::string_view s, std::string& out) {
    out.clear();
    if (s == "-") return;
    if (s.find('%') == std::string_view::npos) {
        out.assign(s);
        return;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            out += char(v);
            i += 2;
        } else {
            out += s[i];
        }
    }
}

void append_number(std::string& out, auto v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_hops(std::string& out, const Hops& hops) {
    if (hops.empty()) {
        out += '-';
        return;
    }
    bool first = true;
    for (const HopStamp& h : hops) {
        if (!first) out += ',';
        first = false;
        out += h.name();
        out += '=';
        append_number(out, h.ns);
    }
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// Splits off the next field of `rest`: up to a space (`last`: up to the end,
// with no space left in it).
bool next_field(std::string_view& rest, std::string_view& field, bool last = false) {
    const auto sp = rest.find(' ');
    if (last) {
        field = rest;
        rest = {};
        return sp == std::string_view::npos;
    }
    if (sp == std::string_view::npos) return false;
    field = rest.substr(0, sp);
    rest.remove_prefix(sp + 1);
    return true;
}

}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
    std::size_t bytes = 16;
    for (std::string_view a : args) bytes += a.size() + 16;
    out.reserve(out.size() + bytes);
    out += '*';
    append_number(out, args.size());
    out += "\r\n";
    for (std::string_view a : args) {
        out += '$';
        append_number(out, a.size());
        out += "\r\n";
        out += a;
        out += "\r\n";
    }
}

void append_entry_texts(std::string& out, std::vector<std::size_t>& ends, const Event& e, const Hops& hops) {
    if (e.seq == 0) {
        out += '*';
    } else {
        append_number(out, e.seq);
        out += "-0";
    }
    ends.push_back(out.size());
    append_number(out, e.seq);
    ends.push_back(out.size());
    append_number(out, e.origin_ns);
    ends.push_back(out.size());
    append_hops(out, hops);
    ends.push_back(out.size());
}

void decode_hops(std::string_view text, Hops& hops) {
    if (text == "-") return;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const auto eq = item.find('=');
        std::int64_t ns = 0;
        if (eq != std::string_view::npos && parse_number(item.substr(eq + 1), ns)) hops.add(item.substr(0, eq), ns);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
}

std::string encode_message(const Event& e) { return encode_message(e, e.hops); }

std::string encode_message(const Event& e, const Hops& hops) {
    std::string out;
    append_message(out, e, hops);
    return out;
}

void append_message(std::string& out, const Event& e, const Hops& hops) {
    const std::string_view payload = e.payload_view();
    out.reserve(out.size() + payload.size() + 64);
    out += "T1 ";
    append_number(out, e.seq);
    out += ' ';
    append_number(out, e.origin_ns);
    out += ' ';
    append_number(out, e.flags);
    out += ' ';
    append_escaped_key(out, e.key);
    out += ' ';
    append_hops(out, hops);
    out += '\n';
    out += payload;
}

bool decode_message(std::string_view m, Event& e, std::string& error, PayloadSlabs* slabs) {
    const auto nl = m.find('\n');
    if (m.substr(0, 3) != "T1 " || nl == std::string_view::npos) {
        error = "not a tickcast message (expected a 'T1 ' header line)";
        return false;
    }
    const std::string_view header = m.substr(3, nl - 3);
    std::string_view rest = header;
    std::string_view seq, ts, flags, key, hops;
    if (!next_field(rest, seq) || !next_field(rest, ts) || !next_field(rest, flags) || !next_field(rest, key) ||
        !next_field(rest, hops, true) || !parse_number(seq, e.seq) || !parse_number(ts, e.origin_ns) ||
        !parse_number(flags, e.flags)) {
        error = "malformed tickcast message header '" + std::string(header) + "'";
        return false;
    }
    unescape_key(key, e.key);
    decode_hops(hops, e.hops);
    e.payload = slabs ? slabs->make(m.substr(nl + 1)) : make_payload(std::string(m.substr(nl + 1)));
    return true;
}

}  // namespace tickcast::redis

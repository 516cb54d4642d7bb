#include "depth_book.hpp"

#include <boost/crc.hpp>
#include <boost/json.hpp>

#include "messages.hpp"

namespace tickcast::websocket {

namespace json = boost::json;

bool DepthBook::Higher::operator()(const std::string& a, const std::string& b) const { return compare_decimal(a, b) > 0; }
bool DepthBook::Lower::operator()(const std::string& a, const std::string& b) const { return compare_decimal(a, b) < 0; }

namespace {

bool decimal(std::string_view s) {
    if (s.empty() || s.size() > 40) return false;
    bool dot = false;
    for (char c : s) {
        if (c == '.' && !dot) dot = true;
        else if (c < '0' || c > '9') return false;
    }
    return true;
}

bool zero(std::string_view s) { return s.find_first_not_of("0.") == std::string_view::npos; }

// Whether a change at `price` can alter the side's best checksum_levels:
// yes unless the side already has more and `price` is worse than the last of them.
template <class Side>
bool touches_top(const Side& side, const std::string& price) {
    if (side.size() <= DepthBook::checksum_levels) return true;
    const auto& last_counted = std::next(side.begin(), DepthBook::checksum_levels - 1)->first;
    return !side.key_comp()(last_counted, price);
}

template <class Side>
bool apply_side(Side& side, const json::value* levels, bool& top_changed) {
    if (!levels) return true;  // a delta may leave a side out
    if (!levels->is_array()) return false;
    for (const json::value& level : levels->as_array()) {
        const json::array* pair = level.if_array();
        if (!pair || pair->size() < 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) return false;
        const json::string& price = (*pair)[0].get_string();
        const json::string& qty = (*pair)[1].get_string();
        if (!decimal(price) || !decimal(qty)) return false;
        std::string key(price.data(), price.size());
        if (!top_changed) top_changed = touches_top(side, key);
        if (zero(qty))
            side.erase(key);
        else
            side.insert_or_assign(std::move(key), std::string(qty.data(), qty.size()));
    }
    return true;
}

// The decimal's digits without '.' and without leading zeros ("0.0100" -> "100").
void append_digits(std::string& out, std::string_view decimal_text) {
    bool leading = true;
    for (char c : decimal_text) {
        if (c == '.' || (leading && c == '0')) continue;
        leading = false;
        out += c;
    }
}

template <class Side>
void append_top(std::string& out, const Side& side) {
    std::size_t n = 0;
    for (auto it = side.begin(); it != side.end() && n < DepthBook::checksum_levels; ++it, ++n) {
        append_digits(out, it->first);
        append_digits(out, it->second);
    }
}

template <class Side>
void append_levels(std::string& out, const Side& side) {
    out += '[';
    bool first = true;
    for (const auto& [price, qty] : side) {
        if (!first) out += ',';
        first = false;
        out += "[\"" + price + "\",\"" + qty + "\"]";  // decimal text: nothing to escape
    }
    out += ']';
}

}  // namespace

bool DepthBook::apply(std::string_view payload) {
    json::error_code ec;
    const json::value v = json::parse(json::string_view(payload.data(), payload.size()), ec);
    if (ec || !v.is_object()) return false;
    return apply_side(bids_, v.as_object().if_contains("bids"), top_changed_) &&
           apply_side(asks_, v.as_object().if_contains("asks"), top_changed_);
}

bool DepthBook::load(std::string_view data_json) {
    clear();
    return apply(data_json);
}

void DepthBook::clear() {
    bids_.clear();
    asks_.clear();
    top_changed_ = true;
}

std::uint32_t DepthBook::checksum() const {
    // A change below the counted levels leaves it as it was (Boost.CRC costs ~4 ns a byte).
    if (!top_changed_) return checksum_;
    top_changed_ = false;
    scratch_.clear();  // reused: no allocation per event
    append_top(scratch_, asks_);
    append_top(scratch_, bids_);
    boost::crc_32_type crc;
    crc.process_bytes(scratch_.data(), scratch_.size());
    return checksum_ = crc.checksum();
}

std::string DepthBook::to_json() const {
    std::string out = "{\"bids\":";
    append_levels(out, bids_);
    out += ",\"asks\":";
    append_levels(out, asks_);
    out += '}';
    return out;
}

}  // namespace tickcast::websocket

#include "cache_reader.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "cache_scripts.hpp"
#include "messages.hpp"
#include "redis_cache_sink.hpp"

namespace tickcast::websocket {

namespace {

// trade_seq and the list in one atomic step, so the seq describes exactly
// the trades returned.
constexpr std::string_view trades_script =
    "return {redis.call('HGET', KEYS[2], 'trade_seq'), redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]))}";

std::string_view text(const redisReply* r) { return r && r->type == REDIS_REPLY_STRING ? std::string_view(r->str, r->len) : std::string_view(); }

std::uint64_t to_seq(std::string_view s) {
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

std::string reply_error(const redisReply* r) {
    if (!r) return "the cache connection stopped";
    if (r->type == REDIS_REPLY_ERROR) return "cache error: " + std::string(r->str, r->len);
    return "unexpected cache reply: " + redis::describe(r);
}

void append_levels(std::string& out, std::vector<std::pair<std::string_view, std::string_view>>& levels, bool descending,
                   std::size_t max) {
    std::sort(levels.begin(), levels.end(), [descending](const auto& a, const auto& b) {
        const int c = compare_decimal(a.first, b.first);
        return descending ? c > 0 : c < 0;
    });
    out += '[';
    for (std::size_t i = 0; i < levels.size() && (max == 0 || i < max); ++i) {
        if (i) out += ',';
        out += "[\"";
        out += levels[i].first;  // decimal strings: nothing to escape
        out += "\",\"";
        out += levels[i].second;
        out += "\"]";
    }
    out += ']';
}

bool decimal_text(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

CacheReader::CacheReader(std::shared_ptr<redis::RedisClient> client, std::string prefix, std::string stream_prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)), stream_prefix_(std::move(stream_prefix)) {}

void CacheReader::read_history(std::string_view channel, std::uint64_t from, std::size_t count, HistoryHandler handler) {
    const std::string key = stream_prefix_ + std::string(channel);
    client_->command({"XRANGE", key, std::to_string(from) + "-0", "+", "COUNT", std::to_string(count)},
                     [handler = std::move(handler)](const redisReply* r) {
                         // [[id, [field, value, ...]], ...]
                         if (!r || r->type != REDIS_REPLY_ARRAY) return handler(reply_error(r), {});
                         std::vector<HistoryEntry> entries;
                         entries.reserve(r->elements);
                         for (std::size_t i = 0; i < r->elements; ++i) {
                             const redisReply* entry = r->element[i];
                             if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY)
                                 return handler("unexpected stream entry: " + redis::describe(entry), {});
                             HistoryEntry e;
                             const std::string_view id = text(entry->element[0]);
                             e.seq = to_seq(id.substr(0, id.find('-')));
                             const redisReply* fields = entry->element[1];
                             for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
                                 if (text(fields->element[f]) == "payload") e.payload = std::string(text(fields->element[f + 1]));
                             entries.push_back(std::move(e));
                         }
                         handler({}, std::move(entries));
                     });
}

void CacheReader::read_trades(std::string_view symbol, std::size_t limit, Handler handler) {
    const redis::CacheKeys keys(prefix_, symbol);
    const std::string last_index = std::to_string(limit == 0 ? -1 : std::int64_t(limit) - 1);
    client_->command({"EVAL", trades_script, "2", keys.trades, keys.ticker, last_index},
                     [handler = std::move(handler)](const redisReply* r) {
                         if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
                             return handler(reply_error(r), {});
                         CacheSnapshot s;
                         s.seq = to_seq(text(r->element[0]));
                         const redisReply* list = r->element[1];
                         s.found = s.seq != 0 || list->elements != 0;
                         s.data_json = "[";
                         // Redis keeps newest first; clients get them in the order they happened.
                         for (std::size_t i = list->elements; i-- > 0;) {
                             append_json(s.data_json, text(list->element[i]));
                             if (i) s.data_json += ',';
                         }
                         s.data_json += ']';
                         handler({}, std::move(s));
                     });
}

void CacheReader::read_ticker(std::string_view symbol, std::int64_t now_s, Handler handler) {
    const redis::CacheKeys keys(prefix_, symbol);
    client_->command({"EVAL", redis::scripts::ticker_reader(), "2", keys.ticker, keys.volume, std::to_string(now_s)},
                     [handler = std::move(handler)](const redisReply* r) {
                         // {{field, value, ...}, volume, trades}
                         if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_ARRAY ||
                             r->element[2]->type != REDIS_REPLY_INTEGER || !decimal_text(text(r->element[1])))
                             return handler(reply_error(r), {});
                         const redisReply* fields = r->element[0];
                         auto field = [fields](std::string_view name) {
                             for (std::size_t i = 0; i + 1 < fields->elements; i += 2)
                                 if (text(fields->element[i]) == name) return text(fields->element[i + 1]);
                             return std::string_view();
                         };
                         CacheSnapshot s;
                         const std::int64_t trades = r->element[2]->integer;
                         s.found = fields->elements != 0 || trades != 0;
                         s.seq = to_seq(field("trade_seq"));
                         auto& out = s.data_json;
                         // Whatever the hash holds is checked before it goes out unquoted or in quotes.
                         auto number = [&](std::string_view name, std::string_view value) {
                             const bool digits = !value.empty() && value.size() <= 20 &&
                                                 std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
                             out += (out.empty() ? "\"" : ",\"") + std::string(name) + "\":" + (digits ? std::string(value) : "null");
                         };
                         auto decimal = [&](std::string_view name, std::string_view value) {
                             out += ",\"" + std::string(name) + "\":" + (decimal_text(value) ? "\"" + std::string(value) + "\"" : "null");
                         };
                         number("trade_seq", field("trade_seq"));
                         decimal("last_price", field("last_price"));
                         decimal("last_qty", field("last_qty"));
                         number("last_trade_ns", field("trade_ts"));
                         number("depth_seq", field("depth_seq"));
                         decimal("best_bid", field("best_bid"));
                         decimal("best_ask", field("best_ask"));
                         decimal("volume_24h", text(r->element[1]));
                         number("trades_24h", std::to_string(trades));
                         handler({}, std::move(s));
                     });
}

void CacheReader::read_depth(std::string_view symbol, std::size_t levels, Handler handler) {
    const redis::CacheKeys keys(prefix_, symbol);
    client_->command({"HGETALL", keys.depth}, [handler = std::move(handler), levels](const redisReply* r) {
        if (!r || r->type != REDIS_REPLY_ARRAY) return handler(reply_error(r), {});
        CacheSnapshot s;
        std::vector<std::pair<std::string_view, std::string_view>> bids, asks;
        for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
            const std::string_view field = text(r->element[i]), value = text(r->element[i + 1]);
            if (field == "seq") {
                s.seq = to_seq(value);
            } else if (field.size() > 2 && (field[0] == 'b' || field[0] == 'a') && field[1] == ':' &&
                       decimal_text(field.substr(2)) && decimal_text(value)) {
                (field[0] == 'b' ? bids : asks).emplace_back(field.substr(2), value);
            }
        }
        s.found = r->elements != 0;
        s.data_json = "{\"bids\":";
        append_levels(s.data_json, bids, true, levels);
        s.data_json += ",\"asks\":";
        append_levels(s.data_json, asks, false, levels);
        s.data_json += '}';
        handler({}, std::move(s));
    });
}

}  // namespace tickcast::websocket

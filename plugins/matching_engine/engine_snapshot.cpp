// Engine::write_snapshot / restore_snapshot.
//
// Layout (little-endian, version 3):
//   "TCMESNAP" u32 version  u64 input_position
//   i64 taken_ns  u32 offset_count, per offset: str topic, i32 partition,
//                 i64 next                     (version 3 only; version 2
//                                               snapshots restore without them)
//   u8 stp
//   u32 symbol_count, per symbol: str name, str tick, str lot, str band
//   u64 unrouted_seq  u64 unknown_user_seq
//   u32 user_count, per user: str name, u64 seq  (UserId = position; seq of
//                                                 the user's private channel)
//   per symbol: u64 order_seq, u64 trade_seq, u64 depth_seq, i64 reference,
//               u64 order_count, per order in priority order, bids then asks:
//               u64 id, u32 user, u8 side, u8 post_only, i64 price,
//               i64 remaining, i64 filled
//   u32 CRC-32 of everything before it
// str = u32 length + bytes. Books are rebuilt by adding the orders in
// priority order, which reproduces time priority exactly.
#include <boost/crc.hpp>

#include <cstring>

#include "engine.hpp"

namespace tickcast::matching {
namespace {

constexpr std::string_view kMagic = "TCMESNAP";
constexpr std::uint32_t kVersion = 3;
constexpr std::uint32_t kOldestVersion = 2;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <class T>
  void put(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      out_.push_back(char(std::uint64_t(value) >> (8 * i) & 0xff));
    }
  }
  void put_string(std::string_view text) {
    put(std::uint32_t(text.size()));
    out_.append(text);
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool failed() const { return failed_; }
  template <class T>
  T get() {
    if (in_.size() - pos_ < sizeof(T)) return fail<T>();
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value |= std::uint64_t(std::uint8_t(in_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    return T(value);
  }
  std::string_view get_string() {
    const auto size = get<std::uint32_t>();
    if (failed_ || in_.size() - pos_ < size) return fail<std::string_view>();
    const std::string_view text = in_.substr(pos_, size);
    pos_ += size;
    return text;
  }

 private:
  template <class T>
  T fail() {
    failed_ = true;
    pos_ = in_.size();
    return T{};
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

}  // namespace

std::string Engine::write_snapshot(const SnapshotInput& input) const {
  std::string out(kMagic);
  Writer w(out);
  w.put(kVersion);
  w.put(input.orders);
  w.put(input.taken_ns);
  w.put(std::uint32_t(input.offsets.size()));
  for (const InputOffset& o : input.offsets) {
    w.put_string(o.topic);
    w.put(o.partition);
    w.put(o.next);
  }
  w.put(std::uint8_t(stp_));
  w.put(std::uint32_t(symbols_.size()));
  for (const auto& state : symbols_) {
    w.put_string(state->spec.name);
    w.put_string(state->spec.tick_text);
    w.put_string(state->spec.lot_text);
    w.put_string(state->spec.band_text);
  }
  w.put(unrouted_seq_);
  w.put(unknown_user_seq_);
  w.put(std::uint32_t(users_.size()));
  for (std::size_t i = 0; i < users_.size(); ++i) {
    w.put_string(users_[i]);
    w.put(user_seqs_[i]);
  }
  for (const auto& state : symbols_) {
    w.put(state->order_seq);
    w.put(state->trade_seq);
    w.put(state->depth_seq);
    w.put(state->reference);
    w.put(std::uint64_t(state->book.order_count()));
    for (Side side : {Side::buy, Side::sell}) {
      state->book.for_each_order(side, [&](const RestingOrder& order) {
        w.put(order.id);
        w.put(order.user);
        w.put(std::uint8_t(order.side));
        w.put(std::uint8_t(order.post_only));
        w.put(order.price);
        w.put(order.remaining);
        w.put(order.filled);
      });
    }
  }
  w.put(crc32(out));
  return out;
}

RestoreResult Engine::restore_snapshot(std::string_view bytes) {
  const auto error = [](std::string text) {
    return RestoreResult{false, "matching engine snapshot: " + std::move(text), 0};
  };
  if (bytes.size() < kMagic.size() + 4 || bytes.substr(0, kMagic.size()) != kMagic) {
    return error("not a snapshot (bad magic)");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (Reader(bytes.substr(body.size())).get<std::uint32_t>() != crc32(body)) {
    return error("checksum mismatch (truncated or corrupted)");
  }
  Reader r(body.substr(kMagic.size()));
  const auto version = r.get<std::uint32_t>();
  if (version < kOldestVersion || version > kVersion) {
    return error("version " + std::to_string(version) + " is not supported (expected " +
                 std::to_string(kOldestVersion) + " to " + std::to_string(kVersion) + ")");
  }
  SnapshotInput input;
  input.orders = r.get<std::uint64_t>();
  if (version >= 3) {
    input.taken_ns = r.get<std::int64_t>();
    const auto count = r.get<std::uint32_t>();
    if (count > body.size()) return error("truncated input offsets");
    for (std::uint32_t i = 0; i < count && !r.failed(); ++i) {
      InputOffset& o = input.offsets.emplace_back();
      o.topic = r.get_string();
      o.partition = r.get<std::int32_t>();
      o.next = r.get<std::int64_t>();
      if (!r.failed() && (o.topic.empty() || o.partition < 0 || o.next < 0)) {
        return error("invalid input offset " + o.topic + "/" + std::to_string(o.partition) + "/" +
                     std::to_string(o.next));
      }
    }
  }
  if (const auto stp = SelfTradePrevention(r.get<std::uint8_t>()); stp != stp_) {
    return error("written with self_trade_prevention " + std::string(to_string(stp)) +
                 ", this engine uses " + std::string(to_string(stp_)));
  }
  if (const auto count = r.get<std::uint32_t>(); count != symbols_.size()) {
    return error("has " + std::to_string(count) + " symbols, this engine has " +
                 std::to_string(symbols_.size()));
  }
  for (const auto& state : symbols_) {
    const SymbolSpec& spec = state->spec;
    const std::string_view name = r.get_string(), tick = r.get_string(), lot = r.get_string(),
                           band = r.get_string();
    if (r.failed()) return error("truncated symbol table");
    if (name != spec.name || tick != spec.tick_text || lot != spec.lot_text || band != spec.band_text) {
      return error("symbol " + std::string(name) + " {tick " + std::string(tick) + ", lot " +
                   std::string(lot) + ", band \"" + std::string(band) +
                   "\"} does not match the configured " + spec.name + " {tick " + spec.tick_text +
                   ", lot " + spec.lot_text + ", band \"" + spec.band_text + "\"}");
    }
  }
  const auto unrouted_seq = r.get<std::uint64_t>();
  const auto unknown_user_seq = r.get<std::uint64_t>();
  const auto user_count = r.get<std::uint32_t>();
  if (user_count > body.size()) return error("truncated user table");
  std::vector<std::string> users(user_count);
  std::vector<std::uint64_t> user_seqs(user_count);
  NameIndex user_ids;
  for (std::size_t i = 0; i < users.size() && !r.failed(); ++i) {
    users[i] = r.get_string();
    user_seqs[i] = r.get<std::uint64_t>();
    if (!is_valid_user_name(users[i]) || !user_ids.emplace(users[i], UserId(i)).second) {
      return error("bad or repeated user name \"" + users[i] + "\"");
    }
  }

  // Rebuilt aside, so a bad snapshot leaves this engine untouched.
  std::vector<std::unique_ptr<SymbolState>> states;
  for (const auto& current : symbols_) {
    auto state = std::make_unique<SymbolState>(current->id, current->spec, expected_orders_);
    state->order_seq = r.get<std::uint64_t>();
    state->trade_seq = r.get<std::uint64_t>();
    state->depth_seq = r.get<std::uint64_t>();
    state->reference = r.get<Price>();
    const auto count = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < count && !r.failed(); ++i) {
      RestingOrder order;
      order.id = r.get<OrderId>();
      order.user = r.get<UserId>();
      order.side = r.get<std::uint8_t>() == 0 ? Side::buy : Side::sell;
      order.post_only = r.get<std::uint8_t>() != 0;
      order.price = r.get<Price>();
      order.remaining = r.get<Qty>();
      order.filled = r.get<Qty>();
      // The bounds the engine keeps (engine.cpp): within them no later
      // fill or level total can overflow.
      const Qty max_qty = state->spec.max_qty();
      const bool valid = order.user < users.size() && order.price > 0 &&
                         order.price <= state->spec.max_price() && order.remaining > 0 &&
                         order.remaining <= max_qty && order.filled >= 0 &&
                         order.filled <= max_qty - order.remaining &&
                         state->book.find(order.id) == nullptr &&
                         state->book.level_qty(order.side, order.price) <= max_qty - order.remaining;
      if (!r.failed() && !valid) {
        return error("invalid order " + std::to_string(order.id) + " in " + state->spec.name);
      }
      if (!r.failed()) state->book.add(order);
    }
    state->book.forget_depth_changes();
    // The engine never leaves a book crossed; matching assumes it.
    const OrderBook& book = state->book;
    if (!r.failed() && !book.empty(Side::buy) && !book.empty(Side::sell) &&
        book.best_price(Side::buy) >= book.best_price(Side::sell)) {
      return error("crossed book in " + state->spec.name + " (best bid " +
                   std::to_string(book.best_price(Side::buy)) + " >= best ask " +
                   std::to_string(book.best_price(Side::sell)) + " ticks)");
    }
    states.push_back(std::move(state));
  }
  if (r.failed()) return error("truncated");

  symbols_ = std::move(states);
  users_ = std::move(users);
  user_seqs_ = std::move(user_seqs);
  unknown_user_seq_ = unknown_user_seq;
  user_ids_ = std::move(user_ids);
  unrouted_seq_ = unrouted_seq;
  const std::uint64_t input_position = input.orders;
  return {true, {}, input_position, std::move(input)};
}

}  // namespace tickcast::matching

#pragma once
// The matching engine: many symbols, one thread. It validates each order,
// routes it to its symbol's book, assigns sequence numbers and hands the
// resulting events to an EventSink (see events.hpp for their order).
//
// Rules decided here (docs/protocol.md repeats them for clients):
// - Price-time priority; a trade's price is the maker's price.
// - Market orders never rest: what they cannot fill is cancelled
//   (market_unfilled). IOC cancels its remainder (ioc_unfilled). FOK fills
//   completely or is cancelled (fok_unfilled) without touching the book.
//   post_only is for GTC limit orders only, and is rejected
//   (post_only_would_take) if its price would trade on arrival.
// - Modify sets a new price and/or a new *open* quantity. Lowering the
//   quantity at the same price keeps time priority; any price change or a
//   quantity increase moves the order to the back of its (new) level, and if
//   the new price is marketable it trades first. A post_only order may not
//   be modified to a price that would trade.
// - Band: with `band` = B percent, a limit price P (new, or changed by a
//   modify) must satisfy |P - R| <= R * B / 100, where R is the symbol's last
//   trade price. Until a symbol's first trade there is no reference and no
//   band check. Market orders are not band-checked.
// - Self-trade prevention (same user on both sides), per engine:
//   none: they trade; cancel_taker: the taker's remainder is cancelled when it
//   reaches its own order; cancel_maker: the resting order is cancelled and
//   matching goes on. FOK counts liquidity the same way.
// - Order ids are unique per symbol among *resting* orders; ids of finished
//   orders may be reused (keeping all history would grow without bound).
// - Sequences, all gap-free from 1: per symbol for trades (trade_id = seq),
//   for depth, and for order events; order events that cannot be tied to a
//   configured symbol use one more sequence of their own (symbol "").
// - Validation order for a new order (the first failure is reported):
//   user, side/type/tif, qty, price, post_only, duplicate id, band, level
//   overflow, post_only_would_take. Modify: user, unknown id, owner,
//   nothing to modify, qty, price, overflow, band, level overflow,
//   post_only_would_take.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events.hpp"
#include "order.hpp"
#include "order_book.hpp"
#include "symbol_spec.hpp"

namespace tickcast::matching {

// Nanoseconds since the epoch; read once per input order, so every event of
// one order carries the same ts. Tests pass a counter for deterministic output.
using Clock = std::function<std::int64_t()>;
std::int64_t system_clock_ns();

std::optional<SelfTradePrevention> parse_self_trade_prevention(std::string_view text) noexcept;
std::string_view to_string(SelfTradePrevention stp) noexcept;

struct EngineConfig {
  std::vector<SymbolSpec> symbols;  // SymbolId = index here
  SelfTradePrevention stp = SelfTradePrevention::none;
  std::size_t expected_orders_per_symbol = 1 << 14;  // pools are sized for this
  Clock clock = system_clock_ns;
};

// A request the codec could not turn into an Order; whatever it could read
// is kept so the rejection reaches the right user and symbol.
struct Rejection {
  Reason reason = Reason::malformed_json;
  SymbolId symbol = kNoSymbol;
  UserId user = kNoUser;
  OrderId order_id = 0;
};

// Where in its input a snapshot was taken: the count of orders consumed
// (a file replay skips that many), and for a Kafka input the next offset of
// each topic-partition and the wall-clock time the state was captured
// (docs/reliability.md, "Exactly-once trades from the engine").
struct InputOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next = 0;  // the first offset not reflected in the snapshot
  bool operator==(const InputOffset&) const = default;
};
struct SnapshotInput {
  std::uint64_t orders = 0;
  std::int64_t taken_ns = 0;  // 0: unknown (written by version 2)
  std::vector<InputOffset> offsets;
  bool operator==(const SnapshotInput&) const = default;
};

struct RestoreResult {
  bool ok = false;
  std::string error;
  std::uint64_t input_position = 0;  // input.orders, as given to write_snapshot
  SnapshotInput input;
};

class Engine {
 public:
  // Throws std::invalid_argument on an empty or duplicate symbol list or a
  // malformed SymbolSpec.
  explicit Engine(EngineConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Processes one order; every resulting event reaches `sink` before return.
  // Never throws for bad input: it becomes a `rejected` order event.
  void submit(const Order& order, EventSink& sink);
  // Emits the `rejected` order event for a request that failed to decode.
  void reject(const Rejection& rejection, EventSink& sink);

  // --- symbols and users ---
  std::size_t symbol_count() const noexcept { return symbols_.size(); }
  const SymbolSpec& symbol(SymbolId id) const { return symbols_[id]->spec; }
  SymbolId find_symbol(std::string_view name) const noexcept;  // kNoSymbol if unknown
  // Users are interned once and kept for the engine's life (snapshots too).
  UserId intern_user(std::string_view name);  // kNoUser if !is_valid_user_name
  UserId find_user(std::string_view name) const noexcept;
  std::string_view user_name(UserId id) const noexcept;  // "unknown" for kNoUser
  std::size_t user_count() const noexcept { return users_.size(); }

  // --- state, for tests and the snapshot ---
  const OrderBook& book(SymbolId id) const { return symbols_[id]->book; }
  Price reference_price(SymbolId id) const { return symbols_[id]->reference; }  // 0 = none
  SelfTradePrevention self_trade_prevention() const noexcept { return stp_; }

  // The whole state (books in priority order, sequences, trade ids, band
  // references, users) plus the caller's input position, as bytes.
  std::string write_snapshot(const SnapshotInput& input) const;
  std::string write_snapshot(std::uint64_t input_position) const {
    return write_snapshot(SnapshotInput{input_position, 0, {}});
  }
  // Replaces the whole state with a snapshot written by an engine with the
  // same symbols and stp. On failure the engine is left unchanged. User ids
  // are replaced too: restore before decoding any order.
  RestoreResult restore_snapshot(std::string_view bytes);

 private:
  struct SymbolState {
    SymbolState(SymbolId id_, SymbolSpec spec_, std::size_t expected)
        : id(id_), spec(std::move(spec_)), book(expected) {}
    SymbolId id;
    SymbolSpec spec;
    OrderBook book;
    std::uint64_t order_seq = 0;
    std::uint64_t trade_seq = 0;
    std::uint64_t depth_seq = 0;
    Price reference = 0;  // last trade price, 0 before the first trade
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using NameIndex = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;
  class FillEmitter;

  void submit_new(SymbolState& state, const Order& order, EventSink& sink);
  void submit_cancel(SymbolState& state, const Order& order, EventSink& sink);
  void submit_modify(SymbolState& state, const Order& order, EventSink& sink);
  // Matches a taker, then rests, fills or cancels what is left of it.
  void run_taker(SymbolState& state, Taker& taker, bool may_rest, bool post_only,
                 Reason unfilled_reason, EventSink& sink);
  bool in_band(const SymbolState& state, Price price) const noexcept;
  void emit_order(SymbolState* state, OrderId id, UserId user, OrderStatus status, Reason reason,
                  Qty filled, Qty remaining, EventSink& sink);
  void emit_reject(SymbolState* state, const Order& order, Reason reason, EventSink& sink);
  void emit_depth(SymbolState& state, EventSink& sink);

  std::vector<std::unique_ptr<SymbolState>> symbols_;
  NameIndex symbol_ids_;
  std::vector<std::string> users_;
  std::vector<std::uint64_t> user_seqs_;  // per user: its private channel's last seq
  NameIndex user_ids_;
  std::uint64_t unknown_user_seq_ = 0;  // `orders.unknown`
  std::uint64_t unrouted_seq_ = 0;  // order events with no known symbol
  SelfTradePrevention stp_;
  std::size_t expected_orders_;
  Clock clock_;
  std::int64_t now_ = 0;  // ts of the order being processed
  std::vector<DepthLevel> depth_bids_;
  std::vector<DepthLevel> depth_asks_;
};

}  // namespace tickcast::matching

#include "orderflow.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "decimal.hpp"

namespace tickcast::matching {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

void append_number(std::string& out, std::uint64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), value).ptr);
}

}  // namespace

// Keeps the generator's list of resting orders in step with the mirror.
class Orderflow::Tracker final : public EventSink {
 public:
  explicit Tracker(Orderflow& flow) : flow_(flow) {}
  void on_order(const OrderEvent& e) override {
    if (e.status == OrderStatus::filled || e.status == OrderStatus::cancelled) {
      flow_.forget(e.symbol, e.order_id);
    }
  }
  void on_trade(const TradeEvent&) override {}
  void on_depth(const DepthEvent&) override {}

 private:
  Orderflow& flow_;
};

Orderflow::Orderflow(OrderflowOptions options) : options_(std::move(options)) {
  if (options_.symbols.empty()) throw std::invalid_argument("orderflow: no symbols");
  if (options_.users == 0) throw std::invalid_argument("orderflow: needs at least one user");
  if (options_.spread_ticks == 0 || options_.max_qty <= 0) {
    throw std::invalid_argument("orderflow: spread_ticks and max_qty must be positive");
  }
  if (options_.start_mid <= Price(4 * options_.spread_ticks)) {
    throw std::invalid_argument("orderflow: start_mid must exceed 4 * spread_ticks");
  }
  std::uint64_t seed = options_.seed;
  for (auto& word : state_) word = splitmix64(seed);
  EngineConfig config;
  config.symbols = options_.symbols;
  config.stp = options_.stp;
  config.clock = [] { return std::int64_t(0); };
  mirror_ = std::make_unique<Engine>(std::move(config));  // validates the symbols too
  tracker_ = std::make_unique<Tracker>(*this);
  for (unsigned i = 1; i <= options_.users; ++i) {
    users_.push_back(std::string("u").append(std::to_string(i)));
    mirror_->intern_user(users_.back());
  }
  flows_.resize(options_.symbols.size());
  for (SymbolFlow& flow : flows_) flow.mid = options_.start_mid;
}

Orderflow::~Orderflow() = default;

std::uint64_t Orderflow::random() noexcept {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

// Lemire's multiply-shift: uniform enough for a workload, and portable.
std::uint64_t Orderflow::below(std::uint64_t n) noexcept {
  return std::uint64_t((unsigned __int128)random() * n >> 64);
}

Order Orderflow::next() {
  const auto symbol = SymbolId(below(flows_.size()));
  SymbolFlow& flow = flows_[symbol];
  // The mid wanders a tick now and then, and stays well above zero.
  if (percent(10)) {
    const Price floor = Price(4 * options_.spread_ticks);
    flow.mid += (random() & 1) != 0 ? 1 : (flow.mid > floor ? -1 : 1);
  }
  const OrderflowMix& mix = options_.mix;
  const std::uint64_t total = std::uint64_t(mix.limit) + mix.cancel + mix.marketable + mix.modify;
  std::uint64_t pick = below(total == 0 ? 1 : total);
  Order order;
  if (pick < mix.limit || total == 0) {
    order = limit_add(symbol);
  } else if ((pick -= mix.limit) < mix.cancel) {
    order = cancel(symbol);
  } else if ((pick -= mix.cancel) < mix.marketable) {
    order = marketable(symbol);
  } else {
    order = modify(symbol);
  }
  mirror_->submit(order, *tracker_);
  track(order);
  return order;
}

Price Orderflow::passive_price(const SymbolFlow& flow, Side side) noexcept {
  // The smaller of two draws: most orders at or next to the touch.
  const auto offset = Price(1 + std::min(below(options_.spread_ticks), below(options_.spread_ticks)));
  return side == Side::buy ? flow.mid - offset : flow.mid + offset;
}

Order Orderflow::limit_add(SymbolId symbol) {
  Order order;
  order.symbol = symbol;
  order.id = next_id_++;
  order.user = UserId(below(users_.size()));
  order.side = (random() & 1) != 0 ? Side::buy : Side::sell;
  order.price = passive_price(flows_[symbol], order.side);
  order.qty = Qty(1 + below(std::uint64_t(options_.max_qty)));
  if (percent(options_.mix.post_only)) {
    order.post_only = true;
    if (percent(20)) {  // priced through the mid: usually would take
      const Price through = Price(1 + below(2));
      order.price = order.side == Side::buy ? flows_[symbol].mid + through : flows_[symbol].mid - through;
    }
  } else if (percent(options_.mix.passive_ioc)) {
    order.tif = Tif::ioc;
  }
  return order;
}

Order Orderflow::marketable(SymbolId symbol) {
  const SymbolFlow& flow = flows_[symbol];
  const OrderflowMix& mix = options_.mix;
  Order order;
  order.symbol = symbol;
  order.id = next_id_++;
  order.user = UserId(below(users_.size()));
  order.side = (random() & 1) != 0 ? Side::buy : Side::sell;
  // Sized to the book: 3 * max_qty at the target depth, in proportion
  // otherwise; this is what keeps the book's depth stationary.
  const auto depth = std::uint64_t(flow.resting.size());
  const auto target = std::uint64_t(std::max<std::size_t>(1, options_.book_depth));
  const auto max_qty = std::uint64_t(options_.max_qty);
  const std::uint64_t cap = std::clamp<std::uint64_t>(3 * max_qty * depth / target, 1, 10 * max_qty);
  order.qty = Qty(1 + below(cap));
  const std::uint64_t tif = below(100);
  order.tif = tif < mix.ioc ? Tif::ioc : tif < mix.ioc + mix.fok ? Tif::fok : Tif::gtc;
  if (percent(mix.market)) {
    order.type = OrderType::market;
  } else {
    const auto through = Price(1 + below((options_.spread_ticks + 1) / 2));
    order.price = order.side == Side::buy ? flow.mid + through : flow.mid - through;
  }
  return order;
}

Order Orderflow::cancel(SymbolId symbol) {
  const SymbolFlow& flow = flows_[symbol];
  const bool late = flow.last_done.id != 0 && percent(options_.mix.late_cancel);
  if (!late && flow.resting.empty()) return limit_add(symbol);
  // Traders pull stale quotes first, which keeps the book around the mid.
  const Resting& target = late ? flow.last_done : flow.resting[pick_stale(flow)];
  Order order;
  order.op = Op::cancel;
  order.symbol = symbol;
  order.id = target.id;
  order.user = target.user;
  return order;
}

std::size_t Orderflow::pick_stale(const SymbolFlow& flow) noexcept {
  const auto distance = [&](std::size_t i) {
    const Price p = flow.resting[i].price;
    return p > flow.mid ? p - flow.mid : flow.mid - p;
  };
  std::size_t best = below(flow.resting.size());
  for (int k = 1; k < 4; ++k) {
    const std::size_t other = below(flow.resting.size());
    if (distance(other) > distance(best)) best = other;
  }
  return best;
}

Order Orderflow::modify(SymbolId symbol) {
  const SymbolFlow& flow = flows_[symbol];
  if (flow.resting.empty()) return limit_add(symbol);
  const Resting& target = flow.resting[below(flow.resting.size())];
  Order order;
  order.op = Op::modify;
  order.symbol = symbol;
  order.id = target.id;
  order.user = target.user;
  const std::uint64_t what = below(10);  // 4 qty only, 2 both, 4 price only
  if (what < 6) order.qty = Qty(1 + below(std::uint64_t(options_.max_qty)));
  if (what >= 4) order.price = passive_price(flow, target.side);
  return order;
}

void Orderflow::track(const Order& order) {
  if (order.op == Op::cancel) return;  // the tracker saw the cancellation
  const RestingOrder* resting = mirror_->book(order.symbol).find(order.id);
  if (resting == nullptr) return;
  SymbolFlow& flow = flows_[order.symbol];
  const auto [it, added] = flow.where.try_emplace(order.id, flow.resting.size());
  if (added) flow.resting.push_back({order.id, order.user, order.side, resting->price});
  else flow.resting[it->second].price = resting->price;
}

void Orderflow::forget(SymbolId symbol, OrderId id) {
  if (symbol >= flows_.size()) return;
  SymbolFlow& flow = flows_[symbol];
  const auto it = flow.where.find(id);
  if (it == flow.where.end()) return;
  const std::size_t index = it->second;
  flow.last_done = flow.resting[index];
  flow.where.erase(it);
  if (index + 1 != flow.resting.size()) {
    flow.resting[index] = flow.resting.back();
    flow.where[flow.resting[index].id] = index;
  }
  flow.resting.pop_back();
}

void Orderflow::next_json(std::string& out) { to_json(next(), out); }

void Orderflow::to_json(const Order& order, std::string& out) const {
  const SymbolSpec& spec = options_.symbols[order.symbol];
  out.assign(R"({"op":")").append(to_string(order.op)).append(R"(","id":)");
  append_number(out, order.id);
  if (order.user < users_.size()) out.append(R"(,"user":")").append(users_[order.user]).push_back('"');
  out.append(R"(,"symbol":")").append(spec.name).push_back('"');
  if (order.op == Op::add) {
    out.append(R"(,"side":")").append(to_string(order.side));
    out.append(R"(","type":")").append(to_string(order.type)).push_back('"');
  }
  if (order.price != 0) {
    out.append(R"(,"price":")");
    append_decimal(out, order.price * spec.tick_units, spec.price_scale);
    out.push_back('"');
  }
  if (order.qty != 0) {
    out.append(R"(,"qty":")");
    append_decimal(out, order.qty * spec.lot_units, spec.qty_scale);
    out.push_back('"');
  }
  if (order.op == Op::add && order.tif != Tif::gtc) {
    out.append(R"(,"tif":")").append(to_string(order.tif)).push_back('"');
  }
  if (order.post_only) out.append(R"(,"post_only":true)");
  out.push_back('}');
}

}  // namespace tickcast::matching

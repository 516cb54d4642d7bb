#pragma once
// Shared set-up for the matching engine tests: an engine with two symbols
// driven through JSON, with a counting clock so output is deterministic.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "codec.hpp"
#include "decimal.hpp"
#include "engine.hpp"

namespace tickcast::matching::test {

// BTC-USDT: tick 0.01, lot 0.001.  ETH-USDT: tick 0.05, lot 0.5.
inline SymbolSpec spec(std::string_view name, std::string_view tick, std::string_view lot,
                       std::string_view band = {}) {
  SymbolSpecResult result = make_symbol_spec(name, tick, lot, band);
  if (!result.spec) throw std::runtime_error(result.error);
  return *result.spec;
}

inline EngineConfig test_config(SelfTradePrevention stp = SelfTradePrevention::none,
                                std::string_view btc_band = {}) {
  EngineConfig config;
  config.symbols = {spec("BTC-USDT", "0.01", "0.001", btc_band), spec("ETH-USDT", "0.05", "0.5")};
  config.stp = stp;
  config.expected_orders_per_symbol = 64;  // small, so pools grow in tests
  config.clock = [t = std::int64_t(1000)]() mutable { return t++; };
  return config;
}

class Recorder final : public EncodedEventSink {
 public:
  void on_event(const EncodedEvent& event) override { events.push_back(event); }
  std::vector<EncodedEvent> events;
};

inline boost::json::object payload(const EncodedEvent& event) {
  return boost::json::parse(event.payload).as_object();
}

// "id:status" or "id:status:reason" for each order event, in order.
inline std::vector<std::string> order_statuses(const std::vector<EncodedEvent>& events) {
  std::vector<std::string> out;
  for (const EncodedEvent& e : events) {
    if (e.kind != EventKind::order) continue;
    const auto p = payload(e);
    // Built with append: GCC 12 misreports `to_string(...) + ":"` (-Wrestrict).
    std::string s = std::to_string(p.at("order_id").to_number<std::uint64_t>());
    s.append(":").append(p.at("status").as_string());
    if (const auto* reason = p.if_contains("reason")) s.append(":").append(reason->as_string());
    out.push_back(s);
  }
  return out;
}

// "price x qty maker->taker" for each trade, in order.
inline std::vector<std::string> trades(const std::vector<EncodedEvent>& events) {
  std::vector<std::string> out;
  for (const EncodedEvent& e : events) {
    if (e.kind != EventKind::trade) continue;
    const auto p = payload(e);
    out.push_back(std::string(p.at("price").as_string()) + " x " +
                  std::string(p.at("qty").as_string()) + " " +
                  std::to_string(p.at("maker_order_id").to_number<std::uint64_t>()) + "->" +
                  std::to_string(p.at("taker_order_id").to_number<std::uint64_t>()));
  }
  return out;
}

// The bids and asks of the depth events, "bids=[[...]] asks=[...]".
inline std::vector<std::string> depths(const std::vector<EncodedEvent>& events) {
  std::vector<std::string> out;
  for (const EncodedEvent& e : events) {
    if (e.kind != EventKind::depth) continue;
    const auto p = payload(e);
    out.push_back("bids=" + boost::json::serialize(p.at("bids")) +
                  " asks=" + boost::json::serialize(p.at("asks")));
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  explicit EngineTest(EngineConfig config = test_config())
      : engine(std::move(config)), processor(engine) {}

  std::vector<EncodedEvent> send(std::string_view json) {
    Recorder recorder;
    processor.process(json, recorder);
    return std::move(recorder.events);
  }

  // A new BTC-USDT order; `extra` is appended inside the object.
  std::vector<EncodedEvent> limit(std::uint64_t id, std::string_view user, std::string_view side,
                                  std::string_view price, std::string_view qty,
                                  std::string_view extra = "") {
    return send(R"({"op":"new","id":)" + std::to_string(id) + R"(,"user":")" + std::string(user) +
                R"(","symbol":"BTC-USDT","side":")" + std::string(side) +
                R"(","type":"limit","price":")" + std::string(price) + R"(","qty":")" +
                std::string(qty) + "\"" + std::string(extra) + "}");
  }
  std::vector<EncodedEvent> market(std::uint64_t id, std::string_view user, std::string_view side,
                                   std::string_view qty, std::string_view extra = "") {
    return send(R"({"op":"new","id":)" + std::to_string(id) + R"(,"user":")" + std::string(user) +
                R"(","symbol":"BTC-USDT","side":")" + std::string(side) +
                R"(","type":"market","qty":")" + std::string(qty) + "\"" + std::string(extra) + "}");
  }
  std::vector<EncodedEvent> cancel(std::uint64_t id) {
    return send(R"({"op":"cancel","id":)" + std::to_string(id) + R"(,"symbol":"BTC-USDT"})");
  }
  std::vector<EncodedEvent> modify(std::uint64_t id, std::string_view fields) {
    return send(R"({"op":"modify","id":)" + std::to_string(id) + R"(,"symbol":"BTC-USDT",)" +
                std::string(fields) + "}");
  }

  // The BTC-USDT book as "price:qty" lists, best first.
  std::vector<std::string> levels(Side side) const {
    std::vector<std::string> out;
    const SymbolSpec& s = engine.symbol(0);
    engine.book(0).for_each_level(side, [&](Price price, Qty qty) {
      out.push_back(format_decimal(price * s.tick_units, s.price_scale) + ":" +
                    format_decimal(qty * s.lot_units, s.qty_scale));
    });
    return out;
  }

  Engine engine;
  JsonOrderProcessor processor;
};

}  // namespace tickcast::matching::test

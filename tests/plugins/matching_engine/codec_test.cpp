// The wire format: what decodes to what, and the exact bytes written.
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

using Strings = std::vector<std::string>;

class Codec : public EngineTest {
 protected:
  DecodeResult decode(std::string_view json) { return decoder.decode(json); }
  Reason reason_of(std::string_view json) {
    const DecodeResult result = decode(json);
    EXPECT_FALSE(result.ok) << json;
    return result.rejection.reason;
  }
  OrderDecoder decoder{engine};
};

TEST_F(Codec, decodes_a_full_new_order_into_ticks_and_lots) {
  const DecodeResult r = decode(R"({"op":"new","id":7,"user":"alice","symbol":"BTC-USDT","side":"sell",)"
                                R"("type":"limit","price":"30000.50","qty":"0.010","tif":"IOC","post_only":false})");
  ASSERT_TRUE(r.ok) << reason_code(r.rejection.reason);
  EXPECT_EQ(r.order.op, Op::add);
  EXPECT_EQ(r.order.id, 7u);
  EXPECT_EQ(engine.user_name(r.order.user), "alice");
  EXPECT_EQ(r.order.symbol, 0u);
  EXPECT_EQ(r.order.side, Side::sell);
  EXPECT_EQ(r.order.type, OrderType::limit);
  EXPECT_EQ(r.order.price, 3000050);
  EXPECT_EQ(r.order.qty, 10);
  EXPECT_EQ(r.order.tif, Tif::ioc);
  EXPECT_FALSE(r.order.post_only);
}

TEST_F(Codec, tif_defaults_to_gtc_and_key_order_does_not_matter) {
  const DecodeResult r = decode(R"( {"qty":"1","price":"2000.05","type":"limit","side":"buy",)"
                                R"("symbol":"ETH-USDT","user":"bob","id":1,"op":"new"} )");
  ASSERT_TRUE(r.ok) << reason_code(r.rejection.reason);
  EXPECT_EQ(r.order.tif, Tif::gtc);
  EXPECT_EQ(r.order.price, 40001);  // 2000.05 / 0.05
  EXPECT_EQ(r.order.qty, 2);  // 1 / 0.5
}

TEST_F(Codec, accepts_the_largest_unsigned_64_bit_id) {
  const DecodeResult r = decode(R"({"op":"cancel","id":18446744073709551615,"symbol":"BTC-USDT"})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.order.id, 18446744073709551615ull);
  EXPECT_EQ(r.order.user, kNoUser);
}

TEST_F(Codec, decodes_modify_with_only_the_fields_given) {
  const DecodeResult r = decode(R"({"op":"modify","id":3,"symbol":"BTC-USDT","qty":"2.5"})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.order.op, Op::modify);
  EXPECT_EQ(r.order.price, 0);
  EXPECT_EQ(r.order.qty, 2500);
}

struct BadOrder {
  const char* json;
  Reason reason;
};

TEST_F(Codec, each_malformed_or_invalid_request_gets_its_own_reason) {
  const std::string base = R"("id":1,"user":"alice","symbol":"BTC-USDT")";
  const std::string order = R"({"op":"new",)" + base + R"(,"side":"buy","type":"limit")";
  const std::vector<std::pair<std::string, Reason>> cases = {
      {"", Reason::malformed_json},
      {"not json", Reason::malformed_json},
      {R"({"op":"new")", Reason::malformed_json},
      {R"({"op":"new"} trailing)", Reason::malformed_json},
      {R"({"op":"new"}{})", Reason::malformed_json},
      {R"([{"op":"new"}])", Reason::malformed_json},
      {R"("new")", Reason::malformed_json},
      {R"({"op":"new",})", Reason::malformed_json},
      {R"({"op":"new","op":"new",)" + base + "}", Reason::duplicate_field},
      {R"({"op":"new",)" + base + R"(,"id":2})", Reason::duplicate_field},
      {order + R"(,"price":"1.00","qty":"1","colour":"red"})", Reason::unknown_field},
      {order + R"(,"price":"1.00","qty":"1","Price":"1"})", Reason::unknown_field},
      {"{" + base + "}", Reason::missing_op},
      {R"({"op":"replace",)" + base + "}", Reason::invalid_op},
      {R"({"op":1,)" + base + "}", Reason::invalid_op},
      {R"({"op":"new","user":"alice","symbol":"BTC-USDT"})", Reason::missing_id},
      {R"({"op":"new","id":-1,"user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":1.5,"user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":"1","user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":18446744073709551616,"user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":[1],"user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":{"a":1},"user":"alice","symbol":"BTC-USDT"})", Reason::invalid_id},
      {R"({"op":"new","id":1,"user":"alice"})", Reason::missing_symbol},
      {R"({"op":"new","id":1,"user":"alice","symbol":null})", Reason::invalid_symbol},
      {R"({"op":"new","id":1,"user":"alice","symbol":"btc-usdt"})", Reason::unknown_symbol},
      {R"({"op":"new","id":1,"symbol":"BTC-USDT","side":"buy"})", Reason::missing_user},
      {R"({"op":"new","id":1,"user":"","symbol":"BTC-USDT"})", Reason::invalid_user},
      {R"({"op":"new","id":1,"user":"unknown","symbol":"BTC-USDT"})", Reason::invalid_user},
      {R"({"op":"new","id":1,"user":"a b","symbol":"BTC-USDT"})", Reason::invalid_user},
      {R"({"op":"new","id":1,"user":7,"symbol":"BTC-USDT"})", Reason::invalid_user},
      {R"({"op":"cancel","id":1,"user":"x*","symbol":"BTC-USDT"})", Reason::invalid_user},
      {R"({"op":"new",)" + base + R"(,"type":"limit","price":"1.00","qty":"1"})", Reason::missing_side},
      {R"({"op":"new",)" + base + R"(,"side":"BUY","type":"limit"})", Reason::invalid_side},
      {R"({"op":"new",)" + base + R"(,"side":"buy","price":"1.00","qty":"1"})", Reason::missing_type},
      {R"({"op":"new",)" + base + R"(,"side":"buy","type":"stop"})", Reason::invalid_type},
      {order + R"(,"price":"1.00","qty":"1","tif":"gtc"})", Reason::invalid_tif},
      {order + R"(,"price":"1.00","qty":"1","tif":"DAY"})", Reason::invalid_tif},
      {order + R"(,"price":"1.00","qty":"1","post_only":"true"})", Reason::invalid_post_only},
      {order + R"(,"price":"1.00","qty":"1","post_only":1})", Reason::invalid_post_only},
      {order + R"(,"qty":"1"})", Reason::missing_price},
      {order + R"(,"price":"1.00"})", Reason::missing_qty},
      {order + R"(,"price":100,"qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":100.5,"qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":"1e2","qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":" 1.00","qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":"1.","qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":"","qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":")" + std::string(65, '1') + R"(","qty":"1"})", Reason::invalid_price},
      {order + R"(,"price":"1.00","qty":1})", Reason::invalid_qty},
      {order + R"(,"price":"1.00","qty":"+1"})", Reason::invalid_qty},
      {order + R"(,"price":"1.001","qty":"1"})", Reason::price_off_tick},
      {order + R"(,"price":"1.00","qty":"0.0001"})", Reason::qty_off_lot},
      {order + R"(,"price":"0","qty":"1"})", Reason::price_not_positive},
      {order + R"(,"price":"-1","qty":"1"})", Reason::price_not_positive},
      {order + R"(,"price":"1.00","qty":"0.000"})", Reason::qty_not_positive},
      {order + R"(,"price":"99999999999999999999","qty":"1"})", Reason::price_overflow},
      {order + R"(,"price":"1.00","qty":"99999999999999999999"})", Reason::qty_overflow},
      {R"({"op":"new",)" + base + R"(,"side":"buy","type":"market","price":"1.00","qty":"1"})",
       Reason::unexpected_price},
      {R"({"op":"cancel","id":1,"symbol":"BTC-USDT","side":"buy"})", Reason::unexpected_field},
      {R"({"op":"cancel","id":1,"symbol":"BTC-USDT","qty":"1"})", Reason::unexpected_field},
      {R"({"op":"modify","id":1,"symbol":"BTC-USDT","qty":"1","tif":"IOC"})", Reason::unexpected_field},
      {R"({"op":"modify","id":1,"symbol":"BTC-USDT","user":"alice"})", Reason::nothing_to_modify},
      {R"({"op":"modify","id":1,"symbol":"BTC-USDT","price":"0"})", Reason::price_not_positive},
  };
  for (const auto& [json, reason] : cases) {
    EXPECT_EQ(reason_code(reason_of(json)), reason_code(reason)) << json;
  }
}

TEST_F(Codec, a_rejection_keeps_whatever_identifies_the_request) {
  const DecodeResult r = decode(R"({"op":"new","id":9,"user":"carol","symbol":"ETH-USDT","side":"up"})");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.rejection.reason, Reason::invalid_side);
  EXPECT_EQ(r.rejection.order_id, 9u);
  EXPECT_EQ(r.rejection.symbol, 1u);
  EXPECT_EQ(engine.user_name(r.rejection.user), "carol");
}

TEST_F(Codec, escaped_strings_are_unescaped_before_they_are_read) {
  const DecodeResult r = decode(R"({"op":"cancel","id":1,"symbol":"BTC\u002dUSDT","user":"\u0061lice"})");
  ASSERT_TRUE(r.ok) << reason_code(r.rejection.reason);
  EXPECT_EQ(engine.user_name(r.order.user), "alice");
}

TEST_F(Codec, writes_order_trade_and_depth_events_exactly) {
  const auto first = limit(1, "alice", "sell", "100.00", "1.000");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].channel, "orders.alice");
  EXPECT_EQ(first[0].payload,
            R"({"type":"order","symbol":"BTC-USDT","seq":1,"order_id":1,"user":"alice",)"
            R"("status":"accepted","filled_qty":"0.000","remaining_qty":"1.000","ts":1000})");
  EXPECT_EQ(first[1].channel, "depth.BTC-USDT");
  EXPECT_EQ(first[1].payload,
            R"({"type":"depth","symbol":"BTC-USDT","seq":1,"bids":[],"asks":[["100.00","1.000"]],"ts":1000})");

  const auto second = limit(2, "bob", "buy", "100.50", "0.400");
  ASSERT_EQ(second.size(), 5u);
  EXPECT_EQ(second[1].channel, "trades.BTC-USDT");
  EXPECT_EQ(second[1].key, "BTC-USDT");
  EXPECT_EQ(second[1].seq, 1u);
  EXPECT_EQ(second[1].payload,
            R"({"type":"trade","symbol":"BTC-USDT","seq":1,"trade_id":1,"price":"100.00","qty":"0.400",)"
            R"("taker_side":"buy","maker_order_id":1,"taker_order_id":2,"maker_user":"alice",)"
            R"("taker_user":"bob","ts":1001})");
  EXPECT_EQ(second[2].payload,
            R"({"type":"order","symbol":"BTC-USDT","seq":3,"order_id":1,"user":"alice",)"
            R"("status":"partially_filled","filled_qty":"0.400","remaining_qty":"0.600","ts":1001})");
  EXPECT_EQ(second[3].payload,
            R"({"type":"order","symbol":"BTC-USDT","seq":4,"order_id":2,"user":"bob",)"
            R"("status":"filled","filled_qty":"0.400","remaining_qty":"0.000","ts":1001})");
  EXPECT_EQ(second[4].payload,
            R"({"type":"depth","symbol":"BTC-USDT","seq":2,"bids":[],"asks":[["100.00","0.600"]],"ts":1001})");
}

TEST_F(Codec, every_payload_is_valid_json) {
  limit(1, "alice", "sell", "100.00", "1.000");
  for (const auto& e : limit(2, "bob", "buy", "100.50", "2.000")) {
    EXPECT_NO_THROW(boost::json::parse(e.payload)) << e.payload;
  }
  for (const auto& e : send("{")) EXPECT_NO_THROW(boost::json::parse(e.payload)) << e.payload;
}

}  // namespace
}  // namespace tickcast::matching::test

// The decoder's fast path for flat ASCII objects must decide exactly as
// Boost.JSON does: same order, same rejection, for valid orders, for
// near-misses of every kind and for random corruptions of real orders.
#include <random>

#include "orderflow.hpp"
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

class CodecFastPath : public EngineTest {
 protected:
  // Both decoders share the engine, so users are interned once.
  void expect_same_decision(const std::string& json) {
    const DecodeResult fast = fast_decoder.decode(json);
    const DecodeResult full = full_decoder.decode_with_full_parser(json);
    ASSERT_EQ(fast.ok, full.ok) << json;
    if (full.ok) {
      const Order& a = fast.order;
      const Order& b = full.order;
      EXPECT_TRUE(a.op == b.op && a.side == b.side && a.type == b.type && a.tif == b.tif &&
                  a.post_only == b.post_only && a.symbol == b.symbol && a.user == b.user && a.id == b.id &&
                  a.price == b.price && a.qty == b.qty)
          << json;
    } else {
      const Rejection& a = fast.rejection;
      const Rejection& b = full.rejection;
      EXPECT_EQ(reason_code(a.reason), reason_code(b.reason)) << json;
      EXPECT_TRUE(a.symbol == b.symbol && a.user == b.user && a.order_id == b.order_id) << json;
    }
  }
  OrderDecoder fast_decoder{engine};
  OrderDecoder full_decoder{engine};
};

TEST_F(CodecFastPath, decides_like_boost_json_on_edge_cases) {
  const std::vector<std::string> inputs = {
      R"({"op":"new","id":7,"user":"alice","symbol":"BTC-USDT","side":"sell","type":"limit","price":"30000.50","qty":"0.010","tif":"IOC","post_only":true})",
      " \t\r\n{ \"op\" : \"cancel\" , \"id\" : 0 , \"symbol\" : \"BTC-USDT\" } \n",
      R"({})", R"({ })", R"([])", R"("x")", R"(7)", "", " ", R"({)", R"(})", R"({"op":"cancel"} x)",
      R"({"op":"cancel","id":1,"symbol":"BTC-USDT",})", R"({"op":"cancel",,"id":1})", R"({"op" "cancel"})",
      R"({"op":"cancel","id":01,"symbol":"BTC-USDT"})", R"({"op":"cancel","id":-1,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":1.0,"symbol":"BTC-USDT"})", R"({"op":"cancel","id":1e3,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":999999999999999999,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":9999999999999999999,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":18446744073709551615,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":18446744073709551616,"symbol":"BTC-USDT"})",
      R"({"op":"cancel","id":1,"symbol":"BTC-USDT","op":"new"})", R"({"op":"cancel","id":1,"symbol":"BTC-USDT","x":1})",
      R"({"op":"cancel","id":1,"symbol":"BTC\u002dUSDT"})", R"({"op":"cancel","id":1,"symbol":"BTC-USDT","user":"\u00e9"})",
      "{\"op\":\"cancel\",\"id\":1,\"symbol\":\"BTC-USDT\",\"user\":\"\xc3\xa9\"}",
      "{\"op\":\"cancel\",\"id\":1,\"symbol\":\"BTC-USDT\",\"user\":\"\xff\"}",
      "{\"op\":\"cancel\",\"id\":1,\"symbol\":\"BTC-USDT\",\"user\":\"a\x01\"}",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1","qty":"1","post_only":null})",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1","qty":"1","post_only":truex})",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1","qty":"1","post_only":fals})",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":"buy","type":"limit","price":1,"qty":"1"})",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":["buy"],"type":"limit","price":"1","qty":"1"})",
      R"({"op":"new","id":1,"user":"u","symbol":"BTC-USDT","side":{"a":1},"type":"limit","price":"1","qty":"1"})",
      R"({"op":"cancel","id":1,"symbol":"BTC-USDT","user":")" + std::string(64, 'u') + R"("})",
      R"({"op":"cancel","id":1,"symbol":"BTC-USDT","user":")" + std::string(65, 'u') + R"("})",
      R"({"op":"cancel","id":1,"symbol":"BTC-USDT","user":")" + std::string(5000, 'u') + R"("})",
      R"({")" + std::string(5000, 'k') + R"(":1})",
  };
  for (const std::string& json : inputs) expect_same_decision(json);

  std::string many = "{";
  for (int i = 0; i < 70; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":1";
  expect_same_decision(many + "}");
}

TEST_F(CodecFastPath, decides_like_boost_json_on_generated_orders_and_their_corruptions) {
  OrderflowOptions options;
  options.symbols = {spec("BTC-USDT", "0.01", "0.001"), spec("ETH-USDT", "0.05", "0.5")};
  options.seed = 7;
  Orderflow flow(options);
  std::mt19937_64 random(11);
  // Every kind of byte a corruption should try, NUL included.
  const std::string alphabet = std::string("\"\\{}[],: 019-.eEtfnul\t\x01\x7f\xc3\xa9\xff") + std::string(1, '\0');
  std::string json;
  for (int i = 0; i < 20000; ++i) {
    flow.next_json(json);
    expect_same_decision(json);
    std::string bad = json;
    const int edits = 1 + int(random() % 3);
    for (int e = 0; e < edits && !bad.empty(); ++e) {
      const std::size_t at = random() % bad.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 4) {
        case 0: bad[at] = c; break;
        case 1: bad.insert(bad.begin() + std::ptrdiff_t(at), c); break;
        case 2: bad.erase(at, 1); break;
        default: bad.resize(at); break;
      }
    }
    expect_same_decision(bad);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace tickcast::matching::test

// OrderDecoder: one JSON object per order.
//
//   {"op":"new","id":7,"user":"alice","symbol":"BTC-USDT","side":"buy",
//    "type":"limit","price":"30000.50","qty":"0.0100","tif":"GTC","post_only":false}
//   {"op":"cancel","id":7,"symbol":"BTC-USDT"}                  user optional
//   {"op":"modify","id":7,"symbol":"BTC-USDT","price":"30001.00","qty":"0.0200"}
//                                              price and/or qty, user optional
// - id: a JSON integer 0..2^64-1 (not a string, not a fraction).
// - price, qty: decimal strings (decimal.hpp); JSON numbers are rejected so
//   no value ever passes through a double. price only on limit orders.
// - side buy|sell, type limit|market, tif GTC|IOC|FOK (default GTC):
//   exact, case-sensitive.
// - Strings longer than 64 characters are invalid for their field.
// The first failure, in this order, is the reported reason: malformed_json,
// unknown_field, duplicate_field, op, id, symbol, user, then the
// op's own fields (side, type, tif, post_only, price, qty).
#include <boost/json/basic_parser_impl.hpp>

#include <array>
#include <cstring>

#include "codec.hpp"
#include "decimal.hpp"

namespace tickcast::matching {
namespace {

enum class Field : std::uint8_t { op, id, user, symbol, side, type, price, qty, tif, post_only, none };
constexpr std::size_t kFieldCount = std::size_t(Field::none);
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "op", "id", "user", "symbol", "side", "type", "price", "qty", "tif", "post_only"};
constexpr std::size_t kMaxText = 64;

// Every key of every order goes through here: dispatching on the length
// first leaves one to three compares of a known size, which the compiler
// inlines, instead of a memcmp call per field name.
constexpr Field field_named(std::string_view key) {
  const auto pick = [&](std::initializer_list<Field> candidates) {
    for (Field f : candidates)
      if (key == kFieldNames[std::size_t(f)]) return f;
    return Field::none;
  };
  switch (key.size()) {
    case 2: return pick({Field::op, Field::id});
    case 3: return pick({Field::qty, Field::tif});
    case 4: return pick({Field::user, Field::side, Field::type});
    case 5: return pick({Field::price});
    case 6: return pick({Field::symbol});
    case 9: return pick({Field::post_only});
    default: return Field::none;
  }
}

constexpr bool every_field_is_found_by_name() {
  for (std::size_t i = 0; i < kFieldCount; ++i)
    if (field_named(kFieldNames[i]) != Field(i)) return false;
  return true;
}
static_assert(every_field_is_found_by_name(), "field_named() misses a name of kFieldNames");

struct Value {
  enum class Kind : std::uint8_t { absent, string, integer, boolean, other };
  Kind kind = Kind::absent;
  bool too_long = false;
  bool negative = false;  // for integers
  bool flag = false;
  std::uint64_t integer = 0;
  std::uint8_t size = 0;
  char text[kMaxText];

  std::string_view str() const { return {text, size}; }
  bool is_string() const { return kind == Kind::string && !too_long; }
};

// SAX handler: records the top-level fields of one object; anything deeper
// only marks its field as the wrong kind.
struct Handler {
  static constexpr std::size_t max_object_size = 64;
  static constexpr std::size_t max_array_size = 64;
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = 4096;

  std::array<Value, kFieldCount> values;
  int depth = 0;
  bool top_is_object = false;
  bool unknown_key = false;
  bool repeated_key = false;
  Field current = Field::none;
  char key[kMaxText];  // longer keys are truncated, and so match no field
  std::size_t key_size = 0;

  void clear() {
    for (Value& v : values) v.kind = Value::Kind::absent;
    depth = 0;
    top_is_object = false;
    unknown_key = false;
    repeated_key = false;
    current = Field::none;
    key_size = 0;
  }

  Value* slot() { return depth == 1 && current != Field::none ? &values[std::size_t(current)] : nullptr; }
  void set_kind(Value::Kind kind) {
    if (Value* v = slot()) {
      v->kind = kind;
      v->too_long = false;
      v->size = 0;
    }
  }

  using ec_t = boost::json::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    if (depth == 0) top_is_object = true;
    else set_kind(Value::Kind::other);
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    --depth;
    return true;
  }
  bool on_array_begin(ec_t&) {
    set_kind(Value::Kind::other);
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, ec_t&) {
    --depth;
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    append_key(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, ec_t&) {
    append_key(s);
    on_whole_key(std::string_view(key, key_size));
    return true;
  }
  // A key in one piece, as the fast path has it: no copy is needed. (A key
  // longer than `key` holds would be cut by on_key; either way it matches no
  // field, all of whose names are short.)
  void on_whole_key(std::string_view name) {
    if (depth == 1) {
      current = field_named(name);
      if (current == Field::none) {
        unknown_key = true;
      } else if (values[std::size_t(current)].kind != Value::Kind::absent) {
        repeated_key = true;
        current = Field::none;
      }
    }
    key_size = 0;
  }
  bool on_string_part(boost::json::string_view s, std::size_t n, ec_t&) {
    append_text(s, n);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t n, ec_t&) {
    append_text(s, n);
    return true;
  }
  bool on_number_part(boost::json::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, ec_t&) {
    if (Value* v = slot()) {
      set_kind(Value::Kind::integer);
      v->negative = i < 0;
      v->integer = std::uint64_t(i);
    }
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view, ec_t&) {
    if (Value* v = slot()) {
      set_kind(Value::Kind::integer);
      v->negative = false;
      v->integer = u;
    }
    return true;
  }
  // Fractions and out-of-range integers: never a valid value here.
  bool on_double(double, boost::json::string_view, ec_t&) {
    set_kind(Value::Kind::other);
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    if (Value* v = slot()) {
      set_kind(Value::Kind::boolean);
      v->flag = b;
    }
    return true;
  }
  bool on_null(ec_t&) {
    set_kind(Value::Kind::other);
    return true;
  }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }

  void append_key(boost::json::string_view s) {
    const std::size_t n = std::min(s.size(), sizeof(key) - key_size);
    std::memcpy(key + key_size, s.data(), n);
    key_size += n;
  }
  // `total` is the string's size so far, including `s`.
  void append_text(boost::json::string_view s, std::size_t total) {
    Value* v = slot();
    if (v == nullptr) return;
    if (total == s.size()) set_kind(Value::Kind::string);  // first piece
    if (total > kMaxText) {
      v->too_long = true;
      return;
    }
    std::memcpy(v->text + v->size, s.data(), s.size());
    v->size = std::uint8_t(total);
  }
};

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool only_whitespace(std::string_view rest) {
  for (char c : rest) {
    if (!is_whitespace(c)) return false;
  }
  return true;
}

// The fast path for what orders almost always are: one flat object whose
// keys and strings are printable ASCII without escapes, whose numbers are
// non-negative integers of at most 18 digits (so they fit int64), plus
// true, false and null. It makes the Handler calls basic_parser would make
// for such an input, at a fraction of the cost (no UTF-8 validation, no
// parser state machine). Anything else, well formed or not, returns false
// at once, and the caller clears the Handler and runs basic_parser, which
// stays the only judge of what is malformed.
// Printable ASCII but the quote and the backslash: what a JSON string may
// hold without an escape and without UTF-8 validation.
constexpr std::array<bool, 256> kPlainStringChar = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c <= 0x7e; ++c) plain[std::size_t(c)] = c != '"' && c != '\\';
  return plain;
}();

bool scan_flat_object(std::string_view json, Handler& h) {
  const char* p = json.data();
  const char* const end = p + json.size();
  boost::json::error_code ec;
  const auto skip_whitespace = [&] {
    while (p != end && is_whitespace(*p)) ++p;
  };
  // From the opening quote; leaves p past the closing one.
  const auto scan_string = [&](std::string_view& text, std::size_t max_size) {
    const char* const start = ++p;
    while (p != end && kPlainStringChar[static_cast<unsigned char>(*p)]) ++p;
    if (p == end || *p != '"' || std::size_t(p - start) > max_size) return false;
    text = std::string_view(start, std::size_t(p - start));
    ++p;
    return true;
  };
  const auto literal = [&](std::string_view word) {
    if (std::size_t(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) return false;
    p += word.size();
    return true;
  };

  skip_whitespace();
  if (p == end || *p != '{') return false;
  ++p;
  h.on_document_begin(ec);
  h.on_object_begin(ec);
  std::size_t members = 0;
  skip_whitespace();
  if (p != end && *p == '}') {
    ++p;
  } else {
    for (;;) {
      std::string_view key;
      if (p == end || *p != '"' || !scan_string(key, Handler::max_key_size)) return false;
      skip_whitespace();
      if (p == end || *p != ':') return false;
      ++p;
      skip_whitespace();
      if (p == end || ++members > Handler::max_object_size) return false;
      h.on_whole_key(key);
      if (*p == '"') {
        std::string_view text;
        if (!scan_string(text, Handler::max_string_size)) return false;
        h.on_string(text, text.size(), ec);
      } else if (*p >= '0' && *p <= '9') {
        const char* const start = p;
        // At most 18 digits fit an int64 whatever they are; a 19th means a
        // number this path leaves to the full parser (and no overflow here).
        std::int64_t value = 0;
        while (p != end && *p >= '0' && *p <= '9' && p - start < 18) value = value * 10 + (*p++ - '0');
        const std::size_t digits = std::size_t(p - start);
        if ((p != end && *p >= '0' && *p <= '9') || (digits > 1 && *start == '0')) return false;
        h.on_int64(value, {start, digits}, ec);
      } else if (literal("true")) {
        h.on_bool(true, ec);
      } else if (literal("false")) {
        h.on_bool(false, ec);
      } else if (literal("null")) {
        h.on_null(ec);
      } else {
        return false;
      }
      // A fraction, an exponent or "truex" ends up here as well.
      skip_whitespace();
      if (p == end) return false;
      if (*p == '}') {
        ++p;
        break;
      }
      if (*p != ',') return false;
      ++p;
      skip_whitespace();
    }
  }
  h.on_object_end(members, ec);
  h.on_document_end(ec);
  skip_whitespace();
  return p == end;
}

// Decimal string -> ticks or lots; `step` is the tick or lot in units.
struct Amount {
  std::int64_t steps = 0;
  Reason error = Reason::none;
};

Amount parse_amount(const Value& v, int scale, std::int64_t step, bool is_price) {
  const auto pick = [&](Reason price_reason, Reason qty_reason) {
    return Amount{0, is_price ? price_reason : qty_reason};
  };
  if (!v.is_string()) return pick(Reason::invalid_price, Reason::invalid_qty);
  const ParsedDecimal parsed = parse_decimal(v.str(), scale);
  switch (parsed.error) {
    case DecimalError::none: break;
    case DecimalError::negative: return pick(Reason::price_not_positive, Reason::qty_not_positive);
    case DecimalError::too_many_decimals: return pick(Reason::price_off_tick, Reason::qty_off_lot);
    case DecimalError::overflow: return pick(Reason::price_overflow, Reason::qty_overflow);
    default: return pick(Reason::invalid_price, Reason::invalid_qty);
  }
  if (parsed.units == 0) return pick(Reason::price_not_positive, Reason::qty_not_positive);
  if (parsed.units % step != 0) return pick(Reason::price_off_tick, Reason::qty_off_lot);
  return {parsed.units / step, Reason::none};
}

}  // namespace

struct OrderDecoder::Parser {
  boost::json::basic_parser<Handler> sax{boost::json::parse_options{}};
};

OrderDecoder::OrderDecoder(Engine& engine) : engine_(engine), parser_(std::make_unique<Parser>()) {}
OrderDecoder::~OrderDecoder() = default;

DecodeResult OrderDecoder::decode(std::string_view json) { return decode(json, true); }

DecodeResult OrderDecoder::decode_with_full_parser(std::string_view json) { return decode(json, false); }

DecodeResult OrderDecoder::decode(std::string_view json, bool fast_path) {
  auto& sax = parser_->sax;
  Handler& h = sax.handler();
  h.clear();
  DecodeResult result;
  Rejection& rej = result.rejection;
  if (!fast_path || !scan_flat_object(json, h)) {
    h.clear();
    sax.reset();
    boost::json::error_code ec;
    const std::size_t used = sax.write_some(false, json.data(), json.size(), ec);
    if (ec || !sax.done() || !h.top_is_object || !only_whitespace(json.substr(used))) {
      rej.reason = Reason::malformed_json;
      return result;
    }
  }
  const auto field = [&](Field f) -> const Value& { return h.values[std::size_t(f)]; };
  const auto present = [&](Field f) { return field(f).kind != Value::Kind::absent; };
  Order& order = result.order;

  // Whatever identifies the request is read first, so even a rejection
  // reaches its user and symbol.
  const Value& id = field(Field::id);
  const bool id_ok = id.kind == Value::Kind::integer && !id.negative;
  if (id_ok) order.id = rej.order_id = id.integer;
  const Value& symbol = field(Field::symbol);
  if (symbol.is_string()) order.symbol = rej.symbol = engine_.find_symbol(symbol.str());
  const Value& user = field(Field::user);
  if (user.is_string()) order.user = rej.user = engine_.intern_user(user.str());

  const auto fail = [&](Reason reason) {
    rej.reason = reason;
    return result;
  };
  if (h.unknown_key) return fail(Reason::unknown_field);
  if (h.repeated_key) return fail(Reason::duplicate_field);

  const Value& op = field(Field::op);
  if (!present(Field::op)) return fail(Reason::missing_op);
  if (!op.is_string()) return fail(Reason::invalid_op);
  if (op.str() == "new") order.op = Op::add;
  else if (op.str() == "cancel") order.op = Op::cancel;
  else if (op.str() == "modify") order.op = Op::modify;
  else return fail(Reason::invalid_op);

  if (!present(Field::id)) return fail(Reason::missing_id);
  if (!id_ok) return fail(Reason::invalid_id);
  if (!present(Field::symbol)) return fail(Reason::missing_symbol);
  if (!symbol.is_string()) return fail(Reason::invalid_symbol);
  if (order.symbol == kNoSymbol) return fail(Reason::unknown_symbol);
  if (present(Field::user) && order.user == kNoUser) return fail(Reason::invalid_user);
  const SymbolSpec& spec = engine_.symbol(order.symbol);

  if (order.op == Op::cancel) {
    for (Field f : {Field::side, Field::type, Field::price, Field::qty, Field::tif, Field::post_only}) {
      if (present(f)) return fail(Reason::unexpected_field);
    }
  } else if (order.op == Op::modify) {
    for (Field f : {Field::side, Field::type, Field::tif, Field::post_only}) {
      if (present(f)) return fail(Reason::unexpected_field);
    }
    if (!present(Field::price) && !present(Field::qty)) return fail(Reason::nothing_to_modify);
  } else {
    if (!present(Field::user)) return fail(Reason::missing_user);
    const Value& side = field(Field::side);
    if (!present(Field::side)) return fail(Reason::missing_side);
    if (side.is_string() && side.str() == "buy") order.side = Side::buy;
    else if (side.is_string() && side.str() == "sell") order.side = Side::sell;
    else return fail(Reason::invalid_side);

    const Value& type = field(Field::type);
    if (!present(Field::type)) return fail(Reason::missing_type);
    if (type.is_string() && type.str() == "limit") order.type = OrderType::limit;
    else if (type.is_string() && type.str() == "market") order.type = OrderType::market;
    else return fail(Reason::invalid_type);

    const Value& tif = field(Field::tif);
    if (!present(Field::tif)) order.tif = Tif::gtc;
    else if (tif.is_string() && tif.str() == "GTC") order.tif = Tif::gtc;
    else if (tif.is_string() && tif.str() == "IOC") order.tif = Tif::ioc;
    else if (tif.is_string() && tif.str() == "FOK") order.tif = Tif::fok;
    else return fail(Reason::invalid_tif);

    const Value& post_only = field(Field::post_only);
    if (present(Field::post_only) && post_only.kind != Value::Kind::boolean) {
      return fail(Reason::invalid_post_only);
    }
    order.post_only = present(Field::post_only) && post_only.flag;

    if (order.type == OrderType::market && present(Field::price)) return fail(Reason::unexpected_price);
    if (order.type == OrderType::limit && !present(Field::price)) return fail(Reason::missing_price);
    if (!present(Field::qty)) return fail(Reason::missing_qty);
  }

  if (present(Field::price)) {
    const Amount price = parse_amount(field(Field::price), spec.price_scale, spec.tick_units, true);
    if (price.error != Reason::none) return fail(price.error);
    order.price = price.steps;
  }
  if (present(Field::qty)) {
    const Amount qty = parse_amount(field(Field::qty), spec.qty_scale, spec.lot_units, false);
    if (qty.error != Reason::none) return fail(qty.error);
    order.qty = qty.steps;
  }
  result.ok = true;
  return result;
}

}  // namespace tickcast::matching

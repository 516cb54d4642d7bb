// The Lua scripts behind redis_cache. Each runs atomically in Redis, so a
// reader never sees a book half-updated, and each first compares the event's
// seq with the stored one: a replayed or stale event changes nothing.
//
// Prices and quantities stay decimal strings; the scripts compare them with
// dec_cmp (exact, digit by digit), never as Lua numbers (doubles).
#pragma once

#include <string>

namespace tickcast::redis::scripts {

inline constexpr const char* decimal_helpers = R"lua(
local function dec_cmp(a, b)
  local ai, af = string.match(a, '^(%d*)%.?(%d*)$')
  local bi, bf = string.match(b, '^(%d*)%.?(%d*)$')
  ai = string.gsub(ai, '^0+', '') ; bi = string.gsub(bi, '^0+', '')
  if #ai ~= #bi then return #ai < #bi and -1 or 1 end
  if ai ~= bi then return ai < bi and -1 or 1 end
  local n = math.max(#af, #bf)
  af = af .. string.rep('0', n - #af) ; bf = bf .. string.rep('0', n - #bf)
  if af == bf then return 0 end
  return af < bf and -1 or 1
end
local function is_zero(q) return string.match(q, '^[0.]*$') ~= nil end
local function is_decimal(q)
  return type(q) == 'string' and #q <= 40 and string.match(q, '^%d*%.?%d*$') ~= nil and string.match(q, '%d') ~= nil
end
-- a and b as two digit strings of one length, the point n digits from the right.
local function dec_align(a, b)
  local ai, af = string.match(a, '^(%d*)%.?(%d*)$')
  local bi, bf = string.match(b, '^(%d*)%.?(%d*)$')
  local n, m = math.max(#af, #bf), math.max(#ai, #bi)
  af = af .. string.rep('0', n - #af) ; bf = bf .. string.rep('0', n - #bf)
  ai = string.rep('0', m - #ai) .. ai ; bi = string.rep('0', m - #bi) .. bi
  return ai .. af, bi .. bf, n
end
-- Digits with the point n from the right, as the shortest decimal text.
local function dec_text(digits, n)
  local i = string.gsub(string.sub(digits, 1, #digits - n), '^0+', '')
  local f = string.gsub(string.sub(digits, #digits - n + 1), '0+$', '')
  if i == '' then i = '0' end
  if f == '' then return i end
  return i .. '.' .. f
end
-- Exact sum and difference (a >= b) of non-negative decimal strings: as
-- Lua numbers while every digit fits a double's 53 bits exactly (up to 15
-- digits, the usual case), digit by digit beyond.
local function dec_add(a, b)
  local x, y, n = dec_align(a, b)
  if #x < 16 then return dec_text(string.format('%0' .. (n + 1) .. '.0f', tonumber(x) + tonumber(y)), n) end
  local out, carry = {}, 0
  for k = #x, 1, -1 do
    local d = string.byte(x, k) + string.byte(y, k) - 96 + carry
    if d >= 10 then d, carry = d - 10, 1 else carry = 0 end
    out[k] = d
  end
  return dec_text((carry == 1 and '1' or '') .. table.concat(out), n)
end
local function dec_sub(a, b)
  local x, y, n = dec_align(a, b)
  if #x < 16 then return dec_text(string.format('%0' .. (n + 1) .. '.0f', tonumber(x) - tonumber(y)), n) end
  local out, borrow = {}, 0
  for k = #x, 1, -1 do
    local d = string.byte(x, k) - string.byte(y, k) - borrow
    if d < 0 then d, borrow = d + 10, 1 else borrow = 0 end
    out[k] = d
  end
  return dec_text(table.concat(out), n)
end
)lua";

// The rolling 24-hour volume (docs/redis.md): per symbol a hash of one-minute
// buckets, v:<minute> (summed quantity) and n:<minute> (trades), with sum and
// count over the buckets held and the minutes from..to they span. Minutes are
// whole minutes since the Unix epoch of the trades' origin time. The window
// at minute M holds the minutes M-1439..M.
inline constexpr const char* volume_helpers = R"lua(
local WINDOW = 1440
local function minute_of(ns)
  if #ns <= 9 then return 0 end
  return math.floor(tonumber(string.sub(ns, 1, -10)) / 60)  -- whole seconds first: exact, unlike ns as a double
end
-- Volume and trades in the buckets from..upto; with drop, the buckets go.
local function buckets(key, from, upto, drop)
  local vol, n = '0', 0
  for m = from, upto do
    local v = redis.call('HGET', key, 'v:' .. m)
    if v then
      vol = dec_add(vol, v)
      n = n + tonumber(redis.call('HGET', key, 'n:' .. m) or '0')
      if drop then redis.call('HDEL', key, 'v:' .. m, 'n:' .. m) end
    end
  end
  return vol, n
end
-- Volume and trades of the window ending at minute now, without writing.
local function window_volume(key, now)
  local h = redis.call('HMGET', key, 'sum', 'count', 'from', 'to')
  if not h[1] then return '0', 0 end
  local from, to, cut = tonumber(h[3]), tonumber(h[4]), now - WINDOW
  if cut >= to then return '0', 0 end
  if cut < from then return h[1], tonumber(h[2]) end
  local v, n = buckets(key, from, cut, false)
  return dec_sub(h[1], v), tonumber(h[2]) - n
end
-- A trade of qty at minute: the buckets that fall out of the window ending
-- at the newest minute seen go first (at most one per minute of trading,
-- and never more than the window), then the trade is added, unless it is
-- older than that window itself. Two calls per trade in the usual case; the
-- expiry (a day and a minute) is renewed when a new minute starts.
local function add_volume(key, minute, qty)
  local bucket, trades = 'v:' .. minute, 'n:' .. minute
  local h = redis.call('HMGET', key, 'sum', 'count', 'from', 'to', bucket, trades)
  local sum, count = h[1] or '0', tonumber(h[2] or '0')
  local from, to = tonumber(h[3] or minute), tonumber(h[4] or minute)
  local newest = math.max(to, minute)
  local cut = newest - WINDOW
  if minute <= cut then return end
  if cut >= to then  -- all held is older than the window; the trade's own bucket is newer than all of it
    redis.call('DEL', key)
    sum, count, from = '0', 0, minute
  elseif cut >= from then
    local v, n = buckets(key, from, cut, true)
    sum, count, from = dec_sub(sum, v), count - n, cut + 1
  end
  redis.call('HSET', key, bucket, dec_add(h[5] or '0', qty), trades, tonumber(h[6] or '0') + 1, 'sum', dec_add(sum, qty),
             'count', count + 1)
  from = math.min(from, minute)
  if not h[1] or from ~= tonumber(h[3]) or newest ~= to or cut >= to then
    redis.call('HSET', key, 'from', from, 'to', newest)
    redis.call('PEXPIRE', key, (WINDOW + 1) * 60000)
  end
end
)lua";

// KEYS: trades list, ticker hash, volume hash. ARGV: seq, trade payload, trades_kept, ttl_ms, origin_ns.
// Returns 1 if applied, 0 if the seq was not newer than the stored one.
// Runs after decimal_helpers and volume_helpers.
inline constexpr const char* apply_trade = R"lua(
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[2], 'trade_seq') or '0')
if seq <= last then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
local fields = {'trade_seq', ARGV[1], 'trade_ts', ARGV[5]}
local ok, t = pcall(cjson.decode, ARGV[2])
if ok and type(t) == 'table' then
  if type(t.price) == 'string' then table.insert(fields, 'last_price') ; table.insert(fields, t.price) end
  if type(t.qty) == 'string' then table.insert(fields, 'last_qty') ; table.insert(fields, t.qty) end
  if is_decimal(t.qty) then add_volume(KEYS[3], minute_of(ARGV[5]), t.qty) end
end
redis.call('HSET', KEYS[2], unpack(fields))
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
)lua";

// KEYS: depth hash (fields seq, b:<price>, a:<price>), ticker hash. ARGV: seq, depth payload.
// Returns 1 if applied, 0 if the seq was not newer, -1 if it does not follow
// the stored one. A delta is only right on the book just before it: the book
// never expires, and one that skips seqs is refused, because the book then
// lost events (Redis restarted without its data, a replica was promoted
// behind): applied, it would build a wrong book that snapshots would serve
// as right. The book stays as of its seq; a replay from seq 1 rebuilds it.
inline constexpr const char* apply_depth = R"lua(
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq <= last then return 0 end
if seq ~= last + 1 then return -1 end
local ok, d = pcall(cjson.decode, ARGV[2])
if not ok or type(d) ~= 'table' then return redis.error_reply('depth event ' .. ARGV[1] .. ' is not a JSON object') end
local function apply(side, levels, best, better)
  local rescan = false
  if type(levels) ~= 'table' then return best end
  for _, lvl in ipairs(levels) do
    local price, qty = lvl[1], lvl[2]
    if type(price) == 'string' and type(qty) == 'string' then
      if is_zero(qty) then
        redis.call('HDEL', KEYS[1], side .. price)
        if best and dec_cmp(price, best) == 0 then rescan = true end
      else
        redis.call('HSET', KEYS[1], side .. price, qty)
        if not best or dec_cmp(price, best) == better then best = price end
      end
    end
  end
  if rescan then
    best = false
    for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
      if string.sub(f, 1, 2) == side then
        local p = string.sub(f, 3)
        if not best or dec_cmp(p, best) == better then best = p end
      end
    end
  end
  return best
end
local bid = apply('b:', d.bids, redis.call('HGET', KEYS[2], 'best_bid'), 1)
local ask = apply('a:', d.asks, redis.call('HGET', KEYS[2], 'best_ask'), -1)
redis.call('HSET', KEYS[1], 'seq', ARGV[1])
redis.call('HSET', KEYS[2], 'depth_seq', ARGV[1])
if bid then redis.call('HSET', KEYS[2], 'best_bid', bid) else redis.call('HDEL', KEYS[2], 'best_bid') end
if ask then redis.call('HSET', KEYS[2], 'best_ask', ask) else redis.call('HDEL', KEYS[2], 'best_ask') end
return 1
)lua";

// The ticker with its rolling volume, for readers. KEYS: ticker hash, volume
// hash. ARGV: the reader's clock, whole seconds since the Unix epoch.
// Returns {ticker fields and values, volume, trades} as of one point.
// Runs after decimal_helpers and volume_helpers; writes nothing.
inline constexpr const char* read_ticker = R"lua(
local vol, n = window_volume(KEYS[2], math.floor(tonumber(ARGV[1]) / 60))
return {redis.call('HGETALL', KEYS[1]), vol, n}
)lua";

// read_ticker with the helpers it runs after, the very ones the writer
// runs, so the reader sums the window exactly as the writer does.
inline const std::string& ticker_reader() {
    static const std::string script = std::string(decimal_helpers) + volume_helpers + read_ticker;
    return script;
}

}  // namespace tickcast::redis::scripts

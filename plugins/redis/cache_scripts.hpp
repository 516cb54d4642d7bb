// The Lua scripts behind redis_cache. Each runs atomically in Redis, so a
// reader never sees a book half-updated, and each first compares the event's
// seq with the stored one: a replayed or stale event changes nothing.
//
// Prices and quantities stay decimal strings; the scripts compare them with
// dec_cmp (exact, digit by digit), never as Lua numbers (doubles).
#pragma once

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
)lua";

// KEYS: trades list, ticker hash. ARGV: seq, trade payload, trades_kept, ttl_ms, origin_ns.
// Returns 1 if applied, 0 if the seq was not newer than the stored one.
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

}  // namespace tickcast::redis::scripts

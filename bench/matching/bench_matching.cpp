// bench_matching: how fast the matching engine core and the whole JSON path
// are, on a fixed seeded Orderflow workload. Prints figures and conditions.
//
//   (a) core:  Order structs in, structured events out (no encoding).
//       1. throughput without per-order timing;
//       2. the same workload again on a fresh engine, each order timed with
//          the TSC, for p50/p99/p99.9 service time.
//   (b) JSON:  payload strings in, encoded channel + payload strings out.
// Orders are generated in chunks outside the timed loops. A replaced global
// operator new counts heap allocations during the timed loops only.
#include <CLI/CLI.hpp>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "codec.hpp"
#include "engine.hpp"
#include "orderflow.hpp"

// --- allocation counting ---------------------------------------------------
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

// noinline: inlined into a call site, GCC 12 pairs the free() below with
// the new-expression and warns (-Wmismatched-new-delete) about a correct pair.
__attribute__((noinline)) void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tickcast::matching::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::uint64_t orders = 10'000'000;
  std::uint64_t warmup = 1'000'000;
  std::vector<unsigned> symbols = {1, 100};
  std::uint64_t seed = 42;
  std::string stp = "none";
  std::string clock = "system";
  bool skip_json = false;
};

constexpr std::size_t kChunk = 1 << 20;

class CountedRegion {
 public:
  CountedRegion() { g_counting = true; }
  ~CountedRegion() { g_counting = false; }
};

// Consumes events the way a real consumer must at least read them.
class CoreSink final : public EventSink {
 public:
  std::uint64_t orders = 0, trades = 0, depths = 0, levels = 0, checksum = 0;
  void on_order(const OrderEvent& e) override {
    ++orders;
    checksum += e.seq ^ std::uint64_t(e.filled_qty + e.remaining_qty);
  }
  void on_trade(const TradeEvent& e) override {
    ++trades;
    checksum += std::uint64_t(e.price * e.qty);
  }
  void on_depth(const DepthEvent& e) override {
    ++depths;
    levels += e.bids.size() + e.asks.size();
    for (const auto& l : e.bids) checksum += std::uint64_t(l.qty);
    for (const auto& l : e.asks) checksum += std::uint64_t(l.qty);
  }
};

class JsonSink final : public EncodedEventSink {
 public:
  std::uint64_t events = 0, bytes = 0;
  void on_event(const EncodedEvent& e) override {
    ++events;
    bytes += e.payload.size() + e.channel.size();
  }
};

std::vector<SymbolSpec> make_symbols(unsigned count) {
  std::vector<SymbolSpec> specs;
  for (unsigned i = 0; i < count; ++i) {
    specs.push_back(*make_symbol_spec("SYM" + std::to_string(i), "0.01", "0.001").spec);
  }
  return specs;
}

// A nanosecond wall clock from the TSC: what a latency-minded deployment
// would give the engine instead of a clock_gettime per order.
struct TscClock {
  double ns_per_tick = 0;
  std::int64_t base_ns = 0;
  std::uint64_t base_tsc = 0;
  std::int64_t operator()() const {
    return base_ns + std::int64_t(double(__rdtsc() - base_tsc) * ns_per_tick);
  }
};

TscClock calibrate_tsc() {
  const auto t0 = Clock::now();
  const std::uint64_t c0 = __rdtsc();
  while (Clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const auto t1 = Clock::now();
  const std::uint64_t c1 = __rdtsc();
  TscClock clock;
  clock.ns_per_tick = double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) /
                      double(c1 - c0);
  clock.base_ns = system_clock_ns();
  clock.base_tsc = __rdtsc();
  return clock;
}

struct Setup {
  Setup(const Options& options, unsigned symbol_count, const TscClock& tsc) {
    OrderflowOptions flow_options;
    flow_options.symbols = make_symbols(symbol_count);
    flow_options.seed = options.seed;
    flow = std::make_unique<Orderflow>(flow_options);
    EngineConfig config;
    config.symbols = flow_options.symbols;
    config.stp = *parse_self_trade_prevention(options.stp);
    config.expected_orders_per_symbol = symbol_count == 1 ? 1 << 14 : 1 << 12;
    if (options.clock == "tsc") config.clock = tsc;
    else if (options.clock == "none") config.clock = [] { return std::int64_t(0); };
    engine = std::make_unique<Engine>(std::move(config));
    for (const auto& user : flow->user_names()) engine->intern_user(user);
  }
  std::unique_ptr<Orderflow> flow;
  std::unique_ptr<Engine> engine;
};

void fill(Orderflow& flow, std::vector<Order>& chunk, std::size_t count) {
  chunk.resize(count);
  for (auto& order : chunk) order = flow.next();
}

void warm_up(Setup& s, std::uint64_t count, std::vector<Order>& chunk) {
  CoreSink sink;
  for (std::uint64_t done = 0; done < count;) {
    const std::size_t n = std::min<std::uint64_t>(kChunk, count - done);
    fill(*s.flow, chunk, n);
    for (const Order& order : chunk) s.engine->submit(order, sink);
    done += n;
  }
}

void print_book(const Engine& engine) {
  std::size_t orders = 0, levels = 0;
  for (SymbolId s = 0; s < engine.symbol_count(); ++s) {
    orders += engine.book(s).order_count();
    levels += engine.book(s).level_count(Side::buy) + engine.book(s).level_count(Side::sell);
  }
  std::printf("    book at end: %zu resting orders on %zu price levels (all symbols)\n", orders, levels);
}

void core_throughput(const Options& options, unsigned symbols, const TscClock& tsc) {
  Setup s(options, symbols, tsc);
  std::vector<Order> chunk;
  chunk.reserve(kChunk);
  warm_up(s, options.warmup, chunk);
  CoreSink sink;
  Clock::duration elapsed{};
  std::uint64_t allocations = 0;
  for (std::uint64_t done = 0; done < options.orders;) {
    const std::size_t n = std::min<std::uint64_t>(kChunk, options.orders - done);
    fill(*s.flow, chunk, n);
    g_allocations = 0;
    const auto start = Clock::now();
    {
      CountedRegion counted;
      for (const Order& order : chunk) s.engine->submit(order, sink);
    }
    elapsed += Clock::now() - start;
    allocations += g_allocations;
    done += n;
  }
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::printf("  (a1) core throughput: %.0f orders/s  (%.1f ns/order, %.2f s)\n",
              double(options.orders) / seconds, seconds * 1e9 / double(options.orders), seconds);
  std::printf("    events: %.2f order + %.2f trade + %.2f depth per order, %.2f levels per depth event\n",
              double(sink.orders) / double(options.orders), double(sink.trades) / double(options.orders),
              double(sink.depths) / double(options.orders),
              double(sink.levels) / double(std::max<std::uint64_t>(1, sink.depths)));
  std::printf("    heap allocations while timed: %llu (checksum %llu)\n",
              static_cast<unsigned long long>(allocations),
              static_cast<unsigned long long>(sink.checksum & 0xffff));
  print_book(*s.engine);
}

void core_latency(const Options& options, unsigned symbols, const TscClock& tsc) {
  Setup s(options, symbols, tsc);
  std::vector<Order> chunk;
  chunk.reserve(kChunk);
  warm_up(s, options.warmup, chunk);
  std::vector<std::uint32_t> ticks(options.orders);
  CoreSink sink;
  std::uint64_t allocations = 0;
  std::size_t next = 0;
  for (std::uint64_t done = 0; done < options.orders;) {
    const std::size_t n = std::min<std::uint64_t>(kChunk, options.orders - done);
    fill(*s.flow, chunk, n);
    g_allocations = 0;
    {
      CountedRegion counted;
      for (const Order& order : chunk) {
        _mm_lfence();
        const std::uint64_t t0 = __rdtsc();
        s.engine->submit(order, sink);
        _mm_lfence();
        const std::uint64_t t1 = __rdtsc();
        ticks[next++] = std::uint32_t(std::min<std::uint64_t>(t1 - t0, UINT32_MAX));
      }
    }
    allocations += g_allocations;
    done += n;
  }
  // Calibrated cost of the timing itself, subtracted from every sample.
  std::uint64_t overhead = UINT64_MAX;
  for (int i = 0; i < 1000; ++i) {
    _mm_lfence();
    const std::uint64_t t0 = __rdtsc();
    _mm_lfence();
    overhead = std::min<std::uint64_t>(overhead, __rdtsc() - t0);
  }
  const auto percentile = [&](double p) {
    const std::size_t k = std::min(ticks.size() - 1, std::size_t(p * double(ticks.size())));
    std::nth_element(ticks.begin(), ticks.begin() + std::ptrdiff_t(k), ticks.end());
    const double cycles = double(ticks[k]) - double(overhead);
    return std::max(0.0, cycles) * tsc.ns_per_tick / 1000.0;
  };
  const double p50 = percentile(0.50), p99 = percentile(0.99), p999 = percentile(0.999);
  const double max = double(*std::max_element(ticks.begin(), ticks.end())) * tsc.ns_per_tick / 1000.0;
  std::printf("  (a2) core service time per order: p50 %.3f us  p99 %.3f us  p99.9 %.3f us  max %.1f us\n",
              p50, p99, p999, max);
  std::printf("    (TSC %.3f GHz, timing overhead %llu cycles subtracted; heap allocations while timed: %llu)\n",
              1.0 / tsc.ns_per_tick, static_cast<unsigned long long>(overhead),
              static_cast<unsigned long long>(allocations));
}

void json_path(const Options& options, unsigned symbols, const TscClock& tsc) {
  Setup s(options, symbols, tsc);
  JsonOrderProcessor processor(*s.engine);
  JsonSink sink;
  std::string text;
  std::vector<std::size_t> ends;
  std::string json;
  const auto generate = [&](std::size_t n) {
    text.clear();
    ends.clear();
    for (std::size_t i = 0; i < n; ++i) {
      s.flow->next_json(json);
      text += json;
      ends.push_back(text.size());
    }
  };
  const auto run = [&] {
    std::size_t begin = 0;
    for (std::size_t end : ends) {
      processor.process(std::string_view(text).substr(begin, end - begin), sink);
      begin = end;
    }
  };
  for (std::uint64_t done = 0; done < options.warmup;) {
    const std::size_t n = std::min<std::uint64_t>(kChunk, options.warmup - done);
    generate(n);
    run();
    done += n;
  }
  sink = JsonSink{};
  Clock::duration elapsed{};
  std::uint64_t allocations = 0, input_bytes = 0;
  for (std::uint64_t done = 0; done < options.orders;) {
    const std::size_t n = std::min<std::uint64_t>(kChunk, options.orders - done);
    generate(n);
    input_bytes += text.size();
    g_allocations = 0;
    const auto start = Clock::now();
    {
      CountedRegion counted;
      run();
    }
    elapsed += Clock::now() - start;
    allocations += g_allocations;
    done += n;
  }
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::printf("  (b) JSON decode + engine + JSON encode: %.0f orders/s  (%.1f ns/order, %.2f s)\n",
              double(options.orders) / seconds, seconds * 1e9 / double(options.orders), seconds);
  std::printf("    in %.0f B/order; out %.2f events/order, %.0f B/event (channel + payload); "
              "heap allocations while timed: %llu\n",
              double(input_bytes) / double(options.orders), double(sink.events) / double(options.orders),
              double(sink.bytes) / double(std::max<std::uint64_t>(1, sink.events)),
              static_cast<unsigned long long>(allocations));
}

}  // namespace
}  // namespace tickcast::matching::bench

int main(int argc, char** argv) {
  using namespace tickcast::matching::bench;
  Options options;
  CLI::App app{"Matching engine benchmark: core and JSON path on a seeded Orderflow workload"};
  app.add_option("--orders", options.orders, "orders measured per run")->capture_default_str();
  app.add_option("--warmup", options.warmup, "orders run before measuring")->capture_default_str();
  app.add_option("--symbols", options.symbols, "symbol counts to run (one run each)")->capture_default_str();
  app.add_option("--seed", options.seed, "Orderflow seed")->capture_default_str();
  app.add_option("--stp", options.stp, "self-trade prevention: none|cancel_taker|cancel_maker")
      ->capture_default_str();
  app.add_option("--clock", options.clock, "engine ts source: system (clock_gettime)|tsc|none")
      ->capture_default_str();
  app.add_flag("--skip-json", options.skip_json, "run only the core measurements");
  CLI11_PARSE(app, argc, argv);
  if (!tickcast::matching::parse_self_trade_prevention(options.stp)) {
    std::fprintf(stderr, "--stp: expected none, cancel_taker or cancel_maker, got \"%s\"\n",
                 options.stp.c_str());
    return 2;
  }
  if (options.clock != "system" && options.clock != "tsc" && options.clock != "none") {
    std::fprintf(stderr, "--clock: expected system, tsc or none, got \"%s\"\n", options.clock.c_str());
    return 2;
  }

  const TscClock tsc = calibrate_tsc();
  std::printf("bench_matching: %llu orders per run after %llu warm-up orders, seed %llu, stp %s, "
              "engine clock %s\n",
              static_cast<unsigned long long>(options.orders),
              static_cast<unsigned long long>(options.warmup),
              static_cast<unsigned long long>(options.seed), options.stp.c_str(), options.clock.c_str());
  const tickcast::matching::OrderflowOptions flow;
  std::printf("workload: Orderflow defaults: %u%% passive limit adds within %u ticks of a random-walk "
              "mid, %u%% cancels, %u%% marketable, %u%% modifies, some IOC/FOK/post-only, %u users, "
              "book settling near %zu resting orders per symbol; tick 0.01, lot 0.001; one thread; "
              "orders pre-generated outside the timed loops\n",
              flow.mix.limit, flow.spread_ticks, flow.mix.cancel, flow.mix.marketable, flow.mix.modify,
              flow.users, flow.book_depth);
  for (unsigned symbols : options.symbols) {
    std::printf("\n%u symbol%s:\n", symbols, symbols == 1 ? "" : "s");
    std::fflush(stdout);
    core_throughput(options, symbols, tsc);
    std::fflush(stdout);
    core_latency(options, symbols, tsc);
    std::fflush(stdout);
    if (!options.skip_json) json_path(options, symbols, tsc);
    std::fflush(stdout);
  }
  return 0;
}

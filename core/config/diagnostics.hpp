// Diagnostics: every problem found while reading configs, each located, so
// that `tickcastd validate` can report all of them at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tickcast/config.hpp>

namespace tickcast::core {

struct Diagnostic {
    Location where;
    std::string message;

    std::string str() const { return where.str() + ": error: " + message; }
};

class Diagnostics {
public:
    void add(Location where, std::string message) { items_.push_back({std::move(where), std::move(message)}); }
    void add(const ConfigError& e) { add(e.where(), e.message()); }
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    const std::vector<Diagnostic>& items() const { return items_; }
    std::string str() const {
        std::string out;
        for (const Diagnostic& d : items_) out += d.str() + "\n";
        return out;
    }

private:
    std::vector<Diagnostic> items_;
};

// The closest of `candidates` to `word`, for "did you mean" hints; empty if
// none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tickcast::core

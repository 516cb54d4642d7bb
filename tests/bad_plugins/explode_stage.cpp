// A stage that throws when it meets a given payload: the host must contain
// the exception to that batch, count it, and keep the pipeline running.
#include <stdexcept>

#include <tickcast/tickcast.hpp>

namespace {

class ExplodeStage final : public tickcast::Stage {
public:
    explicit ExplodeStage(const tickcast::ConfigNode& o) : trigger_(o["trigger"].as_string()) {}
    void process(const tickcast::EventBatch& in, tickcast::EventBatch& out) override {
        for (const tickcast::Event& e : in) {
            if (e.payload_view() == trigger_) throw std::runtime_error("exploded on '" + trigger_ + "'");
            out.push_back(e);
        }
    }

private:
    std::string trigger_;
};

void register_plugins(tickcast::PluginRegistry& r) {
    r.add_stage({"explode_stage", tickcast::PluginKind::stage, "throws on one payload",
                 {{"trigger", tickcast::OptionType::string, true, "", "payload that makes it throw"}}},
                [](const tickcast::ConfigNode& o) { return std::make_unique<ExplodeStage>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("explode", "0.0.1", register_plugins)

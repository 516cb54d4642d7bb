// docs/configuration.md must describe exactly the options the bundled plugins
// declare, so the reference cannot drift from the code.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "loader/plugin_catalog.hpp"
#include "support/process.hpp"

using namespace tickcast;
using namespace tickcast::core;

namespace {

// The option names in the table of the "### `name`" section.
std::set<std::string> documented_options(const std::string& doc, const std::string& heading) {
    const auto start = doc.find(heading);
    if (start == std::string::npos) return {};
    const auto end = doc.find("\n#", start + heading.size());
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::set<std::string> out;
    static const std::regex row(R"(\n\| `([a-z_]+)` \|)");
    for (std::sregex_iterator it(section.begin(), section.end(), row), e; it != e; ++it) out.insert((*it)[1]);
    return out;
}

}  // namespace

TEST(ConfigurationDoc, documents_every_option_of_every_bundled_plugin_and_no_other) {
    const std::string doc = tickcast::test::Process::slurp(TICKCAST_SOURCE_DIR "/docs/configuration.md");
    ASSERT_FALSE(doc.empty());
    PluginCatalog catalog({TICKCAST_PLUGIN_DIR});
    catalog.scan();
    ASSERT_FALSE(catalog.plugins().empty());
    for (const LoadedPlugin* p : catalog.plugins()) {
        // "### `name` (kind, ...": one name may be both a source and a sink.
        const std::string heading = "### `" + p->info.name + "` (" + std::string(to_string(p->info.kind));
        EXPECT_NE(doc.find(heading), std::string::npos) << "no section '" << heading << "' in docs/configuration.md";
        std::set<std::string> declared;
        for (const OptionSpec& o : p->info.options) declared.insert(o.name);
        EXPECT_EQ(documented_options(doc, heading), declared) << "section " << heading << " of docs/configuration.md";
    }
}

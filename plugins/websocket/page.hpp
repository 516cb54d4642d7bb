// The live page the gateway serves at `/` (www/index.html, compiled in).
#pragma once

#include <string_view>

namespace tickcast::websocket {

std::string_view page_html();

}  // namespace tickcast::websocket

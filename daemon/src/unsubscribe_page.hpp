// The one-click unsubscribe link, served by cartwatchd itself (RFC 8058):
//   POST with List-Unsubscribe=One-Click  -> unsubscribes; what mail providers send
//   GET                                   -> a short page in the customer's language with a
//                                            button that POSTs; link scanners that follow
//                                            every URL in a message unsubscribe nobody
//   HEAD                                  -> the GET answer; HttpEndpoint sends no body
// Pure: the database call comes in as a function, so tests drive every branch.
#pragma once

#include "http_endpoint.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cartwatch {

// The token in a request target, matched against the path of the configured link template
// ("https://shop.example/unsubscribe/{token}" serves "/unsubscribe/<token>"); behind a proxy
// that rewrites the path, the last path segment or a token= query parameter also works.
std::optional<std::string> UnsubscribeToken(std::string_view link_template,
                                            std::string_view target);

// The language to answer in: a lang= query parameter, else the best of Accept-Language among
// en, pl, de, fr, else English.
std::string PageLanguage(std::string_view target, std::string_view accept_language);

// Whether a POST body asks for the one-click unsubscribe (form-urlencoded or multipart).
bool IsOneClickBody(std::string_view content_type, std::string_view body);

// unsubscribe(token) -> true for a genuine token; nullopt when the database cannot be asked.
using UnsubscribeFunction = std::function<std::optional<bool>(const std::string& token)>;

HttpResponse HandleUnsubscribe(const HttpRequest& request, std::string_view link_template,
                               std::string_view shop_name, const UnsubscribeFunction& unsubscribe);

// Escapes text for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

} // namespace cartwatch

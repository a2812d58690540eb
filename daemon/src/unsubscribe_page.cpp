#include "unsubscribe_page.hpp"

#include "html_escape.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace cartwatch {
namespace {

// The page's words; the reminder templates speak these four languages.
struct PageText {
    const char* lang;
    const char* title;
    const char* question;
    const char* button;
    const char* done;
    const char* invalid;
    const char* unavailable;
};

constexpr std::array<PageText, 4> kTexts = {{
    {"en", "Unsubscribe", "Stop receiving cart reminder e-mails from %shop%?", "Unsubscribe",
     "You will not receive cart reminder e-mails from %shop% any more.",
     "This unsubscribe link is not valid. It may be incomplete: please open the whole link "
     "from the e-mail.",
     "We could not process your request right now. Please try again in a few minutes."},
    {"pl", "Wypisz się", "Czy nie chcesz już otrzymywać przypomnień o koszyku od %shop%?",
     "Wypisz mnie", "Nie będziesz już otrzymywać przypomnień o koszyku od %shop%.",
     "Ten link do wypisania się jest nieprawidłowy. Może być niepełny: otwórz cały link z "
     "wiadomości.",
     "Nie udało się teraz obsłużyć Twojej prośby. Spróbuj ponownie za kilka minut."},
    {"de", "Abmelden", "Keine Warenkorb-Erinnerungen von %shop% mehr erhalten?", "Abmelden",
     "Sie erhalten keine Warenkorb-Erinnerungen von %shop% mehr.",
     "Dieser Abmeldelink ist ungültig. Vielleicht ist er unvollständig: Bitte öffnen Sie den "
     "ganzen Link aus der E-Mail.",
     "Ihre Anfrage konnte gerade nicht bearbeitet werden. Bitte versuchen Sie es in einigen "
     "Minuten erneut."},
    {"fr", "Se désabonner", "Ne plus recevoir les rappels de panier de %shop% ?", "Me désabonner",
     "Vous ne recevrez plus de rappels de panier de %shop%.",
     "Ce lien de désabonnement n'est pas valide. Il est peut-être incomplet : ouvrez le lien "
     "entier depuis l'e-mail.",
     "Votre demande n'a pas pu être traitée pour le moment. Veuillez réessayer dans quelques "
     "minutes."},
}};

const PageText& TextFor(std::string_view language) {
    for (const PageText& text : kTexts) {
        if (language == text.lang) {
            return text;
        }
    }
    return kTexts[0];
}

std::string WithShop(const char* pattern, std::string_view shop_name) {
    std::string text = pattern;
    const auto at = text.find("%shop%");
    if (at != std::string::npos) {
        text.replace(at, 6, HtmlEscape(shop_name));
    }
    return text;
}

std::string PercentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(
                std::strtol(std::string(text.substr(i + 1, 2)).c_str(), nullptr, 16));
            i += 2;
        } else if (text[i] == '+') {
            out += ' ';
        } else {
            out += text[i];
        }
    }
    return out;
}

std::optional<std::string> QueryParameter(std::string_view target, std::string_view name) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto equals = pair.find('=');
        if (pair.substr(0, equals) == name && equals != std::string_view::npos) {
            return PercentDecode(pair.substr(equals + 1));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

// Tokens are base64url (an id and a 128-bit MAC: over 20 characters); anything else is not
// one of ours.
bool LooksLikeToken(std::string_view text) {
    return text.size() >= 16 && text.size() <= 512 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
           });
}

std::string Page(const PageText& text, std::string_view body_html) {
    return std::string("<!DOCTYPE html>\n<html lang=\"") + text.lang +
           "\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"robots\" content=\"noindex\">\n<title>" +
           text.title +
           "</title>\n<style>body{font-family:sans-serif;max-width:32em;margin:3em auto;"
           "padding:0 1em;line-height:1.5}button{font-size:1em;padding:.5em 1.5em}</style>\n"
           "</head>\n<body>\n" +
           std::string(body_html) + "</body>\n</html>\n";
}

HttpResponse HtmlResponse(unsigned status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::move(body);
    // The page must not be framed or leak the token in a Referer.
    response.headers["X-Frame-Options"] = "DENY";
    response.headers["Referrer-Policy"] = "no-referrer";
    response.headers["Content-Security-Policy"] =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
    return response;
}

} // namespace

std::string HtmlEscape(std::string_view text) {
    return EscapeHtml(text, "&#39;");
}

std::optional<std::string> UnsubscribeToken(std::string_view link_template,
                                            std::string_view target) {
    // The template's path and query: "https://host/u/{token}?x=1" -> "/u/{token}?x=1".
    std::string_view pattern = link_template;
    if (const auto scheme = pattern.find("://"); scheme != std::string_view::npos) {
        const auto path = pattern.find('/', scheme + 3);
        pattern = path == std::string_view::npos ? std::string_view("/") : pattern.substr(path);
    }
    const auto placeholder = pattern.find("{token}");
    if (placeholder != std::string_view::npos) {
        const std::string_view before = pattern.substr(0, placeholder);
        const std::string_view after = pattern.substr(placeholder + 7);
        if (target.substr(0, before.size()) == before && target.size() > before.size()) {
            std::string_view rest = target.substr(before.size());
            // The token ends where the template's next character starts (or at ?, / or end).
            const auto end = after.empty() ? rest.find_first_of("?&#/") : rest.find(after.front());
            const std::string token = PercentDecode(rest.substr(0, end));
            if (LooksLikeToken(token)) {
                return token;
            }
        }
    }
    if (auto query = QueryParameter(target, "token"); query && LooksLikeToken(*query)) {
        return query;
    }
    std::string_view path = target.substr(0, target.find('?'));
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    const std::string last = PercentDecode(path.substr(path.rfind('/') + 1));
    if (LooksLikeToken(last)) {
        return last;
    }
    return std::nullopt;
}

std::string PageLanguage(std::string_view target, std::string_view accept_language) {
    auto supported = [](std::string_view tag) -> std::string {
        std::string primary(tag.substr(0, tag.find_first_of("-_")));
        std::transform(primary.begin(), primary.end(), primary.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        for (const PageText& text : kTexts) {
            if (primary == text.lang) {
                return primary;
            }
        }
        return {};
    };
    if (auto lang = QueryParameter(target, "lang")) {
        if (auto found = supported(*lang); !found.empty()) {
            return found;
        }
    }
    // Accept-Language: "de-DE,de;q=0.9,en;q=0.8": the highest q among the languages we have.
    std::string best = "en";
    double best_q = -1;
    std::string_view rest = accept_language;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        double q = 1;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            const auto q_at = item.find("q=", semi);
            if (q_at != std::string_view::npos) {
                q = std::strtod(std::string(item.substr(q_at + 2)).c_str(), nullptr);
            }
            item = item.substr(0, semi);
        }
        if (auto found = supported(item); !found.empty() && q > best_q) {
            best = found;
            best_q = q;
        }
    }
    return best;
}

bool IsOneClickBody(std::string_view content_type, std::string_view body) {
    if (content_type.find("multipart/form-data") != std::string_view::npos) {
        // A part named List-Unsubscribe whose value is One-Click.
        const auto name = body.find("name=\"List-Unsubscribe\"");
        return name != std::string_view::npos &&
               body.find("One-Click", name) != std::string_view::npos;
    }
    std::string_view rest = body;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        std::string pair = PercentDecode(rest.substr(0, amp));
        while (!pair.empty() && (pair.back() == '\r' || pair.back() == '\n')) {
            pair.pop_back();
        }
        if (pair == "List-Unsubscribe=One-Click") {
            return true;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    return false;
}

HttpResponse HandleUnsubscribe(const HttpRequest& request, std::string_view link_template,
                               std::string_view shop_name, const UnsubscribeFunction& unsubscribe) {
    const PageText& text = TextFor(PageLanguage(request.target, request.accept_language));
    const std::optional<std::string> token = UnsubscribeToken(link_template, request.target);
    if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
        HttpResponse response;
        response.status = 405;
        response.headers["Allow"] = "GET, HEAD, POST";
        response.body = "method not allowed\n";
        return response;
    }
    if (!token) {
        return HtmlResponse(404, Page(text, std::string("<p>") + text.invalid + "</p>\n"));
    }
    if (request.method == "POST") {
        // RFC 8058 asks for List-Unsubscribe=One-Click; a human's button sends the same.
        if (!IsOneClickBody(request.content_type, request.body)) {
            return HtmlResponse(400, Page(text, std::string("<p>") + text.invalid + "</p>\n"));
        }
        const std::optional<bool> done = unsubscribe(*token);
        if (!done) {
            HttpResponse response =
                HtmlResponse(503, Page(text, std::string("<p>") + text.unavailable + "</p>\n"));
            response.headers["Retry-After"] = "120";
            return response;
        }
        if (!*done) {
            return HtmlResponse(404, Page(text, std::string("<p>") + text.invalid + "</p>\n"));
        }
        return HtmlResponse(200, Page(text, "<h1>" + std::string(text.title) + "</h1>\n<p>" +
                                                WithShop(text.done, shop_name) + "</p>\n"));
    }
    // GET: ask, never act. The form posts back to the very same URL.
    const std::string form =
        "<h1>" + std::string(text.title) + "</h1>\n<p>" + WithShop(text.question, shop_name) +
        "</p>\n<form method=\"post\" action=\"\">\n"
        "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
        "<button type=\"submit\">" +
        text.button + "</button>\n</form>\n";
    return HtmlResponse(200, Page(text, form));
}

} // namespace cartwatch

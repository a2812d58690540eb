#include "unsubscribe_page.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cartwatch {
namespace {

const std::string kTemplate = "https://shop.example/unsubscribe/{token}";
const std::string kToken = "AQAAAAAAAAAq.x9Yk3mZ0dFv8aB2cD4eF6g";

HttpRequest Request(std::string method, std::string target, std::string body = {},
                    std::string content_type = "application/x-www-form-urlencoded") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    request.content_type = std::move(content_type);
    return request;
}

// An unsubscribe function that records its calls.
struct Recorder {
    std::vector<std::string> calls;
    std::optional<bool> answer = true;
    UnsubscribeFunction Function() {
        return [this](const std::string& token) {
            calls.push_back(token);
            return answer;
        };
    }
};

TEST(UnsubscribePage, FindsTheTokenWhereTheTemplatePutsIt) {
    EXPECT_EQ(UnsubscribeToken(kTemplate, "/unsubscribe/" + kToken), kToken);
    EXPECT_EQ(UnsubscribeToken("https://s.example/u?t={token}&l=pl", "/u?t=" + kToken + "&l=pl"),
              kToken);
    // A proxy that strips the prefix: the last path segment still works.
    EXPECT_EQ(UnsubscribeToken(kTemplate, "/" + kToken), kToken);
    EXPECT_EQ(UnsubscribeToken(kTemplate, "/x?token=" + kToken), kToken);
    EXPECT_FALSE(UnsubscribeToken(kTemplate, "/unsubscribe/"));
    EXPECT_FALSE(UnsubscribeToken(kTemplate, "/unsubscribe/<script>"));
}

TEST(UnsubscribePage, OneClickPostUnsubscribes) {
    Recorder recorder;
    const HttpResponse response =
        HandleUnsubscribe(Request("POST", "/unsubscribe/" + kToken, "List-Unsubscribe=One-Click"),
                          kTemplate, "Sklep", recorder.Function());
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(recorder.calls, std::vector<std::string>{kToken});
    EXPECT_EQ(response.headers.count("Location"), 0u); // RFC 8058: no redirect
}

TEST(UnsubscribePage, MultipartOneClickIsAcceptedToo) {
    Recorder recorder;
    const std::string body = "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
                             "\r\n\r\nOne-Click\r\n--b--\r\n";
    EXPECT_EQ(HandleUnsubscribe(Request("POST", "/unsubscribe/" + kToken, body,
                                        "multipart/form-data; boundary=b"),
                                kTemplate, "Sklep", recorder.Function())
                  .status,
              200u);
    EXPECT_EQ(recorder.calls.size(), 1u);
}

TEST(UnsubscribePage, GetOnlyAsksInTheCustomersLanguage) {
    Recorder recorder;
    HttpRequest request = Request("GET", "/unsubscribe/" + kToken);
    request.accept_language = "fr-FR,fr;q=0.9,en;q=0.5";
    const HttpResponse response =
        HandleUnsubscribe(request, kTemplate, "Boutique <Élise>", recorder.Function());
    EXPECT_EQ(response.status, 200u);
    EXPECT_TRUE(recorder.calls.empty()); // link scanners follow GETs
    EXPECT_NE(response.body.find("<html lang=\"fr\">"), std::string::npos);
    EXPECT_NE(response.body.find("Boutique &lt;Élise&gt;"), std::string::npos);
    EXPECT_NE(response.body.find("method=\"post\""), std::string::npos);
    EXPECT_NE(response.body.find("name=\"List-Unsubscribe\" value=\"One-Click\""),
              std::string::npos);
}

// HttpEndpoint leaves the body out of a HEAD answer; its Content-Length is the GET body's.
TEST(UnsubscribePage, HeadIsAnsweredAsGet) {
    Recorder recorder;
    const HttpResponse get = HandleUnsubscribe(Request("GET", "/unsubscribe/" + kToken), kTemplate,
                                               "Sklep", recorder.Function());
    const HttpResponse head = HandleUnsubscribe(Request("HEAD", "/unsubscribe/" + kToken),
                                                kTemplate, "Sklep", recorder.Function());
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.content_type, get.content_type);
    EXPECT_EQ(head.headers, get.headers);
    EXPECT_EQ(head.body, get.body);
    EXPECT_TRUE(recorder.calls.empty());
}

TEST(UnsubscribePage, PicksTheLanguage) {
    EXPECT_EQ(PageLanguage("/u/x", "de-DE,de;q=0.9"), "de");
    EXPECT_EQ(PageLanguage("/u/x", "es-ES,pl;q=0.3,en;q=0.2"), "pl");
    EXPECT_EQ(PageLanguage("/u/x", "es-ES"), "en");
    EXPECT_EQ(PageLanguage("/u/x?lang=pl", "de"), "pl");
    EXPECT_EQ(PageLanguage("/u/x", ""), "en");
}

TEST(UnsubscribePage, ForgedTokensAndBadRequestsChangeNothing) {
    Recorder recorder;
    recorder.answer = false;
    EXPECT_EQ(
        HandleUnsubscribe(Request("POST", "/unsubscribe/" + kToken, "List-Unsubscribe=One-Click"),
                          kTemplate, "Sklep", recorder.Function())
            .status,
        404u);
    Recorder untouched;
    EXPECT_EQ(HandleUnsubscribe(Request("POST", "/unsubscribe/" + kToken, "something=else"),
                                kTemplate, "Sklep", untouched.Function())
                  .status,
              400u);
    EXPECT_EQ(HandleUnsubscribe(Request("DELETE", "/unsubscribe/" + kToken), kTemplate, "Sklep",
                                untouched.Function())
                  .status,
              405u);
    EXPECT_TRUE(untouched.calls.empty());
}

TEST(UnsubscribePage, DatabaseDownAsksToComeBack) {
    Recorder recorder;
    recorder.answer = std::nullopt;
    const HttpResponse response =
        HandleUnsubscribe(Request("POST", "/unsubscribe/" + kToken, "List-Unsubscribe=One-Click"),
                          kTemplate, "Sklep", recorder.Function());
    EXPECT_EQ(response.status, 503u);
    EXPECT_EQ(response.headers.at("Retry-After"), "120");
}

TEST(UnsubscribePage, EscapesHtml) {
    EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

} // namespace
} // namespace cartwatch

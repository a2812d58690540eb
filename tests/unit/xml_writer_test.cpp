#include "xml_writer.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(XmlEscape, EscapesMarkupCharacters) {
    EXPECT_EQ(XmlWriter::Escape("<script>alert('x') & \"y\"</script>"),
              "&lt;script&gt;alert(&apos;x&apos;) &amp; &quot;y&quot;&lt;/script&gt;");
}

TEST(XmlEscape, KeepsTabAndNewlineButEncodesCarriageReturn) {
    EXPECT_EQ(XmlWriter::Escape("a\tb\nc\rd"), "a\tb\nc&#13;d");
}

TEST(XmlEscape, ReplacesCharactersXmlForbids) {
    EXPECT_EQ(XmlWriter::Escape(std::string("a\x01"
                                            "b\x1F"
                                            "c",
                                            5)),
              "a&#xFFFD;"
              "b&#xFFFD;"
              "c");
    EXPECT_EQ(XmlWriter::Escape(std::string("a\0b", 3)), "a&#xFFFD;"
                                                         "b");
    EXPECT_EQ(XmlWriter::Escape("\xEF\xBF\xBF"), "&#xFFFD;"); // U+FFFF
}

TEST(XmlEscape, ReplacesMalformedUtf8ByteByByte) {
    EXPECT_EQ(XmlWriter::Escape("ok\xC3"), "ok&#xFFFD;");         // truncated
    EXPECT_EQ(XmlWriter::Escape("\xC0\xAF"), "&#xFFFD;&#xFFFD;"); // overlong '/'
    EXPECT_EQ(XmlWriter::Escape("\xED\xA0\x80"),                  // surrogate
              "&#xFFFD;&#xFFFD;&#xFFFD;");
    EXPECT_EQ(XmlWriter::Escape("\xF4\x90\x80\x80"), // > U+10FFFF
              "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;");
}

TEST(XmlEscape, KeepsValidMultibyteText) {
    EXPECT_EQ(XmlWriter::Escape("Kubek „Kraków” 🛒"), "Kubek „Kraków” 🛒");
}

TEST(XmlWriter, WritesNestedElementsAttributesAndNil) {
    XmlWriter xml;
    xml.Open("carts", {{"as_of", "2026-11-20"}});
    xml.Open("cart", {{"id", "10"}});
    xml.Element("email", std::string_view("a&b@example.com"));
    xml.Element("name", static_cast<const std::string*>(nullptr));
    xml.Element("value", std::string_view("12.50"), {{"currency", "EUR"}});
    const std::string document = xml.Finish();
    EXPECT_EQ(document, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<carts as_of=\"2026-11-20\">\n"
                        "  <cart id=\"10\">\n"
                        "    <email>a&amp;b@example.com</email>\n"
                        "    <name nil=\"true\"/>\n"
                        "    <value currency=\"EUR\">12.50</value>\n"
                        "  </cart>\n"
                        "</carts>\n");
}

TEST(XmlWriter, EscapesAttributeValues) {
    XmlWriter xml;
    xml.Open("item", {{"name", "\"quoted\" <tag>"}});
    EXPECT_NE(xml.Finish().find("name=\"&quot;quoted&quot; &lt;tag&gt;\""), std::string::npos);
}

} // namespace
} // namespace cartwatch

#include "reminder_rendering.hpp"

#include "idna_address.hpp"
#include "reminder_row.hpp"

#include <openssl/sha.h>

#include <cctype>
#include <random>

namespace cartwatch {
namespace {

std::string Hex(const unsigned char* bytes, std::size_t count) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

// The mail library appends the token to a prefix; a template may also have text after
// {token}, which the full link gets below.
std::string PrefixOf(const std::string& link_template) {
    return link_template.substr(0, link_template.find("{token}"));
}

} // namespace

RandomTokenSource FastBoundaryTokens() {
    return [](std::size_t length) {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        thread_local std::mt19937_64 engine{std::random_device{}()};
        std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
        std::string token(length, 'x');
        for (char& c : token) {
            c = kAlphabet[pick(engine)];
        }
        return token;
    };
}

std::string ReminderMessageId(const ClaimedReminder& reminder, const std::string& from_address) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    const std::string secret = "cartwatch message-id|" + reminder.unsubscribe_token;
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
    std::string key = reminder.message_key;
    for (char& c : key) {
        // message_key is "<id>.<epoch>"; keep the id part a dot-atom whatever it becomes.
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
            c = '-';
        }
    }
    return "<cw." + key + "." + Hex(digest, 12) + "@" +
           from_address.substr(from_address.rfind('@') + 1) + ">";
}

Result<RenderedMessage> RenderReminder(const TemplateSet& templates,
                                       const ClaimedReminder& reminder, const Config& config,
                                       std::chrono::system_clock::time_point now,
                                       const RandomTokenSource& boundary_tokens,
                                       const DkimSigner* dkim) {
    ReminderRow row;
    row.reminder_id = reminder.reminder_id;
    row.step = reminder.step;
    row.attempt = reminder.attempt;
    row.cart_id = reminder.cart_id;
    // The envelope and the To: field carry the domain's ASCII form, and the local part as it
    // is: one beyond ASCII is sent under SMTPUTF8, or not at all (smtp_sender.cpp).
    Result<std::string> recipient = AddressAsSent(reminder.email);
    if (!recipient) {
        return Fail("To address: " + recipient.error());
    }
    row.email = std::move(recipient).value();
    row.display_name = reminder.display_name;
    row.first_name = reminder.first_name;
    row.locale = reminder.locale;
    row.currency = reminder.currency;
    row.items_json = reminder.items_json;
    row.total = reminder.total;
    row.recovery_token = reminder.recovery_token;
    row.unsubscribe_token = reminder.unsubscribe_token;

    ShopIdentity shop;
    shop.name = config.shop.name;
    shop.address = config.shop.address;
    shop.from_address = config.smtp.from_address;
    shop.from_display_name =
        config.smtp.from_name.empty() ? config.shop.name : config.smtp.from_name;
    LinkSettings links;
    links.recovery_url_prefix = PrefixOf(config.shop.recovery_url);
    links.unsubscribe_url_prefix = PrefixOf(config.shop.unsubscribe_url);
    links.unsubscribe_mailbox = config.shop.unsubscribe_mailbox;

    Result<ReminderMessage> message = ReminderFromRow(row, shop, links);
    if (!message) {
        return Fail(message.error());
    }
    // Tokens are base64url: they need no percent-encoding, so the full link is the template
    // with the token in place (the mail library checks it is still a plain https URL).
    message.value().recovery_url = ExpandLink(config.shop.recovery_url, reminder.recovery_token);
    message.value().unsubscribe_url =
        ExpandLink(config.shop.unsubscribe_url, reminder.unsubscribe_token);

    MessageOptions options;
    options.date = now;
    options.message_id = ReminderMessageId(reminder, config.smtp.from_address);
    options.random_tokens = boundary_tokens;
    options.dkim = dkim;
    return BuildReminder(templates, message.value(), options);
}

std::shared_ptr<const DkimSigner> DkimSignerFor(const Config& config) {
    if (config.dkim.domain.empty()) {
        return nullptr;
    }
    DkimSettings settings;
    settings.domain = config.dkim.domain;
    settings.selector = config.dkim.selector;
    settings.private_key_file = config.dkim.key_file;
    try {
        return std::make_shared<const DkimSigner>(std::move(settings));
    } catch (const DkimError& error) {
        throw ConfigError("dkim.key_file " + config.dkim.key_file + ": " + error.what());
    }
}

std::optional<std::string> CheckSampleRendering(const TemplateSet& templates, const Config& config,
                                                const DkimSigner* dkim) {
    ClaimedReminder sample;
    sample.email = "customer@example.com";
    sample.display_name = "Sample Customer";
    sample.first_name = "Sample";
    sample.currency = "EUR";
    sample.items_json =
        R"([{"name": "Sample product", "quantity": 1, "unit_price": 10.00, "line_total": 10.00}])";
    sample.total = "10.00";
    sample.recovery_token = "sample-recovery-token";
    sample.unsubscribe_token = "sample-unsubscribe-token";
    sample.message_key = "0.0";
    for (const std::string& locale : templates.Locales()) {
        for (const char* step : {"first", "second"}) {
            sample.locale = locale;
            sample.step = step;
            const Result<RenderedMessage> rendered = RenderReminder(
                templates, sample, config, std::chrono::system_clock::now(), {}, dkim);
            if (!rendered) {
                TemplateSet::ReleaseThreadCopy();
                return "a sample " + std::string(step) + " reminder in " + locale +
                       " cannot be rendered: " + rendered.error();
            }
        }
    }
    // The checking thread (the event loop's) renders nothing else: the sender threads do.
    TemplateSet::ReleaseThreadCopy();
    return std::nullopt;
}

} // namespace cartwatch

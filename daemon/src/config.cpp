// Every key is declared once in kKeys below, with its type and the function that checks and
// stores it. The TOML file, the environment and --set flags all go through that one table, so
// a value is checked the same way wherever it came from, and an error names where that was.
#include "config.hpp"

#include "header_encoding.hpp"
#include "idna_address.hpp"
#include "utf8.hpp"

#include <spdlog/fmt/fmt.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <variant>

namespace cartwatch {
namespace {

// One value as read from a source, before it is checked against its key.
struct RawValue {
    std::variant<std::string, std::int64_t, double, bool> value;
    bool from_text = false; // environment and flags: everything arrives as text
    std::string origin;     // "FILE line N", "environment CARTWATCH_X", "--set x.y"
};

enum class Kind { kString, kInteger, kNumber, kBoolean, kDuration };

using Apply = std::function<std::optional<std::string>(Config&, const RawValue&)>;

struct KeySpec {
    const char* section;
    const char* key;
    Kind kind;
    Apply apply; // returns an error text ("must be ..."), or nullopt when stored
};

const char* KindName(Kind kind) {
    switch (kind) {
    case Kind::kString:
        return "a string";
    case Kind::kInteger:
        return "an integer";
    case Kind::kNumber:
        return "a number";
    case Kind::kBoolean:
        return "true or false";
    case Kind::kDuration:
        return "a duration such as \"30s\", \"5m\" or \"1h\"";
    }
    return "a value";
}

std::string Lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Converts a raw value to the key's type; nullopt when it does not fit.
std::optional<std::string> AsString(const RawValue& raw) {
    if (const auto* text = std::get_if<std::string>(&raw.value)) {
        return *text;
    }
    return std::nullopt;
}

std::optional<std::int64_t> AsInteger(const RawValue& raw) {
    if (const auto* number = std::get_if<std::int64_t>(&raw.value)) {
        return *number;
    }
    if (const auto* text = std::get_if<std::string>(&raw.value); text && raw.from_text) {
        char* end = nullptr;
        errno = 0;
        const long long parsed = std::strtoll(text->c_str(), &end, 10);
        if (!text->empty() && *end == '\0' && errno == 0) {
            return parsed;
        }
    }
    return std::nullopt;
}

std::optional<double> AsNumber(const RawValue& raw) {
    if (const auto* number = std::get_if<double>(&raw.value)) {
        return *number;
    }
    if (const auto* number = std::get_if<std::int64_t>(&raw.value)) {
        return static_cast<double>(*number);
    }
    if (const auto* text = std::get_if<std::string>(&raw.value); text && raw.from_text) {
        char* end = nullptr;
        const double parsed = std::strtod(text->c_str(), &end);
        if (!text->empty() && *end == '\0') {
            return parsed;
        }
    }
    return std::nullopt;
}

std::optional<bool> AsBoolean(const RawValue& raw) {
    if (const auto* flag = std::get_if<bool>(&raw.value)) {
        return *flag;
    }
    if (const auto* text = std::get_if<std::string>(&raw.value); text && raw.from_text) {
        const std::string word = Lower(*text);
        if (word == "true" || word == "yes" || word == "on" || word == "1") {
            return true;
        }
        if (word == "false" || word == "no" || word == "off" || word == "0") {
            return false;
        }
    }
    return std::nullopt;
}

std::optional<Milliseconds> AsDuration(const RawValue& raw) {
    // A bare TOML number is seconds, like a bare number in a string.
    if (const auto* number = std::get_if<std::int64_t>(&raw.value)) {
        return *number < 0 ? std::nullopt : std::optional(Milliseconds(*number * 1000));
    }
    if (const auto* number = std::get_if<double>(&raw.value)) {
        return *number < 0 ? std::nullopt
                           : std::optional(Milliseconds(static_cast<long long>(*number * 1000)));
    }
    if (const auto* text = std::get_if<std::string>(&raw.value)) {
        return ParseDuration(*text);
    }
    return std::nullopt;
}

bool HasControlCharacters(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// Builders for the common shapes of key.
template <typename Section>
Apply Text(Section Config::*section, std::string Section::*field, bool required_non_empty = false) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto text = AsString(raw);
        if (!text) {
            return "must be a string";
        }
        if (HasControlCharacters(*text)) {
            return "must not contain control characters (line breaks, tabs)";
        }
        if (required_non_empty && text->empty()) {
            return "must not be empty";
        }
        (config.*section).*field = *text;
        return std::nullopt;
    };
}

template <typename Section>
Apply Integer(Section Config::*section, int Section::*field, int min, int max) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto number = AsInteger(raw);
        if (!number || *number < min || *number > max) {
            return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
        }
        (config.*section).*field = static_cast<int>(*number);
        return std::nullopt;
    };
}

template <typename Section> Apply Boolean(Section Config::*section, bool Section::*field) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto flag = AsBoolean(raw);
        if (!flag) {
            return "must be true or false";
        }
        (config.*section).*field = *flag;
        return std::nullopt;
    };
}

template <typename Section>
Apply Duration(Section Config::*section, Milliseconds Section::*field, Milliseconds min,
               Milliseconds max) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto duration = AsDuration(raw);
        if (!duration || *duration < min || *duration > max) {
            return "must be a duration from " + FormatDuration(min) + " to " + FormatDuration(max) +
                   " (such as \"30s\", \"5m\", \"1h\")";
        }
        (config.*section).*field = *duration;
        return std::nullopt;
    };
}

// A link template: an absolute https URL with exactly one {token}.
template <typename Section>
Apply LinkTemplate(Section Config::*section, std::string Section::*field) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto text = AsString(raw);
        if (!text) {
            return "must be a string";
        }
        const auto first = text->find("{token}");
        if (first == std::string::npos || text->find("{token}", first + 1) != std::string::npos) {
            return "must contain the placeholder {token} exactly once";
        }
        if (text->rfind("https://", 0) != 0) {
            return "must be an https:// URL (mail clients and RFC 8058 want https links)";
        }
        if (std::any_of(text->begin(), text->end(), [](unsigned char c) {
                return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\';
            })) {
            return "must be a plain URL: no spaces, quotes, angle brackets or non-ASCII";
        }
        (config.*section).*field = *text;
        return std::nullopt;
    };
}

// A DNS name as DKIM puts it in d= and s=: dot-separated labels of letters, digits and
// hyphens (none at either end of a label), stored in lower case. Empty is allowed (off).
Apply DnsName(std::string DkimConfig::*field) {
    return [field](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto text = AsString(raw);
        if (!text) {
            return "must be a string";
        }
        // A Unicode domain (żółw.pl) is named in its ASCII form, as DNS and d= know it.
        const Result<std::string> ascii = AsciiDomain(*text);
        if (!ascii) {
            return "must be a DNS name such as shop.example: it " + ascii.error();
        }
        const std::string lower = Lower(ascii.value());
        std::size_t label_start = 0;
        for (std::size_t i = 0; i <= lower.size() && !lower.empty(); ++i) {
            const bool label_end = i == lower.size() || lower[i] == '.';
            if (label_end) {
                const std::size_t length = i - label_start;
                if (length == 0 || length > 63 || lower[label_start] == '-' ||
                    lower[i - 1] == '-') {
                    return "must be a DNS name such as shop.example";
                }
                label_start = i + 1;
            } else if (!std::isalnum(static_cast<unsigned char>(lower[i])) && lower[i] != '-') {
                return "must be a DNS name such as shop.example";
            }
        }
        config.dkim.*field = lower;
        return std::nullopt;
    };
}

template <typename Section> Apply Listen(Section Config::*section, std::string Section::*field) {
    return [=](Config& config, const RawValue& raw) -> std::optional<std::string> {
        auto text = AsString(raw);
        if (!text) {
            return "must be a string";
        }
        if (!text->empty() && !ParseListenAddress(*text)) {
            return "must be host:port, such as 127.0.0.1:9187 (empty: off)";
        }
        (config.*section).*field = *text;
        return std::nullopt;
    };
}

const std::vector<KeySpec>& Keys() {
    using std::chrono::hours;
    using std::chrono::milliseconds;
    using std::chrono::minutes;
    using std::chrono::seconds;
    static const std::vector<KeySpec> keys = {
        {"database", "url", Kind::kString, Text(&Config::database, &DatabaseConfig::url, true)},
        {"database", "password_file", Kind::kString,
         Text(&Config::database, &DatabaseConfig::password_file)},
        {"database", "worker", Kind::kString, Text(&Config::database, &DatabaseConfig::worker)},
        {"database", "lease", Kind::kDuration,
         Duration(&Config::database, &DatabaseConfig::lease, seconds(30), hours(24))},
        {"database", "statement_timeout", Kind::kDuration,
         Duration(&Config::database, &DatabaseConfig::statement_timeout, seconds(1), hours(1))},

        {"smtp", "url", Kind::kString,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             auto text = AsString(raw);
             if (!text) {
                 return "must be a string";
             }
             if (text->rfind("smtp://", 0) != 0 && text->rfind("smtps://", 0) != 0) {
                 return "must start with smtp:// (STARTTLS or plain) or smtps:// (TLS)";
             }
             const std::string rest = text->substr(text->find("://") + 3);
             if (rest.empty() || rest[0] == '/' || rest[0] == ':' ||
                 rest.find_first_of(" \t\r\n@") != std::string::npos) {
                 return "must name a host (smtp://host:port); credentials go in username and "
                        "password_file";
             }
             config.smtp.url = *text;
             return std::nullopt;
         }},
        {"smtp", "from", Kind::kString,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             constexpr char kForm[] = "must be an address, optionally with a display name (\"Shop "
                                      "<shop@example.com>\")";
             auto text = AsString(raw);
             if (!text) {
                 return std::string(kForm);
             }
             auto mailbox = ParseMailbox(*text);
             if (!mailbox) {
                 return std::string(kForm) + ": " + mailbox.error();
             }
             // A local part beyond ASCII is taken, and warned of once every source is read
             // (WarnOfSmtpUtf8Sender): it is a fine address for a relay with SMTPUTF8.
             config.smtp.from = *text;
             config.smtp.from_name = mailbox->first;
             config.smtp.from_address = mailbox->second;
             return std::nullopt;
         }},
        {"smtp", "username", Kind::kString, Text(&Config::smtp, &SmtpConfig::username)},
        {"smtp", "password_file", Kind::kString, Text(&Config::smtp, &SmtpConfig::password_file)},
        {"smtp", "starttls", Kind::kString,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             auto text = AsString(raw);
             if (text && *text == "required") {
                 config.smtp.starttls = StartTls::kRequired;
             } else if (text && *text == "off") {
                 config.smtp.starttls = StartTls::kOff;
             } else {
                 return "must be \"required\" or \"off\"";
             }
             return std::nullopt;
         }},
        {"smtp", "concurrency", Kind::kInteger,
         Integer(&Config::smtp, &SmtpConfig::concurrency, 1, 64)},
        {"smtp", "rate_per_second", Kind::kNumber,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             auto number = AsNumber(raw);
             if (!number || !(*number >= 0) || *number > 100000) {
                 return "must be a number from 0 (no limit) to 100000";
             }
             config.smtp.rate_per_second = *number;
             return std::nullopt;
         }},
        {"smtp", "helo_name", Kind::kString, Text(&Config::smtp, &SmtpConfig::helo_name)},
        {"smtp", "ca_file", Kind::kString, Text(&Config::smtp, &SmtpConfig::ca_file)},
        {"smtp", "verify_peer", Kind::kBoolean, Boolean(&Config::smtp, &SmtpConfig::verify_peer)},
        {"smtp", "connect_timeout", Kind::kDuration,
         Duration(&Config::smtp, &SmtpConfig::connect_timeout, seconds(1), minutes(10))},
        {"smtp", "response_timeout", Kind::kDuration,
         Duration(&Config::smtp, &SmtpConfig::response_timeout, seconds(1), minutes(15))},
        {"smtp", "idle_timeout", Kind::kDuration,
         Duration(&Config::smtp, &SmtpConfig::idle_timeout, seconds(1), hours(1))},

        {"shop", "name", Kind::kString, Text(&Config::shop, &ShopConfig::name, true)},
        {"shop", "address", Kind::kString, Text(&Config::shop, &ShopConfig::address)},
        {"shop", "recovery_url", Kind::kString,
         LinkTemplate(&Config::shop, &ShopConfig::recovery_url)},
        {"shop", "unsubscribe_url", Kind::kString,
         LinkTemplate(&Config::shop, &ShopConfig::unsubscribe_url)},
        {"shop", "unsubscribe_mailbox", Kind::kString,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             auto text = AsString(raw);
             if (!text) {
                 return "must be a string";
             }
             if (text->empty()) {
                 config.shop.unsubscribe_mailbox.clear();
                 return std::nullopt;
             }
             const std::string form =
                 "must be a bare address such as unsubscribe@shop.example (empty: none): ";
             auto mailbox = ParseMailbox(*text);
             if (!mailbox) {
                 return form + mailbox.error();
             }
             if (!mailbox->first.empty()) {
                 return form + "it has a display name";
             }
             // The mailto: link goes in List-Unsubscribe, which stays ASCII whatever the relay
             // offers: a Unicode domain in its ASCII form, as in smtp.from, and an ASCII local
             // part (a percent-encoded one would need SMTPUTF8 of every reader's relay).
             if (NeedsSmtpUtf8(mailbox->second)) {
                 return form + "its local part is not ASCII, and the mailto: link in "
                               "List-Unsubscribe must be";
             }
             config.shop.unsubscribe_mailbox = mailbox->second;
             return std::nullopt;
         }},

        {"templates", "dir", Kind::kString, Text(&Config::templates, &TemplatesConfig::dir, true)},

        {"daemon", "poll_interval", Kind::kDuration,
         Duration(&Config::daemon, &DaemonConfig::poll_interval, milliseconds(100), hours(1))},
        {"daemon", "batch_size", Kind::kInteger,
         Integer(&Config::daemon, &DaemonConfig::batch_size, 1, 10000)},
        {"daemon", "metrics_listen", Kind::kString,
         Listen(&Config::daemon, &DaemonConfig::metrics_listen)},
        {"daemon", "schedule", Kind::kBoolean, Boolean(&Config::daemon, &DaemonConfig::schedule)},
        {"daemon", "retention", Kind::kBoolean, Boolean(&Config::daemon, &DaemonConfig::retention)},
        {"daemon", "log_level", Kind::kString,
         [](Config& config, const RawValue& raw) -> std::optional<std::string> {
             static const std::set<std::string> levels = {"trace", "debug", "info",
                                                          "warn",  "error", "critical"};
             auto text = AsString(raw);
             if (!text || !levels.count(*text)) {
                 return "must be one of trace, debug, info, warn, error, critical";
             }
             config.daemon.log_level = *text;
             return std::nullopt;
         }},
        {"daemon", "dry_run_dir", Kind::kString, Text(&Config::daemon, &DaemonConfig::dry_run_dir)},
        {"daemon", "shutdown_timeout", Kind::kDuration,
         Duration(&Config::daemon, &DaemonConfig::shutdown_timeout, seconds(1), hours(1))},

        {"unsubscribe", "listen", Kind::kString,
         Listen(&Config::unsubscribe, &UnsubscribeConfig::listen)},

        {"dkim", "domain", Kind::kString, DnsName(&DkimConfig::domain)},
        {"dkim", "selector", Kind::kString, DnsName(&DkimConfig::selector)},
        {"dkim", "key_file", Kind::kString, Text(&Config::dkim, &DkimConfig::key_file)},
    };
    return keys;
}

const KeySpec* FindKey(const std::string& section, const std::string& key) {
    for (const KeySpec& spec : Keys()) {
        if (section == spec.section && key == spec.key) {
            return &spec;
        }
    }
    return nullptr;
}

std::string LineOrigin(const std::string& file, const toml::source_region& source) {
    return file + " line " + std::to_string(source.begin.line);
}

void ApplyValue(Config& config, const KeySpec& spec, const RawValue& raw,
                std::map<std::string, std::string>& origins) {
    const std::string name = std::string(spec.section) + "." + spec.key;
    if (auto error = spec.apply(config, raw)) {
        throw ConfigError(raw.origin + ": " + name + " " + *error);
    }
    origins[name] = raw.origin;
}

void ReadFile(Config& config, const std::string& file,
              std::map<std::string, std::string>& origins) {
    toml::table root;
    try {
        root = toml::parse_file(file);
    } catch (const toml::parse_error& error) {
        throw ConfigError(LineOrigin(file, error.source()) + ": " +
                          std::string(error.description()));
    }
    for (const auto& [section_name, section_node] : root) {
        const std::string section(section_name.str());
        const auto* table = section_node.as_table();
        const bool known = std::any_of(Keys().begin(), Keys().end(), [&](const KeySpec& spec) {
            return section == spec.section;
        });
        if (!table || !known) {
            throw ConfigError(LineOrigin(file, section_node.source()) + ": unknown section [" +
                              section +
                              "] (known: database, smtp, shop, templates, daemon, "
                              "unsubscribe)");
        }
        for (const auto& [key_name, node] : *table) {
            const std::string key(key_name.str());
            const KeySpec* spec = FindKey(section, key);
            const std::string origin = LineOrigin(file, node.source());
            if (!spec) {
                if (key == "password") {
                    // Secrets stay out of a file that is often world-readable or in git.
                    throw ConfigError(origin + ": " + section +
                                      ".password is not read from the "
                                      "config file: use " +
                                      section + ".password_file or " +
                                      EnvironmentName(section, "password"));
                }
                throw ConfigError(origin + ": unknown key " + section + "." + key);
            }
            RawValue raw{std::string(), false, origin};
            if (auto text = node.value<std::string>(); node.is_string() && text) {
                raw.value = *text;
            } else if (node.is_integer()) {
                raw.value = *node.value<std::int64_t>();
            } else if (node.is_floating_point()) {
                raw.value = *node.value<double>();
            } else if (node.is_boolean()) {
                raw.value = *node.value<bool>();
            } else {
                throw ConfigError(origin + ": " + section + "." + key + " must be " +
                                  KindName(spec->kind));
            }
            ApplyValue(config, *spec, raw, origins);
        }
    }
}

std::vector<std::string> ProcessEnvironmentNames() {
    std::vector<std::string> names;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        names.emplace_back(text.substr(0, text.find('=')));
    }
    return names;
}

// A CARTWATCH_<SECTION>_... variable that names no key of that section: most likely a typo,
// which would otherwise change nothing without a word. Variables of no known section are left
// alone (scripts may use the prefix for their own settings).
std::vector<std::string> UnknownEnvironmentVariables(const std::vector<std::string>& names) {
    std::set<std::string> known{"CARTWATCH_SMTP_PASSWORD", "CARTWATCH_DATABASE_PASSWORD"};
    std::set<std::string> sections;
    for (const KeySpec& spec : Keys()) {
        known.insert(EnvironmentName(spec.section, spec.key));
        sections.insert(EnvironmentName(spec.section, ""));
    }
    std::vector<std::string> warnings;
    for (const std::string& name : names) {
        const bool in_section = std::any_of(sections.begin(), sections.end(),
                                            [&](const auto& p) { return name.rfind(p, 0) == 0; });
        if (in_section && known.count(name) == 0) {
            warnings.push_back("environment " + name +
                               " names no setting and is ignored (see cartwatchd.toml.example "
                               "for the keys; CARTWATCH_<SECTION>_<KEY>)");
        }
    }
    return warnings;
}

std::optional<std::string> ProcessEnvironment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
}

// "FILE line N: ", "environment CARTWATCH_...: " or "--set ...: ", where `key` was set; empty
// for a key left at its default.
std::string OriginOf(const std::map<std::string, std::string>& origins, const std::string& key) {
    const auto origin = origins.find(key);
    return origin != origins.end() ? origin->second + ": " : std::string();
}

std::string ReadSecretFile(const std::string& path, const std::string& key,
                           const std::map<std::string, std::string>& origins) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(OriginOf(origins, key) + key + ": cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    // A file written by `echo` ends with a line break that is not part of the password.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
        secret.pop_back();
    }
    return secret;
}

// Environment, then file, then systemd's credential of that name (LoadCredential=).
// The file of a systemd credential the unit loads (LoadCredential=NAME:...), when there is one.
std::optional<std::string> CredentialPath(const ConfigSources& sources, const std::string& name) {
    if (auto directory = sources.environment("CREDENTIALS_DIRECTORY")) {
        std::string path = *directory + "/" + name;
        if (std::ifstream(path).good()) {
            return path;
        }
    }
    return std::nullopt;
}

std::string LoadSecret(const ConfigSources& sources, const std::string& variable,
                       const std::string& file, const std::string& key,
                       const std::string& credential,
                       const std::map<std::string, std::string>& origins) {
    auto& environment = sources.environment;
    if (auto value = environment(variable)) {
        return *value;
    }
    if (!file.empty()) {
        return ReadSecretFile(file, key, origins);
    }
    if (const std::optional<std::string> path = CredentialPath(sources, credential)) {
        return ReadSecretFile(*path, key, origins);
    }
    return {};
}

void Require(bool present, const std::string& name, const ConfigSources& sources) {
    if (present) {
        return;
    }
    const auto dot = name.find('.');
    throw ConfigError(name + " is required: set it in " +
                      (sources.file.empty() ? std::string("the config file") : sources.file) +
                      ", in " + EnvironmentName(name.substr(0, dot), name.substr(dot + 1)) +
                      " or with --set " + name + "=...");
}

// DKIM is on when dkim.domain is set: it then needs a selector and a readable key (the file
// named, else the dkim-key systemd credential). A domain that smtp.from's address is not in
// is allowed (a relay may check only the signature) but warned of: DMARC would not pass on it.
void CheckDkim(Config& config, const ConfigSources& sources,
               const std::map<std::string, std::string>& origins) {
    DkimConfig& dkim = config.dkim;
    if (dkim.domain.empty()) {
        if (!dkim.selector.empty() || !dkim.key_file.empty()) {
            throw ConfigError(
                OriginOf(origins, dkim.selector.empty() ? "dkim.key_file" : "dkim.selector") +
                "dkim.domain is required to sign: set it, or remove the other "
                "dkim keys");
        }
        return;
    }
    Require(!dkim.selector.empty(), "dkim.selector", sources);
    if (dkim.key_file.empty()) {
        dkim.key_file = CredentialPath(sources, "dkim-key").value_or("");
        if (dkim.key_file.empty()) {
            throw ConfigError(OriginOf(origins, "dkim.domain") +
                              "dkim.key_file is required to sign (or a dkim-key systemd "
                              "credential): the PEM private key of " +
                              dkim.selector + "._domainkey." + dkim.domain);
        }
    } else if (!std::ifstream(dkim.key_file).good()) {
        throw ConfigError(OriginOf(origins, "dkim.key_file") + "dkim.key_file: cannot read " +
                          dkim.key_file);
    }
    // Whoever holds the key can sign mail as the shop.
    std::error_code ec;
    const auto permissions = std::filesystem::status(dkim.key_file, ec).permissions();
    if (!ec &&
        (permissions & std::filesystem::perms::others_read) != std::filesystem::perms::none) {
        config.warnings.push_back("dkim.key_file " + dkim.key_file +
                                  " is readable by every user of this machine: chmod 600 it");
    }
    // Both in their ASCII form, as DMARC aligns them (RFC 8616): a Unicode dkim.domain and
    // smtp.from's Unicode domain were taken in it, whatever the local part.
    const std::string& from = config.smtp.from_address;
    const std::string from_domain = Lower(from.substr(from.rfind('@') + 1));
    const bool aligned = from_domain == dkim.domain ||
                         (from_domain.size() > dkim.domain.size() &&
                          from_domain.compare(from_domain.size() - dkim.domain.size(),
                                              std::string::npos, dkim.domain) == 0 &&
                          from_domain[from_domain.size() - dkim.domain.size() - 1] == '.');
    if (!aligned) {
        config.warnings.push_back("dkim.domain " + dkim.domain + " is not smtp.from's domain " +
                                  from_domain +
                                  " nor a parent of it: DMARC will not pass on this signature");
    }
}

// A sender whose local part is beyond ASCII (łucja@sklep.pl) has no ASCII form: every message
// needs SMTPUTF8 (RFC 6531) of the relay, which only the relay's EHLO tells. Such an address is
// valid, so it is said, not refused; a relay without the extension pauses sending at the first
// message (smtp_sender.cpp), losing none.
void WarnOfSmtpUtf8Sender(Config& config) {
    if (NeedsSmtpUtf8(config.smtp.from_address)) {
        config.warnings.push_back(
            "smtp.from " + config.smtp.from_address +
            " has a local part beyond ASCII: it can only be sent through a relay that offers "
            "SMTPUTF8 (RFC 6531; Postfix: smtputf8_enable = yes); with one that does not, "
            "nothing is sent and sending pauses until smtp.from or the relay changes");
    }
}

// A claimed batch waits its turn under the rate limit: its last reminder goes out
// batch_size / rate_per_second after the claim. Past half the lease (the other half is for the
// send itself and the report) reminders would reach the lost_lease policy without a try, and
// under the default policy never be sent.
void CheckBatchFitsLease(const Config& config, const std::map<std::string, std::string>& origins) {
    const double rate = config.smtp.rate_per_second;
    if (rate <= 0) {
        return;
    }
    const double budget_seconds = std::chrono::duration<double>(config.database.lease).count() / 2;
    if (config.daemon.batch_size / rate <= budget_seconds) {
        return;
    }
    const long fits = std::max(1L, static_cast<long>(std::floor(budget_seconds * rate)));
    throw ConfigError(
        OriginOf(origins, "daemon.batch_size") +
        fmt::format("daemon.batch_size = {} takes {:g} s to send at smtp.rate_per_second = {:g}, "
                    "more than half of database.lease = {}: set batch_size to {} or less, or "
                    "raise the lease or the rate",
                    config.daemon.batch_size, config.daemon.batch_size / rate, rate,
                    FormatDuration(config.database.lease), fits));
}

} // namespace

std::string EnvironmentName(const std::string& section, const std::string& key) {
    std::string name = "CARTWATCH_" + section + "_" + key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
}

Config LoadConfig(const ConfigSources& given) {
    ConfigSources sources = given;
    if (!sources.environment) {
        sources.environment = ProcessEnvironment;
        if (!sources.environment_names) {
            sources.environment_names = ProcessEnvironmentNames;
        }
    }
    Config config;
    std::map<std::string, std::string> origins;

    if (!sources.file.empty()) {
        if (std::ifstream(sources.file).good()) {
            ReadFile(config, sources.file, origins);
            config.file = sources.file;
        } else if (sources.file_required) {
            throw ConfigError("cannot read the config file " + sources.file);
        }
    }
    for (const KeySpec& spec : Keys()) {
        const std::string variable = EnvironmentName(spec.section, spec.key);
        if (auto value = sources.environment(variable)) {
            ApplyValue(config, spec, RawValue{*value, true, "environment " + variable}, origins);
        }
    }
    if (sources.environment_names) {
        config.warnings = UnknownEnvironmentVariables(sources.environment_names());
    }
    for (const std::string& assignment : sources.overrides) {
        const auto equals = assignment.find('=');
        const std::string name = assignment.substr(0, equals);
        const auto dot = name.find('.');
        const KeySpec* spec = (equals == std::string::npos || dot == std::string::npos)
                                  ? nullptr
                                  : FindKey(name.substr(0, dot), name.substr(dot + 1));
        if (!spec) {
            throw ConfigError("--set " + name + ": " +
                              (equals == std::string::npos ? "expected section.key=value"
                                                           : "unknown key " + name));
        }
        ApplyValue(config, *spec, RawValue{assignment.substr(equals + 1), true, "--set " + name},
                   origins);
    }

    // What every purpose needs, then what sending needs.
    Require(!config.database.url.empty(), "database.url", sources);
    Require(!config.smtp.from_address.empty(), "smtp.from", sources);
    Require(!config.shop.name.empty(), "shop.name", sources);
    Require(!config.shop.recovery_url.empty(), "shop.recovery_url", sources);
    Require(!config.shop.unsubscribe_url.empty(), "shop.unsubscribe_url", sources);
    if (sources.purpose == ConfigPurpose::kDryRun && config.daemon.dry_run_dir.empty()) {
        throw ConfigError("a dry run needs a folder: --dry-run DIR or daemon.dry_run_dir");
    }
    if (sources.purpose == ConfigPurpose::kSend && config.daemon.dry_run_dir.empty()) {
        Require(!config.smtp.url.empty(), "smtp.url", sources);
        if (!config.smtp.ca_file.empty() && !std::ifstream(config.smtp.ca_file).good()) {
            // Found now rather than as a paused daemon at the first send.
            throw ConfigError(OriginOf(origins, "smtp.ca_file") + "smtp.ca_file: cannot read " +
                              config.smtp.ca_file);
        }
        CheckBatchFitsLease(config, origins);
        WarnOfSmtpUtf8Sender(config);
        if (config.smtp.url.rfind("smtps://", 0) == 0 && config.smtp.starttls == StartTls::kOff) {
            // smtps is TLS from the first byte; "off" would read as "no encryption".
            throw ConfigError(OriginOf(origins, "smtp.starttls") +
                              "smtp.starttls = \"off\" contradicts an smtps:// url");
        }
    }
    if (!config.daemon.metrics_listen.empty() &&
        config.daemon.metrics_listen == config.unsubscribe.listen) {
        throw ConfigError(OriginOf(origins, "unsubscribe.listen") +
                          "unsubscribe.listen must differ from daemon.metrics_listen");
    }

    CheckDkim(config, sources, origins);

    config.secrets.smtp_password =
        LoadSecret(sources, "CARTWATCH_SMTP_PASSWORD", config.smtp.password_file,
                   "smtp.password_file", "smtp-password", origins);
    config.secrets.database_password =
        LoadSecret(sources, "CARTWATCH_DATABASE_PASSWORD", config.database.password_file,
                   "database.password_file", "database-password", origins);
    if (!config.secrets.smtp_password.empty() && config.smtp.username.empty()) {
        throw ConfigError("smtp.username is required when an SMTP password is given");
    }
    return config;
}

std::string DescribeConfig(const Config& c) {
    auto quote = [](const std::string& text) {
        std::string out = "\"";
        for (char ch : text) {
            if (ch == '"' || ch == '\\') {
                out += '\\';
            }
            out += ch;
        }
        return out + "\"";
    };
    auto flag = [](bool value) { return value ? "true" : "false"; };
    std::ostringstream out;
    out << "[database]\n"
        << "url = " << quote(ConnectionStringForDisplay(c.database.url)) << "\n"
        << "password = " << (c.secrets.database_password.empty() ? "\"\"" : "\"(set)\"") << "\n"
        << "worker = " << quote(c.database.worker) << "\n"
        << "lease = " << quote(FormatDuration(c.database.lease)) << "\n"
        << "statement_timeout = " << quote(FormatDuration(c.database.statement_timeout)) << "\n\n"
        << "[smtp]\n"
        << "url = " << quote(c.smtp.url) << "\n"
        << "from = " << quote(c.smtp.from) << "\n"
        << "username = " << quote(c.smtp.username) << "\n"
        << "password = " << (c.secrets.smtp_password.empty() ? "\"\"" : "\"(set)\"") << "\n"
        << "starttls = " << (c.smtp.starttls == StartTls::kRequired ? "\"required\"" : "\"off\"")
        << "\n"
        << "concurrency = " << c.smtp.concurrency << "\n"
        << "rate_per_second = " << c.smtp.rate_per_second << "\n"
        << "helo_name = " << quote(c.smtp.helo_name) << "\n"
        << "ca_file = " << quote(c.smtp.ca_file) << "\n"
        << "verify_peer = " << flag(c.smtp.verify_peer) << "\n"
        << "connect_timeout = " << quote(FormatDuration(c.smtp.connect_timeout)) << "\n"
        << "response_timeout = " << quote(FormatDuration(c.smtp.response_timeout)) << "\n"
        << "idle_timeout = " << quote(FormatDuration(c.smtp.idle_timeout)) << "\n\n"
        << "[shop]\n"
        << "name = " << quote(c.shop.name) << "\n"
        << "address = " << quote(c.shop.address) << "\n"
        << "recovery_url = " << quote(c.shop.recovery_url) << "\n"
        << "unsubscribe_url = " << quote(c.shop.unsubscribe_url) << "\n"
        << "unsubscribe_mailbox = " << quote(c.shop.unsubscribe_mailbox) << "\n\n"
        << "[templates]\n"
        << "dir = " << quote(c.templates.dir) << "\n\n"
        << "[daemon]\n"
        << "poll_interval = " << quote(FormatDuration(c.daemon.poll_interval)) << "\n"
        << "batch_size = " << c.daemon.batch_size << "\n"
        << "metrics_listen = " << quote(c.daemon.metrics_listen) << "\n"
        << "schedule = " << flag(c.daemon.schedule) << "\n"
        << "retention = " << flag(c.daemon.retention) << "\n"
        << "log_level = " << quote(c.daemon.log_level) << "\n"
        << "dry_run_dir = " << quote(c.daemon.dry_run_dir) << "\n"
        << "shutdown_timeout = " << quote(FormatDuration(c.daemon.shutdown_timeout)) << "\n\n"
        << "[unsubscribe]\n"
        << "listen = " << quote(c.unsubscribe.listen) << "\n\n"
        << "[dkim]\n"
        << "domain = " << quote(c.dkim.domain) << "\n"
        << "selector = " << quote(c.dkim.selector) << "\n"
        << "key_file = " << quote(c.dkim.key_file) << "\n";
    return out.str();
}

Result<std::pair<std::string, std::string>> ParseMailbox(const std::string& text) {
    // The whole text, display name included: a name that is not UTF-8 would reach From: with
    // U+FFFD in place of its bytes, and an address would be refused for a reason less plain.
    if (!IsValidUtf8(text)) {
        return Fail("it is not valid UTF-8");
    }
    std::string name;
    std::string address = text;
    const auto open = text.rfind('<');
    if (open != std::string::npos) {
        if (text.back() != '>') {
            return Fail("nothing may follow the > that ends the address");
        }
        address = text.substr(open + 1, text.size() - open - 2);
        name = text.substr(0, open);
        // Trim and drop the quotes of a quoted display name.
        while (!name.empty() && name.back() == ' ') {
            name.pop_back();
        }
        while (!name.empty() && name.front() == ' ') {
            name.erase(0, 1);
        }
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            name = name.substr(1, name.size() - 2);
        }
        if (HasControlCharacters(name) || name.find_first_of("<>") != std::string::npos) {
            return Fail("the display name holds a line break, a control character or a < or >");
        }
    }
    // A Unicode domain (sklep@księgarnia.pl) is kept in its ASCII form, in the envelope and in
    // From:, under SMTPUTF8 as well, where RFC 6531 would let it go in Unicode: a message is
    // rendered, and signed, before the transport knows whether the relay offers SMTPUTF8, so
    // From: cannot follow that; the Message-ID's domain, DKIM's d= and DMARC's alignment
    // (RFC 8616) take the ASCII form anyway; and one form is one sender address in the relay's
    // logs and in receivers' reputation. A local part beyond ASCII has no ASCII form: it is
    // kept as written, and a message from it goes only under SMTPUTF8.
    Result<std::string> as_sent = AddressAsSent(address);
    if (!as_sent) {
        return Fail(as_sent.error());
    }
    address = std::move(as_sent).value();
    // The very check the mail library applies to every message's From (a dot-atom "@" domain,
    // within the length limits), so that no address passes here and fails every reminder later;
    // beyond it, a domain without a dot is not one a relay will route.
    const auto at = address.rfind('@');
    if (!IsValidInternationalAddress(address) || address.find('.', at) == std::string::npos) {
        return Fail("it is not one plain address (a dot-atom local part, @, a domain with a dot)");
    }
    return std::make_pair(name, address);
}

namespace {

// libpq's URI form (postgresql://...), as opposed to its keyword=value form.
bool IsConnectionUri(const std::string& url) {
    return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

} // namespace

std::string ConnectionStringWithPassword(const std::string& url, const std::string& password) {
    if (password.empty()) {
        return url;
    }
    if (IsConnectionUri(url)) {
        std::string encoded;
        for (unsigned char c : password) {
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                encoded += static_cast<char>(c);
            } else {
                static const char* hex = "0123456789ABCDEF";
                encoded += '%';
                encoded += hex[c >> 4];
                encoded += hex[c & 15];
            }
        }
        return url + (url.find('?') == std::string::npos ? "?" : "&") + "password=" + encoded;
    }
    std::string quoted = "'";
    for (char c : password) {
        if (c == '\'' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    return url + " password=" + quoted + "'";
}

namespace {

constexpr const char* kHiddenPassword = "(hidden)";

// The URI form: the password of the user information (user:password@) and of a password=
// query parameter.
std::string UriForDisplay(std::string uri) {
    const std::size_t start = uri.find("://") + 3;
    const std::size_t hosts_end = std::min(uri.find_first_of("/?", start), uri.size());
    const std::size_t at = uri.rfind('@', hosts_end);
    if (at != std::string::npos && at >= start) {
        const std::size_t colon = uri.find(':', start);
        if (colon < at) {
            uri.replace(colon + 1, at - colon - 1, kHiddenPassword);
        }
    }
    const std::size_t query = uri.find('?');
    for (std::size_t pos = query; pos != std::string::npos && pos < uri.size();
         pos = uri.find('&', pos + 1)) {
        if (uri.compare(pos + 1, 9, "password=") == 0) {
            const std::size_t value = pos + 10;
            const std::size_t end = std::min(uri.find('&', value), uri.size());
            uri.replace(value, end - value, kHiddenPassword);
        }
    }
    return uri;
}

// The key=value form: keyword = value pairs, a value either bare or single-quoted with
// backslash escapes, as libpq reads them. Nullopt when the text does not read that way.
std::optional<std::string> KeywordsForDisplay(const std::string& text) {
    std::string out;
    std::size_t pos = 0;
    const auto skip_spaces = [&] {
        while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
    };
    for (skip_spaces(); pos < text.size(); skip_spaces()) {
        const std::size_t key_start = pos;
        while (pos < text.size() && text[pos] != '=' &&
               !std::isspace(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        const std::string key = text.substr(key_start, pos - key_start);
        skip_spaces();
        if (key.empty() || pos == text.size() || text[pos] != '=') {
            return std::nullopt;
        }
        ++pos;
        skip_spaces();
        const std::size_t value_start = pos;
        if (pos < text.size() && text[pos] == '\'') {
            for (++pos; pos < text.size() && text[pos] != '\''; ++pos) {
                pos += text[pos] == '\\' ? 1 : 0;
            }
            if (pos >= text.size()) {
                return std::nullopt; // an unclosed quote
            }
            ++pos;
        } else {
            while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos]))) {
                ++pos;
            }
        }
        out += (out.empty() ? "" : " ") + key + "=" +
               (key == "password" ? kHiddenPassword : text.substr(value_start, pos - value_start));
    }
    return out;
}

} // namespace

std::string ConnectionStringForDisplay(const std::string& url) {
    if (IsConnectionUri(url)) {
        return UriForDisplay(url);
    }
    return KeywordsForDisplay(url).value_or(
        url.find("password") == std::string::npos ? url : "(not shown: it may hold a password)");
}

std::string ExpandLink(const std::string& link_template, const std::string& token) {
    std::string link = link_template;
    const auto at = link.find("{token}");
    if (at != std::string::npos) {
        link.replace(at, 7, token);
    }
    return link;
}

std::optional<std::pair<std::string, unsigned short>> ParseListenAddress(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return std::nullopt;
    }
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2); // [::1]:9187
    }
    const std::string port_text = text.substr(colon + 1);
    if (!std::all_of(port_text.begin(), port_text.end(),
                     [](unsigned char c) { return std::isdigit(c); }) ||
        port_text.size() > 5) {
        return std::nullopt;
    }
    const long port = std::stol(port_text);
    if (port < 1 || port > 65535) {
        return std::nullopt;
    }
    return std::make_pair(host, static_cast<unsigned short>(port));
}

} // namespace cartwatch

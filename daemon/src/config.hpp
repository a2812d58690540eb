// cartwatchd's configuration: a TOML file, then CARTWATCH_<SECTION>_<KEY> environment
// variables, then `--set section.key=value` flags, each overriding the one before. Secrets (the
// SMTP and database passwords) come from files or the environment only, never from a flag, and
// are kept apart in Secrets so nothing that prints the configuration can print them.
#pragma once

#include "duration.hpp"
#include "result.hpp"

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cartwatch {

// A configuration that cannot be used: the message names the key and where it was set
// ("/etc/cartwatch/cartwatchd.toml line 12: smtp.concurrency must be ...").
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DatabaseConfig {
    std::string url;           // a libpq connection string or URI
    std::string password_file; // optional; the password may also come from the environment
    std::string worker;        // the name claims are made under; default host:pid
    Milliseconds lease = std::chrono::minutes(5);
    Milliseconds statement_timeout = std::chrono::seconds(30);
};

enum class StartTls { kRequired, kOff };

struct SmtpConfig {
    std::string url;          // smtp://host:port or smtps://host:port
    std::string from;         // as written: "Shop <shop@example.com>"
    std::string from_name;    // parsed from `from`; may be empty
    std::string from_address; // parsed from `from`
    std::string username;
    std::string password_file;
    StartTls starttls = StartTls::kRequired;
    int concurrency = 2;
    double rate_per_second = 10;
    std::string helo_name;   // EHLO name; default: the host name
    std::string ca_file;     // extra CA bundle; default: the system's
    bool verify_peer = true; // certificate and host name verification
    Milliseconds connect_timeout = std::chrono::seconds(15);
    Milliseconds response_timeout = std::chrono::seconds(60);
    Milliseconds idle_timeout = std::chrono::seconds(60);
};

struct ShopConfig {
    std::string name;
    std::string address;
    std::string recovery_url;        // https, with one {token}
    std::string unsubscribe_url;     // https, with one {token}
    std::string unsubscribe_mailbox; // optional mailto: target of List-Unsubscribe
};

struct TemplatesConfig {
    std::string dir = "/usr/share/cartwatch/mail_templates";
};

struct DaemonConfig {
    Milliseconds poll_interval = std::chrono::seconds(30);
    int batch_size = 50;
    std::string metrics_listen; // host:port; empty: no endpoint
    bool schedule = true;       // call schedule_reminders() every cycle
    bool retention = true;      // run due retention policies when the extension has them
    std::string log_level = "info";
    std::string dry_run_dir; // write .eml files here instead of sending
    Milliseconds shutdown_timeout = std::chrono::seconds(60);
};

struct UnsubscribeConfig {
    std::string listen; // host:port; empty: cartwatchd does not serve the link
};

// DKIM signing in cartwatchd, for a relay that does not sign (RFC 8058 one-click unsubscribe
// needs a signature that covers List-Unsubscribe). Off while domain is empty.
struct DkimConfig {
    std::string domain;   // d=: smtp.from's domain or a parent of it (DMARC alignment)
    std::string selector; // s=: the DNS name <selector>._domainkey.<domain> holds the key
    std::string key_file; // the PEM private key; default: the dkim-key systemd credential
};

// Read from files or the environment; never logged, never part of an error message.
struct Secrets {
    std::string smtp_password;
    std::string database_password;
};

struct Config {
    DatabaseConfig database;
    SmtpConfig smtp;
    ShopConfig shop;
    TemplatesConfig templates;
    DaemonConfig daemon;
    UnsubscribeConfig unsubscribe;
    DkimConfig dkim;
    Secrets secrets;
    std::string file; // the file it was read from; empty when there was none
    // What does not stop a start but should be said (a CARTWATCH_ variable that names no
    // setting): logged at start and at each reload, printed by check-config.
    std::vector<std::string> warnings;
};

// What the configuration is for: a dry run and a preview need no SMTP server.
enum class ConfigPurpose { kSend, kDryRun, kPreview };

struct ConfigSources {
    std::string file;                   // the TOML file
    bool file_required = false;         // false: a missing file is fine (environment-only setups)
    std::vector<std::string> overrides; // "section.key=value", from --set
    ConfigPurpose purpose = ConfigPurpose::kSend;
    // Environment lookup; the process environment when empty. Tests pass a map.
    std::function<std::optional<std::string>(const std::string&)> environment;
    // The names of the environment's variables, to warn of a CARTWATCH_ one that names no
    // setting; the process environment's when both this and `environment` are empty.
    std::function<std::vector<std::string>()> environment_names;
};

// Loads, merges and checks the configuration; throws ConfigError with one clear message.
Config LoadConfig(const ConfigSources& sources);

// The configuration as TOML, without secrets (check-config prints it).
std::string DescribeConfig(const Config& config);

// The environment variable that overrides a key: smtp.rate_per_second ->
// CARTWATCH_SMTP_RATE_PER_SECOND.
std::string EnvironmentName(const std::string& section, const std::string& key);

// "Shop <shop@example.com>" -> {"Shop", "shop@example.com"}: the display name (perhaps empty)
// and the address as it is sent (AddressAsSent): a Unicode domain in its ASCII form, the local
// part as written, perhaps beyond ASCII (NeedsSmtpUtf8 says so). Refused, with the reason:
// text that is not valid UTF-8, anything but one plain address (CR, LF, spaces or angle
// brackets inside it, a second address), a domain that is not a valid IDN.
Result<std::pair<std::string, std::string>> ParseMailbox(const std::string& text);

// Puts a password into a libpq connection string or URI without disturbing the rest.
std::string ConnectionStringWithPassword(const std::string& url, const std::string& password);

// The connection string with any password in it replaced by "(hidden)", for check-config and
// logs; both forms (URI user:password@ and ?password=, keyword password=).
std::string ConnectionStringForDisplay(const std::string& url);

// Replaces the {token} placeholder of a link template.
std::string ExpandLink(const std::string& link_template, const std::string& token);

// host:port -> {host, port}; nullopt when malformed.
std::optional<std::pair<std::string, unsigned short>> ParseListenAddress(const std::string& text);

} // namespace cartwatch

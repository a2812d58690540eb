// cartwatchd: sends cartwatch's cart reminders. Parses the command line, loads the
// configuration and hands over to the Application; the only catch for start-up errors.
#include "application.hpp"
#include "config.hpp"
#include "idna_address.hpp"
#include "logging.hpp"
#include "outbox.hpp"
#include "reminder_rendering.hpp"
#include "smtp_sender.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

namespace {

using namespace cartwatch;

constexpr const char* kDefaultConfig = "/etc/cartwatch/cartwatchd.toml";

// Prints the reminder a cart would get, without claiming or sending anything.
int Preview(const Config& config, std::int64_t cart_id, const std::string& step,
            const std::optional<std::string>& locale) {
    const TemplateSet templates(config.templates.dir);
    Outbox outbox(DatabaseConnectionString(config), "cartwatchd-preview",
                  config.database.statement_timeout);
    outbox.Connect();
    const CartPreview preview = outbox.PreviewCart(cart_id, step, locale);
    const ClaimedReminder& reminder = preview.reminder;
    if (reminder.email.empty()) {
        std::cerr << "cartwatchd: cart " << cart_id
                  << " has no e-mail address: no reminder can be sent for it\n";
        return 1;
    }
    if (!preview.veto.empty()) {
        // Still shown: a preview is also how a shop checks its templates on any cart.
        std::cerr << "cartwatchd: cart " << cart_id << " would get no reminder now ("
                  << preview.veto << "); this is what one would look like\n";
    }
    const std::shared_ptr<const DkimSigner> dkim = DkimSignerFor(config);
    Result<RenderedMessage> rendered = RenderReminder(
        templates, reminder, config, std::chrono::system_clock::now(), {}, dkim.get());
    if (!rendered) {
        std::cerr << "cartwatchd: cart " << cart_id << " cannot be rendered: " << rendered.error()
                  << "\n";
        return 1;
    }
    std::cout << rendered.value().bytes;
    return 0;
}

// Checks everything a start needs and says what is wrong, one line each.
int CheckConfig(const Config& config) {
    std::cout << DescribeConfig(config) << "\n";
    int failures = 0;
    auto report = [&failures](bool ok, const std::string& what) {
        std::cout << (ok ? "ok    " : "FAIL  ") << what << "\n";
        failures += ok ? 0 : 1;
    };
    try {
        const TemplateSet templates(config.templates.dir);
        std::string locales;
        for (const std::string& locale : templates.Locales()) {
            locales += (locales.empty() ? "" : ", ") + locale;
        }
        report(true, "templates in " + config.templates.dir + ": " + locales);
        std::shared_ptr<const DkimSigner> dkim;
        if (!config.dkim.domain.empty()) {
            try {
                dkim = DkimSignerFor(config);
                report(true, "dkim: signing as d=" + config.dkim.domain +
                                 ", s=" + config.dkim.selector + " with " + config.dkim.key_file);
            } catch (const std::exception& error) {
                report(false, std::string("dkim: ") + error.what());
            }
        }
        const std::optional<std::string> failure =
            CheckSampleRendering(templates, config, dkim.get());
        report(!failure, failure ? "rendering: " + *failure
                                 : "rendering: a sample reminder renders in every language, "
                                   "both steps");
    } catch (const std::exception& error) {
        report(false, std::string("templates: ") + error.what());
    }
    try {
        Outbox outbox(DatabaseConnectionString(config), "cartwatchd-check",
                      config.database.statement_timeout);
        outbox.Connect();
        const std::string version = outbox.ExtensionVersion();
        report(!version.empty(), version.empty()
                                     ? "database: connected, but the cartwatch extension is "
                                       "not installed in this database"
                                     : "database: connected, cartwatch " + version);
        if (!version.empty()) {
            outbox.Metrics();
            report(true, "database: this role may run the daemon's functions");
        }
    } catch (const std::exception& error) {
        report(false, std::string("database: ") + error.what());
    }
    if (config.daemon.dry_run_dir.empty()) {
        SmtpTransport transport(SmtpSettingsFor(config));
        const SmtpTranscript probe = transport.Probe();
        const SmtpVerdict verdict = ClassifyTranscript(probe);
        report(verdict.outcome == SmtpOutcome::kSent,
               "smtp: " + config.smtp.url +
                   (verdict.outcome == SmtpOutcome::kSent
                        ? ": connected" +
                              std::string(config.smtp.username.empty() ? "" : " and logged in")
                        : ": " + verdict.detail));
        // Every message from such a sender needs the extension: without it nothing is sent.
        if (verdict.outcome == SmtpOutcome::kSent && NeedsSmtpUtf8(config.smtp.from_address)) {
            const bool offered = transport.Offers("SMTPUTF8");
            report(offered, offered ? "smtp: the server offers SMTPUTF8, which smtp.from needs"
                                    : "smtp: the server does not offer SMTPUTF8, which smtp.from "
                                      "needs (its local part is not ASCII): nothing would be "
                                      "sent");
        }
    }
    return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    // A write to a peer that has gone (a relay that hung up, a log pipe closed under us) must
    // be an error the caller handles, not a SIGPIPE that ends the process: systemd counts a
    // death by SIGPIPE as a clean exit, so Restart=on-failure would not bring the daemon back.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"cartwatchd: sends the cart reminders queued by the cartwatch PostgreSQL "
                 "extension"};
    app.set_version_flag("--version", std::string("cartwatchd ") + CARTWATCH_VERSION);
    app.fallthrough();
    app.require_subcommand(0, 1);

    ConfigSources sources;
    sources.file = kDefaultConfig;
    std::string dry_run_dir;
    std::string log_level;
    app.add_option("-c,--config", sources.file, "Configuration file")->default_str(kDefaultConfig);
    app.add_option("--set", sources.overrides,
                   "Override a key: --set smtp.concurrency=4 (repeatable; never for secrets)")
        ->take_all();
    app.add_option("--dry-run", dry_run_dir,
                   "Write each message as an .eml file into DIR instead of sending it");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or critical")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical"}));

    auto* run = app.add_subcommand("run", "Run the service (the default)");
    auto* once = app.add_subcommand("once", "Run one cycle (schedule, claim, send, report), then "
                                            "exit: for cron and scripts");
    auto* preview = app.add_subcommand("preview", "Print the reminder a cart would get");
    std::int64_t cart_id = 0;
    std::string step = "first";
    std::string locale;
    preview->add_option("--cart", cart_id, "Cart id")->required();
    preview->add_option("--step", step, "first or second")
        ->check(CLI::IsMember({"first", "second"}));
    preview->add_option("--locale", locale, "Language, instead of the cart's");
    auto* check =
        app.add_subcommand("check-config", "Check the configuration, templates, database and SMTP "
                                           "server, then exit");
    CLI11_PARSE(app, argc, argv);

    sources.file_required = app.get_option("--config")->count() > 0;
    if (!dry_run_dir.empty()) {
        sources.overrides.push_back("daemon.dry_run_dir=" + dry_run_dir);
    }
    if (!log_level.empty()) {
        sources.overrides.push_back("daemon.log_level=" + log_level);
    }
    sources.purpose = preview->parsed()     ? ConfigPurpose::kPreview
                      : dry_run_dir.empty() ? ConfigPurpose::kSend
                                            : ConfigPurpose::kDryRun;
    SetupLogging(log_level.empty() ? "info" : log_level);
    try {
        const Config config = LoadConfig(sources);
        SetLogLevel(config.daemon.log_level);
        for (const std::string& warning : config.warnings) {
            spdlog::warn("{}", warning);
        }
        if (preview->parsed()) {
            return Preview(config, cart_id, step,
                           locale.empty() ? std::nullopt : std::optional(locale));
        }
        if (check->parsed()) {
            return CheckConfig(config);
        }
        (void)run;
        Application application(config, sources,
                                once->parsed() ? Application::Mode::kOnce
                                               : Application::Mode::kService);
        return application.Run();
    } catch (const ConfigError& error) {
        std::cerr << "cartwatchd: configuration error: " << error.what() << "\n";
        return 78; // EX_CONFIG: systemd's Restart=on-failure keeps trying; the log says why
    } catch (const std::exception& error) {
        spdlog::critical("cartwatchd cannot start: {}", error.what());
        return 1;
    }
}
